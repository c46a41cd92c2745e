"""The collections worker: the document index on a thread of its own, indexing in steps.

Not the engine thread: that one drives the chat model and must stay free. Indexing needs only
the disk and the search model (an `Embedder`), which runs in the engine worker's host beside the
chat model: this thread asks it for vectors directly, and the host serves them between the
tokens of a reply being written.
The worker's `DocumentIndex` (its own SQLite connection) is opened on this thread at the first
request and closed by `shutdown`, on this thread too.

A re-index is a generator driven one step (one file) per event: each step posts the next to
the back of this thread's queue, so a search, a listing or a Stop asked for meanwhile is
answered between two files instead of after the whole folder (superqt's `GeneratorWorker`
shape). Stop is a `threading.Event` the GUI sets directly; the engine checks it between files
and between batches of passages, and every file finished before it stays indexed.

While Hearth runs, the worker watches the collections' folders (each subfolder, and the
documents in them, up to WATCH_LIMIT paths) with a `QFileSystemWatcher` of this thread, and
compares every collection with its files every CHECK_EVERY_MS for what the system's notices
miss. A change waits until the folder has been quiet for SETTLE_MS, then a collection whose
files differ from its index (sizes and modification times) gets the same incremental re-index
the Re-index button asks for: its progress and Stop in the tab, the other files untouched.

Requests arrive as bound calls carried by one queued signal (desktop/collections/client.py), so
a new operation is a method, not a pair of mirrored signals; results leave as the signals of a
`CollectionsResults` that lives on the GUI thread, carrying engine records, and the GUI applies
them to its own models.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QFileSystemWatcher, QObject, Qt, QTimer, Signal, Slot

from desktop.engine_texts import say
from desktop.i18n import QT_TRANSLATE_NOOP
from engine.documents.collections import (
    DocumentIndex,
    IndexDone,
    IndexProgress,
    WatchedCollection,
)
from engine.errors import DocumentError, HearthError, OperationCancelled
from engine.host.client import HostRuntime
from engine.paths import AppPaths

log = logging.getLogger("hearth.collections")
SEARCH_LIMIT = 8
LIST_EVERY_S = 1.0  # while indexing, the files done are listed again at most this often
# A change in a watched folder is acted on once the folder has been quiet this long: a file
# being copied or saved in steps is indexed once, whole.
SETTLE_MS = 2000
# Every collection is also compared with its files this often, for what the system's change
# notices miss (a network drive, a folder beyond WATCH_LIMIT).
CHECK_EVERY_MS = 60_000
# Paths watched at most, folders first (they notice files added and removed), then documents
# (an edit in place): the system's own limit on watches is shared by every program.
WATCH_LIMIT = 4000


def describe(done: IndexDone, name: str) -> str:
    """One line on how a re-index went, for the tab's status line."""
    counts = [QCoreApplication.translate("collections.worker", what).format(number=number)
              for number, what in (
                  (done.added, QT_TRANSLATE_NOOP("collections.worker", "{number} added")),
                  (done.changed, QT_TRANSLATE_NOOP("collections.worker", "{number} changed")),
                  (done.removed, QT_TRANSLATE_NOOP("collections.worker", "{number} removed")),
                  (done.unchanged, QT_TRANSLATE_NOOP("collections.worker", "{number} unchanged")),
                  (len(done.failed), QT_TRANSLATE_NOOP("collections.worker",
                                                       "{number} unreadable"))) if number]
    if done.cancelled:
        kept = f" ({', '.join(counts)})" if counts else ""
        return (QCoreApplication.translate("collections.worker", "Stopped indexing “{name}”{kept}: "
                                                                 "the files done stay indexed; "
                                                                 "Re-index finishes the rest.")
                .format(name=name, kept=kept))
    if not counts:
        return QCoreApplication.translate("collections.worker", "“{name}” has no documents to "
                                                                "index yet.").format(name=name)
    return (QCoreApplication.translate("collections.worker", "Indexed “{name}”: {join} "
                                                             "({pages:.1f} pages in {seconds:.1f} "
                                                             "s).")
            .format(name=name,
                    join=', '.join(counts),
                            pages=done.pages,
                                    seconds=done.seconds))


