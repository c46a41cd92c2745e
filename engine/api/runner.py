"""The engine-thread side of the API: turns waiting requests into the scheduler's jobs.

`ApiRunner.next_job()` is the API's source for the `Scheduler`: it takes the oldest waiting
request, with those beside it that may share its batch, as one job whose steps are short (one
prompt batch or one token each). The CLI's server thread and the desktop's engine thread both
run it there, between their other work. The API's conversation has its own KV cache
slot (`API_OWNER` in `ChatKvStates`): a chat's cache is saved before an API request takes the
model and comes back at that chat's next turn, and API clients that resend their history reuse
their own prefix.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Generator, Iterator, Sequence

from engine.api.errors import DO_NOT_RETRY, SERVER, ApiError, no_model
from engine.api.jobs import (
    ApiJob,
    ApiService,
    Embedded,
    Finished,
    JobRecord,
    ModelCard,
    Piece,
    Started,
)
from engine.api.requests import ChatCompletionRequest, CompletionRequest, EmbeddingRequest
from engine.api.tools import (
    Tool,
    ToolUse,
    prepare_messages,
    read_calls,
    template_knows_tools,
)
from engine.chat.prompt import ToolCall
from engine.chat.reasoning import (
    ReasoningPart,
    ReasoningSplitter,
    ReasoningStyle,
    reasoning_style,
)
from engine.errors import (
    ContextOverflowError,
    EngineCrashedError,
    HearthError,
    ModelError,
    ModelGivenUpError,
    NoModelLoadedError,
)
from engine.host.batch import MAX_SEQUENCES
from engine.host.kv_states import ChatKvStates
from engine.host.local import LocalRuntime, ParksReplies
from engine.host.logprobs import TokenLogprob
from engine.host.runtime import (
    ContextPlanned,
    GenerationDone,
    GenerationRequest,
    LoadedModel,
    TextChunk,
)
from engine.scheduler import Job, Priority, Refused
from engine.settings import ChatSettings, ContextPolicy

log = logging.getLogger(__name__)

API_OWNER = -1  # the KV cache slot of API conversations (chat ids are positive)


class ApiRunner:
    def __init__(
        self, runtime: LocalRuntime, kv_states: ChatKvStates, service: ApiService
    ) -> None:
        self._runtime = runtime
        self._kv_states = kv_states
        self._service = service

    def publish_model(self) -> None:
        """Tells the HTTP side which model answers now; call after every load or unload."""
        loaded = self._runtime.loaded
        self._service.set_model(
            None if loaded is None else ModelCard(loaded.name, loaded.n_ctx, int(time.time()))
        )

    def close(self) -> None:
        if self._runtime.loaded is not None:
            self._runtime.close_embedder()

    def next_job(self, started: Callable[[Sequence[ApiJob]], None] | None = None,
                 ended: Callable[[], None] | None = None,
                 paused: Callable[[bool], None] | None = None) -> Job | None:
        """The oldest waiting request as a job for the scheduler (with the requests waiting
        beside it that may share its batch), or None. `started` is told the requests when the
        job starts, `ended` when it has ended and been recorded, `paused` True when a chat
        turn puts it aside and False when it goes on."""
        first = self._service.take()
        if first is None:
            return None
        more = self._service.take_matching(MAX_SEQUENCES - 1, parallel_ready) \
            if parallel_ready(first) else []
        batch = [first, *more]
        # In the engine host a plain request goes the parallel way even alone: those that come
        # while it streams join it at its next step.
        joinable = parallel_ready(first) and isinstance(self._runtime, ParksReplies)

        def start() -> Iterator[None]:
            if started is not None:
                started(batch)
            return self.steps_parallel(batch) if more or joinable else self.steps(first)

        def end(outcome: BaseException | None) -> None:
            if isinstance(outcome, Refused):  # never started: the model is held, or closing
                for job in batch:
                    job.fail(ApiError(503, str(outcome), kind=SERVER, code="model_busy",
                                      headers={"Retry-After": "30"}))
            if ended is not None:
                ended()

        pausing = self._pausing(batch, paused)
        return Job(f"the API request from {first.client}", Priority.API, start=start,
                   on_end=end, cancel=_AllCancelled(batch),
                   pause=pausing.pause if pausing else None,
                   resume=pausing.resume if pausing else None)

    def _pausing(self, batch: Sequence[ApiJob],
                 told: Callable[[bool], None] | None) -> _Pausing | None:
        """How a chat turn pauses these requests' reply, or None where it waits for it: an
        in-process runtime, embeddings, several choices (they share their prompt's cells)."""
        request = batch[0].request
        if not isinstance(self._runtime, ParksReplies) or isinstance(request, EmbeddingRequest):
            return None
        if request.generation.choices > 1:
            return None
        return _Pausing(self._runtime, self._kv_states, told)

    def steps(self, job: ApiJob) -> Generator[None, None, None]:
        """Runs one job; every way it ends puts a last output into the job."""
        started = time.monotonic()
        outcome, prompt_tokens, completion_tokens = "failed", 0, 0
        try:
            if job.cancel.is_set():
                outcome = "cancelled"
                return
            request = job.request
            # closing(): a job closed early closes the model's token loop with it, at once.
            if isinstance(request, EmbeddingRequest):
                with contextlib.closing(self._embed(job, request)) as outputs:
                    for output in outputs:
                        if output is not None:
                            job.put(output)
                            outcome, prompt_tokens = "embedded", output.prompt_tokens
                        yield
            else:
                with contextlib.closing(self._generate(job, request)) as events:
                    for done in events:
                        if done is not None:
                            outcome = done.finish_reason
                            prompt_tokens, completion_tokens = (done.prompt_tokens,
                                                                done.generated_tokens)
                        yield
            if job.cancel.is_set() and not job.ended:
                outcome = "cancelled"
        except Exception as error:
            job.fail(_api_error(error))
        finally:
            # Closed early (the model is changing, the server stopping): the client hears why.
            job.fail(ApiError(503, "The request was interrupted: the model changed or the "
                              "server stopped.", kind=SERVER, code="interrupted"))
            self._service.record(JobRecord(job.client, job.endpoint, outcome, prompt_tokens,
                                           completion_tokens, time.monotonic() - started))

    def steps_parallel(self, batch: Sequence[ApiJob]) -> Generator[None, None, None]:
        """Runs jobs that are `parallel_ready` side by side, as sequences of one batch, and
        those that come meanwhile as they join it; every way it ends puts a last output into
        each job, as `steps` does."""
        started = time.monotonic()
        jobs = list(batch)  # grows as waiting requests join
        done: dict[int, GenerationDone] = {}
        try:
            with contextlib.closing(self._generate_parallel(jobs, done)) as events:
                yield from events
        except Exception as error:
            for job in jobs:
                job.fail(_api_error(error))
        finally:
            for index, job in enumerate(jobs):
                job.fail(ApiError(503, "The request was interrupted: the model changed or the "
                                  "server stopped.", kind=SERVER, code="interrupted"))
                ended = done.get(index)
                outcome = "cancelled" if job.cancel.is_set() or ended is None \
                    else ended.finish_reason
                self._service.record(JobRecord(
                    job.client, job.endpoint, outcome, ended.prompt_tokens if ended else 0,
                    ended.generated_tokens if ended else 0, time.monotonic() - started,
                    batched=len(jobs)))

    def _generate_parallel(self, jobs: list[ApiJob],
                           done: dict[int, GenerationDone]) -> Generator[None, None, None]:
        loaded = self._check_model(None)
        self._kv_states.activate(API_OWNER)
        requests = [self._parallel_request(job) for job in jobs]
        splitters = [self._splitter(job, loaded) for job in jobs]
        pending: list[list[TokenLogprob]] = [[] for _ in jobs]
        stream = self._runtime.stream_parallel(requests, _AllCancelled(jobs))
        joining = _Joining(self._runtime, self._service, self._parallel_request)
        try:
            for event in stream:
                # A batch whose unfinished replies were all given up is ending (its cancel may
                # be on its way to the host already): a request joined now would end with it.
                ending = all(job.cancel.is_set() for index, job in enumerate(jobs)
                             if index not in done)
                for job in [] if ending else joining.join(jobs, len(done)):
                    jobs.append(job)
                    splitters.append(self._splitter(job, loaded))
                    pending.append([])
                if isinstance(event, ContextPlanned):
                    jobs[event.choice].put(Started(event.prompt_tokens))
                elif isinstance(event, TokenLogprob):
                    pending[event.choice].append(event)
                elif isinstance(event, TextChunk):
                    splitter = splitters[event.choice]
                    parts = [ReasoningPart("answer", event.text)] if splitter is None \
                        else splitter.feed(event.text)
                    _put_parts(jobs[event.choice], parts, pending[event.choice], 0)
                elif isinstance(event, GenerationDone):
                    job, splitter = jobs[event.choice], splitters[event.choice]
                    if splitter is not None:
                        _put_parts(job, splitter.finish(), pending[event.choice], 0)
                    if pending[event.choice]:
                        _put_parts(job, [ReasoningPart("answer", "")], pending[event.choice], 0)
                    if event.finish_reason != "cancelled":
                        job.put(Finished((event.finish_reason,), event.prompt_tokens,
                                         event.generated_tokens))
                    done[event.choice] = event
                yield None
        finally:
            stream.close()

    def _parallel_request(self, job: ApiJob) -> GenerationRequest:
        request = job.request
        assert isinstance(request, ChatCompletionRequest)
        self._check_model(request.model)
        generation = request.generation
        messages = list(request.messages)
        messages[-1] = dataclasses.replace(messages[-1], think=request.think)
        return GenerationRequest(
            tuple(messages), ChatSettings(system_prompt="", sampling=generation.sampling,
                                          context_policy=ContextPolicy.STOP),
            stop=generation.stop, ignore_eog=generation.ignore_eos, grammar=generation.grammar,
            logprobs=generation.logprobs)

    def _splitter(self, job: ApiJob, loaded: LoadedModel) -> ReasoningSplitter | None:
        request = job.request
        assert isinstance(request, ChatCompletionRequest)
        return (ReasoningSplitter(reasoning_style(loaded.template.source, request.think))
                if request.separate_reasoning else None)

    def _generate(
        self, job: ApiJob, request: ChatCompletionRequest | CompletionRequest
    ) -> Generator[GenerationDone | None, None, None]:
        loaded = self._check_model(request.model)
        generation = request.generation
        self._kv_states.activate(API_OWNER)
        style: ReasoningStyle | None = None  # None: the text is the answer, as it comes
        tools: tuple[Tool, ...] = ()  # offered: the answer is held, and calls read out of it
        if isinstance(request, ChatCompletionRequest):
            settings = ChatSettings(system_prompt="", sampling=generation.sampling,
                                    context_policy=ContextPolicy.STOP)
            use = request.tool_use
            tools = use.tools if use.choice != "none" else ()
            messages = list(prepare_messages(request.messages, ToolUse(tools, use.choice),
                                             template_knows_tools(loaded.template.source)))
            messages[-1] = dataclasses.replace(messages[-1], think=request.think)
            stream = self._runtime.stream(
                GenerationRequest(tuple(messages), settings, stop=generation.stop,
                                  ignore_eog=generation.ignore_eos, grammar=generation.grammar,
                                  logprobs=generation.logprobs, choices=generation.choices),
                job.cancel,
            )
            if request.separate_reasoning:
                style = reasoning_style(loaded.template.source, request.think)
        else:
            stream = self._runtime.stream_text(request.prompt, generation.sampling, job.cancel,
                                               generation.stop, generation.ignore_eos,
                                               generation.grammar, generation.logprobs,
                                               generation.choices)
        # Log-probabilities of tokens whose text has not come out yet: they go with the next
        # piece, so every token's entry reaches the client once, in order (each choice's own).
        pending: dict[int, list[TokenLogprob]] = {i: [] for i in range(generation.choices)}
        splitters = {i: ReasoningSplitter(style) for i in pending} if style is not None else {}
        ended: list[GenerationDone] = []
        held: list[str] = []
        try:
            for event in stream:
                if isinstance(event, ContextPlanned):
                    job.put(Started(event.prompt_tokens))
                elif isinstance(event, TokenLogprob):
                    pending[event.choice].append(event)
                elif isinstance(event, TextChunk):
                    splitter = splitters.get(event.choice)
                    parts = [ReasoningPart("answer", event.text)] if splitter is None \
                        else splitter.feed(event.text)
                    _put_parts(job, _hold(parts, held, tools), pending[event.choice],
                               event.choice)
                elif isinstance(event, GenerationDone):
                    splitter = splitters.get(event.choice)
                    if splitter is not None:
                        _put_parts(job, _hold(splitter.finish(), held, tools),
                                   pending[event.choice], event.choice)
                    calls: tuple[ToolCall, ...] = ()
                    if tools:
                        content, calls = read_calls("".join(held), tools)
                        _put_parts(job, [ReasoningPart("answer", content)] if content else [],
                                   pending[event.choice], event.choice)
                    if pending[event.choice]:  # tokens whose text a stop string took
                        _put_parts(job, [ReasoningPart("answer", "")], pending[event.choice],
                                   event.choice)
                    ended.append(event)
                    if len(ended) < generation.choices:
                        continue
                    if event.finish_reason != "cancelled":
                        reasons = ("tool_calls",) if calls else tuple(
                            done.finish_reason for done in ended)
                        job.put(Finished(reasons, event.prompt_tokens,
                                         sum(done.generated_tokens for done in ended), calls))
                    yield dataclasses.replace(
                        event, generated_tokens=sum(done.generated_tokens for done in ended))
                    return
                yield None
        finally:
            stream.close()

    def _embed(
        self, job: ApiJob, request: EmbeddingRequest
    ) -> Generator[Embedded | None, None, None]:
        self._check_model(request.model)
        limit = self._runtime.embedding_context()
        yield None  # opening the embedding instance is a step of its own
        vectors: list[tuple[float, ...]] = []
        tokens = 0
        for index, text in enumerate(request.inputs):
            if job.cancel.is_set():
                return
            count = self._runtime.count_embedding_tokens(text)
            if count > limit:
                param = "input" if len(request.inputs) == 1 else f"input[{index}]"
                raise ApiError(400, f"The input is {count:,} tokens; embeddings read at most "
                               f"{limit:,}.", param=param, code="context_length_exceeded")
            vector, counted = self._runtime.embed(text)
            vectors.append(vector)
            tokens += counted
            yield None
        yield Embedded(tuple(vectors), tokens)

    def _check_model(self, asked: str | None) -> LoadedModel:
        loaded = self._runtime.loaded
        if loaded is None:
            raise self._service.refusal()
        if asked is not None and asked != loaded.name:
            # The model changed between the HTTP check and this job's turn.
            raise ApiError(404, f"The model '{asked}' is not loaded; this server now answers "
                           f"with '{loaded.name}'.", param="model", code="model_not_found")
        return loaded


def _api_error(error: Exception) -> ApiError:
    """What a client hears of an error that ended its request."""
    if isinstance(error, ApiError):
        return error
    if isinstance(error, ContextOverflowError):
        return ApiError(400, str(error), param="messages", code="context_length_exceeded")
    if isinstance(error, NoModelLoadedError):
        return no_model()
    if isinstance(error, ModelGivenUpError):
        # It crashed even loaded the safest way and is not loaded again: no Retry-After (see
        # `no_model`), and the requests after it hear why.
        return ApiError(503, str(error), kind=SERVER, code="model_crashed", headers=DO_NOT_RETRY)
    if isinstance(error, EngineCrashedError):
        # The engine host died; it is started again and the model reloaded meanwhile.
        return ApiError(503, str(error), kind=SERVER, code="model_crashed",
                        headers={"Retry-After": "5"})
    if isinstance(error, ModelError):
        return ApiError(500, str(error), kind=SERVER)
    if isinstance(error, HearthError):
        return ApiError(400, str(error))
    log.exception("API request failed", exc_info=error)
    return ApiError(500, f"Unexpected error: {error}", kind=SERVER)


class _Joining:
    """Requests that come while a parallel reply streams, joined to it at its next step
    (continuous batching): a reply that ends makes room for a waiting one at once."""

    def __init__(self, runtime: LocalRuntime, service: ApiService,
                 prepare: Callable[[ApiJob], GenerationRequest]) -> None:
        self._runtime = runtime if isinstance(runtime, ParksReplies) else None
        self._service, self._prepare = service, prepare
        self._refused_at: int | None = None  # how many replies had ended when it had no room

    def join(self, jobs: Sequence[ApiJob], ended: int) -> list[ApiJob]:
        """The waiting requests that joined, in the order of their indices after `jobs`."""
        if self._runtime is None or self._refused_at == ended \
                or len(jobs) - ended >= MAX_SEQUENCES:
            return []
        joined: list[ApiJob] = []
        # The oldest waiting request only: one that cannot join (a seed, tools) is not
        # overtaken by those behind it, it goes when this batch ends.
        while len(jobs) + len(joined) - ended < MAX_SEQUENCES \
                and (job := self._service.take_if(parallel_ready)) is not None:
            try:
                request = self._prepare(job)
            except ApiError as error:
                job.fail(error)
                continue
            index = self._runtime.join_stream(request)
            if index is None:  # no room now: it waits, first in line, until a reply ends
                self._service.put_back(job)
                self._refused_at = ended
                break
            assert index == len(jobs) + len(joined)
            joined.append(job)
        return joined


class _Pausing:
    """An API reply put aside in the engine host while a chat turn streams: on this CPU a chat
    reply decoded beside API sequences keeps ~0.55x of its speed (a batch of two costs ~1.8
    single steps: batch.py), so the chat goes alone and the API reply waits, its cache saved."""

    def __init__(self, runtime: ParksReplies, kv_states: ChatKvStates,
                 told: Callable[[bool], None] | None) -> None:
        self._runtime, self._kv_states, self._told = runtime, kv_states, told
        self._parked: int | None = None

    def pause(self) -> bool:
        self._parked = self._runtime.park_stream()
        if self._parked is not None and self._told is not None:
            self._told(True)
        return self._parked is not None

    def resume(self) -> None:
        assert self._parked is not None
        # The chat's cache is saved for its next turn before the reply's comes back.
        self._kv_states.activate(API_OWNER)
        parked, self._parked = self._parked, None
        self._runtime.resume_stream(parked)
        if self._told is not None:
            self._told(False)


def parallel_ready(job: ApiJob) -> bool:
    """Whether a job may share its batch with others: a plain chat request, one choice, no
    tools, and no seed of its own (a seed promises the same text, which a batch's shape could
    change)."""
    request = job.request
    return (isinstance(request, ChatCompletionRequest) and request.generation.choices == 1
            and not request.generation.seeded and not request.tool_use.forced
            and (request.tool_use.choice == "none" or not request.tool_use.tools))


def _hold(parts: list[ReasoningPart], held: list[str],
          tools: tuple[Tool, ...]) -> list[ReasoningPart]:
    """With tools offered, the answer's text waits for the reply's end (a call is read out of
    it whole, never streamed as text); the thinking goes on as it comes."""
    if not tools:
        return parts
    held.extend(part.text for part in parts if part.kind == "answer")
    return [part for part in parts if part.kind != "answer"]


class _AllCancelled:
    """The cancel flag of a batch of jobs: set once every job's client has gone."""

    def __init__(self, jobs: Sequence[ApiJob]) -> None:
        self._jobs = jobs

    def is_set(self) -> bool:
        return all(job.cancel.is_set() for job in self._jobs)


def _put_parts(job: ApiJob, parts: list[ReasoningPart], pending: list[TokenLogprob],
               choice: int) -> None:
    for part in parts:
        job.put(Piece(part.text, reasoning=part.kind == "reasoning", logprobs=tuple(pending),
                      choice=choice))
        pending.clear()
