"""An OpenAI-compatible HTTP API, as a remote engine uses it: the models list, streamed chat
completions and (where the server has one) its tokenizer.

Every failure becomes a RemoteError that says what happened and what to do: the server cannot be
reached or is too slow, the key is wrong, the model is unknown, the server is busy (a short
Retry-After is waited out, a long one is reported with the time to retry), the server failed, or
what came back is not OpenAI's format. Nothing is sent while the network switch is off.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import json
import logging
import math
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NoReturn

import httpx2

from engine.errors import (
    RemoteAuthError,
    RemoteConnectionError,
    RemoteError,
    RemoteOfflineError,
    RemoteRateLimitError,
    RemoteReplyCutError,
)
from engine.remote.settings import Endpoint, NetworkSwitch
from engine.remote.sse import EventStreamError, event_data
from engine.text import Text

log = logging.getLogger(__name__)

MAX_RETRY_WAIT_S = 10.0  # a Retry-After up to this long is waited out
MAX_RETRIES = 2
MAX_ERROR_BODY = 64 * 1024  # of an error answer, read for the server's own message
MAX_JSON_BODY = 32 * 1024 * 1024  # a models list or a whole (unstreamed) answer


@dataclass(frozen=True)
class Timeouts:
    connect: float = 10.0
    read: float = 120.0  # the longest silence: a big prompt on a slow server takes a while


DEFAULT_TIMEOUTS = Timeouts()


@dataclass(frozen=True)
class RemoteModelListing:
    """One model of a server's `GET /models`, with the context length if its metadata says."""

    id: str
    owned_by: str
    context_length: int | None


@dataclass(frozen=True)
class ChatDelta:
    """A piece of a streamed reply: text, and on the last ones the finish reason and usage.
    `reasoning` is the model's thinking, where the server sends it apart from the answer (as
    `reasoning_content`, DeepSeek's and vLLM's field, or `reasoning`, OpenRouter's and
    Ollama's)."""

    text: str = ""
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    reasoning: str = ""


def offline_message(endpoint: str) -> str:
    return (f"The network switch is off, so remote engines are turned off: “{endpoint}” "
            "was not contacted. Turn on “Use remote engines” (File menu, or "
            "`hearth-cli remote network on`) to use it.")


