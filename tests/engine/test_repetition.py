"""The loop guard: real replies full of repetition pass untouched, loops are stopped, and a person
(or an API client that asked for it) is told why the reply ended.

The corpus (tests/engine/repetition_corpus.py) is cut into tokens by the bundled model's own
tokenizer and fed as the token loop feeds it; the loops are real ones the bundled model writes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from engine.api.local import LocalServer
from engine.chat.repetition import DEFAULT_WINDOW, REPETITION_NOTE, RepetitionGuard
from engine.chat.service import ChatService, Turn, TurnEnded
from engine.chat.store import ChatStore
from engine.config import AppConfig
from engine.documents.reading import Document
from engine.documents.summarize import SummaryDone, SummaryOptions, summarize
from engine.errors import SettingsError
from engine.host.decoding import Utf8Stream
from engine.host.runtime import GenerationDone, Runtime, TokenPieces
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings, sampling_from_dict
from tests.conftest import TEST_THREADS
from tests.engine.repetition_corpus import GEMMA_ECHO, GEMMA_LOOP, LEGITIMATE, LOOPS
from tests.engine.test_templates import base_copy


@pytest.fixture(scope="session")
def runtime(inprocess_runtime: Runtime) -> Runtime:
    """These tests read llama.cpp's own state: they run the engine host's Runtime in this
    process (what reaches it through the host is tested in test_engine_host.py)."""
    return inprocess_runtime


# The loop of issue 16, started for the model: it goes on writing lines of `<`.
LOOPING_PROMPT = GEMMA_ECHO + "<\n" * 24
GREEDY = SamplingSettings(temperature=0.0, seed=1, max_tokens=300)


def pieces(runtime: Runtime, text: str) -> list[str]:
    """`text` as the token loop hands it to the guard: one decoded piece per token."""
    llm = runtime.llama
    tokens, utf8 = TokenPieces(llm._model.vocab), Utf8Stream()
    return [utf8.feed(tokens.bytes_of(token))
            for token in llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)]


def stopped_at(fed: list[str], window: int = DEFAULT_WINDOW) -> int | None:
    """The token (counted from 0) at which the guard stops the reply, if it does."""
    guard = RepetitionGuard(window)
    return next((index for index, piece in enumerate(fed) if guard.feed(piece)), None)


@pytest.mark.parametrize("name", list(LEGITIMATE))
def test_replies_that_repeat_for_good_reasons_are_never_cut(runtime: Runtime, name: str) -> None:
    assert stopped_at(pieces(runtime, LEGITIMATE[name])) is None


def test_the_gemma_loop_is_stopped_within_64_tokens_of_its_start(runtime: Runtime) -> None:
    start = len(pieces(runtime, GEMMA_ECHO))
    fed = pieces(runtime, GEMMA_ECHO + GEMMA_LOOP)
    assert len(fed) - start > 400  # without the guard: hundreds of lines of `<`
    stop = stopped_at(fed)
    assert stop is not None and stop - start < 64


@pytest.mark.parametrize("name", list(LOOPS))
def test_every_loop_is_stopped_long_before_it_ends(runtime: Runtime, name: str) -> None:
    before, loop = LOOPS[name]
    start = len(pieces(runtime, before))
    fed = pieces(runtime, before + loop)
    if len(fed) - start < DEFAULT_WINDOW:
        pytest.fail(f"the loop is only {len(fed) - start} tokens: it tests nothing")
    stop = stopped_at(fed)
    assert stop is not None and stop - start <= 4 * DEFAULT_WINDOW


def test_a_window_of_nothing_but_blank_lines_is_a_loop() -> None:
    guard = RepetitionGuard(8)
    assert not guard.feed("Done.")
    assert [guard.feed("\n\n") for _ in range(8)] == [False] * 7 + [True]


def test_the_window_is_a_setting_with_a_range() -> None:
    assert SamplingSettings().loop_guard == DEFAULT_WINDOW
    assert sampling_from_dict({"loop_guard": 0}).loop_guard == 0  # off
    assert sampling_from_dict({"loop_guard": 200}).loop_guard == 200
    for refused in (-1, 5000, 2.5):
        with pytest.raises(SettingsError, match="Loop guard"):
            sampling_from_dict({"loop_guard": refused})
    settings = ChatSettings().with_overrides({"sampling": {"loop_guard": 96}})
    assert settings.sampling.loop_guard == 96
    assert settings.overrides_from(ChatSettings()) == {"sampling": {"loop_guard": 96}}


# -- in the token loop, a chat, a summary ---------------------------------------------------------


def test_the_token_loop_stops_a_loop_and_says_why(runtime: Runtime) -> None:
    done = list(runtime.stream_text(LOOPING_PROMPT, GREEDY, threading.Event()))[-1]
    assert isinstance(done, GenerationDone)
    assert done.finish_reason == "repetition"
    assert done.generated_tokens < 64
    assert set(done.text) <= {"<", "\n"}


def test_with_the_guard_off_the_loop_runs_to_the_token_limit(runtime: Runtime) -> None:
    sampling = SamplingSettings(temperature=0.0, seed=1, max_tokens=96, loop_guard=0)
    done = list(runtime.stream_text(LOOPING_PROMPT, sampling, threading.Event()))[-1]
    assert isinstance(done, GenerationDone)
    assert (done.finish_reason, done.generated_tokens) == ("length", 96)


def test_a_chat_keeps_a_looping_reply_marked_stopped_with_the_note(
    bundled_model: Path, tmp_path: Path
) -> None:
    runtime = Runtime()  # a base model: a chat continues the person's text, as issue 16's did
    try:
        runtime.load(base_copy(bundled_model, tmp_path), RuntimeSettings(n_ctx=512),
                     n_threads=TEST_THREADS)
        store = ChatStore(tmp_path / "chats.sqlite3")
        chat = store.create_chat()
        config = AppConfig(chat_defaults=ChatSettings(sampling=GREEDY))
        events = list(ChatService(store, runtime).reply(chat.id, config, threading.Event(),
                                                       Turn("send", LOOPING_PROMPT)))
    finally:
        runtime.close()
    ended = events[-1]
    assert isinstance(ended, TurnEnded) and ended.reply is not None
    assert str(ended.note) == str(REPETITION_NOTE) == "stopped: the model was repeating itself"
    saved = store.messages(chat.id)[-1]
    assert saved.status == "stopped"
    assert saved.content == ended.reply.content and saved.content.startswith("<\n<\n")


def test_a_summary_that_loops_says_so_in_its_note(runtime: Runtime) -> None:
    text = "Buy milk. " * 40  # the bundled model's summary of it repeats "Buy milk." forever
    document = Document("list.txt", text, len(text), "text")
    done = list(summarize(runtime, document, SummaryOptions(seed=1), threading.Event()))[-1]
    assert isinstance(done, SummaryDone) and done.repeating_steps == 1
    assert str(done.note).endswith(" It was stopped: the model was repeating itself.")


# -- the API: only when a request asks ----------------------------------------------------------


@pytest.fixture(scope="module")
def server(bundled_model: Path) -> Iterator[LocalServer]:
    with LocalServer(bundled_model, runtime=RuntimeSettings(n_ctx=512),
                     n_threads=TEST_THREADS) as served:
        yield served


@pytest.fixture
def client(server: LocalServer) -> Iterator[tuple[openai.OpenAI, str]]:
    """A client of the test's own: closing it ends its connection and the server's thread."""
    assert server.loaded is not None
    with openai.OpenAI(base_url=server.url, api_key=server.token, max_retries=0,
                       timeout=120) as api:
        yield api, server.loaded.name


def test_the_api_stops_a_loop_only_when_the_request_asks(
    client: tuple[openai.OpenAI, str]
) -> None:
    api, model = client
    plain = api.completions.create(model=model, prompt=LOOPING_PROMPT, temperature=0, seed=1,
                                   max_tokens=96).choices[0]
    assert plain.finish_reason == "length"
    assert "stopped_by" not in plain.to_dict()

    guarded = api.completions.create(model=model, prompt=LOOPING_PROMPT, temperature=0, seed=1,
                                     max_tokens=96, extra_body={"loop_guard": True}).choices[0]
    assert guarded.finish_reason == "stop"  # as OpenAI's clients know it
    assert guarded.to_dict()["stopped_by"] == "loop_guard"
    assert len(guarded.text) < len(plain.text)


def test_a_streamed_reply_the_guard_cut_says_so_in_its_last_chunk(
    client: tuple[openai.OpenAI, str]
) -> None:
    api, model = client
    chunks = list(api.completions.create(
        model=model, prompt=LOOPING_PROMPT, stream=True, temperature=0, seed=1, max_tokens=200,
        extra_body={"loop_guard": 32}))
    text = "".join(chunk.choices[0].text for chunk in chunks)
    assert 0 < len(text) < 200 and set(text) <= {"<", "\n"}
    last = chunks[-1].choices[0]
    assert last.finish_reason == "stop"
    assert last.to_dict()["stopped_by"] == "loop_guard"
    assert all("stopped_by" not in chunk.choices[0].to_dict() for chunk in chunks[:-1])


def test_a_bad_loop_guard_is_refused_by_name(client: tuple[openai.OpenAI, str]) -> None:
    api, model = client
    with pytest.raises(openai.BadRequestError, match="loop_guard"):
        api.completions.create(model=model, prompt="Hi", max_tokens=4,
                               extra_body={"loop_guard": -3})
