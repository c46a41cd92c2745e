"""Safe levels by themselves: the crash counts, the levels saved, and where trying ends.

The crashes of real hosts that lead here are in tests/engine/test_engine_host.py and
tests/reliability/test_model_that_aborts.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from engine.host.safe_configs import LEVELS, SafeConfigs

MODEL = Path("/models/aborts.gguf")
STEP = "reading the prompt"


def test_each_level_comes_after_two_crashes_then_the_model_is_given_up(tmp_path: Path) -> None:
    configs = SafeConfigs(tmp_path / "safe-loading.json")
    said = [configs.record_crash(MODEL, STEP) for _crash in range(2 * len(LEVELS))]
    assert said[0::2] == [None] * len(LEVELS)  # the first crash at each level changes nothing
    assert [configs.level(MODEL), configs.unusable(MODEL)] == [len(LEVELS) - 1, True]
    for level, notice in enumerate(said[1:-1:2], start=1):
        assert str(notice) == (f"aborts crashed twice while {STEP}: Hearth loads it "
                               f"{LEVELS[level]} from now on.")
    assert str(said[-1]) == (
        f"aborts crashed twice while {STEP} even when loaded {LEVELS[-1]}, the safest way Hearth "
        "has, so it is not loaded again: this model file cannot be used on this machine. "
        "Pick another model.")
    # Loaded again by hand, it is given up at its next crash.
    assert configs.record_crash(MODEL, STEP) == said[-1]


def test_giving_up_holds_for_the_session_and_the_level_for_good(tmp_path: Path) -> None:
    path = tmp_path / "safe-loading.json"
    configs = SafeConfigs(path)
    for _crash in range(2 * len(LEVELS)):
        configs.record_crash(MODEL, STEP)
    assert configs.unusable(MODEL) and not configs.unusable(Path("/models/other.gguf"))
    # A later start (a newer llama.cpp, perhaps) tries it again, the safest way.
    assert json.loads(path.read_text()) == {str(MODEL): len(LEVELS) - 1}
    later = SafeConfigs(path)
    assert later.level(MODEL) == len(LEVELS) - 1 and not later.unusable(MODEL)


def test_a_model_that_has_written_is_never_given_up(tmp_path: Path) -> None:
    configs = SafeConfigs(tmp_path / "safe-loading.json")
    configs.record_text(MODEL)  # its crashes may come from what it is asked
    said = [configs.record_crash(MODEL, STEP) for _crash in range(4 * len(LEVELS))]
    assert configs.level(MODEL) == len(LEVELS) - 1 and not configs.unusable(MODEL)
    assert said[2 * len(LEVELS) - 1:] == [None] * (2 * len(LEVELS) + 1)