class RemoteClient:
    """One endpoint's API. Safe to use from several threads (httpx's pool locks itself)."""

    def __init__(self, endpoint: Endpoint, api_key: str | None, network: NetworkSwitch,
                 timeouts: Timeouts = DEFAULT_TIMEOUTS) -> None:
        self.endpoint = endpoint
        self.timeouts = timeouts
        self._network = network
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        timeout = httpx2.Timeout(timeouts.read, connect=timeouts.connect)
        self._http = httpx2.Client(headers=headers, follow_redirects=False, trust_env=False,
                                   timeout=timeout)
        # Each reply on a connection of its own, so Stop can shut its socket even while the
        # server reads the prompt (before any answer): the server then stops working on it.
        self._replies = httpx2.Client(
            headers=headers, follow_redirects=False, trust_env=False, timeout=timeout,
            limits=httpx2.Limits(max_keepalive_connections=0))

    @property
    def name(self) -> str:
        return self.endpoint.name

    def close(self) -> None:
        self._http.close()
        self._replies.close()

    def check_network(self) -> None:
        if not self._network.is_on():
            raise RemoteOfflineError(offline_message(self.name))

    def network_is_on(self) -> bool:
        return self._network.is_on()

    # --- requests --------------------------------------------------------------------------

    def list_models(self, cancel: threading.Event | None = None) -> list[RemoteModelListing]:
        url = f"{self.endpoint.api_url}/models"
        data = self._json(self._request("GET", url, what=Text("models list"), cancel=cancel), url)
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list) or not all(
                isinstance(item, dict) and isinstance(item.get("id"), str) for item in items):
            raise RemoteError(Text("{url} did not answer with an OpenAI models list (no \"data\" "
                                   "list of models with an \"id\"): is this the API's address?",
                                   url=url))
        return [RemoteModelListing(item["id"], str(item.get("owned_by") or ""),
                                   _context_length(item)) for item in items]

    def tokenize(self, model: str, text: str) -> list[int] | None:
        """The server's own token ids for `text`, or None when it offers no tokenizer
        (llama.cpp's and vLLM's servers have POST /tokenize; OpenAI and Ollama do not)."""
        url = f"{self.endpoint.server_url}/tokenize"
        try:
            # Counting runs on the engine thread, where waiting out a Retry-After would stall
            # every chat: a busy server's text is estimated instead.
            response = self._request("POST", url, what=Text("tokenizer"), json_body={
                "content": text, "prompt": text, "model": model, "add_special": False,
                "add_special_tokens": False,
            }, retries=0)
        except (RemoteAuthError, RemoteOfflineError, RemoteConnectionError):
            raise
        except RemoteError:
            return None
        try:
            data = self._json(response, url)
        except RemoteError:
            return None
        tokens = data.get("tokens") if isinstance(data, dict) else None
        if not isinstance(tokens, list):
            return None
        ids = [t if isinstance(t, int) else t.get("id") if isinstance(t, dict) else None
               for t in tokens]
        return [t for t in ids if isinstance(t, int)] if None not in ids else None

    def stream_chat(self, payload: dict[str, Any], cancel: threading.Event) -> ChatStream:
        return ChatStream(self, payload, cancel)

    # --- plumbing --------------------------------------------------------------------------

    def _request(self, method: str, url: str, *, what: Text,
                 json_body: dict[str, Any] | None = None,
                 cancel: threading.Event | None = None,
                 retries: int = MAX_RETRIES) -> httpx2.Response:
        """A whole (not streamed) request, with 429 handling; returns a 2xx response, read."""
        cancel = cancel or threading.Event()
        for attempt in range(retries + 1):
            response = self.send(method, url, json_body, stream=False)
            if response.status_code == 429:
                wait = retry_after_seconds(response.headers.get("retry-after"))
                if (wait is not None and wait <= MAX_RETRY_WAIT_S and attempt < retries
                        and not cancel.wait(wait)):
                    continue
            if response.status_code >= 400:
                self.raise_for_status(response, url, what)
            return response
        raise AssertionError("unreachable")

    def send(self, method: str, url: str, json_body: dict[str, Any] | None, *, stream: bool,
             on_connect: Callable[[socket.socket], None] | None = None) -> httpx2.Response:
        """With `on_connect`, the request goes on a new connection, whose socket it is given."""
        self.check_network()
        http = self._http if on_connect is None else self._replies
        extensions = None if on_connect is None else {"trace": _connected(on_connect)}
        request = http.build_request(method, url, json=json_body, extensions=extensions)
        try:
            return http.send(request, stream=stream)
        except httpx2.ConnectTimeout:
            raise RemoteConnectionError(
                Text("Connecting to {base_url} timed out after {connect:g} s: is the server "
                     "running, and reachable from this computer?",
                     base_url=self.endpoint.base_url, connect=self.timeouts.connect)) from None
        except httpx2.TimeoutException:
            raise RemoteConnectionError(
                Text("{name} did not answer within {read:g} s.",
                     name=self.name, read=self.timeouts.read)) from None
        except (httpx2.ConnectError, httpx2.UnsupportedProtocol) as error:
            raise RemoteConnectionError(
                Text("Cannot connect to {base_url} ({reason}): is the server running, and is the "
                     "address right?",
                     base_url=self.endpoint.base_url, reason=_reason(error))) from None
        except httpx2.TransportError as error:
            raise RemoteConnectionError(
                Text("The connection to {base_url} failed: {reason}",
                     base_url=self.endpoint.base_url, reason=_reason(error))) from None

    def raise_for_status(self, response: httpx2.Response, url: str, what: Text) -> NoReturn:
        status = response.status_code
        said = _server_message(_read_limited(response, MAX_ERROR_BODY))
        said_part = f" The server said: {said}" if said else ""
        if status in (401, 403):
            raise RemoteAuthError(
                Text("{name} refused the API key (HTTP {status}): check the key saved for it "
                     "(Models → Remote engines, or `hearth-cli remote add` again).{said_part}",
                     name=self.name, status=status, said_part=said_part))
        if status == 429:
            wait = retry_after_seconds(response.headers.get("retry-after"))
            raise RemoteRateLimitError(
                Text("{name} is busy (HTTP 429, too many requests): {retry_text}.{said_part}",
                     name=self.name, retry_text=retry_text(wait), said_part=said_part), wait)
        if status == 404:
            raise RemoteError(
                Text("{name} has no {what} at {url} (HTTP 404): check the model and the address "
                     "(an OpenAI-compatible API usually ends in /v1).{said_part}",
                     name=self.name, what=what, url=url, said_part=said_part))
        if status >= 500:
            raise RemoteError(Text("{name} failed with a server error (HTTP {status}) while "
                                   "answering for {what}; try again later.{said_part}",
                                   name=self.name, status=status, what=what, said_part=said_part))
        raise RemoteError(Text("{name} refused the request for {what} (HTTP {status}).{said_part}",
                               name=self.name, what=what, status=status, said_part=said_part))

    def _json(self, response: httpx2.Response, url: str) -> Any:
        body = _read_limited(response, MAX_JSON_BODY)
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            kind = response.headers.get("content-type", "no content type").split(";")[0]
            raise RemoteError(
                Text("{url} did not answer with JSON ({kind}, {body:,} bytes): it does not look "
                     "like an OpenAI-compatible API. Check the address.",
                     url=url, kind=kind, body=len(body))) from None


