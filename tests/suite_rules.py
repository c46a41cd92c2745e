"""The suite's own rules, enforced on every test (loaded by tests/conftest.py).

- A time limit per test. pytest-timeout (`timeout` in pyproject.toml, or a test's
  `@pytest.mark.timeout(s)`) fails a test that runs past it, with the stacks of all its threads;
  it works by SIGALRM, so it only fires when Python gets control back. A hang inside native code
  (llama.cpp, Qt) or with the GIL held never gives it back: `BACKSTOP_S` later, faulthandler's
  watchdog thread, which needs no GIL, prints every thread's stack and ends the process. Under
  pytest-xdist that fails the one test and a new worker carries on with the rest.
"""

from __future__ import annotations

import faulthandler
import os
from collections.abc import Generator

import pytest

BACKSTOP_S = 60.0  # after the test's own limit: time for SIGALRM to have been handled


def time_limit(item: pytest.Item) -> float:
    """The test's pytest-timeout limit in seconds (0: none), read as pytest-timeout reads it."""
    marker = item.get_closest_marker("timeout")
    if marker is not None:
        value = marker.args[0] if marker.args else marker.kwargs.get("timeout")
    else:
        value = (item.config.getoption("timeout", None) or os.environ.get("PYTEST_TIMEOUT")
                 or item.config.getini("timeout"))
    return float(value or 0)


_stderr_copy = pytest.StashKey[int]()


def pytest_configure(config: pytest.Config) -> None:
    # Output capture replaces file descriptor 2 during each test; this copy is the real one.
    config.stash[_stderr_copy] = os.dup(2)


def pytest_unconfigure(config: pytest.Config) -> None:
    os.close(config.stash[_stderr_copy])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    limit = time_limit(item)
    if limit <= 0:
        return (yield)
    faulthandler.dump_traceback_later(
        limit + BACKSTOP_S, exit=True, file=item.config.stash[_stderr_copy]
    )
    try:
        return (yield)
    finally:
        faulthandler.cancel_dump_traceback_later()
