"""Examples from and to the files other eval tools use: JSONL and CSV.

JSONL: one object per line, `{"input": "...", "output": "..."}` (other keys are ignored).
CSV: a header row naming `input` and `output` columns. Anything malformed is refused with the
file's line number; nothing is half-imported.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path

from engine.errors import PromptLabError
from engine.prompt_lab.atomic import write_text_atomic
from engine.prompt_lab.tasks import Example
from engine.text import Text

MAX_FILE_BYTES = 64 * 1024 * 1024
FIELDS = ("input", "output")


def read_examples(path: Path) -> list[tuple[str, str]]:
    """(input, output) pairs from a .jsonl or .csv file; raises PromptLabError."""
    kind = _kind(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise PromptLabError(
                Text("{file} is {megabytes:.0f} MB; task files are limited to {limit} MB.",
                     file=path.name, megabytes=size / 2**20, limit=MAX_FILE_BYTES // 2**20)
            )
        data = path.read_bytes()
    except OSError as error:
        raise PromptLabError(Text("Could not read {file}: {reason}",
                                  file=path.name, reason=error.strerror or error)) from None
    text = _decode(data, path.name)
    pairs = _parse_jsonl(text, path.name) if kind == "jsonl" else _parse_csv(text, path.name)
    if not pairs:
        raise PromptLabError(Text("{file} holds no examples.", file=path.name))
    return pairs


def write_examples(path: Path, examples: Sequence[Example]) -> None:
    """Writes examples as .jsonl or .csv (by the file's suffix), atomically."""
    kind = _kind(path)
    if kind == "jsonl":
        text = "".join(
            json.dumps({"input": e.input, "output": e.output}, ensure_ascii=False) + "\n"
            for e in examples
        )
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(FIELDS)
        writer.writerows((e.input, e.output) for e in examples)
        text = buffer.getvalue()
    write_text_atomic(path, text)


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    raise PromptLabError(Text("{file}: task files are .jsonl or .csv.", file=path.name))


def _decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise PromptLabError(Text("{name} line {line}: not UTF-8 text.",
                                  name=name, line=line)) from None


def _parse_jsonl(text: str, name: str) -> list[tuple[str, str]]:
    pairs = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise PromptLabError(Text("{name} line {number}: not valid JSON ({msg}).",
                                      name=name, number=number, msg=error.msg)) from None
        if not isinstance(record, dict):
            raise PromptLabError(Text("{name} line {number}: expected an object with input and "
                                      "output.",
                                      name=name, number=number))
        pairs.append(_pair(record.get("input"), record.get("output"), name, number))
    return pairs


def _parse_csv(text: str, name: str) -> list[tuple[str, str]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return []
        columns = [cell.strip().lower() for cell in header]
        missing = [field for field in FIELDS if field not in columns]
        if missing:
            raise PromptLabError(Text("{name} line 1: the header has no {names} column.",
                                      name=name, names=' or '.join(missing)))
        at_input, at_output = columns.index("input"), columns.index("output")
        pairs = []
        start = reader.line_num + 1
        for row in reader:
            if not any(cell.strip() for cell in row):
                start = reader.line_num + 1
                continue
            if len(row) != len(columns):
                raise PromptLabError(
                    Text("{name} line {start}: {row} fields, but the header has {columns}.",
                         name=name, start=start, row=len(row), columns=len(columns))
                )
            pairs.append(_pair(row[at_input], row[at_output], name, start))
            start = reader.line_num + 1
    except csv.Error as error:
        raise PromptLabError(Text("{name} line {line_num}: {error}.",
                                  name=name, line_num=reader.line_num, error=error)) from None
    return pairs


def _pair(text: object, output: object, name: str, number: int) -> tuple[str, str]:
    for field, value in (("input", text), ("output", output)):
        if not isinstance(value, str):
            what = Text("missing") if value is None else Text("not text")
            raise PromptLabError(Text("{name} line {number}: {field} is {what}.",
                                      name=name, number=number, field=field, what=what))
        if "\x00" in value:
            raise PromptLabError(Text("{name} line {number}: {field} holds a NUL character.",
                                      name=name, number=number, field=field))
    assert isinstance(text, str) and isinstance(output, str)
    if not text.strip() or not output.strip():
        raise PromptLabError(Text("{name} line {number}: input and output must not be empty.",
                                  name=name, number=number))
    return text, output