class ChatStream:
    """One streamed chat completion. Iterate it on one thread; `abort` from any other ends it at
    once (the socket is shut, so a read waiting on the server returns)."""

    def __init__(self, client: RemoteClient, payload: dict[str, Any],
                 cancel: threading.Event) -> None:
        self._client = client
        self._payload = {**payload, "stream": True}
        self._cancel = cancel
        self._socket: socket.socket | None = None  # the reply's connection, once it is made
        self._aborted = threading.Event()
        self.text = ""  # what arrived so far

    @property
    def aborted(self) -> bool:
        return self._aborted.is_set()

    def abort(self) -> None:
        self._aborted.set()
        self._shut()

    def _connected(self, sock: socket.socket) -> None:
        self._socket = sock
        if self.aborted:  # aborted while connecting
            self._shut()

    def _shut(self) -> None:
        sock = self._socket
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)

    def __iter__(self) -> Iterator[ChatDelta]:
        response = self._open()
        if response is None:
            return
        client = self._client
        try:
            kind = response.headers.get("content-type", "")
            if "text/event-stream" not in kind:
                yield from self._whole_answer(response)
                return
            yield from self._events(response)
        except httpx2.ReadTimeout:
            if self.aborted:
                return
            silence = f"sent nothing for {client.timeouts.read:g} s"
            if self.text:
                raise RemoteReplyCutError(
                    Text("The reply was cut: {name} {silence}. What arrived is kept.",
                         name=client.name, silence=silence),
                    self.text) from None
            raise RemoteConnectionError(Text("{name} {silence} after the request: it may be "
                                             "overloaded, or the prompt too long for it.",
                                             name=client.name, silence=silence)) from None
        except (httpx2.TransportError, httpx2.StreamError) as error:
            if self.aborted:
                return
            raise RemoteReplyCutError(
                Text("The reply was cut: the connection to {name} dropped before the reply was "
                     "finished ({reason}). What arrived is kept.",
                     name=client.name, reason=_reason(error)), self.text) from None
        finally:
            response.close()

    def _open(self) -> httpx2.Response | None:
        client = self._client
        url = f"{client.endpoint.api_url}/chat/completions"
        what = Text("model “{model}”", model=str(self._payload.get("model")))
        for attempt in range(MAX_RETRIES + 1):
            if self._cancel.is_set() or self.aborted:
                return None
            try:
                response = client.send("POST", url, self._payload, stream=True,
                                       on_connect=self._connected)
            except RemoteError:
                if self.aborted:  # Stop shut the socket while the server read the prompt
                    return None
                raise
            if self.aborted:
                response.close()
                return None
            if response.status_code == 429:
                wait = retry_after_seconds(response.headers.get("retry-after"))
                if wait is not None and wait <= MAX_RETRY_WAIT_S and attempt < MAX_RETRIES:
                    response.close()
                    log.info("%s asked to retry in %.1f s", client.name, wait)
                    if self._cancel.wait(wait):
                        return None
                    continue
            if response.status_code >= 400:
                try:
                    client.raise_for_status(response, url, what)
                finally:
                    response.close()
            return response
        raise AssertionError("unreachable")

    def _events(self, response: httpx2.Response) -> Iterator[ChatDelta]:
        name = self._client.name
        finished = False
        try:
            for data in event_data(response.iter_bytes()):
                if data.strip() == "[DONE]":
                    return
                delta = _chunk_delta(name, data)
                if delta is None:
                    continue
                self.text += delta.text
                finished = finished or delta.finish_reason is not None
                yield delta
        except EventStreamError as error:
            raise RemoteError(Text("{name} sent a broken event stream: {error}.",
                                   name=name, error=error)) from None
        if not finished and not self.aborted:
            raise RemoteReplyCutError(
                Text("The reply was cut: {name} ended the stream before the reply was finished "
                     "(no finish reason, no [DONE]). What arrived is kept.",
                     name=name), self.text)

    def _whole_answer(self, response: httpx2.Response) -> Iterator[ChatDelta]:
        """A server that ignored `stream` and sent the whole answer as JSON."""
        url = f"{self._client.endpoint.api_url}/chat/completions"
        data = self._client._json(response, url)
        choice = _first_choice(data) or {}
        message = _object(choice.get("message"))
        content = message.get("content")
        reasoning = _reasoning(message)
        if content is None and reasoning:
            content = ""  # all thinking, no answer (cut by its token limit)
        if not isinstance(content, str):
            raise RemoteError(Text("{url} did not answer in OpenAI's chat format (no "
                                   "choices[0].message.content).",
                                   url=url))
        usage = _object(data.get("usage"))
        self.text = content
        yield ChatDelta(content, str(choice.get("finish_reason") or "stop"),
                        _int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens")),
                        reasoning)