@dataclass
class _Job:
    collection_id: int
    name: str
    cancel: threading.Event
    steps: Iterator[IndexProgress | IndexDone] | None = None


class CollectionsResults(QObject):
    """The worker's results, on an object that stays on the GUI thread while the worker emits
    them from its own: Qt queues every one to the GUI thread, for slots and lambdas alike (a
    lambda connected to a signal of the worker would run on the worker's thread)."""

    collectionsListed = Signal(list)  # list[CollectionRecord], by name
    created = Signal(object)  # the CollectionRecord just made
    filesListed = Signal(int, list)  # collection id, list[FileRecord]
    indexing = Signal(bool)  # a re-index began (True), or the last queued one ended (False)
    progress = Signal(int, int, str)  # files done, files in all, the file being read
    indexed = Signal(str, object)  # a line to show, IndexDone
    searchResults = Signal(int, str, list)  # collection id, query, list[Hit] best first
    failed = Signal(str)


class CollectionsWorker(QObject):
    stopped = Signal()  # the last thing it does, on its own thread
    _next = Signal()  # posted to itself: the next step of the running re-index

    def __init__(self, paths: AppPaths, host: HostRuntime, results: CollectionsResults,
                 closing: threading.Event, new_cancel: Callable[[], threading.Event]) -> None:
        super().__init__()
        self._paths = paths
        self._new_cancel = new_cancel  # the client's: Stop reaches re-indexes begun here too
        self._host = host  # the engine worker's: the search model runs beside the chat model
        self.results = results
        self._closing = closing  # set by the GUI before shutdown: pending requests are dropped
        self._index: DocumentIndex | None = None
        self._jobs: deque[_Job] = deque()
        self._step_posted = False  # one step in the queue at a time, however jobs come and go
        self._listed_at = 0.0
        self._next.connect(self._step, Qt.ConnectionType.QueuedConnection)
        # Watching, made on this thread when the index opens (see `_start_watching`).
        self._watcher: QFileSystemWatcher | None = None
        self._settle: QTimer | None = None
        self._check_timer: QTimer | None = None
        self._watch_of: dict[str, set[int]] = {}  # a watched path: the collections it is in
        self._pending: set[int] = set()  # collections with a change not yet looked at
        # Every collection to be looked at (at the start, and every CHECK_EVERY_MS).
        self._everything = False

    # -- requests: run on this thread, each a call the client posts through `run` -----------

    @Slot(object)
    def run(self, call: Callable[[], None]) -> None:
        """Runs a request posted from the GUI thread (a method of this worker, with its
        arguments bound): one queued signal carries every request, each call typed where made."""
        call()

    def watch(self) -> None:
        """Opens the index, which starts watching the collections' folders."""
        with self._reported(self.tr("watch the collections' folders")):
            self._opened()

    def refresh(self, collection_id: int | None) -> None:
        """Lists the collections, and the files of `collection_id` if given."""
        with self._reported(self.tr("list the collections")):
            self._list(collection_id)

    def create(self, name: str) -> None:
        with self._reported(self.tr("make the collection")):
            record = self._opened().create(name)
            self._list(None)
            self.results.created.emit(record)

    def add(self, collection_id: int, paths: list[str], cancel: threading.Event) -> None:
        """Adds files and folders, then indexes the collection."""
        with self._reported(self.tr("add to the collection")):
            self._opened().add_sources(collection_id, [Path(path) for path in paths])
            self._list(collection_id)  # its sources, at once
            self._rewatch()  # a change from now on is noticed
            self.reindex(collection_id, cancel)

    def reindex(self, collection_id: int, cancel: threading.Event) -> None:
        with self._reported(self.tr("index the collection")):
            name = next((c.name for c in self._opened().collections()
                         if c.id == collection_id), None)
            if name is None:
                self._list(None)
                raise DocumentError(self.tr("That collection is no longer there."))
            self._jobs.append(_Job(collection_id, name, cancel))
            if len(self._jobs) == 1:
                self.results.indexing.emit(True)
                self._post_step()

    def remove(self, name: str) -> None:
        with self._reported(self.tr("remove “{name}”").format(name=name)):
            index = self._opened()
            record = index.collection(name)
            dropped = [job for job in self._jobs if job.collection_id == record.id]
            for job in dropped:
                self._drop(job)
            if dropped and not self._jobs:
                self.results.indexing.emit(False)
            index.remove(name)
            self._list(None)
            self._rewatch()

    def search(self, collection_id: int, query: str) -> None:
        with self._reported(self.tr("search the collection")):
            index = self._opened()
            hits = index.search([collection_id], query, SEARCH_LIMIT) if query.strip() else []
            self.results.searchResults.emit(collection_id, query, hits)

    def shutdown(self) -> None:
        """Ends any re-index (its finished files stay) and closes the index; runs here."""
        try:
            self._stop_watching()
            while self._jobs:
                self._drop(self._jobs[0])
            if self._index is not None:
                self._index.close()
                self._index = None
        except Exception:
            log.exception("closing the document index")
        finally:
            self.stopped.emit()

    # -- indexing, one file per step --------------------------------------------------------

    def _post_step(self) -> None:
        if not self._step_posted:
            self._step_posted = True
            self._next.emit()

    @Slot()
    def _step(self) -> None:
        self._step_posted = False
        if not self._jobs or self._closing.is_set():
            return
        job = self._jobs[0]
        event: IndexProgress | IndexDone | None = None
        with self._reported(self.tr("index “{name}”").format(name=job.name), job):
            if job.steps is None:
                job.steps = self._opened().reindex(job.collection_id, job.cancel)
            event = next(job.steps, None)
        if job not in self._jobs:  # it failed, and _reported finished it
            return
        if isinstance(event, IndexProgress):
            if time.monotonic() - self._listed_at > LIST_EVERY_S:
                with self._reported(self.tr("list the collections")):
                    self._list(job.collection_id)  # the files done so far, as they come
            self.results.progress.emit(event.done, event.total, event.path)
            self._post_step()
            return
        self._finish(job)
        if isinstance(event, IndexDone):
            self.results.indexed.emit(describe(event, job.name), event)

    def _finish(self, job: _Job) -> None:
        """Takes the job off the queue, lists what it changed, starts the next one."""
        self._drop(job)
        if job.collection_id in self._pending and self._settle is not None:
            self._settle.start()  # a change came while it ran: look again
        with self._reported(self.tr("list the collections")):
            self._list(job.collection_id)
        if self._jobs:
            self._post_step()
        else:
            self.results.indexing.emit(False)

    def _drop(self, job: _Job) -> None:
        if isinstance(job.steps, Generator):
            job.steps.close()  # at a yield, between files: no transaction is open there
        self._jobs.remove(job)

    # -- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _reported(self, doing: str, job: _Job | None = None) -> Iterator[None]:
        """Errors become `failed` with a message to show (a job that fails is finished):
        the engine's own as they are, others (a bug) logged and said plainly."""
        try:
            yield
        except Exception as error:
            if self._closing.is_set():  # the window is gone: nobody to tell
                log.info("while closing, could not %s: %s", doing, error)
                return
            if isinstance(error, HearthError):
                message = say(error)
            else:
                log.exception("could not %s", doing)
                message = self.tr("Could not {doing}: {error}").format(doing=doing, error=error)
            if job is not None and job in self._jobs:
                self._finish(job)
                message = self.tr("Indexing “{name}” stopped. {message}").format(name=job.name,
                        message=message)
            self.results.failed.emit(message)

    def _opened(self) -> DocumentIndex:
        if self._closing.is_set():
            raise OperationCancelled(self.tr("Hearth is closing."))
        if self._index is None:
            self._index = DocumentIndex.open_for(self._paths, self._host)
            self._start_watching()
        return self._index

    # -- watching the collections' folders -------------------------------------------------

    def _start_watching(self) -> None:
        """Watches the folders and files of every collection from now on: a change is acted
        on once things settle (SETTLE_MS), and only where the files differ from the index.
        At the start every collection is looked at, for changes made while Hearth was closed."""
        self._watcher = QFileSystemWatcher()  # no parent: dropped on this thread at shutdown
        self._watcher.directoryChanged.connect(self._changed)
        self._watcher.fileChanged.connect(self._changed)
        self._settle = QTimer()
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._check)
        self._check_timer = QTimer()
        self._check_timer.setInterval(CHECK_EVERY_MS)
        self._check_timer.timeout.connect(self._check_all)
        self._check_timer.start()
        self._check_all()

    def _stop_watching(self) -> None:
        for timer in (self._settle, self._check_timer):
            if timer is not None:
                timer.stop()
        if self._watcher is not None:
            self._watcher.blockSignals(True)
            watched = self._watcher.files() + self._watcher.directories()
            if watched:
                self._watcher.removePaths(watched)
        self._watcher = self._settle = self._check_timer = None
        self._pending.clear()

    @Slot(str)
    def _changed(self, path: str) -> None:
        """Something changed in a watched folder or file: wait for it to settle."""
        if self._settle is None or self._closing.is_set():
            return
        # A path the watcher words otherwise than it was given: every collection is looked at.
        self._pending |= self._watch_of.get(path) or {i for ids in self._watch_of.values()
                                                      for i in ids}
        self._settle.start()  # again from the start: the changes settle first

    def _check_all(self) -> None:
        self._everything = True
        if self._settle is not None:
            self._settle.start()

    @Slot()
    def _check(self) -> None:
        """Re-indexes each collection with a change pending whose files differ from its
        index, and watches the folders and files there are now (a new subfolder too)."""
        if self._closing.is_set() or self._watcher is None:
            return
        with self._reported(self.tr("watch the collections' folders")):
            index = self._opened()
            watched = index.watched()
            self._watch(watched)
            ids = {collection.id for collection in watched}
            pending = ids if self._everything else self._pending & ids
            self._pending, self._everything = set(), False
            for collection_id in sorted(pending):
                jobs = [job for job in self._jobs if job.collection_id == collection_id]
                if any(job.steps is None for job in jobs):
                    continue  # a re-index yet to begin sees the change
                if jobs:
                    self._pending.add(collection_id)  # looked at again when it ends
                elif index.stale(collection_id):
                    log.info("files changed in collection %s: re-indexing", collection_id)
                    self.reindex(collection_id, self._new_cancel())

    def _rewatch(self) -> None:
        if self._watcher is not None:
            self._watch(self._opened().watched())

    def _watch(self, watched: list[WatchedCollection]) -> None:
        """Watches these collections' folders, then their documents, up to WATCH_LIMIT."""
        assert self._watcher is not None
        wanted: dict[str, set[int]] = {}
        for collection in watched:
            for folder in collection.folders:
                wanted.setdefault(str(folder), set()).add(collection.id)
        for collection in watched:
            for file in collection.files:
                wanted.setdefault(str(file), set()).add(collection.id)
        if len(wanted) > WATCH_LIMIT:
            log.info("watching %s of %s folders and files", WATCH_LIMIT, len(wanted))
        kept = dict(list(wanted.items())[:WATCH_LIMIT])  # folders first: dicts keep order
        current = set(self._watcher.files()) | set(self._watcher.directories())
        gone = sorted(current - set(kept))
        if gone:
            self._watcher.removePaths(gone)
        new = [path for path in kept if path not in current]
        if new:
            failed = self._watcher.addPaths(new)
            if failed:
                log.info("cannot watch %s paths, such as %s", len(failed), failed[0])
        self._watch_of = kept

    def _list(self, collection_id: int | None) -> None:
        index = self._opened()
        self._listed_at = time.monotonic()
        self.results.collectionsListed.emit(index.collections())
        if collection_id is not None:
            self.results.filesListed.emit(collection_id, index.files(collection_id))
