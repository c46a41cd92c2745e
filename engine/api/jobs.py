"""The hand-over between HTTP threads and the engine thread.

HTTP threads never touch the model. Each request becomes an `ApiJob` in a bounded FIFO queue
(`ApiService.submit`); the engine thread takes jobs one at a time and puts what the model
writes into the job, where the waiting HTTP thread picks it up. A job's `cancel` event is the
only thing both sides set: the HTTP thread when its client goes away, the engine thread's owner
when the model changes or the server stops.
"""

from __future__ import annotations

import dataclasses
import queue
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from engine.api.errors import RATE_LIMIT, SERVER, ApiError, no_model
from engine.api.requests import ApiRequest
from engine.chat.prompt import ToolCall
from engine.host.logprobs import TokenLogprob
from engine.settings import SamplingSettings

DEFAULT_MAX_WAITING = 8
RECENT_JOBS = 32


@dataclass(frozen=True)
class ModelCard:
    """The model the server answers with, as `/v1/models` lists it."""

    id: str
    n_ctx: int
    created: int  # when it was loaded, in Unix seconds


@dataclass(frozen=True)
class Started:
    """The prompt was accepted (it fits the context); text follows."""

    prompt_tokens: int


@dataclass(frozen=True)
class Piece:
    text: str
    reasoning: bool = False  # the model's thinking, not its answer
    # The tokens this piece completes, when the request asked for log-probabilities (a token
    # whose text is still held back, part of a character or of a stop string, comes later).
    logprobs: tuple[TokenLogprob, ...] = ()
    choice: int = 0  # which of the request's choices (n) it continues


@dataclass(frozen=True)
class Finished:
    """Every choice has ended; `completion_tokens` counts them all, as OpenAI's usage does."""

    # One a choice: "stop" or "length", as OpenAI names them, "repetition" (loop guard), or
    # "tool_calls" when the reply called functions (`tool_calls`, of the only choice)
    finish_reasons: tuple[str, ...]
    prompt_tokens: int
    completion_tokens: int
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class Embedded:
    vectors: tuple[tuple[float, ...], ...]
    prompt_tokens: int


@dataclass(frozen=True)
class Failed:
    error: ApiError


JobOutput = Started | Piece | Finished | Embedded | Failed


@dataclass(frozen=True)
class JobRecord:
    """One answered (or abandoned) request, for status displays and tests."""

    client: str
    endpoint: str
    outcome: str  # "stop", "length", "repetition", "embedded", "cancelled" or "failed"
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    batched: int = 1  # requests decoded side by side in its batch, itself included


class ApiJob:
    def __init__(self, request: ApiRequest, endpoint: str, client: str) -> None:
        self.request = request
        self.endpoint = endpoint
        self.client = client
        self.id = secrets.token_hex(12)
        self.created = int(time.time())
        self.cancel = threading.Event()
        self._outputs: queue.SimpleQueue[JobOutput] = queue.SimpleQueue()
        self._ended = threading.Event()

    @property
    def ended(self) -> bool:
        return self._ended.is_set()

    def put(self, output: JobOutput) -> None:
        """Engine thread: hands one output to the HTTP thread."""
        if isinstance(output, Finished | Embedded | Failed):
            self._ended.set()
        self._outputs.put(output)

    def fail(self, error: ApiError) -> None:
        if not self.ended:
            self.put(Failed(error))

    def next_output(self, timeout: float) -> JobOutput | None:
        """HTTP thread: the next output, or None after `timeout` seconds without one."""
        try:
            return self._outputs.get(timeout=timeout)
        except queue.Empty:
            return None


@dataclass
class _Shared:
    model: ModelCard | None = None
    # Why no model answers, when none will until another is loaded (see `set_unavailable`).
    unavailable: str | None = None
    defaults: SamplingSettings = field(default_factory=SamplingSettings)


