"""Documents in a chat on the real bundled model: a summary turn saved like a reply, Stop, and
follow-up turns that are given the document (or its part summaries)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.chat.service import ChatService, Turn, TurnEnded, TurnStarted, _history_for
from engine.chat.store import ChatStore
from engine.config import AppConfig
from engine.documents.ask import CHAT_INTRO, Route
from engine.documents.collections import DocumentIndex
from engine.documents.reading import pasted_document
from engine.documents.summarize import SummaryOptions
from engine.documents.turns import SummaryStatus, summary_turn
from engine.host.runtime import Runtime
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from tests.conftest import TEST_THREADS
from tests.engine.documents_data import PLANTED_SECTION, speech_lines

QUICK = SummaryOptions(words=30, part_tokens=40, temperature=0.0, seed=1)
CONFIG = AppConfig(chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=12, seed=3)))


@pytest.fixture(scope="module")
def small_runtime(bundled_model: Path) -> Iterator[Runtime]:
    own = Runtime()
    own.load(bundled_model, RuntimeSettings(n_ctx=384), n_threads=TEST_THREADS)
    yield own
    own.close()


@pytest.fixture
def service(small_runtime: Runtime, tmp_path: Path) -> Iterator[ChatService]:
    store = ChatStore(tmp_path / "chats.sqlite3")
    yield ChatService(store, small_runtime)
    store.close()


def test_a_long_document_is_summarised_into_the_chat_in_parts(service: ChatService) -> None:
    document = pasted_document(speech_lines(12), name="speech.txt")
    tokens = service.runtime.count_tokens(document.text)
    chat = service.store.create_chat()
    events = list(summary_turn(service, chat.id, document, tokens, QUICK, threading.Event()))
    assert isinstance(events[0], TurnStarted)
    statuses = [str(e.text) for e in events if isinstance(e, SummaryStatus) and e.text]
    assert statuses[0].startswith(f"Reading {tokens:,} tokens in ")
    assert "Summarising part 1 of" in statuses[1]
    fractions = [e.fraction for e in events if isinstance(e, SummaryStatus)]
    assert fractions == sorted(fractions)
    ended = events[-1]
    assert isinstance(ended, TurnEnded) and ended.reply is not None
    streamed = "".join(e for e in events if isinstance(e, str))
    assert ended.reply.content == streamed  # the summary alone: its note is a field of its own
    assert " parts of the document " in str(ended.reply.note) and ended.reply.status == "done"
    question, answer = service.store.messages(chat.id)
    assert answer.id == ended.reply.id
    assert answer.parent_id == question.id
    assert answer.model is not None and answer.model == service.answering_model()
    assert question.content == "Summarise “speech.txt” in about 30 words."
    (attached,) = service.store.attachments(chat.id)[question.id]
    assert attached.tokens == tokens and attached.name == "speech.txt"
    assert "too long to keep whole" in attached.context  # follow-ups get the part summaries


def test_a_follow_up_question_is_given_the_document(service: ChatService) -> None:
    document = pasted_document("The meeting is on Thursday at the lighthouse.", name="note.txt")
    chat = service.store.create_chat()
    turn = Turn("send", "When is the meeting?", document,
                service.runtime.count_tokens(document.text))
    events = list(service.reply(chat.id, CONFIG, threading.Event(), turn))
    started = events[0]
    assert isinstance(started, TurnStarted)
    assert started.view.prompt_tokens > turn.document_tokens
    stored = service.store.messages(chat.id)
    documents = service.store.attachments(chat.id)
    history = _history_for(stored, Turn("send", "And where?"), documents)
    assert "Thursday at the lighthouse" in history[0][1]
    assert history[0][1].endswith("When is the meeting?")
    assert history[-1] == ("user", "And where?")
    shown = [m.content for m in started.messages]
    assert shown[0] == "When is the meeting?"  # the chat shows the question, not the document


def test_stop_keeps_what_the_summary_wrote(service: ChatService) -> None:
    document = pasted_document(speech_lines(30), name="speech.txt")
    chat = service.store.create_chat()
    cancel = threading.Event()
    events = []
    for event in summary_turn(service, chat.id, document, 1000, QUICK, cancel):
        events.append(event)
        if isinstance(event, SummaryStatus) and "part 2 of" in str(event.text):
            cancel.set()
    ended = events[-1]
    assert isinstance(ended, TurnEnded) and ended.reply is not None
    assert ended.reply.status == "stopped"
    # The note is the message's own field (the window words it), not part of its text.
    assert str(ended.reply.note).startswith("Stopped; partly made")
    assert "partly made" not in ended.reply.content


def test_a_detail_question_about_a_long_document_gets_the_passage_that_answers_it(
    small_runtime: Runtime, tmp_path: Path,
) -> None:
    """Keyword search only here (no search model): the planted fact is found by its words. The
    small test context (384 tokens) holds none of the passages beside the chat, so the turn is
    answered without them rather than refused."""
    store = ChatStore(tmp_path / "chats.sqlite3")
    documents = DocumentIndex.open(store.path)
    service = ChatService(store, small_runtime, documents=documents)
    try:
        text = f"{speech_lines(8)}\n\n{PLANTED_SECTION}\n\n{speech_lines(4, skip=40)}"
        document = pasted_document(text, name="speech.txt")
        chat = store.create_chat()
        list(summary_turn(service, chat.id, document, 1000, QUICK, threading.Event()))
        collection = documents.chat_collection_id(chat.id)
        assert collection is not None and documents.has_passages(collection)
        question = "Who rowed through the night to pull the fishermen out of the water?"
        (best, *_rest) = documents.search([collection], question)
        assert "rowed through the night" in best.text
        assert best.file == "speech.txt"
        assert best.line == document.text[:document.text.index(best.text)].count("\n") + 1
        assert service.passages_for(chat.id, question) == []  # none fits in 384 tokens
        # The whole text is for the part summaries; a question the text does not touch gets
        # nothing, rather than passages that do not answer it.
        assert documents.search([collection], "Summarise the speech in three points.")
        assert service.passages_for(chat.id, "Summarise the speech in three points.") == []
        assert service.passages_for(chat.id, "What is the price of bitcoin in Singapore?") == []
        stored = store.messages(chat.id)
        events = list(service.reply(chat.id, CONFIG, threading.Event(), Turn("send", question)))
        ended = events[-1]
        assert isinstance(ended, TurnEnded) and ended.reply is not None
        assert ended.reply.content  # answered with the passages in its prompt
        assert ended.reply.route is Route.WHOLE  # none fitted: the part summaries answered
        history = _history_for(stored, Turn("send", question), store.attachments(chat.id))
        assert CHAT_INTRO not in history[-1][1]  # the passages go with the turn, not the chat
    finally:
        documents.close()
        store.close()
