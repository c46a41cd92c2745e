"""Chat turns end to end on the real model and a real SQLite file."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from engine.chat.service import ChatService, ContextView, Turn, TurnEnded, TurnStarted
from engine.chat.store import ChatStore
from engine.config import AppConfig
from engine.errors import HearthError, MessageTooLongError
from engine.host.runtime import GenerationDone, Runtime, TextChunk
from engine.settings import ChatSettings, SamplingSettings

CONFIG = AppConfig(chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=24, seed=5)))


@pytest.fixture
def service(tmp_path: Path, runtime: Runtime) -> Iterator[ChatService]:
    store = ChatStore(tmp_path / "chats.sqlite3")
    yield ChatService(store, runtime)
    store.close()


def _run(service: ChatService, chat_id: int, turn: Turn) -> tuple[ContextView, GenerationDone]:
    events = list(service.reply(chat_id, CONFIG, threading.Event(), turn))
    started, ended = events[0], events[-1]
    assert isinstance(started, TurnStarted) and isinstance(ended, TurnEnded)
    assert ended.done is not None
    return started.view, ended.done


def test_a_turn_saves_the_question_and_the_whole_reply(service: ChatService) -> None:
    chat = service.store.create_chat()
    _view, done = _run(service, chat.id, Turn("send", "Name a fruit."))
    messages = service.store.messages(chat.id)
    assert [(m.role, m.status) for m in messages] == [("user", "done"), ("assistant", "done")]
    assert messages[1].content == done.text and done.text.strip()
    assert messages[1].n_tokens == done.generated_tokens
    assert service.store.get_chat(chat.id).title == "Name a fruit."


def test_a_reply_closed_early_is_kept_as_stopped(service: ChatService) -> None:
    chat = service.store.create_chat()
    events = service.reply(chat.id, CONFIG, threading.Event(), Turn("send", "Count to ten."))
    assert isinstance(events, Generator)  # closed below, as a generator can be
    shown = ""
    for event in events:
        if isinstance(event, TextChunk):
            shown += event.text
            if len(shown) > 3:
                break
    events.close()  # what the app does when it quits mid-reply
    reply = service.store.messages(chat.id)[-1]
    assert reply.status == "stopped"
    assert shown.startswith(reply.content) or reply.content.startswith(shown[:1])
    assert reply.content


def test_a_stopped_regeneration_keeps_the_previous_reply(service: ChatService) -> None:
    chat = service.store.create_chat()
    _run(service, chat.id, Turn("send", "Say a colour."))
    before = service.store.messages(chat.id)[-1]
    cancel = threading.Event()
    events = service.reply(chat.id, CONFIG, cancel, Turn("regenerate"))
    started = next(events)
    assert isinstance(started, TurnStarted)
    assert before.id not in [m.id for m in started.messages], "the old reply is out of view"
    cancel.set()
    ended = next(e for e in events if isinstance(e, TurnEnded))
    assert ended.reply == before and not ended.replaced
    assert service.store.messages(chat.id)[-1] == before


def test_regenerate_and_edit_show_a_new_version_of_the_last_exchange(
    service: ChatService,
) -> None:
    chat = service.store.create_chat()
    _run(service, chat.id, Turn("send", "Say a colour."))
    _run(service, chat.id, Turn("regenerate"))
    assert [(m.role, m.version, m.versions) for m in service.store.messages(chat.id)] == [
        ("user", 1, 1), ("assistant", 2, 2)]
    _run(service, chat.id, Turn("edit", "Say an animal."))
    messages = service.store.messages(chat.id)
    assert (messages[0].role, messages[0].content, messages[0].version) == (
        "user", "Say an animal.", 2)
    assert len(messages) == 2


def test_each_message_records_what_it_follows_and_replies_their_model(
    service: ChatService, bundled_model: Path
) -> None:
    chat = service.store.create_chat()
    service.store.add_message(chat.id, "system", "Be brief.")
    _run(service, chat.id, Turn("send", "Say a colour."))
    system, question, reply = service.store.messages(chat.id)
    assert (system.parent_id, question.parent_id, reply.parent_id) == (None, system.id, question.id)
    assert (system.model, question.model) == (None, None)
    assert reply.model == service.answering_model() == str(bundled_model)

    # A regenerated reply answers the same question while the old one stays beside it.
    events = service.reply(chat.id, CONFIG, threading.Event(), Turn("regenerate"))
    started = next(events)
    assert isinstance(started, TurnStarted)
    assert (started.reply.parent_id, started.reply.model) == (question.id, str(bundled_model))
    assert service.store.versions(reply.id) == [reply.id, started.reply.id]
    for _event in events:
        pass
    assert [(m.id, m.parent_id) for m in service.store.messages(chat.id)] == [
        (system.id, None), (question.id, system.id), (started.reply.id, question.id)]

    _run(service, chat.id, Turn("edit", "Say an animal."))
    _run(service, chat.id, Turn("send", "Another?"))
    messages = service.store.messages(chat.id)
    assert [m.parent_id for m in messages] == [None, *(m.id for m in messages[:-1])]
    assert [m.model for m in messages] == [None, None, str(bundled_model), None,
                                           str(bundled_model)]


def test_a_refused_message_leaves_the_chat_untouched(service: ChatService) -> None:
    chat = service.store.create_chat()
    with pytest.raises(MessageTooLongError):
        next(service.reply(chat.id, CONFIG, threading.Event(), Turn("send", "word " * 3000)))
    assert service.store.messages(chat.id) == []
    with pytest.raises(HearthError, match="empty"):
        next(service.reply(chat.id, CONFIG, threading.Event(), Turn("send", "   ")))


def test_switching_back_to_a_chat_restores_its_cache(service: ChatService) -> None:
    long_text = "Here are my notes about the garden and the weather this spring. " * 25
    first = service.store.create_chat()
    second = service.store.create_chat()
    _run(service, first.id, Turn("send", long_text + "Summarise them."))
    _run(service, second.id, Turn("send", long_text.upper() + "Shorter please."))
    view, done = _run(service, first.id, Turn("send", "Thanks!"))
    assert view.prompt_tokens > 300
    assert done.evaluated_tokens < 60, "only the new turn is evaluated after switching back"

    _run(service, second.id, Turn("send", "And again?"))
    service.kv_states.forget(first.id)
    view, done = _run(service, first.id, Turn("send", "One more."))
    assert done.evaluated_tokens > 300, "without a saved state the history is evaluated again"
