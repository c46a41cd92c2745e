"""Schema migrations for the chat database, named and append-only.

The schema version is `PRAGMA user_version`: migration i brings version i to i + 1. Never edit or
reorder a migration that has shipped; append a new one instead, because databases in the wild
already carry the old steps.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from engine import kill_points
from engine.chat import search_text
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

_MESSAGE_TREE = _statements(
    # What the next features need of a message, in one rebuild (SQLite cannot add a CHECK or a
    # table constraint to a table; https://sqlite.org/lang_altertable.html#otheralter is the
    # recipe followed here, foreign keys off, see apply_migrations):
    # - parent_id: the message it follows. Versions of a message (an edit, a regeneration) are
    #   siblings, and each keeps its own continuation, so a chat is a tree; today's chats are a
    #   tree with one branch. A parent is older than its child (ids only grow), so no cycle can
    #   be stored, and it is in the same chat (the key is (chat_id, parent_id)).
    # - model: the model key (engine/chat/engine.py model_key) of the model that wrote it; NULL
    #   for what a person wrote.
    # - reasoning: a reply's thinking (a <think> block, an analysis channel), kept apart from
    #   the answer so it is neither indexed for search nor sent back to the model.
    # - citations: a JSON array, one object per numbered citation in the answer. A column, not a
    #   table: an answer's citations are written once when it ends and always read with it, and
    #   each must hold a copy of the passage it cites (file, page, line, text), because
    #   re-indexing a changed file replaces the passages, while the answer must still show what
    #   it quoted. A table can still be added beside it without a rebuild if citations are ever
    #   searched on their own.
    """
    CREATE TABLE new_messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        parent_id INTEGER,
        role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        content TEXT NOT NULL DEFAULT '',
        reasoning TEXT NOT NULL DEFAULT '',
        model TEXT,
        citations TEXT CHECK (citations IS NULL OR json_valid(citations)),
        created_at REAL NOT NULL,
        status TEXT NOT NULL DEFAULT 'done'
            CHECK (status IN ('done', 'streaming', 'stopped', 'error')),
        n_tokens INTEGER,
        tokens_per_s REAL,
        CHECK (parent_id < id),
        FOREIGN KEY (chat_id, parent_id) REFERENCES messages(chat_id, id)
    )
    """,
    # A chat so far reads in id order: each message follows the one before it in its chat.
    # Replies take the chat's model, the only one known (the one it last used).
    """
    INSERT INTO new_messages (id, chat_id, parent_id, role, content, model, created_at, status,
                              n_tokens, tokens_per_s)
    SELECT m.id, m.chat_id, lag(m.id) OVER (PARTITION BY m.chat_id ORDER BY m.id), m.role,
           m.content, CASE WHEN m.role = 'assistant' THEN c.model END, m.created_at, m.status,
           m.n_tokens, m.tokens_per_s
    FROM messages AS m LEFT JOIN chats AS c ON c.id = m.chat_id
    """,
    # AUTOINCREMENT's high-water mark moves with the table (dropping the old one drops its row,
    # renaming the new one renames its row), so the id of a message deleted last is never reused.
    "DELETE FROM sqlite_sequence WHERE name = 'new_messages'",
    "UPDATE sqlite_sequence SET name = 'new_messages' WHERE name = 'messages'",
    # The view goes first: renaming fails while a view names a table that is missing. The old
    # table's indexes and triggers go with it. messages_fts stays: the ids and the text it
    # indexes are unchanged, and its content table is the view by name.
    "DROP VIEW indexed_messages",
    "DROP TABLE messages",
    "ALTER TABLE new_messages RENAME TO messages",
    # Unique, as the key that parent_id refers to must be.
    "CREATE UNIQUE INDEX messages_by_chat ON messages(chat_id, id)",
    "CREATE INDEX messages_by_parent ON messages(parent_id)",
    "CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming'",
    # The search index's view and triggers, as "full-text search" made them.
    "CREATE VIEW indexed_messages AS SELECT id, content FROM messages WHERE status != 'streaming'",
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
    # A deleted message's replies follow its own parent, so no message is cut off from the
    # conversation (today only a last message or a replaced reply is deleted, and they have
    # none). AFTER, not BEFORE: a BEFORE trigger must not change rows the same statement is
    # about to delete, as a purged chat's messages are.
    """
    CREATE TRIGGER messages_reparent AFTER DELETE ON messages BEGIN
        UPDATE messages SET parent_id = old.parent_id WHERE parent_id = old.id;
    END
    """,
)

_CJK_SEARCH_STATEMENTS = _statements(
    # The index is fed each text through hearth_search_text (engine/chat/search_text.py), which
    # sets every Chinese, Japanese and Korean character apart as a token of its own, so a search
    # for 北京 finds 北京是中国的首都; text without them is fed as it is. The views hold what
    # the index is made of, so 'rebuild', 'integrity-check' and snippets read what the triggers
    # index; the triggers delete by the same function of the old text.
    "DROP TRIGGER messages_fts_insert",
    "DROP TRIGGER messages_fts_delete",
    "DROP TRIGGER messages_fts_update",
    "DROP VIEW indexed_messages",
    """
    CREATE VIEW indexed_messages AS
    SELECT id, hearth_search_text(content) AS content FROM messages WHERE status != 'streaming'
    """,
    """
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
    WHEN new.status != 'streaming' BEGIN
        INSERT INTO messages_fts(rowid, content)
            VALUES (new.id, hearth_search_text(new.content));
    END
    """,
    """
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
    WHEN old.status != 'streaming' BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
            VALUES ('delete', old.id, hearth_search_text(old.content));
    END
    """,
    """
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, status ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
            SELECT 'delete', old.id, hearth_search_text(old.content)
            WHERE old.status != 'streaming';
        INSERT INTO messages_fts(rowid, content)
            SELECT new.id, hearth_search_text(new.content) WHERE new.status != 'streaming';
    END
    """,
    # 'rebuild' empties the index and reads the view again: every message, as now fed.
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
    # Titles: the index read the chats table itself; it reads a view of it now.
    "DROP TRIGGER chats_fts_insert",
    "DROP TRIGGER chats_fts_delete",
    "DROP TRIGGER chats_fts_update",
    "DROP TABLE chats_fts",
    "CREATE VIEW indexed_chats AS SELECT id, hearth_search_text(title) AS title FROM chats",
    """
    CREATE VIRTUAL TABLE chats_fts USING fts5(
        title, content='indexed_chats', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER chats_fts_insert AFTER INSERT ON chats BEGIN
        INSERT INTO chats_fts(rowid, title) VALUES (new.id, hearth_search_text(new.title));
    END
    """,
    """
    CREATE TRIGGER chats_fts_delete AFTER DELETE ON chats BEGIN
        INSERT INTO chats_fts(chats_fts, rowid, title)
            VALUES ('delete', old.id, hearth_search_text(old.title));
    END
    """,
    """
    CREATE TRIGGER chats_fts_update AFTER UPDATE OF title ON chats BEGIN
        INSERT INTO chats_fts(chats_fts, rowid, title)
            VALUES ('delete', old.id, hearth_search_text(old.title));
        INSERT INTO chats_fts(rowid, title) VALUES (new.id, hearth_search_text(new.title));
    END
    """,
    "INSERT INTO chats_fts(chats_fts) VALUES ('rebuild')",
)


_DOCUMENT_COLLECTIONS = _statements(
    # A collection is a named set of files and folders (engine/documents/collections.py), or
    # the documents attached to one chat (chat_id set, no name). Its sources are what the person
    # added; its files are what indexing found in them, each with what it was when indexed
    # (size and modification time, to notice a change without reading it) or why it could not
    # be read. A file's passages go with it.
    """
    CREATE TABLE collections (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT UNIQUE,
        chat_id INTEGER UNIQUE REFERENCES chats(id) ON DELETE CASCADE,
        created_at REAL NOT NULL,
        CHECK ((name IS NULL) != (chat_id IS NULL))
    )
    """,
    """
    CREATE TABLE collection_sources (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        UNIQUE (collection_id, path)
    )
    """,
    """
    CREATE TABLE collection_files (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        name TEXT NOT NULL,
        size INTEGER,
        mtime_ns INTEGER,
        pages INTEGER,
        error TEXT,
        indexed_at REAL NOT NULL,
        UNIQUE (collection_id, path)
    )
    """,
    """
    CREATE TABLE passages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        file_id INTEGER NOT NULL REFERENCES collection_files(id) ON DELETE CASCADE,
        ordinal INTEGER NOT NULL,
        start INTEGER NOT NULL,
        line INTEGER NOT NULL,
        page INTEGER,
        text TEXT NOT NULL,
        UNIQUE (file_id, ordinal)
    )
    """,
    # Vectors of a passage's sentence groups (engine/documents/embedder.py), float32 bytes,
    # written only where the search model is installed.
    """
    CREATE TABLE passage_vectors (
        passage_id INTEGER NOT NULL REFERENCES passages(id) ON DELETE CASCADE,
        vector BLOB NOT NULL
    )
    """,
    "CREATE INDEX passage_vectors_by_passage ON passage_vectors(passage_id)",
    # Fed as the chat index is (hearth_search_text), so 北京 is found in 北京是中国的首都; porter
    # stemming on top, so a question about an "election" finds a passage about who was "elected".
    "CREATE VIEW indexed_passages AS SELECT id, hearth_search_text(text) AS text FROM passages",
    """
    CREATE VIRTUAL TABLE passages_fts USING fts5(
        text, content='indexed_passages', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN
        INSERT INTO passages_fts(rowid, text) VALUES (new.id, hearth_search_text(new.text));
    END
    """,
    """
    CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN
        INSERT INTO passages_fts(passages_fts, rowid, text)
            VALUES ('delete', old.id, hearth_search_text(old.text));
    END
    """,
)


_ANSWER_ROUTE = _statements(
    # Which way a reply about a chat's long document was answered (engine/documents/route.py):
    # from the passages search found for the question, or from the whole text (the part
    # summaries the chat keeps). The window says so under the reply and offers the other way;
    # NULL for every other message. Added in place: a nullable column with a CHECK needs no
    # rebuild, and every existing row is NULL.
    "ALTER TABLE messages ADD COLUMN route TEXT "
    "CHECK (route IS NULL OR route IN ('passages', 'whole'))",
)


_MESSAGE_VERSIONS = _statements(
    # An edit or a regeneration adds a version of a message (a sibling: the same parent), and
    # each version keeps its own continuation; the chat shows one branch from its first message
    # to a last one. Two columns, added in place (constant defaults need no rebuild):
    # - shown_rank: among siblings the highest is the version shown, so showing a version is
    #   one UPDATE, and its continuation is the one shown last beneath it (each level keeps its
    #   own choice). A new message gets one more than its siblings: a new version is shown.
    # - shown: 1 on the branch shown, else 0; what the ranks imply, kept in step by the store in
    #   the transaction that changes them, so reading a chat, searching and exporting stay one
    #   plain query. Every existing message is shown, so existing chats read as before.
    "ALTER TABLE messages ADD COLUMN shown_rank INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE messages ADD COLUMN shown INTEGER NOT NULL DEFAULT 1 CHECK (shown IN (0, 1))",
    "CREATE INDEX messages_by_sibling ON messages(chat_id, parent_id)",
)


_MESSAGE_NOTES = _statements(
    # A note the window shows under a message, written by Hearth, not the model: how a summary
    # was made ("Made from 5 parts of the document (12,345 tokens) in 40 s."). Kept apart from
    # the text as a typed message, JSON of engine/text.py's Text.data() (the template and its
    # values), so the window words it in its language and its numbers in the locale's format,
    # while an export writes the English. NULL for every other message; summaries made before
    # this step keep their note in their text.
    "ALTER TABLE messages ADD COLUMN note TEXT CHECK (note IS NULL OR json_valid(note))",
)


_CHAT_COLLECTIONS = _statements(
    # Named collections a person attached to a chat: a question there about a detail is
    # answered from their passages too, beside the chat's own long documents. Detaching deletes
    # the row; deleting the chat or the collection takes its rows with it.
    """
    CREATE TABLE chat_collections (
        chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
        collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
        attached_at REAL NOT NULL,
        PRIMARY KEY (chat_id, collection_id)
    )
    """,
    "CREATE INDEX chat_collections_by_collection ON chat_collections(collection_id)",
)


def _cjk_search(conn: sqlite3.Connection) -> None:
    search_text.register(conn)  # the connection may be anyone's; the store registers it too
    _CJK_SEARCH_STATEMENTS(conn)


MIGRATIONS: tuple[Migration, ...] = (
    Migration("chats and messages", _CHATS_AND_MESSAGES),
    Migration("full-text search", _FULL_TEXT_SEARCH),
    Migration("document attachments", _DOCUMENT_ATTACHMENTS),
    Migration("message tree, models, reasoning and citations", _MESSAGE_TREE),
    Migration("search in Chinese, Japanese and Korean", _cjk_search),
    Migration("document collections and their passages", _DOCUMENT_COLLECTIONS),
    Migration("which way a document answer was found", _ANSWER_ROUTE),
    Migration("message versions and the branch shown", _MESSAGE_VERSIONS),
    Migration("a message's note apart from its text", _MESSAGE_NOTES),
    Migration("collections attached to a chat", _CHAT_COLLECTIONS),
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

    Foreign keys are off while the steps run, as SQLite's recipe for rebuilding a table asks:
    with them on, dropping the old messages table deletes its rows first, and ON DELETE CASCADE
    every attachment with them. A step that leaves a reference broken is rolled back instead.
    """
    latest = len(migrations)
    applied: list[str] = []
    if schema_version(conn) == latest:
        return applied
    enforced = bool(conn.execute("PRAGMA foreign_keys").fetchone()[0])
    conn.execute("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction: before BEGIN
    try:
        while True:
            # IMMEDIATE takes the write lock before reading the version, so two Hearth
            # processes starting at once cannot both apply the same step.
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
                broken = conn.execute("PRAGMA foreign_key_check").fetchone()
                if broken is not None:
                    table, row, parent = broken[:3]
                    raise StoreError(
                        f"upgrading it (step “{migration.name}”) would leave row {row} of "
                        f"{table} pointing to a missing row of {parent}; nothing was changed"
                    )
                kill_points.reached("migration")  # tests only: HEARTH_KILL_AT=migration:<n>
                conn.execute(f"PRAGMA user_version = {version + 1}")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            applied.append(migration.name)
    finally:
        conn.execute(f"PRAGMA foreign_keys = {'ON' if enforced else 'OFF'}")
