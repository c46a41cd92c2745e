"""A model on a remote server, used like the local `Runtime` (see engine/chat/engine.py).

The HTTP stream is read on a thread of its own and handed over through a queue, so Stop ends a
reply at once (the socket is shut behind it) and, while the server reads a long prompt, the
consumer gets `PromptProgress` events and can serve other work between them.

Token counts come from the server's tokenizer when it has one (llama.cpp's and vLLM's
`/tokenize`); otherwise they are a conservative estimate, and `RemoteModel.tokens_estimated`
says so. The server's chat template is unknown here: a chat's count is its messages' counts
plus a few tokens per message for the template.
"""

from __future__ import annotations

import math
import queue
import random
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from engine.chat.context import ContextPlan, plan_context
from engine.chat.prompt import ChatMessage
from engine.chat.reasoning import THINK_CLOSE, THINK_OPEN
from engine.errors import (
    NoModelLoadedError,
    RemoteError,
    RemoteOfflineError,
    RemoteReplyCutError,
)
from engine.host.runtime import (
    ContextPlanned,
    FinishReason,
    GenerationDone,
    GenerationRequest,
    PromptProgress,
    StreamEvent,
    TextChunk,
)
from engine.remote.client import ChatDelta, ChatStream, RemoteClient, RemoteModelListing
from engine.remote.keys import model_key_for
from engine.remote.settings import DEFAULT_CONTEXT_LENGTH, Endpoint
from engine.settings import SEED_MAX
from engine.text import Text

TOKENS_PER_MESSAGE = 8  # the chat template's tokens around one message (role, start, end)
TOKENS_PER_REPLY = 4  # and before the reply
MAX_STOP_STRINGS = 4  # OpenAI's limit
POLL_S = 0.05  # how often a waiting reply checks Stop and the network switch
PROGRESS_EVERY_S = 0.25  # how often a silent server's reply hands control back (see stream)
_COUNT_CACHE = 4096
# A word touching a digit is likely hex or an identifier, tokenized in small pieces: "other".
_ESTIMATE_PIECES = re.compile(
    r"(?P<word>(?<![0-9]) ?[A-Za-z][a-z]*(?![0-9A-Za-z]))|(?P<space>\s+)|(?P<other>.)", re.DOTALL)

ContextSource = Literal["server", "endpoint setting", "default"]


@dataclass(frozen=True)
class RemoteModel:
    """A remote model in use: where it is, its context window and where that figure came from."""

    endpoint: str
    model_id: str
    base_url: str
    n_ctx: int
    context_source: ContextSource
    tokens_estimated: bool  # no tokenizer on the server: counts are estimates (on the high side)

    @property
    def name(self) -> str:
        return self.model_id

    @property
    def key(self) -> str:
        return model_key_for(self.endpoint, self.model_id)

    @property
    def description(self) -> str:
        """One line for the status bar's tooltip and the CLI."""
        counted = "estimated" if self.tokens_estimated else "counted by the server"
        return (f"Remote: {self.model_id} on {self.endpoint} ({self.base_url}); context "
                f"{self.n_ctx:,} tokens ({self.context_source}); token counts {counted}")


def estimate_tokens(text: str) -> int:
    """A count on the high side for any tokenizer: a word of ASCII letters (with the space
    before it) or a run of whitespace takes a token for every 3 characters (English runs near
    4, rare words and names near 3), any other character one for each of its UTF-8 bytes:
    digits, punctuation, hex and emoji come near that in small vocabularies (many split every
    digit), and a tokenizer that falls back to bytes spends 3 on a CJK character."""
    total = 0
    for piece in _ESTIMATE_PIECES.finditer(text):
        if piece.lastgroup == "other":
            total += len(piece.group().encode("utf-8", "surrogatepass"))
        else:
            total += math.ceil(len(piece.group()) / 3)
    return total


