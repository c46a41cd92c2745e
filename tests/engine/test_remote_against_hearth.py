"""Hearth's remote engine against Hearth's own API server on loopback, on the bundled model: the
models list, a streamed chat reply, a chat turn saved in the history, and a wrong key."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.api.local import LocalServer
from engine.chat.prompt import ChatMessage
from engine.chat.service import ChatService, Turn, TurnEnded
from engine.chat.store import ChatStore
from engine.config import AppConfig
from engine.errors import RemoteAuthError
from engine.host.runtime import (
    ContextPlanned,
    GenerationDone,
    GenerationRequest,
    Runtime,
    StreamEvent,
    TextChunk,
)
from engine.paths import app_paths
from engine.remote.client import Timeouts
from engine.remote.engines import RemoteEngines
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from tests.conftest import TEST_THREADS
from tests.remote_script_server import ClosingEngines

TIMEOUTS = Timeouts(connect=5, read=120)


pytestmark = pytest.mark.usefixtures("no_keyring", "remote_engines_closed")


@pytest.fixture(scope="module")
def hearth_server(bundled_model: Path) -> Iterator[LocalServer]:
    with LocalServer(bundled_model, runtime=RuntimeSettings(n_ctx=2048), n_threads=TEST_THREADS,
                     token="hearth-test-token") as server:
        yield server


@pytest.fixture
def engines(hearth_server: LocalServer) -> RemoteEngines:
    remote = ClosingEngines(app_paths().ensure(), timeouts=TIMEOUTS)
    remote.add("hearth", hearth_server.url, hearth_server.token)
    return remote


def model_key(engines: RemoteEngines) -> str:
    (model,) = engines.list_models("hearth")
    return f"remote:hearth/{model.id}"


def test_the_models_list_names_the_loaded_model_and_its_context(
    engines: RemoteEngines, hearth_server: LocalServer
) -> None:
    (model,) = engines.list_models("hearth")
    assert hearth_server.loaded is not None and model.id
    assert model.context_length == hearth_server.loaded.n_ctx


def test_a_reply_streams_from_hearths_server(engines: RemoteEngines) -> None:
    engine = engines.open_model(model_key(engines))
    request = GenerationRequest(
        messages=(ChatMessage("user", "Name a colour."),),
        settings=ChatSettings(sampling=SamplingSettings(max_tokens=12, seed=4, temperature=0.0)),
    )
    events: list[StreamEvent] = list(engine.stream(request, threading.Event()))
    assert isinstance(events[0], ContextPlanned)
    chunks = [e.text for e in events if isinstance(e, TextChunk)]
    assert len(chunks) >= 2  # streamed, not sent whole
    done = events[-1]
    assert isinstance(done, GenerationDone)
    assert done.text == "".join(chunks) and done.text.strip()
    assert done.finish_reason in ("stop", "length") and 0 < done.generated_tokens <= 12
    # The same seed gives the same text through the API too.
    again = list(engine.stream(request, threading.Event()))[-1]
    assert isinstance(again, GenerationDone) and again.text == done.text


def test_a_chat_turn_through_hearths_server_is_saved(engines: RemoteEngines,
                                                     tmp_path: Path) -> None:
    engine = engines.open_model(model_key(engines))
    store = ChatStore(tmp_path / "chats.sqlite3")
    try:
        service = ChatService(store, Runtime(), engine=engine)
        chat = store.create_chat()
        config = AppConfig(chat_defaults=ChatSettings(
            sampling=SamplingSettings(max_tokens=16, seed=2)))
        events = list(service.reply(chat.id, config, threading.Event(),
                                    Turn("send", "Say hello.")))
        ended = events[-1]
        assert isinstance(ended, TurnEnded) and ended.reply is not None
        assert ended.reply.status == "done" and ended.reply.content.strip()
        assert [m.role for m in store.messages(chat.id)] == ["user", "assistant"]
    finally:
        store.close()


def test_a_wrong_key_is_named(hearth_server: LocalServer) -> None:
    engines = ClosingEngines(app_paths().ensure(), timeouts=TIMEOUTS)
    engines.add("hearth", hearth_server.url, "not-the-token")
    with pytest.raises(RemoteAuthError, match=r"hearth refused the API key \(HTTP 401\).*"
                       "The server said: Missing or wrong API token"):
        engines.list_models("hearth")


def test_stop_hangs_up_and_hearths_server_answers_the_next_request(
    engines: RemoteEngines,
) -> None:
    engine = engines.open_model(model_key(engines))
    request = GenerationRequest(
        messages=(ChatMessage("user", "Count from one to one hundred in words."),),
        settings=ChatSettings(sampling=SamplingSettings(max_tokens=200, seed=1)),
    )
    cancel = threading.Event()
    chunks = 0
    done: GenerationDone | None = None
    for event in engine.stream(request, cancel):
        if isinstance(event, TextChunk) and event.text:
            chunks += 1
            if chunks == 3:
                cancel.set()
        elif isinstance(event, GenerationDone):
            done = event
    assert done is not None and done.finish_reason == "cancelled"
    assert chunks == 3 and done.text
    short = dataclasses.replace(request, settings=ChatSettings(
        sampling=SamplingSettings(max_tokens=4, seed=1)))
    after = list(engine.stream(short, threading.Event()))[-1]
    assert isinstance(after, GenerationDone) and after.finish_reason in ("stop", "length")


def test_the_same_seed_gives_the_same_reply_as_the_local_model(
    engines: RemoteEngines, runtime: Runtime
) -> None:
    """The standard sampling fields reach the server as the local loop reads them: with the
    other samplers at their defaults on both sides, the replies match token for token."""
    request = GenerationRequest(
        messages=(ChatMessage("user", "Write a story about a dragon who bakes bread."),),
        settings=ChatSettings(sampling=SamplingSettings(
            max_tokens=24, seed=5, temperature=0.7, top_p=0.9, presence_penalty=0.2)),
    )
    local = list(runtime.stream(request, threading.Event()))[-1]
    remote = list(engines.open_model(model_key(engines)).stream(request, threading.Event()))[-1]
    assert isinstance(local, GenerationDone) and isinstance(remote, GenerationDone)
    assert remote.text == local.text and remote.seed == local.seed == 5
