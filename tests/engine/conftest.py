"""Fixtures the engine tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.remote_script_server import ScriptServer, last_user_message


@pytest.fixture
def server() -> Iterator[ScriptServer]:
    """A scripted OpenAI-compatible server on 127.0.0.1 (tests set what it answers)."""
    scripted = ScriptServer()
    yield scripted
    scripted.close()


@pytest.fixture
def echo_server(server: ScriptServer) -> ScriptServer:
    """The scripted server answering with the end of the last message."""
    server.responder = lambda body: f"You said: {last_user_message(body)[-40:]}"
    return server
