"""The API server's engine-thread side in the app: it starts and stops the server and hands
its requests to the engine's scheduler.

HTTP threads queue requests in the `ApiService` and wake the scheduler; the scheduler takes them
as jobs (several at once when they can share a batch) whenever no chat turn waits. A chat turn
sent during an API reply pauses it (its cache put aside in the engine host) and starts at once;
the reply goes on after it. A request that cannot pause (several choices, embeddings) is
followed by the chat turn, before any other waiting request. A person's message is never
refused because a program is using the model.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal, Slot

from desktop.engine_texts import say
from desktop.engine_worker import EngineWorker
from engine.api.access import is_loopback, new_token
from engine.api.jobs import ApiJob, ApiService
from engine.api.runner import ApiRunner
from engine.api.server import ApiServer
from engine.config import ApiSettings, AppConfig
from engine.errors import HearthError
from engine.host.backend import BackendInfo
from engine.scheduler import Job, Priority

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiState:
    """What the window shows about the server."""

    settings: ApiSettings
    url: str | None = None  # set while it listens
    error: str | None = None  # why it is not listening although turned on
    model: str | None = None

    @property
    def running(self) -> bool:
        return self.url is not None

    @property
    def reachable_from_network(self) -> bool:
        return self.running and not is_loopback(self.settings.host)


class ApiHost(QObject):
    stateChanged = Signal(object)  # ApiState
    requestStarted = Signal(str)  # what the window says while the API has the model
    requestEnded = Signal(object)  # JobRecord

    def __init__(self, engine: EngineWorker) -> None:
        super().__init__()
        self._engine = engine
        self._service = ApiService(notify=engine.scheduler.wake)
        self._server: ApiServer | None = None
        self._runner: ApiRunner | None = None
        self._state = ApiState(ApiSettings())
        self._answering = ""  # what the window says while the API's request runs
        engine.scheduler.add_source(Priority.API, self._next_job)
        # Same thread: these run directly, before the engine goes on with its work.
        engine.configLoaded.connect(self._on_config)
        engine.modelLoading.connect(self._on_model_changing)
        engine.modelLoaded.connect(self._on_model_loaded)
        engine.modelFailed.connect(self._on_model_failed)

    # -- settings ----------------------------------------------------------------------------------

    @Slot(object)
    def apply(self, settings: ApiSettings) -> None:
        """Saves new settings, then the server follows them."""
        if settings.enabled and not settings.token:
            settings = dataclasses.replace(settings, token=new_token())
        try:
            self._engine.set_api_settings(settings)
        except HearthError as error:
            self._publish(dataclasses.replace(self._state, error=say(error)))
            return
        self._follow(settings)

    @property
    def waiting(self) -> int:
        """Requests waiting for the model (any thread)."""
        return self._service.waiting

    @Slot()
    def regenerate_token(self) -> None:
        self.apply(dataclasses.replace(self._state.settings, token=new_token()))

    def _on_config(self, config: AppConfig, _notice: object) -> None:
        self._service.set_defaults(config.chat_defaults.sampling)
        self._follow(config.api)

    def _follow(self, wanted: ApiSettings) -> None:
        """Starts, stops or moves the server to match saved settings."""
        applied = self._state.settings
        if wanted == applied and (self._server is not None) == wanted.enabled:
            return
        if wanted.enabled and not wanted.token:
            self.apply(wanted)  # comes back here with a token
            return
        if self._server is not None and wanted.enabled and (
            (wanted.host, wanted.port) == (applied.host, applied.port)
        ):
            assert wanted.token is not None
            self._server.token = wanted.token
            self._publish(dataclasses.replace(self._state, settings=wanted))
            return
        self._stop_server()
        state = ApiState(wanted, model=self._state.model)
        if wanted.enabled:
            assert wanted.token is not None
            try:
                # The window asked the person before saving an address others can reach.
                self._server = ApiServer(self._service, wanted.host, wanted.port, wanted.token,
                                         allow_network=True)
                self._server.start()
                state = dataclasses.replace(state, url=self._server.url)
                log.info("API server listening at %s", self._server.url)
            except HearthError as error:
                self._server = None
                state = dataclasses.replace(state, error=say(error))
        self._publish(state)

    def _publish(self, state: ApiState) -> None:
        self._state = state
        self.stateChanged.emit(state)

    def _stop_server(self) -> None:
        if self._server is not None:
            self._server.close()  # waiting clients are answered 503; their jobs are cancelled
            self._server = None

    # -- the model ---------------------------------------------------------------------------------

    def _on_model_changing(self, _name: str) -> None:
        self._service.set_model(None)
        if self._runner is not None:
            self._runner.close()

    def _on_model_loaded(self, _model: object, _backend: BackendInfo) -> None:
        if self._runner is None:
            self._runner = ApiRunner(self._engine.runtime, self._engine.chat_service().kv_states,
                                     self._service)
        self._runner.publish_model()
        # The local model only: with a remote engine in use, the local one is closed.
        local = self._engine.runtime.loaded
        self._publish(dataclasses.replace(self._state, model=local.name if local else None))
        self._engine.scheduler.wake()  # requests that came during the load

    def _on_model_failed(self, reason: str) -> None:
        # No model comes back by itself after this (not even one Hearth gave up on after it
        # crashed the safest way): requests hear why, until a person loads another.
        self._service.set_unavailable(reason)
        self._publish(dataclasses.replace(self._state, model=None))

    # -- requests ----------------------------------------------------------------------------------

    def _next_job(self) -> Job | None:
        """The scheduler's source: the next waiting request, once a model answers."""
        if self._runner is None or self._engine.runtime.loaded is None:
            return None
        return self._runner.next_job(started=self._started, ended=self._ended,
                                     paused=self._paused)

    def _started(self, batch: Sequence[ApiJob]) -> None:
        self._answering = (self.tr("API: answering a request from {client}…")
                           .format(client=batch[0].client) if len(batch) == 1 else
                           self.tr("API: answering %n requests together…", "", len(batch)))
        self.requestStarted.emit(self._answering)

    def _paused(self, paused: bool) -> None:
        self.requestStarted.emit(self.tr("API: paused while your message is answered")
                                 if paused else self._answering)

    def _ended(self) -> None:
        if self._service.recent:
            self.requestEnded.emit(self._service.recent[-1])

    @Slot()
    def shutdown(self) -> None:
        """Stops listening and ends every request; runs on the engine thread before it stops."""
        self._stop_server()
        self._service.close()
        running = self._engine.scheduler.running
        if running is not None and running.priority == Priority.API:
            self._engine.scheduler.interrupt(self.tr("The server stopped."))
        if self._runner is not None:
            self._runner.close()
