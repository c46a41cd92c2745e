"""Two starts of Hearth on one data folder: the second hands over, never a second writer."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.instance_lock import InstanceLock, holder_pid
from engine.paths import app_paths
from tests.conftest import wait_for

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60


def _hearth(home: Path, *args: str, output: int = subprocess.PIPE) -> subprocess.Popen[str]:
    env = {**os.environ, "HEARTH_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.Popen(
        [sys.executable, "-m", "desktop.app", *args], cwd=REPO, env=env,
        stdout=output, stderr=subprocess.STDOUT, text=True,
    )


def _log_has(text: str) -> Callable[[], bool]:
    log = app_paths().log_file
    return lambda: log.exists() and text in log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def first_instance(hearth_home: Path) -> Iterator[subprocess.Popen[str]]:
    process = _hearth(hearth_home, output=subprocess.DEVNULL)  # its log file is enough
    try:
        wait_for(_log_has("listening for later starts"), "the first instance to listen")
        yield process
    finally:
        process.kill()
        process.wait()


@pytest.mark.usefixtures("bundled_model")
def test_a_second_start_shows_the_running_window_and_exits(
    hearth_home: Path, first_instance: subprocess.Popen[str]
) -> None:
    second = _hearth(hearth_home)
    output, _ = second.communicate(timeout=START_TIMEOUT_S)
    assert second.returncode == 0, output
    wait_for(_log_has("a later start asked for the window"), "the hand-over")
    assert first_instance.poll() is None  # the first one keeps running
    assert holder_pid(app_paths().data_dir) == first_instance.pid


@pytest.mark.usefixtures("bundled_model")
def test_a_killed_instance_leaves_no_stale_lock(
    hearth_home: Path, first_instance: subprocess.Popen[str]
) -> None:
    first_instance.kill()
    first_instance.wait()
    again = _hearth(hearth_home, "--self-test")
    output, _ = again.communicate(timeout=180)
    assert again.returncode == 0, output
    assert "hearth-self-test: first token" in output


def test_the_lock_is_exclusive_and_released(tmp_path: Path) -> None:
    first = InstanceLock.acquire(tmp_path)
    assert first is not None
    # flock locks belong to the open file: a second open in this process is refused too.
    assert InstanceLock.acquire(tmp_path) is None
    first.release()
    again = InstanceLock.acquire(tmp_path)
    assert again is not None
    again.release()
