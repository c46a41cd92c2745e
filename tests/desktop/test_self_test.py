"""`hearth --self-test`, run from the source tree as the frozen bundle runs it.

`make test-package` runs the built app's self-test, but CI never builds the bundle; this runs
the same self-test (desktop/app.py, desktop/self_test.py) in a process of its own: the real
window offscreen, the real engine host and the bundled model, a data folder of its own.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.app import SELF_TEST_MESSAGE
from engine.chat.store import ChatStore
from engine.paths import app_paths

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.usefixtures("bundled_model")
def test_the_self_test_answers_one_message_prints_it_and_exits_0(hearth_home: Path) -> None:
    """README: `hearth --self-test` starts the app offscreen, answers one message, prints it
    and exits 0."""
    env = {**os.environ, "HEARTH_HOME": str(hearth_home), "QT_QPA_PLATFORM": "offscreen"}
    run = subprocess.run([sys.executable, "-m", "desktop.app", "--self-test"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr

    stages = [line.removeprefix("hearth-self-test: ") for line in run.stderr.splitlines()
              if line.startswith("hearth-self-test: ")]
    assert stages[:2] == ["window shown", "first token"], run.stderr
    assert re.fullmatch(r"[1-9][0-9]* tokens at [0-9]+\.[0-9] tok/s", stages[2]), stages
    assert re.fullmatch(r"peak RSS KiB [1-9][0-9]*", stages[3]), stages
    # From the source tree the search model is made in the data folder (the bundle ships it).
    search = app_paths().data_dir / "search-model" / "all-MiniLM-L6-v2-f16.gguf"
    assert stages[4] == f"search model {search}: 384 dimensions", stages
    assert not any(stage.startswith("failed") for stage in stages)

    # What it printed is the answer, as the app saved it in its own data folder.
    printed = run.stdout.strip()
    assert printed
    store = ChatStore(app_paths().database)
    try:
        chats = store.list_chats()
        assert len(chats) == 1
        messages = store.messages(chats[0].id)
    finally:
        store.close()
    assert [m.role for m in messages] == ["user", "assistant"]
    # A reply the loop guard ends is "stopped" (the seed is random per reply): still an answer.
    assert messages[1].status in ("done", "stopped")
    assert messages[0].content == SELF_TEST_MESSAGE
    assert messages[1].content.strip() == printed
