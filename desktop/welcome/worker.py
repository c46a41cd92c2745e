"""The first-run worker: lives on the engine thread; reads and writes what a first start needs.

Whether Hearth has welcomed this person is a mark in the config folder; this computer's speed
is a measurement saved in the data folder with the processor it was made on
(engine/models/speed.py). Measuring is a short job for the engine's scheduler on the loaded
local model, asked for only when a prediction is wanted (the welcome, the Models tab); it gives
way to a person's message and is tried again after the reply.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from PySide6.QtCore import QObject, Signal, Slot

from desktop.engine_texts import say
from desktop.engine_worker import EngineWorker
from engine.errors import HearthError
from engine.models.speed import SpeedCalibration, load_calibration, measure_speed, save_calibration
from engine.paths import AppPaths
from engine.scheduler import Interrupted, Job, Priority, Refused, Scheduler

log = logging.getLogger(__name__)


class _OtherWorkWaits:
    """The measurement's cancel flag: set while work that goes before it waits (a chat)."""

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler

    def is_set(self) -> bool:
        return self._scheduler.busy_before(Priority.LAB)


class FirstRunWorker(QObject):
    loaded = Signal(bool, object)  # welcomed already, SpeedCalibration | None
    calibrated = Signal(object)  # SpeedCalibration
    measureFailed = Signal(str)

    def __init__(self, paths: AppPaths, engine: EngineWorker) -> None:
        super().__init__()
        self._paths = paths
        self._engine = engine
        self._calibration: SpeedCalibration | None = None
        self._wanted = False  # a measurement was asked for and none has been made
        self._running = False
        # Both on this thread: a new local model, or a reply that ended, may let it run now.
        engine.modelLoaded.connect(self._try_measure)
        engine.replyEnded.connect(self._try_measure)

    @Slot()
    def start(self) -> None:
        try:
            welcomed = self._paths.welcomed_file.exists()
            self._calibration = load_calibration(self._paths.speed_file)
        except OSError as error:
            log.warning("could not read the first-run state: %s", error)
            welcomed = False
        self.loaded.emit(welcomed, self._calibration)

    @Slot()
    def mark_welcomed(self) -> None:
        try:
            self._paths.ensure()
            self._paths.welcomed_file.touch()
        except OSError as error:  # the welcome shows again next time: no harm done
            log.warning("could not note that the welcome was seen: %s", error)

    @Slot()
    def measure(self) -> None:
        """Reports this computer's speed, measuring it first if it never was."""
        if self._calibration is not None:
            self.calibrated.emit(self._calibration)
            return
        self._wanted = True
        self._try_measure()

    def _try_measure(self, *_args: object) -> None:
        runtime = self._engine.runtime
        if not self._wanted or self._running or self._engine.engine is not runtime:
            return
        if runtime.loaded is None:
            return  # the next local model's load tries again
        self._running = True
        scheduler = self._engine.scheduler

        def steps() -> Iterator[object]:
            calibration = yield from measure_speed(runtime, _OtherWorkWaits(scheduler))
            if calibration is None:
                log.info("the speed check gave way to other work; it runs again after it")
                return  # `ended` queues it again, behind that work
            log.info("measured %.1f tok/s with %s on %s", calibration.tokens_per_second,
                     calibration.model, calibration.cpu)
            try:
                save_calibration(self._paths.speed_file, calibration)
            except HearthError as error:  # measured again at the next start
                log.warning("the speed measurement was not saved: %s", error)
            self._calibration, self._wanted = calibration, False
            self.calibrated.emit(calibration)

        def ended(end: BaseException | None) -> None:
            self._running = False
            if end is None:
                self._try_measure()
                return
            if isinstance(end, Interrupted | Refused):
                return  # a model load or Hearth closing: the load tries again
            self._wanted = False
            if isinstance(end, HearthError):
                self.measureFailed.emit(say(end))
            else:
                log.error("the speed check failed", exc_info=end)
                self.measureFailed.emit(self.tr("Unexpected error: {end}").format(end=end))

        scheduler.submit(Job(
            self.tr("Hearth's speed check"), Priority.LAB, start=steps, on_end=ended))
