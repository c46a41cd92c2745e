"""The engine host: a child process that owns llama.cpp, so a crash there never ends Hearth.

One host holds every model the app uses, each a `Runtime` named by a handle ("chat" for the
model replies come from, "search" for the search model), all driven by this process's one
thread: a second llama.cpp thread pool in another process would fight the first for the cores.

The app talks to it over one duplex pipe (`multiprocessing.connection`, which also works on
Windows and macOS). Each request is `(id, handle, operation, arguments)`; the host says
`(id, "begin", None)` as it starts one and answers with `(id, "ok" | "error", value)`, or
streams `(id, "event", StreamEvent)` ending with `(id, "end", None)`. A reply streams from a
generator that the host advances one step at a time; between steps it answers requests that
leave the reply's KV cache alone (tokenizing, counting, planning a context, and whatever
another handle's model is asked: a batch of embeddings), so neither the app nor indexing is
stuck behind a long reply. Anything else waits for the stream to end. Stop is a byte in shared
memory the token loop reads between tokens and llama.cpp's abort callback reads inside a
prompt; no message has to get through first.

A reply can be put aside for another (`park`: the chat's reply goes before the API's): at its
next decode the host saves its sequences out of the KV cache and keeps the generator; `resume`
puts them back and it streams on where it stopped, the same tokens it would have written;
`drop` ends a parked reply without resuming it. `join` adds a request to the parallel reply
streaming now, from its next step (continuous batching).

The host's stderr is a log file the app reads: llama.cpp's log and a `GGML_ASSERT` message are
there even when the host dies of a signal, and the app tells its last lines.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import socket
import sys
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from engine import network_guard
from engine.errors import HearthError
from engine.text import Text

log = logging.getLogger(__name__)

# Operations that never touch the KV cache: served between the steps of a running reply.
QUERIES = frozenset({
    "tokenize", "tokenize_chat", "count_tokens", "detokenize", "plan", "cached_prefix",
    "backend", "ping",
})
STREAMS = frozenset({"stream", "stream_parallel", "stream_text", "stub_stream"})
# A test-only switch: "POINT:COUNT:SIGNAL" makes the host kill itself with SIGNAL (SIGSEGV or
# SIGABRT) the COUNT-th time it reaches POINT (load, prompt, token, score, embed, request).
# With ":FILE" after it, only the first host to start creates FILE and is armed: the host the
# app starts after the crash is not.
CRASH_SWITCH = "HEARTH_TEST_HOST_CRASH"
CONNECT = "CONNECT"


class SharedFlag:
    """The Stop flag as the host reads it: one byte of memory shared with the app."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def is_set(self) -> bool:
        return bool(self._value.value)


