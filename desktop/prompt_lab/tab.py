"""The Prompt Lab tab: tasks and their examples, tuning with a budget, results, presets.

A view over the Prompt Lab worker: edits are saved through it as they happen (a draft that does
not make a task yet says what it lacks), and tuning, its progress and its results come back as
the worker's signals. The GUI thread never runs the model or touches the disk.
"""

from __future__ import annotations

import uuid

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QHideEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.empty_state import EmptyState
from desktop.engine_client import EngineClient
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from desktop.prompt_lab.editor import TaskEditor, shortcut
from desktop.prompt_lab.results import ResultsPanel
from desktop.prompt_lab.tables import score_text
from engine.host.runtime import LoadedModel
from engine.prompt_lab.budget import Budget
from engine.prompt_lab.preset import LabPreset
from engine.prompt_lab.results import CandidateRow, TuneResult
from engine.prompt_lab.search import SearchProgress, SearchStarted
from engine.prompt_lab.tasks import Metric, Task

TASK_FILES = QT_TRANSLATE_NOOP("prompt_lab.tab", "Task files (*.jsonl *.csv);;JSON Lines "
                                                 "(*.jsonl);;CSV (*.csv);;All files (*)")
STAGES = {"screening": QT_TRANSLATE_NOOP("prompt_lab.tab", "Screening"),
          "validation": QT_TRANSLATE_NOOP("prompt_lab.tab", "Validating the best"),
          "refinement": QT_TRANSLATE_NOOP("prompt_lab.tab", "Refining"),
          "answers": QT_TRANSLATE_NOOP("prompt_lab.tab", "Writing answers"),
          "held-out": QT_TRANSLATE_NOOP("prompt_lab.tab", "Held-out test")}


def duration(seconds: float) -> str:
    if seconds < 90:
        return QCoreApplication.translate("prompt_lab.tab", "about {max} s").format(max=max(1,
                round(seconds)))
    return (QCoreApplication.translate("prompt_lab.tab", "about {value:.0f} min")
            .format(value=seconds / 60))


def _heading(text: str) -> QLabel:
    label = QLabel(f"<b>{text}</b>")
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


