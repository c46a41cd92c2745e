"""Table models for the Models tab: installed models, models to get, and one model's files.

Each is a read-only view over engine data objects; the tab replaces their rows wholesale when
the worker sends a new listing. The memory columns are computed here from the engine's estimate
for the context length in use, so they follow a change of context length at once; the speed
columns from this computer's measured speed (engine/models/speed.py), once it is known.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from desktop.engine_texts import say
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from desktop.row_table import RowTableModel
from engine.chat.templates import (
    CONTINUATION_NAME,
    CUSTOM,
    GGUF,
    TemplateDecision,
    TemplateOrigin,
)
from engine.models.catalog import CatalogModel
from engine.models.hub import QuantOption, RepoSummary
from engine.models.library import InstalledModel
from engine.models.memory import (
    ContextRoom,
    Fit,
    MachineMemory,
    MemoryEstimate,
    ModelShape,
    estimate_memory,
    fits,
    held_by_model,
)
from engine.models.memory import format_bytes as bytes_text
from engine.models.speed import (
    TARGET_TOKENS_PER_SECOND,
    SpeedCalibration,
    predict_tokens_per_second,
    speed_text,
)

_Index = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the row's data object

FIT_MARKS = {
    "fits": (QT_TRANSLATE_NOOP("models.tables", "✔ fits"), "#2e7d32"),
    "close_programs": (QT_TRANSLATE_NOOP("models.tables", "⚠ tight"), "#b26a00"),
    "too_big": (QT_TRANSLATE_NOOP("models.tables", "✘ too big"), "#c62828"),
    "unknown": (QT_TRANSLATE_NOOP("models.tables", "? unknown"), "#616161"),
}


class _RowsModel(RowTableModel):
    def __init__(self) -> None:
        super().__init__()
        self.n_ctx = 4096
        self.kv_cache_bits = 16
        self.machine = MachineMemory(None, None)
        self.speed: SpeedCalibration | None = None

    def set_context(self, n_ctx: int, machine: MachineMemory | None = None,
                    kv_cache_bits: int | None = None) -> None:
        self.n_ctx = n_ctx
        if kv_cache_bits is not None:
            self.kv_cache_bits = kv_cache_bits
        if machine is not None:
            self.machine = machine
        if self._rows:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(self._rows) - 1, len(self.HEADERS) - 1))

    def set_speed(self, calibration: SpeedCalibration) -> None:
        self.speed = calibration
        self.set_context(self.n_ctx)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == ROW_ROLE:
            return row
        return self.cell(row, index.column(), role)

    def cell(self, row: Any, column: int, role: int) -> Any:
        raise NotImplementedError

    def _fit_cell(self, fit: Fit | None, role: int) -> Any:
        if fit is None:
            return "" if role == Qt.ItemDataRole.DisplayRole else None
        mark, color = translated("models.tables", FIT_MARKS)[fit.verdict]
        if role == Qt.ItemDataRole.DisplayRole:
            return mark
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(color))
        if role == Qt.ItemDataRole.ToolTipRole:
            return fit.message
        return None


def _estimate_cell(estimate: MemoryEstimate | None, role: int, approximate: bool) -> Any:
    if estimate is None:
        return None
    if role == Qt.ItemDataRole.DisplayRole:
        return ("≈ " if approximate or not estimate.kv_known else "") + bytes_text(
            estimate.total_bytes)
    if role == Qt.ItemDataRole.ToolTipRole:
        return estimate.describe()
    return None


def _longest_cell(room: ContextRoom | None, kv_cache_bits: int, role: int) -> Any:
    """The longest context that fits this computer's memory now, at the chosen cache precision."""
    longest = None if room is None else room.longest(kv_cache_bits)
    if role == Qt.ItemDataRole.TextAlignmentRole:
        return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if role == Qt.ItemDataRole.DisplayRole:
        if longest is None:
            return "—"
        return f"{longest:,}" if longest else QCoreApplication.translate("models.tables", "none")
    if role == Qt.ItemDataRole.ToolTipRole and room is not None:
        if longest is None:
            return QCoreApplication.translate("models.tables", "Unknown: the model's context "
                                              "cache or this computer's memory is not known.")
        return QCoreApplication.translate(
            "models.tables", "The longest context that fits this computer's free memory now, "
            "with the context cache at {bits} bits: up to the model's trained context "
            "({trained:,} tokens), in steps of 1,024. Settings › Defaults offers it for the "
            "loaded model.").format(bits=kv_cache_bits, trained=room.trained_context or 0)
    return None


