"""`hearth-cli` as a person runs it: a real process, the real model, a fresh HEARTH_HOME."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def hearth_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEARTH_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.usefixtures("bundled_model")  # fails clearly, rather than here, without the model
def test_chat_prints_a_reply(hearth_home: Path) -> None:
    result = hearth_cli("chat", "--seed", "3", "--max-tokens", "16", "Say hello", home=hearth_home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert result.stdout.endswith("\n")
    assert result.stderr == ""  # no log noise or traceback for a person to wade through


@pytest.mark.usefixtures("bundled_model")
def test_the_same_seed_prints_the_same_reply(hearth_home: Path) -> None:
    args = ("chat", "--seed", "8", "--max-tokens", "8", "--temperature", "0.9", "Name a fruit")
    first = hearth_cli(*args, home=hearth_home)
    second = hearth_cli(*args, home=hearth_home)
    assert first.returncode == second.returncode == 0
    assert first.stdout == second.stdout and first.stdout.strip()


def test_a_file_that_is_not_a_model_is_one_plain_error_line(
    tmp_path: Path, hearth_home: Path
) -> None:
    fake = tmp_path / "notes.gguf"
    fake.write_text("these are my notes, not a model\n")
    result = hearth_cli("chat", "--model", str(fake), "Hello", home=hearth_home)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines == ["hearth-cli: notes.gguf is not a GGUF model file"]


def test_an_unknown_model_name_is_one_plain_error_line(hearth_home: Path) -> None:
    result = hearth_cli("chat", "--model", "no-such-model", "Hello", home=hearth_home)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("hearth-cli: No model named 'no-such-model'")


def test_an_invalid_setting_is_one_plain_error_line(hearth_home: Path) -> None:
    result = hearth_cli("chat", "--temperature", "7", "Hello", home=hearth_home)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "hearth-cli: temperature: Temperature must be between 0 and 2"
    ]


def test_a_draft_model_leaves_the_reply_as_it_is(hearth_home: Path, bundled_model: Path) -> None:
    args = ("chat", "--seed", "4", "--max-tokens", "24", "--temperature", "0", "Name a fruit")
    plain = hearth_cli(*args, home=hearth_home)
    drafted = hearth_cli(*args, "--draft-model", str(bundled_model), home=hearth_home)
    assert drafted.returncode == 0, drafted.stderr
    assert drafted.stdout == plain.stdout and drafted.stdout.strip()


def test_a_draft_model_of_another_vocabulary_is_one_plain_error_line(
    hearth_home: Path, search_model: Path
) -> None:
    result = hearth_cli("chat", "--draft-model", str(search_model), "Hello", home=hearth_home)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"hearth-cli: {search_model.stem} cannot draft for SmolLM2-135M-Instruct.Q4_1: its "
        "tokenizer is of another kind."]


def test_a_draft_model_set_for_a_model_drafts_its_replies_until_unset(
    hearth_home: Path, bundled_model: Path, tmp_path: Path
) -> None:
    # A copy: a model cannot draft for itself, and the copy has the same vocabulary.
    draft = tmp_path / "little-drafter.gguf"
    shutil.copyfile(bundled_model, draft)
    assert hearth_cli("models", "import", str(draft), "--reference",
                      home=hearth_home).returncode == 0
    name = bundled_model.stem
    assert hearth_cli("models", "draft", name, home=hearth_home).stdout == (
        f"{name} has no draft model.\n")
    chosen = hearth_cli("models", "draft", name, "little-drafter", home=hearth_home)
    assert chosen.returncode == 0, chosen.stderr
    assert chosen.stdout == f"{name} is drafted by little-drafter.\n"
    assert hearth_cli("models", "draft", name, home=hearth_home).stdout == chosen.stdout
    args = ("chat", "--seed", "4", "--max-tokens", "24", "--temperature", "0", "Name a fruit")
    drafted = hearth_cli(*args, home=hearth_home)
    assert drafted.returncode == 0 and drafted.stderr == ""
    unset = hearth_cli("models", "draft", name, "--none", home=hearth_home)
    assert unset.stdout == f"{name} has no draft model.\n"
    assert hearth_cli(*args, home=hearth_home).stdout == drafted.stdout


def test_a_set_draft_model_that_cannot_draft_is_said_and_the_reply_still_comes(
    hearth_home: Path, bundled_model: Path, search_model: Path
) -> None:
    assert hearth_cli("models", "import", str(search_model), "--reference",
                      home=hearth_home).returncode == 0
    name = bundled_model.stem
    assert hearth_cli("models", "draft", name, search_model.stem,
                      home=hearth_home).returncode == 0
    result = hearth_cli("chat", "--max-tokens", "8", "Hello", home=hearth_home)
    assert result.returncode == 0 and result.stdout.strip()
    assert result.stderr.splitlines() == [
        f"The draft model set for {bundled_model.name} is left out: {search_model.stem} cannot "
        f"draft for {name}: its tokenizer is of another kind."]


def test_a_model_cannot_draft_for_itself(hearth_home: Path, bundled_model: Path) -> None:
    result = hearth_cli("models", "draft", bundled_model.stem, bundled_model.stem,
                        home=hearth_home)
    assert result.returncode == 1
    assert result.stderr.startswith("hearth-cli: A model cannot draft for itself")
