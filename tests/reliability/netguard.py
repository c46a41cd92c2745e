"""A guard that records and refuses every network connection code tries to open.

    with refuse_network() as attempts:
        ...  # load a model, chat, export
    assert attempts == []

Connections, UDP sends and name lookups to network addresses (IPv4, IPv6, host names) are
recorded and refused with ConnectionRefusedError; local Unix sockets (multiprocessing's own)
are let through. It patches Python's `socket` module, which every Python HTTP client goes
through; native code calling the C library directly is not seen (llama.cpp's libraries in this
build import no socket functions at all: see test_offline.py).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

_Original = Callable[..., Any]


@contextmanager
def refuse_network() -> Iterator[list[str]]:
    """Within the block, records and refuses every network attempt; yields the record."""
    attempts: list[str] = []
    originals: dict[tuple[object, str], _Original] = {}

    def refuse(what: str, target: object) -> ConnectionRefusedError:
        attempts.append(f"{what} {target!r}")
        return ConnectionRefusedError(f"the test guard refuses network access: {attempts[-1]}")

    def is_network(sock: socket.socket) -> bool:
        return sock.family in (socket.AF_INET, socket.AF_INET6)

    def connect(sock: socket.socket, address: Any) -> None:
        if is_network(sock):
            raise refuse("connect", address)
        originals[(socket.socket, "connect")](sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        if is_network(sock):
            raise refuse("connect_ex", address)
        result: int = originals[(socket.socket, "connect_ex")](sock, address)
        return result

    def sendto(sock: socket.socket, *args: Any) -> int:
        if is_network(sock):
            raise refuse("sendto", args[-1])
        result: int = originals[(socket.socket, "sendto")](sock, *args)
        return result

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        raise refuse("create_connection", address)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        raise refuse("getaddrinfo", (host, port))

    patches: list[tuple[object, str, _Original]] = [
        (socket.socket, "connect", connect),
        (socket.socket, "connect_ex", connect_ex),
        (socket.socket, "sendto", sendto),
        (socket, "create_connection", create_connection),
        (socket, "getaddrinfo", getaddrinfo),
    ]
    for owner, name, replacement in patches:
        originals[(owner, name)] = getattr(owner, name)
        setattr(owner, name, replacement)
    try:
        yield attempts
    finally:
        for owner, name, _ in patches:
            setattr(owner, name, originals[(owner, name)])
