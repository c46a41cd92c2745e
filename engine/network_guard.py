"""A test-only guard against network access: refuses every connection and name lookup beyond
this machine's loopback, and writes each attempt to a record file. Inert unless
`HEARTH_TEST_NETWORK_GUARD` names that file.

The test suite sets the switch for itself and every process it starts, and each of Hearth's
entry points installs the guard when it starts (the engine host, `hearth-cli`): a spawned or
executed child starts from a fresh interpreter, so a patch in its parent never reaches it. The
suite fails a test during which a line was added (tests/suite_rules.py). It patches Python's
`socket` module, which every Python HTTP client goes through; llama.cpp's libraries import no
socket functions at all (tests/reliability/test_offline.py).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any

SWITCH = "HEARTH_TEST_NETWORK_GUARD"
_LOCAL_NAMES = frozenset({"", "localhost", "0.0.0.0", "::"})  # the last two: to bind

_installed: list[str] = []  # the record file, once installed in this process


def install_from_environment() -> None:
    """Installs the guard when the switch is set (once per process)."""
    record = os.environ.get(SWITCH)
    if record and not _installed:
        _install(record)


def _is_local(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host is None:
        return True
    name = str(host).lower().rstrip(".")
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _install(record: str) -> None:
    _installed.append(record)
    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
    sendto, getaddrinfo = socket.socket.sendto, socket.getaddrinfo

    def refuse(what: str, target: object) -> ConnectionRefusedError:
        line = f"{os.getpid()} {what} {target!r}\n"
        descriptor = os.open(record, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line.encode())
        finally:
            os.close(descriptor)
        return ConnectionRefusedError(f"the test network guard refuses {line.strip()}")

    def remote(sock: socket.socket, address: Any) -> bool:
        return sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0])

    def guarded_connect(sock: socket.socket, address: Any) -> None:
        if remote(sock, address):
            raise refuse("connect", address)
        connect(sock, address)

    def guarded_connect_ex(sock: socket.socket, address: Any) -> int:
        if remote(sock, address):
            raise refuse("connect_ex", address)
        return connect_ex(sock, address)

    def guarded_sendto(sock: socket.socket, *args: Any) -> int:
        if remote(sock, args[-1]):
            raise refuse("sendto", args[-1])
        result: int = sendto(sock, *args)
        return result

    def guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if not _is_local(host):
            raise refuse("getaddrinfo", (host, port))
        return getaddrinfo(host, port, *args, **kwargs)

    socket.socket.connect = guarded_connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = guarded_connect_ex  # type: ignore[method-assign,assignment]
    socket.socket.sendto = guarded_sendto  # type: ignore[assignment]
    socket.getaddrinfo = guarded_getaddrinfo
