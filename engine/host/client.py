"""The app's side of the engine host: `HostRuntime` is used like `Runtime`, runs it in a child.

Everything that touches llama.cpp (loading, the token loop, KV states, Prompt Lab scoring,
embeddings) runs in the host process (engine/host/process.py); only requests and results cross
the pipe. When the host dies (a segfault or abort in llama.cpp, the OOM killer), the call in
progress raises `EngineCrashedError` naming the signal and the last lines of llama.cpp's log,
and the next call starts a new host and loads the model again by itself. A model that crashes
twice at the same step is loaded a safer way from then on (engine/host/safe_configs.py); one that
still does the safest way, never having written a word, is not loaded again, and says so.

The host holds every model the app uses, each named by a handle: `HostRuntime`'s own methods
are the chat model's ("chat"), `model(handle)` gives another (the search model, "search"). A
crash ends them all; the chat model comes back as above, another at its next use.

The chat model is used from one thread, as a `Runtime`; another handle may be used from another
thread at the same time (the collections worker's indexing beside the engine thread's reply):
sending is locked, one thread at a time reads the pipe and keeps each answer for the thread that
asked. The process starts with `start()` (early, so it is ready by the time the window is) or
with the first call.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import Any

from engine import errors
from engine.chat.context import ContextPlan
from engine.chat.prompt import ChatMessage
from engine.errors import (
    EngineCrashedError,
    HearthError,
    ModelError,
    ModelGivenUpError,
    NoModelLoadedError,
    OperationCancelled,
)
from engine.host.backend import BackendInfo
from engine.host.batch import CancelFlag
from engine.host.cpu_check import cpu_problem
from engine.host.process import STREAMS, host_main
from engine.host.runtime import (
    GenerationDone,
    GenerationRequest,
    KvState,
    LoadedModel,
    StreamEvent,
    TextChunk,
)
from engine.host.safe_configs import SafeConfigs, safer_settings, step_text
from engine.settings import RuntimeSettings, SamplingSettings
from engine.text import Text, Wording

log = logging.getLogger(__name__)

POLL_S = 0.01  # how often a wait looks at Stop and at the host's health
STOP_GRACE_S = 10.0  # a reply told to stop that still runs after this: the host is killed
LOG_TAIL_LINES = 12
CHAT = "chat"  # the handle of the model replies come from
_LOG_LEVELS = {name: getattr(logging, name) for name in
               ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")}


@dataclass(frozen=True)
class HostCrash:
    """How the host ended, as the window and the API tell it."""

    step: str  # what it was doing: "loading the model", "reading the prompt", ...
    how: str  # "killed by SIGSEGV", "exited with status 1"
    log_tail: tuple[str, ...]
    # Set when it crashed twice the safest way, never having written: why it is not loaded again.
    gave_up: Wording | None = None
    model: Path | None = None  # the file of the model that was working, if any
    handle: str = CHAT  # which of the host's models was working: the chat model, or another

    def message(self, model: str | None, then: Wording) -> str:
        """What happened, then `then` (what Hearth does about it), then the log's last lines."""
        return str(self.said(model, then))

    def said(self, model: str | None, then: Wording) -> Text:
        """`message()` as a typed message, for the window to translate."""
        step, how = step_text(self.step), _how_text(self.how)
        said = (Text("The model {model} stopped unexpectedly while {step} (the engine process "
                     "was {how}). {then}", model=model, step=step, how=how, then=then) if model
                else Text("The engine stopped unexpectedly while {step} (the engine process was "
                          "{how}). {then}", step=step, how=how, then=then))
        tail = "\n".join(self.log_tail[-3:])
        return Text("{said}\nIts last log lines:\n{tail}", said=said, tail=tail) if tail else said

    def given_up_message(self) -> str:
        """For a model given up on: the crash, naming the model's file, why Hearth does not
        load it again, and llama.cpp's last words (the window and the API say this)."""
        return str(self.given_up_said())

    def given_up_said(self) -> Text:
        assert self.gave_up is not None
        return self.said(self.model.name if self.model else None, self.gave_up)


def _how_text(how: str) -> Wording:
    """How the host ended ("killed by SIGSEGV", "exited with status 1"), typed."""
    if how.startswith("killed by "):
        return Text("killed by {signal}", signal=how.removeprefix("killed by "))
    if how.startswith("exited with status "):
        return Text("exited with status {status}", status=how.removeprefix("exited with status "))
    return how


