"""The HTTP side: OpenAI's endpoints on the standard library's threading HTTP server.

Each connection gets a thread that parses, checks and queues its request, then waits for the
engine thread's outputs and writes them (server-sent events when streaming). No HTTP thread
touches the model. Sockets time out, so a stalled client cannot hold a thread forever, and a
client that disconnects cancels its job at once: a waiting thread watches its socket.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import logging
import select
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from engine.api import responses
from engine.api.access import is_loopback, token_matches
from engine.api.errors import AUTHENTICATION, SERVER, ApiError, invalid
from engine.api.jobs import (
    ApiJob,
    ApiService,
    Embedded,
    Failed,
    Finished,
    JobOutput,
    Piece,
    Started,
)
from engine.api.requests import (
    ApiRequest,
    ChatCompletionRequest,
    EmbeddingRequest,
    parse_chat,
    parse_completion,
    parse_embeddings,
)
from engine.errors import HearthError
from engine.settings import SamplingSettings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 8 * 1024 * 1024
SOCKET_TIMEOUT_S = 30.0  # any single read or write; also how long an idle connection stays
READ_DEADLINE_S = 60.0  # a request's line and headers, then its body, however they trickle in
MAX_CONNECTIONS = 64
POLL_S = 0.05  # how often a waiting thread looks at its client's socket

CHAT, COMPLETIONS, EMBEDDINGS, MODELS = (
    "/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/models",
)
_ROUTES = {CHAT: "POST", COMPLETIONS: "POST", EMBEDDINGS: "POST", MODELS: "GET"}
_PARSERS: dict[str, Callable[[dict[str, Any], SamplingSettings], ApiRequest]] = {
    CHAT: parse_chat,
    COMPLETIONS: parse_completion,
    EMBEDDINGS: lambda body, _defaults: parse_embeddings(body),
}


class ApiServer:
    """Binds at once (a port in use raises HearthError); `start()` begins serving.

        service = ApiService()
        server = ApiServer(service, "127.0.0.1", 0, token)
        server.start()   # in the background; an engine thread must run service's jobs
        ...
        server.close()

    `engine.api.local.LocalServer` runs both halves for a model file (the CLI, tests).
    """

    def __init__(self, service: ApiService, host: str, port: int, token: str, *,
                 allow_network: bool = False, socket_timeout: float = SOCKET_TIMEOUT_S,
                 read_deadline: float = READ_DEADLINE_S) -> None:
        if not token:
            raise HearthError("The API server needs a token.")
        if not is_loopback(host) and not allow_network:
            raise HearthError(
                f"{host} can be reached from other computers; serving there needs an explicit "
                "choice (allow_network)."
            )
        self.service = service
        self.host = host
        self._httpd = _HttpServer((host, port), service, token, socket_timeout, read_deadline)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL clients use (OpenAI's clients take it as `base_url`)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    @property
    def token(self) -> str:
        return self._httpd.token

    @token.setter
    def token(self, token: str) -> None:
        """Takes effect for the next request; requests already accepted run on."""
        if not token:
            raise HearthError("The API server needs a token.")
        self._httpd.token = token

    def start(self) -> None:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={
            "poll_interval": 0.05}, name="hearth-api", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stops listening, ends open connections and frees the port."""
        self._httpd.closing = True
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()
        self._httpd.drop_connections()

    def __enter__(self) -> ApiServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # close() ends connections itself instead of waiting on them

    def __init__(self, address: tuple[str, int], service: ApiService, token: str,
                 socket_timeout: float, read_deadline: float) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.service = service
        self.token = token
        self.socket_timeout = socket_timeout
        self.read_deadline = read_deadline
        self.closing = False
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        try:
            super().__init__(address, _Handler)
        except OSError as error:
            host, port = address
            if error.errno == errno.EADDRINUSE:
                raise HearthError(f"Port {port} on {host} is already in use; choose another "
                                  "port or stop the program using it.") from None
            raise HearthError(f"Could not listen on {host}:{port}: "
                              f"{error.strerror or error}") from None

    def server_bind(self) -> None:
        # HTTPServer's own looks the host name up in DNS, which can stall without a network.
        TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        if self.closing or not self._slots.acquire(blocking=False):
            _refuse_busy(request)
            self.shutdown_request(request)
            return
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.discard(request)
            self._slots.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Mostly a client resetting its idle connection: nothing to print on the console.
        log.debug("API connection from %s ended with an error", client_address[0],
                  exc_info=True)

    def drop_connections(self) -> None:
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


def _refuse_busy(request: socket.socket) -> None:
    body = json.dumps(ApiError(503, "Too many open connections.", kind=SERVER).body()).encode()
    with contextlib.suppress(OSError):
        request.sendall(
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
            b"Retry-After: 1\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
        )


