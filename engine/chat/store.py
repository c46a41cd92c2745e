"""The chat history: one SQLite file holding chats, their messages and a full-text index.

A `ChatStore` belongs to the thread that created it (sqlite3's own check enforces this); the
engine worker owns it. Every failure surfaces as `StoreError` (or `DiskFullError`) with a message
fit to show a person.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from engine.chat import migrations, search_text
from engine.chat.migrations import schema_version
from engine.documents.route import Route
from engine.errors import DiskFullError, StoreError
from engine.text import Text

MessageRole = Literal["system", "user", "assistant"]
MessageStatus = Literal["done", "streaming", "stopped", "error"]


@dataclass(frozen=True)
class ChatRecord:
    id: int
    title: str
    created_at: float  # unix seconds
    updated_at: float  # last new message, not last rename: the chat list sorts on it
    settings: dict[str, Any]  # per-chat overrides of the app settings
    model: str | None  # model path or name the chat last used
    context_start_id: int | None  # first message the model still sees; None = all


@dataclass(frozen=True)
class MessageRecord:
    id: int
    chat_id: int
    role: MessageRole
    content: str
    created_at: float
    status: MessageStatus
    n_tokens: int | None
    tokens_per_s: float | None
    # The message it follows: versions of a message are siblings; None for a chat's first.
    parent_id: int | None = None
    model: str | None = None  # key of the model that wrote it (model_key); None: a person did
    reasoning: str = ""  # the model's thinking before its answer, kept apart from `content`
    # One JSON object per numbered citation; left out of the hash, so a record stays hashable.
    citations: tuple[dict[str, Any], ...] = field(default=(), hash=False)
    # A reply about a chat's long document: answered from passages or from the whole text.
    route: Route | None = None
    # Its place among its versions (itself and its siblings, oldest first), and their number.
    version: int = 1
    versions: int = 1
    # What Hearth notes under it, in its own words (how a summary was made); None for most.
    note: Text | None = None


@dataclass(frozen=True)
class AttachmentRecord:
    id: int
    message_id: int
    name: str
    kind: str  # "pdf", "docx", "html", "text", "pasted", ...
    size_bytes: int
    tokens: int
    context: str  # what the model is given with later turns (the text, or part summaries)


@dataclass(frozen=True)
class SearchHit:
    chat_id: int
    message_id: int
    chat_title: str
    snippet: str  # plain text around the match, the match wrapped in «»


_CHAT_COLUMNS = "id, title, created_at, updated_at, settings_json, model, context_start_id"
# Read FROM messages AS m. Siblings share the chat and the parent (IS: first messages have none).
_MESSAGE_COLUMNS = (
    "m.id, m.chat_id, m.role, m.content, m.created_at, m.status, m.n_tokens, m.tokens_per_s, "
    "m.parent_id, m.model, m.reasoning, m.citations, m.route, m.note, "
    "(SELECT count(*) FROM messages AS s WHERE s.chat_id = m.chat_id "
    "AND s.parent_id IS m.parent_id AND s.id <= m.id), "
    "(SELECT count(*) FROM messages AS s WHERE s.chat_id = m.chat_id "
    "AND s.parent_id IS m.parent_id)"
)
_NEW_CHAT_TITLE = "New chat"


def default_title(text: str, max_words: int = 6, max_chars: int = 48) -> str:
    """A chat title from the first words of the first non-blank line of `text`."""
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    words = first_line.split()
    if not words:
        return _NEW_CHAT_TITLE
    kept: list[str] = []
    for word in words[:max_words]:
        if len(" ".join([*kept, word])) > max_chars:
            break
        kept.append(word)
    if len(kept) == len(words):
        return " ".join(kept)
    while kept and len(" ".join(kept)) + 1 > max_chars:  # leave room for the ellipsis
        kept.pop()
    title = " ".join(kept).rstrip(" ,;:-") or words[0][: max_chars - 1]
    return title + "…"


def _storable(text: str) -> str:
    # NUL cuts text short in C APIs and exports; lone surrogates (possible from broken
    # decoding) cannot be encoded to UTF-8 for SQLite.
    text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def _fts_query(text: str) -> str | None:
    # Chinese and Japanese terms become phrases of their characters, as the index holds them.
    return search_text.fts_query(_storable(text).replace("\x00", " ").split())


def _is_disk_full(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return (code is not None and code & 0xFF == sqlite3.SQLITE_FULL) or (
        "database or disk is full" in str(exc)
    )


def _translate(exc: sqlite3.Error, doing: Text) -> StoreError:
    if _is_disk_full(exc):
        return DiskFullError(Text("Could not {doing}: the disk is full. Free some space and try "
                                  "again.",
                                  doing=doing))
    return StoreError(Text("Could not {doing}: {exc}", doing=doing, exc=exc))


def _open_error(path: Path, exc: sqlite3.Error) -> StoreError:
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code == sqlite3.SQLITE_NOTADB:
        return StoreError(Text("{path} is not a Hearth database ({exc})", path=path, exc=exc))
    if code == sqlite3.SQLITE_CANTOPEN:
        return StoreError(
            Text("Could not open {path}: check that the file and its folder exist and that you "
                 "may write to them ({exc})",
                 path=path, exc=exc)
        )
    if code == sqlite3.SQLITE_READONLY:
        return StoreError(Text("Could not open {path}: it is read-only ({exc})",
                               path=path, exc=exc))
    return _translate(exc, Text("open {path}", path=path))


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the chat database at `path`, created or brought up to date.

    Each thread that uses the database has its own (the engine worker's store, a collection
    being indexed in the background): WAL lets them read while one writes."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            Text("Could not create the folder {parent}: {reason}",
                 parent=path.parent, reason=exc.strerror or exc)
        ) from exc
    try:
        conn = sqlite3.connect(path, isolation_level=None)
    except sqlite3.Error as exc:
        raise _open_error(path, exc) from exc
    try:
        # busy_timeout first, so switching to WAL waits for another process instead of failing.
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        # The search indexes' views and triggers call it. A schema of its own is trusted even
        # where SQLite was built to trust none, which would refuse the function there.
        search_text.register(conn)
        conn.execute("PRAGMA trusted_schema = ON")
        foreign = (
            schema_version(conn) == 0
            and conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
        )
        if foreign:
            raise StoreError(
                Text("{path} is not a Hearth database (it holds tables Hearth did not make)",
                     path=path)
            )
        try:
            migrations.apply_migrations(conn)
        except StoreError as exc:
            raise StoreError(Text("Could not open {path}: {exc}", path=path, exc=exc)) from exc
    except sqlite3.Error as exc:
        conn.close()
        raise _open_error(path, exc) from exc
    except BaseException:
        conn.close()
        raise
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection, doing: Text) -> Iterator[None]:
    """A write transaction (the lock taken at once); any SQLite error becomes a StoreError
    (DiskFullError when the disk is full) saying what could not be done."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise _translate(exc, doing) from exc


class ChatStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._last_time = 0.0
        self._conn = connect(self.path)
        try:
            with self._guard(Text("open {path}", path=self.path)):
                self._recover()
        except BaseException:
            self._conn.close()
            raise

    @property
    def schema_version(self) -> int:
        with self._guard(Text("read the database version")):
            return schema_version(self._conn)

    def close(self) -> None:
        self._conn.close()

    # -- plumbing -------------------------------------------------------------------------------

    @contextmanager
    def _guard(self, doing: Text) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise _translate(exc, doing) from exc

    def _transaction(self, doing: Text) -> contextlib.AbstractContextManager[None]:
        return transaction(self._conn, doing)

    def _now(self) -> float:
        # Strictly increasing, so "newest first" never ties on a coarse clock.
        self._last_time = max(time.time(), self._last_time + 1e-6)
        return self._last_time

    def _chat_row(self, chat_id: int, *, deleted_ok: bool = False) -> tuple[Any, ...]:
        row: tuple[Any, ...] | None = self._conn.execute(
            f"SELECT {_CHAT_COLUMNS}, deleted_at FROM chats WHERE id = ?", (chat_id,)
        ).fetchone()
        if row is None or (row[-1] is not None and not deleted_ok):
            raise StoreError(Text("Chat {chat_id} does not exist (it may have been deleted).",
                                  chat_id=chat_id))
        return row

    @staticmethod
    def _chat(row: tuple[Any, ...]) -> ChatRecord:
        try:
            settings = json.loads(row[4])
        except ValueError:
            settings = {}  # hand-edited or damaged: fall back to the app-wide settings
        return ChatRecord(
            id=row[0],
            title=row[1],
            created_at=row[2],
            updated_at=row[3],
            settings=settings if isinstance(settings, dict) else {},
            model=row[5],
            context_start_id=row[6],
        )

    @staticmethod
    def _message(row: tuple[Any, ...]) -> MessageRecord:
        return MessageRecord(
            id=row[0],
            chat_id=row[1],
            role=cast(MessageRole, row[2]),
            content=row[3],
            created_at=row[4],
            status=cast(MessageStatus, row[5]),
            n_tokens=row[6],
            tokens_per_s=row[7],
            parent_id=row[8],
            model=row[9],
            reasoning=row[10],
            citations=ChatStore._citations(row[11]),
            route=None if row[12] is None else Route(row[12]),
            note=ChatStore._note(row[13]),
            version=row[14],
            versions=row[15],
        )

    @staticmethod
    def _note(text: str | None) -> Text | None:
        if text is None:
            return None
        try:
            return Text.from_data(json.loads(text))
        except ValueError:  # the schema checks it is JSON; a hand-edited file is read as none
            return None

    @staticmethod
    def _citations(text: str | None) -> tuple[dict[str, Any], ...]:
        try:
            found = json.loads(text) if text is not None else []
        except ValueError:
            found = []  # the schema checks it is JSON; a hand-edited file is read as none
        if not isinstance(found, list):
            return ()
        return tuple(item for item in found if isinstance(item, dict))

    @staticmethod
    def _citations_json(citations: Sequence[Mapping[str, Any]] | None) -> str | None:
        if citations is None:
            return None
        try:
            text = json.dumps([dict(c) for c in citations], ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise StoreError(Text("Citations must be plain JSON values: {exc}", exc=exc)) from exc
        return _storable(text)  # a quoted passage may hold what UTF-8 cannot

    @staticmethod
    def _settings_json(settings: dict[str, Any]) -> str:
        try:
            return json.dumps(settings, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise StoreError(Text("Chat settings must be plain JSON values: {exc}",
                                  exc=exc)) from exc

    # -- chats ----------------------------------------------------------------------------------

    def create_chat(
        self, title: str = "", settings: dict[str, Any] | None = None, model: str | None = None
    ) -> ChatRecord:
        settings_json = self._settings_json(settings or {})
        now = self._now()
        with self._guard(Text("create the chat")):
            cursor = self._conn.execute(
                "INSERT INTO chats (title, created_at, updated_at, settings_json, model) "
                "VALUES (?, ?, ?, ?, ?)",
                (_storable(title.strip()), now, now, settings_json, model),
            )
            return self._chat(self._chat_row(cast(int, cursor.lastrowid)))

    def list_chats(self) -> list[ChatRecord]:
        with self._guard(Text("list the chats")):
            rows = self._conn.execute(
                f"SELECT {_CHAT_COLUMNS} FROM chats WHERE deleted_at IS NULL "
                "ORDER BY updated_at DESC, id DESC"
            ).fetchall()
        return [self._chat(row) for row in rows]

    def get_chat(self, chat_id: int) -> ChatRecord:
        """The chat, or StoreError if it does not exist or is deleted."""
        with self._guard(Text("read the chat")):
            return self._chat(self._chat_row(chat_id))

    def rename_chat(self, chat_id: int, title: str) -> ChatRecord:
        title = title.strip()
        if not title:
            raise StoreError(Text("A chat title cannot be empty."))
        with self._guard(Text("rename the chat")):
            self._chat_row(chat_id)
            self._conn.execute(
                "UPDATE chats SET title = ? WHERE id = ?", (_storable(title), chat_id)
            )
            return self._chat(self._chat_row(chat_id))

    def update_chat_settings(self, chat_id: int, settings: dict[str, Any]) -> ChatRecord:
        """Replace the chat's settings overrides (not a merge)."""
        settings_json = self._settings_json(settings)
        with self._guard(Text("save the chat settings")):
            self._chat_row(chat_id)
            self._conn.execute(
                "UPDATE chats SET settings_json = ? WHERE id = ?", (settings_json, chat_id)
            )
            return self._chat(self._chat_row(chat_id))

    def set_chat_model(self, chat_id: int, model: str | None) -> None:
        with self._guard(Text("save the chat's model")):
            self._chat_row(chat_id)
            self._conn.execute("UPDATE chats SET model = ? WHERE id = ?", (model, chat_id))

    def set_context_start(self, chat_id: int, message_id: int | None) -> None:
        """The model sees messages with id >= message_id; None: all of them.

        Deleting that message later is harmless: the comparison still holds.
        """
        with self._guard(Text("save where the context starts")):
            self._chat_row(chat_id)
            if (
                message_id is not None
                and not self._conn.execute(
                    "SELECT 1 FROM messages WHERE id = ? AND chat_id = ?", (message_id, chat_id)
                ).fetchone()
            ):
                raise StoreError(Text("Message {message_id} is not part of chat {chat_id}.",
                                      message_id=message_id, chat_id=chat_id))
            self._conn.execute(
                "UPDATE chats SET context_start_id = ? WHERE id = ?", (message_id, chat_id)
            )

    def delete_chat(self, chat_id: int) -> None:
        """Hide the chat; `restore_chat` undoes this until `purge_deleted` runs."""
        with self._guard(Text("delete the chat")):
            self._chat_row(chat_id, deleted_ok=True)
            self._conn.execute(
                "UPDATE chats SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                (self._now(), chat_id),
            )

    def restore_chat(self, chat_id: int) -> ChatRecord:
        with self._guard(Text("restore the chat")):
            self._chat_row(chat_id, deleted_ok=True)
            self._conn.execute("UPDATE chats SET deleted_at = NULL WHERE id = ?", (chat_id,))
            return self._chat(self._chat_row(chat_id))

    def purge_deleted(self) -> int:
        """Erase deleted chats and their messages for good; return how many chats went."""
        with self._guard(Text("erase the deleted chats")):
            cursor = self._conn.execute("DELETE FROM chats WHERE deleted_at IS NOT NULL")
            return cursor.rowcount

    # -- messages -------------------------------------------------------------------------------

    def add_message(
        self,
        chat_id: int,
        role: MessageRole,
        content: str,
        status: MessageStatus = "done",
        *,
        parent_id: int | Literal["last"] | None = "last",
        model: str | None = None,
        route: Route | None = None,
        documents_of: int | None = None,
    ) -> MessageRecord:
        """Add a message, shown; the first user message names an untitled chat.

        It follows `parent_id`: by default the last message shown, as in a conversation read
        top to bottom. Following another message makes it a new version of that message's
        children (an edited question, a regenerated reply), shown in place of the one shown
        before, which keeps its own continuation. None starts the chat (or adds a version of
        its first message). `model` is the key of the model that writes it, None for a
        person's message; `route`, which way a reply about a chat's long document is answered;
        `documents_of`, a message whose documents it gets too (the question it edits).
        """
        now = self._now()
        content = _storable(content)
        with self._transaction(Text("save the message")):
            chat = self._chat(self._chat_row(chat_id))
            last = self._conn.execute(
                "SELECT max(id) FROM messages WHERE chat_id = ? AND shown = 1", (chat_id,)
            ).fetchone()[0]
            if parent_id == "last":
                parent_id = last
            elif parent_id is not None and not self._conn.execute(
                "SELECT 1 FROM messages WHERE id = ? AND chat_id = ?", (parent_id, chat_id)
            ).fetchone():
                raise StoreError(Text("Message {parent_id} is not part of chat {chat_id}.",
                                      parent_id=parent_id, chat_id=chat_id))
            cursor = self._conn.execute(
                "INSERT INTO messages (chat_id, parent_id, role, content, model, created_at, "
                "status, route, shown_rank) VALUES (?, ?, ?, ?, ?, ?, ?, ?, "
                "(SELECT coalesce(max(shown_rank), 0) + 1 FROM messages "
                "WHERE chat_id = ? AND parent_id IS ?))",
                (chat_id, parent_id, role, content, model, now, status, route, chat_id,
                 parent_id),
            )
            message_id = cast(int, cursor.lastrowid)
            if parent_id != last:  # a new version, or a branch off what was shown
                self._choose(message_id)
                self._show_branch(chat_id)
            if documents_of is not None:
                self._conn.execute(
                    "INSERT INTO attachments (message_id, name, kind, size_bytes, tokens, text, "
                    "context) SELECT ?, name, kind, size_bytes, tokens, text, context "
                    "FROM attachments WHERE message_id = ? ORDER BY id",
                    (message_id, documents_of),
                )
            title = default_title(content) if not chat.title and role == "user" else chat.title
            self._conn.execute(
                "UPDATE chats SET updated_at = ?, title = ? WHERE id = ?", (now, title, chat_id)
            )
            row = self._conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages AS m WHERE id = ?", (message_id,)
            ).fetchone()
        return self._message(row)

    def _show_branch(self, chat_id: int) -> None:
        """Marks the branch the ranks choose as shown: from the first message, each step to
        the child ranked highest (the version shown last), to a message without children."""
        rows = self._conn.execute(
            "SELECT id, parent_id, shown_rank, shown FROM messages WHERE chat_id = ?", (chat_id,)
        ).fetchall()
        chosen: dict[int | None, tuple[int, int]] = {}  # parent -> (rank, id) of its choice
        for message_id, parent_id, rank, _shown in rows:
            chosen[parent_id] = max(chosen.get(parent_id, (rank, message_id)), (rank, message_id))
        branch: set[int] = set()
        step = chosen.get(None)
        while step is not None:
            branch.add(step[1])
            step = chosen.get(step[1])
        self._conn.executemany(
            "UPDATE messages SET shown = ? WHERE id = ?",
            [(int(message_id in branch), message_id) for message_id, _parent, _rank, shown
             in rows if bool(shown) != (message_id in branch)],
        )

    def _choose(self, message_id: int) -> int:
        """Ranks the message above its siblings, and each hidden message it follows above
        theirs, so that the next `_show_branch` shows it; returns its chat."""
        node: int | None = message_id
        chat_id = 0
        while node is not None:
            row = self._conn.execute(
                "SELECT chat_id, parent_id, shown FROM messages WHERE id = ?", (node,)
            ).fetchone()
            if row is None:
                raise StoreError(Text("Message {node} does not exist (it may have been deleted).",
                                      node=node))
            chat_id, parent_id, shown = row
            if shown and node != message_id:
                break
            self._conn.execute(
                "UPDATE messages SET shown_rank = (SELECT max(shown_rank) + 1 FROM messages "
                "WHERE chat_id = ? AND parent_id IS ?) WHERE id = ?", (chat_id, parent_id, node))
            node = parent_id
        return chat_id

    def show_version(self, message_id: int) -> None:
        """Shows this version of a message, and below it the continuation shown there last.

        Where the chat's context began outside the branch now shown, the model sees all of it
        again until the next reply plans anew."""
        with self._transaction(Text("show that version")):
            chat_id = self._choose(message_id)
            self._show_branch(chat_id)
            self._conn.execute(
                "UPDATE chats SET context_start_id = NULL WHERE id = ? AND context_start_id "
                "NOT IN (SELECT id FROM messages WHERE chat_id = ? AND shown = 1)",
                (chat_id, chat_id),
            )

    def versions(self, message_id: int) -> list[int]:
        """The ids of a message's versions (itself and its siblings), oldest first."""
        with self._guard(Text("read the message's versions")):
            return [row[0] for row in self._conn.execute(
                "SELECT s.id FROM messages AS m JOIN messages AS s ON s.chat_id = m.chat_id "
                "AND s.parent_id IS m.parent_id WHERE m.id = ? ORDER BY s.id", (message_id,)
            )]

    def update_message(
        self,
        message_id: int,
        content: str,
        status: MessageStatus | None = None,
        n_tokens: int | None = None,
        tokens_per_s: float | None = None,
        *,
        reasoning: str | None = None,
        citations: Sequence[Mapping[str, Any]] | None = None,
        note: Text | None = None,
    ) -> None:
        """Replace a message's text; None leaves the other fields as they are (`note`: what
        Hearth notes under it, such as how a summary was made).

        Called many times a second while a reply streams, so it is a single autocommit UPDATE,
        cheap in WAL mode with synchronous=NORMAL; the search index skips 'streaming' rows and
        picks the text up when the status changes. The reasoning is not indexed.
        """
        citations_json = self._citations_json(citations)
        with self._guard(Text("save the message")):
            cursor = self._conn.execute(
                "UPDATE messages SET content = ?, status = coalesce(?, status), "
                "n_tokens = coalesce(?, n_tokens), tokens_per_s = coalesce(?, tokens_per_s), "
                "reasoning = coalesce(?, reasoning), citations = coalesce(?, citations), "
                "note = coalesce(?, note) WHERE id = ?",
                (_storable(content), status, n_tokens, tokens_per_s,
                 None if reasoning is None else _storable(reasoning), citations_json,
                 None if note is None else _storable(json.dumps(note.data(), ensure_ascii=False)),
                 message_id),
            )
        if cursor.rowcount == 0:
            raise StoreError(Text("Message {message_id} does not exist (it may have been deleted).",
                                  message_id=message_id))

    def delete_message(self, message_id: int) -> None:
        """Deletes one message; the messages that followed it follow its parent instead. Where
        it was shown, the version of it shown before it is shown again."""
        with self._transaction(Text("delete the message")):
            row = self._conn.execute(
                "SELECT chat_id, shown FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            if row is None:
                raise StoreError(
                    Text("Message {message_id} does not exist (it may have been deleted).",
                         message_id=message_id))
            self._conn.execute("DELETE FROM messages WHERE id = ?", (message_id,))
            if row[1]:
                self._show_branch(row[0])

    def add_attachment(
        self, message_id: int, name: str, kind: str, size_bytes: int, tokens: int, text: str
    ) -> AttachmentRecord:
        with self._transaction(Text("save the document")):
            cursor = self._conn.execute(
                "INSERT INTO attachments (message_id, name, kind, size_bytes, tokens, text, "
                "context) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (message_id, name, kind, size_bytes, tokens, _storable(text), _storable(text)),
            )
        return AttachmentRecord(int(cursor.lastrowid or 0), message_id, name, kind, size_bytes,
                                tokens, _storable(text))

    def set_attachment_context(self, attachment_id: int, context: str) -> None:
        with self._guard(Text("save the document's summaries")):
            self._conn.execute("UPDATE attachments SET context = ? WHERE id = ?",
                               (_storable(context), attachment_id))

    def attachments(self, chat_id: int) -> dict[int, list[AttachmentRecord]]:
        """The chat's documents, by the id of the message they are attached to."""
        with self._guard(Text("read the documents")):
            rows = self._conn.execute(
                "SELECT a.id, a.message_id, a.name, a.kind, a.size_bytes, a.tokens, a.context "
                "FROM attachments a JOIN messages m ON m.id = a.message_id "
                "WHERE m.chat_id = ? ORDER BY a.id", (chat_id,),
            ).fetchall()
        found: dict[int, list[AttachmentRecord]] = {}
        for row in rows:
            record = AttachmentRecord(*row)
            found.setdefault(record.message_id, []).append(record)
        return found

    def messages(self, chat_id: int) -> list[MessageRecord]:
        """The chat as shown: the branch of shown versions, oldest first ([] for an unknown
        chat). Along a branch each message is younger than the one it follows."""
        with self._guard(Text("read the messages")):
            rows = self._conn.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM messages AS m "
                "WHERE m.chat_id = ? AND m.shown = 1 ORDER BY m.id",
                (chat_id,),
            ).fetchall()
        return [self._message(row) for row in rows]

    def recover_interrupted(self) -> int:
        """Settles replies a killed app left 'streaming'; returns how many there were.

        As if Stop had been pressed: a reply keeps its text as 'stopped', or goes if it has
        none yet or was a regeneration (the version shown before it is shown again).
        """
        with self._guard(Text("recover interrupted replies")):
            return self._recover()

    def _recover(self) -> int:
        chats = [row[0] for row in self._conn.execute(
            "SELECT DISTINCT chat_id FROM messages WHERE status = 'streaming'")]
        if not chats:
            return 0
        # One transaction: a dropped version and the branch shown without it change together.
        with self._transaction(Text("recover interrupted replies")):
            # A regeneration has an older sibling; one written before versions were kept
            # follows the reply it regenerated (the upgrade chained each message to the one
            # before it).
            dropped = self._conn.execute(
                "DELETE FROM messages WHERE status = 'streaming' AND (content = '' OR EXISTS ("
                "SELECT 1 FROM messages AS older WHERE older.chat_id = messages.chat_id "
                "AND older.parent_id IS messages.parent_id AND older.id < messages.id) OR ("
                "SELECT parent.role FROM messages AS parent WHERE parent.id = messages.parent_id"
                ") = 'assistant')"
            )
            kept = self._conn.execute(
                "UPDATE messages SET status = 'stopped' WHERE status = 'streaming'"
            )
            for chat_id in chats:
                self._show_branch(chat_id)
        return dropped.rowcount + kept.rowcount

    # -- search ---------------------------------------------------------------------------------

    def search(self, query: str, limit: int = 50) -> list[SearchHit]:
        """Full-text search of the messages shown (versions not shown are left out) and the
        titles of chats not deleted; newest chats first.

        A title match is reported on the chat's first message (chats with no messages are left
        out); where that message matches too, its own snippet wins. One hit per message. A reply
        still streaming is not searchable until it finishes.
        """
        match = _fts_query(query)
        if match is None or limit <= 0:
            return []
        with self._guard(Text("search the chats")):
            message_rows = self._conn.execute(
                "SELECT c.id, m.id, c.title, "
                "snippet(messages_fts, 0, '«', '»', '…', 16), c.updated_at "
                "FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid "
                "JOIN chats c ON c.id = m.chat_id "
                "WHERE messages_fts MATCH ? AND m.shown = 1 AND c.deleted_at IS NULL "
                "ORDER BY c.updated_at DESC, c.id DESC, m.id LIMIT ?",
                (match, limit),
            ).fetchall()
            title_rows = self._conn.execute(
                "SELECT * FROM (SELECT c.id, "
                "(SELECT min(id) FROM messages WHERE chat_id = c.id AND shown = 1) AS first_id, "
                "c.title, "
                "highlight(chats_fts, 0, '«', '»'), c.updated_at "
                "FROM chats_fts JOIN chats c ON c.id = chats_fts.rowid "
                "WHERE chats_fts MATCH ? AND c.deleted_at IS NULL) "
                "WHERE first_id IS NOT NULL ORDER BY updated_at DESC, id DESC LIMIT ?",
                (match, limit),
            ).fetchall()
        rows = {row[1]: row for row in title_rows}
        rows.update((row[1], row) for row in message_rows)
        ordered = sorted(rows.values(), key=lambda row: (-row[4], -row[0], row[1]))
        return [
            SearchHit(
                chat_id=row[0],
                message_id=row[1],
                chat_title=row[2],
                # Snippets may span lines; they show the text without the index's separators.
                snippet=" ".join(search_text.shown(row[3]).split()),
            )
            for row in ordered[:limit]
        ]
