"""The Prompt Lab's task editor: name, kind with its labels or metric, instruction, and the
examples table, edited in place.

It holds what is typed, even a draft that does not make a task yet; the tab saves it through
the worker when `edited` fires (typing in a field fires it a moment after the last key).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.i18n import translated
from desktop.prompt_lab.draft import TaskDraft, labels_from_text
from desktop.prompt_lab.results import METRIC_NAMES
from desktop.prompt_lab.tables import ExamplesModel
from engine.prompt_lab.tasks import Metric, Task, TaskKind, infer_labels

KINDS = (("Automatic (from the outputs)", None), ("Classification", TaskKind.CLASSIFICATION),
         ("Free text", TaskKind.FREE_TEXT))
TEXT_METRICS = (Metric.CHRF, Metric.ROUGE_L, Metric.EXACT, Metric.CONTAINS, Metric.REGEX,
                Metric.JSON, Metric.JSON_FIELDS)
TYPING_SAVE_MS = 400  # typed fields are saved this long after the last key


def shortcut(keys: QKeySequence, widget: QWidget, slot: Callable[[], None]) -> None:
    """A key that acts only while `widget` has the focus."""
    made = QShortcut(keys, widget)
    made.setContext(Qt.ShortcutContext.WidgetShortcut)
    made.activated.connect(slot)


class TaskEditor(QWidget):
    edited = Signal()  # what is shown changed and should be saved
    exportRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.task: Task | None = None  # the saved task the fields came from, or last saved
        self._filling = False  # the fields are being filled, not edited
        self.examples = ExamplesModel()
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(TYPING_SAVE_MS)
        self._save_timer.timeout.connect(self.edited)
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName(self.tr("Task name"))
        self.name_edit.textEdited.connect(lambda _text: self._typed())
        self.kind_box = QComboBox()
        self.kind_box.setAccessibleName(self.tr("Kind of task"))
        for text, kind in KINDS:
            self.kind_box.addItem(text, kind)
        self.kind_box.activated.connect(lambda _index: self._kind_changed())
        self.kind_label = QLabel()
        kind_row = QHBoxLayout()
        kind_row.addWidget(self.kind_box)
        kind_row.addWidget(self.kind_label, 1)
        self.labels_edit = QLineEdit()
        self.labels_edit.setAccessibleName(self.tr("Labels"))
        self.labels_edit.setPlaceholderText(self.tr("From the outputs; or type them: positive, "
                                                    "negative"))
        self.labels_edit.textEdited.connect(lambda _text: self._typed())
        self.metric_box = QComboBox()
        self.metric_box.setAccessibleName(self.tr("Metric"))
        for metric in TEXT_METRICS:
            self.metric_box.addItem(translated("prompt_lab.results", METRIC_NAMES)[metric], metric)
        self.metric_box.activated.connect(lambda _index: self._kind_changed())
        self.pattern_edit = QLineEdit()
        self.pattern_edit.setAccessibleName(self.tr("Regular expression"))
        self.pattern_edit.setPlaceholderText(self.tr("The regular expression a right answer "
                                                     "matches"))
        self.pattern_edit.textEdited.connect(lambda _text: self._typed())
        metric_row = QHBoxLayout()
        metric_row.addWidget(self.metric_box)
        metric_row.addWidget(self.pattern_edit, 1)
        self.instruction_edit = QPlainTextEdit()
        self.instruction_edit.setAccessibleName(self.tr("Your instruction"))
        self.instruction_edit.setPlaceholderText(
            self.tr("Optional: your own instruction; the search also tries small edits of it"))
        self.instruction_edit.setMaximumHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        self.instruction_edit.setTabChangesFocus(True)
        self.instruction_edit.textChanged.connect(self._typed)
        self.form = QFormLayout()
        self.form.addRow(self.tr("Name:"), self.name_edit)
        self.form.addRow(self.tr("Kind:"), kind_row)
        self.form.addRow(self.tr("Labels:"), self.labels_edit)
        self.form.addRow(self.tr("Metric:"), metric_row)
        self.form.addRow(self.tr("Instruction:"), self.instruction_edit)

        self.examples_view = QTableView()
        self.examples_view.setModel(self.examples)
        self.examples_view.setAccessibleName(self.tr("Examples: input and expected output"))
        self.examples_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.examples_view.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.examples_view.setWordWrap(False)
        self.examples_view.verticalHeader().setDefaultSectionSize(
            self.fontMetrics().height() + 6)
        header = self.examples_view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.examples_view.setColumnWidth(1, 200)
        self.examples.edited.connect(self.edited)
        shortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.examples_view,
                 self.remove_examples)

        self.add_button = QPushButton(self.tr("Add example"))
        self.add_button.clicked.connect(self.add_example)
        self.remove_button = QPushButton(self.tr("Remove"))
        self.remove_button.setToolTip(self.tr("Remove the selected examples (Delete)"))
        self.remove_button.clicked.connect(self.remove_examples)
        self.export_button = QPushButton(self.tr("Export…"))
        self.export_button.setToolTip(self.tr("Save the examples as .jsonl or .csv"))
        self.export_button.clicked.connect(self.exportRequested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        self.split_label = QLabel()
        self.split_label.setWordWrap(True)
        self.task_status = QLabel()
        self.task_status.setWordWrap(True)
        self.task_status.setStyleSheet("color: #c62828;")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(self.form)
        layout.addWidget(self.examples_view, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.split_label)
        layout.addWidget(self.task_status)

    def fill(self, task: Task | None) -> None:
        """Shows a saved task, or (None) a new draft with two rows to type in."""
        self._save_timer.stop()
        self._filling = True
        try:
            self.task = task
            self.name_edit.setText(task.name if task else self.tr("New task"))
            self.kind_box.setCurrentIndex(0)
            self.labels_edit.setText("")
            if task is not None and task.kind is TaskKind.FREE_TEXT:
                self.kind_box.setCurrentIndex(self.kind_box.findData(task.kind))
                self.metric_box.setCurrentIndex(max(0, self.metric_box.findData(task.metric)))
            elif task is not None and task.labels != infer_labels([e.output
                                                                   for e in task.examples]):
                self.labels_edit.setText(", ".join(task.labels))  # chosen, not inferred
            self.pattern_edit.setText(task.pattern if task else "")
            self.instruction_edit.setPlainText(task.instruction if task else "")
            self.examples.set_task(task)
            if task is None:
                self.examples.add_row()
                self.examples.add_row()
            self.task_status.setText(
                "" if task else self.tr("Type at least two examples: an input and its expected "
                                        "output."))
        finally:
            self._filling = False
        self._show_facts()

    def draft(self, task_id: str) -> TaskDraft:
        kind = self._chosen_kind()
        return TaskDraft(
            task_id=task_id,
            name=self.name_edit.text(),
            kind=kind,
            labels=labels_from_text(self.labels_edit.text()) if kind is not TaskKind.FREE_TEXT
            else (),
            instruction=self.instruction_edit.toPlainText(),
            metric=Metric(self.metric_box.currentData()),
            pattern=self.pattern_edit.text(),
            rows=self.examples.pairs(),
        )

    def flush(self) -> None:
        """Fires `edited` now for what was typed in the last moments, if anything."""
        if self._save_timer.isActive():
            self._save_timer.stop()
            self.edited.emit()

    def show_saved(self, task: Task) -> None:
        self.task = task
        self.examples.show_splits(task)
        self.task_status.setText("")
        self._show_facts()

    def show_refused(self, why: str) -> None:
        self.task_status.setText(why)

    @property
    def valid(self) -> bool:
        """What is shown made the saved task (no edit since was refused)."""
        return self.task is not None and not self.task_status.text()

    def focus_name(self) -> None:
        self.name_edit.setFocus()
        self.name_edit.selectAll()

    def _chosen_kind(self) -> TaskKind | None:
        data = self.kind_box.currentData()
        return TaskKind(data) if data else None

    def _typed(self) -> None:
        if not self._filling:
            self._save_timer.start()

    def _kind_changed(self) -> None:
        self._show_facts()
        self.edited.emit()

    def _show_facts(self) -> None:
        """The labels or metric, the rows that apply to the kind, and the split."""
        task = self.task
        kind = self._chosen_kind() or (task.kind if task else TaskKind.CLASSIFICATION)
        free = kind is TaskKind.FREE_TEXT
        self.form.setRowVisible(2, not free)
        self.form.setRowVisible(3, free)
        self.pattern_edit.setVisible(free and self.metric_box.currentData() == Metric.REGEX)
        if task is None:
            self.kind_label.setText("")
            self.split_label.setText("")
            return
        if task.kind is TaskKind.CLASSIFICATION:
            self.kind_label.setText(self.tr("{count} labels: {join}")
                                    .format(count=len(task.labels), join=', '.join(task.labels)))
        else:
            self.kind_label.setText(self.tr("Free text, scored by {METRIC_NAMES}")
                .format(METRIC_NAMES=translated("prompt_lab.results", METRIC_NAMES)[task.metric]))
        pool, test = len(task.pool), len(task.test)
        self.split_label.setText(
            self.tr("{count} examples: {pool} in the pool the search may use (as demos or to "
                    "compare candidates), {test} held out for the final test, never shown to the "
                    "search.").format(count=len(task.examples), pool=pool, test=test))

    def add_example(self) -> None:
        row = self.examples.add_row()
        index = self.examples.index(row, 0)
        self.examples_view.setCurrentIndex(index)
        self.examples_view.edit(index)

    def remove_examples(self) -> None:
        rows = [index.row() for index in self.examples_view.selectionModel().selectedRows()]
        if rows:
            self.examples.remove_rows(rows)
