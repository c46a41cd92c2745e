"""A scripted OpenAI-compatible server on 127.0.0.1, for the remote engine's tests.

By default it behaves like a small llama.cpp server: `GET /v1/models` lists its models (with
llama.cpp's `meta.n_ctx_train`), `POST /v1/chat/completions` streams the answer of `responder`
(a function of the request) in server-sent events, one word an event, with comments and
keep-alives between them, and ends with `[DONE]`; `POST /tokenize` is absent (404) unless
`tokenizer` is set. Requests can be answered otherwise, one by one, with a scripted `Reply`: any
status, headers and body; a stream that stops after some events (dropped connection) or waits
for `release()` there (silence); garbage instead of JSON.

Every request is recorded (method, path, headers, JSON body), so tests can assert what the
client sent, or that it sent nothing at all.
"""

from __future__ import annotations

import json
import select
import socket
import sys
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from engine.remote.engine import RemoteEngine
from engine.remote.engines import RemoteEngines

HOLD_LIMIT_S = 30.0  # a held reply goes on by itself after this, so a failed test cannot hang
API_KEY_HEADER = "authorization"


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the JSON body, or None


@dataclass
class Reply:
    """One scripted answer. `events`: data of server-sent events to stream (chunked); with
    `drop_after`, the connection is closed after that many, without ending the body; with
    `hold_after`, the server goes silent there until `release()`."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    events: list[str] | None = None
    drop_after: int | None = None
    hold_after: int | None = None
    hold_before_headers: bool = False


def chat_chunk(text: str = "", finish: str | None = None, **extra: Any) -> str:
    """One chat.completion.chunk event's data, as OpenAI sends it."""
    delta = {"content": text} if text else {}
    return json.dumps({
        "id": "chatcmpl-script", "object": "chat.completion.chunk", "model": "script",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra,
    })


def answer_events(text: str, finish: str = "stop") -> list[str]:
    words = text.split(" ")
    pieces = [word if i == 0 else f" {word}" for i, word in enumerate(words)]
    return [chat_chunk(piece) for piece in pieces] + [chat_chunk("", finish), "[DONE]"]


def last_user_message(body: Any) -> str:
    messages = body.get("messages", []) if isinstance(body, dict) else []
    users = [m.get("content", "") for m in messages if m.get("role") == "user"]
    return str(users[-1]) if users else ""


class ScriptServer:
    def __init__(self, models: list[dict[str, Any]] | None = None,
                 api_key: str | None = None) -> None:
        self.models: list[dict[str, Any]] = models if models is not None else [
            {"id": "script-model", "object": "model", "owned_by": "script",
             "meta": {"n_ctx_train": 2048}},
        ]
        self.api_key = api_key  # when set, requests without "Bearer <key>" get 401
        self.responder: Callable[[Any], str] = lambda _body: "Hello from the script server."
        self.tokenizer: Callable[[str], list[int]] | None = None
        self.requests: list[Recorded] = []
        self.closed_early = threading.Event()  # a client hung up while a reply was streaming
        self._scripts: dict[str, deque[Reply]] = {}
        self._release = threading.Event()
        self._lock = threading.Lock()
        handler = self._handler_class()
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def script(self, path: str, *replies: Reply) -> None:
        """The next requests to `path` (e.g. "/v1/chat/completions") get these replies."""
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(replies)

    def release(self) -> None:
        self._release.set()

    def paths(self) -> list[str]:
        return [request.path for request in self.requests]

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def _next(self, path: str) -> Reply | None:
        with self._lock:
            queue = self._scripts.get(path)
            return queue.popleft() if queue else None

    def _default(self, method: str, path: str, body: Any) -> Reply:
        if method == "GET" and path == "/v1/models":
            return _json_reply({"object": "list", "data": self.models})
        if method == "POST" and path == "/v1/chat/completions":
            model = body.get("model") if isinstance(body, dict) else None
            if model not in {m["id"] for m in self.models}:
                return _json_reply({"error": {"message": f"model '{model}' not found",
                                              "type": "invalid_request_error"}}, 404)
            text = self.responder(body)
            if isinstance(body, dict) and body.get("stream"):
                return Reply(events=answer_events(text))
            return _json_reply({"choices": [{"index": 0, "finish_reason": "stop",
                                             "message": {"role": "assistant", "content": text}}]})
        if method == "POST" and path == "/tokenize" and self.tokenizer is not None:
            content = body.get("content", "") if isinstance(body, dict) else ""
            return _json_reply({"tokens": self.tokenizer(str(content))})
        return _json_reply({"error": {"message": "Not found"}}, 404)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                path = self.path.split("?")[0]
                server.requests.append(Recorded(
                    method, path, {k.lower(): v for k, v in self.headers.items()}, body))
                reply = server._next(path)
                if reply is None and server.api_key is not None and self.headers.get(
                        API_KEY_HEADER) != f"Bearer {server.api_key}":
                    reply = _json_reply({"error": {"message": "Invalid API key"}}, 401)
                if reply is None:
                    reply = server._default(method, path, body)
                self._send(reply)

            def _send(self, reply: Reply) -> None:
                if reply.hold_before_headers:
                    self._hold_unless_hung_up()
                    self.close_connection = True  # hangs up without an answer
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.events is None:
                    body = reply.body or b""
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    self._stream(reply)
                except OSError:
                    server.closed_early.set()

            def _hold_unless_hung_up(self) -> None:
                """Silent until `release()`, as a server reading a long prompt; a client that
                hangs up meanwhile sets `closed_early`."""
                poller = select.poll()  # not select(): it fails past descriptor 1024
                poller.register(self.connection, select.POLLIN)
                for _ in range(int(HOLD_LIMIT_S / 0.05)):
                    if server._release.wait(0.05):
                        return
                    if poller.poll(0) and not self.connection.recv(1, socket.MSG_PEEK):
                        server.closed_early.set()
                        return

            def _stream(self, reply: Reply) -> None:
                self._chunk(b": keep-alive\r\n\r\n")
                for index, data in enumerate(reply.events or []):
                    if index == reply.drop_after:
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return
                    if index == reply.hold_after:
                        server._release.wait(HOLD_LIMIT_S)
                    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
                    self._chunk(f"{lines}\n: ping\n\n".encode())
                self._chunk(b"")

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        return Handler


def _json_reply(data: Any, status: int = 200) -> Reply:
    return Reply(status, {"Content-Type": "application/json"}, json.dumps(data).encode())


class ClosingEngines(RemoteEngines):
    """RemoteEngines that remembers the models it opened, so a test's teardown can close them
    (and their connections: a socket left to the garbage collector is a ResourceWarning)."""

    opened: ClassVar[list[RemoteEngine]] = []

    def open_model(self, key: str, cancel: threading.Event | None = None) -> RemoteEngine:
        engine = super().open_model(key, cancel)
        ClosingEngines.opened.append(engine)
        return engine

    @classmethod
    def close_all(cls) -> None:
        while cls.opened:
            cls.opened.pop().close()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (Stop, a time-out under test) is what many tests script."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)
