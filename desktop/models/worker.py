"""The models worker: lives on the engine thread and owns the model library and the downloads.

Listing, importing and deleting run on the engine thread (imports are pumped in slices like
replies, so chatting goes on). Network calls (Hub search, a repository's file list) run on a
small pool of plain threads, because a slow network must not hold up the engine thread;
downloads run on the download manager's own threads. Their results come back as signals.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from desktop.engine_texts import say
from engine.chat.templates import TemplateChoice
from engine.errors import HearthError
from engine.host.backend import backend_info
from engine.models.downloads import DownloadEvent, DownloadManager, DownloadState
from engine.models.hub import QuantOption, repo_chat_template, repo_gguf_files, search_gguf
from engine.models.library import ImportDone, ImportEvent, ImportProgress, ModelLibrary
from engine.models.memory import machine_memory
from engine.paths import AppPaths
from engine.remote.credentials import TokenStore

log = logging.getLogger(__name__)

IMPORT_SLICE_S = 0.03


class ModelsWorker(QObject):
    modelsListed = Signal(list, object)  # list[InstalledModel], MachineMemory
    hubResults = Signal(int, list)  # request number, list[RepoSummary]
    hubFailed = Signal(int, str)  # request number, why
    repoFiles = Signal(str, list)  # repo id, list[QuantOption]
    repoFailed = Signal(str, str)  # repo id, why
    repoTemplate = Signal(str, str, bool)  # repo id, what its GGUF's template does here, works
    downloadChanged = Signal(object)  # DownloadEvent
    unfinishedDownloads = Signal(list)  # list[PartialDownload], from an earlier session
    importProgress = Signal(str, int, int)  # file name, bytes copied, bytes in all
    importEnded = Signal(str, str)  # file name, "" or why it failed
    errorOccurred = Signal(str)
    _recorded = Signal(object)  # a finished download, to record on the engine thread

    def __init__(self, paths: AppPaths) -> None:
        super().__init__()
        self._paths = paths
        self._library: ModelLibrary | None = None
        self._downloads: DownloadManager | None = None
        self._tokens = TokenStore(paths)
        self._network = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hearth-hub")
        self._import: tuple[str, Iterator[ImportEvent]] | None = None
        self._pump = QTimer(self)
        self._pump.setInterval(0)
        self._pump.timeout.connect(self._pump_import)
        self._recorded.connect(self._record_download)

    def _lib(self) -> ModelLibrary:
        if self._library is None:
            self._paths.ensure()
            self._library = ModelLibrary.open(self._paths.models_dir)
            self._downloads = DownloadManager(
                self._paths.models_dir, self._on_download_event, token=self._token
            )
        return self._library

    def _token(self) -> str | None:
        try:
            return self._tokens.get()
        except HearthError as error:
            self.errorOccurred.emit(say(error))
            return None

    def _guard(self, action: Callable[[], object]) -> None:
        try:
            action()
        except HearthError as error:
            self.errorOccurred.emit(say(error))
        except Exception as error:
            log.exception("models worker failed")
            self.errorOccurred.emit(self.tr("Unexpected error: {error}").format(error=error))

    @Slot()
    def start(self) -> None:
        def begin() -> None:
            self.refresh()
            assert self._downloads is not None
            unfinished = self._downloads.unfinished()
            if unfinished:
                self.unfinishedDownloads.emit(unfinished)
        self._guard(begin)

    @Slot()
    def refresh(self) -> None:
        self._guard(lambda: self.modelsListed.emit(
            self._lib().models(), machine_memory(backend_info())
        ))

    # The Hub: on the network pool, never on the engine thread ------------------------------

    @Slot(int, str, str)
    def search(self, request: int, query: str, sort: str) -> None:
        token = self._token()

        def run() -> None:
            try:
                found = search_gguf(query, sort="recent" if sort == "recent" else "downloads",
                                    limit=50, token=token)
            except HearthError as error:
                self.hubFailed.emit(request, say(error))
                return
            self.hubResults.emit(request, found)
        self._network.submit(run)

    @Slot(str)
    def list_repo(self, repo_id: str) -> None:
        token = self._token()

        def run() -> None:
            try:
                options = repo_gguf_files(repo_id, token=token)
            except HearthError as error:
                self.repoFailed.emit(repo_id, say(error))
                return
            self.repoFiles.emit(repo_id, options)
            if not options:
                return
            try:  # checked in the sandbox before anything is downloaded
                template = repo_chat_template(repo_id, token=token)
            except HearthError as error:
                log.info("no chat template from the Hub for %s: %s", repo_id, error)
                return
            self.repoTemplate.emit(repo_id, template.verdict(), template.problem() is None)
        self._network.submit(run)

    @Slot(str)
    def set_token(self, token: str) -> None:
        def store() -> None:
            if token.strip():
                self._tokens.set(token)
            else:
                self._tokens.clear()
        self._guard(store)

    # Downloads: the manager's threads report through `_on_download_event` -----------------

    @Slot(object)
    def download(self, option: QuantOption) -> None:
        self._guard(lambda: self._manager().start(option))

    @Slot(str)
    def pause(self, download_id: str) -> None:
        self._guard(lambda: self._manager().pause(download_id))

    @Slot(str)
    def resume(self, download_id: str) -> None:
        self._guard(lambda: self._manager().resume(download_id))

    @Slot(str)
    def cancel(self, download_id: str) -> None:
        self._guard(lambda: self._manager().cancel(download_id))

    def _manager(self) -> DownloadManager:
        self._lib()
        assert self._downloads is not None
        return self._downloads

    def _on_download_event(self, event: DownloadEvent) -> None:
        # Called on a download thread: a signal is the one safe way back.
        self.downloadChanged.emit(event)
        if event.state == DownloadState.DONE:
            self._recorded.emit(event)

    @Slot(object)
    def _record_download(self, event: DownloadEvent) -> None:
        def record() -> None:
            library = self._lib()
            if event.paths:
                first = event.paths[0]
                library.record_download(first, event.repo_id, first.name)
            self.refresh()
        self._guard(record)

    # Imports and deletions: on the engine thread, an import pumped in slices --------------

    @Slot(str, bool)
    def import_file(self, path: str, reference: bool) -> None:
        if self._import is not None:
            self.errorOccurred.emit(self.tr("Another model is being imported; wait for it to "
                                            "finish."))
            return
        name = Path(path).name
        try:
            self._import = (name, self._lib().import_steps(Path(path), reference=reference))
        except HearthError as error:
            self.importEnded.emit(name, say(error))
            return
        self._pump.start()

    @Slot()
    def cancel_import(self) -> None:
        if self._import is not None:
            name, steps = self._import
            self._finish_import(name, steps, self.tr("Import cancelled; nothing was kept."))

    def _pump_import(self) -> None:
        if self._import is None:
            self._pump.stop()
            return
        name, steps = self._import
        deadline = time.perf_counter() + IMPORT_SLICE_S
        try:
            for event in steps:
                if isinstance(event, ImportDone):
                    self._finish_import(name, steps, "")
                    self.refresh()
                    return
                if isinstance(event, ImportProgress) and time.perf_counter() >= deadline:
                    self.importProgress.emit(name, event.copied_bytes, event.total_bytes)
                    return
        except HearthError as error:
            self._finish_import(name, steps, say(error))
            return
        self._finish_import(name, steps, self.tr("The import ended without a result."))

    def _finish_import(self, name: str, steps: Iterator[ImportEvent], problem: str) -> None:
        self._import = None
        self._pump.stop()
        with contextlib.suppress(Exception):
            steps.close()  # type: ignore[attr-defined]
        self.importEnded.emit(name, problem)

    @Slot(str, object)
    def set_template(self, key: str, choice: TemplateChoice | None) -> None:
        """A person's choice of chat template for a model (None: Hearth's again)."""
        def choose() -> None:
            library = self._lib()
            library.set_template(library.find(key), choice)
            self.refresh()
        self._guard(choose)

    @Slot(str)
    def delete(self, key: str) -> None:
        def remove() -> None:
            library = self._lib()
            library.delete(library.find(key))
            self.refresh()
        self._guard(remove)

    @Slot()
    def shutdown(self) -> None:
        """Pauses downloads (their partials stay for the next start) and ends network work."""
        if self._import is not None:
            name, steps = self._import
            self._finish_import(name, steps, self.tr("Import cancelled: Hearth is closing."))
        if self._downloads is not None:
            self._downloads.shutdown(timeout=5)
        self._network.shutdown(wait=False, cancel_futures=True)

