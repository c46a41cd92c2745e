"""Property tests for two parsers of untrusted input: Prompt Lab task files (JSONL, CSV) and
the document chunker. Whatever the bytes, a task file is read or refused with a PromptLabError
(naming the line where it can); whatever the text, the chunker loses no character and keeps
every piece within its limit."""

from __future__ import annotations

import json
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.documents.splitting import Piece, pack, split_pieces
from engine.errors import PromptLabError
from engine.prompt_lab.task_files import read_examples, write_examples
from engine.prompt_lab.tasks import Example

FUZZ = settings(max_examples=300, deadline=timedelta(seconds=2), derandomize=True,
                database=None, suppress_health_check=[HealthCheck.too_slow])


def _read(name: str, data: bytes) -> list[tuple[str, str]] | PromptLabError:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            return read_examples(path)
        except PromptLabError as error:
            return error


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["task.jsonl", "task.csv"]))
def test_any_bytes_are_read_or_refused_plainly(data: bytes, name: str) -> None:
    result = _read(name, data)
    if isinstance(result, PromptLabError):
        assert str(result).startswith(name) or name in str(result)
    else:
        assert all(isinstance(i, str) and isinstance(o, str) for i, o in result)


@FUZZ
@given(st.lists(json_values, min_size=1, max_size=6))
def test_jsonl_lines_of_any_json_are_read_or_refused_with_their_line(lines: list[object]) -> None:
    result = _read("task.jsonl", "\n".join(json.dumps(line) for line in lines).encode())
    if isinstance(result, PromptLabError):
        assert "line" in str(result) or "no examples" in str(result)


@FUZZ
@given(st.lists(st.tuples(st.text(min_size=1), st.text(min_size=1)), min_size=1, max_size=8),
       st.sampled_from(["task.jsonl", "task.csv"]))
def test_written_examples_read_back_as_they_were(pairs: list[tuple[str, str]],
                                                 name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        try:
            write_examples(path, [Example(n, i, o) for n, (i, o) in enumerate(pairs)])
            back = read_examples(path)
        except PromptLabError:
            return  # e.g. text that is blank once trimmed: refused, never mangled
    assert len(back) == len(pairs)


def _count(text: str) -> int:
    """A stand-in tokenizer for speed: about a token per 4 characters, at least 1."""
    return max(1, (len(text) + 3) // 4)


@FUZZ
@given(st.text(max_size=3000), st.integers(min_value=2, max_value=200))
def test_the_chunker_keeps_every_character_and_every_limit(text: str, limit: int) -> None:
    pieces = list(split_pieces(text, limit, _count))
    assert "".join(piece.text for piece in pieces) == text
    assert all(piece.tokens <= limit for piece in pieces)


@FUZZ
@given(st.lists(st.integers(min_value=1, max_value=50), max_size=60),
       st.integers(min_value=50, max_value=400), st.integers(min_value=1, max_value=4))
def test_packing_keeps_order_and_limit(sizes: list[int], limit: int, minimum: int) -> None:
    pieces = [Piece(str(index), size) for index, size in enumerate(sizes)]
    parts = pack(pieces, limit, minimum)
    assert [piece for part in parts for piece in part] == pieces
    assert all(sum(piece.tokens for piece in part) <= limit for part in parts)
