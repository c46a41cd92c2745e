"""Who may use the server: the bearer token and where it listens."""

from __future__ import annotations

import hmac
import ipaddress
import secrets

TOKEN_PREFIX = "hearth-"


def new_token() -> str:
    """A fresh bearer token (256 random bits), made by the app and shown to the person."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_matches(header: str | None, token: str) -> bool:
    """Whether an Authorization header carries `token`, compared in constant time."""
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


def is_loopback(host: str) -> bool:
    """True for addresses only this computer can reach (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
