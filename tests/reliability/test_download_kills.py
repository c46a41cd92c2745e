"""SIGKILL during a download, again and again: every restart continues from the bytes already on
disk, and no partial file is ever taken for a model.

The child (download_child.py) downloads the bundled model from the Hub imitation and reports
its progress; the parent kills it once it passes a seeded random byte count, checks that the
model library lists no model from the repository, and starts it again, until a run finishes.
The installed file must then be byte for byte the model, verified by sha256.
"""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.models.library import ModelLibrary
from engine.paths import app_paths
from tests.hub_imitation import HubImitation, hub_imitation

REPO = "hearth-test/Killed-Download-GGUF"
FILE = "Killed-Download-Q4_1.gguf"
KILLS = 6
WAIT_S = 60.0
SEED = int(os.environ.get("HEARTH_KILL_SEED", "7"))
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, bundled_model: Path) -> Iterator[HubImitation]:
    for imitation in hub_imitation(monkeypatch):
        imitation.add_repo(REPO, {FILE: bundled_model})
        yield imitation


def _start(hub: HubImitation, models_dir: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.download_child", hub.endpoint,
         str(models_dir), REPO, FILE],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "HF_ENDPOINT": hub.endpoint},
    )


def _watch_bytes(child: subprocess.Popen[str], some_on_disk: threading.Event) -> None:
    """Sets `some_on_disk` once the child reports bytes on disk; reads to its end."""
    assert child.stdout is not None
    for line in child.stdout:
        words = line.split()
        if words[:1] == ["bytes"] and int(words[1]) > 0:
            some_on_disk.set()


def _listed(models_dir: Path) -> list[str]:
    return [m.name for m in ModelLibrary(models_dir, None).models()]


def test_a_download_killed_again_and_again_resumes_and_installs_the_exact_file(
    hub: HubImitation, bundled_model: Path
) -> None:
    size = bundled_model.stat().st_size
    models_dir = app_paths().ensure().models_dir
    rng = random.Random(SEED)
    # Later and later points of the file: each run resumes past the last one's.
    targets = sorted(rng.sample(range(size // 20, size - size // 20, 4096), KILLS))
    for kill, target in enumerate(targets):
        # A hold makes the kill land mid-file: the transfer waits at the chosen byte.
        hold = hub.hold_at(REPO, FILE, target)
        child = _start(hub, models_dir)
        # The child says nothing while the transfer is held: its lines are read on a thread,
        # so the kill follows the hold at once instead of the child's read timeout.
        some_on_disk = threading.Event()
        reader = threading.Thread(target=_watch_bytes, args=(child, some_on_disk))
        reader.start()
        try:
            assert hold.reached.wait(WAIT_S) and some_on_disk.wait(WAIT_S), f"kill {kill}"
        finally:  # killed whatever happened, so neither it nor the reader outlives the test
            child.send_signal(signal.SIGKILL)
            child.wait()
            reader.join()
            child.communicate()
            hold.release()
        assert hub.wait_idle()
        assert _listed(models_dir) == [], f"kill {kill}: a partial file was listed as a model"
    child = _start(hub, models_dir)
    output, errors = child.communicate(timeout=300)
    assert child.returncode == 0, errors[-2000:]
    installed = Path(output.strip().splitlines()[-1].removeprefix("done "))
    assert hashlib.sha256(installed.read_bytes()).digest() == hashlib.sha256(
        bundled_model.read_bytes()).digest()
    assert _listed(models_dir) == [installed.stem]
    # Each restart asked only for what was not on disk yet: one request per run, each
    # starting further on, and the bytes sent add up to the file plus what each kill cut off.
    starts = [0 if r is None else int(r.removeprefix("bytes=").rstrip("-"))
              for r in hub.ranges[f"{REPO}/{FILE}"]]
    assert len(starts) == KILLS + 1
    assert starts[0] == 0 and starts == sorted(starts) and len(set(starts)) == len(starts)
    assert all(start <= target for start, target in zip(starts[1:], targets, strict=False))