def _speed_cell(calibration: SpeedCalibration | None, size_bytes: int, role: int) -> Any:
    """The predicted generation speed of a file of this size on this computer."""
    if role == Qt.ItemDataRole.TextAlignmentRole:
        return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    if calibration is None:
        if role == Qt.ItemDataRole.DisplayRole:
            return "…"
        if role == Qt.ItemDataRole.ToolTipRole:
            return QCoreApplication.translate("models.tables", "Hearth measures this computer's "
                                                               "speed with the loaded model first.")
        return None
    speed = predict_tokens_per_second(calibration, size_bytes)
    if role == Qt.ItemDataRole.DisplayRole:
        return speed_text(speed)
    if role == Qt.ItemDataRole.ForegroundRole and speed < TARGET_TOKENS_PER_SECOND:
        return QBrush(QColor(translated("models.tables", FIT_MARKS)["close_programs"][
                                                            1]))  # slower than reading pace
    if role == Qt.ItemDataRole.ToolTipRole:
        return (QCoreApplication.translate("models.tables", "Tokens a second predicted from the "
                                                            "file's size ({bytes_text}) and this "
                                                            "computer's measured speed: {stem} "
                                                            "wrote {tokens_per_second:.0f} a "
                                                            "second here. An estimate, not a "
                                                            "promise: a busy computer writes "
                                                            "slower.")
                .format(bytes_text=bytes_text(
            size_bytes), stem=Path(calibration
            .model).stem,
            tokens_per_second=calibration
            .tokens_per_second))
    return None


def _template_cell(decision: TemplateDecision, role: int) -> Any:
    """Which template, and where it came from; the reason in the tooltip."""
    if role == Qt.ItemDataRole.ToolTipRole:
        return decision.describe()
    if role != Qt.ItemDataRole.DisplayRole:
        return None
    what = {
        GGUF: QCoreApplication.translate("models.tables", "the model's own"),
        CONTINUATION_NAME: QCoreApplication.translate("models.tables", "none: continues the text"),
        CUSTOM: QCoreApplication.translate("models.tables", "your Jinja"),
    }.get(decision.name, decision.name)
    if decision.origin == TemplateOrigin.PERSON and decision.name != CUSTOM:
        return QCoreApplication.translate("models.tables", "{what} (your choice)").format(what=what)
    if decision.origin == TemplateOrigin.BUILT_IN and decision.name != CONTINUATION_NAME:
        return QCoreApplication.translate("models.tables", "{what} (built-in)").format(what=what)
    return what