class RemoteEngine:
    """One model on one server. Use it from one thread (as the runtime), except `close`."""

    def __init__(self, client: RemoteClient, model: RemoteModel) -> None:
        self._client = client
        self._model: RemoteModel | None = model
        self._counts: OrderedDict[str, int] = OrderedDict()

    @classmethod
    def open(cls, client: RemoteClient, model_id: str,
             cancel: threading.Event | None = None) -> RemoteEngine:
        """Checks that the server lists `model_id` and learns its context window and whether
        the server can count tokens; raises RemoteError with the reason otherwise."""
        listing = client.list_models(cancel)
        found = next((model for model in listing if model.id == model_id), None)
        if found is None:
            names = ", ".join(model.id for model in listing[:12]) or "none"
            raise RemoteError(Text("{name} has no model “{model_id}” (it lists: {names}).",
                                   name=client.name, model_id=model_id, names=names))
        n_ctx, source = context_window(client.endpoint, found)
        estimated = client.tokenize(model_id, "Hello") is None
        return cls(client, RemoteModel(client.name, model_id, client.endpoint.base_url, n_ctx,
                                       source, estimated))

    @property
    def loaded(self) -> RemoteModel | None:
        return self._model

    @property
    def client(self) -> RemoteClient:
        return self._client

    def close(self) -> None:
        self._model = None
        self._client.close()

    def _require(self) -> RemoteModel:
        if self._model is None:
            raise NoModelLoadedError(Text("No model is loaded."))
        return self._model

    # --- tokens ---------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        model = self._require()
        if model.tokens_estimated:
            return estimate_tokens(text)
        count = self._counts.get(text)
        if count is None:
            tokens = self._client.tokenize(model.model_id, text)
            count = len(tokens) if tokens is not None else estimate_tokens(text)
            self._counts[text] = count
            if len(self._counts) > _COUNT_CACHE:
                self._counts.popitem(last=False)
        else:
            self._counts.move_to_end(text)
        return count

    def tokenize_chat(self, messages: Sequence[ChatMessage]) -> list[int]:
        """As many entries as the chat takes tokens (the server's ids are not needed here and
        its template is unknown): only the length of this list means anything."""
        total = TOKENS_PER_REPLY + sum(
            TOKENS_PER_MESSAGE + self.count_tokens(message.content) for message in messages)
        return [0] * total

    def plan(self, request: GenerationRequest) -> ContextPlan:
        model = self._require()
        reserve = min(request.settings.sampling.max_tokens, model.n_ctx // 2)
        return plan_context(
            request.messages, request.settings.system_prompt, budget=model.n_ctx - reserve,
            policy=request.settings.context_policy, tokenize=self.tokenize_chat,
            start_hint=request.start_hint,
        )

    # --- replies --------------------------------------------------------------------------

    def stream(self, request: GenerationRequest, cancel: threading.Event) -> Iterator[StreamEvent]:
        """Streams one reply as the runtime does; raises ContextOverflowError, RemoteError (a
        reply cut short raises RemoteReplyCutError after its text was streamed)."""
        model = self._require()
        self._client.check_network()
        plan = self.plan(request)
        prompt_tokens = len(plan.tokens)
        yield ContextPlanned(plan.first_index, plan.head, prompt_tokens, prompt_tokens)
        sampling = request.settings.sampling
        seed = sampling.seed if sampling.seed is not None else random.randrange(SEED_MAX)
        payload = self._payload(request, plan, seed, max(1, min(
            sampling.max_tokens, model.n_ctx - prompt_tokens)))
        started = time.perf_counter()
        chat = self._client.stream_chat(payload, cancel)
        deltas: queue.Queue[ChatDelta | BaseException | None] = queue.Queue()
        reader = threading.Thread(target=_read, args=(chat, deltas), daemon=True,
                                  name=f"hearth-remote-{model.endpoint}")
        reader.start()
        parts: list[str] = []
        chunks, first_at, reported = 0, None, started
        reason: FinishReason = "stop"
        server_finished = False
        usage: tuple[int | None, int | None] = (None, None)
        thinking = _ThinkTags()
        try:
            while True:
                if cancel.is_set():
                    reason = "cancelled"
                    break
                if not self._client.network_is_on():
                    raise RemoteOfflineError(
                        Text("The network switch was turned off, so the reply from {endpoint} was "
                             "cut. What arrived is kept.",
                             endpoint=model.endpoint))
                try:
                    item = deltas.get(timeout=POLL_S)
                except queue.Empty:
                    # A silent server must not hold the engine thread: control goes back to
                    # the consumer, which serves other work (opening a chat) in between.
                    if time.perf_counter() - reported >= PROGRESS_EVERY_S:
                        reported = time.perf_counter()
                        waiting = PromptProgress(0, prompt_tokens)
                        yield waiting if first_at is None else TextChunk("")
                    continue
                if item is None:
                    if cancel.is_set() and not server_finished:
                        reason = "cancelled"  # it ended because Stop came while it waited
                    break
                if isinstance(item, RemoteReplyCutError):
                    raise RemoteReplyCutError(str(item), "".join(parts)) from None
                if isinstance(item, BaseException):
                    raise item
                text = thinking.feed(item.reasoning, item.text)
                if text:
                    first_at = first_at or time.perf_counter()
                    chunks += 1
                    parts.append(text)
                    yield TextChunk(text)
                if item.prompt_tokens is not None or item.completion_tokens is not None:
                    usage = (item.prompt_tokens, item.completion_tokens)
                if item.finish_reason is not None:
                    server_finished = True
                    reason = "length" if item.finish_reason == "length" else "stop"
        finally:
            chat.abort()  # a no-op once the stream ended; otherwise Stop, a close or an error
        finished = time.perf_counter()
        first = first_at or finished
        generated = usage[1] if usage[1] is not None else chunks
        decode = finished - first
        yield GenerationDone(
            text="".join(parts), finish_reason=reason,
            prompt_tokens=usage[0] if usage[0] is not None else prompt_tokens,
            evaluated_tokens=usage[0] if usage[0] is not None else prompt_tokens,
            generated_tokens=generated, seconds_to_first_token=first - started,
            tokens_per_second=(generated - 1) / decode if generated > 1 and decode > 0 else 0.0,
            n_ctx=model.n_ctx, seed=seed,
        )

    def _payload(self, request: GenerationRequest, plan: ContextPlan, seed: int,
                 max_tokens: int) -> dict[str, Any]:
        """The OpenAI request: the planned messages and the standard sampling fields (top-k,
        min-p and llama.cpp's other samplers are not part of the API and stay local)."""
        model = self._require()
        settings = request.settings
        seen = [*request.messages[:plan.head], *request.messages[plan.first_index:]]
        if settings.system_prompt.strip():
            seen.insert(0, ChatMessage("system", settings.system_prompt))
        sampling = settings.sampling
        payload: dict[str, Any] = {
            "model": model.model_id,
            "messages": [{"role": m.role, "content": m.content} for m in seen],
            "max_tokens": max_tokens,
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "presence_penalty": sampling.presence_penalty,
            "frequency_penalty": sampling.frequency_penalty,
            "seed": seed,
        }
        if request.stop:
            payload["stop"] = list(request.stop[:MAX_STOP_STRINGS])
        return payload


class _ThinkTags:
    """Puts the thinking a server sends apart (`reasoning_content`) back in front of the answer
    in a `<think>` block, so that a remote reply streams as a local one does and one splitter
    (engine/chat/reasoning.py) reads both."""

    def __init__(self) -> None:
        self._open = False

    def feed(self, reasoning: str, answer: str) -> str:
        text = ""
        if reasoning:
            text = reasoning if self._open else f"{THINK_OPEN}{reasoning}"
            self._open = True
        if answer and self._open:
            text, self._open = f"{text}{THINK_CLOSE}", False
        return text + answer


def _read(chat: ChatStream, deltas: queue.Queue[ChatDelta | BaseException | None]) -> None:
    try:
        for delta in chat:
            deltas.put(delta)
        deltas.put(None)
    except BaseException as error:  # handed to the consumer, which raises it on its thread
        deltas.put(error)


def context_window(endpoint: Endpoint, listing: RemoteModelListing) -> tuple[int, ContextSource]:
    """The person's setting for the endpoint, else what the server's listing says, else the
    default."""
    if endpoint.context_length is not None:
        return endpoint.context_length, "endpoint setting"
    if listing.context_length is not None:
        return listing.context_length, "server"
    return DEFAULT_CONTEXT_LENGTH, "default"
