"""The runtime: one loaded model and the token loop that streams its replies.

A `Runtime` owns one `Llama` and must be created, used and closed by a single thread. Every
turn sends the full rendered history; llama.cpp keeps the cached prefix, so only the new turn
is evaluated. Cancel is a `threading.Event` any thread may set: the loop checks it between
tokens, and llama.cpp's abort callback checks it inside a long prompt evaluation.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import io
import logging
import os
import random
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import llama_cpp

from engine.chat.context import ContextPlan, plan_context
from engine.chat.prompt import ChatMessage, ChatTemplate, check_chat_templates
from engine.chat.repetition import RepetitionGuard
from engine.chat.templates import TemplateDecision, decide_template
from engine.errors import ContextOverflowError, HearthError, ModelError, NoModelLoadedError
from engine.host.backend import BackendInfo, backend_info, layers_that_fit, route_llama_log
from engine.host.batch import (
    FOLLOWED,
    MAX_SEQUENCES,
    NULL_ABORT,
    BatchDecoder,
    CachedSequence,
    CancelFlag,
    Sampler,
    batch_costs,
    recorded_prefix,
)
from engine.host.decoding import StopMatcher, Utf8Stream
from engine.host.drafting import DraftModel, single_step_seconds, vocabulary_problem
from engine.host.logprobs import TokenLogprob, token_logprob
from engine.host.sampling import make_sampler
from engine.host.scoring import continuation_logprobs
from engine.host.speculation import DRAFT_MAX, Speculation, Speculator
from engine.host.threads import StepThreads
from engine.models.files import ModelFile, check_model_file
from engine.models.gguf import read_header
from engine.models.library import template_choice_for
from engine.models.memory import held_by_model, uses_flash_attention
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from engine.text import Text

log = logging.getLogger(__name__)

# "repetition": the loop guard stopped a reply that kept repeating itself (chat/repetition.py)
FinishReason = Literal["stop", "length", "cancelled", "repetition"]
EMBEDDING_MAX_CONTEXT = 8192  # the embedding instance reads a whole input in one batch




@dataclass(frozen=True)
class LoadedModel:
    path: Path
    size_bytes: int
    n_ctx: int
    n_ctx_train: int
    n_threads: int
    n_threads_batch: int
    n_gpu_layers: int  # -1: all
    n_layers: int
    settings: RuntimeSettings
    backend: str
    architecture: str
    has_chat_template: bool  # the GGUF has one
    template: TemplateDecision  # the template it is read with, and why
    draft_model: str = ""  # the draft model attached for speculative decoding (drafting.py)

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def gpu_split(self) -> str:
        """Where the layers run, as a person reads it."""
        if self.n_gpu_layers == 0:
            return "CPU"
        on_gpu = self.n_layers if self.n_gpu_layers < 0 else min(self.n_gpu_layers, self.n_layers)
        return f"{on_gpu}/{self.n_layers} layers on GPU"


@dataclass(frozen=True)
class GenerationRequest:
    messages: tuple[ChatMessage, ...]  # the whole chat, ending with the message to answer
    settings: ChatSettings = field(default_factory=ChatSettings)
    start_hint: int = 0  # the first message the model saw last turn, to keep the prefix stable
    stop: tuple[str, ...] = ()
    stop_after_text: bool = False  # stop strings count only once more than whitespace is written
    ignore_eog: bool = False  # keep going past end-of-generation tokens (benchmarks, API)
    grammar: str = ""  # GBNF the reply must match (the API's structured output); "": none
    logprobs: int | None = None  # None: none; else a TokenLogprob per token, with this many top
    choices: int = 1  # replies to the same prompt, decoded side by side (the API's n)
    speculation: Speculation = "auto"  # prompt-lookup drafts (speculation.py); one choice only


@dataclass(frozen=True)
class ContextPlanned:
    first_index: int
    head: int
    prompt_tokens: int
    evaluate_tokens: int  # tokens not already in the KV cache
    choice: int = 0  # which request of a parallel stream (stream_parallel) it plans


@dataclass(frozen=True)
class PromptProgress:
    """How much of a long prompt llama.cpp has read (tokens), before the reply begins."""

    done: int
    total: int


@dataclass(frozen=True)
class TextChunk:
    text: str
    choice: int = 0  # which of a request's choices (n > 1) it belongs to


@dataclass(frozen=True)
class GenerationDone:
    text: str
    finish_reason: FinishReason
    prompt_tokens: int
    evaluated_tokens: int
    generated_tokens: int
    seconds_to_first_token: float
    tokens_per_second: float
    n_ctx: int
    seed: int
    choice: int = 0
    drafted_tokens: int = 0  # speculative decoding: draft tokens fed, and those the model kept
    accepted_tokens: int = 0
    threads: int = 0  # generation threads in use at the end (the engine's choice when automatic)

    @property
    def acceptance(self) -> float | None:
        """The share of draft tokens the model kept; None where nothing was drafted."""
        return self.accepted_tokens / self.drafted_tokens if self.drafted_tokens else None

    @property
    def context_used(self) -> int:
        return self.prompt_tokens + self.generated_tokens


@dataclass(frozen=True)
class ParkPoint:
    """A reply between two decodes, where it can be put aside while another one streams
    (`Runtime.park`): it comes only after the engine host asked for it, and the host keeps it.
    No sequences: this reply cannot be put aside (its choices share their prompt's cells)."""

    sequences: tuple[int, ...]


@dataclass(frozen=True)
class ParkedCache:
    """A put-aside reply's sequences as llama.cpp saved them, and Llama's record of sequence 0."""

    sequences: tuple[tuple[int, bytes], ...]
    tokens: tuple[int, ...]


# TokenLogprob (engine/host/logprobs.py) only when the request asked for log-probabilities:
# one per generated token, before the text that token adds.
StreamEvent = (ContextPlanned | PromptProgress | TextChunk | TokenLogprob | GenerationDone
               | ParkPoint)


@dataclass(frozen=True)
class KvState:
    """A sequence's KV cache as bytes: they cross from the engine host to the app and back."""

    tokens: tuple[int, ...]
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def logical_cpu_count() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def physical_core_count() -> int:
    """Cores, not hyperthreads: llama.cpp gains nothing from a core's second thread."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return logical_cpu_count()
    cores, physical = set(), "0"
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "physical id":
            physical = value.strip()
        elif key.strip() == "core id":
            cores.add((physical, value.strip()))
    return min(len(cores), logical_cpu_count()) if cores else logical_cpu_count()


def default_thread_count() -> int:
    """Physical cores minus one on small machines, where a busy core halves the speed."""
    cores = physical_core_count()
    return max(1, cores - 1) if cores <= 4 else cores


def batch_thread_count() -> int:
    return physical_core_count()


def thread_candidates() -> list[int]:
    """The generation thread counts worth measuring on this machine."""
    return sorted({1, default_thread_count(), physical_core_count()})


class Runtime:
    def __init__(self) -> None:
        self._llm: llama_cpp.Llama | None = None
        self._template: ChatTemplate | None = None
        self._loaded: LoadedModel | None = None
        self._cancel: CancelFlag | None = None
        self._abort = llama_cpp.ggml_abort_callback(self._should_abort)
        self._embedder: llama_cpp.Llama | None = None
        # Chooses the thread count of each size of step as replies run, unless it was given.
        self._step_threads: StepThreads | None = None
        self._prompt_threads = batch_thread_count()  # what reads prompts (set_batch_threads)
        self._costs: tuple[float, ...] | None = None  # of batches, for the loaded model
        self._draft: DraftModel | None = None  # drafts for the loaded model (attach_draft)
        # Set by the engine host: the running reply yields a ParkPoint before its next decode.
        self.park_wanted = False
        self._joinable: _JoinableBatch | None = None  # a parallel reply others may join

    @property
    def loaded(self) -> LoadedModel | None:
        return self._loaded

    def load(self, path: Path, settings: RuntimeSettings, n_threads: int | None) -> LoadedModel:
        """Loads a model, replacing any loaded one; raises ModelError with a plain reason.

        The file's header is checked before the loaded model is let go; if llama.cpp still
        refuses the file, the previous model is loaded again, so a bad pick costs nothing.
        """
        previous = self._loaded
        # The model loaded now is let go first, so its memory counts as free for the new one.
        freed = 0
        if previous is not None:
            # The engine process itself stays: only what the model held comes free.
            freed = held_by_model(read_header(previous.path), previous.settings.n_ctx,
                                  previous.settings.kv_cache_bits)
        model_file = check_model_file(path, settings.n_ctx, settings.kv_cache_bits,
                                      freed_bytes=freed)
        # llama-cpp-python compiles the file's templates inside Llama(): check them first.
        check_chat_templates(model_file.header.metadata)
        self.close()
        try:
            return self._load(model_file, settings, n_threads)
        except ModelError:
            if previous is not None and (previous.path, previous.settings) != (path, settings):
                try:
                    self._load(check_model_file(previous.path), previous.settings,
                               previous.n_threads)
                except ModelError:
                    log.exception("could not load the previous model again")
            raise

    def _load(
        self, model_file: ModelFile, settings: RuntimeSettings, n_threads: int | None
    ) -> LoadedModel:
        path = model_file.path
        route_llama_log()
        threads = n_threads or default_thread_count()
        self._step_threads = None if n_threads else StepThreads(thread_candidates())
        self._prompt_threads = batch_thread_count()
        gpu_layers = gpu_layers_for(path, model_file.size_bytes, settings)
        log.info("loading %s (n_ctx=%d, threads=%d, gpu_layers=%d)",
                 path, settings.n_ctx, threads, gpu_layers)
        extra_buffers = settings.safe_mode == 0
        try:
            llm = create_llama(path, settings, threads, gpu_layers, extra_buffers)
        except ModelError:
            if gpu_layers == 0:
                raise
            log.warning("loading with %d GPU layers failed; loading on the CPU", gpu_layers)
            gpu_layers = 0
            llm = create_llama(path, settings, threads, gpu_layers, extra_buffers)
        llm.verbose = False  # from here on its per-turn prints would only be noise on stderr
        # A person's choice, else the GGUF's template, else a built-in or none (templates.py).
        decision = decide_template(model_file.header.metadata, template_choice_for(path))
        try:
            template = ChatTemplate(
                decision.source,
                bos_token=_token_text(llm, llm.token_bos()),
                eos_token=_token_text(llm, llm.token_eos()),
            )
        except ModelError:
            llm.close()
            raise
        llama_cpp.llama_set_abort_callback(llm.ctx, NULL_ABORT, None)
        architecture = llm.metadata.get("general.architecture", "unknown")
        self._llm, self._template = llm, template
        self._loaded = LoadedModel(
            path=path,
            size_bytes=model_file.size_bytes,
            n_ctx=_context_size(llm),
            n_ctx_train=int(llm.metadata.get(f"{architecture}.context_length", _context_size(llm))),
            n_threads=threads,
            n_threads_batch=batch_thread_count(),
            n_gpu_layers=gpu_layers,
            n_layers=int(llm.metadata.get(f"{architecture}.block_count", 0)),
            settings=settings,
            backend=backend_info().name,
            architecture=architecture,
            has_chat_template=isinstance(llm.metadata.get("tokenizer.chat_template"), str),
            template=decision,
        )
        return self._loaded

    def set_threads(self, threads: int) -> None:
        """Pins the generation thread count: it is no longer chosen as replies run."""
        self._step_threads = None
        llm, _ = self._require()
        llama_cpp.llama_set_n_threads(llm.ctx, threads, self._prompt_threads)
        llm.n_threads = threads
        if self._loaded is not None:
            self._loaded = dataclasses.replace(self._loaded, n_threads=threads)

    def attach_draft(self, path: Path | None) -> LoadedModel:
        """Drafts the loaded model's replies with the model at `path` from now on (None: no
        draft model); raises ModelError, with none attached, when it cannot draft for it."""
        llm, _ = self._require()
        assert self._loaded is not None
        self._close_draft()
        self._loaded = dataclasses.replace(self._loaded, draft_model="")
        if path is None:
            return self._loaded
        settings = self._loaded.settings
        model_file = check_model_file(path, settings.n_ctx, settings.kv_cache_bits)
        draft = create_llama(path, settings, int(llm.n_threads),
                             gpu_layers_for(path, model_file.size_bytes, settings))
        try:
            draft.verbose = False
            problem = vocabulary_problem(llm, draft)
            if problem is not None:
                raise ModelError(Text("{draft} cannot draft for {model}: {problem}.",
                                      draft=path.stem, model=self._loaded.name, problem=problem))
            cost = single_step_seconds(draft) / single_step_seconds(llm)
        except BaseException:
            draft.close()
            raise
        log.info("%s drafts for %s at %.2f of its decode", path.stem, self._loaded.name, cost)
        self._draft = DraftModel(draft, cost, llm.n_vocab())
        self._loaded = dataclasses.replace(self._loaded, draft_model=self._draft.name)
        return self._loaded

    def _close_draft(self) -> None:
        if self._draft is not None:
            self._draft.close()
            self._draft = None

    def close(self) -> None:
        self._close_draft()
        self.close_embedder()
        if self._llm is not None:
            self._llm.close()
        self._llm, self._template, self._loaded = None, None, None
        self._costs = None

    def backend(self) -> BackendInfo:
        return backend_info()

    def set_batch_threads(self, threads: int) -> None:
        """The threads that read prompts (batches); generation keeps its own count."""
        llm, _ = self._require()
        self._prompt_threads = threads
        llama_cpp.llama_set_n_threads(llm.ctx, int(llm.n_threads), threads)

    def tokenize(self, text: str, add_bos: bool, special: bool) -> list[int]:
        llm, _ = self._require()
        return list(llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=special))

    def detokenize(self, tokens: Sequence[int]) -> str:
        llm, _ = self._require()
        return bytes(llm.detokenize(list(tokens))).decode("utf-8", errors="replace")

    def score_continuations(
        self, prompt: Sequence[int], continuations: Sequence[Sequence[int]], reusable: int
    ) -> tuple[list[list[float]], int]:
        """Log-probabilities of each continuation's tokens after `prompt` (see scoring.py),
        and how many tokens were decoded for them."""
        llm, _ = self._require()
        return continuation_logprobs(
            llm, self.cached_prefix(list(prompt)), prompt, continuations, reusable
        )

    def embedding_context(self) -> int:
        """The longest input `embed` reads; opens the embedding instance if it is not open."""
        return int(self._open_embedder().n_ctx())

    def embed(self, text: str) -> tuple[tuple[float, ...], int]:
        """A unit-length, mean-pooled embedding of `text`, and the tokens it was made from."""
        embedder = self._open_embedder()
        vector, counted = embedder.embed(text, normalize=True, truncate=False, return_count=True)
        return tuple(float(x) for x in vector), int(counted)

    def embed_many(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        """Unit-length, mean-pooled embeddings of several short texts, read several to a batch
        (on a CPU five times faster than one by one: a small batch leaves the matrix units
        idle). A text longer than the context is cut to it."""
        vectors = self._open_embedder().embed(list(texts), normalize=True, truncate=True)
        return [tuple(float(x) for x in vector) for vector in vectors]

    def count_embedding_tokens(self, text: str) -> int:
        return len(self._open_embedder().tokenize(text.encode("utf-8")))

    def _open_embedder(self) -> llama_cpp.Llama:
        if self._embedder is None:
            loaded = self._loaded
            if loaded is None:
                raise NoModelLoadedError(Text("No model is loaded."))
            self._embedder = create_embedding_llama(
                loaded, min(loaded.n_ctx, EMBEDDING_MAX_CONTEXT)
            )
        return self._embedder

    def close_embedder(self) -> None:
        """Lets the embedding instance go (the API server stopped); it reopens when asked."""
        if self._embedder is not None:
            self._embedder.close()
            self._embedder = None

    @property
    def embedder_open(self) -> bool:
        return self._embedder is not None

    def _require(self) -> tuple[llama_cpp.Llama, ChatTemplate]:
        if self._llm is None or self._template is None:
            raise NoModelLoadedError(Text("No model is loaded."))
        return self._llm, self._template

    def tokenize_chat(self, messages: Sequence[ChatMessage]) -> list[int]:
        llm, template = self._require()
        text = template.render(messages)
        return list(llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def count_tokens(self, text: str) -> int:
        llm, _ = self._require()
        return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def plan(self, request: GenerationRequest) -> ContextPlan:
        llm, _ = self._require()
        reserve = min(request.settings.sampling.max_tokens, _context_size(llm) // 2)
        return plan_context(
            request.messages,
            request.settings.system_prompt,
            budget=_context_size(llm) - reserve,
            policy=request.settings.context_policy,
            tokenize=self.tokenize_chat,
            start_hint=request.start_hint,
        )

    def cached_prefix(self, tokens: list[int]) -> int:
        """How many leading tokens of `tokens` are already in the KV cache."""
        llm, _ = self._require()
        return recorded_prefix(llm, tokens)

    def stream(
        self, request: GenerationRequest, cancel: CancelFlag
    ) -> Generator[StreamEvent, None, None]:
        """Streams one reply; raises ContextOverflowError, ModelError or NoModelLoadedError."""
        plan = self.plan(request)
        yield from self._generate(plan.tokens, plan.first_index, plan.head,
                                  request.settings.sampling, request.stop, request.ignore_eog,
                                  cancel, request.grammar, request.logprobs,
                                  request.stop_after_text, request.choices, request.speculation)

    def stream_parallel(
        self, requests: Sequence[GenerationRequest], cancel: CancelFlag
    ) -> Generator[StreamEvent, None, None]:
        """Replies to several requests side by side, one batch a step (the API's parallel
        requests): the first continues sequence 0, reusing its cached prefix; each other reads
        its prompt into a sequence of its own. Requests that come while it runs join it at the
        next step (`join`), in the sequence of a reply that has ended or a free one. Every
        event carries its request's index as `choice`, and a reply's GenerationDone comes as
        soon as it ends. One choice each and no drafts. Raises ContextOverflowError when the
        first prompts do not fit the context together."""
        llm, _ = self._require()
        if not 1 <= len(requests) <= MAX_SEQUENCES:
            raise HearthError(Text("Between 1 and {max_sequences} requests can be answered at "
                                   "once.",
                                   max_sequences=MAX_SEQUENCES))
        plans = [self.plan(request) for request in requests]
        room = _context_size(llm) - sum(len(plan.tokens) for plan in plans)
        if room < len(plans):
            raise ContextOverflowError(Text("These requests do not fit the context window "
                                            "together."))
        prompts = [plan.tokens for plan in plans]
        cached = min(self.cached_prefix(prompts[0]), len(prompts[0]) - 1)
        evaluated = [len(prompts[0]) - cached] + [len(tokens) for tokens in prompts[1:]]
        for index, plan in enumerate(plans):
            yield ContextPlanned(plan.first_index, plan.head, len(plan.tokens), evaluated[index],
                                 choice=index)
        started = time.perf_counter()
        decoder = BatchDecoder(llm)
        llm._ctx.kv_cache_seq_rm(0, cached, -1)
        llm.n_tokens = cached
        sequences = [decoder.follow()] + [decoder.start() for _ in prompts[1:]]
        pieces = TokenPieces(llm._model.vocab)
        requests = list(requests)
        replies = [self._parallel_reply(llm, index, request, sequence, pieces,
                                        room // len(prompts))
                   for index, (request, sequence) in enumerate(zip(requests, sequences,
                                                                   strict=True))]
        batch = _JoinableBatch(self, _context_size(llm), requests, prompts, replies, decoder)
        ended: set[int] = set()
        first_token_at: float | None = None
        self._arm_abort(llm, cancel)
        self._joinable = batch
        try:
            for sequence, tokens in zip(sequences, prompts, strict=True):
                decoder.read(sequence, tokens[sequence.position : -1])
                sequence.feed = [tokens[-1]]
            live = [] if cancel.is_set() else list(replies)
            if live:
                decoder.step()  # every prompt's last token: each sequence's first logits
            while live:
                for reply in live:
                    request = requests[reply.index]
                    yield from reply.read_step(decoder, llm, request.ignore_eog,
                                               request.logprobs)
                    if first_token_at is None:
                        first_token_at = time.perf_counter()
                        self._disarm_abort(llm)
                    if reply.reason is not None:
                        ended.add(reply.index)
                        yield from reply.finish()
                        yield reply.done(len(prompts[reply.index]), evaluated[reply.index],
                                         started, first_token_at, _context_size(llm),
                                         self._threads_in_use(llm))
                        if reply.sequence.seq_id != FOLLOWED:  # its cells, for a joiner
                            decoder.remove(reply.sequence)
                if cancel.is_set():
                    break
                live = [reply for reply in live if reply.reason is None]
                for reply, plan in batch.take_joiners(pieces):
                    evaluated.append(len(plan.tokens))
                    yield ContextPlanned(plan.first_index, plan.head, len(plan.tokens),
                                         len(plan.tokens), choice=reply.index)
                    decoder.read(reply.sequence, plan.tokens[:-1])
                    reply.sequence.feed = [plan.tokens[-1]]
                    live.append(reply)
                if live:
                    if self.park_wanted:
                        yield ParkPoint(tuple(decoder.sequences))
                    self._step(llm, decoder)
        except ModelError:  # a cancelled prompt is one too: the abort callback stops its decode
            if not cancel.is_set():
                raise
        finally:
            self._joinable = None
            self._disarm_abort(llm)
            for sequence in list(decoder.sequences.values()):
                decoder.remove(sequence)
            self._remember_best_threads()
        for reply in batch.replies:
            if reply.index not in ended:
                reply.reason = reply.reason or "cancelled"
                yield from reply.finish()
                yield reply.done(len(prompts[reply.index]), evaluated[reply.index], started,
                                 first_token_at or time.perf_counter(), _context_size(llm),
                                 self._threads_in_use(llm))

    def join(self, request: GenerationRequest) -> int | None:
        """Adds a request to the parallel reply now streaming (`stream_parallel`), from its
        next step: its index among the stream's requests (its events' `choice`), or None when
        none streams or it has no free sequence or room for this one."""
        batch = self._joinable
        return batch.admit(request) if batch is not None else None

    def _parallel_reply(self, llm: llama_cpp.Llama, index: int, request: GenerationRequest,
                        sequence: CachedSequence, pieces: TokenPieces, room: int) -> _Reply:
        sampling = request.settings.sampling
        seed = sampling.seed if sampling.seed is not None else random.getrandbits(32)
        return _Reply(index, sequence, make_sampler(llm, sampling, seed, request.grammar),
                      StopMatcher(request.stop, request.stop_after_text), pieces,
                      min(sampling.max_tokens, room),
                      RepetitionGuard(sampling.loop_guard) if sampling.loop_guard else None,
                      Speculator("off", (), ()), seed)

    def stream_text(
        self, prompt: str, sampling: SamplingSettings, cancel: CancelFlag,
        stop: Sequence[str] = (), ignore_eog: bool = False, grammar: str = "",
        logprobs: int | None = None, choices: int = 1, speculation: Speculation = "auto",
    ) -> Generator[StreamEvent, None, None]:
        """Continues raw text, without the chat template (the API's completions endpoint).

        Special tokens written in the text are read as such, as llama.cpp's own server does.
        Raises ContextOverflowError when the prompt leaves no room for a reply."""
        llm, _ = self._require()
        tokens = list(llm.tokenize(prompt.encode("utf-8"), add_bos=True, special=True))
        if not tokens:
            raise HearthError(Text("The prompt is empty."))
        if len(tokens) >= _context_size(llm):
            raise ContextOverflowError(
                Text("The prompt is {tokens:,} tokens; the context window holds {context_size:,} "
                     "with the reply.",
                     tokens=len(tokens), context_size=_context_size(llm))
            )
        yield from self._generate(tokens, 0, 0, sampling, tuple(stop), ignore_eog, cancel,
                                  grammar, logprobs, choices=choices, speculation=speculation)

    def _generate(
        self, tokens: list[int], first_index: int, head: int, sampling: SamplingSettings,
        stop: tuple[str, ...], ignore_eog: bool, cancel: CancelFlag, grammar: str = "",
        logprobs: int | None = None, stop_after_text: bool = False, choices: int = 1,
        speculation: Speculation = "auto",
    ) -> Generator[StreamEvent, None, None]:
        """The token loop every reply shares: read the uncached prompt, then sample `choices`
        replies side by side, one batch a step (batch.py); a single reply with prompt-lookup
        drafts where they pay (speculation.py)."""
        llm, _ = self._require()
        if not 1 <= choices <= MAX_SEQUENCES:
            raise HearthError(Text("Between 1 and {max_sequences} replies can be written at once.",
                                   max_sequences=MAX_SEQUENCES))
        evaluate = max(1, len(tokens) - self.cached_prefix(tokens))
        yield ContextPlanned(first_index, head, len(tokens), evaluate)

        seed = sampling.seed if sampling.seed is not None else random.getrandbits(32)
        # The choices share the prompt's cells; each needs its own for what it writes.
        max_new = min(sampling.max_tokens, (_context_size(llm) - len(tokens)) // choices)
        drafting = choices == 1 and speculation != "off"
        # Measured before the prompt is read: its decodes would take the prompt's logits' place.
        costs = self._batch_costs(llm) if drafting and speculation == "auto" else ()
        started = time.perf_counter()
        self._arm_abort(llm, cancel)
        try:
            yield from self._evaluate_in_batches(llm, tokens, cancel)
        except RuntimeError as error:
            self._disarm_abort(llm)
            if not cancel.is_set():
                raise ModelError(Text("llama.cpp failed while reading the prompt: {error}",
                                      error=error)) from None
        except GeneratorExit:  # closed between batches: later turns must not pay for the check
            self._disarm_abort(llm)
            raise
        decoder = BatchDecoder(llm)
        followed = decoder.follow()
        pieces = TokenPieces(llm._model.vocab)
        replies = [
            _Reply(index, followed if index == 0 else decoder.fork(followed),
                   make_sampler(llm, sampling, (seed + index) & 0xFFFFFFFF, grammar),
                   StopMatcher(stop, stop_after_text), pieces, max_new,
                   RepetitionGuard(sampling.loop_guard) if sampling.loop_guard else None,
                   Speculator(speculation if drafting else "off", tokens, costs, self._draft,
                              cancel),
                   (seed + index) & 0xFFFFFFFF)
            for index in range(choices)
        ]
        first_token_at: float | None = None
        try:
            live = [] if cancel.is_set() else replies
            while live:
                for reply in live:
                    yield from reply.read_step(decoder, llm, ignore_eog, logprobs)
                    if first_token_at is None:
                        first_token_at = time.perf_counter()
                        self._disarm_abort(llm)
                if cancel.is_set():
                    break
                live = [reply for reply in live if reply.reason is None]
                if live:
                    if self.park_wanted:
                        # Choices forked from one prompt share its cells: saved apart they
                        # might not fit back, so such a reply is not put aside.
                        yield ParkPoint(tuple(decoder.sequences) if choices == 1 else ())
                    self._step(llm, decoder)
        except ModelError:
            if not cancel.is_set():
                raise
        finally:
            self._disarm_abort(llm)
            for reply in replies[1:]:
                decoder.remove(reply.sequence)
            self._remember_best_threads()
        finished = time.perf_counter()
        for reply in replies:
            if reply.reason is None:
                reply.reason = "cancelled" if cancel.is_set() else "length"
            yield from reply.finish()
            yield reply.done(len(tokens), evaluate, started, first_token_at or finished,
                             _context_size(llm), self._threads_in_use(llm))

    def _batch_costs(self, llm: llama_cpp.Llama) -> tuple[float, ...]:
        """What batches of 1 to DRAFT_MAX + 1 tokens cost (batch.py), measured once a model
        is loaded, at its first reply that may draft."""
        if self._costs is None:
            try:
                self._costs = batch_costs(llm, DRAFT_MAX + 1)
            except RuntimeError:  # no room in the cache now: no drafts this time
                return ()
            log.info("batches of 1 to %d tokens cost %s single steps", DRAFT_MAX + 1,
                     " ".join(f"{cost:.2f}" for cost in self._costs))
        return self._costs

    def _step(self, llm: llama_cpp.Llama, decoder: BatchDecoder) -> None:
        """One decode, on the thread count the chooser of its size picks, which learns how long
        a token took at that count. llama.cpp decodes a step of several tokens on its batch
        threads: those are set for the step and given back to prompts after it."""
        if self._step_threads is None:
            decoder.step()
            return
        count = sum(len(sequence.feed) for sequence in decoder.sequences.values())
        chooser = self._step_threads.for_step(count)
        threads = chooser.pick()
        if count == 1 and threads != int(llm.n_threads):
            llama_cpp.llama_set_n_threads(llm.ctx, threads, self._prompt_threads)
            llm.n_threads = threads
        elif count > 1:
            llama_cpp.llama_set_n_threads(llm.ctx, int(llm.n_threads), threads)
        started = time.perf_counter()
        try:
            decoder.step()
        finally:
            if count > 1:
                llama_cpp.llama_set_n_threads(llm.ctx, int(llm.n_threads), self._prompt_threads)
        chooser.record(threads, count, time.perf_counter() - started)

    def _threads_in_use(self, llm: llama_cpp.Llama) -> int:
        steps = self._step_threads
        return steps.single.best if steps is not None else int(llm.n_threads)

    def _remember_best_threads(self) -> None:
        steps = self._step_threads
        if steps is not None and self._loaded is not None \
                and self._loaded.n_threads != steps.single.best:
            self._loaded = dataclasses.replace(self._loaded, n_threads=steps.single.best)

    def save_state(self) -> KvState | None:
        """The KV cache and the tokens it holds, to restore when this conversation returns."""
        llm, _ = self._require()
        if llm.n_tokens == 0:
            return None
        size = llama_cpp.llama_state_seq_get_size(llm.ctx, 0)
        data = (ctypes.c_uint8 * size)()
        written = llama_cpp.llama_state_seq_get_data(llm.ctx, data, size, 0)
        if written == 0:
            return None
        return KvState(tokens=tuple(int(t) for t in llm.input_ids[: llm.n_tokens]),
                       data=bytes(data)[:written])

    def load_state(self, state: KvState) -> bool:
        """Puts a saved KV cache back; on failure the cache is left empty (a full re-evaluation)."""
        llm, _ = self._require()
        llm.reset()
        llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        data = (ctypes.c_uint8 * state.size).from_buffer_copy(state.data)
        if llama_cpp.llama_state_seq_set_data(llm.ctx, data, state.size, 0) == 0:
            llm._ctx.kv_cache_seq_rm(-1, 0, -1)
            return False
        count = len(state.tokens)
        llm.input_ids[:count] = state.tokens
        llm.n_tokens = count
        llm._requires_eval = True  # the logits of the last token are not live: decode it again
        return True

    def forget_cache(self) -> None:
        """Empties the KV cache, so the next prompt is evaluated from the start."""
        llm, _ = self._require()
        llm.reset()
        llm._ctx.kv_cache_seq_rm(-1, 0, -1)

    def park(self, sequences: Sequence[int]) -> ParkedCache:
        """Puts the sequences of a reply stopped at a ParkPoint aside, leaving the cache empty
        for another reply; `unpark` brings them back, so it goes on as if never stopped."""
        llm, _ = self._require()
        saved = []
        for seq_id in sequences:
            size = llama_cpp.llama_state_seq_get_size(llm.ctx, seq_id)
            data = (ctypes.c_uint8 * size)()
            written = llama_cpp.llama_state_seq_get_data(llm.ctx, data, size, seq_id)
            saved.append((seq_id, bytes(data)[:written]))
        parked = ParkedCache(tuple(saved), tuple(int(t) for t in llm.input_ids[: llm.n_tokens]))
        self.park_wanted = False
        self.forget_cache()
        return parked

    def unpark(self, parked: ParkedCache) -> None:
        """Puts a parked reply's sequences back in place of whatever the cache holds."""
        llm, _ = self._require()
        self.forget_cache()
        for seq_id, data in parked.sequences:
            buffer = (ctypes.c_uint8 * len(data)).from_buffer_copy(data)
            if llama_cpp.llama_state_seq_set_data(llm.ctx, buffer, len(data), seq_id) == 0:
                self.forget_cache()
                raise ModelError("A paused reply could not be taken up again: its cache no "
                                 "longer fits.")
        count = len(parked.tokens)
        llm.input_ids[:count] = parked.tokens
        llm.n_tokens = count

    def _evaluate_in_batches(
        self, llm: llama_cpp.Llama, tokens: list[int], cancel: CancelFlag
    ) -> Iterator[PromptProgress | ParkPoint]:
        """Evaluates the uncached part of the prompt one batch at a time, reporting progress.

        Between batches the consumer regains control, so a long prompt never holds the engine
        thread for longer than one batch. The last token is always evaluated, alone, even when
        the cache held it: the first token is then sampled from the same logits whatever the
        cache held, so a fixed seed gives the same reply.
        """
        start = min(self.cached_prefix(tokens), len(tokens) - 1)
        llm.n_tokens = start
        total = len(tokens) - start
        last = len(tokens) - 1
        for offset in range(start, last, llm.n_batch):
            if cancel.is_set():
                return
            if self.park_wanted and offset > start:
                yield ParkPoint((FOLLOWED,))
                self._arm_abort(llm, cancel)  # the reply that ran meanwhile disarmed it
            llm.eval(tokens[offset : min(offset + llm.n_batch, last)])
            if total > llm.n_batch:
                yield PromptProgress(done=llm.n_tokens - start, total=total)
        if not cancel.is_set():
            llm.eval(tokens[last:])
            if total > llm.n_batch:
                yield PromptProgress(done=total, total=total)

    def _should_abort(self, _data: ctypes.c_void_p) -> bool:
        return self._cancel is not None and self._cancel.is_set()

    def _arm_abort(self, llm: llama_cpp.Llama, cancel: CancelFlag) -> None:
        # Only while the prompt is evaluated: the callback runs after every graph node, and
        # taking the GIL that often would slow token generation for no benefit.
        self._cancel = cancel
        llama_cpp.llama_set_abort_callback(llm.ctx, self._abort, None)

    def _disarm_abort(self, llm: llama_cpp.Llama) -> None:
        self._cancel = None
        if llm.ctx is not None:
            llama_cpp.llama_set_abort_callback(llm.ctx, NULL_ABORT, None)

    @property
    def llama(self) -> llama_cpp.Llama:
        """The loaded Llama, for engine code that drives llama.cpp itself (prompt scoring).

        Only the thread that uses this Runtime may touch it; whoever changes the KV cache must
        keep `input_ids` and `n_tokens` true to it, so prefix reuse stays correct."""
        return self._require()[0]


def _context_size(llm: llama_cpp.Llama) -> int:
    """The tokens a prompt and reply may use: llama.cpp rounds the context up to a multiple of
    256, but llama-cpp-python's token buffer holds only the size asked for."""
    return min(int(llm.n_ctx()), len(llm.input_ids))


def gpu_layers_for(path: Path, model_bytes: int, settings: RuntimeSettings) -> int:
    """The layers to offload: none without a GPU backend, else as asked or as many as fit."""
    backend = backend_info()
    gpus = backend.gpu_devices
    if not backend.gpu_offload or not gpus:
        return 0
    if settings.n_gpu_layers is not None:
        return settings.n_gpu_layers
    header = read_header(path)
    return layers_that_fit(
        header.block_count or 0, model_bytes, header.kv_bytes_per_token() or 0,
        settings.n_ctx, max(device.free_bytes for device in gpus),
    )


# The K and V cache's type for each `kv_cache_bits` (RUNTIME_FIELDS).
KV_CACHE_TYPES = {16: llama_cpp.GGML_TYPE_F16, 8: llama_cpp.GGML_TYPE_Q8_0,
                  4: llama_cpp.GGML_TYPE_Q4_0}


def create_llama(
    path: Path, settings: RuntimeSettings, threads: int, gpu_layers: int,
    extra_buffers: bool = True,
) -> llama_cpp.Llama:
    # verbose=False would mute the whole process's stdout/stderr during the load; instead
    # llama.cpp's C log goes to logging and the Python-side prints go there too.
    with contextlib.redirect_stderr(_LogWriter()), _model_params(extra_buffers), \
            _context_params():
        try:
            return llama_cpp.Llama(
                model_path=str(path),
                n_ctx=settings.n_ctx,
                n_threads=threads,
                n_threads_batch=batch_thread_count(),
                n_gpu_layers=gpu_layers,
                flash_attn=uses_flash_attention(settings.kv_cache_bits, gpu_layers),
                type_k=KV_CACHE_TYPES[settings.kv_cache_bits],
                type_v=KV_CACHE_TYPES[settings.kv_cache_bits],
                seed=random.getrandbits(32),
                verbose=True,
            )
        except (ValueError, RuntimeError, OSError) as error:
            raise ModelError(Text("llama.cpp could not load {file}: {error}",
                                  file=path.name, error=error)) from None


@contextlib.contextmanager
def _context_params() -> Iterator[None]:
    """Llama() has no arguments for `n_seq_max` and `kv_unified` either: a context that holds
    MAX_SEQUENCES sequences (batch.py) in one KV cache, all of it open to each, so a single
    reply still has the whole context window."""
    library = llama_cpp.llama_cpp
    original = library.llama_context_default_params

    def with_sequences() -> llama_cpp.llama_context_params:
        params = original()
        params.n_seq_max = MAX_SEQUENCES
        params.kv_unified = True
        return params

    library.llama_context_default_params = with_sequences
    try:
        yield
    finally:
        library.llama_context_default_params = original


@contextlib.contextmanager
def _model_params(extra_buffers: bool) -> Iterator[None]:
    """Llama() builds its llama_model_params itself and has no argument for
    `use_extra_bufts`: the safe mode swaps the defaults it starts from while one model loads.
    Without extra buffer types llama.cpp neither repacks weights nor uses its AMX kernels,
    where crashes on some CPUs come from (llama.cpp issue 20824)."""
    if extra_buffers:
        yield
        return
    library = llama_cpp.llama_cpp
    original = library.llama_model_default_params

    def without_extra_buffers() -> llama_cpp.llama_model_params:
        params = original()
        params.use_extra_bufts = False
        return params

    library.llama_model_default_params = without_extra_buffers
    try:
        yield
    finally:
        library.llama_model_default_params = original


def create_embedding_llama(model: LoadedModel, n_ctx: int) -> llama_cpp.Llama:
    """A second instance of a loaded model's file that returns mean-pooled embeddings.

    Its own context, so the chat's KV cache is untouched; the whole input is read in one
    batch (llama.cpp pools a sequence only within one ubatch)."""
    with contextlib.redirect_stderr(_LogWriter()):
        try:
            llm = llama_cpp.Llama(
                model_path=str(model.path),
                embedding=True,
                n_ctx=n_ctx,
                n_batch=n_ctx,
                n_ubatch=n_ctx,
                pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
                n_threads=model.n_threads,
                n_threads_batch=model.n_threads_batch,
                n_gpu_layers=model.n_gpu_layers,
                verbose=True,
            )
        except (ValueError, RuntimeError, OSError) as error:
            raise ModelError(
                Text("llama.cpp could not open {file} for embeddings: {error}",
                     file=model.path.name, error=error)
            ) from None
    llm.verbose = False
    return llm


@dataclass
class _Reply:
    """One of a request's replies as it is written: its sequence, sampler and text so far."""

    index: int
    sequence: CachedSequence
    sampler: Sampler
    stops: StopMatcher
    pieces: TokenPieces
    max_new: int
    guard: RepetitionGuard | None
    speculator: Speculator  # drafts for speculative decoding
    seed: int
    utf8: Utf8Stream = field(default_factory=Utf8Stream)
    parts: list[str] = field(default_factory=list)
    generated: int = 0
    reason: FinishReason | None = None  # None while it goes on
    ended_at: float | None = None
    draft: list[int] = field(default_factory=list)  # fed after the last token, last step

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def read_step(self, decoder: BatchDecoder, llm: llama_cpp.Llama, ignore_eog: bool,
                  logprobs: int | None) -> Iterator[TextChunk | TokenLogprob]:
        """Samples the rows the last step left this reply: its last token's, then one for each
        draft token, while the model's own pick matches the draft (lossless: every token is
        the model's choice from its logits at that position, one draw each). Draft tokens it
        refused leave the cache; then the next step is fed."""
        sequence, draft = self.sequence, self.draft
        kept, token = 0, -1
        for row in sequence.rows:
            token = decoder.sample(self.sampler, row)
            yield from self.take(token, row, llm, ignore_eog, logprobs)
            if self.reason is not None or kept == len(draft) or token != draft[kept]:
                break
            kept += 1
        if kept < len(draft):
            decoder.truncate(sequence, sequence.position - (len(draft) - kept))
        if draft:
            self.speculator.fed(len(draft), kept)
        self.draft = []
        if self.reason is not None:
            return
        sequence.feed.append(token)
        # No more drafts than the reply may still write after the token fed with them.
        self.draft = self.speculator.draft(self.max_new - self.generated - 1)
        sequence.feed.extend(self.draft)

    def take(self, token: int, row: int, llm: llama_cpp.Llama, ignore_eog: bool,
             logprobs: int | None) -> Iterator[TextChunk | TokenLogprob]:
        """Adds a sampled token (from the logits at `row`) to the reply: its events."""
        if not ignore_eog and llama_cpp.llama_vocab_is_eog(llm._model.vocab, token):
            self._end("stop")
            return
        self.generated += 1
        self.speculator.written(token)
        if logprobs is not None:  # the logits the token was sampled from are live
            yield token_logprob(llm.ctx, llm.n_vocab(), token, logprobs, self.pieces.bytes_of,
                                row=row, choice=self.index)
        text = self.stops.feed(self.utf8.feed(self.pieces.bytes_of(token)))
        if text:
            self.parts.append(text)
            yield TextChunk(text, self.index)
        if self.stops.stopped:
            self._end("stop")
        elif self.guard is not None and self.guard.feed(text):
            self._end("repetition")
        elif self.generated >= self.max_new:
            self._end("length")

    def done(self, prompt_tokens: int, evaluated: int, started: float, first_token_at: float,
             n_ctx: int, threads: int) -> GenerationDone:
        """The reply's last event, once it has ended (`finish` first)."""
        decode_seconds = (self.ended_at or time.perf_counter()) - first_token_at
        assert self.reason is not None
        return GenerationDone(
            text=self.text,
            finish_reason=self.reason,
            prompt_tokens=prompt_tokens,
            evaluated_tokens=evaluated,
            generated_tokens=self.generated,
            seconds_to_first_token=first_token_at - started,
            tokens_per_second=(self.generated - 1) / decode_seconds
            if self.generated > 1 and decode_seconds else 0.0,
            n_ctx=n_ctx,
            seed=self.seed,
            choice=self.index,
            drafted_tokens=self.speculator.drafted,
            accepted_tokens=self.speculator.accepted,
            threads=threads,
        )

    def finish(self) -> Iterator[TextChunk]:
        """The text held back (a character or stop string not yet whole), once it ends."""
        if self.ended_at is None:
            self.ended_at = time.perf_counter()
        if not self.stops.stopped:
            tail = self.stops.feed(self.utf8.flush()) + self.stops.flush()
            if tail:
                self.parts.append(tail)
                yield TextChunk(tail, self.index)

    def _end(self, reason: FinishReason) -> None:
        self.reason, self.ended_at = reason, time.perf_counter()


class _JoinableBatch:
    """A parallel reply's requests, and those waiting to join it at its next step."""

    def __init__(self, runtime: Runtime, n_ctx: int, requests: list[GenerationRequest],
                 prompts: list[list[int]], replies: list[_Reply], decoder: BatchDecoder) -> None:
        self._runtime, self._n_ctx, self._decoder = runtime, n_ctx, decoder
        self.requests, self.prompts, self.replies = requests, prompts, replies
        self._joining: list[tuple[int, ContextPlan]] = []

    def admit(self, request: GenerationRequest) -> int | None:
        holding = [reply for reply in self.replies
                   if reply.sequence.seq_id in self._decoder.sequences]
        if len(holding) + len(self._joining) >= MAX_SEQUENCES:
            return None
        try:
            plan = self._runtime.plan(request)
        except HearthError:
            return None  # it goes on its own, where it hears why
        # Every reply holding cells may still fill its prompt and its longest reply.
        taken = sum(len(self.prompts[reply.index]) + reply.max_new for reply in holding) \
            + sum(len(joining.tokens) + 1 for _index, joining in self._joining)
        if len(plan.tokens) + 1 > self._n_ctx - taken:
            return None
        index = len(self.requests)
        self.requests.append(request)
        self.prompts.append(plan.tokens)
        self._joining.append((index, plan))
        return index

    def take_joiners(self, pieces: TokenPieces) -> list[tuple[_Reply, ContextPlan]]:
        """The requests admitted since the last step, each with a new sequence and reply."""
        llm = self._runtime.llama
        taken = sum(len(self.prompts[reply.index]) + reply.max_new for reply in self.replies
                    if reply.sequence.seq_id in self._decoder.sequences)
        joined = []
        for index, plan in self._joining:
            room = self._n_ctx - taken - len(plan.tokens)
            reply = self._runtime._parallel_reply(llm, index, self.requests[index],
                                                  self._decoder.start(), pieces, room)
            taken += len(plan.tokens) + reply.max_new
            self.replies.append(reply)
            joined.append((reply, plan))
        self._joining = []
        return joined


class TokenPieces:
    """A token's bytes, however long: llama-cpp-python's own reader cuts pieces at 32 bytes,
    and some vocabularies have tokens of 128 (runs of spaces, rules of dashes)."""

    def __init__(self, vocab: object) -> None:
        self._vocab = vocab
        self._buffer = ctypes.create_string_buffer(64)

    def bytes_of(self, token: int) -> bytes:
        size = llama_cpp.llama_token_to_piece(
            self._vocab, token, self._buffer, len(self._buffer), 0, False
        )
        if size < 0:  # the buffer was too small: -size is what it takes
            self._buffer = ctypes.create_string_buffer(-size)
            size = llama_cpp.llama_token_to_piece(
                self._vocab, token, self._buffer, len(self._buffer), 0, False
            )
        return self._buffer.raw[:size]


def _token_text(llm: llama_cpp.Llama, token: int) -> str:
    if token < 0:
        return ""
    return llm._model.token_get_text(token)  # type: ignore[no-any-return]


class _LogWriter(io.TextIOBase):
    """A stderr stand-in during model load that sends llama-cpp-python's prints to logging."""

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                log.debug("%s", line)
        return len(text)
