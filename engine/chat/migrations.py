"""Schema migrations for the chat database, named and append-only.

The schema version is `PRAGMA user_version`: migration i brings version i to i + 1. Never edit or
reorder a migration that has shipped; append a new one instead, because databases in the wild
already carry the old steps.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine.errors import StoreError


@dataclass(frozen=True)
class Migration:
    name: str
    apply: Callable[[sqlite3.Connection], None]


def _statements(*sql: str) -> Callable[[sqlite3.Connection], None]:
    # One execute() per statement: executescript() would COMMIT the migration's transaction early.
    def apply(conn: sqlite3.Connection) -> None:
        for statement in sql:
            conn.execute(statement)

    return apply


_CHATS_AND_MESSAGES = _statements(
    # AUTOINCREMENT so an id is never reused after a purge (the UI may still hold an old one).
    """
    CREATE TABLE chats (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        settings_json TEXT NOT NULL DEFAULT '{}',
        model TEXT,
        context_start_id INTEGER,
        deleted_at REAL
    )
    """,
    """
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        content TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        status TEXT NOT NULL DEFAULT 'done'
            CHECK (status IN ('done', 'streaming', 'stopped', 'error')),
        n_tokens INTEGER,
        tokens_per_s REAL
    )
    """,
    "CREATE INDEX messages_by_chat ON messages(chat_id, id)",
    # Keeps the crash recovery run at every start from scanning every message.
    "CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming'",
)

_FULL_TEXT_SEARCH = _statements(
    # External-content tables: the text lives once, in messages/chats; triggers keep the index in
    # step. remove_diacritics lets "cafe" find "café".
    #
    # A reply is indexed only once it stops streaming: re-indexing the whole growing text on every
    # token made each streaming UPDATE ~25x dearer. The view is the index's content table, so
    # FTS5's own 'rebuild' and 'integrity-check' agree with what the triggers index.
    "CREATE VIEW indexed_messages AS SELECT id, content FROM messages WHERE status != 'streaming'",
    """
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        content, content='indexed_messages', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
    WHEN new.status != 'streaming' BEGIN
        INSERT INTO messages_fts(rowid, content) VALUES (new.id, new.content);
    END
    """,
    """
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
    WHEN old.status != 'streaming' BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
            VALUES ('delete', old.id, old.content);
    END
    """,
    """
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
            SELECT 'delete', old.id, old.content WHERE old.status != 'streaming';
        INSERT INTO messages_fts(rowid, content)
            SELECT new.id, new.content WHERE new.status != 'streaming';
    END
    """,
    """
    CREATE VIRTUAL TABLE chats_fts USING fts5(
        title, content='chats', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER chats_fts_insert AFTER INSERT ON chats BEGIN
        INSERT INTO chats_fts(rowid, title) VALUES (new.id, new.title);
    END
    """,
    """
    CREATE TRIGGER chats_fts_delete AFTER DELETE ON chats BEGIN
        INSERT INTO chats_fts(chats_fts, rowid, title) VALUES ('delete', old.id, old.title);
    END
    """,
    """
    CREATE TRIGGER chats_fts_update AFTER UPDATE OF title ON chats BEGIN
        INSERT INTO chats_fts(chats_fts, rowid, title) VALUES ('delete', old.id, old.title);
        INSERT INTO chats_fts(rowid, title) VALUES (new.id, new.title);
    END
    """,
)

_DOCUMENT_ATTACHMENTS = _statements(
    # A document attached to a user message. `text` is the document as read; `context` is what
    # the model is given with later turns: the text, or its part summaries when it is too long.
    """
    CREATE TABLE attachments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        tokens INTEGER NOT NULL,
        text TEXT NOT NULL,
        context TEXT NOT NULL
    )
    """,
    "CREATE INDEX attachments_by_message ON attachments(message_id)",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration("chats and messages", _CHATS_AND_MESSAGES),
    Migration("full-text search", _FULL_TEXT_SEARCH),
    Migration("document attachments", _DOCUMENT_ATTACHMENTS),
)


def schema_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def apply_migrations(
    conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS
) -> list[str]:
    """Bring the database up to date; return the names of the migrations applied.

    `conn` must be in autocommit mode (isolation_level=None). Each migration runs in its own
    transaction together with its version bump, so a crash leaves the previous version intact.
    """
    latest = len(migrations)
    applied: list[str] = []
    if schema_version(conn) == latest:
        return applied
    while True:
        # IMMEDIATE takes the write lock before reading the version, so two Hearth processes
        # starting at once cannot both apply the same step.
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = schema_version(conn)
            if version > latest:
                raise StoreError(
                    f"it was made by a newer Hearth (schema version {version}; this Hearth "
                    f"knows up to {latest}). Update Hearth to open it."
                )
            if version == latest:
                conn.execute("COMMIT")
                return applied
            migration = migrations[version]
            migration.apply(conn)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied.append(migration.name)
