"""A second start of Hearth on the same data hands over to the running one.

The first instance listens on a local socket named after its data folder; a second one that
cannot take the data lock asks it to show its window, then exits. Never two writers.
"""

from __future__ import annotations

import hashlib
import time

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from engine.paths import AppPaths

SHOW_REQUEST = b"show\n"
HANDOVER_TIMEOUT_MS = 2000


def server_name(paths: AppPaths) -> str:
    digest = hashlib.sha256(str(paths.data_dir.resolve()).encode()).hexdigest()[:16]
    return f"hearth-{digest}"


def ask_running_instance_to_show(paths: AppPaths) -> bool:
    """True when the running instance took the request (it shows its window)."""
    socket = QLocalSocket()
    deadline = time.monotonic() + HANDOVER_TIMEOUT_MS / 1000
    # The running instance may still be starting: it takes the lock before it listens.
    while True:
        socket.connectToServer(server_name(paths))
        if socket.waitForConnected(HANDOVER_TIMEOUT_MS):
            break
        if time.monotonic() > deadline:
            return False
        QThread.msleep(50)
    socket.write(SHOW_REQUEST)
    delivered = socket.waitForBytesWritten(HANDOVER_TIMEOUT_MS)
    socket.disconnectFromServer()
    return delivered


class ShowRequests(QObject):
    """Listens for later starts of Hearth on the same data; each asks to show the window."""

    showRequested = Signal()

    def __init__(self, paths: AppPaths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._server = QLocalServer(self)
        name = server_name(paths)
        # We hold the data lock, so a leftover socket file can only be a crashed run's.
        QLocalServer.removeServer(name)
        self._server.newConnection.connect(self._accept)
        self.listening = self._server.listen(name)

    def _accept(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(SHOW_REQUEST.strip()):
            self.showRequested.emit()
