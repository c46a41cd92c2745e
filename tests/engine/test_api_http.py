"""The HTTP side without a model: what a client gets before any model work, and stalled clients."""

from __future__ import annotations

import http.client
import json
import select
import socket
import time
from collections.abc import Iterator

import pytest

from engine.api.jobs import ApiService
from engine.api.server import ApiServer

TOKEN = "hearth-test-token-0123456789"
TIMEOUT_S = 0.5
DEADLINE_S = 1.5


@pytest.fixture
def server() -> Iterator[ApiServer]:
    served = ApiServer(ApiService(), "127.0.0.1", 0, TOKEN, socket_timeout=TIMEOUT_S)
    served.start()
    yield served
    served.close()


def request(server: ApiServer, method: str, path: str,
            body: bytes | None = None) -> tuple[int, dict[str, str], dict[str, object]]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers={"Authorization": f"Bearer {TOKEN}"})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        connection.close()


def test_without_a_model_requests_are_answered_503_with_retry_after(server: ApiServer) -> None:
    status, headers, body = request(server, "POST", "/v1/chat/completions", json.dumps(
        {"model": "any", "messages": [{"role": "user", "content": "Hi"}]}).encode())
    assert status == 503 and headers["Retry-After"] == "5"
    assert body["error"] == {"message": "No model is loaded.", "type": "server_error",
                             "param": None, "code": "model_not_loaded"}
    assert request(server, "GET", "/v1/models")[2] == {"object": "list", "data": []}


def test_a_client_that_stalls_mid_body_is_dropped(server: ApiServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as stalled:
        stalled.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                        b"Authorization: Bearer " + TOKEN.encode() + b"\r\n"
                        b"Content-Length: 100\r\n\r\n{\"messages\":")  # and nothing more
        started = time.monotonic()
        assert stalled.recv(1024) == b""  # the server closed the connection
        assert time.monotonic() - started < TIMEOUT_S + 5
    assert request(server, "GET", "/v1/models")[0] == 200  # and serves others as before


def test_a_client_that_trickles_its_headers_is_dropped_at_the_deadline() -> None:
    # Each byte arrives well within the socket timeout; only a deadline for the whole request
    # stops such a client from holding a thread (and a connection slot) for ever.
    with ApiServer(ApiService(), "127.0.0.1", 0, TOKEN, socket_timeout=TIMEOUT_S,
                   read_deadline=DEADLINE_S) as served:
        served.start()
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as trickling:
            trickling.sendall(b"GET /v1/models HTTP/1.1\r\nX-Slow: ")
            started = time.monotonic()
            while time.monotonic() - started < DEADLINE_S + 10:
                closed, _, _ = select.select([trickling], [], [], TIMEOUT_S / 5)
                if closed:
                    break
                trickling.sendall(b"a")
            assert trickling.recv(1024) == b""  # the server closed the connection
            assert time.monotonic() - started < DEADLINE_S + 5
        assert request(served, "GET", "/v1/models")[0] == 200


def test_an_idle_connection_is_closed_after_the_timeout(server: ApiServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as idle:
        assert idle.recv(1024) == b""


def test_a_network_address_needs_an_explicit_choice() -> None:
    with pytest.raises(Exception, match="allow_network"):
        ApiServer(ApiService(), "0.0.0.0", 0, TOKEN)


def test_closing_frees_the_port_at_once(server: ApiServer) -> None:
    port = server.port
    with socket.create_connection(("127.0.0.1", port)):  # an open connection does not hold it
        server.close()
    again = ApiServer(ApiService(), "127.0.0.1", port, TOKEN)
    again.close()
