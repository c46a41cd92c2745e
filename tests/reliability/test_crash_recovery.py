"""What a kill leaves behind, set up by hand: the cases test_kills.py hits at random, made exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.chat.store import ChatStore
from engine.config import AppConfig, load_config, save_config
from engine.settings import ChatSettings


def reopened(path: Path) -> list[tuple[str, str, str]]:
    """The chat as the next start shows it (the store recovers when it opens)."""
    store = ChatStore(path)
    try:
        chat = store.list_chats()[0]
        return [(m.role, m.content, m.status) for m in store.messages(chat.id)]
    finally:
        store.close()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "hearth.sqlite3"


def test_a_regeneration_cut_off_by_a_kill_leaves_the_previous_reply(db: Path) -> None:
    store = ChatStore(db)
    chat = store.create_chat()
    question = store.add_message(chat.id, "user", "Name a colour.")
    store.add_message(chat.id, "assistant", "Blue.")
    regenerating = store.add_message(chat.id, "assistant", "", status="streaming",
                                     parent_id=question.id)
    store.update_message(regenerating.id, "Gre")
    # Killed here: the store is never closed.
    assert reopened(db) == [("user", "Name a colour.", "done"), ("assistant", "Blue.", "done")]


def test_a_reply_killed_before_its_first_word_is_dropped(db: Path) -> None:
    store = ChatStore(db)
    chat = store.create_chat()
    store.add_message(chat.id, "user", "Hello")
    store.add_message(chat.id, "assistant", "", status="streaming")
    assert reopened(db) == [("user", "Hello", "done")]


def test_a_reply_killed_midway_keeps_what_was_saved(db: Path) -> None:
    store = ChatStore(db)
    chat = store.create_chat()
    store.add_message(chat.id, "user", "Hello")
    reply = store.add_message(chat.id, "assistant", "", status="streaming")
    store.update_message(reply.id, "Hi the")
    assert reopened(db) == [("user", "Hello", "done"), ("assistant", "Hi the", "stopped")]


def test_a_finished_regeneration_is_shown_and_the_old_reply_kept_as_a_version(db: Path) -> None:
    store = ChatStore(db)
    chat = store.create_chat()
    question = store.add_message(chat.id, "user", "Name a colour.")
    old = store.add_message(chat.id, "assistant", "Blue.")
    new = store.add_message(chat.id, "assistant", "", status="streaming", parent_id=question.id)
    store.update_message(new.id, "Green.", "done", n_tokens=3, tokens_per_s=40.0)
    # Killed here: the store is never closed.
    assert reopened(db) == [("user", "Name a colour.", "done"), ("assistant", "Green.", "done")]
    after = ChatStore(db)
    try:
        assert after.versions(new.id) == [old.id, new.id]
        assert [hit.message_id for hit in after.search("green")] == [new.id]
        assert after.search("blue") == [], "a version not shown is not searched"
    finally:
        after.close()


def test_settings_half_written_by_a_killed_save_are_cleared_by_the_next(tmp_path: Path) -> None:
    path = tmp_path / "config" / "settings.json"
    save_config(path, AppConfig())
    leftover = path.with_name(".settings-k1ll3d")  # what mkstemp left when the kill came
    leftover.write_text('{"version": 1, "chat_defaults": {"system_pro')
    assert load_config(path).notice is None  # never read as the settings
    changed = AppConfig(chat_defaults=ChatSettings(system_prompt="Kept."))
    save_config(path, changed)
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]
    assert load_config(path).config == changed
