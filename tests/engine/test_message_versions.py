"""Versions of a message: an edit or a regeneration adds a sibling with its own continuation,
and the chat shows one branch, which reading, search, export and the next turn follow."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.chat.export import chat_to_json, chat_to_markdown
from engine.chat.migrations import MIGRATIONS, apply_migrations
from engine.chat.service import ChatService, Turn, TurnEnded, TurnStarted
from engine.chat.store import ChatStore, MessageRecord
from engine.config import AppConfig
from engine.errors import HearthError
from engine.host.runtime import Runtime
from engine.settings import ChatSettings, SamplingSettings

CONFIG = AppConfig(chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=12, seed=3)))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "chats.sqlite3"


@pytest.fixture
def store(db: Path) -> Iterator[ChatStore]:
    opened = ChatStore(db)
    yield opened
    opened.close()


@pytest.fixture
def service(store: ChatStore, runtime: Runtime) -> ChatService:
    return ChatService(store, runtime)


def _run(service: ChatService, chat_id: int, turn: Turn) -> tuple[TurnStarted, TurnEnded]:
    events = list(service.reply(chat_id, CONFIG, threading.Event(), turn))
    started, ended = events[0], events[-1]
    assert isinstance(started, TurnStarted) and isinstance(ended, TurnEnded)
    assert ended.reply is not None and ended.reply.status == "done"
    return started, ended


def _shown(store: ChatStore, chat_id: int) -> list[tuple[str, int, int]]:
    """The chat as shown: each message's text, its version and how many it has."""
    return [(m.content, m.version, m.versions) for m in store.messages(chat_id)]


def _ids(messages: list[MessageRecord]) -> list[int]:
    return [m.id for m in messages]


# -- on the model ---------------------------------------------------------------------------------


def test_regenerating_twice_keeps_three_versions(service: ChatService) -> None:
    store = service.store
    chat = store.create_chat()
    _started, first = _run(service, chat.id, Turn("send", "Name a colour."))
    _started, second = _run(service, chat.id, Turn("regenerate"))
    started, third = _run(service, chat.id, Turn("regenerate"))
    assert first.reply and second.reply and third.reply
    assert started.reply.parent_id == first.reply.parent_id, "a sibling of the first reply"
    assert third.replaced
    replies = [first.reply, second.reply, third.reply]
    assert store.versions(third.reply.id) == _ids(replies)
    question = store.messages(chat.id)[0]
    assert _shown(store, chat.id) == [(question.content, 1, 1), (third.reply.content, 3, 3)]

    for step, number in ((-1, 2), (-1, 1)):
        shown = store.messages(chat.id)[-1]
        assert service.show_version(shown.id, step)
        shown = store.messages(chat.id)[-1]
        assert (shown.id, shown.content, shown.version, shown.versions) == (
            replies[number - 1].id, replies[number - 1].content, number, 3)
        assert len(store.messages(chat.id)) == 2
    assert not service.show_version(first.reply.id, -1), "there is none before the first"
    assert not service.show_version(first.reply.id, 3)
    assert service.show_version(first.reply.id, 2)
    assert store.messages(chat.id)[-1].id == third.reply.id


def test_each_version_keeps_its_own_continuation(service: ChatService) -> None:
    store = service.store
    chat = store.create_chat()
    _run(service, chat.id, Turn("send", "Name a fruit."))
    _run(service, chat.id, Turn("send", "Name another."))
    original = store.messages(chat.id)
    first_reply = original[1]

    # Regenerating the first reply leaves the exchange after it with the version it followed.
    started, ended = _run(service, chat.id, Turn("regenerate", message_id=first_reply.id))
    assert ended.reply is not None
    assert _ids(started.messages) == [original[0].id, ended.reply.id]
    assert _ids(store.messages(chat.id)) == [original[0].id, ended.reply.id]
    _run(service, chat.id, Turn("send", "A vegetable now."))
    branch = store.messages(chat.id)
    assert [m.content for m in branch][:2] == [original[0].content, ended.reply.content]
    assert len(branch) == 4

    assert service.show_version(ended.reply.id, -1)
    assert _ids(store.messages(chat.id)) == _ids(original)
    assert [(m.version, m.versions) for m in store.messages(chat.id)] == [
        (1, 1), (1, 2), (1, 1), (1, 1)]
    # Forward again: the version comes back with the continuation it had.
    assert service.show_version(first_reply.id, 1)
    assert _ids(store.messages(chat.id)) == _ids(branch)

    with pytest.raises(HearthError, match="cannot be regenerated"):
        next(service.reply(chat.id, CONFIG, threading.Event(),
                           Turn("regenerate", message_id=original[0].id)))
    with pytest.raises(HearthError, match="not shown"):
        next(service.reply(chat.id, CONFIG, threading.Event(),
                           Turn("edit", "Hidden?", message_id=original[2].id)))
    assert _ids(store.messages(chat.id)) == _ids(branch), "a refused turn changes nothing"


