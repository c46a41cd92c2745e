"""The suite's own rules (tests/suite_rules.py) catch what they promise to: each check runs pytest
on a small test file of its own, in a child process, with those rules loaded."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.suite_rules import ALLOWED_SKIPS

ROOT = Path(__file__).resolve().parents[1]


def run_pytest(folder: Path, source: str, *options: str) -> subprocess.CompletedProcess[str]:
    (folder / "test_sample.py").write_text(textwrap.dedent(source), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.suite_rules", "-p", "no:cacheprovider",
         "-p", "no:xdist", "-q", "--rootdir", str(folder), *options, str(folder)],
        capture_output=True, text=True, timeout=120, cwd=folder, env=env,
    )


def test_a_skip_not_on_the_list_fails_and_says_where_to_allow_it(tmp_path: Path) -> None:
    run = run_pytest(tmp_path, """
        import pytest

        def test_skipped():
            pytest.skip("no reason given")

        @pytest.mark.skipif(True, reason="a condition")
        def test_skipped_by_a_mark():
            pass

        @pytest.mark.xfail(reason="known", strict=True)
        def test_expected_to_fail():
            assert False
    """)
    assert run.returncode == 1, run.stdout
    assert "1 failed, 1 xfailed, 1 error" in run.stdout
    assert "test_skipped skipped (no reason given), and that skip is not allowed" in run.stdout
    assert "ALLOWED_SKIPS in tests/suite_rules.py" in run.stdout


@pytest.mark.parametrize("test", sorted(ALLOWED_SKIPS))
def test_each_allowed_skip_names_a_test_that_exists(test: str) -> None:
    path, name = test.split("::")
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    assert callable(getattr(module, name, None)), f"{test} is gone: take it off the list"