class PromptLabTab(QWidget):
    chatStarted = Signal(int)  # chat id of a new chat using a tuned prompt

    def __init__(self, client: EngineClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._client = client
        self._lab = client.prompt_lab
        self.task: Task | None = None  # the saved task the editor shows
        self._draft_id = uuid.uuid4().hex[:12]
        self._edit = 0  # the newest edit sent to be saved
        self._tuning_id: str | None = None
        self._tuning_task: Task | None = None
        self._estimates: dict[Budget, float] | None = None
        self._listed = False  # the task list has come once: at start, open its first task
        self.editor = TaskEditor(self)
        self.editor.edited.connect(self.save_draft)
        self.editor.exportRequested.connect(self.choose_export)

        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet("color: #c62828;")
        self.problem_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem_label.hide()
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self._build_lists())
        splitter.addWidget(self._build_main())
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([190, 910])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.problem_label)
        layout.addWidget(splitter, 1)

        lab = self._lab
        lab.tasksListed.connect(self._on_tasks)
        lab.taskSaved.connect(self._on_task_saved)
        lab.taskRefused.connect(self._on_task_refused)
        lab.taskImported.connect(self.open_task)
        lab.importFailed.connect(self.show_problem)
        lab.exported.connect(lambda path: self.progress_label.setText(self.tr("Exported to {path}.")
                                                                      .format(path=path)))
        lab.estimated.connect(self._on_estimates)
        lab.estimateFailed.connect(self._on_estimate_failed)
        lab.tuneStarted.connect(self._on_tune_started)
        lab.tuneProgress.connect(self._on_tune_progress)
        lab.candidatesScored.connect(self._on_candidates)
        lab.tuneFinished.connect(self._on_tune_finished)
        lab.tuneFailed.connect(self._on_tune_failed)
        lab.runsListed.connect(self._on_runs)
        lab.presetsListed.connect(self._on_presets)
        lab.presetChatStarted.connect(self._on_chat_started)
        lab.errorOccurred.connect(self.show_problem)
        client.modelLoaded.connect(self._on_model_loaded)
        client.replyEnded.connect(lambda *_args: self._estimate_if_missing())
        self.new_task()

    # Layout ------------------------------------------------------------------------------

    def _build_lists(self) -> QWidget:
        box = QWidget(self)
        self.task_list = QListWidget()
        self.task_list.setAccessibleName(self.tr("Tasks"))
        self.task_list.currentItemChanged.connect(self._on_task_chosen)
        EmptyState(self.task_list, self.tr("No tasks yet. Type examples in the table on the right, "
                                           "or "
                                   "Import… a .jsonl or .csv file."))
        self.new_button = QPushButton(self.tr("New"))
        self.new_button.setToolTip(self.tr("A new task, typed in the examples table"))
        self.new_button.clicked.connect(self.new_task)
        self.import_button = QPushButton(self.tr("Import…"))
        self.import_button.setToolTip(self.tr("A new task from a .jsonl or .csv file with input "
                                              "and "
                                      "output columns"))
        self.import_button.clicked.connect(self.choose_import)
        self.delete_button = QPushButton(self.tr("Delete…"))
        self.delete_button.clicked.connect(self.delete_task)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.import_button, self.delete_button):
            buttons.addWidget(button)
        shortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.task_list, self.delete_task)
        shortcut(QKeySequence(Qt.Key.Key_F2), self.task_list, self._rename)

        self.preset_list = QListWidget()
        self.preset_list.setAccessibleName(self.tr("Presets"))
        self.preset_list.currentItemChanged.connect(lambda *_args: self._update_buttons())
        self.preset_list.itemDoubleClicked.connect(lambda _item: self.use_preset())
        EmptyState(self.preset_list, self.tr("No presets yet. Tune a task, then save the best "
                                             "prompt "
                                     "as a preset from Results."))
        self.use_preset_button = QPushButton(self.tr("Use in a new chat"))
        self.use_preset_button.clicked.connect(self.use_preset)
        self.delete_preset_button = QPushButton(self.tr("Delete"))
        self.delete_preset_button.setAccessibleName(self.tr("Delete preset"))
        self.delete_preset_button.clicked.connect(self.delete_preset)
        preset_buttons = QHBoxLayout()
        preset_buttons.addWidget(self.use_preset_button)
        preset_buttons.addWidget(self.delete_preset_button)

        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(_heading(self.tr("Tasks")))
        layout.addWidget(self.task_list, 3)
        layout.addLayout(buttons)
        layout.addWidget(_heading(self.tr("Presets")))
        layout.addWidget(self.preset_list, 2)
        layout.addLayout(preset_buttons)
        return box

    def _build_main(self) -> QWidget:
        box = QWidget(self)
        self.budget_box = QComboBox()
        self.budget_box.setAccessibleName(self.tr("Budget"))
        self.budget_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for budget in Budget:
            self.budget_box.addItem(budget.value.capitalize(), budget)
        self.tune_button = QPushButton(self.tr("Tune"))
        self.tune_button.setToolTip(self.tr("Search for the prompt that works best on this task's "
                                    "examples with the loaded model"))
        self.tune_button.clicked.connect(self.tune)
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop the search and keep the best prompt so far"))
        self.stop_button.clicked.connect(self._lab.stop)
        self.progress_bar = QProgressBar()
        self.progress_bar.setAccessibleName(self.tr("Tuning progress"))
        self.progress_bar.setMaximumWidth(160)
        self.progress_bar.hide()
        self.progress_label = QLabel()
        self.progress_label.setWordWrap(True)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(self.tr("Budget:")))
        bar.addWidget(self.budget_box)
        bar.addWidget(self.tune_button)
        bar.addWidget(self.stop_button)
        bar.addWidget(self.progress_bar)
        bar.addWidget(self.progress_label, 1)

        self.pages = QTabWidget()
        self.pages.addTab(self.editor, self.tr("Task"))
        self.results = ResultsPanel()
        self.results.savePresetRequested.connect(lambda result: self.save_preset(result))
        self.results.useInChatRequested.connect(self._lab.use_result)
        self.pages.addTab(self.results, self.tr("Results"))

        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.pages, 1)
        return box

    # Tasks -------------------------------------------------------------------------------

    def new_task(self) -> None:
        """An empty draft with two rows to type in; it is saved once it makes a task."""
        self.editor.flush()
        self.task = None
        self._draft_id = uuid.uuid4().hex[:12]
        self._show(None)
        self._select_in_list(None)
        self.pages.setCurrentIndex(0)
        self._update_buttons()

    def open_task(self, task: Task) -> None:
        self.editor.flush()
        self.task = task
        self._draft_id = task.id
        self._show(task)
        self._select_in_list(task.id)
        self._lab.list_runs(task.id)
        self._request_estimates()
        self._update_buttons()

    def _show(self, task: Task | None) -> None:
        self.editor.fill(task)
        self.results.clear()
        self._estimates = None
        self._show_budgets()

    def save_draft(self) -> None:
        self._edit = self._lab.save_task(self.editor.draft(self._draft_id))

    def _on_task_saved(self, number: int, task: Task) -> None:
        if task.id != self._draft_id or number != self._edit:
            return  # another task's, or overtaken by a newer edit
        pool_before = len(self.task.pool) if self.task else None
        self.task = task
        self.editor.show_saved(task)
        if len(task.pool) != pool_before:
            self._estimates = None
            self._request_estimates()
        self._update_buttons()

    def _on_task_refused(self, number: int, why: str) -> None:
        if number == self._edit:
            self.editor.show_refused(why)
            self._update_buttons()

    def _rename(self) -> None:
        self.pages.setCurrentIndex(0)
        self.editor.focus_name()

    def choose_import(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self,
            self.tr("Import a task"), "", translated("prompt_lab.tab", TASK_FILES))
        if path:
            self.import_file(path)

    def import_file(self, path: str) -> None:
        self.show_problem("")
        self._lab.import_task(path)

    def choose_export(self) -> None:
        if self.task is None:
            return
        path, chosen = QFileDialog.getSaveFileName(
            self, self.tr("Export the examples"), f"{self.task.name}.jsonl",
            self.tr("JSON Lines (*.jsonl);;CSV (*.csv)"))
        if path:
            if not path.lower().endswith((".jsonl", ".csv")):
                path += ".csv" if "CSV" in chosen else ".jsonl"
            self.export_file(path)

    def export_file(self, path: str) -> None:
        if self.task is not None:
            self._lab.export_examples(self.task, path)

    def delete_task(self) -> None:
        task = self.task
        if task is None:
            self.new_task()
            return
        answer = QMessageBox.question(
            self, self.tr("Delete {name}?").format(name=task.name),
            self.tr("Delete the task “{name}” and its {count} examples? Its past runs stay on "
                    "disk.").format(name=task.name, count=len(task.examples)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            self._lab.delete_task(task.id)
            self.new_task()

    def _on_tasks(self, tasks: list[Task]) -> None:
        self.task_list.blockSignals(True)
        self.task_list.clear()
        for task in tasks:
            item = QListWidgetItem(task.name)
            item.setData(Qt.ItemDataRole.UserRole, task)
            item.setToolTip(self.tr("{count} examples, {replace}")
                .format(count=len(task.examples), replace=task.kind.value.replace('_', ' ')))
            self.task_list.addItem(item)
        self.task_list.blockSignals(False)
        self._select_in_list(self._draft_id)
        if not self._listed and tasks and self.task is None and not any(
                text.strip() for pair in self.editor.examples.pairs() for text in pair):
            self.open_task(tasks[0])  # at start: the first task rather than an empty draft
        self._listed = True

    def _select_in_list(self, task_id: str | None) -> None:
        self.task_list.blockSignals(True)
        self.task_list.setCurrentRow(-1)
        for row in range(self.task_list.count()):
            task = self.task_list.item(row).data(Qt.ItemDataRole.UserRole)
            if task.id == task_id:
                self.task_list.setCurrentRow(row)
        self.task_list.blockSignals(False)

    def _on_task_chosen(self, item: QListWidgetItem | None, _previous: object) -> None:
        if item is not None:
            task: Task = item.data(Qt.ItemDataRole.UserRole)
            if task.id != self._draft_id:
                self.open_task(task)

    # Budgets and tuning --------------------------------------------------------------------

    def _request_estimates(self) -> None:
        if self.task is not None and self._tuning_id is None:
            self._lab.estimate(self.task)

    def _estimate_if_missing(self) -> None:
        if self._estimates is None:
            self._request_estimates()

    def _on_estimates(self, task_id: str, estimates: dict[Budget, float]) -> None:
        if self.task is not None and task_id == self.task.id:
            self._estimates = estimates
            self._show_budgets()
            if self._tuning_id is None:
                self.progress_label.setText("")

    def _on_estimate_failed(self, task_id: str, why: str) -> None:
        if self.task is not None and task_id == self.task.id and self._tuning_id is None:
            self.progress_label.setText(why)

    def _show_budgets(self) -> None:
        for index in range(self.budget_box.count()):
            budget = Budget(self.budget_box.itemData(index))
            name = budget.value.capitalize()
            seconds = self._estimates.get(budget) if self._estimates else None
            self.budget_box.setItemText(
                index, name if seconds is None else f"{name} · {duration(seconds)}")
        self.budget_box.setToolTip(self.tr("Estimated from a short measurement of this model on "
                                           "this "
                                   "task, on this computer") if self._estimates
                                   else self.tr("The time is measured once a model is loaded"))

    def tune(self) -> None:
        self.editor.flush()
        task = self.task
        if task is None or self._tuning_id is not None:
            return
        self.show_problem("")
        self._tuning_id, self._tuning_task = task.id, None
        self._lab.tune(task.id, Budget(self.budget_box.currentData()))
        self.progress_label.setText(self.tr("Starting…"))
        self.pages.setCurrentWidget(self.results)
        self._update_buttons()

    def _showing_tuned_task(self) -> bool:
        return self.task is not None and self.task.id == self._tuning_id

    def _on_tune_started(self, task: Task, started: SearchStarted) -> None:
        self._tuning_task = task
        self.progress_bar.setRange(0, started.passes_total)
        self.progress_bar.setValue(0)
        self.progress_bar.show()
        if self._showing_tuned_task():
            self.results.start_run(task, started)

    def _on_tune_progress(self, task_id: str, progress: SearchProgress) -> None:
        self.progress_bar.setRange(0, progress.passes_total)
        self.progress_bar.setValue(progress.passes_done)
        task = self._tuning_task
        metric = task.metric if task else Metric.ACCURACY
        best = "—" if progress.best_score is None else (
            score_text(metric, progress.best_score)
            if 0 <= progress.best_score <= 1 else f"{progress.best_score:.2f}")
        left = ("" if progress.seconds_left is None
                else self.tr(" · {duration} left").format(duration=duration(progress.seconds_left)))
        stage = translated("prompt_lab.tab", STAGES).get(progress.stage, progress.stage)
        self.progress_label.setText(
            self.tr("{stage}: {candidates_left} candidates in play · best so far {best}{left}")
            .format(stage=stage, candidates_left=progress.candidates_left, best=best,
                    left=left))
        if self._showing_tuned_task():
            self.results.add_progress(progress)

    def _on_candidates(self, task_id: str, rows: list[CandidateRow]) -> None:
        if self._showing_tuned_task():
            self.results.add_candidates(rows)

    def _on_tune_finished(self, result: TuneResult) -> None:
        self._end_tuning()
        how = self.tr("Stopped") if result.stopped else self.tr("Finished")
        self.progress_label.setText(self.tr("{how} after {seconds:.0f} s")
                                    .format(how=how, seconds=result.seconds)
                                    + (self.tr("; the best prompt so far is kept.") if result
                                       .stopped
                                       else "."))
        if self.task is not None and self.task.id == result.task_id:
            self.results.show_result(result)
        self._request_estimates()

    def _on_tune_failed(self, task_id: str, why: str) -> None:
        self._end_tuning()
        self.progress_label.setText("")
        self.show_problem(why)

    def _end_tuning(self) -> None:
        self._tuning_id = self._tuning_task = None
        self.progress_bar.hide()
        self._update_buttons()

    def _on_runs(self, task_id: str, runs: list[TuneResult], fingerprint: str) -> None:
        if self.task is not None and task_id == self.task.id:
            self.results.set_runs(runs, fingerprint)

    def _on_model_loaded(self, _model: LoadedModel, _backend: object) -> None:
        self._estimates = None
        self._show_budgets()
        if self.task is not None:
            self._request_estimates()
            self._lab.list_runs(self.task.id)

    # Presets -----------------------------------------------------------------------------

    def save_preset(self, result: TuneResult, name: str | None = None) -> None:
        if name is None:
            name, accepted = QInputDialog.getText(
                self, self.tr("Save as preset"), self.tr("Preset name (a preset of the same name "
                                                         "is replaced):"),
                QLineEdit.EchoMode.Normal, result.task_name)
            if not accepted or not name.strip():
                return
        self._lab.save_preset(result, name)

    def _on_presets(self, presets: list[LabPreset]) -> None:
        self.preset_list.clear()
        for preset in presets:
            item = QListWidgetItem(preset.name)
            item.setData(Qt.ItemDataRole.UserRole, preset.name)
            measured = ("" if preset.test_score is None else
                        self.tr(", held-out {score_text} on {test_n}")
                        .format(score_text=score_text(preset.metric, preset.test_score),
                                test_n=preset.test_n))
            item.setToolTip(self.tr("{task_name}: tuned on {model_name}{measured}")
                            .format(task_name=preset.task_name, model_name=preset.model_name,
                                    measured=measured))
            self.preset_list.addItem(item)
        self._update_buttons()

    def _selected_preset(self) -> str | None:
        item = self.preset_list.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def use_preset(self) -> None:
        name = self._selected_preset()
        if name is not None:
            self._lab.use_preset(name)

    def delete_preset(self) -> None:
        name = self._selected_preset()
        if name is None:
            return
        answer = QMessageBox.question(
            self, self.tr("Delete {name}?").format(name=name),
            self.tr("Delete the preset “{name}”? Chats that use it keep working.")
            .format(name=name),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Yes:
            self._lab.delete_preset(name)

    def _on_chat_started(self, chat_id: int, warning: str) -> None:
        self.show_problem(warning)
        self.chatStarted.emit(chat_id)

    # State -------------------------------------------------------------------------------

    def show_problem(self, text: str) -> None:
        """Problems show in the tab, not in a dialog: tuning can fail while the person is in
        another tab."""
        self.problem_label.setText(text)
        self.problem_label.setVisible(bool(text))

    def _update_buttons(self) -> None:
        tuning = self._tuning_id is not None
        valid = self.editor.valid
        self.tune_button.setEnabled(valid and not tuning)
        self.stop_button.setEnabled(tuning)
        self.editor.export_button.setEnabled(self.task is not None)
        self.delete_button.setEnabled(self.task is not None)
        chosen = self._selected_preset() is not None
        self.use_preset_button.setEnabled(chosen)
        self.delete_preset_button.setEnabled(chosen)

    def hideEvent(self, event: QHideEvent) -> None:
        self.editor.flush()
        super().hideEvent(event)
