"""Table models for the Prompt Lab tab: a task's examples (editable in place), the candidates a
search scored, and the held-out examples with the baseline's and the winner's answers."""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import Enum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont

from desktop.i18n import QT_TRANSLATE_NOOP
from engine.prompt_lab.prompts import describe
from engine.prompt_lab.results import CandidateRow, ExampleOutcome
from engine.prompt_lab.tasks import Metric, Split, Task

_Index = QModelIndex | QPersistentModelIndex
_DISPLAY = Qt.ItemDataRole.DisplayRole
RIGHT = QColor("#2e7d32")
WRONG = QColor("#c62828")
GRADED = (Metric.ROUGE_L, Metric.CHRF)  # metrics whose scores run between 0 and 1


def score_text(metric: Metric, score: float) -> str:
    """A score as a person reads it: a share for right/wrong metrics, else 0.00 to 1.00."""
    return f"{score:.2f}" if metric in GRADED else f"{score:.0%}"


def one_line(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", " ⏎ ")


class _Table(QAbstractTableModel):
    HEADERS: tuple[str, ...] = ()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self.row_count()

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == _DISPLAY:
            return QCoreApplication.translate("headers", self.HEADERS[section])
        return None

    def row_count(self) -> int:
        raise NotImplementedError


class ExamplesModel(_Table):
    """Input and expected output of each example, typed in place; the set each is in."""

    HEADERS = (QT_TRANSLATE_NOOP("headers", "Input"), QT_TRANSLATE_NOOP("headers",
                                                            "Expected output"), QT_TRANSLATE_NOOP(
                                                            "headers", "Set"))
    edited = Signal()  # a cell was changed by the person

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[list[str]] = []
        self._splits: list[Split | None] = []

    def row_count(self) -> int:
        return len(self._rows)

    def set_task(self, task: Task | None) -> None:
        self.beginResetModel()
        examples = task.examples if task else ()
        self._rows = [[e.input, e.output] for e in examples]
        self._splits = [e.split for e in examples]
        self.endResetModel()

    def pairs(self) -> tuple[tuple[str, str], ...]:
        return tuple((text, output) for text, output in self._rows)

    def show_splits(self, task: Task) -> None:
        """The saved task's split, matched to the rows that made its examples."""
        examples = iter(task.examples)
        splits: list[Split | None] = []
        for text, output in self._rows:
            example = None if not text.strip() and not output.strip() else next(examples, None)
            splits.append(example.split if example else None)
        self._splits = splits
        if self._rows:
            self.dataChanged.emit(self.index(0, 2), self.index(len(self._rows) - 1, 2))

    def add_row(self) -> int:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(["", ""])
        self._splits.append(None)
        self.endInsertRows()
        return row

    def remove_rows(self, rows: Sequence[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            if 0 <= row < len(self._rows):
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                del self._splits[row]
                self.endRemoveRows()
        self.edited.emit()

    def flags(self, index: _Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() < 2:
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, column = index.row(), index.column()
        if column == 2:
            split = self._splits[row]
            if role == _DISPLAY:
                return {Split.POOL: "pool", Split.TEST: "held out", None: ""}[split]
            if split is Split.TEST and role == Qt.ItemDataRole.ToolTipRole:
                return self.tr("Held out: only the final comparison reads it, never the search.")
            if split is Split.TEST and role == Qt.ItemDataRole.FontRole:
                font = QFont()
                font.setItalic(True)
                return font
            return None
        text = self._rows[row][column]
        if role == _DISPLAY:
            return one_line(text)
        if role == Qt.ItemDataRole.EditRole:
            return text
        if role == Qt.ItemDataRole.ToolTipRole and len(text) > 60:
            return text
        return None

    def setData(self, index: _Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() > 1
                or not isinstance(value, str)):
            return False
        if self._rows[index.row()][index.column()] == value:
            return True
        self._rows[index.row()][index.column()] = value
        self.dataChanged.emit(index, index)
        self.edited.emit()
        return True


class CandidatesModel(_Table):
    """The candidates of a search, best first, with their validation scores."""

    HEADERS = ("#", QT_TRANSLATE_NOOP("headers", "Validation"), "n", QT_TRANSLATE_NOOP("headers",
                                                            "Calibration"), QT_TRANSLATE_NOOP(
                                                            "headers", "Format"), QT_TRANSLATE_NOOP(
                                                            "headers", "Demos"), QT_TRANSLATE_NOOP(
                                                            "headers", "Label words"),
               QT_TRANSLATE_NOOP("headers", "Instruction"), QT_TRANSLATE_NOOP("headers", "Made by"))

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[CandidateRow] = []
        self.metric = Metric.ACCURACY
        self.winner_id: int | None = None
        self.baseline_id: int | None = 0

    def row_count(self) -> int:
        return len(self._rows)

    def row_object(self, row: int) -> CandidateRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, candidate_id: int | None) -> int:
        return next((i for i, row in enumerate(self._rows) if row.id == candidate_id), -1)

    def set_rows(self, rows: Sequence[CandidateRow], metric: Metric, winner_id: int | None,
                 baseline_id: int | None) -> None:
        """The rows as the engine ranked them."""
        self.beginResetModel()
        self._rows = list(rows)
        self.metric, self.winner_id, self.baseline_id = metric, winner_id, baseline_id
        self.endResetModel()

    def update(self, rows: Sequence[CandidateRow]) -> None:
        """Rows scored while the search runs: newer scores replace older ones; the further a
        candidate got and the better it scored, the higher it stands."""
        self.beginResetModel()
        by_id = {row.id: row for row in self._rows}
        by_id.update((row.id, row) for row in rows)
        self._rows = sorted(by_id.values(), key=_live_rank, reverse=True)
        self.winner_id = self._rows[0].id if self._rows else None
        self.endResetModel()

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        row = self.row_object(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role == _DISPLAY:
            return self._cell(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1 and row.score is None:
            return (self.tr("No answers were written for this candidate: the probability per token "
                            "of the expected outputs (mean log-probability {gold_logprob:.2f}).")
                    .format(gold_logprob=row.gold_logprob))
        if role == Qt.ItemDataRole.ToolTipRole:
            return describe(row.spec)
        if role == Qt.ItemDataRole.FontRole and row.id == self.winner_id:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _cell(self, row: CandidateRow, column: int) -> str:
        spec = row.spec
        if column == 0:
            mark = (self.tr(" ★ best") if row.id == self.winner_id
                    else " zero-shot" if row.id == self.baseline_id else "")
            return f"{row.id}{mark}"
        if column == 1:
            if row.score is not None:
                return score_text(self.metric, row.score)
            return (self.tr("{exp:.0%} per token")
                    .format(exp=math.exp(row.gold_logprob)) if row.gold_logprob else "…")
        cells = (
            str(row.n), row.calibration.value.replace("_", " "), spec.format.value,
            str(len(spec.demos)), ", ".join(spec.label_words), one_line(spec.instruction),
            row.origin,
        )
        return cells[column - 2]


def _live_rank(row: CandidateRow) -> tuple[float, ...]:
    score = row.score if row.score is not None else row.gold_logprob
    return (row.stage, score, row.gold_logprob, -row.id)


class OutcomeFilter(Enum):
    ALL = "All held-out examples"
    WINNER_BETTER = "Winner right, baseline wrong"
    BASELINE_BETTER = "Baseline right, winner wrong"


def _shown(outcome: ExampleOutcome, shown: OutcomeFilter) -> bool:
    if shown is OutcomeFilter.WINNER_BETTER:
        return outcome.winner_score > outcome.baseline_score
    if shown is OutcomeFilter.BASELINE_BETTER:
        return outcome.baseline_score > outcome.winner_score
    return True


class OutcomesModel(_Table):
    """Each held-out example with the baseline's and the winner's answers, filtered."""

    HEADERS = (QT_TRANSLATE_NOOP("headers", "Input"), QT_TRANSLATE_NOOP("headers", "Expected"),
               QT_TRANSLATE_NOOP("headers", "Baseline"), QT_TRANSLATE_NOOP("headers", "Winner"),
               QT_TRANSLATE_NOOP("headers", "Confidence"))

    def __init__(self) -> None:
        super().__init__()
        self._all: list[ExampleOutcome] = []
        self._rows: list[ExampleOutcome] = []
        self.metric = Metric.ACCURACY
        self.shown = OutcomeFilter.ALL

    def row_count(self) -> int:
        return len(self._rows)

    def set_outcomes(self, outcomes: Sequence[ExampleOutcome], metric: Metric) -> None:
        self._all, self.metric = list(outcomes), metric
        self.show(self.shown)

    def show(self, shown: OutcomeFilter) -> None:
        self.beginResetModel()
        self.shown = shown
        self._rows = [o for o in self._all if _shown(o, shown)]
        self.endResetModel()

    def data(self, index: _Index, role: int = _DISPLAY) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        outcome, column = self._rows[index.row()], index.column()
        if role == _DISPLAY:
            return self._cell(outcome, column)
        if role == Qt.ItemDataRole.ToolTipRole and column in (0, 1, 2, 3):
            return (outcome.input, outcome.expected, outcome.baseline_answer,
                    outcome.winner_answer)[column]
        if role == Qt.ItemDataRole.ForegroundRole and column in (2, 3):
            score = outcome.baseline_score if column == 2 else outcome.winner_score
            return QBrush(RIGHT if score >= 0.5 else WRONG)
        return None

    def _cell(self, outcome: ExampleOutcome, column: int) -> str:
        if column == 4:
            confidence = outcome.winner_confidence
            return "" if confidence is None else f"{confidence:.0%}"
        text = (outcome.input, outcome.expected, outcome.baseline_answer,
                outcome.winner_answer)[column]
        if column in (2, 3) and self.metric in GRADED:
            score = outcome.baseline_score if column == 2 else outcome.winner_score
            return f"{one_line(text)} ({score:.2f})"
        mark = ""
        if column in (2, 3):
            score = outcome.baseline_score if column == 2 else outcome.winner_score
            mark = "✔ " if score >= 0.5 else "✘ "
        return mark + one_line(text)
