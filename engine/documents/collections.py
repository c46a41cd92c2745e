"""Collections of documents, indexed in the chat database for search.

A named collection holds the files and folders a person added; a chat's collection holds the
documents attached to that chat. Indexing reads each file, cuts it into passages
(engine/documents/passages.py) and stores them with the full-text index beside them. A folder is
walked again at every re-index: a file whose size and modification time are unchanged is
skipped, a changed one is read again and its old passages replaced, a removed one leaves the
index, and one that cannot be read is listed with its reason while the rest go on. Each file is
its own transaction, so Stop (or a crash) keeps every file finished before it.
`stale` tells, from sizes and modification times alone, whether a re-index has anything to
do, and `watched` what to watch on disk: the window re-indexes a collection whose folder
changed by itself (desktop/collections/worker.py).

With the search model (an `Embedder`, in the app's engine host), indexing also stores the
vectors of each passage's sentence groups, and search matches meaning as well as words;
passages indexed before the model was there get their vectors at the next indexing.

A `DocumentIndex` belongs to the thread that made it, like a `ChatStore`; indexing in the
background opens one of its own on the same file.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engine.chat.store import connect, transaction
from engine.documents.embedder import Embedder, Vectors, sentence_groups
from engine.documents.passages import split_passages
from engine.documents.reading import SUFFIX_KINDS, Document, read_document
from engine.documents.retrieval import Hit, search
from engine.documents.search_model import search_model_file, search_model_installed
from engine.errors import DocumentError
from engine.host.client import HostRuntime
from engine.paths import AppPaths
from engine.text import Text

# Text in a file without pages is counted in pages of this many characters (a printed page
# of prose), so indexing speed reads the same for a PDF and a text file.
CHARS_PER_PAGE = 3000
# Passages embedded in one call to the search model: batches keep its matrix units busy,
# and Stop waits for at most one (about a second on 2 cores).
EMBED_PASSAGES = 16


@dataclass(frozen=True)
class CollectionRecord:
    id: int
    name: str | None  # None for a chat's own collection
    chat_id: int | None
    sources: tuple[str, ...]  # the files and folders added, as given
    files: int  # files indexed
    passages: int
    failed: int  # files that could not be read


@dataclass(frozen=True)
class FileRecord:
    path: str
    name: str
    passages: int
    pages: int | None
    error: str | None  # why it could not be read; None once indexed


@dataclass(frozen=True)
class IndexProgress:
    done: int  # files looked at so far
    total: int
    path: str  # the file being read next


@dataclass(frozen=True)
class IndexDone:
    added: int
    changed: int
    removed: int
    unchanged: int
    failed: tuple[tuple[str, str], ...]  # (path, reason) of each file that could not be read
    pages: float  # pages read (PDF pages, else CHARS_PER_PAGE characters a page)
    seconds: float
    cancelled: bool


@dataclass(frozen=True)
class WatchedCollection:
    id: int
    name: str
    folders: tuple[Path, ...]  # its folder sources and their subfolders (hidden ones left out)
    files: tuple[Path, ...]  # its documents on disk now


class DocumentIndex:
    def __init__(self, conn: sqlite3.Connection, embedder: Embedder | None = None) -> None:
        self._conn = conn
        self._embedder = embedder
        # The vectors of the collections searched last, while the index is unchanged.
        self._vectors: _PassageVectors | None = None

    @classmethod
    def open(cls, path: Path, embedder: Embedder | None = None) -> DocumentIndex:
        """The index in the chat database at `path` (":memory:" for one that is thrown away),
        searching by meaning too with `embedder`, which it then owns."""
        return cls(connect(path), embedder)

    @classmethod
    def open_for(cls, paths: AppPaths, host: HostRuntime | None,
                 database: Path | None = None) -> DocumentIndex:
        """The app's index (or the one in `database`), with the search model if installed, in
        `host` beside the chat model (None: in a host of the index's own)."""
        embedder = (Embedder(lambda: search_model_file(paths), host)
                    if search_model_installed(paths) else None)
        return cls.open(database or paths.database, embedder)

    def close(self) -> None:
        self._conn.close()
        if self._embedder is not None:
            self._embedder.close()

    # -- collections ----------------------------------------------------------------------------

    def create(self, name: str) -> CollectionRecord:
        name = name.strip()
        if not name:
            raise DocumentError(Text("A collection needs a name."))
        with self._transaction(Text("create the collection “{name}”", name=name)):
            if self._conn.execute("SELECT 1 FROM collections WHERE name = ?", (name,)).fetchone():
                raise DocumentError(Text("There is already a collection called “{name}”.",
                                         name=name))
            self._conn.execute("INSERT INTO collections (name, created_at) VALUES (?, ?)",
                               (name, time.time()))
        return self.collection(name)

    def chat_collection(self, chat_id: int) -> CollectionRecord:
        """The collection of the documents attached to a chat, made on first use."""
        with self._transaction(Text("keep the chat's documents")):
            self._conn.execute(
                "INSERT OR IGNORE INTO collections (chat_id, created_at) VALUES (?, ?)",
                (chat_id, time.time()))
        row = self._conn.execute("SELECT id FROM collections WHERE chat_id = ?",
                                 (chat_id,)).fetchone()
        return self._record(row[0])

    def chat_collection_id(self, chat_id: int) -> int | None:
        """The chat's collection, if it has one (none is made)."""
        row = self._conn.execute("SELECT id FROM collections WHERE chat_id = ?",
                                 (chat_id,)).fetchone()
        return None if row is None else int(row[0])

    def attach(self, chat_id: int, collection_id: int) -> None:
        """Attaches a named collection to a chat: its passages answer questions there."""
        row = self._conn.execute("SELECT name FROM collections WHERE id = ?",
                                 (collection_id,)).fetchone()
        if row is None or row[0] is None:
            raise DocumentError(Text("That collection is no longer there."))
        with self._transaction(Text("attach “{name}” to the chat", name=row[0])):
            self._conn.execute(
                "INSERT OR IGNORE INTO chat_collections (chat_id, collection_id, attached_at) "
                "VALUES (?, ?, ?)", (chat_id, collection_id, time.time()))

    def detach(self, chat_id: int, collection_id: int) -> None:
        with self._transaction(Text("detach the collection from the chat")):
            self._conn.execute(
                "DELETE FROM chat_collections WHERE chat_id = ? AND collection_id = ?",
                (chat_id, collection_id))

    def attached(self, chat_id: int) -> list[CollectionRecord]:
        """The named collections attached to a chat, by name."""
        rows = self._conn.execute(
            "SELECT c.id FROM chat_collections AS a JOIN collections AS c "
            "ON c.id = a.collection_id WHERE a.chat_id = ? ORDER BY c.name COLLATE NOCASE",
            (chat_id,))
        return [self._record(row[0]) for row in rows.fetchall()]

    def searched_for(self, chat_id: int) -> list[int]:
        """The collections a question in the chat is answered from: its own (its long
        documents), if it has one, then those attached to it."""
        own = self.chat_collection_id(chat_id)
        attached = [row[0] for row in self._conn.execute(
            "SELECT collection_id FROM chat_collections WHERE chat_id = ? "
            "ORDER BY collection_id", (chat_id,)).fetchall()]
        return ([own] if own is not None else []) + attached

    def collection(self, name: str) -> CollectionRecord:
        row = self._conn.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
        if row is None:
            known = ", ".join(f"“{c.name}”" for c in self.collections()) or "none yet"
            raise DocumentError(Text("There is no collection called “{name}” (collections: "
                                     "{known}).",
                                     name=name, known=known))
        return self._record(row[0])

    def collections(self) -> list[CollectionRecord]:
        """The named collections, by name."""
        rows = self._conn.execute(
            "SELECT id FROM collections WHERE name IS NOT NULL ORDER BY name COLLATE NOCASE")
        return [self._record(row[0]) for row in rows.fetchall()]

    def remove(self, name: str) -> None:
        collection = self.collection(name)
        with self._transaction(Text("remove the collection “{name}”", name=name)):
            self._conn.execute("DELETE FROM collections WHERE id = ?", (collection.id,))

    def add_sources(self, collection_id: int, paths: Sequence[Path]) -> None:
        """Adds files and folders; `reindex` reads them."""
        missing = [str(path) for path in paths if not path.exists()]
        if missing:
            raise DocumentError(Text("{names}: no such file or folder.", names=', '.join(missing)))
        with self._transaction(Text("add to the collection")):
            self._conn.executemany(
                "INSERT OR IGNORE INTO collection_sources (collection_id, path) VALUES (?, ?)",
                [(collection_id, str(path.resolve())) for path in paths])

    def files(self, collection_id: int) -> list[FileRecord]:
        rows = self._conn.execute(
            "SELECT f.path, f.name, count(p.id), f.pages, f.error FROM collection_files AS f "
            "LEFT JOIN passages AS p ON p.file_id = f.id WHERE f.collection_id = ? "
            "GROUP BY f.id ORDER BY f.path", (collection_id,))
        return [FileRecord(*row) for row in rows.fetchall()]

    def search(self, collection_ids: Sequence[int], question: str, limit: int = 5) -> list[Hit]:
        return search(self._conn, collection_ids, question, limit,
                      self._similarity(collection_ids, question))

    def _similarity(self, collection_ids: Sequence[int], question: str
                    ) -> dict[int, float] | None:
        """Each passage's similarity to the question: the mean of its best sentence group's
        cosine and its whole vector's (the normalised sum of its groups'); None without the
        search model or vectors. The best group finds the one sentence that answers; the whole
        passage, the answer spread over its sentences or worded unlike any one of them
        (on the questions that fit make bench-docs' threshold, 25 of 28 found in the first
        five against 24 by the best group alone)."""
        if self._embedder is None or not question.strip():
            return None
        marks = ",".join("?" * len(collection_ids))
        scope = ("FROM passage_vectors AS v JOIN passages AS p ON p.id = v.passage_id "
                 f"JOIN collection_files AS f ON f.id = p.file_id "
                 f"WHERE f.collection_id IN ({marks})")
        key = (tuple(collection_ids), *self._conn.execute(
            f"SELECT count(*), max(v.passage_id) {scope}", tuple(collection_ids)).fetchone())
        if key[1] == 0:
            return None
        if self._vectors is None or self._vectors.key != key:
            self._vectors = _PassageVectors.of(key, self._conn.execute(
                f"SELECT v.passage_id, v.vector {scope} ORDER BY v.passage_id",
                tuple(collection_ids)).fetchall())
        return self._vectors.similarity(self._embedder.vectors([question])[0])

    def documents(self, collection_ids: Sequence[int]) -> list[Document]:
        """The indexed documents' texts as their passages hold them (paragraphs rejoined), for
        a question about the whole text."""
        marks = ",".join("?" * len(collection_ids))
        texts: dict[int, tuple[str, list[str]]] = {}
        for file_id, name, text in self._conn.execute(
                "SELECT f.id, f.name, p.text FROM passages AS p JOIN collection_files AS f "
                f"ON f.id = p.file_id WHERE f.collection_id IN ({marks}) "
                "ORDER BY f.path, p.ordinal", tuple(collection_ids)).fetchall():
            texts.setdefault(file_id, (name, []))[1].append(text)
        return [Document(name, "\n\n".join(parts), sum(len(p.encode()) for p in parts), "text")
                for name, parts in texts.values()]

    # -- indexing -------------------------------------------------------------------------------

    def add_document(self, collection_id: int, document: Document, key: str) -> None:
        """Indexes a document already read (an attachment, pasted text) under `key`, replacing
        what was indexed under it before."""
        for _fraction in self.index_document(collection_id, document, key):
            pass

    def index_document(self, collection_id: int, document: Document, key: str
                       ) -> Iterator[float]:
        """`add_document` in steps, for a caller that must stay responsive: the fraction of
        the passages with their vectors, after each batch."""
        with self._transaction(Text("index {name}", name=document.name)):
            self._store(collection_id, key, document, None, None)
        yield from self._embedding_steps(collection_id)

    def reindex(self, collection_id: int, cancel: threading.Event | None = None
                ) -> Iterator[IndexProgress | IndexDone]:
        """Brings the collection's index in step with its files on disk: progress, then done."""
        started = time.perf_counter()
        sources = self._sources(collection_id)
        found = _files_in(sources)
        # Documents added without a file (add_document) are not the sources' to drop.
        known = {row[0]: (row[1], row[2], row[3]) for row in self._conn.execute(
            "SELECT path, size, mtime_ns, error FROM collection_files WHERE collection_id = ?",
            (collection_id,)).fetchall() if _within(Path(row[0]), sources)}
        added = changed = unchanged = 0
        pages = 0.0
        failed: list[tuple[str, str]] = []
        for done, path in enumerate(found):
            if cancel is not None and cancel.is_set():
                yield IndexDone(added, changed, 0, unchanged, tuple(failed), pages,
                                time.perf_counter() - started, cancelled=True)
                return
            yield IndexProgress(done, len(found), str(path))
            try:
                stat = path.stat()
            except OSError as error:
                failed.append((str(path), f"{path.name} cannot be opened: {error.strerror}."))
                self._record_failure(collection_id, path, None, None, failed[-1][1])
                continue
            before = known.get(str(path))
            if before is not None and before[:2] == (stat.st_size, stat.st_mtime_ns):
                if before[2] is None:
                    unchanged += 1
                else:  # unchanged and still unreadable: listed again, not read again
                    failed.append((str(path), before[2]))
                continue
            try:
                document = read_document(path)
            except DocumentError as error:
                failed.append((str(path), str(error)))
                self._record_failure(collection_id, path, stat.st_size, stat.st_mtime_ns,
                                     str(error))
                continue
            with self._transaction(Text("index {name}", name=path.name)):
                self._store(collection_id, str(path), document, stat.st_size, stat.st_mtime_ns)
            if not self._embed_missing(collection_id, cancel):
                yield IndexDone(added, changed, 0, unchanged, tuple(failed), pages,
                                time.perf_counter() - started, cancelled=True)
                return
            pages += len(document.page_starts) or len(document.text) / CHARS_PER_PAGE
            if before is None:
                added += 1
            else:
                changed += 1
        if not self._embed_missing(collection_id, cancel):
            yield IndexDone(added, changed, 0, unchanged, tuple(failed), pages,
                            time.perf_counter() - started, cancelled=True)
            return
        gone = set(known) - {str(path) for path in found}
        with self._transaction(Text("drop removed files from the index")):
            self._conn.executemany(
                "DELETE FROM collection_files WHERE collection_id = ? AND path = ?",
                [(collection_id, path) for path in sorted(gone)])
        yield IndexDone(added, changed, len(gone), unchanged, tuple(failed), pages,
                        time.perf_counter() - started, cancelled=False)

    def watched(self) -> list[WatchedCollection]:
        """The named collections with files or folders, and what on disk to watch for each:
        its folders (with their subfolders) and its documents, as they are now."""
        watched = []
        for collection_id, name in self._conn.execute(
                "SELECT id, name FROM collections WHERE name IS NOT NULL AND EXISTS (SELECT 1 "
                "FROM collection_sources AS s WHERE s.collection_id = collections.id) "
                "ORDER BY name COLLATE NOCASE").fetchall():
            folders, files = _walk(self._sources(collection_id))
            watched.append(WatchedCollection(collection_id, name, tuple(folders), tuple(files)))
        return watched

    def stale(self, collection_id: int) -> bool:
        """Whether the collection's files on disk differ from its index (a file added,
        changed or removed), found by comparing sizes and modification times only: what
        `reindex` would do something about."""
        sources = self._sources(collection_id)
        known = {row[0]: (row[1], row[2]) for row in self._conn.execute(
            "SELECT path, size, mtime_ns FROM collection_files WHERE collection_id = ?",
            (collection_id,)).fetchall() if _within(Path(row[0]), sources)}
        found = _files_in(sources)
        if {str(path) for path in found} != set(known):
            return True
        for path in found:
            try:
                stat = path.stat()
            except OSError:
                return True
            if known[str(path)] != (stat.st_size, stat.st_mtime_ns):
                return True
        return False

    def _sources(self, collection_id: int) -> list[Path]:
        return [Path(row[0]) for row in self._conn.execute(
            "SELECT path FROM collection_sources WHERE collection_id = ? ORDER BY path",
            (collection_id,)).fetchall()]

    def _store(self, collection_id: int, key: str, document: Document, size: int | None,
               mtime_ns: int | None) -> None:
        # Deleting the old row takes its passages (and their index entries) with it.
        self._conn.execute("DELETE FROM collection_files WHERE collection_id = ? AND path = ?",
                           (collection_id, key))
        file_id = self._conn.execute(
            "INSERT INTO collection_files (collection_id, path, name, size, mtime_ns, pages, "
            "indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (collection_id, key, document.name, size, mtime_ns,
             len(document.page_starts) or None, time.time())).lastrowid
        self._conn.executemany(
            "INSERT INTO passages (file_id, ordinal, start, line, page, text) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(file_id, ordinal, p.start, p.line, p.page, p.text)
             for ordinal, p in enumerate(split_passages(document))])

    def _embed_missing(self, collection_id: int, cancel: threading.Event | None = None) -> bool:
        """Vectors for the collection's passages that have none; False when Stop came first."""
        for _fraction in self._embedding_steps(collection_id):
            if cancel is not None and cancel.is_set():
                return False
        return True

    def _embedding_steps(self, collection_id: int) -> Iterator[float]:
        """Embeds the passages without vectors, EMBED_PASSAGES at a time, each batch its own
        transaction (so Stop loses at most one); yields the fraction done before each."""
        if self._embedder is None:
            return
        missing = self._conn.execute(
            "SELECT p.id, p.text FROM passages AS p JOIN collection_files AS f "
            "ON f.id = p.file_id WHERE f.collection_id = ? AND NOT EXISTS "
            "(SELECT 1 FROM passage_vectors AS v WHERE v.passage_id = p.id) ORDER BY p.id",
            (collection_id,)).fetchall()
        for first in range(0, len(missing), EMBED_PASSAGES):
            yield first / len(missing)
            batch = [(passage_id, group) for passage_id, text in
                     missing[first:first + EMBED_PASSAGES] for group in sentence_groups(text)]
            vectors = self._embedder.vectors([group for _id, group in batch])
            with self._transaction(Text("store the passages' vectors")):
                self._conn.executemany(
                    "INSERT INTO passage_vectors (passage_id, vector) VALUES (?, ?)",
                    [(passage_id, row.tobytes())
                     for (passage_id, _group), row in zip(batch, vectors, strict=True)])

    def has_passages(self, collection_id: int) -> bool:
        return self._conn.execute(
            "SELECT 1 FROM passages AS p JOIN collection_files AS f ON f.id = p.file_id "
            "WHERE f.collection_id = ? LIMIT 1", (collection_id,)).fetchone() is not None

    def _record_failure(self, collection_id: int, path: Path, size: int | None,
                        mtime_ns: int | None, reason: str) -> None:
        with self._transaction(Text("note that {name} cannot be read", name=path.name)):
            self._conn.execute("DELETE FROM collection_files WHERE collection_id = ? AND path = ?",
                               (collection_id, str(path)))
            self._conn.execute(
                "INSERT INTO collection_files (collection_id, path, name, size, mtime_ns, error, "
                "indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (collection_id, str(path), path.name, size, mtime_ns, reason, time.time()))

    # -- plumbing -------------------------------------------------------------------------------

    def _record(self, collection_id: int) -> CollectionRecord:
        name, chat_id = self._conn.execute(
            "SELECT name, chat_id FROM collections WHERE id = ?", (collection_id,)).fetchone()
        sources = tuple(row[0] for row in self._conn.execute(
            "SELECT path FROM collection_sources WHERE collection_id = ? ORDER BY path",
            (collection_id,)).fetchall())
        files, failed = self._conn.execute(
            "SELECT count(*), count(error) FROM collection_files WHERE collection_id = ?",
            (collection_id,)).fetchone()
        passages = self._conn.execute(
            "SELECT count(*) FROM passages AS p JOIN collection_files AS f ON f.id = p.file_id "
            "WHERE f.collection_id = ?", (collection_id,)).fetchone()[0]
        return CollectionRecord(collection_id, name, chat_id, sources, files - failed, passages,
                                failed)

    def _transaction(self, doing: Text) -> AbstractContextManager[None]:
        return transaction(self._conn, doing)


@dataclass(frozen=True)
class _PassageVectors:
    """The sentence-group vectors of some collections' passages, grouped by passage."""

    key: tuple[object, ...]  # what they were read for: the collections, the count, the last id
    groups: Vectors  # a row a sentence group, a passage's rows together
    starts: np.ndarray[Any, np.dtype[np.intp]]  # each passage's first row
    wholes: Vectors  # a row a passage: its groups' sum, unit length
    passages: list[int]

    @classmethod
    def of(cls, key: tuple[object, ...], rows: Sequence[tuple[int, bytes]]) -> _PassageVectors:
        groups = np.frombuffer(b"".join(row[1] for row in rows), dtype=np.float32)
        groups = groups.reshape(len(rows), -1)
        owners = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        wholes = np.add.reduceat(groups, starts, axis=0)
        wholes /= np.maximum(np.linalg.norm(wholes, axis=1, keepdims=True), 1e-12)
        return cls(key, groups, starts, wholes, owners[starts].tolist())

    def similarity(self, question: Vectors) -> dict[int, float]:
        best_group = np.maximum.reduceat(self.groups @ question, self.starts)
        return dict(zip(self.passages, ((best_group + self.wholes @ question) / 2).tolist(),
                        strict=True))


def _within(path: Path, sources: Sequence[Path]) -> bool:
    return any(path == source or path.is_relative_to(source) for source in sources)


def _files_in(sources: Sequence[Path]) -> list[Path]:
    """The documents in these files and folders (a folder's hidden files and folders are left
    out, and files of kinds Hearth does not read); a source that is gone has none."""
    return _walk(sources)[1]


def _walk(sources: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """The folders (each folder source and the subfolders in it) and the documents of these
    sources, each sorted, hidden ones left out."""
    folders: set[Path] = set()
    found: set[Path] = set()
    for source in sources:
        if source.is_file():
            found.add(source)
        elif source.is_dir():
            folders.add(source)
            for path in source.rglob("*"):
                if any(part.startswith(".") for part in path.relative_to(source).parts):
                    continue
                if path.is_dir():
                    folders.add(path)
                elif path.suffix.lower() in SUFFIX_KINDS and path.is_file():
                    found.add(path)
    return sorted(folders), sorted(found)
