"""The GUI's handle on the Prompt Lab worker, which runs on the engine thread.

Requests go out as queued signals; the worker's signals are re-emitted here, on the GUI thread.
Stop sets the search's `threading.Event` directly, as the chat's Stop does.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from desktop.engine_worker import EngineWorker
from desktop.prompt_lab.draft import TaskDraft
from desktop.prompt_lab.worker import PromptLabWorker
from engine.paths import AppPaths
from engine.prompt_lab.budget import Budget
from engine.prompt_lab.results import TuneResult
from engine.prompt_lab.tasks import Task

_FORWARDED = (
    "tasksListed", "taskSaved", "taskRefused", "taskImported", "importFailed", "exported",
    "estimated", "estimateFailed", "tuneStarted", "tuneProgress", "candidatesScored",
    "tuneFinished", "tuneFailed", "runsListed", "presetsListed", "presetChatStarted",
    "errorOccurred",
)


class PromptLabClient(QObject):
    tasksListed = Signal(list)
    taskSaved = Signal(int, object)
    taskRefused = Signal(int, str)
    taskImported = Signal(object)
    importFailed = Signal(str)
    exported = Signal(str)
    estimated = Signal(str, object)
    estimateFailed = Signal(str, str)
    tuneStarted = Signal(object, object)
    tuneProgress = Signal(str, object)
    candidatesScored = Signal(str, list)
    tuneFinished = Signal(object)
    tuneFailed = Signal(str, str)
    runsListed = Signal(str, list, str)
    presetsListed = Signal(list)
    presetChatStarted = Signal(int, str)
    errorOccurred = Signal(str)

    _startRequested = Signal()
    _saveTaskRequested = Signal(int, object)
    _deleteTaskRequested = Signal(str)
    _importRequested = Signal(str)
    _exportRequested = Signal(object, str)
    _estimateRequested = Signal(object)
    _tuneRequested = Signal(str, str, int, object)
    _runsRequested = Signal(str)
    _savePresetRequested = Signal(object, str)
    _deletePresetRequested = Signal(str)
    _useResultRequested = Signal(object)
    _usePresetRequested = Signal(str)
    _shutdownRequested = Signal()

    def __init__(self, thread: QThread, paths: AppPaths, engine: EngineWorker,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = PromptLabWorker(paths, engine)
        self.worker.moveToThread(thread)
        self._edits = 0
        self._cancel: threading.Event | None = None
        self.tuning = False  # from the request until the worker reports the end
        for signal, slot in (
            (self._startRequested, self.worker.start),
            (self._saveTaskRequested, self.worker.save_task),
            (self._deleteTaskRequested, self.worker.delete_task),
            (self._importRequested, self.worker.import_task),
            (self._exportRequested, self.worker.export_examples),
            (self._estimateRequested, self.worker.estimate),
            (self._tuneRequested, self.worker.tune),
            (self._runsRequested, self.worker.list_runs),
            (self._savePresetRequested, self.worker.save_preset),
            (self._deletePresetRequested, self.worker.delete_preset),
            (self._useResultRequested, self.worker.use_result),
            (self._usePresetRequested, self.worker.use_preset),
            (self._shutdownRequested, self.worker.shutdown),
        ):
            signal.connect(slot)
        for name in _FORWARDED:
            getattr(self.worker, name).connect(getattr(self, name))
        self.tuneFinished.connect(self._mark_idle)
        self.tuneFailed.connect(self._mark_idle)

    def _mark_idle(self, *_args: Any) -> None:
        self.tuning = False

    def start(self) -> None:
        self._startRequested.emit()

    def save_task(self, draft: TaskDraft) -> int:
        """Saves the draft as a task; the answer (taskSaved or taskRefused) carries the number
        returned here, so an answer overtaken by a newer edit can be told apart."""
        self._edits += 1
        self._saveTaskRequested.emit(self._edits, draft)
        return self._edits

    def delete_task(self, task_id: str) -> None:
        self._deleteTaskRequested.emit(task_id)

    def import_task(self, path: str) -> None:
        self._importRequested.emit(path)

    def export_examples(self, task: Task, path: str) -> None:
        self._exportRequested.emit(task, path)

    def estimate(self, task: Task) -> None:
        self._estimateRequested.emit(task)

    def tune(self, task_id: str, budget: Budget, seed: int = 0) -> None:
        """Tunes the task as saved by the edits sent before this call."""
        # A fresh event per run: a Stop pressed before the worker starts is never lost.
        self._cancel = threading.Event()
        self.tuning = True
        self._tuneRequested.emit(task_id, budget.value, seed, self._cancel)

    def stop(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def list_runs(self, task_id: str) -> None:
        self._runsRequested.emit(task_id)

    def save_preset(self, result: TuneResult, name: str) -> None:
        self._savePresetRequested.emit(result, name)

    def delete_preset(self, name: str) -> None:
        self._deletePresetRequested.emit(name)

    def use_result(self, result: TuneResult) -> None:
        self._useResultRequested.emit(result)

    def use_preset(self, name: str) -> None:
        self._usePresetRequested.emit(name)

    def shutdown(self) -> None:
        """Stops a search at once and asks the worker to keep its best so far; queued before
        the engine worker's own shutdown, so it runs first on that thread."""
        self.stop()
        self._shutdownRequested.emit()
