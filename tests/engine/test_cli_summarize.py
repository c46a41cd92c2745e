"""`hearth-cli summarize` as a person runs it: a real process, the real model, real files."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from engine.config import AppConfig
from engine.host.runtime import Runtime
from engine.paths import app_paths
from engine.settings import RuntimeSettings
from tests.engine.documents_data import encrypted_pdf_bytes, speech_lines

REPO = Path(__file__).resolve().parents[2]


def hearth_cli(
    *args: str, home: Path, stdin: str | None = None, stderr: int | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", "summarize", *args],
        cwd=REPO,
        env={**os.environ, "HEARTH_HOME": str(home)},
        input=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if stderr is None else stderr,
        text=True,
        timeout=300,
        check=False,
    )


def speech_file(folder: Path, lines: int, skip: int = 0) -> Path:
    path = folder / "speech.txt"
    path.write_text(speech_lines(lines, skip=skip), encoding="utf-8")
    return path


@pytest.mark.usefixtures("bundled_model")
def test_a_short_file_is_summarised_in_one_pass(tmp_path: Path, hearth_home: Path) -> None:
    result = hearth_cli(str(speech_file(tmp_path, 6)), "--words", "30", "--seed", "1",
                        home=hearth_home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() and result.stdout.endswith("\n")
    lines = result.stderr.splitlines()
    assert lines[0].endswith(" tokens: summarising in one pass")
    assert lines[1] == "step 1 of 1: writing"
    assert lines[-1].startswith("Made in one pass over the whole document (")
    assert len(lines) == 3  # plain lines, no bar, when stderr is not a terminal


@pytest.mark.slow
def test_a_long_file_is_summarised_in_parts(
    tmp_path: Path, hearth_home: Path, runtime: Runtime
) -> None:
    settings = app_paths().settings_file  # HEARTH_HOME is the test's own folder
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(AppConfig(runtime=RuntimeSettings(n_ctx=384)).to_json())
    lines = 1  # enough speech for two parts: a third more than one pass can hold
    while runtime.count_tokens(speech_lines(lines, skip=40)) < 420:
        lines += 1
    path = speech_file(tmp_path, lines, skip=40)
    result = hearth_cli(str(path), "--form", "bullets", "--words", "30", "--seed", "2",
                        home=hearth_home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    told = result.stderr.splitlines()
    parts = int(told[0].split(" in ")[1].split()[0])
    assert parts >= 2 and told[0].endswith(f"summarising in {parts} parts")
    assert [line.split(": ", 1)[1] for line in told[1:parts + 1]] == [
        f"reading part {index} of {parts}" for index in range(1, parts + 1)]
    assert told[-2].endswith(": writing")
    assert told[-1].startswith(f"Made from {parts} parts of the document (")


@pytest.mark.usefixtures("bundled_model")
def test_a_terminal_gets_a_progress_bar(tmp_path: Path, hearth_home: Path) -> None:
    controller, terminal = os.openpty()
    received: list[bytes] = []

    def read_terminal() -> None:
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the process closed its end
                return
            if not chunk:
                return
            received.append(chunk)

    reader = threading.Thread(target=read_terminal)
    reader.start()
    try:
        result = hearth_cli(str(speech_file(tmp_path, 6)), "--words", "40", "--seed", "3",
                            home=hearth_home, stderr=terminal)
    finally:
        os.close(terminal)
        reader.join(timeout=60)
        os.close(controller)
    assert result.returncode == 0
    assert result.stdout.strip()
    shown = b"".join(received).decode("utf-8")
    assert "\r\x1b[K[" in shown and "writing" in shown  # redrawn in place
    assert shown.rstrip().splitlines()[-1].endswith(("Made in one pass", "s."))
    assert "\x1b[KMade in one pass over the whole document (" in shown  # the bar cleared


@pytest.mark.usefixtures("bundled_model")
def test_standard_input_is_summarised(hearth_home: Path) -> None:
    text = "The lighthouse of Sankaty Head was built in 1850.\r\nIts lamp still turns.\x00\n"
    result = hearth_cli("-", "--words", "10", "--seed", "4", stdin=text, home=hearth_home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


@pytest.mark.parametrize(
    ("name", "data", "args", "error"),
    [
        ("photo.txt", b"\x89PNG\r\n\x1a\n" + bytes(64), (),
         "photo.txt is not a text document: it looks like a PNG image."),
        ("locked.pdf", None, (), "locked.pdf is encrypted with a password, so its text cannot "
         "be read. Open it in a PDF viewer with the password and save an unprotected copy."),
        ("absent.docx", b"", (), "absent.docx does not exist."),  # b"": not written
        ("notes.txt", b"Hello there.", ("--words", "3"),
         "words: the length must be between 10 and 2000 words"),
    ],
)
def test_a_document_that_cannot_be_summarised_is_one_plain_line(
    tmp_path: Path, hearth_home: Path, name: str, data: bytes | None, args: tuple[str, ...],
    error: str,
) -> None:
    path = tmp_path / name
    if data is None:  # made here: pypdf is not imported while the cases are collected
        path.write_bytes(encrypted_pdf_bytes("Secret plan", "pw"))
    elif data:
        path.write_bytes(data)
    result = hearth_cli(str(path), *args, home=hearth_home)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"hearth-cli: {error}"]
