"""The compatibility table: one row per model, written into the README when the run ends."""

from __future__ import annotations

import re
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.compatibility.models import MODELS, CompatModel

README = Path(__file__).resolve().parents[2] / "README.md"
BEGIN, END = "<!-- compatibility table: make test-models -->", "<!-- end of the table -->"
MIB = 1024 * 1024


@dataclass
class Row:
    model: CompatModel
    template: str = ""
    tokens_per_second: float | None = None
    memory: dict[int, tuple[int, int]] = field(default_factory=dict)  # n_ctx: (estimate, peak)
    failed: list[str] = field(default_factory=list)
    passed: int = 0


class Rows:
    def __init__(self) -> None:
        self._rows: dict[str, Row] = {}

    def row(self, model: CompatModel) -> Row:
        return self._rows.setdefault(model.name, Row(model))

    def complete(self) -> bool:
        """Every model has a whole row: the run was not cut to some models or tests."""
        rows = [self._rows.get(model.name) for model in MODELS]
        return all(row is not None and row.template and row.tokens_per_second is not None
                   and len(row.memory) == 2 for row in rows)

    def table(self) -> str:
        lines = ["| Model | Family | Template (source) | Tokens/s | Memory at 4k: estimate / "
                 "peak (MiB) | Memory at 16k | Result |", "|---|---|---|---:|---|---|---|"]
        for model in MODELS:
            row = self._rows.get(model.name)
            if row is None:
                continue
            speed = "" if row.tokens_per_second is None else f"{row.tokens_per_second:.1f}"
            memory = [_memory(row.memory.get(n_ctx)) for n_ctx in (4096, 16384)]
            result = ("fail: " + ", ".join(row.failed)) if row.failed else f"pass ({row.passed})"
            lines.append(f"| {model.name.removesuffix('.gguf')} | {model.family} | "
                         f"{row.template} | {speed} | {memory[0]} | {memory[1]} | {result} |")
        return "\n".join(lines)


def _memory(pair: tuple[int, int] | None) -> str:
    if pair is None:
        return ""
    estimate, peak = pair
    return f"{estimate / MIB:,.0f} / {peak / MIB:,.0f} ({estimate / peak:.2f}×)"


ROWS = Rows()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    callspec = getattr(item, "callspec", None)
    model = callspec.params.get("installed") if callspec is not None else None
    if isinstance(model, CompatModel) and (report.when == "call" or report.failed):
        row = ROWS.row(model)
        if report.failed:
            row.failed.append(item.name.split("[")[0].removeprefix("test_").replace("_", " "))
        elif report.passed:
            row.passed += 1
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Prints the table and puts it in the README between its markers."""
    table = ROWS.table()
    print("\n" + table)
    text = README.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    if pattern.search(text) and ROWS.complete():
        README.write_text(pattern.sub(lambda _m: f"{BEGIN}\n{table}\n{END}", text),
                          encoding="utf-8")
