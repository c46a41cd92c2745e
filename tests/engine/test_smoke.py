"""The smoke step `make test` runs first: one decode in a child process, and a plain sentence
when llama.cpp dies there."""

from __future__ import annotations

import signal
import sys

import pytest

from engine.host import smoke


def test_one_decode_passes_on_this_machine(capsys: pytest.CaptureFixture[str]) -> None:
    assert smoke.main() == 0
    assert "llama.cpp decoded on this CPU" in capsys.readouterr().out


def test_a_child_that_segfaults_is_reported_as_a_crash_on_this_cpu(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A stand-in for the AMX crash, which no CPU without AMX can reproduce: a child that dies
    # of SIGSEGV after writing a line of log, as llama.cpp does.
    crash = "import os, signal; print('load_tensors: AMX model buffer size', flush=True); " \
            "os.kill(os.getpid(), signal.SIGSEGV)"
    monkeypatch.setattr(smoke, "child_command", lambda: [sys.executable, "-c", crash])
    monkeypatch.setattr(sys, "argv", ["smoke"])
    assert smoke.main() == 1
    out = capsys.readouterr().out
    assert f"was killed by {signal.SIGSEGV.name}" in out
    assert "CPU flags:" in out and "AMX" in out
    assert "load_tensors: AMX model buffer size" in out