def test_editing_an_earlier_question_branches_and_the_next_turn_follows(
    service: ChatService,
) -> None:
    store = service.store
    chat = store.create_chat()
    _run(service, chat.id, Turn("send", "Say a colour."))
    _run(service, chat.id, Turn("send", "Say a number."))
    original = store.messages(chat.id)

    started, ended = _run(service, chat.id,
                          Turn("edit", "Say an animal.", message_id=original[0].id))
    edited = started.messages[0]
    assert (edited.content, edited.parent_id, edited.version, edited.versions) == (
        "Say an animal.", None, 2, 2)
    assert ended.reply is not None and ended.reply.parent_id == edited.id
    assert _ids(store.messages(chat.id)) == [edited.id, ended.reply.id]
    assert store.get_chat(chat.id).title == "Say a colour.", "the chat keeps its name"

    # Back to the first question: its whole exchange, and the next turn builds on it.
    assert service.show_version(edited.id, -1)
    assert _ids(store.messages(chat.id)) == _ids(original)
    started, ended = _run(service, chat.id, Turn("send", "And a shape?"))
    assert _ids(started.messages[:4]) == _ids(original)
    assert started.view.evaluate_tokens < started.view.prompt_tokens, (
        "the cached conversation is reused where the branch shown matches it")
    markdown = chat_to_markdown(store.get_chat(chat.id), store.messages(chat.id))
    assert "Say a colour." in markdown and "Say an animal." not in markdown
    json_text = chat_to_json(store.get_chat(chat.id), store.messages(chat.id))
    assert "And a shape?" in json_text and "Say an animal." not in json_text
    assert [h.message_id for h in store.search("animal")] == []
    assert started.messages[4].id in {h.message_id for h in store.search("shape")}


def test_a_stopped_regeneration_shows_the_version_before_it(service: ChatService) -> None:
    store = service.store
    chat = store.create_chat()
    _run(service, chat.id, Turn("send", "Say a colour."))
    _run(service, chat.id, Turn("regenerate"))
    before = store.messages(chat.id)
    cancel = threading.Event()
    events = service.reply(chat.id, CONFIG, cancel, Turn("regenerate"))
    started = next(events)
    assert isinstance(started, TurnStarted)
    assert (started.reply.version, started.reply.versions) == (3, 3)
    cancel.set()
    ended = next(e for e in events if isinstance(e, TurnEnded))
    assert ended.reply == before[-1] and not ended.replaced
    assert store.messages(chat.id) == before
    assert len(store.versions(before[-1].id)) == 2


# -- in the store ---------------------------------------------------------------------------------


def test_the_shown_branch_survives_reopening(store: ChatStore, db: Path) -> None:
    chat = store.create_chat()
    question = store.add_message(chat.id, "user", "Name a bird.")
    robin = store.add_message(chat.id, "assistant", "A robin.")
    store.add_message(chat.id, "user", "Smaller?")
    store.add_message(chat.id, "assistant", "A wren.")
    heron = store.add_message(chat.id, "assistant", "A heron.", parent_id=question.id)
    store.show_version(robin.id)
    store.close()

    reopened = ChatStore(db)
    try:
        assert _shown(reopened, chat.id) == [
            ("Name a bird.", 1, 1), ("A robin.", 1, 2), ("Smaller?", 1, 1), ("A wren.", 1, 1)]
        reopened.show_version(heron.id)
        assert _shown(reopened, chat.id) == [("Name a bird.", 1, 1), ("A heron.", 2, 2)]
    finally:
        reopened.close()


