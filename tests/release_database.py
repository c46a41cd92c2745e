"""A chat database as the last release wrote it (schema version 3), and what an upgrade must keep.

It is made by the shipped migrations up to that version (migrations are append-only, so
`MIGRATIONS[:3]` is what that release ran) and filled with that release's own SQL, so no code of
this version touches it before the upgrade. It holds what people's files hold: chats with and
without a model, messages of every role and status, a document, a message deleted from the middle
of a chat (a gap in the ids), the last message deleted (the id counter above every id), a reply
and a regeneration left 'streaming' by a crash, a deleted chat, an empty one, and the search
index the triggers kept.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass, field, replace
from itertools import zip_longest
from pathlib import Path

from engine.chat.migrations import MIGRATIONS, apply_migrations
from engine.chat.store import AttachmentRecord, ChatStore

RELEASE_VERSION = 3
RELEASE_MESSAGE_COLUMNS = [
    "id", "chat_id", "role", "content", "created_at", "status", "n_tokens", "tokens_per_s"
]
QWEN = "/home/ana/models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
REMOTE = "remote:http://127.0.0.1:8080/v1/llama-3.2-3b"
T0 = 1_700_000_000.0


@dataclass(frozen=True)
class OldMessage:
    """A messages row of the release, and what the upgrade adds to it."""

    id: int
    chat_id: int
    role: str
    content: str
    created_at: float
    status: str
    n_tokens: int | None
    tokens_per_s: float | None
    model: str | None  # the chat's model, which the upgrade gives its replies


@dataclass
class ReleaseDatabase:
    path: Path
    titles: dict[int, str]  # every chat, deleted ones too
    deleted_chats: set[int]
    messages: list[OldMessage]  # as the file holds them, in id order
    attachments: dict[int, dict[int, list[AttachmentRecord]]]  # by chat, then by message
    highest_id: int  # the last message ever written (deleted): its id is never used again
    schema: dict[str, str] = field(default_factory=dict)  # sqlite_master: name -> sql

    def after_recovery(self) -> list[OldMessage]:
        """The messages the next start shows: replies cut off by a crash settled as Stop does."""
        kept: list[OldMessage] = []
        for message in self.messages:
            if message.status == "streaming":
                before = [m for m in self.messages
                          if m.chat_id == message.chat_id and m.id < message.id]
                if not message.content or (before and before[-1].role == "assistant"):
                    continue  # nothing written yet, or a regeneration: the reply before stands
                message = replace(message, status="stopped")
            kept.append(message)
        return kept


# (role, content, status, n_tokens, tokens_per_s) per chat: title, model, deleted, messages.
Row = tuple[str, str, str, int | None, float | None]
CHATS: list[tuple[str, str | None, bool, list[Row]]] = [
    ("Sourdough", QWEN, False, [
        ("system", "Be brief.", "done", None, None),
        ("user", "How long to bake sourdough bread?", "done", None, None),
        ("assistant", "About **40 minutes** at 230 °C.\n\n- Steam first\n- Then dry", "done",
         14, 41.5),
        ("user", "And rye flour? 🍞", "done", None, None),
        ("assistant", "Rye needs a longer proof and", "stopped", 6, 38.0),
    ]),
    ("Café notes", None, False, [
        ("user", "Where is the best café in Lisbon?", "done", None, None),
        ("assistant", "Try the kiosks along the river.", "done", 7, 40.0),
        ("user", "This question is deleted later.", "done", None, None),
        ("user", "Which one has pastéis de nata?", "done", None, None),
        ("assistant", "The one in Belém, famously.", "error", 5, None),
    ]),
    ("", REMOTE, False, [
        ("user", "Name a colour.", "done", None, None),
        ("assistant", "Blue.", "done", 2, 55.0),
        ("assistant", "Gre", "streaming", None, None),  # a regeneration a kill cut off
    ]),
    ("Story", None, False, [
        ("user", "Tell me a story about a lighthouse keeper.", "done", None, None),
        ("assistant", "Once upon a time", "streaming", None, None),  # a reply a kill cut off
    ]),
    ("Hidden zebra", QWEN, True, [
        ("user", "Zebra crossings in the rain", "done", None, None),
        ("assistant", "Cross with care.", "done", 4, 39.0),
    ]),
    ("Nothing yet", None, False, []),
]
DOCUMENT = ("rye.txt", "text", 1234, 321, "Rye flour holds more water than wheat flour.")
DELETED_IN_THE_MIDDLE = "This question is deleted later."


def _filler(count: int) -> list[Row]:
    rng = random.Random(11)
    words = ["harbour", "lantern", "orchard", "violet", "granite", "meadow", "copper", "thistle",
             "river", "quartz", "saffron", "juniper", "walnut", "ember", "falcon", "marble"]
    rows: list[Row] = []
    for n in range(count):
        text = f"filler{n} " + " ".join(rng.choice(words) for _ in range(40))
        if n % 2:
            rows.append(("assistant", text, "done", 40, 30.0 + n % 7))
        else:
            rows.append(("user", text, "done", None, None))
    return rows


def write_release_database(path: Path, filler: int = 0) -> ReleaseDatabase:
    """The release's database at `path`; `filler` more messages in a long chat of their own."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA foreign_keys = ON")
        apply_migrations(conn, MIGRATIONS[:RELEASE_VERSION])
        conn.execute("BEGIN")  # one transaction for speed; the rows are what the release wrote
        chats = [*CHATS, ("Long chat", QWEN, False, _filler(filler))]
        ids: list[int] = []
        titles: dict[int, str] = {}
        deleted: set[int] = set()
        for n, (title, model, gone, _rows) in enumerate(chats):
            cursor = conn.execute(
                "INSERT INTO chats (title, created_at, updated_at, settings_json, model, "
                "deleted_at) VALUES (?, ?, ?, ?, ?, ?)",
                (title, T0 + n, T0 + n, '{"temperature": 0.5}', model, T0 + 50 if gone else None))
            chat_id = int(cursor.lastrowid or 0)
            ids.append(chat_id)
            titles[chat_id] = title
            if gone:
                deleted.add(chat_id)
        messages: list[OldMessage] = []
        attachments: dict[int, dict[int, list[AttachmentRecord]]] = {}
        clock = T0 + 100
        # Round robin over the chats, as people switch between them: ids interleave.
        turns = zip_longest(*[[(i, row) for row in chat[3]] for i, chat in enumerate(chats)])
        for i, (role, content, status, n_tokens, tokens_per_s) in (
            step for turn in turns for step in turn if step is not None
        ):
            chat_id, clock = ids[i], clock + 1.5
            cursor = conn.execute(
                "INSERT INTO messages (chat_id, role, content, created_at, status) "
                "VALUES (?, ?, ?, ?, ?)", (chat_id, role, content, clock, status))
            message_id = int(cursor.lastrowid or 0)
            conn.execute("UPDATE messages SET n_tokens = ?, tokens_per_s = ? WHERE id = ?",
                         (n_tokens, tokens_per_s, message_id))
            conn.execute("UPDATE chats SET updated_at = ? WHERE id = ?", (clock, chat_id))
            model = chats[i][1] if role == "assistant" else None
            messages.append(OldMessage(message_id, chat_id, role, content, clock, status,
                                       n_tokens, tokens_per_s, model))
            if content.startswith("And rye flour"):
                name, kind, size, tokens, text = DOCUMENT
                cursor = conn.execute(
                    "INSERT INTO attachments (message_id, name, kind, size_bytes, tokens, text, "
                    "context) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (message_id, name, kind, size, tokens, text, f"“{name}”:\n{text}"))
                attachments[chat_id] = {message_id: [AttachmentRecord(
                    int(cursor.lastrowid or 0), message_id, name, kind, size, tokens,
                    f"“{name}”:\n{text}")]}
        middle = next(m for m in messages if m.content == DELETED_IN_THE_MIDDLE)
        conn.execute("DELETE FROM messages WHERE id = ?", (middle.id,))
        messages.remove(middle)
        cursor = conn.execute(
            "INSERT INTO messages (chat_id, role, content, created_at, status) "
            "VALUES (?, 'user', 'Deleted last.', ?, 'done')", (ids[0], clock + 1))
        highest = int(cursor.lastrowid or 0)
        conn.execute("DELETE FROM messages WHERE id = ?", (highest,))
        conn.execute("COMMIT")
        schema = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"))
        assert conn.execute("PRAGMA user_version").fetchone()[0] == RELEASE_VERSION
    finally:
        conn.close()
    return ReleaseDatabase(path, titles, deleted, messages, attachments, highest, schema)


def check_release_database(release: ReleaseDatabase) -> None:
    """The file is still the release's, whole: its schema, every row and its search index."""
    conn = sqlite3.connect(release.path, isolation_level=None)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA user_version").fetchone()[0] == RELEASE_VERSION
        schema = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL"))
        assert schema == release.schema
        rows = conn.execute(
            f"SELECT {', '.join(RELEASE_MESSAGE_COLUMNS)} FROM messages ORDER BY id").fetchall()
        assert rows == [(m.id, m.chat_id, m.role, m.content, m.created_at, m.status, m.n_tokens,
                         m.tokens_per_s) for m in release.messages]
        conn.execute("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")
        found = conn.execute(
            "SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'sourdough'").fetchall()
        assert found == [(m.id,) for m in release.messages if "sourdough" in m.content]
    finally:
        conn.close()


def check_upgraded(store: ChatStore, release: ReleaseDatabase) -> None:
    """Every message of the release is there as it was, in a chain of parents per chat, with
    its chat's model on replies; the documents and the search index came along."""
    expected = release.after_recovery()
    for chat_id, title in release.titles.items():
        in_chat = [m for m in expected if m.chat_id == chat_id]
        found = store.messages(chat_id)
        assert [(m.id, m.role, m.content, m.created_at, m.status, m.n_tokens, m.tokens_per_s,
                 m.model) for m in found] == [
            (m.id, m.role, m.content, m.created_at, m.status, m.n_tokens, m.tokens_per_s,
             m.model) for m in in_chat], f"chat {chat_id} ({title!r})"
        chain = [None, *(m.id for m in found[:-1])] if found else []
        assert [m.parent_id for m in found] == chain, (
            f"chat {chat_id}: each message follows the one before it")
        assert all(m.reasoning == "" and m.citations == () for m in found)
        assert store.attachments(chat_id) == release.attachments.get(chat_id, {})
    listed = {chat.id: chat.title for chat in store.list_chats()}
    assert listed == {i: t for i, t in release.titles.items() if i not in release.deleted_chats}
    for message in expected:
        hits = {hit.message_id for hit in store.search(" ".join(message.content.split()[:3]),
                                                      limit=1000)}
        visible = message.chat_id not in release.deleted_chats
        assert (message.id in hits) == visible, f"search for message {message.id}"
    for chat_id, title in release.titles.items():
        first = next((m.id for m in expected if m.chat_id == chat_id), None)
        if title and first is not None and chat_id not in release.deleted_chats:
            assert first in {hit.message_id for hit in store.search(title, limit=1000)}
    conn = store._conn
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.execute("INSERT INTO messages_fts(messages_fts, rank) VALUES ('integrity-check', 1)")
    indexed = conn.execute("SELECT count(*) FROM messages_fts").fetchone()[0]
    assert indexed == len(expected)
