"""The GUI's handle on the collections worker: owns its thread, posts requests, stops it.

Each request is a call to one of the worker's methods with its arguments bound, carried to the
worker's thread by one queued signal: a new operation is one method here, not a pair of
mirrored signals. Results are the signals of `results`, which stays on the GUI thread while the
worker emits them: whatever is connected to them (slots, lambdas, a test's wait) runs here.

The thread starts at the first request and stops when the engine client shuts down (the window
closes) or the application quits, as the engine thread does: Stop, ask the worker to close the
index, then quit and join.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from functools import partial

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal

from desktop.collections.worker import CollectionsResults, CollectionsWorker
from engine.host.client import HostRuntime
from engine.paths import AppPaths


class CollectionsClient(QObject):
    _call = Signal(object)

    def __init__(self, paths: AppPaths, host: HostRuntime, parent: QObject | None = None
                 ) -> None:
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("hearth-collections")
        self._closing = threading.Event()
        self.results = CollectionsResults(self)  # stays here: its signals reach this thread
        # The Stop events of re-indexes still asked for or running (the worker's job holds
        # each while it runs; a finished one drops out by itself). The worker makes them too,
        # for the re-indexes a change on disk starts: the lock keeps the set whole.
        self._cancels: weakref.WeakSet[threading.Event] = weakref.WeakSet()
        self._cancels_lock = threading.Lock()
        self.worker = CollectionsWorker(paths, host, self.results, self._closing,
                                        self._fresh_cancel)
        self.worker.moveToThread(self._thread)
        self._call.connect(self.worker.run)
        # Direct: the GUI thread is blocked in wait() and could not run a queued quit.
        self.worker.stopped.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    @property
    def running(self) -> bool:
        return self._thread.isRunning()

    def start(self) -> None:
        if not self._closing.is_set() and not self._thread.isRunning():
            self._thread.start()

    def _send(self, call: Callable[[], None]) -> None:
        self.start()
        if not self._closing.is_set():
            self._call.emit(call)

    def _fresh_cancel(self) -> threading.Event:
        # A fresh event per re-index: a Stop pressed before the worker starts it is not lost.
        cancel = threading.Event()
        with self._cancels_lock:
            self._cancels.add(cancel)
        return cancel

    def watch(self) -> None:
        """Starts the thread, which watches the collections' folders from then on."""
        self._send(self.worker.watch)

    def refresh(self, collection_id: int | None = None) -> None:
        self._send(partial(self.worker.refresh, collection_id))

    def create(self, name: str) -> None:
        self._send(partial(self.worker.create, name))

    def add(self, collection_id: int, paths: Sequence[str]) -> None:
        """Adds files or folders and indexes them at once."""
        self._send(partial(self.worker.add, collection_id, list(paths), self._fresh_cancel()))

    def reindex(self, collection_id: int) -> None:
        self._send(partial(self.worker.reindex, collection_id, self._fresh_cancel()))

    def remove(self, name: str) -> None:
        self._send(partial(self.worker.remove, name))

    def search(self, collection_id: int, query: str) -> None:
        self._send(partial(self.worker.search, collection_id, query))

    def stop(self) -> None:
        """Stops every re-index asked for: the one running ends after its current file."""
        with self._cancels_lock:
            cancels = list(self._cancels)
        for cancel in cancels:
            cancel.set()

    def shutdown(self) -> None:
        """Stop, ask the worker to close the index, then quit and join its thread.

        Waits for at most the file being read and one batch of passages being embedded; the
        window is already hidden by then."""
        if self._closing.is_set():
            return
        self._closing.set()
        self.stop()
        if self._thread.isRunning():
            self._call.emit(self.worker.shutdown)
            self._thread.wait()
