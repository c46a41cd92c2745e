"""The GUI's handle on the models worker, which runs on the engine thread.

Requests go out as queued signals; the worker's signals are re-emitted here, on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QThread, Signal

from desktop.models.worker import ModelsWorker
from engine.chat.templates import TemplateChoice
from engine.models.hub import QuantOption
from engine.paths import AppPaths

_FORWARDED = (
    "modelsListed", "hubResults", "hubFailed", "repoFiles", "repoFailed", "repoTemplate",
    "downloadChanged",
    "unfinishedDownloads", "importProgress", "importEnded", "errorOccurred",
)


class ModelsClient(QObject):
    modelsListed = Signal(list, object)
    hubResults = Signal(int, list)
    hubFailed = Signal(int, str)
    repoFiles = Signal(str, list)
    repoFailed = Signal(str, str)
    repoTemplate = Signal(str, str, bool)
    downloadChanged = Signal(object)
    unfinishedDownloads = Signal(list)
    importProgress = Signal(str, int, int)
    importEnded = Signal(str, str)
    errorOccurred = Signal(str)

    _startRequested = Signal()
    _refreshRequested = Signal()
    _searchRequested = Signal(int, str, str)
    _repoRequested = Signal(str)
    _tokenRequested = Signal(str)
    _downloadRequested = Signal(object)
    _pauseRequested = Signal(str)
    _resumeRequested = Signal(str)
    _cancelRequested = Signal(str)
    _importRequested = Signal(str, bool)
    _cancelImportRequested = Signal()
    _deleteRequested = Signal(str)
    _templateRequested = Signal(str, object)
    _shutdownRequested = Signal()

    def __init__(self, thread: QThread, paths: AppPaths, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker = ModelsWorker(paths)
        self.worker.moveToThread(thread)
        self._searches = 0
        for signal, slot in (
            (self._startRequested, self.worker.start),
            (self._refreshRequested, self.worker.refresh),
            (self._searchRequested, self.worker.search),
            (self._repoRequested, self.worker.list_repo),
            (self._tokenRequested, self.worker.set_token),
            (self._downloadRequested, self.worker.download),
            (self._pauseRequested, self.worker.pause),
            (self._resumeRequested, self.worker.resume),
            (self._cancelRequested, self.worker.cancel),
            (self._importRequested, self.worker.import_file),
            (self._cancelImportRequested, self.worker.cancel_import),
            (self._deleteRequested, self.worker.delete),
            (self._templateRequested, self.worker.set_template),
            (self._shutdownRequested, self.worker.shutdown),
        ):
            signal.connect(slot)
        for name in _FORWARDED:
            getattr(self.worker, name).connect(getattr(self, name))

    def start(self) -> None:
        self._startRequested.emit()

    def refresh(self) -> None:
        self._refreshRequested.emit()

    def search(self, query: str, sort: str) -> int:
        """Starts a Hub search; its results carry the number returned here."""
        self._searches += 1
        self._searchRequested.emit(self._searches, query, sort)
        return self._searches

    def list_repo(self, repo_id: str) -> None:
        self._repoRequested.emit(repo_id)

    def set_token(self, token: str) -> None:
        self._tokenRequested.emit(token)

    def download(self, option: QuantOption) -> None:
        self._downloadRequested.emit(option)

    def pause(self, download_id: str) -> None:
        self._pauseRequested.emit(download_id)

    def resume(self, download_id: str) -> None:
        self._resumeRequested.emit(download_id)

    def cancel(self, download_id: str) -> None:
        self._cancelRequested.emit(download_id)

    def import_file(self, path: str, reference: bool) -> None:
        self._importRequested.emit(path, reference)

    def cancel_import(self) -> None:
        self._cancelImportRequested.emit()

    def delete(self, key: str) -> None:
        self._deleteRequested.emit(key)

    def set_template(self, key: str, choice: TemplateChoice | None) -> None:
        self._templateRequested.emit(key, choice)

    def shutdown(self) -> None:
        """Queued before the engine worker's own shutdown, so it runs first on that thread."""
        self._shutdownRequested.emit()
