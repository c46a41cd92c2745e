"""Named collections attached to a chat: kept per chat in the database (across a restart, until
detached), and a detail question there is given the passages of the attached collections,
numbered, on the same path as a chat's own long document. The bundled model answers; what is
asserted is the prompt the turn builds and the citations kept with the reply."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from engine.chat.service import ChatService, Turn, TurnEnded
from engine.chat.store import ChatStore
from engine.config import AppConfig
from engine.documents.ask import CHAT_INTRO, Route
from engine.documents.collections import DocumentIndex, IndexDone
from engine.errors import DocumentError
from engine.host.runtime import Runtime
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from tests.conftest import TEST_THREADS
from tests.engine.documents_data import PLANTED_SECTION, speech_lines

CONFIG = AppConfig(chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=8, seed=3)))
QUESTION = "Who rowed through the night to pull the fishermen out of the water?"


@pytest.fixture(scope="module")
def roomy_runtime(bundled_model: Path) -> Iterator[Runtime]:
    own = Runtime()
    own.load(bundled_model, RuntimeSettings(n_ctx=2048), n_threads=TEST_THREADS)
    yield own
    own.close()


def _folder_collection(documents: DocumentIndex, folder: Path, name: str) -> int:
    collection = documents.create(name)
    documents.add_sources(collection.id, [folder])
    done = list(documents.reindex(collection.id))[-1]
    assert isinstance(done, IndexDone) and done.added >= 1
    return collection.id


def test_collections_attach_to_a_chat_persist_and_detach(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("The lighthouse lamp burns every night.\n", encoding="utf-8")
    store = ChatStore(tmp_path / "chats.sqlite3")
    documents = DocumentIndex.open(store.path)
    try:
        chat, other = store.create_chat(), store.create_chat()
        harbour = _folder_collection(documents, folder, "Harbour")
        empty = documents.create("Empty").id
        documents.attach(chat.id, harbour)
        documents.attach(chat.id, empty)
        documents.attach(chat.id, harbour)  # twice is once
        assert [c.name for c in documents.attached(chat.id)] == ["Empty", "Harbour"]
        assert documents.attached(other.id) == []
        assert documents.searched_for(chat.id) == [harbour, empty]
        own = documents.chat_collection(chat.id).id  # a long document attached to the chat
        assert documents.searched_for(chat.id) == [own, harbour, empty]
        with pytest.raises(DocumentError, match="no longer there"):
            documents.attach(chat.id, own)  # a chat's own collection is not one to attach
    finally:
        documents.close()
        store.close()

    store = ChatStore(tmp_path / "chats.sqlite3")  # a restart
    documents = DocumentIndex.open(store.path)
    try:
        assert [c.name for c in documents.attached(chat.id)] == ["Empty", "Harbour"]
        documents.detach(chat.id, empty)
        assert [c.name for c in documents.attached(chat.id)] == ["Harbour"]
        documents.remove("Harbour")  # a removed collection leaves the chats it was in
        assert documents.attached(chat.id) == []
        store.delete_chat(chat.id)
        store.purge_deleted()
        assert store._conn.execute("SELECT count(*) FROM chat_collections").fetchone()[0] == 0
    finally:
        documents.close()
        store.close()


def test_a_detail_question_in_a_chat_gets_the_passages_of_its_attached_collection(
    roomy_runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Keyword search only (no search model): the planted fact is found by its words."""
    folder = tmp_path / "speeches"
    folder.mkdir()
    (folder / "speech.txt").write_text(
        f"{speech_lines(8)}\n\n{PLANTED_SECTION}\n\n{speech_lines(4, skip=40)}\n",
        encoding="utf-8")
    (folder / "shopping.txt").write_text("Bread, milk and apples.\n", encoding="utf-8")
    store = ChatStore(tmp_path / "chats.sqlite3")
    documents = DocumentIndex.open(store.path)
    service = ChatService(store, roomy_runtime, documents=documents)
    prompts: list[Any] = []
    stream = roomy_runtime.stream

    def spy(request: Any, cancel: threading.Event) -> Any:
        prompts.append(request)
        return stream(request, cancel)

    monkeypatch.setattr(roomy_runtime, "stream", spy)
    try:
        chat = store.create_chat()
        talks = _folder_collection(documents, folder, "Talks")
        assert service.passages_for(chat.id, QUESTION) == []  # not attached yet
        documents.attach(chat.id, talks)
        given = service.passages_for(chat.id, QUESTION)
        assert given and "rowed through the night" in given[0].text
        assert given[0].file == "speech.txt"

        events = list(service.reply(chat.id, CONFIG, threading.Event(), Turn("send", QUESTION)))
        ended = events[-1]
        assert isinstance(ended, TurnEnded) and ended.reply is not None
        asked = prompts[-1].messages[-1].content
        assert asked.startswith(CHAT_INTRO) and asked.endswith(QUESTION)
        assert "[1] (speech.txt, line" in asked and "rowed through the night" in asked
        assert ended.reply.route is Route.PASSAGES

        documents.detach(chat.id, talks)
        events = list(service.reply(chat.id, CONFIG, threading.Event(), Turn("send", QUESTION)))
        assert CHAT_INTRO not in prompts[-1].messages[-1].content
        ended = events[-1]
        assert isinstance(ended, TurnEnded) and ended.reply is not None
        assert ended.reply.route is None
    finally:
        documents.close()
        store.close()