def _chunk_delta(name: str, data: str) -> ChatDelta | None:
    try:
        chunk = json.loads(data)
    except (ValueError, RecursionError):
        raise RemoteError(Text("{name} sent something that is not JSON in its stream: {data!r}. "
                               "It does not look like an OpenAI-compatible API.",
                               name=name, data=data[:80])
                          ) from None
    if not isinstance(chunk, dict):
        raise RemoteError(Text("{name} sent a stream event that is not an object: {data!r}.",
                               name=name, data=data[:80]))
    if "error" in chunk:
        raise RemoteError(Text("{name} stopped the reply with an error: {said}",
                               name=name, said=_server_message(data.encode()) or data[:200]))
    usage = _object(chunk.get("usage"))
    prompt, completion = _int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens"))
    choices = chunk.get("choices")
    if not isinstance(choices, list):
        raise RemoteError(Text("{name} sent a stream event without \"choices\": it does not look "
                               "like OpenAI's chat format.",
                               name=name))
    if not choices:
        return ChatDelta("", None, prompt, completion) if usage else None
    choice = choices[0]
    delta = choice.get("delta") if isinstance(choice, dict) else None
    if not isinstance(delta, dict):
        raise RemoteError(Text("{name} sent a stream event without choices[0].delta: it does not "
                               "look like OpenAI's chat format.",
                               name=name))
    content = delta.get("content")
    reason = choice.get("finish_reason")
    return ChatDelta(content if isinstance(content, str) else "",
                     reason if isinstance(reason, str) else None, prompt, completion,
                     _reasoning(delta))


def _reasoning(message: dict[str, Any]) -> str:
    """The thinking in a message or delta, under either name servers use for it."""
    for name in ("reasoning_content", "reasoning"):
        value = message.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def _connected(on_connect: Callable[[socket.socket], None]) -> Callable[[str, Any], None]:
    """An httpcore trace hook that hands `on_connect` the socket of a new connection."""
    def trace(event: str, info: Any) -> None:
        if event == "connection.connect_tcp.complete" and isinstance(info, dict):
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                on_connect(sock)
    return trace


def _first_choice(data: Any) -> dict[str, Any] | None:
    choices = data.get("choices") if isinstance(data, dict) else None
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        return choices[0]
    return None


def _context_length(item: dict[str, Any]) -> int | None:
    """What the listing says about a model's context, in the fields servers use: llama.cpp's
    `meta` (n_ctx_train), vLLM's `max_model_len`, others' `context_length`/`context_window`."""
    meta = _object(item.get("meta"))
    for value in (meta.get("n_ctx"), item.get("max_model_len"), item.get("context_length"),
                  item.get("context_window"), meta.get("n_ctx_train")):
        number = _int(value)
        if number is not None and number > 0:
            return number
    return None


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int | None:
    return value if type(value) is int else None


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.UTC)
        seconds = (when - datetime.datetime.now(datetime.UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def retry_text(wait: float | None) -> str:
    if wait is None:
        return "try again in a little while"
    if wait < 120:
        return f"try again in {math.ceil(wait)} s"
    when = datetime.datetime.now() + datetime.timedelta(seconds=wait)
    return f"try again after {when:%H:%M}"


def _read_limited(response: httpx2.Response, limit: int) -> bytes:
    body = bytearray()
    try:
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit:
                break
    except httpx2.StreamConsumed:
        body += response.content
    except httpx2.HTTPError:
        pass  # what arrived is enough for a message
    return bytes(body[:limit])


def _server_message(body: bytes) -> str:
    """The server's own words from an error body ({"error": {"message": ...}}, {"detail": ...})."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        text = body.decode("utf-8", "replace").strip()
        return text[:200] if text and not text.lstrip().startswith("<") else ""
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])[:300]
        for key in ("error", "detail", "message"):
            if isinstance(data.get(key), str):
                return str(data[key])[:300]
    return ""


def _reason(error: Exception) -> str:
    text = str(error).strip()
    return text or type(error).__name__
