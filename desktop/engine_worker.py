"""The engine worker: a QObject living on the engine thread that owns the model and the disk.

Every model and database call happens here. Work for the model (loads, chat turns, summaries,
and the API's and Prompt Lab's jobs) queues in the engine's `Scheduler`, which this worker
drives in short slices from the event loop, so other requests (opening a chat, a search) are
served between tokens. A reply's text reaches the GUI every `DELTA_INTERVAL_S`.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Concatenate, ParamSpec

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal, Slot

from desktop.engine_texts import say
from engine.chat.engine import ChatEngine, model_key
from engine.chat.export import chat_to_json, chat_to_markdown, write_text_atomically
from engine.chat.prompt import ChatMessage
from engine.chat.reasoning import ReasoningChunk
from engine.chat.service import (
    ChatService,
    Turn,
    TurnEnded,
    TurnStarted,
    with_documents,
)
from engine.chat.store import ChatStore, MessageRecord
from engine.config import ApiSettings, AppConfig, load_config, save_config
from engine.documents.collections import DocumentIndex
from engine.documents.reading import Document, pasted_document, read_document
from engine.documents.route import Route
from engine.documents.summarize import SummaryOptions
from engine.documents.turns import SummaryStatus, summary_turn
from engine.errors import (
    ContextOverflowError,
    EngineCrashedError,
    HearthError,
    MessageTooLongError,
    ModelError,
    RemoteOfflineError,
)
from engine.host.backend import BackendInfo
from engine.host.client import CHAT, HostCrash, HostRuntime
from engine.host.runtime import LoadedModel, PromptProgress, TextChunk
from engine.models.files import resolve_model
from engine.paths import AppPaths
from engine.prompt_lab.in_chat import preset_turn
from engine.prompt_lab.storage import LabStore
from engine.remote.engine import RemoteEngine
from engine.remote.engines import RemoteEngines
from engine.remote.keys import is_remote_key, parse_model_key
from engine.remote.settings import NetworkSwitch
from engine.scheduler import MODEL_CHANGING, Interrupted, Job, Priority, Scheduler
from engine.settings import ChatSettings

log = logging.getLogger(__name__)

DELTA_INTERVAL_S = 0.05
SLICE_S = 0.03

_P = ParamSpec("_P")


def reports_errors(
    method: Callable[Concatenate[EngineWorker, _P], None],
) -> Callable[Concatenate[EngineWorker, _P], None]:
    """Turns an exception in a slot into an `errorOccurred` signal instead of a lost traceback."""

    def wrapper(self: EngineWorker, *args: _P.args, **kwargs: _P.kwargs) -> None:
        try:
            method(self, *args, **kwargs)
        except HearthError as error:
            self.errorOccurred.emit(say(error))
        except Exception as error:
            log.exception("engine worker failed in %s", method.__name__)
            self.errorOccurred.emit(QCoreApplication.translate("engine_worker", "Unexpected error: "
                                                                                "{error}")
                                    .format(
            error=error))

    return functools.update_wrapper(wrapper, method)  # type: ignore[return-value]


@dataclass
class _Job:
    chat_id: int
    reply_id: int
    text: str = ""  # everything streamed so far, to show a chat reopened mid-reply
    pending: str = ""  # streamed but not yet sent to the GUI
    reasoning: str = ""  # the same for the reply's thinking
    pending_reasoning: str = ""
    emitted_at: float = 0.0
    ended: TurnEnded | None = None  # how the turn ended, once its stream said so


class EngineWorker(QObject):
    configLoaded = Signal(object, object)  # AppConfig, notice: str | None
    modelLoading = Signal(str)
    modelLoaded = Signal(object, object)  # LoadedModel, BackendInfo
    modelFailed = Signal(str)
    chatsListed = Signal(list)  # list[ChatRecord]
    chatOpened = Signal(object, list, object)  # ChatRecord, list[MessageRecord], ChatSettings
    contextChanged = Signal(object)  # ContextView
    contextUsage = Signal(int, int, int)  # chat_id, tokens used, n_ctx
    replyStarted = Signal(int, object)  # chat_id, MessageRecord
    promptProgress = Signal(int, int, int)  # chat_id, tokens read, tokens to read
    replyDelta = Signal(int, int, str)  # chat_id, message_id, text
    reasoningDelta = Signal(int, int, str)  # chat_id, message_id, thinking (before the answer)
    # Every started reply ends with replyEnded, however it ended (finished, stopped, closed or
    # failed); a generation that ran to its end then also reports its figures.
    replyEnded = Signal(int, object)  # chat_id, the MessageRecord that now stands, or None
    replyFinished = Signal(int, object, object)  # chat_id, MessageRecord, GenerationDone
    turnRefused = Signal(int, str, str, str)  # chat_id, turn kind, its text, reason
    # The same, when the chat's policy is "stop and ask", and the turn's route (Route | None):
    # the retry after trimming the chat must answer the way that was asked.
    contextFull = Signal(int, str, str, str, object)
    chatDeleted = Signal(int, str)  # chat_id, title
    searchResults = Signal(str, list)  # query, list[SearchHit]
    exported = Signal(str)
    documentReady = Signal(int, object, int)  # request number, Document, tokens
    documentFailed = Signal(int, str)  # request number, why
    summaryStatus = Signal(int, str, float, object)  # chat_id, step, fraction, seconds left
    turnHeld = Signal(int, str)  # chat_id, why the turn waits (another job has the model)
    # chat_id, the named collections attached to it and all named collections (by name,
    # list[CollectionRecord] each): sent as a chat is opened and after each attach or detach.
    chatCollections = Signal(int, list, list)
    errorOccurred = Signal(str)
    stopped = Signal()
    # From the thread that asked a server for a remote model: (key, RemoteEngine | HearthError).
    _remoteOpened = Signal(object, object)
    _woken = Signal()  # from any thread: the scheduler has work
    # From the thread that found the engine host dead: the collections worker's, or this one
    # (then delivered at once, before the failed call raises).
    _crashed = Signal(object)  # HostCrash

    def __init__(self, paths: AppPaths) -> None:
        super().__init__()
        self._paths = paths
        self._config = AppConfig()
        self._store: ChatStore | None = None
        # The model lives in the engine host process; a crash there ends only that process.
        # The collections worker's search model is in it too, used from that worker's thread.
        self._runtime = HostRuntime(paths.safe_configs_file)
        self._crashed.connect(self._on_engine_crash)
        self._runtime.on_crash = self._crashed.emit
        self._crash_to_report: HostCrash | None = None
        # The saved default a picked model replaced: (that model, the default before it).
        self._replaced_default: tuple[str, str | None] | None = None
        # A remote model in use instead of the local runtime (closed meanwhile), and the
        # network switch the GUI flips for every remote engine at once.
        self.remote_network = NetworkSwitch()
        self._remote_engines = RemoteEngines(paths, network=self.remote_network)
        self._remote: RemoteEngine | None = None
        self._remote_opening = threading.Event()  # set: the pending open is no longer wanted
        self._remoteOpened.connect(self._adopt_remote)
        self._service: ChatService | None = None
        self._job: _Job | None = None  # the chat turn running
        self._waiting_turn: Job | None = None  # the chat turn queued behind other work
        # The one owner of the model's time; one timer runs its slices (wakes coalesce).
        self.scheduler = Scheduler(on_wake=self._woken.emit)
        self._pump = QTimer(self)
        self._pump.setSingleShot(True)
        self._pump.setInterval(0)
        self._pump.timeout.connect(self._run_slice)
        self._woken.connect(self._pump.start, Qt.ConnectionType.QueuedConnection)

    @property
    def runtime(self) -> HostRuntime:
        """The model, for other workers on this thread to borrow while no reply runs."""
        return self._runtime

    @property
    def paths(self) -> AppPaths:
        return self._paths

    @property
    def engine(self) -> ChatEngine:
        """What replies come from: the remote model in use, else the local runtime."""
        return self._remote or self._runtime

    def chat_service(self) -> ChatService:
        return self._chats()

    def _chats(self) -> ChatService:
        if self._service is None:
            raise HearthError(self.tr("The chat database is not open."))
        return self._service

    @Slot()
    @reports_errors
    def start(self) -> None:
        self._paths.ensure()
        self._runtime.start()  # llama.cpp starts up in the host while the chats are read
        loaded = load_config(self._paths.settings_file)
        self._config = loaded.config
        self.configLoaded.emit(self._config, loaded.notice)
        self.remote_network.set(self._remote_engines.settings.network_enabled)
        self._store = ChatStore(self._paths.database)
        self._store.purge_deleted()
        self._service = ChatService(self._store, self._runtime,
                                    documents=DocumentIndex.open_for(self._paths,
                                                                     self._runtime))
        # The chat opens before the model loads, so a person can start typing at once.
        chats = self._store.list_chats() or [self._store.create_chat()]
        self.chatsListed.emit(chats)
        self.open_chat(chats[0].id)
        self.load_model("")

    @Slot(str)
    @reports_errors
    def load_model(self, name_or_path: str) -> None:
        self._remote_opening.set()  # a later choice wins over a server still being asked
        if is_remote_key(name_or_path or self._config.default_model):
            self.scheduler.interrupt(MODEL_CHANGING)
            self._load_remote(name_or_path or self._config.default_model or "")
            return
        self._submit_load(name_or_path)

    def _submit_load(self, name_or_path: str,
                     then: Callable[[], None] | None = None) -> None:
        """Queues a local model's load first, stopping the job that runs (a search keeps its
        best so far); `then` runs after it, whatever came of it."""
        def ended(end: BaseException | None) -> None:
            self._on_load_end(end)
            if then is not None:
                then()
        self.scheduler.submit(Job(self.tr("loading a model"), Priority.LOAD,
                                  start=lambda: self._load_local(name_or_path), on_end=ended,
                                  preempts=True))

    def _load_local(self, name_or_path: str) -> Iterator[object]:
        path = resolve_model(name_or_path or None, self._config.default_model,
                             self._paths.models_dir)
        self.modelLoading.emit(path.name)
        # Threads not pinned in the settings are chosen by the engine as replies run.
        loaded = self._runtime.load(path, self._config.runtime, self._config.runtime.n_threads)
        if not loaded.draft_model:  # a reload of the same model keeps its draft model
            loaded = self._attach_paired_draft(loaded)
        self._drop_remote()
        if self._service is not None:
            self._service.kv_states.forget()
        if name_or_path and self._config.default_model != str(loaded.path):
            # The model a person picked is the one Hearth opens next time (unless Hearth gives
            # up on it: `_drop_default`).
            self._replaced_default = (str(loaded.path), self._config.default_model)
            self._set_config(dataclasses.replace(self._config, default_model=str(loaded.path)))
        self.modelLoaded.emit(loaded, self._backend())
        return iter(())

    def _attach_paired_draft(self, loaded: LoadedModel) -> LoadedModel:
        """Attaches the draft model the settings pair with the loaded one, if any. One that
        cannot draft for it is unpaired and said: the model works without it."""
        draft = self._config.draft_for(loaded.path)
        if draft is None:
            return loaded
        try:
            return self._runtime.attach_draft(draft)
        except ModelError as error:
            self._set_config(self._config.with_draft(loaded.path, None))
            self.errorOccurred.emit(self.tr("{error} {name} answers without a draft model.")
                                    .format(error=say(error), name=loaded.name))
            return self._runtime.loaded or loaded

    @Slot(str, str)
    @reports_errors
    def set_draft_model(self, model: str, draft: str) -> None:
        """Pairs the model at `draft` ("": none) with the one at `model`; the loaded model's
        draft model is attached or let go at once, as a job (it loads a model)."""
        self._set_config(self._config.with_draft(Path(model), Path(draft) if draft else None))
        loaded = self._runtime.loaded
        if loaded is None or self._remote is not None or str(loaded.path) != model:
            return

        def attach() -> Iterator[object]:
            now = self._runtime.loaded
            if now is not None:
                now = (self._attach_paired_draft(now) if draft
                       else self._runtime.attach_draft(None))
                self.modelLoaded.emit(now, self._backend())
            return iter(())
        # After the reply that runs, if one does: the draft model changes no text.
        self.scheduler.submit(Job(self.tr("loading the draft model"), Priority.LOAD,
                                  start=attach, on_end=self._on_load_end))

    def _on_load_end(self, end: BaseException | None) -> None:
        if isinstance(end, HearthError):
            self._report_load_failure(end)
        elif end is not None:
            log.error("loading a model failed", exc_info=end)
            self.modelFailed.emit(self.tr("Unexpected error: {end}").format(end=end))

    def _backend(self) -> BackendInfo:
        return self._runtime.backend()

    @Slot(object)
    def _on_engine_crash(self, crash: HostCrash) -> None:
        # On this thread, from inside the failed call when it was this thread's: the reload is
        # the next job, after the job that failed has ended.
        self._crash_to_report = crash
        self.scheduler.submit(Job(self.tr("reloading the model"), Priority.LOAD,
                                  start=self._recover_engine))

    def _recover_engine(self) -> Iterator[object]:
        """Loads the model again in a new engine host after a crash, and says what happened.

        Any call on the runtime may have brought it back already (it restarts by itself)."""
        crash, self._crash_to_report = self._crash_to_report, None
        if crash is None or self._remote is not None:
            return iter(())
        loaded = self._runtime.loaded
        if loaded is None:
            wanted = self._runtime.wanted_model
            if wanted is None:
                if crash.gave_up is not None:  # crashed even loaded the safest way
                    self._drop_default(crash.model)
                    self.modelFailed.emit(say(crash.given_up_said()))
                return iter(())
            self.modelLoading.emit(wanted.stem)
            try:
                loaded = self._runtime.recover()
            except HearthError as error:
                self.modelFailed.emit(say(error))
                return iter(())
            if loaded is None:
                return iter(())
        if self._service is not None:
            self._service.kv_states.forget()  # the saved states died with the host
        self.modelLoaded.emit(loaded, self._backend())
        notice, self._runtime.notice = self._runtime.notice, None
        if crash.handle == CHAT:
            again = self.tr("It is loaded again.")
            self.errorOccurred.emit(say(crash.said(
                loaded.name, f"{again} {say(notice)}" if notice else again)))
        else:  # the search model, while indexing or searching
            self.errorOccurred.emit(say(crash.said(
                crash.model.stem if crash.model else None,
                self.tr("The engine started again with {name}; the search model loads again when "
                        "it is next needed.").format(name=loaded.name))))
        return iter(())

    def _drop_default(self, model: Path | None) -> None:
        """A model Hearth gave up on is not the one it opens next time, where it would crash
        twice more before Hearth says it cannot be used. The default goes back to the one its
        pick replaced, or to none (the bundled model) if it was the default already.

        It was saved when it loaded, as a pick is, since a model that loads may still be
        usable: this one's crashes came later, at the first message."""
        if model is None or self._config.default_model != str(model):
            return
        replaced, self._replaced_default = self._replaced_default, None
        before = replaced[1] if replaced is not None and replaced[0] == str(model) else None
        self._set_config(dataclasses.replace(self._config, default_model=before))

    def _report_load_failure(self, error: HearthError) -> None:
        still = self.engine.loaded
        if still is None:
            self.modelFailed.emit(say(error))
        else:
            # The window shows the model still in use before the reason it was kept.
            self.modelLoaded.emit(still, self._backend())
            self.errorOccurred.emit(self.tr("{error} Still using {name}.")
                                    .format(error=say(error), name=still.name))

    def _load_remote(self, key: str) -> None:
        """Asks the server for the model on a thread of its own (connecting and listing can take
        the network's time-outs), so the engine thread keeps serving chats meanwhile."""
        try:
            self.modelLoading.emit(parse_model_key(key)[1])
        except HearthError as error:
            self._report_load_failure(error)
            return
        unwanted = self._remote_opening = threading.Event()

        def open_model() -> None:
            result: RemoteEngine | HearthError
            try:
                result = self._remote_engines.open_model(key, unwanted)
            except HearthError as error:
                result = error
            except Exception as error:
                log.exception("could not open %s", key)
                result = HearthError(self.tr("Unexpected error: {error}").format(error=error))
            if unwanted.is_set() and isinstance(result, RemoteEngine):
                result.close()
                return
            try:
                self._remoteOpened.emit(key, result)
            except RuntimeError:  # the window closed meanwhile
                if isinstance(result, RemoteEngine):
                    result.close()

        threading.Thread(target=open_model, daemon=True, name="hearth-remote-open").start()

    @Slot(object, object)
    def _adopt_remote(self, key: str, result: RemoteEngine | HearthError) -> None:
        """Switches chats to the remote model; the local one is closed (its memory freed)."""
        if self._remote_opening.is_set():  # another model was chosen, or the window closes
            if isinstance(result, RemoteEngine):
                result.close()
            return
        if isinstance(result, RemoteEngine) and not self.remote_network.is_on():
            result.close()  # the switch went off while the server answered
            result = RemoteOfflineError(self.tr("The network switch is off, so {key} was not "
                                                "opened.").format(key=key))
        if isinstance(result, HearthError):
            self._report_load_failure(result)
            return
        engine = result
        self.scheduler.interrupt(MODEL_CHANGING)  # an API request may have started meanwhile
        self._drop_remote()
        self._runtime.close()
        self._remote = engine
        if self._service is not None:
            self._service.kv_states.forget()
            self._service.use(engine)
        if self._config.default_model != key:
            self._set_config(dataclasses.replace(self._config, default_model=key))
        self.modelLoaded.emit(engine.loaded, self._backend())

    def _drop_remote(self) -> None:
        if self._remote is not None:
            self._remote.close()
            self._remote = None
        if self._service is not None:
            self._service.use(self._runtime)

    @Slot(bool)
    @reports_errors
    def set_remote_network(self, on: bool) -> None:
        """The network switch moved (the GUI already flipped the shared switch)."""
        if not on and self._remote is not None:
            self.scheduler.interrupt(MODEL_CHANGING)
            name = self._remote.loaded.name if self._remote.loaded else self.tr("the remote model")
            self._drop_remote()
            self.modelFailed.emit(self.tr("The network switch is off, so {name} (a remote engine) "
                                          "is turned off. Pick a local model, or turn the switch "
                                          "on.").format(name=name))
        elif on and self.engine.loaded is None and is_remote_key(self._config.default_model):
            self.load_model("")

    @Slot(str)
    @reports_errors
    def set_default_model(self, key: str) -> None:
        self._set_config(dataclasses.replace(self._config, default_model=key or None))

    def set_api_settings(self, api: ApiSettings) -> None:
        """Saves the API section alone. No configLoaded: that would refill the other settings
        tabs and lose what is typed there; the API host follows what it saved itself."""
        config = dataclasses.replace(self._config, api=api)
        save_config(self._paths.settings_file, config)
        self._config = config

    def _set_config(self, config: AppConfig) -> None:
        save_config(self._paths.settings_file, config)
        self._config = config
        self.configLoaded.emit(config, None)

    @Slot(object)
    @reports_errors
    def save_config(self, edited: AppConfig) -> None:
        """Saves what the settings panel owns; the rest (measured threads, default model) is
        the worker's and is kept, however old the GUI's copy was."""
        config = dataclasses.replace(
            self._config, chat_defaults=edited.chat_defaults, runtime=edited.runtime,
            user_presets=edited.user_presets, language=edited.language,
        )
        if config.runtime == self._config.runtime or self._remote is not None:
            self._set_config(config)  # with a remote model, they apply to the next local one
            return
        # New runtime settings take effect only if the model loads with them.
        previous = self._config.runtime
        self._config = config
        loaded = self._runtime.loaded

        def applied() -> None:
            now = self._runtime.loaded
            if now is None or now.settings != config.runtime:
                self._config = dataclasses.replace(self._config, runtime=previous)
                self.errorOccurred.emit(self.tr("The runtime settings were not applied; the "
                                                "previous "
                                        "ones stay in use."))
            self._set_config(self._config)
        self._remote_opening.set()
        self._submit_load(str(loaded.path) if loaded else "", then=applied)

    @Slot()
    @reports_errors
    def new_chat(self) -> None:
        store = self._chats().store
        model = self.engine.loaded
        chat = store.create_chat(model=model_key(model) if model else None)
        self.chatsListed.emit(store.list_chats())
        self.open_chat(chat.id)

    @Slot(int)
    @reports_errors
    def open_chat(self, chat_id: int) -> None:
        service = self._chats()
        chat = service.store.get_chat(chat_id)
        messages = service.store.messages(chat_id)
        job = self._job
        if job is not None and job.chat_id == chat_id:
            # The store lags the stream by up to a save interval: show the live text instead.
            job.pending = job.pending_reasoning = ""
            messages = [
                dataclasses.replace(m, content=job.text, reasoning=job.reasoning)
                if m.id == job.reply_id else m
                for m in messages
            ]
        settings = service.chat_settings(chat, self._config)
        self.chatOpened.emit(chat, messages, settings)
        self._report_collections(chat_id)
        self._report_usage(chat_id, messages, chat.context_start_id, settings)

    @Slot(int)
    @reports_errors
    def list_chat_collections(self, chat_id: int) -> None:
        """Sends chatCollections for the chat (the named collections may have changed)."""
        self._report_collections(chat_id)

    @Slot(int, int)
    @reports_errors
    def attach_collection(self, chat_id: int, collection_id: int) -> None:
        """Attaches a named collection: a detail question in the chat is answered from its
        passages too."""
        try:
            self._documents().attach(chat_id, collection_id)
        finally:  # a collection removed meanwhile leaves the list shown: it is sent again
            self._report_collections(chat_id)

    @Slot(int, int)
    @reports_errors
    def detach_collection(self, chat_id: int, collection_id: int) -> None:
        self._documents().detach(chat_id, collection_id)
        self._report_collections(chat_id)

    def _documents(self) -> DocumentIndex:
        documents = self._chats().documents
        if documents is None:
            raise HearthError(self.tr("The collections are not open."))
        return documents

    def _report_collections(self, chat_id: int) -> None:
        documents = self._chats().documents
        if documents is not None:
            self.chatCollections.emit(chat_id, documents.attached(chat_id),
                                      documents.collections())

    def _report_open_chat(self, chat_id: int) -> None:
        service = self._chats()
        chat = service.store.get_chat(chat_id)
        self._report_usage(chat_id, service.store.messages(chat_id), chat.context_start_id,
                           service.chat_settings(chat, self._config))

    def _report_usage(
        self, chat_id: int, messages: list[MessageRecord], start_id: int | None,
        settings: ChatSettings,
    ) -> None:
        engine = self.engine
        loaded = engine.loaded
        if loaded is None or (self._job is not None and self._job.chat_id == chat_id):
            return  # while a reply streams, the turn itself reports the context use
        visible = [m for m in messages if start_id is None or m.id >= start_id]
        history = [ChatMessage("system", settings.system_prompt)] if settings.system_prompt else []
        documents = self._chats().store.attachments(chat_id)
        history += [ChatMessage(m.role, with_documents(m.content, documents.get(m.id, [])))
                    for m in visible if m.role != "system"]
        if history:  # rendered as a turn renders it, the thinking switch included
            history[-1] = dataclasses.replace(history[-1],
                                              think=self._chats().think_flag(settings))
        used = len(engine.tokenize_chat(history)) if history else 0
        self.contextUsage.emit(chat_id, used, loaded.n_ctx)

    @Slot(int, str)
    @reports_errors
    def rename_chat(self, chat_id: int, title: str) -> None:
        store = self._chats().store
        store.rename_chat(chat_id, title)
        self.chatsListed.emit(store.list_chats())

    @Slot(int)
    @reports_errors
    def delete_chat(self, chat_id: int) -> None:
        if self._job is not None and self._job.chat_id == chat_id:
            self.scheduler.interrupt(self.tr("The chat was deleted."))
        store = self._chats().store
        title = store.get_chat(chat_id).title
        store.delete_chat(chat_id)
        self._chats().kv_states.forget(chat_id)
        self.chatsListed.emit(store.list_chats())
        self.chatDeleted.emit(chat_id, title)

    @Slot(int)
    @reports_errors
    def restore_chat(self, chat_id: int) -> None:
        store = self._chats().store
        store.restore_chat(chat_id)
        self.chatsListed.emit(store.list_chats())

    @Slot(int, object)
    @reports_errors
    def save_chat_settings(self, chat_id: int, overrides: dict[str, Any]) -> None:
        service = self._chats()
        chat = service.store.update_chat_settings(chat_id, overrides)
        self.open_chat(chat.id)

    @Slot(int, object)
    @reports_errors
    def change_chat_settings(self, chat_id: int, changes: dict[str, Any]) -> None:
        """Changes some of a chat's settings (its Think switch), keeping its other overrides."""
        store = self._chats().store
        chat = store.get_chat(chat_id)
        store.update_chat_settings(chat_id, {**chat.settings, **changes})
        self.open_chat(chat_id)

    @Slot(int, str)
    @reports_errors
    def set_context_policy(self, chat_id: int, policy: str) -> None:
        store = self._chats().store
        chat = store.get_chat(chat_id)
        store.update_chat_settings(chat_id, {**chat.settings, "context_policy": policy})
        self.open_chat(chat_id)

    @Slot(int, int, int)
    @reports_errors
    def show_version(self, chat_id: int, message_id: int, step: int) -> None:
        """Shows another version of a message (`step` later, or earlier when negative)."""
        if self._job is not None and self._job.chat_id == chat_id:
            raise HearthError(self.tr("Wait for the reply to finish, or stop it, to see other "
                                      "versions."))
        if self._chats().show_version(message_id, step):
            self.open_chat(chat_id)

    @Slot(str)
    @reports_errors
    def search(self, query: str) -> None:
        self.searchResults.emit(query, self._chats().store.search(query))

    @Slot(int, str, str)
    @reports_errors
    def export_chat(self, chat_id: int, path: str, fmt: str) -> None:
        store = self._chats().store
        chat, messages = store.get_chat(chat_id), store.messages(chat_id)
        text = chat_to_json(chat, messages) if fmt == "json" else chat_to_markdown(chat, messages)
        write_text_atomically(Path(path), text)
        self.exported.emit(path)

    @Slot(int, str, str, object, object)
    def run_turn(self, chat_id: int, kind: str, text: str, route: Route | None,
                 cancel: threading.Event) -> None:
        self._run(chat_id, Turn(kind, text, route=route), cancel)  # type: ignore[arg-type]

    @Slot(int, str, object, int, object)
    def run_document_turn(self, chat_id: int, text: str, document: Document, tokens: int,
                          cancel: threading.Event) -> None:
        self._run(chat_id, Turn("send", text, document, tokens), cancel)

    @Slot(int, object, int, object, object)
    def run_summary(self, chat_id: int, document: Document, tokens: int,
                    options: SummaryOptions, cancel: threading.Event) -> None:
        self._run(chat_id, (document, tokens, options), cancel)

    @Slot(int, str, str)
    def prepare_document(self, request: int, path: str, pasted: str) -> None:
        """Reads a file (or takes pasted text) and counts it with the loaded model's tokenizer,
        here and not on the GUI thread: a long document takes seconds to read and count."""
        try:
            document = read_document(Path(path)) if path else pasted_document(pasted)
            engine = self.engine
            tokens = engine.count_tokens(document.text) if engine.loaded else 0
        except HearthError as error:
            self.documentFailed.emit(request, say(error))
            return
        except Exception as error:
            log.exception("could not read a document")
            self.documentFailed.emit(request, self.tr("Unexpected error: {error}")
                                              .format(error=error))
            return
        self.documentReady.emit(request, document, tokens)

    def _run(self, chat_id: int, turn: Turn | tuple[Document, int, SummaryOptions],
             cancel: threading.Event) -> None:
        """Queues a turn; a turn that cannot start always answers with turnRefused."""
        kind, text = (turn.kind, turn.text) if isinstance(turn, Turn) else ("summary", "")
        if self._job is not None or self._waiting_turn is not None:
            self.turnRefused.emit(chat_id, kind, text, self.tr("A reply is still being written."))
            return
        job = Job(self.tr("the reply being written"), Priority.CHAT,
                  start=lambda: self._start_turn(chat_id, turn, cancel),
                  on_event=self._on_turn_event,
                  on_end=lambda end: self._on_turn_end(chat_id, turn, end),
                  after_slice=self._emit_if_due, cancel=cancel)
        self._waiting_turn = job
        ahead = self.scheduler.submit(job)
        if ahead is not None and self._waiting_turn is job:
            # A person's message goes before any other waiting request, and Stop works on it.
            self.turnHeld.emit(chat_id, self.tr("Waiting for {what} to finish; your message is "
                                                "next.").format(what=ahead.what))

    def _start_turn(self, chat_id: int, turn: Turn | tuple[Document, int, SummaryOptions],
                    cancel: threading.Event) -> Iterator[Any]:
        self._waiting_turn = None
        loaded = self.engine.loaded
        if loaded is None:
            raise HearthError(self.tr("No model is loaded."))
        service = self._chats()
        events: Iterator[Any]
        if isinstance(turn, Turn):
            events = (preset_turn(service.store, self.engine, LabStore.at(self._paths),
                                  chat_id, turn)
                      or service.reply(chat_id, self._config, cancel, turn))
        else:
            events = summary_turn(service, chat_id, *turn, cancel, wording=say)
        started = next(events)
        assert isinstance(started, TurnStarted)
        chat = service.store.get_chat(chat_id)
        self._job = _Job(chat_id, started.reply.id, emitted_at=time.monotonic())
        self.chatOpened.emit(chat, started.messages, service.chat_settings(chat, self._config))
        self.contextChanged.emit(started.view)
        self.contextUsage.emit(chat_id, started.view.prompt_tokens, loaded.n_ctx)
        self.replyStarted.emit(chat_id, started.reply)
        return events

    def _on_turn_event(self, event: object) -> bool:
        """Takes one event of the running turn; True when the turn has ended."""
        job = self._job
        assert job is not None
        if isinstance(event, TextChunk | str):
            text = event if isinstance(event, str) else event.text
            job.text += text
            job.pending += text
        elif isinstance(event, ReasoningChunk):
            job.reasoning += event.text
            job.pending_reasoning += event.text
        elif isinstance(event, SummaryStatus):
            step = say(event.text) if event.text is not None else ""
            self.summaryStatus.emit(job.chat_id, step, event.fraction,
                                    event.seconds_left)
        elif isinstance(event, PromptProgress):
            self.promptProgress.emit(job.chat_id, event.done, event.total)
        elif isinstance(event, TurnEnded):
            job.ended = event
            return True
        return False

    def _on_turn_end(self, chat_id: int, turn: Turn | tuple[Document, int, SummaryOptions],
                     end: BaseException | None) -> None:
        self._waiting_turn = None
        job, self._job = self._job, None
        if job is None:  # it never started
            self._refuse(chat_id, turn, end)
            return
        if end is not None and not isinstance(end, EngineCrashedError | Interrupted):
            # A crash is said by the recovery; a model change or Stop needs no words.
            log.error("reply failed", exc_info=end)
            self.errorOccurred.emit(self.tr("The reply failed: {end}").format(end=say(end)))
        self._end(job, job.ended)

    def _refuse(self, chat_id: int, turn: Turn | tuple[Document, int, SummaryOptions],
                end: BaseException | None) -> None:
        kind, text = (turn.kind, turn.text) if isinstance(turn, Turn) else ("summary", "")
        if isinstance(end, ContextOverflowError) and not isinstance(end, MessageTooLongError):
            # Only a chat turn can be saved by trimming the chat; a summary says why it cannot.
            if isinstance(turn, Turn):
                self.contextFull.emit(chat_id, kind, text, say(end), turn.route)
            else:
                self.turnRefused.emit(chat_id, kind, text, say(end))
        elif isinstance(end, HearthError):  # MessageTooLongError, Refused and the others
            self.turnRefused.emit(chat_id, kind, text, say(end))
        else:
            log.error("could not start a turn", exc_info=end)
            self.turnRefused.emit(chat_id, kind, text, self.tr("Unexpected error: {end}")
                                                       .format(end=end))

    @Slot()
    def _run_slice(self) -> None:
        if self.scheduler.run_slice(SLICE_S):
            self._pump.start()

    def _emit_if_due(self) -> None:
        job = self._job
        if job is not None and time.monotonic() - job.emitted_at >= DELTA_INTERVAL_S:
            self._emit_pending(job)

    def _emit_pending(self, job: _Job) -> None:
        if job.pending_reasoning:  # first: the thinking comes before the answer
            self.reasoningDelta.emit(job.chat_id, job.reply_id, job.pending_reasoning)
            job.pending_reasoning = ""
        if job.pending:
            self.replyDelta.emit(job.chat_id, job.reply_id, job.pending)
            job.pending = ""
        job.emitted_at = time.monotonic()

    def _end(self, job: _Job, ended: TurnEnded | None) -> None:
        """Every way a reply ends comes here, so the GUI always learns that it did."""
        if ended is None or ended.reply is None or ended.reply.id == job.reply_id:
            self._emit_pending(job)
        store = self._chats().store
        standing = ended.reply if ended is not None else _find(store, job.chat_id, job.reply_id)
        self.replyEnded.emit(job.chat_id, standing)
        if ended is not None and ended.done is not None and standing is not None:
            self.replyFinished.emit(job.chat_id, standing, ended.done)
            loaded = self.engine.loaded
            if loaded is not None and standing.id == job.reply_id and standing.reasoning:
                # The thinking is not sent again: the chat is counted as the next turn sends it.
                self._report_open_chat(job.chat_id)
            elif loaded is not None and standing.id == job.reply_id:
                self.contextUsage.emit(job.chat_id, ended.done.context_used, loaded.n_ctx)
        if standing is None or standing.id != job.reply_id or (ended and ended.done is None):
            # The kept previous reply comes back into view; after a summary, the context use
            # is the chat's own again (with the document's part summaries).
            self.open_chat(job.chat_id)
        self.chatsListed.emit(store.list_chats())

    @Slot()
    def shutdown(self) -> None:
        """Stops any reply, closes the model and the database; runs on the engine thread."""
        self._remote_opening.set()
        try:
            self.scheduler.shutdown(self.tr("Hearth is closing."))
        finally:
            self._drop_remote()
            if self._service is not None and self._service.documents is not None:
                self._service.documents.close()
            self._runtime.close()
            self._runtime.stop()  # whatever another model still holds there: Hearth closes
            if self._store is not None:
                self._store.close()
                self._store = None
            self.stopped.emit()


def _find(store: ChatStore, chat_id: int, message_id: int) -> MessageRecord | None:
    return next((m for m in store.messages(chat_id) if m.id == message_id), None)
