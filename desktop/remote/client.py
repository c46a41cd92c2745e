"""The GUI's handle on remote engines: the list a person added, their models, the network switch.

The settings file is read on a plain thread and each server is asked on a daemon thread of its
own, never on the GUI thread (a slow server must not freeze the window) and never on the engine
thread (it may be busy with a reply): Python waits for pool threads at exit, so a server that
never answers would keep Hearth running long after its window closed. Results come back as
signals, delivered on the GUI thread. The network switch is
one `NetworkSwitch` shared with the engine worker: flipping it stops remote work at once, before
any file is written.

One client serves the whole window: `remote_engines(client)` finds or makes it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from desktop.engine_client import EngineClient
from desktop.engine_texts import say
from desktop.i18n import QT_TRANSLATE_NOOP, translated
from engine.errors import HearthError
from engine.remote.engines import RemoteEngines
from engine.remote.settings import RemoteSettings

log = logging.getLogger(__name__)

NETWORK_ACTION_TEXT = QT_TRANSLATE_NOOP("remote.client", "Use &remote engines (network)")
NETWORK_OFF_TEXT = QT_TRANSLATE_NOOP("remote.client", "Network switch off: remote engines are "
                                                      "turned off.")


class RemoteEnginesClient(QObject):
    settingsLoaded = Signal(object, object)  # RemoteSettings, notice: str | None
    modelsListed = Signal(str, list)  # endpoint name, list[RemoteModelListing]
    modelsFailed = Signal(str, str)  # endpoint name, why
    added = Signal(str)  # endpoint name
    actionFailed = Signal(str)  # why an add or a remove did not happen
    networkChanged = Signal(bool)

    def __init__(self, client: EngineClient) -> None:
        super().__init__(client)
        self.setObjectName("remote-engines")
        self._engines = RemoteEngines(client.worker.paths, network=client.worker.remote_network)
        self._files = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hearth-remote-file")
        self._closed = threading.Event()  # the window is going: late answers are dropped
        self.settings = RemoteSettings()
        self._synced = False  # the switch follows the file once, at the first read
        self.settingsLoaded.connect(self._remember)
        self.networkChanged.connect(client.worker.set_remote_network)  # queued: engine thread
        client.shuttingDown.connect(self.shutdown)  # its file thread ends with the window
        client.destroyed.connect(lambda *_: self.shutdown())

    @property
    def network_on(self) -> bool:
        return self._engines.network.is_on()

    def refresh(self) -> None:
        """Reads the list again, then asks each enabled server for its models."""
        def read() -> None:
            loaded = self._engines.load()
            self.settingsLoaded.emit(loaded.settings, loaded.notice)
            if loaded.settings.network_enabled and self.network_on:
                for endpoint in loaded.settings.endpoints:
                    if endpoint.enabled:
                        self.list_models(endpoint.name)
        self._files.submit(self._guarded(read))

    def list_models(self, name: str) -> None:
        def ask() -> None:
            try:
                found = self._engines.list_models(name)
            except HearthError as error:
                self.modelsFailed.emit(name, say(error))
                return
            self.modelsListed.emit(name, found)
        if not self._closed.is_set():
            threading.Thread(target=self._guarded(ask), daemon=True,
                             name=f"hearth-remote-models-{name}").start()

    def add(self, name: str, url: str, api_key: str, context_length: int | None = None) -> None:
        def add() -> None:
            try:
                endpoint = self._engines.add(name, url, api_key or None, context_length)
            except HearthError as error:
                self.actionFailed.emit(say(error))
                return
            self.added.emit(endpoint.name)
            self.settingsLoaded.emit(self._engines.settings, None)
            self.list_models(endpoint.name)
        self._files.submit(self._guarded(add))

    def remove(self, name: str) -> None:
        def remove() -> None:
            try:
                self._engines.remove(name)
            except HearthError as error:
                self.actionFailed.emit(say(error))
                return
            self.settingsLoaded.emit(self._engines.settings, None)
        self._files.submit(self._guarded(remove))

    def set_network(self, on: bool) -> None:
        """Flips the switch now (every remote engine stops at once), saves it in the background."""
        if on == self.network_on:
            return
        self._engines.network.set(on)
        self.networkChanged.emit(on)

        def save() -> None:
            try:
                self._engines.set_network(on)
            except HearthError as error:
                self.actionFailed.emit(self.tr("The network switch could not be saved: {error}")
                                       .format(error=error))
            if on:
                self.refresh()
        self._files.submit(self._guarded(save))

    def shutdown(self) -> None:
        self._closed.set()
        self._files.shutdown(wait=False, cancel_futures=True)

    def _remember(self, settings: RemoteSettings, _notice: object) -> None:
        self.settings = settings
        if not self._synced:
            self._synced = True
            if settings.network_enabled != self.network_on:
                self._engines.network.set(settings.network_enabled)
                self.networkChanged.emit(settings.network_enabled)

    def _guarded(self, work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            except Exception as error:
                if self._closed.is_set():
                    return  # the window (and this object) went while the server answered
                log.exception("remote engines: unexpected failure")
                self.actionFailed.emit(self.tr("Unexpected error: {error}").format(error=error))
        return run


def remote_engines(client: EngineClient) -> RemoteEnginesClient:
    """The window's one remote engines client, made on first use."""
    found = client.findChild(RemoteEnginesClient, "remote-engines")
    if isinstance(found, RemoteEnginesClient):
        return found
    made = RemoteEnginesClient(client)
    made.refresh()
    return made


class NetworkAction(QAction):
    """The checkable "Use remote engines" switch for a menu: off turns them all off at once."""

    def __init__(self, client: EngineClient, parent: QWidget) -> None:
        super().__init__(translated("remote.client", NETWORK_ACTION_TEXT), parent)
        remote = remote_engines(client)
        self.setCheckable(True)
        self.setChecked(remote.network_on)
        self.setToolTip(self.tr("Off: no remote engine is contacted; chats use local models only"))
        self.toggled.connect(remote.set_network)
        remote.networkChanged.connect(self.setChecked)
