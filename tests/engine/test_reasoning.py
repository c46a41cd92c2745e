"""A reply's thinking, kept apart from its answer: the splitter on its own (tags cut anywhere,
blocks left open, gpt-oss's channels), then chats as a person has them. Replies with `<think>`
blocks come from a scripted OpenAI-compatible server, cut across its stream events, and from a
copy of the bundled model whose chat template has a thinking section; the person sees the answer
without the block, the thinking is stored apart, the next turn's prompt leaves it out, exports
and summaries leave it out unless asked, and `hearth-cli chat` prints it to stderr."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.api.errors import ApiError
from engine.api.local import LocalServer
from engine.api.requests import parse_chat
from engine.chat.context import ContextPlan
from engine.chat.engine import EngineModel
from engine.chat.export import chat_to_json, chat_to_markdown
from engine.chat.prompt import ChatMessage, ChatTemplate
from engine.chat.reasoning import (
    PLAIN,
    ReasoningChunk,
    ReasoningSplitter,
    ReasoningStyle,
    has_thinking_switch,
    reasoning_style,
    split_reasoning,
)
from engine.chat.service import ChatService, Turn, TurnEnded, TurnStarted
from engine.chat.store import ChatStore
from engine.config import AppConfig
from engine.documents.reading import pasted_document
from engine.documents.summarize import SummaryDone, SummaryOptions, summarize
from engine.host.client import HostRuntime
from engine.host.runtime import GenerationRequest, Runtime, StreamEvent, TextChunk
from engine.paths import app_paths
from engine.remote.client import Timeouts
from engine.remote.engine import RemoteEngine
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from tests.conftest import TEST_THREADS
from tests.engine.test_remote_chat import hearth_cli
from tests.reasoning_models import (
    HARMONY_TEMPLATE,
    QWEN3_TEMPLATE,
    R1_TEMPLATE,
    thinking_copy,
)
from tests.remote_script_server import ClosingEngines, Reply, ScriptServer, chat_chunk

CONFIG = AppConfig(chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=24, seed=3,
                                                                        temperature=0.0)))
THOUGHT = "The person greets me. A short, warm answer is best."
ANSWER = "Hello! How can I help you today?"
REPLY = f"<think>\n{THOUGHT}\n</think>\n\n{ANSWER}"


def split_in_chunks(text: str, style: ReasoningStyle, cuts: Sequence[int]) -> tuple[str, str]:
    """(reasoning, answer) of `text` fed in pieces cut at `cuts`; each piece's parts are
    checked to be what the splitter says it handed out."""
    splitter = ReasoningSplitter(style)
    handed = {"reasoning": "", "answer": ""}
    bounds = [0, *sorted(set(cuts)), len(text)]
    for start, end in itertools.pairwise(bounds):
        for part in splitter.feed(text[start:end]):
            handed[part.kind] += part.text
    for part in splitter.finish():
        handed[part.kind] += part.text
    assert (handed["reasoning"], handed["answer"]) == (splitter.reasoning, splitter.answer)
    return splitter.reasoning, splitter.answer


# -- the splitter --------------------------------------------------------------------------


@pytest.mark.parametrize("text, style, expected", [
    (REPLY, PLAIN, (THOUGHT, ANSWER)),
    # The template opened the block: the reply starts inside it (DeepSeek-R1 distills, QwQ).
    (f"{THOUGHT}\n</think>\n\n{ANSWER}", ReasoningStyle(opens_thinking=True), (THOUGHT, ANSWER)),
    # ... and a model that writes the opened tag again anyway.
    (REPLY, ReasoningStyle(opens_thinking=True), (THOUGHT, ANSWER)),
    # Cut by its token limit while thinking: the open block is thinking, there is no answer.
    (f"<think>\n{THOUGHT}", PLAIN, (THOUGHT, "")),
    (THOUGHT, ReasoningStyle(opens_thinking=True), (THOUGHT, "")),
    # gpt-oss: the channels with their markers, and bare where the markers are not text.
    (f"<|channel|>analysis<|message|>{THOUGHT}<|end|><|start|>assistant<|channel|>final"
     f"<|message|>{ANSWER}", PLAIN, (THOUGHT, ANSWER)),
    (f"analysis{THOUGHT}assistantfinal{ANSWER}", ReasoningStyle(channels=True),
     (THOUGHT, ANSWER)),
    # Replies without thinking come out exactly as they went in.
    (f"  {ANSWER}\n", PLAIN, ("", f"  {ANSWER}\n")),
    ("analysis of the data shows a rise", PLAIN, ("", "analysis of the data shows a rise")),
    ("Use <think> tags like this: <think>x</think>", PLAIN,
     ("", "Use <think> tags like this: <think>x</think>")),
    ("</think> is a closing tag", PLAIN, ("", "</think> is a closing tag")),
    ("<thin", PLAIN, ("", "<thin")),
    ("", PLAIN, ("", "")),
])
def test_thinking_is_told_apart_from_the_answer_wherever_the_stream_is_cut(
    text: str, style: ReasoningStyle, expected: tuple[str, str]
) -> None:
    assert split_reasoning(text, style) == expected
    for cut in range(len(text) + 1):  # every place a tag could be cut in two
        assert split_in_chunks(text, style, [cut]) == expected
    assert split_in_chunks(text, style, range(len(text))) == expected  # a character a chunk


@settings(max_examples=300, deadline=None)
@given(answer=st.text(alphabet=st.sampled_from(list("ab <>/|\n")) | st.characters(),
                      max_size=40),
       thought=st.text(alphabet=st.sampled_from(list("xy <>/\n")), max_size=40),
       cuts=st.lists(st.integers(0, 100), max_size=8))
def test_no_text_is_lost_however_it_is_cut(answer: str, thought: str, cuts: list[int]) -> None:
    plain_answer = answer.lstrip()
    if not plain_answer.startswith(("<think>", "<|channel|>", "<|start|>")):
        # Without a block in front, every character is the answer's.
        assert split_in_chunks(answer, PLAIN, cuts) == ("", answer)
    if "</think>" not in thought:
        # A block: what is between the tags is thinking, all after it the answer.
        text = f"<think>{thought}</think>{answer}"
        assert split_in_chunks(text, PLAIN, cuts) == (thought.strip(), answer.lstrip())


def test_the_splitter_says_whether_the_reply_is_thinking_now() -> None:
    splitter = ReasoningSplitter()
    assert splitter.feed("<thi") == [] and not splitter.thinking
    assert [(p.kind, p.text) for p in splitter.feed("nk>\nHmm")] == [("reasoning", "Hmm")]
    assert splitter.thinking
    assert [(p.kind, p.text) for p in splitter.feed(".</think>\n\nYes")] == [
        ("reasoning", "."), ("answer", "Yes")]
    assert not splitter.thinking


def test_templates_tell_their_thinking_switch_and_whether_they_open_the_block() -> None:
    assert has_thinking_switch(QWEN3_TEMPLATE) and not has_thinking_switch(R1_TEMPLATE)
    assert reasoning_style(QWEN3_TEMPLATE, True) == ReasoningStyle(switch=True)
    assert reasoning_style(R1_TEMPLATE) == ReasoningStyle(opens_thinking=True)
    assert reasoning_style(HARMONY_TEMPLATE) == ReasoningStyle(channels=True)
    assert reasoning_style(None) == PLAIN

    template = ChatTemplate(QWEN3_TEMPLATE, "<s>", "</s>")
    question = ChatMessage("user", "2+2?")
    off = template.render([ChatMessage("user", "2+2?", think=False)])
    assert off.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert template.render([question]) == template.render(
        [ChatMessage("user", "2+2?", think=True)]) == off.removesuffix("<think>\n\n</think>\n\n")
    # Qwen3's template drops an earlier reply's thinking itself, too.
    again = template.render([question, ChatMessage("assistant", REPLY), question])
    assert THOUGHT not in again and f"<|im_start|>assistant\n{ANSWER}<|im_end|>" in again


# -- chats with a scripted server: <think> blocks cut across its events --------------------


@pytest.fixture
def remote(server: ScriptServer, no_keyring: None,
           remote_engines_closed: None) -> Iterator[RemoteEngine]:
    engines = ClosingEngines(app_paths().ensure(), timeouts=Timeouts(connect=2, read=5))
    engines.add("script", server.base_url, context_length=2048)
    engine = engines.open_model("remote:script/script-model")
    yield engine
    engine.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    opened = ChatStore(tmp_path / "chats.sqlite3")
    yield opened
    opened.close()


def streamed(pieces: Sequence[str], **extra: Any) -> Reply:
    """A reply streamed in these pieces, one event each."""
    return Reply(events=[*(chat_chunk(piece) for piece in pieces),
                         chat_chunk("", "stop", **extra), "[DONE]"])


# The reply cut inside both tags and inside the words around them.
CUT_REPLY = ["<th", "ink>\nThe person gre", "ets me. A short, warm answer is best.\n</th",
             "ink>\n", "\nHello! How can I he", "lp you today?"]


def reply_events(service: ChatService, chat_id: int, text: str) -> list[object]:
    return list(service.reply(chat_id, CONFIG, threading.Event(), Turn("send", text)))


def test_a_remote_reply_shows_its_answer_and_keeps_its_thinking_apart(
    server: ScriptServer, remote: RemoteEngine, store: ChatStore
) -> None:
    assert "".join(CUT_REPLY) == REPLY
    server.script("/v1/chat/completions", streamed(CUT_REPLY))
    service = ChatService(store, Runtime(), engine=remote)
    chat = store.create_chat()
    events = reply_events(service, chat.id, "Hi!")

    # What the window is given: the thinking and the answer as two streams.
    assert "".join(e.text for e in events if isinstance(e, ReasoningChunk)) == THOUGHT
    assert "".join(e.text for e in events if isinstance(e, TextChunk)) == ANSWER
    ended = events[-1]
    assert isinstance(ended, TurnEnded) and ended.reply is not None
    assert (ended.reply.content, ended.reply.reasoning) == (ANSWER, THOUGHT)
    stored = store.messages(chat.id)[-1]
    assert (stored.content, stored.reasoning, stored.status) == (ANSWER, THOUGHT, "done")

    # The next turn sends the answer back, never the thinking.
    server.responder = lambda _body: "Four."
    reply_events(service, chat.id, "What is 2+2?")
    sent = server.requests[-1].body["messages"]
    assert {"role": "assistant", "content": ANSWER} in sent
    assert THOUGHT not in json.dumps(sent)


def test_thinking_a_server_sends_as_reasoning_content_is_kept_the_same_way(
    server: ScriptServer, remote: RemoteEngine, store: ChatStore
) -> None:
    def thought(text: str) -> str:
        return json.dumps({"object": "chat.completion.chunk", "choices": [
            {"index": 0, "delta": {"reasoning_content": text}, "finish_reason": None}]})

    server.script("/v1/chat/completions", Reply(events=[
        thought("The person greets me. "), thought("A short, warm answer is best."),
        chat_chunk("Hello! How can I help"), chat_chunk(" you today?"),
        chat_chunk("", "stop"), "[DONE]"]))
    service = ChatService(store, Runtime(), engine=remote)
    chat = store.create_chat()
    events = reply_events(service, chat.id, "Hi!")
    assert "".join(e.text for e in events if isinstance(e, ReasoningChunk)) == THOUGHT
    assert "".join(e.text for e in events if isinstance(e, TextChunk)) == ANSWER
    stored = store.messages(chat.id)[-1]
    assert (stored.content, stored.reasoning) == (ANSWER, THOUGHT)


def test_a_reply_stopped_while_thinking_keeps_its_thinking_and_no_answer(
    server: ScriptServer, remote: RemoteEngine, store: ChatStore
) -> None:
    server.script("/v1/chat/completions", Reply(events=[
        chat_chunk("<think>\nThe person"), chat_chunk(" greets me."),
        chat_chunk("", "length"), "[DONE]"]))
    service = ChatService(store, Runtime(), engine=remote)
    chat = store.create_chat()
    ended = reply_events(service, chat.id, "Hi!")[-1]
    assert isinstance(ended, TurnEnded) and ended.reply is not None
    assert (ended.reply.content, ended.reply.reasoning) == ("", "The person greets me.")


def test_exports_leave_the_thinking_out_unless_asked(
    server: ScriptServer, remote: RemoteEngine, store: ChatStore
) -> None:
    server.script("/v1/chat/completions", streamed(CUT_REPLY))
    chat = store.create_chat()
    reply_events(ChatService(store, Runtime(), engine=remote), chat.id, "Hi!")
    chat, messages = store.get_chat(chat.id), store.messages(chat.id)

    assert THOUGHT not in chat_to_markdown(chat, messages)
    assert THOUGHT not in chat_to_json(chat, messages)
    markdown = chat_to_markdown(chat, messages, include_reasoning=True)
    assert (f"### Assistant\n\n<details><summary>Thinking</summary>\n\n{THOUGHT}\n\n</details>"
            f"\n\n{ANSWER}") in markdown
    exported = json.loads(chat_to_json(chat, messages, include_reasoning=True))["messages"]
    assert exported[-1]["content"] == ANSWER and exported[-1]["reasoning"] == THOUGHT
    assert "reasoning" not in exported[0]  # the person's message has none


def test_a_summary_leaves_the_thinking_out(server: ScriptServer, remote: RemoteEngine) -> None:
    server.responder = lambda _body: "<think>\nWhat is this text about?\n</think>\n\nIt is a note."
    document = pasted_document("Remember to water the plants on Tuesday and Friday.")
    events = list(summarize(remote, document, SummaryOptions(),
                            threading.Event()))
    done = events[-1]
    assert isinstance(done, SummaryDone) and done.text == "It is a note."


# -- the bundled model with a thinking template --------------------------------------------


class Recording:
    """A chat engine that remembers the requests it was given, then lets `inner` answer."""

    def __init__(self, inner: Runtime | HostRuntime) -> None:
        self.inner = inner
        self.requests: list[GenerationRequest] = []

    @property
    def loaded(self) -> EngineModel | None:
        return self.inner.loaded

    def stream(self, request: GenerationRequest,
               cancel: threading.Event) -> Iterator[StreamEvent]:
        self.requests.append(request)
        return self.inner.stream(request, cancel)

    def plan(self, request: GenerationRequest) -> ContextPlan:
        return self.inner.plan(request)

    def tokenize_chat(self, messages: Sequence[ChatMessage]) -> list[int]:
        return self.inner.tokenize_chat(messages)

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def host() -> Iterator[HostRuntime]:
    runtime = HostRuntime()
    yield runtime
    runtime.close()


def prompt_of(runtime: HostRuntime, request: GenerationRequest) -> str:
    """The prompt the model reads for `request`, as text: checked token for token against
    what the engine host plans to evaluate."""
    system = ChatMessage("system", request.settings.system_prompt)
    text = ChatTemplate(QWEN3_TEMPLATE, "<s>", "</s>").render([system, *request.messages])
    assert runtime.plan(request).tokens == runtime.tokenize(text, add_bos=False, special=True)
    return text


def test_the_think_switch_reaches_the_template_and_earlier_thinking_is_not_sent(
    host: HostRuntime, bundled_model: Path, tmp_path: Path, store: ChatStore
) -> None:
    host.load(thinking_copy(bundled_model, tmp_path), RuntimeSettings(n_ctx=1024), TEST_THREADS)
    engine = Recording(host)
    service = ChatService(store, host, engine=engine)
    chat = store.create_chat()
    first = store.add_message(chat.id, "user", "Hi!")
    earlier = store.add_message(chat.id, "assistant", ANSWER, parent_id=first.id)
    store.update_message(earlier.id, ANSWER, "done", reasoning=THOUGHT)

    events = reply_events(service, chat.id, "Name a colour.")
    thinking_on = prompt_of(host, engine.requests[-1])
    assert thinking_on.endswith("<|im_start|>user\nName a colour.<|im_end|>\n"
                                "<|im_start|>assistant\n")
    assert f"<|im_start|>assistant\n{ANSWER}<|im_end|>" in thinking_on
    assert THOUGHT not in thinking_on and "<think>" not in thinking_on
    # The context counted is the prompt really sent.
    started = events[0]
    assert isinstance(started, TurnStarted)
    assert started.view.prompt_tokens == len(host.plan(engine.requests[-1]).tokens)

    store.update_chat_settings(chat.id, {"thinking": False})  # Think off for this chat
    reply_events(service, chat.id, "Name another.")
    thinking_off = prompt_of(host, engine.requests[-1])
    assert thinking_off.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert THOUGHT not in thinking_off


def test_a_reply_from_a_template_that_opens_the_block_is_thinking_until_it_closes(
    bundled_model: Path, tmp_path: Path, store: ChatStore
) -> None:
    runtime = Runtime()
    try:
        runtime.load(thinking_copy(bundled_model, tmp_path, R1_TEMPLATE, "SmolLM2-135M-R1"),
                     RuntimeSettings(n_ctx=512), TEST_THREADS)
        service = ChatService(store, runtime)
        chat = store.create_chat()
        events = reply_events(service, chat.id, "Why is the sky blue?")
    finally:
        runtime.close()
    # SmolLM2 never writes </think>: its whole reply is thinking, cut by the token limit.
    thought = "".join(e.text for e in events if isinstance(e, ReasoningChunk))
    assert thought.strip() and not any(isinstance(e, TextChunk) and e.text for e in events)
    ended = events[-1]
    assert isinstance(ended, TurnEnded) and ended.reply is not None and ended.done is not None
    assert (ended.reply.content, ended.reply.reasoning) == ("", thought)
    assert ended.done.text.strip() == thought  # nothing was lost, only the tags' space


def test_hearth_cli_chat_prints_the_answer_and_the_thinking_apart(
    server: ScriptServer, hearth_home: Path
) -> None:
    server.responder = lambda _body: REPLY
    assert hearth_cli("remote", "add", "script", server.base_url, home=hearth_home).returncode == 0
    result = hearth_cli("chat", "--model", "remote:script/script-model", "Hi!",
                        home=hearth_home)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{ANSWER}\n"
    assert THOUGHT in result.stderr


# -- the API: reasoning_content, as DeepSeek's API and vLLM send it -------------------------


def test_api_requests_read_the_thinking_switch_and_the_reasoning_format() -> None:
    defaults = SamplingSettings()
    body: dict[str, Any] = {"messages": [{"role": "user", "content": "Hi"}]}
    plain = parse_chat(body, defaults)
    assert (plain.think, plain.separate_reasoning) == (None, True)
    asked = parse_chat({**body, "chat_template_kwargs": {"enable_thinking": False},
                        "reasoning_format": "none"}, defaults)
    assert (asked.think, asked.separate_reasoning) == (False, False)
    for wrong in ({"chat_template_kwargs": {"enable_thinking": "no"}},
                  {"chat_template_kwargs": "thinking"}, {"reasoning_format": "raw"}):
        with pytest.raises(ApiError) as refused:
            parse_chat({**body, **wrong}, defaults)
        assert refused.value.status == 400


def served(model: Path) -> LocalServer:
    return LocalServer(model, runtime=RuntimeSettings(n_ctx=1024), n_threads=TEST_THREADS,
                       defaults=SamplingSettings(max_tokens=16, temperature=0.0, seed=1))


def test_the_api_returns_thinking_as_reasoning_content_whole_and_streamed(
    bundled_model: Path, tmp_path: Path
) -> None:
    model = thinking_copy(bundled_model, tmp_path, R1_TEMPLATE, "SmolLM2-135M-R1")
    with served(model) as server:
        client = openai.OpenAI(base_url=server.url, api_key=server.token, max_retries=0,
                               timeout=120)
        asked: dict[str, Any] = {"model": "SmolLM2-135M-R1",
                                 "messages": [{"role": "user", "content": "Why is it dark?"}]}
        whole = client.chat.completions.create(**asked)
        message = whole.choices[0].message.to_dict()
        thought = message["reasoning_content"]
        assert thought.strip() and message["content"] == ""  # it never closed its block

        deltas = [chunk.choices[0].delta.to_dict()
                  for chunk in client.chat.completions.create(**asked, stream=True)
                  if chunk.choices]
        assert "".join(d.get("reasoning_content") or "" for d in deltas) == thought
        assert "".join(d.get("content") or "" for d in deltas) == ""

        raw = client.chat.completions.create(**asked, extra_body={"reasoning_format": "none"})
        assert raw.choices[0].message.content.strip() == thought
        assert "reasoning_content" not in raw.choices[0].message.to_dict()


def test_the_api_passes_the_thinking_switch_to_the_template(
    bundled_model: Path, tmp_path: Path
) -> None:
    with served(thinking_copy(bundled_model, tmp_path)) as server:
        client = openai.OpenAI(base_url=server.url, api_key=server.token, max_retries=0,
                               timeout=120)
        asked: dict[str, Any] = {"model": "SmolLM2-135M-Thinking", "max_tokens": 1,
                                 "messages": [{"role": "user", "content": "Hi"}]}
        default = client.chat.completions.create(**asked).usage
        off = client.chat.completions.create(
            **asked, extra_body={"chat_template_kwargs": {"enable_thinking": False}}).usage
        assert default is not None and off is not None
        # The empty think block the template adds when thinking is off: "<think>\n\n</think>\n\n".
        assert off.prompt_tokens > default.prompt_tokens
