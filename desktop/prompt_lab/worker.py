"""The Prompt Lab worker: lives on the engine thread; its model work is the scheduler's jobs.

Tasks, runs and presets are files (engine `LabStore`); tuning is the engine's search, a job of
short scoring steps, so the engine thread keeps serving other requests between them. The model
is shared: tuning is refused while a reply is being written, it holds the model alone while it
runs (chat turns and API requests are refused with `TUNING_REASON`), and a model switch stops
it first (the best candidate so far is kept, as with Stop).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Concatenate, ParamSpec

from PySide6.QtCore import QCoreApplication, QObject, Signal, Slot

from desktop.engine_texts import say
from desktop.engine_worker import EngineWorker
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from desktop.prompt_lab.draft import TaskDraft, build_task
from engine.chat.engine import model_key
from engine.errors import HearthError, PromptLabError
from engine.paths import AppPaths
from engine.prompt_lab.budget import PLANS, Budget, estimate_seconds, layout
from engine.prompt_lab.evaluate import Evaluator
from engine.prompt_lab.fingerprint import engine_fingerprint
from engine.prompt_lab.in_chat import start_preset_chat
from engine.prompt_lab.preset import LabPreset, model_warning, preset_from_result
from engine.prompt_lab.results import CandidateRow, TuneResult
from engine.prompt_lab.scorer import Scorer
from engine.prompt_lab.search import (
    CandidateScored,
    LabEvent,
    SearchFinished,
    SearchProgress,
    SearchStarted,
    tune,
)
from engine.prompt_lab.storage import LabStore
from engine.prompt_lab.task_files import read_examples, write_examples
from engine.prompt_lab.tasks import Task, make_task
from engine.scheduler import Interrupted, Job, Priority

log = logging.getLogger(__name__)

REPORT_INTERVAL_S = 0.1  # progress and new candidate rows reach the GUI at most this often
TUNING_REASON = QT_TRANSLATE_NOOP("prompt_lab.worker", "The Prompt Lab is tuning; stop it or wait.")

_P = ParamSpec("_P")


def reports_errors(
    method: Callable[Concatenate[PromptLabWorker, _P], None],
) -> Callable[Concatenate[PromptLabWorker, _P], None]:
    """An exception in a slot becomes an `errorOccurred` line instead of a lost traceback."""

    def wrapper(self: PromptLabWorker, *args: _P.args, **kwargs: _P.kwargs) -> None:
        try:
            method(self, *args, **kwargs)
        except HearthError as error:
            self.errorOccurred.emit(say(error))
        except Exception as error:
            log.exception("prompt lab worker failed in %s", method.__name__)
            self.errorOccurred.emit(QCoreApplication.translate("prompt_lab.worker", "Unexpected "
                                                                                    "error: "
                                                                                    "{error}")
                                    .format(
        error=error))

    return functools.update_wrapper(wrapper, method)  # type: ignore[return-value]


@dataclass
class _Tuning:
    task: Task
    rows: list[CandidateRow] = field(default_factory=list)  # scored, not yet sent
    progress: SearchProgress | None = None  # the latest, not yet sent
    reported_at: float = 0.0


class PromptLabWorker(QObject):
    tasksListed = Signal(list)  # list[Task]
    taskSaved = Signal(int, object)  # edit number, Task
    taskRefused = Signal(int, str)  # edit number, what the draft still lacks
    taskImported = Signal(object)  # Task
    importFailed = Signal(str)
    exported = Signal(str)  # path
    estimated = Signal(str, object)  # task id, dict[Budget, float] (seconds)
    estimateFailed = Signal(str, str)  # task id, why there is no estimate now
    tuneStarted = Signal(object, object)  # the Task as tuned, SearchStarted
    tuneProgress = Signal(str, object)  # task id, SearchProgress
    candidatesScored = Signal(str, list)  # task id, list[CandidateRow]
    tuneFinished = Signal(object)  # TuneResult, saved with the task's runs
    tuneFailed = Signal(str, str)  # task id, why
    runsListed = Signal(str, list, str)  # task id, list[TuneResult], loaded model's fingerprint
    presetsListed = Signal(list)  # list[LabPreset]
    presetChatStarted = Signal(int, str)  # chat id, a warning about the model ("" if none)
    errorOccurred = Signal(str)

    def __init__(self, paths: AppPaths, engine: EngineWorker) -> None:
        super().__init__()
        self._lab = LabStore.at(paths)
        self._engine = engine
        self._tuning: _Tuning | None = None
        self._estimates: dict[tuple[str, str, int], dict[Budget, float]] = {}
        self._fingerprints: dict[str, str] = {}
        self._scorer: tuple[str, Scorer] | None = None  # model path, its scorer

    @Slot()
    @reports_errors
    def start(self) -> None:
        self.tasksListed.emit(self._lab.tasks())
        self.presetsListed.emit(self._lab.presets())

    # Tasks -------------------------------------------------------------------------------

    @Slot(int, object)
    def save_task(self, number: int, draft: TaskDraft) -> None:
        try:
            task = build_task(draft)
            self._lab.save_task(task)
        except HearthError as error:
            self.taskRefused.emit(number, say(error))
            return
        self.taskSaved.emit(number, task)
        self.tasksListed.emit(self._lab.tasks())

    @Slot(str)
    @reports_errors
    def delete_task(self, task_id: str) -> None:
        self._lab.delete_task(task_id)
        self.tasksListed.emit(self._lab.tasks())

    @Slot(str)
    def import_task(self, path: str) -> None:
        """A new task from a .jsonl or .csv file, named after the file."""
        try:
            file = Path(path)
            task = make_task(file.stem, read_examples(file))
            self._lab.save_task(task)
        except HearthError as error:
            self.importFailed.emit(say(error))
            return
        self.tasksListed.emit(self._lab.tasks())
        self.taskImported.emit(task)

    @Slot(object, str)
    @reports_errors
    def export_examples(self, task: Task, path: str) -> None:
        write_examples(Path(path), task.examples)
        self.exported.emit(path)

    # Estimates and tuning ----------------------------------------------------------------

    @Slot(object)
    def estimate(self, task: Task) -> None:
        """Each budget's time for this task on the loaded model (about two seconds of real
        scoring the first time; remembered per task, model and pool size)."""
        loaded = self._engine.engine.loaded
        if loaded is None:
            self.estimateFailed.emit(task.id, self.tr("No model is loaded."))
            return
        key = (model_key(loaded), task.id, len(task.pool))
        if key in self._estimates:
            self.estimated.emit(task.id, self._estimates[key])
            return
        why = self._busy()
        if why:
            self.estimateFailed.emit(task.id, why)
            return

        def measure() -> Iterator[object]:
            layout(task, PLANS[Budget.QUICK])  # a task too small to tune says so at once
            self._estimates[key] = estimate_seconds(Evaluator(self._scorer_for(key[0])), task)
            self.estimated.emit(task.id, self._estimates[key])
            return iter(())

        def failed(end: BaseException | None) -> None:
            if isinstance(end, HearthError):
                self.estimateFailed.emit(task.id, say(end))
            elif end is not None:
                log.error("could not estimate the budgets", exc_info=end)
                self.estimateFailed.emit(task.id, self.tr("Unexpected error: {end}")
                                                  .format(end=end))

        self._engine.scheduler.submit(Job(self.tr("the Prompt Lab's estimate"), Priority.LAB,
                                          start=measure, on_end=failed))

    def _scorer_for(self, model_path: str) -> Scorer:
        """One scorer per model: it learns which thread count is fastest here, and each new
        one tries them all again (a busy machine makes the wrong count very slow)."""
        if self._scorer is None or self._scorer[0] != model_path:
            self._scorer = (model_path, Scorer(self._engine.engine))
        return self._scorer[1]

    def _busy(self) -> str | None:
        if self._tuning is not None:
            return self.tr("Tuning is running.")
        # The Lab's own estimate may still run or wait: tuning simply follows it.
        if self._engine.scheduler.busy_before(Priority.LAB):
            return self.tr("A reply is being written; wait for it or stop it.")
        return None

    @Slot(str, str, int, object)
    def tune(self, task_id: str, budget: str, seed: int, cancel: threading.Event) -> None:
        """Tunes the task as last saved: edits sent before this request are in it."""
        why = self._busy()
        if why is None and self._engine.engine.loaded is None:
            why = self.tr("No model is loaded.")
        try:
            if why is not None:
                raise PromptLabError(why)
            task = self._lab.load_task(task_id)
            runtime = self._engine.engine
            path = model_key(runtime.loaded) if runtime.loaded else ""
            events = tune(runtime, task, Budget(budget), seed, cancel,
                          scorer=self._scorer_for(path))
        except HearthError as error:
            self.tuneFailed.emit(task_id, say(error))
            return
        tuning = self._tuning = _Tuning(task)
        self._engine.scheduler.submit(Job(
            self.tr("the Prompt Lab's tuning"), Priority.LAB, start=lambda: events,
            on_event=lambda event: self._handle(tuning, event),  # type: ignore[arg-type]
            on_end=lambda end: self._ended(tuning, end),
            after_slice=lambda: self._report_if_due(tuning), cancel=cancel,
            exclusive=translated("prompt_lab.worker", TUNING_REASON), drain_on_interrupt=True))

    def _report_if_due(self, tuning: _Tuning) -> None:
        if time.monotonic() - tuning.reported_at >= REPORT_INTERVAL_S:
            self._report(tuning)

    def _handle(self, tuning: _Tuning, event: LabEvent) -> bool:
        """Takes one search event; True when the search is over."""
        if isinstance(event, SearchStarted):
            self.tuneStarted.emit(tuning.task, event)
        elif isinstance(event, SearchProgress):
            tuning.progress = event
        elif isinstance(event, CandidateScored):
            tuning.rows.append(event.row)
        elif isinstance(event, SearchFinished):
            self._report(tuning)
            self._tuning = None
            result = event.result
            try:
                self._lab.save_run(result)
            except HearthError as error:
                self.errorOccurred.emit(self.tr("The run could not be saved: {error}")
                                        .format(error=say(error)))
            self.tuneFinished.emit(result)
            self.list_runs(result.task_id)
            return True
        return False

    def _report(self, tuning: _Tuning) -> None:
        if tuning.rows:
            self.candidatesScored.emit(tuning.task.id, tuning.rows)
            tuning.rows = []
        if tuning.progress is not None:
            self.tuneProgress.emit(tuning.task.id, tuning.progress)
            tuning.progress = None
        tuning.reported_at = time.monotonic()

    def _ended(self, tuning: _Tuning, end: BaseException | None) -> None:
        """A search that ended without its result (a fault, or closed before it finished)."""
        if self._tuning is not tuning:
            return  # it finished: the result is saved and shown
        self._tuning = None
        if end is None or isinstance(end, Interrupted):
            why = self.tr("The search ended without a result.")
        elif isinstance(end, HearthError):
            why = say(end)
        else:
            log.error("tuning failed", exc_info=end)
            why = self.tr("Tuning failed: {end}").format(end=end)
        self.tuneFailed.emit(tuning.task.id, why)

    @Slot(str)
    @reports_errors
    def list_runs(self, task_id: str) -> None:
        loaded = self._engine.engine.loaded
        fingerprint = ""
        if loaded is not None:
            path = model_key(loaded)
            if path not in self._fingerprints:
                self._fingerprints[path] = engine_fingerprint(loaded)[0]
            fingerprint = self._fingerprints[path]
        self.runsListed.emit(task_id, self._lab.runs(task_id), fingerprint)

    # Presets -----------------------------------------------------------------------------

    @Slot(object, str)
    @reports_errors
    def save_preset(self, result: TuneResult, name: str) -> None:
        self._lab.save_preset(preset_from_result(result, name))
        self.presetsListed.emit(self._lab.presets())

    @Slot(str)
    @reports_errors
    def delete_preset(self, name: str) -> None:
        self._lab.delete_preset(name)
        self.presetsListed.emit(self._lab.presets())

    @Slot(object)
    @reports_errors
    def use_result(self, result: TuneResult) -> None:
        """A new chat with the run's winner, as it was scored (not saved as a preset)."""
        self._start_chat(preset_from_result(result, result.task_name))

    @Slot(str)
    @reports_errors
    def use_preset(self, name: str) -> None:
        self._start_chat(self._lab.load_preset(name))

    def _start_chat(self, preset: LabPreset) -> None:
        runtime = self._engine.engine
        store = self._engine.chat_service().store
        chat = start_preset_chat(store, self._lab, preset, runtime)
        self._engine.chatsListed.emit(store.list_chats())
        self._engine.open_chat(chat.id)
        self.presetChatStarted.emit(chat.id, model_warning(runtime, preset) or "")

    @Slot()
    def shutdown(self) -> None:
        """Stops a search, keeping its best candidate so far with the task's runs."""
        if self._tuning is not None:
            self._engine.scheduler.interrupt(self.tr("Hearth is closing."))