@dataclass
class _Request:
    """A request sent and not yet answered in full, as a crash report needs it."""

    handle: str
    step: str  # what the host does for it: a crash while it runs happened "while" this
    stream: bool
    begun: bool = False  # the host said it began it (a reply says so with its events)
    finished: bool = False  # its last message came (and waits for its thread)
    parked: bool = False  # a reply put aside in the host (park_stream): the host is not on it


@dataclass
class _Lost:
    """How to tell a thread that its request's host is gone."""

    kind: type[HearthError]
    message: Wording


class HostRuntime:
    def __init__(self, safe_configs_file: Path | None = None) -> None:
        self._process: SpawnProcess | None = None
        self._conn: Connection | None = None
        self._stop_flag: Any = None
        self._log_path: Path | None = None
        self._log_offset = 0
        # Guards the process, the sending end of the pipe and the books below; waited on for
        # an answer that another thread's read brings.
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        # One thread at a time starts the host and loads models again, before it sends.
        self._starting = threading.RLock()
        self._reading = False  # a thread reads the pipe (outside the lock)
        self._inbox: dict[int, deque[tuple[str, Any]]] = {}
        self._open: dict[int, _Request] = {}
        self._lost: dict[int, _Lost] = {}  # requests whose host ended before their answer
        self._next_id = 0
        self._restore: set[str] = set()  # handles to load again in this host at their next use
        self._models: dict[str, HostModel] = {}
        self._backend: BackendInfo | None = None
        self._loaded: LoadedModel | None = None
        # The model to bring back after a crash: what was asked, before any safe level.
        self._wanted: tuple[Path, RuntimeSettings, int | None] | None = None
        self._draft: Path | None = None  # the draft model of the wanted one (attach_draft)
        self._safe = SafeConfigs(safe_configs_file)
        self.last_crash: HostCrash | None = None
        self._crash_error: _Lost | None = None  # the last crash, as its requests heard it
        self.notice: Wording | None = None  # a safer way of loading that Hearth chose, to tell
        # Called before the raise, on the thread that found the crash (any thread that uses
        # the host), with the host's lock held: it must not use the host itself.
        self.on_crash: Callable[[HostCrash], None] | None = None

    def model(self, handle: str) -> HostModel:
        """Another model in this host, named by `handle` (not "chat", which is this object's)."""
        assert handle != CHAT
        with self._lock:
            return self._models.setdefault(handle, HostModel(self, handle))

    # -- the process --------------------------------------------------------------------

    def start(self) -> None:
        """Starts the host process if none runs; returns without waiting for it."""
        with self._lock:
            if self._process is not None:
                return
            context = multiprocessing.get_context("spawn")  # never fork: Qt and threads exist
            ours, theirs = context.Pipe(duplex=True)
            self._stop_flag = context.RawValue("b", 0)
            descriptor, name = tempfile.mkstemp(prefix="hearth-engine-", suffix=".log")
            os.close(descriptor)
            self._log_path, self._log_offset = Path(name), 0
            # INFO: llama.cpp's last lines before a crash are worth telling; the app's own log
            # keeps what its levels let through (see _forward_log).
            process = context.Process(
                target=host_main, args=(theirs, self._stop_flag, name, logging.INFO),
                name="hearth-engine-host", daemon=True,
            )
            with _main_module_hidden():
                process.start()
            theirs.close()  # the child's end: only the child holds it now, so its death is EOF
            self._process, self._conn = process, ours
            # Every model wanted comes back in this host, each at its next use.
            self._restore = {handle for handle, model in self._models.items()
                             if model.wanted is not None}
            if self._wanted is not None:
                self._restore.add(CHAT)
            log.info("engine host started (pid %s)", process.pid)

    def stop(self) -> None:
        """Ends the host process (its memory goes back to the system); the models wanted load
        again at their next use. A request another thread waits on fails."""
        with self._starting, self._lock:
            process, conn = self._process, self._conn
            if process is None or conn is None:
                return
            self._forget_host(_Lost(OperationCancelled, "The engine was stopped."))
        with contextlib.suppress(OSError):
            conn.send((0, "", "quit", ()))
        process.join(5.0)
        if process.is_alive():
            process.kill()
            process.join()
        conn.close()
        with self._lock:
            self._forward_log()
            self._drop_log()

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    def _ensure_host(self, handle: str) -> None:
        """A live host, with `handle`'s model loaded again if a crash took it. The caller holds
        `_starting`."""
        if self._process is None:
            self.start()
        if handle in self._restore:
            self._restore.discard(handle)
            if handle == CHAT:
                self._load_wanted()
            else:
                self._models[handle].load_wanted()

    def _forget_host(self, lost: _Lost) -> None:
        """Forgets the host (under the lock): every model it held is gone, and every request
        still open there fails with `lost`."""
        self._process, self._conn = None, None
        self._loaded = None
        for model in self._models.values():
            model.loaded = None
        for request_id in self._open:
            self._lost[request_id] = lost
        self._open.clear()
        self._inbox.clear()
        self._restore.clear()
        self._changed.notify_all()

    # -- requests -----------------------------------------------------------------------

    def _call(self, operation: str, *arguments: Any, step: str | None = None,
              handle: str = CHAT) -> Any:
        with self._starting:
            self._ensure_host(handle)
            request_id, _request = self._send(handle, operation, arguments, step)
        kind, value = self._receive(request_id, None)
        with self._lock:
            self._forward_log()
        if kind == "error":
            raise value
        return value

    def _send(self, handle: str, operation: str, arguments: tuple[Any, ...],
              step: str | None) -> tuple[int, _Request]:
        with self._lock:
            conn = self._conn
            if conn is None:  # another thread found the host dead since it was started
                lost = self._crash_error or _Lost(EngineCrashedError, "The engine stopped.")
                raise lost.kind(lost.message)
            self._next_id += 1
            request_id = self._next_id
            request = _Request(handle, step or f"answering ({operation})",
                               operation in STREAMS)
            self._open[request_id] = request
            try:
                conn.send((request_id, handle, operation, arguments))
            except OSError:
                self._died()
            return request_id, request

    def _receive(self, request_id: int, cancel: CancelFlag | None) -> tuple[str, Any]:
        """The next message for `request_id`. The thread that needs one reads the pipe, one at
        a time, and keeps what it reads for the request it answers; the others wait."""
        while True:
            with self._lock:
                waiting = self._inbox.get(request_id)
                if waiting:
                    kind, value = waiting.popleft()
                    if kind != "event":  # its last message
                        self._inbox.pop(request_id, None)
                        self._open.pop(request_id, None)
                    return kind, value
                lost = self._lost.pop(request_id, None)
                if lost is not None:
                    raise lost.kind(lost.message)
                if cancel is not None and cancel.is_set():
                    self._stop_flag.value = 1
                if self._reading:
                    self._changed.wait(POLL_S)
                    continue
                self._reading = True
                conn, process = self._conn, self._process
            assert conn is not None and process is not None  # else its request was lost
            message, alive = None, True
            try:
                message, alive = _read(conn, process)
            finally:
                # Filed before the next reader reads: a reply's events keep their order.
                with self._lock:
                    self._reading = False
                    self._changed.notify_all()
                    if message is not None:
                        self._file(*message)
                    elif not alive and self._process is process:
                        self._died()

    def _file(self, request_id: int, kind: str, value: Any) -> None:
        request = self._open.get(request_id)
        if request is None:  # a reply given up on
            return
        if kind == "begin":
            request.begun = True
            return
        if kind == "error":
            value = _rebuilt(value)
        request.finished = kind != "event"
        self._inbox.setdefault(request_id, deque()).append((kind, value))

    def _stream(self, operation: str, arguments: tuple[Any, ...],
                cancel: CancelFlag) -> Generator[StreamEvent, None, None]:
        with self._starting:
            self._ensure_host(CHAT)
            self._stop_flag.value = 0
            request_id, request = self._send(CHAT, operation, arguments, "reading the prompt")
        ended = False
        try:
            while True:
                kind, value = self._receive(request_id, cancel)
                if kind == "event":
                    if isinstance(value, TextChunk):
                        request.step = "writing the reply"
                        if self._wanted is not None:
                            self._safe.record_text(self._wanted[0])
                    elif isinstance(value, GenerationDone):
                        self._follow_threads(value.threads)
                    yield value
                    continue
                ended = True
                with self._lock:
                    self._forward_log()
                if kind == "error":
                    raise value
                return
        finally:
            if not ended and request_id in self._open:
                self._finish_abandoned(request_id)

    def _follow_threads(self, threads: int) -> None:
        """The host chooses its thread count as replies run: `loaded` says the latest."""
        loaded = self._loaded
        if threads and loaded is not None and loaded.n_threads != threads:
            self._loaded = dataclasses.replace(loaded, n_threads=threads)

    def _finish_abandoned(self, request_id: int) -> None:
        """A reply closed early: stop it in the host and wait for its end, so the next
        request starts from a quiet host; one that will not stop is killed. A parked one is
        dropped where it stopped."""
        request = self._open.get(request_id)
        if request is not None and request.parked:
            try:  # no Stop: the flag is the reply's that may be streaming now
                self._call("drop", request_id)
                while self._receive(request_id, None)[0] == "event":
                    pass
            except HearthError:  # the host died meanwhile
                pass
            return
        self._stop_flag.value = 1
        deadline = time.monotonic() + STOP_GRACE_S
        try:
            while time.monotonic() < deadline:
                kind, _value = self._receive(request_id, None)
                if kind in ("end", "error"):
                    return
        except HearthError:  # the host died meanwhile
            return
        log.warning("the engine host did not stop a reply in %.0f s; ending it", STOP_GRACE_S)
        with self._starting, self._lock:
            process, conn = self._process, self._conn
            if process is None or conn is None:
                return
            self._forget_host(_Lost(EngineCrashedError, "The engine was restarted: a reply "
                                                        "did not stop when asked."))
            process.kill()
            process.join()
            conn.close()
            self._drop_log()

    def _died(self) -> None:
        """Reads how the host ended, forgets it, and fails every request open there with
        EngineCrashedError (ModelGivenUpError when the chat model is not loaded again); the
        lock is held."""
        process = self._process
        assert process is not None
        process.join(2.0)
        if process.is_alive():  # the pipe broke but the process lives on: end it
            process.kill()
            process.join()
        code = process.exitcode or 0
        if code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exited with status {code}"
        self._forward_log()
        working = self._working()
        handle = working.handle if working is not None else CHAT
        wanted, model = ((self._wanted, self._loaded) if handle == CHAT else
                         (self._models[handle].wanted, self._models[handle].loaded))
        crash = HostCrash(working.step if working is not None else "starting", how,
                          self._log_tail(), model=wanted[0] if wanted is not None else None,
                          handle=handle)
        log.error("engine host died while %s (%s)", crash.step, crash.how)
        if self._conn is not None:
            self._conn.close()
        self._drop_log()
        if handle == CHAT and self._wanted is not None:
            self._draft = None  # the model comes back alone: its draft model may be the cause
            self.notice = self._safe.record_crash(self._wanted[0], crash.step)
            if self._safe.unusable(self._wanted[0]):
                # Loading it again would only crash again, and again after the next message.
                crash = dataclasses.replace(crash, gave_up=self.notice)
                self._wanted, self.notice = None, None
        name = model.name if model else None
        if crash.gave_up is not None:
            lost = _Lost(ModelGivenUpError, crash.said(name, crash.gave_up))
        else:
            lost = _Lost(EngineCrashedError, crash.said(
                name, Text("Hearth restarts it and loads the model again.")))
        self._forget_host(lost)
        self.last_crash, self._crash_error = crash, lost
        if self.on_crash is not None:
            self.on_crash(crash)

    def _working(self) -> _Request | None:
        """What the host was doing: the request it had begun and not answered (it serves one at
        a time, between a reply's steps too), else the reply, else the first it had not read."""
        requests = [self._open[request_id] for request_id in sorted(self._open)
                    if not self._open[request_id].finished and not self._open[request_id].parked]
        return (next((request for request in requests if request.begun), None)
                or next((request for request in requests if request.stream), None)
                or (requests[0] if requests else None))

    # -- llama.cpp's log ----------------------------------------------------------------

    def _forward_log(self) -> None:
        """Re-logs what the host logged since last time under the same logger names, so the
        app's log (hearth.log without a console) has llama.cpp's lines as before."""
        if self._log_path is None:
            return
        try:
            with self._log_path.open("rb") as handle:
                handle.seek(self._log_offset)
                data = handle.read()
        except OSError:
            return
        complete = data.rfind(b"\n") + 1
        self._log_offset += complete
        for line in data[:complete].decode("utf-8", errors="replace").splitlines():
            parts = line.split(" ", 4)  # date time LEVEL name: message
            if _message_of(line) is not line:
                logging.getLogger(parts[3][:-1]).log(_LOG_LEVELS[parts[2]], "%s", parts[4])
            elif line.strip():
                log.warning("engine host: %s", line)

    def _log_tail(self) -> tuple[str, ...]:
        if self._log_path is None:
            return ()
        try:
            lines = self._log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ()
        return tuple(_message_of(line) for line in lines if line.strip())[-LOG_TAIL_LINES:]

    def _drop_log(self) -> None:
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None

    # -- the Runtime's interface ----------------------------------------------------------

    @property
    def loaded(self) -> LoadedModel | None:
        return self._loaded

    @property
    def wanted_model(self) -> Path | None:
        """The model loaded, or to load again after a crash."""
        return self._wanted[0] if self._wanted is not None else None

    def load(self, path: Path, settings: RuntimeSettings, n_threads: int | None) -> LoadedModel:
        """Loads a model in the host (see `Runtime.load`), the safe way if it needs one."""
        problem = _cpu_problem()
        if problem is not None:
            raise ModelError(problem)
        level = self._safe.level(path)
        try:
            loaded: LoadedModel = self._call(
                "load", path, safer_settings(settings, level), n_threads,
                step="loading the model")
        except EngineCrashedError:
            raise
        except ModelError:
            # The host loaded the model it had again, without its draft model.
            self._attach_wanted_draft()
            raise
        if self._wanted is None or self._wanted[0] != path:
            self._draft = None  # a draft model was chosen for another model
        self._loaded, self._wanted = loaded, (path, settings, n_threads)
        self._attach_wanted_draft()
        return self._loaded

    def attach_draft(self, path: Path | None) -> LoadedModel:
        """Drafts the loaded model's replies with the model at `path` (drafting.py), now and
        after a reload of the same model (not after a crash: it may have been the cause);
        None: no draft model. Raises ModelError when the draft cannot be used (the model then
        has none)."""
        self._draft = None
        try:
            self._loaded = self._call("attach_draft", path, step="loading the draft model")
        except EngineCrashedError:
            raise
        except ModelError:
            self._loaded = self._call("loaded")  # without a draft model now
            raise
        self._draft = path
        return self._loaded

    def _attach_wanted_draft(self) -> None:
        if self._draft is None or self._loaded is None:
            return
        try:
            self._loaded = self._call("attach_draft", self._draft, step="loading the draft model")
        except EngineCrashedError:
            raise
        except HearthError as error:  # it drafted before: the model works without it
            log.warning("the draft model is left out: %s", error)
            self._draft = None
            self._loaded = self._call("loaded")

    def recover(self) -> LoadedModel | None:
        """After a crash: a new host with the model loaded again, the safe way if it keeps
        crashing. Raises ModelError (EngineCrashedError if the load itself crashes)."""
        with self._starting:
            self._ensure_host(CHAT)
        return self._loaded

    def _load_wanted(self) -> None:
        assert self._wanted is not None
        path, settings, n_threads = self._wanted
        self._loaded = None
        self.load(path, settings, n_threads)

    def close(self) -> None:
        """Unloads the model by ending the host, so every byte it held goes back to the
        system; while another model is held there (the search model), by freeing its own."""
        with self._starting:
            self._wanted = None
            if not any(model.wanted is not None for model in self._models.values()):
                self.stop()
                return
            self._close(CHAT)
            self._loaded = None

    def _close(self, handle: str) -> None:
        """Frees one model in the host, if a host runs (a stopped one holds none)."""
        with self._starting:
            self._restore.discard(handle)
            if self._process is not None:
                self._call("close", handle=handle)

    def backend(self) -> BackendInfo:
        """What llama.cpp runs on, as the host sees it (asked once)."""
        if self._backend is None:
            self._backend = self._call("backend")
        return self._backend

    def set_threads(self, threads: int) -> None:
        self._loaded = self._call("set_threads", threads)

    def set_batch_threads(self, threads: int) -> None:
        self._call("set_batch_threads", threads)

    def tokenize(self, text: str, add_bos: bool, special: bool) -> list[int]:
        tokens: list[int] = self._call("tokenize", text, add_bos, special)
        return tokens

    def tokenize_chat(self, messages: Sequence[ChatMessage]) -> list[int]:
        tokens: list[int] = self._call("tokenize_chat", list(messages))
        return tokens

    def count_tokens(self, text: str) -> int:
        count: int = self._call("count_tokens", text)
        return count

    def detokenize(self, tokens: Sequence[int]) -> str:
        text: str = self._call("detokenize", list(tokens))
        return text

    def plan(self, request: GenerationRequest) -> ContextPlan:
        plan: ContextPlan = self._call("plan", request)
        return plan

    def cached_prefix(self, tokens: list[int]) -> int:
        count: int = self._call("cached_prefix", tokens)
        return count

    def stream(
        self, request: GenerationRequest, cancel: CancelFlag
    ) -> Generator[StreamEvent, None, None]:
        self._require()
        return self._stream("stream", (request,), cancel)

    def stream_text(
        self, prompt: str, sampling: SamplingSettings, cancel: CancelFlag,
        stop: Sequence[str] = (), ignore_eog: bool = False, grammar: str = "",
        logprobs: int | None = None, choices: int = 1,
    ) -> Generator[StreamEvent, None, None]:
        self._require()
        return self._stream("stream_text",
                            (prompt, sampling, tuple(stop), ignore_eog, grammar, logprobs,
                             choices), cancel)

    def stream_parallel(
        self, requests: Sequence[GenerationRequest], cancel: CancelFlag
    ) -> Generator[StreamEvent, None, None]:
        self._require()
        return self._stream("stream_parallel", (tuple(requests),), cancel)

    def park_stream(self) -> int | None:
        """Puts the chat model's running reply aside at its next decode, its sequences saved
        out of the cache, so another reply can stream; the parked reply's id for
        `resume_stream`, or None when nothing could be put aside (it ended, or it writes
        several choices). Its reader just sees no events until it is resumed."""
        with self._lock:
            if not any(request.stream and not request.finished and not request.parked
                       for request in self._open.values()):
                return None  # no reply has been asked for yet
        parked: int | None = self._call("park", step="pausing a reply")
        if parked is not None:
            with self._lock:
                request = self._open.get(parked)
                if request is not None:
                    request.parked = True
        return parked

    def join_stream(self, request: GenerationRequest) -> int | None:
        """Adds a request to the parallel reply streaming now (`stream_parallel`) from its next
        step: its index there (its events' `choice`, in that stream), or None when none streams
        or it has no room for this one."""
        index: int | None = self._call("join", request, step="joining a reply")
        return index

    def resume_stream(self, parked: int) -> None:
        """Puts a parked reply back in the cache, replacing what is there, and lets it stream
        on. A reply lost in a crash meanwhile is not resumed: its reader hears of the crash."""
        with self._lock:
            request = self._open.get(parked)
            if request is None or not request.parked:
                return
        with self._starting:
            self._stop_flag.value = 0  # a Stop of the reply that ran meanwhile is not its own
        self._call("resume", parked, step="resuming a paused reply")
        with self._lock:
            request.parked = False

    def stub_stream(self, count: int, cancel: CancelFlag) -> Generator[StreamEvent, None, None]:
        """`count` chunks of one token from the host with no model behind them (bench/)."""
        return self._stream("stub_stream", (count,), cancel)

    def save_state(self) -> KvState | None:
        state: KvState | None = self._call("save_state")
        return state

    def load_state(self, state: KvState) -> bool:
        done: bool = self._call("load_state", state)
        return done

    def forget_cache(self) -> None:
        self._call("forget_cache")

    def score_continuations(
        self, prompt: Sequence[int], continuations: Sequence[Sequence[int]], reusable: int
    ) -> tuple[list[list[float]], int]:
        result: tuple[list[list[float]], int] = self._call(
            "score", list(prompt), [list(tokens) for tokens in continuations], reusable,
            step="scoring prompts",
        )
        return result

    def embedding_context(self) -> int:
        count: int = self._call("embedding_context", step="opening the model for embeddings")
        return count

    def count_embedding_tokens(self, text: str) -> int:
        count: int = self._call("count_embedding_tokens", text)
        return count

    def embed(self, text: str) -> tuple[tuple[float, ...], int]:
        result: tuple[tuple[float, ...], int] = self._call("embed", text,
                                                           step="making embeddings")
        return result

    def embed_many(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        result: list[tuple[float, ...]] = self._call("embed_many", list(texts),
                                                     step="making embeddings")
        return result

    def close_embedder(self) -> None:
        if self._process is not None:
            self._call("close_embedder")

    @property
    def embedder_open(self) -> bool:
        if self._process is None:
            return False
        is_open: bool = self._call("embedder_open")
        return is_open

    def memory(self) -> dict[str, int]:
        """The host's resident memory now and at its peak (VmRSS, VmHWM), where /proc has it."""
        figures: dict[str, int] = self._call("memory_peak")
        return figures

    def _require(self) -> None:
        if self._loaded is None and self._wanted is None:
            raise NoModelLoadedError(Text("No model is loaded."))


class HostModel:
    """A model beside the chat model in the same engine host (the search model), named by its
    handle: the host's one thread serves it between the steps of a reply, and after a crash it
    loads again at its next use. Any thread may use it. Its users share it: the first loads it
    and the last frees it."""

    def __init__(self, host: HostRuntime, handle: str) -> None:
        self._host, self.handle = host, handle
        self._users_lock = threading.Lock()
        self._users = 0
        self.loaded: LoadedModel | None = None
        # What to load again after a crash; None while nobody holds it.
        self.wanted: tuple[Path, RuntimeSettings, int | None] | None = None

    def hold(self, path: Path, settings: RuntimeSettings, n_threads: int | None) -> None:
        """One user more (every user names the same model); the first loads it."""
        with self._users_lock:
            if self._users == 0:
                self._load(path, settings, n_threads)
            self._users += 1

    def release(self) -> None:
        """One user fewer; the last frees the model in the host."""
        with self._users_lock:
            self._users -= 1
            if self._users == 0:
                self.wanted = None
                self._host._close(self.handle)
                self.loaded = None

    def load_wanted(self) -> None:
        """Loads it again in a new host (the host calls this before its next request)."""
        assert self.wanted is not None
        self._load(*self.wanted)

    def embed_many(self, texts: Sequence[str]) -> list[tuple[float, ...]]:
        """Unit-length embeddings of short texts (see `Runtime.embed_many`)."""
        result: list[tuple[float, ...]] = self._host._call(
            "embed_many", list(texts), step="making embeddings", handle=self.handle)
        return result

    def _load(self, path: Path, settings: RuntimeSettings, n_threads: int | None) -> None:
        problem = _cpu_problem()
        if problem is not None:
            raise ModelError(problem)
        self.loaded = self._host._call("load", path, settings, n_threads,
                                       step="loading the model", handle=self.handle)
        self.wanted = (path, settings, n_threads)


def _read(conn: Connection, process: SpawnProcess) -> tuple[tuple[int, str, Any] | None, bool]:
    """One message from the host if one comes within POLL_S, and whether the host lives."""
    try:
        if conn.poll(POLL_S):
            message: tuple[int, str, Any] = conn.recv()
            return message, True
    except (EOFError, OSError):
        return None, False
    return None, process.is_alive()


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """Spawn re-imports the parent's `__main__` in the child unless it cannot find it. The host
    needs nothing from it (its entry point is engine.host.process.host_main): without this,
    `python -m desktop.app` would load Qt into the host, and a script without a main guard
    would run itself again there."""
    main = sys.modules["__main__"]
    hidden: dict[str, Any] = {name: main.__dict__.pop(name) for name in ("__spec__", "__file__")
              if name in main.__dict__}
    main.__spec__ = None
    try:
        yield
    finally:
        del main.__spec__
        main.__dict__.update(hidden)


@functools.cache
def _cpu_problem() -> str | None:
    """Asked once: the build's instruction sets against this CPU's (engine/host/cpu_check)."""
    import llama_cpp

    return cpu_problem(llama_cpp.llama_print_system_info().decode(errors="replace"))


def _message_of(line: str) -> str:
    """A host log line without its time, level and logger name (as a person reads it)."""
    parts = line.split(" ", 4)  # date time LEVEL name: message
    if len(parts) == 5 and parts[2] in _LOG_LEVELS and parts[3].endswith(":"):
        return parts[4]
    return line


def _rebuilt(carried: Any) -> HearthError:
    """An error from the host as the engine's own type, with the same message."""
    if isinstance(carried, HearthError):
        return carried
    name, message = carried
    kind = getattr(errors, name, HearthError)
    try:
        error = kind(message)
    except TypeError:
        error = HearthError(message)
    return error if isinstance(error, HearthError) else HearthError(message)
