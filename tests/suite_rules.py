"""The suite's own rules, enforced on every test (loaded by tests/conftest.py).

- A time limit per test. pytest-timeout (`timeout` in pyproject.toml, or a test's
  `@pytest.mark.timeout(s)`) fails a test that runs past it, with the stacks of all its threads;
  it works by SIGALRM, so it only fires when Python gets control back. A hang inside native code
  (llama.cpp, Qt) or with the GIL held never gives it back: `BACKSTOP_S` later, faulthandler's
  watchdog thread, which needs no GIL, prints every thread's stack and ends the process. Under
  pytest-xdist that fails the one test and a new worker carries on with the rest.
- Skips only by leave: a skip not in `ALLOWED_SKIPS` fails its test, so a green run cannot hide
  a test that did not run.
"""

from __future__ import annotations

import faulthandler
import os
from collections.abc import Generator

import pytest

BACKSTOP_S = 60.0  # after the test's own limit: time for SIGALRM to have been handled

# The skips a run may hold, by test (parameters aside), and why each is acceptable there.
# Every other skip fails: a new one needs its line here, with a reason a reviewer accepts.
ALLOWED_SKIPS = {
    # Needs a tool from outside Python: `make install` cannot apt-get it. The install test
    # still compares the installed entry with this one line by line.
    "tests/packaging/test_desktop_entry.py::test_desktop_entry_validates":
        "desktop-file-validate is not installed (apt package desktop-file-utils)",
    # Mounting a 2 MB tmpfs takes a user namespace, off in default containers. Both claims are
    # also tested without privileges (test_files_that_may_not_grow_..., test_a_locked_folder_...).
    "tests/reliability/test_machine.py::test_a_full_disk_gives_plain_errors_and_loses_nothing":
        "needs Linux user namespaces (unshare) to mount a small disk",
    "tests/reliability/test_machine.py::test_a_read_only_disk_gives_plain_errors_and_loses_nothing":
        "needs Linux user namespaces (unshare) to mount a small disk",
    # Hearth's tests run on Linux (README); these skip only on other systems.
    "tests/engine/test_store.py::test_a_read_only_folder_is_reported": "folder modes are POSIX",
    "tests/engine/test_export.py::test_read_only_folder_keeps_the_old_file":
        "folder modes are POSIX",
    "tests/reliability/test_hostile_templates.py::"
    "test_a_template_constant_cannot_exhaust_memory_while_the_model_loads": "reads Linux's /proc",
    "tests/reliability/test_offline.py::test_llama_cpp_native_libraries_import_no_socket_functions":
        "reads ELF symbol names",
}


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
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        test = item.nodeid.split("[")[0]
        said = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = said.removeprefix("Skipped: ")
        if ALLOWED_SKIPS.get(test) != reason:
            report.outcome = "failed"
            report.longrepr = (
                f"{test} skipped ({reason}), and that skip is not allowed: make the test run "
                "here, or add it with its reason to ALLOWED_SKIPS in tests/suite_rules.py"
            )
    return report


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