def test_an_edited_question_keeps_its_documents(store: ChatStore) -> None:
    chat = store.create_chat()
    asked = store.add_message(chat.id, "user", "Summarise it.")
    store.add_attachment(asked.id, "notes.txt", "text", 12, 3, "Some notes.")
    edited = store.add_message(chat.id, "user", "Shorter.", parent_id=None,
                               documents_of=asked.id)
    documents = store.attachments(chat.id)
    assert [(a.name, a.context) for a in documents[edited.id]] == [("notes.txt", "Some notes.")]
    assert [a.name for a in documents[asked.id]] == ["notes.txt"]


def test_the_context_start_is_forgotten_off_the_branch_shown(store: ChatStore) -> None:
    chat = store.create_chat()
    question = store.add_message(chat.id, "user", "Q")
    first = store.add_message(chat.id, "assistant", "A")
    later = store.add_message(chat.id, "user", "Q2")
    second = store.add_message(chat.id, "assistant", "B", parent_id=question.id)
    store.set_context_start(chat.id, question.id)
    store.show_version(first.id)
    assert store.get_chat(chat.id).context_start_id == question.id, "still on the branch"
    store.set_context_start(chat.id, later.id)
    store.show_version(second.id)
    assert store.get_chat(chat.id).context_start_id is None


def test_an_old_linear_chat_reads_as_before(db: Path) -> None:
    """A chat the previous schema holds (each message the parent of the next), with a
    regeneration a kill left streaming beside the reply it regenerated."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        apply_migrations(conn, MIGRATIONS[:8])  # before notes and chat collections
        conn.execute("INSERT INTO chats (id, title, created_at, updated_at) "
                     "VALUES (1, 'Birds', 1.0, 1.0)")
        rows = [(1, None, "system", "Be brief.", "done"), (2, 1, "user", "A bird?", "done"),
                (3, 2, "assistant", "A robin.", "done"), (4, 3, "user", "Another?", "done"),
                (5, 4, "assistant", "A wren.", "done"), (6, 5, "user", "One more?", "done"),
                (7, 6, "assistant", "A heron.", "stopped"),
                (8, 6, "assistant", "A sw", "streaming")]
        conn.executemany("INSERT INTO messages (id, chat_id, parent_id, role, content, status, "
                         "created_at) VALUES (?, 1, ?, ?, ?, ?, ?)",
                         [(*row, float(row[0])) for row in rows])
    finally:
        conn.close()

    store = ChatStore(db)
    try:
        messages = store.messages(1)
        assert [(m.id, m.parent_id, m.content, m.status) for m in messages] == [
            (i, parent, text, status) for i, parent, _role, text, status in rows[:-1]]
        assert all((m.version, m.versions) == (1, 1) for m in messages)
        assert [h.message_id for h in store.search("wren")] == [5]
        assert store.search("sw") == []
    finally:
        store.close()


def test_a_regeneration_cut_off_by_a_kill_leaves_the_version_before(
    store: ChatStore, db: Path
) -> None:
    chat = store.create_chat()
    question = store.add_message(chat.id, "user", "Name a colour.")
    blue = store.add_message(chat.id, "assistant", "Blue.")
    green = store.add_message(chat.id, "assistant", "", status="streaming",
                              parent_id=question.id)
    assert _shown(store, chat.id) == [("Name a colour.", 1, 1), ("", 2, 2)]
    store.update_message(green.id, "Gre")
    # An edited question's reply cut off midway is kept, as any reply is.
    edited = store.add_message(chat.id, "user", "Name a fruit.", parent_id=None)
    cut = store.add_message(chat.id, "assistant", "", status="streaming")
    store.update_message(cut.id, "A pe")
    # Killed here: the store is never closed.
    after = ChatStore(db)
    try:
        assert [(m.id, m.status) for m in after.messages(chat.id)] == [
            (edited.id, "done"), (cut.id, "stopped")]
        after.show_version(question.id)
        assert _ids(after.messages(chat.id)) == [question.id, blue.id]
        assert after.versions(blue.id) == [blue.id]
    finally:
        after.close()