class InstalledModelsModel(_RowsModel):
    HEADERS = (QT_TRANSLATE_NOOP("headers", "Name"), QT_TRANSLATE_NOOP("headers", "Architecture"),
               QT_TRANSLATE_NOOP("headers", "Parameters"), QT_TRANSLATE_NOOP("headers", "Quant"),
               QT_TRANSLATE_NOOP("headers", "Trained context"),
               QT_TRANSLATE_NOOP("headers", "Size"), QT_TRANSLATE_NOOP("headers", "Memory"),
               QT_TRANSLATE_NOOP("headers", "Fits"),
               QT_TRANSLATE_NOOP("headers", "Longest context"),
               QT_TRANSLATE_NOOP("headers", "Where"), QT_TRANSLATE_NOOP("headers", "Chat template"))
    LONGEST = 8

    def __init__(self) -> None:
        super().__init__()
        self.default_key: str | None = None
        self.loaded_path: str | None = None
        self.draft_path: str | None = None  # the model set to draft the loaded one's replies
        # The loaded model's context and cache precision, once the machine's memory was measured
        # with it loaded: what it holds then counts as free for it, as when it is loaded again.
        self.loaded_held: tuple[int, int] | None = None

    def freed_bytes(self, model: InstalledModel) -> int:
        if (self.loaded_held is None or model.details is None
                or str(model.path) != self.loaded_path):
            return 0
        return held_by_model(model.details.shape, *self.loaded_held)

    def room(self, model: InstalledModel) -> ContextRoom | None:
        """What the longest context that fits here depends on, for this model."""
        if model.details is None:
            return None
        return ContextRoom(model.details.shape, model.details.context_length, self.machine,
                           self.freed_bytes(model))

    def loaded_room(self) -> ContextRoom | None:
        model = next((m for m in self._rows if str(m.path) == self.loaded_path), None)
        return None if model is None else self.room(model)

    def set_draft(self, path: str | None) -> None:
        self.draft_path = path
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))

    def row_of_key(self, key: str) -> int:
        return next((i for i, model in enumerate(self._rows) if model.key == key), -1)

    def cell(self, row: Any, column: int, role: int) -> Any:
        model: InstalledModel = row
        details = model.details
        if column == 6:
            return _estimate_cell(model.estimate(self.n_ctx, self.kv_cache_bits), role,
                                  approximate=False)
        if column == 7:
            return self._fit_cell(model.fit(self.n_ctx, self.machine, self.kv_cache_bits,
                                            self.freed_bytes(model)), role)
        if column == self.LONGEST:
            return _longest_cell(self.room(model), self.kv_cache_bits, role)
        if column == 10 and model.template is not None:
            return _template_cell(model.template, role)
        if role == Qt.ItemDataRole.ToolTipRole:
            return model.problem or f"{model.path}\n{model.origin.describe()}"
        if role == Qt.ItemDataRole.ForegroundRole and model.problem:
            return QBrush(QColor("#c62828"))
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == 0:
            marks = []
            if model.key == self.default_key or str(model.path) == self.default_key:
                marks.append(self.tr("default"))
            if str(model.path) == self.loaded_path:
                marks.append(self.tr("loaded"))
            if str(model.path) == self.draft_path:
                marks.append(self.tr("drafts for the loaded model"))
            if model.problem:
                marks.append(self.tr("unusable"))
            return model.name + (f"  ({', '.join(marks)})" if marks else "")
        if details is None:
            return "—" if column in (1, 2, 3, 4) else self._plain(model, column)
        values = {
            1: details.architecture,
            2: details.size_label or "—",
            3: details.quantization or "—",
            4: f"{details.context_length:,}" if details.context_length else "—",
        }
        return values.get(column, self._plain(model, column))

    @staticmethod
    def _plain(model: InstalledModel, column: int) -> str:
        if column == 5:
            return bytes_text(model.size_bytes)
        if column == 9:
            return model.origin.describe()
        return ""


@dataclass(frozen=True)
class RepoRow:
    """A model to get: a curated catalog entry, or a Hub search result (or both)."""

    repo_id: str
    title: str
    detail: str
    license: str
    catalog: CatalogModel | None = None
    summary: RepoSummary | None = None


def catalog_rows(catalog: tuple[CatalogModel, ...]) -> list[RepoRow]:
    return [
        RepoRow(entry.repo_id, entry.name, say(entry.description), entry.license,
               catalog=entry)
        for entry in catalog
    ]


def search_rows(found: list[RepoSummary], catalog: tuple[CatalogModel, ...]) -> list[RepoRow]:
    by_repo = {entry.repo_id.casefold(): entry for entry in catalog}
    rows = []
    for summary in found:
        updated = summary.last_modified.date().isoformat() if summary.last_modified else "—"
        detail = QCoreApplication.translate("models.tables", "{downloads:,} downloads · {likes:,} "
                                                             "likes · updated {updated}").format(
                                                            downloads=summary.downloads,
                                                            likes=summary.likes, updated=updated)
        if summary.gated:
            detail += QCoreApplication.translate("models.tables", " · gated: needs a Hugging Face "
                                                                  "token")
        rows.append(RepoRow(summary.repo_id, summary.repo_id, detail, summary.license or "—",
                            catalog=by_repo.get(summary.repo_id.casefold()), summary=summary))
    return rows


