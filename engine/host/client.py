"""The app's side of the engine host: `HostRuntime` is used like `Runtime`, runs it in a child.

Everything that touches llama.cpp (loading, the token loop, KV states, Prompt Lab scoring,
embeddings) runs in the host process (engine/host/process.py); only requests and results cross
the pipe. When the host dies (a segfault or abort in llama.cpp, the OOM killer), the call in
progress raises `EngineCrashedError` naming the signal and the last lines of llama.cpp's log,
and the next call starts a new host and loads the model again by itself. A model that crashes
twice at the same step is loaded a safer way from then on (engine/host/safe_configs.py); one that
still does the safest way, never having written a word, is not loaded again, and says so.

Use one `HostRuntime` from one thread, as a `Runtime`. The process starts with `start()`
(early, so it is ready by the time the window is) or with the first call.
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
)
from engine.host.backend import BackendInfo
from engine.host.cpu_check import cpu_problem
from engine.host.process import host_main
from engine.host.runtime import (
    CancelFlag,
    GenerationDone,
    GenerationRequest,
    KvState,
    LoadedModel,
    StreamEvent,
    TextChunk,
)
from engine.host.safe_configs import SafeConfigs, safer_settings
from engine.settings import RuntimeSettings, SamplingSettings

log = logging.getLogger(__name__)

POLL_S = 0.01  # how often a wait looks at Stop and at the host's health
STOP_GRACE_S = 10.0  # a reply told to stop that still runs after this: the host is killed
LOG_TAIL_LINES = 12
_LOG_LEVELS = {name: getattr(logging, name) for name in
               ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")}


@dataclass(frozen=True)
class HostCrash:
    """How the host ended, as the window and the API tell it."""

    step: str  # what it was doing: "loading the model", "reading the prompt", ...
    how: str  # "killed by SIGSEGV", "exited with status 1"
    log_tail: tuple[str, ...]
    # Set when it crashed twice the safest way, never having written: why it is not loaded again.
    gave_up: str | None = None
    model: Path | None = None  # the model file the host had loaded, if any

    def message(self, model: str | None, then: str) -> str:
        """What happened, then `then` (what Hearth does about it), then the log's last lines."""
        which = f"The model {model}" if model else "The engine"
        tail = "\n".join(self.log_tail[-3:])
        return (f"{which} stopped unexpectedly while {self.step} (the engine process was "
                f"{self.how}). {then}" + (f"\nIts last log lines:\n{tail}" if tail else ""))

    def given_up_message(self) -> str:
        """For a model given up on: the crash, naming the model's file, why Hearth does not
        load it again, and llama.cpp's last words (the window and the API say this)."""
        assert self.gave_up is not None
        return self.message(self.model.name if self.model else None, self.gave_up)


