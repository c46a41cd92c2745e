"""The API server's engine-thread side in the app: it starts and stops the server and runs its
requests between chat work.

HTTP threads queue jobs and wake this object with a queued signal; it runs a job's steps in
short slices like a chat reply, so the engine thread keeps serving the window. One user of the
model at a time: an API request waits while a chat reply is written, and a chat turn sent
during an API request is held and starts right after it (before any other waiting request),
so a person's message is never refused because a program is using the model. Stop works on a
held turn at once.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from desktop.engine_worker import EngineWorker
from engine.api.access import is_loopback, new_token
from engine.api.errors import SERVER, ApiError
from engine.api.jobs import ApiJob, ApiService
from engine.api.runner import ApiRunner
from engine.api.server import ApiServer
from engine.config import ApiSettings, AppConfig
from engine.errors import HearthError
from engine.host.backend import BackendInfo

log = logging.getLogger(__name__)

SLICE_S = 0.03
STOPPED_WHILE_HELD = "Stopped before the reply began."


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


@dataclass(frozen=True)
class _HeldTurn:
    chat_id: int
    kind: str
    text: str
    cancel: threading.Event
    start: Callable[[], None]


@dataclass
class _Running:
    job: ApiJob
    steps: Generator[None, None, None]


class ApiHost(QObject):
    stateChanged = Signal(object)  # ApiState
    requestStarted = Signal(str)  # what the window says while the API has the model
    requestEnded = Signal(object)  # JobRecord
    turnHeld = Signal(int, str)  # chat_id, why it waits
    _jobArrived = Signal()  # emitted on HTTP threads, delivered on the engine thread

    def __init__(self, engine: EngineWorker) -> None:
        super().__init__()
        self._engine = engine
        self._service = ApiService(notify=self._jobArrived.emit)
        self._server: ApiServer | None = None
        self._runner: ApiRunner | None = None
        self._state = ApiState(ApiSettings())
        self._running: _Running | None = None
        self._held: list[_HeldTurn] = []
        self._pump_scheduled = False
        self._jobArrived.connect(self._schedule, Qt.ConnectionType.QueuedConnection)
        # Same thread: these run directly, before the engine goes on with its work.
        engine.configLoaded.connect(self._on_config)
        engine.modelLoading.connect(self._on_model_changing)
        engine.modelLoaded.connect(self._on_model_loaded)
        engine.modelFailed.connect(self._on_model_failed)
        engine.replyEnded.connect(self._schedule)
        engine.turnRefused.connect(self._schedule)
        engine.contextFull.connect(self._schedule)
        engine.turn_gate = self

    # -- TurnGate ----------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._running is not None

    def hold(self, chat_id: int, kind: str, text: str, cancel: threading.Event,
             start: Callable[[], None]) -> bool:
        if self._running is None:
            return False
        self._held.append(_HeldTurn(chat_id, kind, text, cancel, start))
        self.turnHeld.emit(chat_id, f"Waiting for the API request from "
                           f"{self._running.job.client} to finish; your message is next.")
        return True

    # -- settings ----------------------------------------------------------------------------------

    @Slot(object)
    def apply(self, settings: ApiSettings) -> None:
        """Saves new settings, then the server follows them."""
        if settings.enabled and not settings.token:
            settings = dataclasses.replace(settings, token=new_token())
        try:
            self._engine.set_api_settings(settings)
        except HearthError as error:
            self._publish(dataclasses.replace(self._state, error=str(error)))
            return
        self._follow(settings)

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
                state = dataclasses.replace(state, error=str(error))
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
        self._interrupt()
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
        self._schedule()

    def _on_model_failed(self, _reason: str) -> None:
        self._service.set_model(None)
        self._publish(dataclasses.replace(self._state, model=None))

    # -- running jobs ------------------------------------------------------------------------------

    def _schedule(self, *_args: object) -> None:
        if not self._pump_scheduled:
            self._pump_scheduled = True
            QTimer.singleShot(0, self._pump)

    @Slot()
    def _pump(self) -> None:
        self._pump_scheduled = False
        if self._running is None:
            if self._held:
                self._release_held()
                return
            if not self._start_next():
                return
        running = self._running
        assert running is not None
        deadline = time.monotonic() + SLICE_S
        try:
            while time.monotonic() < deadline:
                next(running.steps)
        except StopIteration:
            self._finish()
            return
        self._drop_stopped_turns()
        self._schedule()

    def _start_next(self) -> bool:
        engine = self._engine
        if self._held or engine.replying or self._runner is None:
            return False  # the chat goes first; replyEnded wakes this again
        if engine.busy_reason is not None:
            while (job := self._service.take()) is not None:
                job.fail(ApiError(503, engine.busy_reason, kind=SERVER, code="model_busy",
                                  headers={"Retry-After": "30"}))
            return False
        job = self._service.take()
        if job is None:
            return False
        self._running = _Running(job, self._runner.steps(job))
        self.requestStarted.emit(f"API: answering a request from {job.client}…")
        return True

    def _finish(self) -> None:
        self._running = None
        if self._service.recent:
            self.requestEnded.emit(self._service.recent[-1])
        self._schedule()  # held turns start from the event loop, never inside a model load

    def _release_held(self) -> None:
        held, self._held = self._held, []
        for turn in held:
            if turn.cancel.is_set():
                self._engine.turnRefused.emit(turn.chat_id, turn.kind, turn.text,
                                              STOPPED_WHILE_HELD)
            else:
                turn.start()

    def _drop_stopped_turns(self) -> None:
        for turn in [t for t in self._held if t.cancel.is_set()]:
            self._held.remove(turn)
            self._engine.turnRefused.emit(turn.chat_id, turn.kind, turn.text, STOPPED_WHILE_HELD)

    def _interrupt(self) -> None:
        """Ends the running job at once (its client hears why) and starts any held turn."""
        running = self._running
        if running is not None:
            running.job.cancel.set()
            running.steps.close()  # the runner answers the client 503 and records the job
            self._finish()

    @Slot()
    def shutdown(self) -> None:
        """Stops listening and ends every request; runs on the engine thread before it stops."""
        self._stop_server()
        self._service.close()
        self._held.clear()
        running, self._running = self._running, None
        if running is not None:
            running.job.cancel.set()
            running.steps.close()
        if self._runner is not None:
            self._runner.close()