class RepoListModel(_RowsModel):
    HEADERS = (QT_TRANSLATE_NOOP("headers", "Model"), QT_TRANSLATE_NOOP("headers", "About"),
               QT_TRANSLATE_NOOP("headers", "License"), QT_TRANSLATE_NOOP("headers", "Speed here"))

    def cell(self, row: Any, column: int, role: int) -> Any:
        repo: RepoRow = row
        if column == 3:  # a search result's sizes are known once its files are listed
            return None if repo.catalog is None else _speed_cell(
                self.speed, repo.catalog.recommended.size_bytes, role)
        if role == Qt.ItemDataRole.ToolTipRole:
            return repo.repo_id
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        return (repo.title, repo.detail, repo.license)[column]


@dataclass(frozen=True)
class FileRow:
    """One quantization of a model: from the Hub (downloadable), or the catalog (offline)."""

    quant: str
    size_bytes: int
    exact: bool
    option: QuantOption | None
    shape: ModelShape
    context_length: int | None = None  # trained, from the catalog


def file_rows(catalog: CatalogModel | None, options: list[QuantOption] | None) -> list[FileRow]:
    """The Hub's files when known (sized with the catalog's architecture when it has one),
    else the catalog's offline list."""
    if options is None:
        if catalog is None:
            return []
        return [FileRow(f.quantization, f.size_bytes, f.size_exact, None,
                        catalog.shape(f.quantization), catalog.context_length)
                for f in catalog.files]
    rows = []
    for option in options:
        if catalog is not None:
            shape = ModelShape(option.size, catalog.block_count, catalog.kv_bytes_per_token,
                               catalog.head_count, catalog.vocab_size, catalog.embedding_length,
                               quantization=option.quant)
        else:
            shape = ModelShape(option.size, 0, None, 0, 0, 0, quantization=option.quant)
        rows.append(FileRow(option.quant, option.size, True, option, shape,
                            catalog.context_length if catalog is not None else None))
    return rows


class FileListModel(_RowsModel):
    HEADERS = (QT_TRANSLATE_NOOP("headers", "Quantization"), QT_TRANSLATE_NOOP("headers", "Files"),
               QT_TRANSLATE_NOOP("headers", "Download size"), QT_TRANSLATE_NOOP("headers",
                                                            "Memory"), QT_TRANSLATE_NOOP("headers",
                                                            "Fits"), QT_TRANSLATE_NOOP("headers",
                                                            "Speed here"),
               QT_TRANSLATE_NOOP("headers", "Longest context"))

    def cell(self, row: Any, column: int, role: int) -> Any:
        file: FileRow = row
        if column == 5:
            return _speed_cell(self.speed, file.size_bytes, role)
        if column == 6:
            return _longest_cell(ContextRoom(file.shape, file.context_length, self.machine),
                                 self.kv_cache_bits, role)
        estimate = estimate_memory(file.shape, self.n_ctx, self.kv_cache_bits)
        if column == 3:
            return _estimate_cell(estimate, role, approximate=not file.exact)
        if column == 4:
            return self._fit_cell(fits(estimate, self.machine), role)
        if role == Qt.ItemDataRole.ToolTipRole and file.option is not None:
            return "\n".join(f"{f.path} ({bytes_text(f.size)})" for f in file.option.files)
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if column == 0:
            return file.quant
        if column == 1:
            if file.option is None:
                return self.tr("1 file")
            count = len(file.option.files)
            return self.tr("{count} parts").format(count=count) if count > 1 else self.tr("1 file")
        return ("" if file.exact else "≈ ") + bytes_text(file.size_bytes)