class _DeadlineReader(io.RawIOBase):
    """The connection's reads: each one waits at most the socket timeout, and all of a request's
    line and headers (then its body) must arrive by `deadline`. Without it, a client sending a
    byte now and then holds its thread and connection slot for ever."""

    def __init__(self, connection: socket.socket, timeout: float) -> None:
        self._connection = connection
        self._timeout = timeout
        self.deadline = float("inf")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request took too long to arrive")
        self._connection.settimeout(min(self._timeout, left))
        try:
            return self._connection.recv_into(buffer)
        finally:
            self._connection.settimeout(self._timeout)  # writes keep the full timeout


class _ClientGone(Exception):
    """The client closed its connection; its job is cancelled and nothing more is written."""


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    protocol_version = "HTTP/1.1"
    _close_after_body = False
    timeout = SOCKET_TIMEOUT_S
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms ACK wait
    server_version = "Hearth"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.socket_timeout)
        self.rfile.close()  # replaced: reads get a deadline
        self._reader = _DeadlineReader(self.connection, self.server.socket_timeout)
        self.rfile = io.BufferedReader(self._reader)

    def handle_one_request(self) -> None:
        self._reader.deadline = time.monotonic() + self.server.read_deadline
        super().handle_one_request()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.client_address[0], format % args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_OPTIONS(self) -> None:
        self._dispatch("OPTIONS")

    def _dispatch(self, method: str) -> None:
        self._streaming = False  # set once a stream's status line is out
        try:
            self._route(method)
        except ApiError as error:
            self._send_error(error)
        except (_ClientGone, OSError):  # gone, reset, timed out: nobody is there to answer
            self.close_connection = True
        except Exception as error:
            log.exception("API request failed")
            if self._streaming:  # a second status line would corrupt the stream: hang up
                self.close_connection = True
            else:
                self._send_error(ApiError(500, f"Unexpected error: {error}", kind=SERVER))

    def _route(self, method: str) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        self._close_after_body = self.close_connection
        if method in ("POST", "PUT", "PATCH"):
            self.close_connection = True  # until the body is read, the stream is out of step
        if not token_matches(self.headers.get("Authorization"), self.server.token):
            raise ApiError(401, "Missing or wrong API token: send the token Hearth shows as "
                           "'Authorization: Bearer <token>'.", kind=AUTHENTICATION,
                           code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"})
        route = MODELS if path.startswith(MODELS + "/") else path
        allowed = _ROUTES.get(route)
        if allowed is None:
            raise ApiError(404, f"Unknown endpoint: {method} {path or '/'}.", code="unknown_url")
        if method != allowed:
            raise ApiError(405, f"{path} takes {allowed}, not {method}.",
                           code="method_not_allowed", headers={"Allow": allowed})
        if route == MODELS:
            self._models(path)
            return
        body = self._read_json()
        request = _PARSERS[route](body, self.server.service.defaults)
        model = self._check_model(request.model)
        job = ApiJob(request, route, self.client_address[0])
        self.server.service.submit(job)
        try:
            if isinstance(request, EmbeddingRequest):
                self._answer_embeddings(job, request, model)
            elif request.generation.stream:
                self._stream(job, model, chat=isinstance(request, ChatCompletionRequest))
            else:
                self._answer(job, model, chat=isinstance(request, ChatCompletionRequest))
        except BaseException:
            job.cancel.set()
            raise

    def _models(self, path: str) -> None:
        card = self.server.service.model
        if path == MODELS:
            self._send_json(200, responses.models_list(card))
            return
        asked = path[len(MODELS) + 1:]
        if card is None or asked != card.id:
            raise ApiError(404, f"The model '{asked}' does not exist here.",
                           param="model", code="model_not_found")
        self._send_json(200, responses.model_object(card))

    def _check_model(self, asked: str | None) -> str:
        card = self.server.service.model
        if card is None:
            raise self.server.service.refusal()
        if asked is not None and asked != card.id:
            raise ApiError(404, f"The model '{asked}' does not exist here; this server answers "
                           f"with '{card.id}'.", param="model", code="model_not_found")
        return card.id

    # -- reading ---------------------------------------------------------------------------------

    def _read_json(self) -> dict[str, Any]:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise ApiError(411, "Send the body with a Content-Length, not chunked.",
                           code="length_required")
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            raise ApiError(411, "A Content-Length header is required.", code="length_required")
        try:
            length = int(length_text)
        except ValueError:
            raise invalid("Content-Length is not a number.") from None
        if length < 0:
            raise invalid("Content-Length is negative.")
        if length > MAX_BODY_BYTES:
            raise ApiError(413, f"The body is {length:,} bytes; the limit is {MAX_BODY_BYTES:,}.",
                           code="request_too_large")
        self._reader.deadline = time.monotonic() + self.server.read_deadline
        raw = self._read_exactly(length)
        self.close_connection = self._close_after_body
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError) as error:
            raise invalid(f"The body is not valid JSON: {error}", code="invalid_json") from None
        if not isinstance(body, dict):
            raise invalid("The body must be a JSON object.", code="invalid_json")
        return body

    def _read_exactly(self, length: int) -> bytes:
        parts, received = [], 0
        while received < length:
            part = self.rfile.read1(min(length - received, 1 << 16))
            if not part:
                raise _ClientGone
            parts.append(part)
            received += len(part)
        return b"".join(parts)

    # -- answering -------------------------------------------------------------------------------

    def _next(self, job: ApiJob) -> JobOutput:
        """The job's next output; cancels the job when the client leaves or the server stops."""
        while True:
            output = job.next_output(POLL_S)
            if output is not None:
                if isinstance(output, Failed):
                    raise output.error
                return output
            if self.server.closing:
                raise ApiError(503, "The server is stopping.", kind=SERVER,
                               code="server_stopping")
            if self._client_gone():
                raise _ClientGone

    def _client_gone(self) -> bool:
        connection = self.connection
        try:
            if not _readable_now(connection):
                return False
            peeked: bytes = connection.recv(1, socket.MSG_PEEK)
            return peeked == b""
        except (OSError, ValueError):
            return True

    def _answer(self, job: ApiJob, model: str, chat: bool) -> None:
        request = job.request
        assert not isinstance(request, EmbeddingRequest)
        outputs = [responses.ChoiceOutput(logprobs=[] if _wants_logprobs(job) else None)
                   for _ in range(request.generation.choices)]
        while True:
            output = self._next(job)
            if isinstance(output, Piece):
                outputs[output.choice].add(output)
            elif isinstance(output, Finished):
                answer = (responses.chat_completion(job, model, outputs, output) if chat else
                          responses.text_completion(job, model, outputs, output))
                self._send_json(200, answer)
                return

    def _answer_embeddings(self, job: ApiJob, request: EmbeddingRequest, model: str) -> None:
        while True:
            output = self._next(job)
            if isinstance(output, Embedded):
                self._send_json(200, responses.embeddings(model, output, request.base64))
                return

    def _stream(self, job: ApiJob, model: str, chat: bool) -> None:
        request = job.request
        assert not isinstance(request, EmbeddingRequest)
        usage = request.generation.include_usage
        wants_logprobs = request.generation.logprobs is not None
        # Where each choice's next piece starts in its completion's text (text_offset).
        offsets = [0] * request.generation.choices
        first = self._next(job)  # errors found before the first token get a real status
        while not isinstance(first, Started):
            first = self._next(job)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._streaming = True
        if chat:
            for choice in range(request.generation.choices):
                self._event(responses.chat_chunk(job, model, {"role": "assistant", "content": ""},
                                                 None, usage, choice=choice))
        try:
            while True:
                output = self._next(job)
                if isinstance(output, Piece):
                    field = "reasoning_content" if output.reasoning else "content"
                    tokens = list(output.logprobs) if wants_logprobs else None
                    choice = output.choice
                    if chat:
                        self._event(responses.chat_chunk(job, model, {field: output.text}, None,
                                                         usage, responses.chat_logprobs(tokens),
                                                         choice))
                    else:
                        self._event(responses.text_chunk(
                            job, model, output.text, None, usage,
                            responses.completion_logprobs(tokens, offsets[choice]), choice))
                        offsets[choice] += len(output.text)
                elif isinstance(output, Finished):
                    if output.tool_calls:
                        self._event(responses.chat_chunk(
                            job, model, {"tool_calls": responses.tool_calls(
                                output.tool_calls, streamed=True)}, None, usage))
                    for choice, reason in enumerate(output.finish_reasons):
                        self._event(responses.chat_chunk(job, model, {}, reason, usage,
                                                         choice=choice) if chat else
                                    responses.text_chunk(job, model, "", reason, usage,
                                                         choice=choice))
                    if usage:
                        self._event(responses.usage_chunk(job, model, output, chat))
                    break
        except ApiError as error:  # the status is sent already: the error becomes an event
            self._event(error.body())
            self._end_stream()
            return
        self._write_chunk(b"data: [DONE]\n\n")
        self._end_stream()

    def _event(self, payload: dict[str, Any]) -> None:
        self._write_chunk(b"data: " + json.dumps(payload, ensure_ascii=False).encode() + b"\n\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")

    def _send_json(self, status: int, payload: dict[str, Any],
                   headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, error: ApiError) -> None:
        log.debug("API %s refused: %s %s", self.client_address[0], error.status, error.message)
        try:
            self._send_json(error.status, error.body(), error.headers)
        except OSError:
            self.close_connection = True


def _wants_logprobs(job: ApiJob) -> bool:
    request = job.request
    return not isinstance(request, EmbeddingRequest) and request.generation.logprobs is not None


def _readable_now(connection: socket.socket) -> bool:
    """poll() where there is one: select() cannot watch descriptors past FD_SETSIZE (1024)."""
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(connection, select.POLLIN | select.POLLHUP | select.POLLERR)
        return bool(poller.poll(0))
    readable, _, _ = select.select([connection], [], [], 0)
    return bool(readable)
