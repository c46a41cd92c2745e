"""The GUI's one handle on the engine: it owns the engine thread and talks to it by signals.

Requests go out as queued signals; results come back as the worker's signals, which Qt delivers
on the GUI thread. Stop is the exception: it sets the running reply's `threading.Event`
directly, because a worker inside llama.cpp handles no queued signals until it returns.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal

from desktop.api.client import ApiClient
from desktop.engine_worker import EngineWorker
from desktop.models.client import ModelsClient
from desktop.prompt_lab.client import PromptLabClient
from desktop.welcome.client import FirstRunClient
from engine.config import AppConfig
from engine.documents.reading import Document
from engine.documents.route import Route
from engine.documents.summarize import SummaryOptions
from engine.paths import AppPaths

_FORWARDED = (
    "configLoaded", "modelLoading", "modelLoaded", "modelFailed", "chatsListed", "chatOpened",
    "contextChanged", "contextUsage", "replyStarted", "promptProgress", "replyDelta",
    "reasoningDelta", "replyFinished", "replyEnded",
    "turnRefused", "contextFull", "chatDeleted", "searchResults", "exported", "errorOccurred",
    "documentReady", "documentFailed", "summaryStatus", "turnHeld", "chatCollections",
)


class EngineClient(QObject):
    # The worker's signals, re-emitted on the GUI thread: slots and lambdas connected here run
    # on the GUI thread, whatever they touch.
    configLoaded = Signal(object, object)
    modelLoading = Signal(str)
    modelLoaded = Signal(object, object)
    modelFailed = Signal(str)
    chatsListed = Signal(list)
    chatOpened = Signal(object, list, object)
    contextChanged = Signal(object)
    contextUsage = Signal(int, int, int)
    replyStarted = Signal(int, object)
    promptProgress = Signal(int, int, int)
    replyDelta = Signal(int, int, str)
    reasoningDelta = Signal(int, int, str)
    replyFinished = Signal(int, object, object)
    replyEnded = Signal(int, object)
    turnRefused = Signal(int, str, str, str)
    contextFull = Signal(int, str, str, str, object)
    chatDeleted = Signal(int, str)
    searchResults = Signal(str, list)
    exported = Signal(str)
    errorOccurred = Signal(str)
    documentReady = Signal(int, object, int)
    documentFailed = Signal(int, str)
    summaryStatus = Signal(int, str, float, object)
    turnHeld = Signal(int, str)  # chat_id, why it waits
    # chat_id, its attached collections, all named ones (list[CollectionRecord] each)
    chatCollections = Signal(int, list, list)

    _startRequested = Signal()
    _loadModelRequested = Signal(str)
    _defaultModelRequested = Signal(str)
    _draftModelRequested = Signal(str, str)  # the model's path, the draft's ("": none)
    _newChatRequested = Signal()
    _openChatRequested = Signal(int)
    _renameRequested = Signal(int, str)
    _deleteRequested = Signal(int)
    _restoreRequested = Signal(int)
    _turnRequested = Signal(int, str, str, object, object)
    _documentTurnRequested = Signal(int, str, object, int, object)
    _summaryRequested = Signal(int, object, int, object, object)
    _documentRequested = Signal(int, str, str)
    _searchRequested = Signal(str)
    _versionRequested = Signal(int, int, int)
    _exportRequested = Signal(int, str, str)
    _chatSettingsRequested = Signal(int, object)
    _chatSettingsChanged = Signal(int, object)
    _policyRequested = Signal(int, str)
    _chatCollectionsRequested = Signal(int)
    _attachRequested = Signal(int, int)
    _detachRequested = Signal(int, int)
    _configRequested = Signal(object)
    _shutdownRequested = Signal()
    # Emitted as shutdown() begins, for helpers with threads of their own (remote engines).
    shuttingDown = Signal()

    def __init__(self, paths: AppPaths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("hearth-engine")
        self.worker = EngineWorker(paths)
        self.worker.moveToThread(self._thread)
        self.models = ModelsClient(self._thread, paths, self)
        self.prompt_lab = PromptLabClient(self._thread, paths, self.worker, self)
        self.api = ApiClient(self._thread, self.worker, self)
        self.first_run = FirstRunClient(self._thread, paths, self.worker, self)
        self._cancel: threading.Event | None = None
        self._documents = 0
        self.busy = False
        self._shut_down = False
        self.config = AppConfig()
        for signal, slot in (
            (self._startRequested, self.worker.start),
            (self._loadModelRequested, self.worker.load_model),
            (self._defaultModelRequested, self.worker.set_default_model),
            (self._draftModelRequested, self.worker.set_draft_model),
            (self._newChatRequested, self.worker.new_chat),
            (self._openChatRequested, self.worker.open_chat),
            (self._renameRequested, self.worker.rename_chat),
            (self._deleteRequested, self.worker.delete_chat),
            (self._restoreRequested, self.worker.restore_chat),
            (self._turnRequested, self.worker.run_turn),
            (self._documentTurnRequested, self.worker.run_document_turn),
            (self._summaryRequested, self.worker.run_summary),
            (self._documentRequested, self.worker.prepare_document),
            (self._searchRequested, self.worker.search),
            (self._versionRequested, self.worker.show_version),
            (self._exportRequested, self.worker.export_chat),
            (self._chatSettingsRequested, self.worker.save_chat_settings),
            (self._chatSettingsChanged, self.worker.change_chat_settings),
            (self._policyRequested, self.worker.set_context_policy),
            (self._chatCollectionsRequested, self.worker.list_chat_collections),
            (self._attachRequested, self.worker.attach_collection),
            (self._detachRequested, self.worker.detach_collection),
            (self._configRequested, self.worker.save_config),
            (self._shutdownRequested, self.worker.shutdown),
        ):
            signal.connect(slot)
        for name in _FORWARDED:
            getattr(self.worker, name).connect(getattr(self, name))
        self.configLoaded.connect(self._remember_config)
        # Busy from the request until the worker says the turn ended or never started.
        self.replyStarted.connect(self._mark_busy)
        self.replyEnded.connect(self._mark_idle)
        self.turnRefused.connect(self._mark_idle)
        self.contextFull.connect(self._mark_idle)
        # Direct: the GUI thread is blocked in wait() and could not run a queued quit.
        self.worker.stopped.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)

    def start(self) -> None:
        self._thread.start()
        # The model list first: it is quick, and the model load that start() begins is not.
        self.models.start()
        self.prompt_lab.start()
        self.first_run.start()
        self._startRequested.emit()

    def _remember_config(self, config: AppConfig, _notice: object) -> None:
        self.config = config

    def _mark_busy(self, *_args: Any) -> None:
        self.busy = True

    def _mark_idle(self, *_args: Any) -> None:
        self.busy = False

    def load_model(self, name_or_path: str) -> None:
        self._loadModelRequested.emit(name_or_path)

    def set_default_model(self, key: str) -> None:
        self._defaultModelRequested.emit(key)

    def set_draft_model(self, model: str, draft: str) -> None:
        """Has the model at `draft` ("": none) draft the replies of the one at `model`."""
        self._draftModelRequested.emit(model, draft)

    def new_chat(self) -> None:
        self._newChatRequested.emit()

    def open_chat(self, chat_id: int) -> None:
        self._openChatRequested.emit(chat_id)

    def rename_chat(self, chat_id: int, title: str) -> None:
        self._renameRequested.emit(chat_id, title)

    def delete_chat(self, chat_id: int) -> None:
        self._deleteRequested.emit(chat_id)

    def restore_chat(self, chat_id: int) -> None:
        self._restoreRequested.emit(chat_id)

    def send(self, chat_id: int, text: str) -> None:
        self.run_turn(chat_id, "send", text)

    def regenerate(self, chat_id: int, route: Route | None = None) -> None:
        """The last reply again; in a chat with a long document, `route` chooses the way it
        is answered (None: as the question's words suggest)."""
        self.run_turn(chat_id, "regenerate", "", route)

    def edit_last(self, chat_id: int, text: str) -> None:
        self.run_turn(chat_id, "edit", text)

    def run_turn(self, chat_id: int, kind: str, text: str, route: Route | None = None) -> None:
        self._turnRequested.emit(chat_id, kind, text, route, self._fresh_cancel())

    def send_with_document(self, chat_id: int, text: str, document: Document,
                           tokens: int) -> None:
        self._documentTurnRequested.emit(chat_id, text, document, tokens, self._fresh_cancel())

    def summarize(self, chat_id: int, document: Document, tokens: int,
                  options: SummaryOptions) -> None:
        self._summaryRequested.emit(chat_id, document, tokens, options, self._fresh_cancel())

    def prepare_document(self, path: str = "", pasted: str = "") -> int:
        """Reads a file, or takes pasted text, on the engine thread; the answer (documentReady
        or documentFailed) carries the number returned here."""
        self._documents += 1
        self._documentRequested.emit(self._documents, path, pasted)
        return self._documents

    def _fresh_cancel(self) -> threading.Event:
        # A fresh event per turn: a Stop pressed before the worker starts is never lost.
        self._cancel = threading.Event()
        self.busy = True
        return self._cancel

    def stop(self) -> None:
        if self._cancel is not None:
            self._cancel.set()

    def search(self, query: str) -> None:
        self._searchRequested.emit(query)

    def show_version(self, chat_id: int, message_id: int, step: int) -> None:
        """Shows the version of a message `step` places after it (before, when negative), and
        that version's own continuation; chatOpened brings the chat as it then reads."""
        self._versionRequested.emit(chat_id, message_id, step)

    def export_chat(self, chat_id: int, path: str, fmt: str) -> None:
        self._exportRequested.emit(chat_id, path, fmt)

    def save_chat_settings(self, chat_id: int, overrides: dict[str, Any]) -> None:
        self._chatSettingsRequested.emit(chat_id, overrides)

    def change_chat_settings(self, chat_id: int, changes: dict[str, Any]) -> None:
        """Changes only these of the chat's settings (save_chat_settings replaces them all)."""
        self._chatSettingsChanged.emit(chat_id, changes)

    def set_context_policy(self, chat_id: int, policy: str) -> None:
        self._policyRequested.emit(chat_id, policy)

    def list_chat_collections(self, chat_id: int) -> None:
        """Asks for chatCollections: the chat's attached collections and all named ones."""
        self._chatCollectionsRequested.emit(chat_id)

    def attach_collection(self, chat_id: int, collection_id: int) -> None:
        """Attaches a named collection to the chat; chatCollections follows."""
        self._attachRequested.emit(chat_id, collection_id)

    def detach_collection(self, chat_id: int, collection_id: int) -> None:
        self._detachRequested.emit(chat_id, collection_id)

    def save_config(self, config: AppConfig) -> None:
        self._configRequested.emit(config)

    def shutdown(self) -> None:
        """Stop, ask the worker to close the model, then quit and join the thread.

        The wait has no limit: a model load cannot be interrupted, and a QThread destroyed
        while running aborts the process. The window is already hidden by then.
        """
        if self._shut_down or not self._thread.isRunning():
            return
        self._shut_down = True
        self.shuttingDown.emit()
        self.stop()
        self.prompt_lab.shutdown()
        self.models.shutdown()
        self.api.shutdown()
        self._shutdownRequested.emit()
        self._thread.wait()