class ApiService:
    """What HTTP threads and the engine thread share: the queue, the model, recent requests.

    `notify` is called (from an HTTP thread) after each submitted job, to wake the engine
    thread's scheduler.
    """

    def __init__(self, max_waiting: int = DEFAULT_MAX_WAITING,
                 notify: Callable[[], None] | None = None) -> None:
        self._lock = threading.Lock()
        self._waiting: deque[ApiJob] = deque()
        self._max_waiting = max_waiting
        self._shared = _Shared()
        self._closed = False
        self._notify = notify
        self.recent: deque[JobRecord] = deque(maxlen=RECENT_JOBS)

    @property
    def model(self) -> ModelCard | None:
        return self._shared.model

    @property
    def defaults(self) -> SamplingSettings:
        return self._shared.defaults

    def set_model(self, model: ModelCard | None) -> None:
        """The model that answers now; None while one is being loaded (requests are answered
        503 with Retry-After meanwhile, and those already waiting wait for it)."""
        self._shared = dataclasses.replace(self._shared, model=model, unavailable=None)

    def set_unavailable(self, why: str) -> None:
        """No model answers, and none will until another is loaded (`set_model`): the last one
        failed to load, or Hearth gave up on it. Every request meanwhile, and every one waiting
        now, is answered 503 saying `why`."""
        with self._lock:
            self._shared = dataclasses.replace(self._shared, model=None, unavailable=why)
            waiting, self._waiting = list(self._waiting), deque()
        for job in waiting:
            job.fail(no_model(why))

    def refusal(self) -> ApiError:
        """What a request hears while no model answers."""
        return no_model(self._shared.unavailable)

    def set_defaults(self, defaults: SamplingSettings) -> None:
        """The sampling a request gets for each field it leaves out (the app's chat defaults)."""
        self._shared = dataclasses.replace(self._shared, defaults=defaults)

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def submit(self, job: ApiJob) -> None:
        """Queues a job; raises ApiError 429 (with Retry-After) when the queue is full."""
        with self._lock:
            if self._closed:
                raise ApiError(503, "The server is stopping.", kind=SERVER,
                               code="server_stopping")
            if self._shared.unavailable is not None:  # it came just as the model went
                raise self.refusal()
            if len(self._waiting) >= self._max_waiting:
                raise ApiError(
                    429, f"{len(self._waiting)} requests are already waiting for the model; "
                    "try again shortly.", kind=RATE_LIMIT, code="queue_full",
                    headers={"Retry-After": str(self._retry_after())},
                )
            self._waiting.append(job)
        if self._notify is not None:
            self._notify()

    def take(self) -> ApiJob | None:
        """Engine thread: the oldest waiting job whose client is still there, if any."""
        with self._lock:
            while self._waiting:
                job = self._waiting.popleft()
                if not job.cancel.is_set():
                    return job
                self._record_cancelled(job)
            return None

    def take_matching(self, most: int, fits: Callable[[ApiJob], bool]) -> list[ApiJob]:
        """Engine thread: up to `most` waiting jobs that `fits` accepts, oldest first; the
        others keep their places."""
        taken: list[ApiJob] = []
        with self._lock:
            kept: deque[ApiJob] = deque()
            while self._waiting:
                job = self._waiting.popleft()
                if job.cancel.is_set():
                    self._record_cancelled(job)
                elif len(taken) < most and fits(job):
                    taken.append(job)
                else:
                    kept.append(job)
            self._waiting = kept
        return taken

    def take_if(self, fits: Callable[[ApiJob], bool]) -> ApiJob | None:
        """Engine thread: the oldest waiting job whose client is still there, if `fits` accepts
        it (one it refuses keeps its place, and nothing behind it goes first)."""
        with self._lock:
            while self._waiting:
                job = self._waiting[0]
                if job.cancel.is_set():
                    self._waiting.popleft()
                    self._record_cancelled(job)
                    continue
                return self._waiting.popleft() if fits(job) else None
            return None

    def put_back(self, job: ApiJob) -> None:
        """Engine thread: a job taken and not started goes back to the front of the line."""
        with self._lock:
            self._waiting.appendleft(job)

    def close(self) -> None:
        """Refuses new jobs and fails the waiting ones (the server is going away)."""
        with self._lock:
            self._closed = True
            waiting, self._waiting = list(self._waiting), deque()
        for job in waiting:
            job.fail(ApiError(503, "The server stopped before this request's turn.",
                              kind=SERVER, code="server_stopping"))

    def record(self, record: JobRecord) -> None:
        self.recent.append(record)

    def _record_cancelled(self, job: ApiJob) -> None:
        self.recent.append(JobRecord(job.client, job.endpoint, "cancelled", 0, 0, 0.0))

    def _retry_after(self) -> int:
        """Seconds until a place is likely free: the recent mean time per request."""
        times = [r.seconds for r in list(self.recent) if r.outcome != "cancelled"]
        mean = sum(times) / len(times) if times else 1.0
        return max(1, round(mean))
