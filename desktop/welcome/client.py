"""The GUI's handle on the first-run worker, which runs on the engine thread.

Requests go out as queued signals; the worker's signals are re-emitted here, on the GUI thread,
and the newest speed measurement is kept for views that open later (the Models tab).
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal

from desktop.engine_worker import EngineWorker
from desktop.welcome.worker import FirstRunWorker
from engine.models.speed import SpeedCalibration
from engine.paths import AppPaths


class FirstRunClient(QObject):
    loaded = Signal(bool, object)  # welcomed already, SpeedCalibration | None
    calibrated = Signal(object)  # SpeedCalibration
    measureFailed = Signal(str)

    _startRequested = Signal()
    _measureRequested = Signal()
    _welcomedRequested = Signal()

    def __init__(self, thread: QThread, paths: AppPaths, engine: EngineWorker,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = FirstRunWorker(paths, engine)
        self.worker.moveToThread(thread)
        self.calibration: SpeedCalibration | None = None
        self._asked = False
        self._startRequested.connect(self.worker.start)
        self._measureRequested.connect(self.worker.measure)
        self._welcomedRequested.connect(self.worker.mark_welcomed)
        self.worker.loaded.connect(self._on_loaded)
        self.worker.calibrated.connect(self._on_calibrated)
        self.worker.measureFailed.connect(self._on_failed)

    def start(self) -> None:
        self._startRequested.emit()

    def measure(self) -> None:
        """Asks for this computer's speed (measured once if never measured); `calibrated`
        answers. Asking again changes nothing."""
        if self.calibration is None and not self._asked:
            self._asked = True
            self._measureRequested.emit()

    def mark_welcomed(self) -> None:
        self._welcomedRequested.emit()

    def _on_loaded(self, welcomed: bool, calibration: SpeedCalibration | None) -> None:
        self.calibration = calibration
        self.loaded.emit(welcomed, calibration)
        if calibration is not None:
            self.calibrated.emit(calibration)

    def _on_failed(self, why: str) -> None:
        self._asked = False  # the next view that wants it asks again
        self.measureFailed.emit(why)

    def _on_calibrated(self, calibration: SpeedCalibration) -> None:
        self.calibration = calibration
        self.calibrated.emit(calibration)
