"""The GUI's handle on the API server's host, which lives on the engine thread.

Requests go out as queued signals and the host's signals come back on the GUI thread, so the
window never waits on the server starting, stopping or answering.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal

from desktop.api.host import ApiHost, ApiState
from desktop.engine_worker import EngineWorker
from engine.config import ApiSettings

_FORWARDED = ("stateChanged", "requestStarted", "requestEnded")


class ApiClient(QObject):
    stateChanged = Signal(object)  # ApiState
    requestStarted = Signal(str)  # what to say while the API has the model
    requestEnded = Signal(object)  # JobRecord

    _applyRequested = Signal(object)
    _regenerateRequested = Signal()
    _shutdownRequested = Signal()

    def __init__(self, thread: QThread, engine: EngineWorker,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = ApiHost(engine)
        self.host.moveToThread(thread)
        self.state = ApiState(ApiSettings())
        for signal, slot in (
            (self._applyRequested, self.host.apply),
            (self._regenerateRequested, self.host.regenerate_token),
            (self._shutdownRequested, self.host.shutdown),
        ):
            signal.connect(slot)
        for name in _FORWARDED:
            getattr(self.host, name).connect(getattr(self, name))
        self.stateChanged.connect(self._remember)

    def _remember(self, state: ApiState) -> None:
        self.state = state

    def apply(self, settings: ApiSettings) -> None:
        self._applyRequested.emit(settings)

    def regenerate_token(self) -> None:
        self._regenerateRequested.emit()

    def shutdown(self) -> None:
        """Queued before the engine's own shutdown, so the server stops while the model lives."""
        self._shutdownRequested.emit()