class HostRuntime:
    def __init__(self, safe_configs_file: Path | None = None) -> None:
        self._process: SpawnProcess | None = None
        self._conn: Connection | None = None
        self._stop_flag: Any = None
        self._log_path: Path | None = None
        self._log_offset = 0
        self._inbox: dict[int, deque[tuple[str, Any]]] = {}
        self._next_id = 0
        self._step = "starting"
        self._streaming = False
        self._backend: BackendInfo | None = None
        self._loaded: LoadedModel | None = None
        # The model to bring back after a crash: what was asked, before any safe level.
        self._wanted: tuple[Path, RuntimeSettings, int | None] | None = None
        self._safe = SafeConfigs(safe_configs_file)
        self.last_crash: HostCrash | None = None
        self.notice: str | None = None  # a safer way of loading that Hearth chose, to tell
        self.on_crash: Callable[[HostCrash], None] | None = None  # called before the raise

    # -- the process --------------------------------------------------------------------

    def start(self) -> None:
        """Starts the host process if none runs; returns without waiting for it."""
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
        self._process, self._conn, self._inbox = process, ours, {}
        log.info("engine host started (pid %s)", process.pid)

    def stop(self) -> None:
        """Ends the host process (its memory goes back to the system)."""
        process, conn = self._process, self._conn
        self._process, self._conn, self._loaded = None, None, None
        if process is None or conn is None:
            return
        with contextlib.suppress(OSError):
            conn.send((0, "quit", ()))
        process.join(5.0)
        if process.is_alive():
            process.kill()
            process.join()
        conn.close()
        self._forward_log()
        self._drop_log()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _ensure_host(self) -> Connection:
        """The pipe to a live host; after a crash, a new host with the model loaded again."""
        if self._process is None:
            self.start()
            if self._wanted is not None:
                self._load_wanted()
        assert self._conn is not None
        return self._conn

    # -- requests -----------------------------------------------------------------------

    def _call(self, operation: str, *arguments: Any, step: str | None = None) -> Any:
        conn = self._ensure_host()
        request_id = self._send(conn, operation, arguments, step)
        kind, value = self._receive(request_id, None)
        self._forward_log()
        if kind == "error":
            raise value
        return value

    def _send(self, conn: Connection, operation: str, arguments: tuple[Any, ...],
              step: str | None) -> int:
        self._next_id += 1
        if step is not None or not self._streaming:  # a query during a reply is not its step
            self._step = step or f"answering ({operation})"
        try:
            conn.send((self._next_id, operation, arguments))
        except OSError:
            self._died()
        return self._next_id

    def _receive(self, request_id: int, cancel: CancelFlag | None) -> tuple[str, Any]:
        """The next message for `request_id`; others are kept for their own readers."""
        while True:
            waiting = self._inbox.get(request_id)
            if waiting:
                return waiting.popleft()
            if cancel is not None and cancel.is_set():
                self._stop_flag.value = 1
            conn, process = self._conn, self._process
            assert conn is not None and process is not None
            try:
                if conn.poll(POLL_S):
                    answered, kind, value = conn.recv()
                    if kind == "error":
                        value = _rebuilt(value)
                    self._inbox.setdefault(answered, deque()).append((kind, value))
                    continue
            except (EOFError, OSError):
                self._died()
            if not process.is_alive():
                self._died()

    def _stream(self, operation: str, arguments: tuple[Any, ...],
                cancel: CancelFlag) -> Generator[StreamEvent, None, None]:
        conn = self._ensure_host()
        self._stop_flag.value = 0
        request_id = self._send(conn, operation, arguments, "reading the prompt")
        self._streaming, ended = True, False
        try:
            while True:
                kind, value = self._receive(request_id, cancel)
                if kind == "event":
                    if isinstance(value, TextChunk):
                        self._step = "writing the reply"
                        if self._wanted is not None:
                            self._safe.record_text(self._wanted[0])
                    elif isinstance(value, GenerationDone):
                        self._follow_threads(value.threads)
                    yield value
                    continue
                ended = True
                self._forward_log()
                if kind == "error":
                    raise value
                return
        finally:
            self._streaming = False
            if not ended and self._process is not None:
                self._finish_abandoned(request_id)

    def _follow_threads(self, threads: int) -> None:
        """The host chooses its thread count as replies run: `loaded` says the latest."""
        loaded = self._loaded
        if threads and loaded is not None and loaded.n_threads != threads:
            self._loaded = dataclasses.replace(loaded, n_threads=threads)

    def _finish_abandoned(self, request_id: int) -> None:
        """A reply closed early: stop it in the host and wait for its end, so the next
        request starts from a quiet host; one that will not stop is killed."""
        self._stop_flag.value = 1
        deadline = time.monotonic() + STOP_GRACE_S
        try:
            while time.monotonic() < deadline:
                kind, _value = self._receive(request_id, None)
                if kind in ("end", "error"):
                    self._inbox.pop(request_id, None)
                    return
        except EngineCrashedError:
            return
        log.warning("the engine host did not stop a reply in %.0f s; ending it", STOP_GRACE_S)
        self._kill_and_forget()

    def _died(self) -> None:
        """Reads how the host ended, forgets it and raises EngineCrashedError (ModelGivenUpError
        when the model is not loaded again)."""
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
        crash = HostCrash(self._step, how, self._log_tail(),
                          model=self._wanted[0] if self._wanted is not None else None)
        log.error("engine host died while %s (%s)", crash.step, crash.how)
        if self._conn is not None:
            self._conn.close()
        self._process, self._conn, self._inbox = None, None, {}
        self._drop_log()
        model = self._loaded
        self._loaded = None
        if self._wanted is not None:
            self.notice = self._safe.record_crash(self._wanted[0], crash.step)
            if self._safe.unusable(self._wanted[0]):
                # Loading it again would only crash again, and again after the next message.
                crash = dataclasses.replace(crash, gave_up=self.notice)
                self._wanted, self.notice = None, None
        self.last_crash = crash
        if self.on_crash is not None:
            self.on_crash(crash)
        name = model.name if model else None
        if crash.gave_up is not None:
            raise ModelGivenUpError(crash.message(name, crash.gave_up))
        raise EngineCrashedError(crash.message(name, "Hearth restarts it and loads the model "
                                                     "again."))

    def _kill_and_forget(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join()
        if self._conn is not None:
            self._conn.close()
        self._process, self._conn, self._inbox, self._loaded = None, None, {}, None
        self._drop_log()

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
        loaded: LoadedModel = self._call(
            "load", path, safer_settings(settings, level), n_threads, step="loading the model"
        )
        self._loaded, self._wanted = loaded, (path, settings, n_threads)
        return loaded

    def recover(self) -> LoadedModel | None:
        """After a crash: a new host with the model loaded again, the safe way if it keeps
        crashing. Raises ModelError (EngineCrashedError if the load itself crashes)."""
        self._ensure_host()
        return self._loaded

    def _load_wanted(self) -> None:
        assert self._wanted is not None
        path, settings, n_threads = self._wanted
        self._loaded = None
        self.load(path, settings, n_threads)

    def close(self) -> None:
        """Unloads the model by ending the host: every byte it held goes back to the system."""
        self._wanted = None
        self.stop()

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
            raise NoModelLoadedError("No model is loaded.")


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