class CrashSwitch:
    """Kills this process at a named point, for tests of what the app does when llama.cpp
    crashes; inert unless `HEARTH_TEST_HOST_CRASH` is set. The fault CONNECT instead tries a
    connection to a documentation address (TEST-NET-1) there, for the test that proves the
    suite's network guard reaches into the host."""

    def __init__(self, spec: str) -> None:
        self._point, self._left, self._fault = "", 0, "SIGSEGV"
        if not spec:
            return
        given = spec.split(":", 3)
        point, count, fault, once = given + ["", "1", "SIGSEGV", ""][len(given):]
        if fault != CONNECT and fault not in signal.Signals.__members__:
            raise ValueError(f"{CRASH_SWITCH}: no fault named {fault!r}")
        if once:
            try:
                os.close(os.open(once, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return  # an earlier host took this crash
        self._point, self._left, self._fault = point, int(count), fault

    def reached(self, point: str) -> None:
        if point != self._point:
            return
        self._left -= 1
        if self._left > 0:
            return
        sys.stderr.write(f"test crash switch: {self._fault} at {point}\n")
        sys.stderr.flush()
        if self._fault == CONNECT:
            with contextlib.suppress(OSError):
                socket.create_connection(("192.0.2.1", 9), timeout=1).close()
            return
        if self._fault == "SIGSEGV":
            ctypes.string_at(0)  # a real segfault: a read of address 0
        os.kill(os.getpid(), signal.Signals[self._fault])


def host_main(conn: Connection, stop_flag: Any, log_path: str, log_level: int) -> None:
    """The host process's whole life: serve requests until the pipe closes or "quit"."""
    _log_to(log_path, log_level)
    network_guard.install_from_environment()
    # Before an abort, ggml prints the stack (attaching gdb where it is installed): a hundred
    # lines that push the reason (a GGML_ASSERT line, a C++ exception's message) out of the
    # log tail the app shows, and half a second more per crash.
    os.environ["GGML_NO_BACKTRACE"] = "1"
    # The runtime imports llama.cpp: only here, after stderr points at the log file.
    from engine.host.runtime import Runtime

    crash = CrashSwitch(os.environ.get(CRASH_SWITCH, ""))
    host = _Host(conn, Runtime, SharedFlag(stop_flag), crash)
    try:
        host.serve()
    finally:
        host.close()


def _log_to(log_path: str, level: int) -> None:
    descriptor = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(descriptor, 2)  # C code (GGML_ASSERT, abort messages) writes to fd 2 too
    os.close(descriptor)
    # Line-buffered: each line is in the file before the next call into llama.cpp, which may
    # be the one that never returns.
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115
    logging.basicConfig(
        level=level, stream=sys.stderr, force=True,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


class _Host:
    def __init__(self, conn: Connection, make_runtime: Callable[[], Any], stop: SharedFlag,
                 crash: CrashSwitch) -> None:
        self.conn, self.stop, self.crash = conn, stop, crash
        self._make_runtime = make_runtime
        self.runtimes: dict[str, Any] = {}  # by handle: created by a load, freed by a close
        self._unloaded = make_runtime()  # answers for a handle with no model (NoModelLoaded)
        self._waiting: deque[tuple[int, str, str, tuple[Any, ...]]] = deque()
        self._stream: tuple[int, str, Iterator[Any]] | None = None  # id, handle, events
        # Replies put aside, by their request id: handle, events, their saved cache.
        self._parked: dict[int, tuple[str, Iterator[Any], Any]] = {}
        self._park_asked: int | None = None  # the "park" request waiting for a ParkPoint

    def serve(self) -> None:
        while True:
            if self._stream is not None:
                self._answer_between_steps()
                self._step()
                continue
            if self._waiting:
                request = self._waiting.popleft()
            else:
                try:
                    request = self.conn.recv()
                except (EOFError, OSError):
                    return  # the app is gone
            if request[2] == "quit":
                return
            self._handle(*request)

    def close(self) -> None:
        for runtime in self.runtimes.values():
            runtime.close()
        self.runtimes.clear()

    def _answer_between_steps(self) -> None:
        """Serves what arrived during a reply: queries, and any request for another handle's
        model, at once; the rest after the reply."""
        assert self._stream is not None
        while self.conn.poll():
            request = self.conn.recv()
            _id, handle, operation, _arguments = request
            if operation == "park" and handle == self._stream[1]:
                self._ask_park(_id)
            elif operation == "join" and handle == self._stream[1]:
                self.conn.send((_id, "begin", None))
                self._send(_id, "ok", self.runtimes[handle].join(*_arguments))
            elif operation in QUERIES or (handle != self._stream[1] and operation != "quit"
                                          and operation not in STREAMS):
                self._handle(*request)
            else:
                self._waiting.append(request)

    def _handle(self, request_id: int, handle: str, operation: str,
                arguments: tuple[Any, ...]) -> None:
        if operation not in STREAMS:
            # So the app knows which request a crash cut, of those sent from its threads.
            self.conn.send((request_id, "begin", None))
        self.crash.reached("request")
        runtime = self.runtimes.get(handle, self._unloaded)
        try:
            if operation == "stream":  # (request,)
                events = runtime.stream(*arguments, self.stop)
                self._stream = (request_id, handle, self._watched(events))
                return
            if operation == "stream_parallel":  # (requests,)
                events = runtime.stream_parallel(*arguments, self.stop)
                self._stream = (request_id, handle, self._watched(events))
                return
            if operation == "stub_stream":  # (count,): IPC cost alone, no model (bench/)
                self._stream = (request_id, handle, _stub_events(*arguments))
                return
            if operation == "stream_text":  # (prompt, sampling, stop, ignore_eog, grammar,
                # logprobs, choices)
                prompt, sampling, stop, ignore_eog, grammar, logprobs, choices = arguments
                events = runtime.stream_text(prompt, sampling, self.stop, stop, ignore_eog,
                                             grammar, logprobs, choices)
                self._stream = (request_id, handle, self._watched(events))
                return
            if operation in ("park", "join"):  # nothing streams for this handle
                result = None
            elif operation == "resume":  # (request id,)
                self._resume(runtime, *arguments)
                result = None
            elif operation == "drop":  # (request id,)
                self._drop(*arguments)
                result = None
            elif operation == "load":
                self.crash.reached("load")
                result = self.runtimes.setdefault(handle, self._make_runtime()).load(*arguments)
            elif operation == "close":
                closed, result = self.runtimes.pop(handle, None), None
                if closed is not None:
                    closed.close()
            else:
                result = self._operations(runtime)[operation](*arguments)
        except HearthError as error:
            self._send(request_id, "error", error)
            return
        except Exception as error:  # a bug, not a crash: the app hears it as an error
            log.exception("engine host failed in %s", operation)
            self._send(request_id, "error", HearthError(Text("Unexpected error in the engine: "
                                                             "{error}", error=error)))
            return
        self._send(request_id, "ok", result)

    def _step(self) -> None:
        from engine.host.runtime import ParkPoint

        assert self._stream is not None
        request_id, _handle, events = self._stream
        try:
            event = next(events)
        except StopIteration:
            self._end_stream()
            self._send(request_id, "end", None)
        except HearthError as error:
            self._end_stream()
            self._send(request_id, "error", error)
        except Exception as error:
            log.exception("engine host failed while streaming")
            self._end_stream()
            self._send(request_id, "error", HearthError(Text("Unexpected error in the engine: "
                                                             "{error}", error=error)))
        else:
            if isinstance(event, ParkPoint):
                self._park(event)
            else:
                self._send(request_id, "event", event)

    def _end_stream(self) -> None:
        """The running reply has ended: a park asked of it is answered with nothing parked."""
        assert self._stream is not None
        runtime = self.runtimes.get(self._stream[1])
        if runtime is not None:
            runtime.park_wanted = False
        self._stream = None
        if self._park_asked is not None:
            self._send(self._park_asked, "ok", None)
            self._park_asked = None

    def _ask_park(self, request_id: int) -> None:
        """Asks the running reply to stop at its next decode; answered there (`_park`)."""
        assert self._stream is not None
        self.conn.send((request_id, "begin", None))
        self._park_asked = request_id
        self.runtimes[self._stream[1]].park_wanted = True

    def _park(self, point: Any) -> None:
        """At a ParkPoint: puts the reply aside and answers the park request with its id (or
        with None, for a reply that cannot be put aside, which then streams on)."""
        assert self._stream is not None
        request_id, handle, events = self._stream
        runtime = self.runtimes[handle]
        asked, self._park_asked = self._park_asked, None
        if asked is None:  # asked and answered already: a stale point
            runtime.park_wanted = False
            return
        if not point.sequences:
            runtime.park_wanted = False
            self._send(asked, "ok", None)
            return
        try:
            saved = runtime.park(point.sequences)
        except HearthError as error:
            self._send(asked, "error", error)
            return
        self._parked[request_id] = (handle, events, saved)
        self._stream = None
        self._send(asked, "ok", request_id)

    def _resume(self, runtime: Any, request_id: int) -> None:
        if request_id not in self._parked:
            raise HearthError("That reply is not paused.")
        handle, events, saved = self._parked.pop(request_id)
        runtime.unpark(saved)
        self._stream = (request_id, handle, events)

    def _drop(self, request_id: int) -> None:
        """Ends a parked reply where it stopped; its sequences are gone already."""
        if request_id not in self._parked:
            raise HearthError("That reply is not paused.")
        _handle, events, _saved = self._parked.pop(request_id)
        with contextlib.suppress(Exception):
            events.close()  # type: ignore[attr-defined]
        self._send(request_id, "end", None)

    def _watched(self, events: Iterator[Any]) -> Iterator[Any]:
        """The reply's events, with the crash switch's points on the way."""
        from engine.host.runtime import ContextPlanned, TextChunk

        for event in events:
            if isinstance(event, TextChunk):
                self.crash.reached("token")
            yield event
            if isinstance(event, ContextPlanned):
                self.crash.reached("prompt")

    def _send(self, request_id: int, kind: str, value: Any) -> None:
        if kind == "error":  # by name and typed message: every engine error rebuilds from those
            value = (type(value).__name__, value.wording)
        self.conn.send((request_id, kind, value))

    def _operations(self, runtime: Any) -> dict[str, Callable[..., Any]]:
        crash = self.crash

        def score(*arguments: Any) -> Any:
            crash.reached("score")
            return runtime.score_continuations(*arguments)

        def embed(*arguments: Any) -> Any:
            crash.reached("embed")
            return runtime.embed(*arguments)

        def embed_many(*arguments: Any) -> Any:
            crash.reached("embed")
            return runtime.embed_many(*arguments)

        return {
            "loaded": lambda: runtime.loaded,
            "backend": runtime.backend,
            "ping": lambda: os.getpid(),
            "set_threads": lambda threads: (runtime.set_threads(threads), runtime.loaded)[1],
            "set_batch_threads": runtime.set_batch_threads,
            "attach_draft": runtime.attach_draft,
            "tokenize": runtime.tokenize,
            "tokenize_chat": runtime.tokenize_chat,
            "count_tokens": runtime.count_tokens,
            "detokenize": runtime.detokenize,
            "plan": runtime.plan,
            "cached_prefix": runtime.cached_prefix,
            "save_state": runtime.save_state,
            "load_state": runtime.load_state,
            "forget_cache": runtime.forget_cache,
            "score": score,
            "embedding_context": runtime.embedding_context,
            "count_embedding_tokens": runtime.count_embedding_tokens,
            "embed": embed,
            "embed_many": embed_many,
            "embedder_open": lambda: runtime.embedder_open,
            "close_embedder": runtime.close_embedder,
            "memory_peak": _memory_peak,
        }


def _stub_events(count: int) -> Iterator[Any]:
    """`count` one-token chunks as fast as the pipe takes them: what the host costs per token."""
    from engine.host.runtime import TextChunk

    chunk = TextChunk("x")
    for _ in range(count):
        yield chunk


def _memory_peak() -> dict[str, int]:
    """This process's resident memory now and at its peak (VmRSS, VmHWM), in bytes."""
    figures: dict[str, int] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    figures[name] = int(value.split()[0]) * 1024
    except OSError:
        pass
    return figures
