"""`hearth-cli models` as a person runs it: real processes, real files, a fresh HEARTH_HOME."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def hearth_cli(*args: str, home: Path, answer: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEARTH_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        cwd=REPO,
        env=env,
        input=answer,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def table(home: Path) -> list[list[str]]:
    return [line.split() for line in ok(hearth_cli("models", "list", home=home)).splitlines()]


def models_dir(home: Path) -> Path:
    return home / "data" / "models"


@pytest.fixture
def copy_of_the_model(bundled_model: Path, tmp_path: Path) -> Path:
    source = tmp_path / "elsewhere" / "Tiny-Chat-Q4_1.gguf"
    source.parent.mkdir()
    shutil.copyfile(bundled_model, source)
    return source


def test_list_shows_the_bundled_model_as_the_default(hearth_home: Path) -> None:
    assert table(hearth_home) == [
        ["NAME", "ARCH", "PARAMS", "QUANT", "CONTEXT", "SIZE", "TEMPLATE", "WHERE"],
        ["*", "SmolLM2-135M-Instruct.Q4_1", "llama", "135M", "Q4_1", "8,192", "98.4", "MB",
         "gguf", "bundled", "with", "Hearth"],
    ]


def test_import_copy_then_default_then_remove(hearth_home: Path, copy_of_the_model: Path) -> None:
    assert ok(hearth_cli("models", "import", str(copy_of_the_model), home=hearth_home)) == (
        "Imported Tiny-Chat-Q4_1 (98.4 MB), copied into the models folder.\n"
    )
    assert (models_dir(hearth_home) / "Tiny-Chat-Q4_1.gguf").is_file()
    assert ok(hearth_cli("models", "default", "Tiny-Chat-Q4_1", home=hearth_home)) == (
        "Default model: Tiny-Chat-Q4_1\n"
    )
    settings = json.loads((hearth_home / "config" / "settings.json").read_text())
    assert settings["default_model"] == "Tiny-Chat-Q4_1.gguf"
    rows = table(hearth_home)
    assert rows[1][0] == "SmolLM2-135M-Instruct.Q4_1"
    assert rows[2][:2] == ["*", "Tiny-Chat-Q4_1"] and rows[2][-2:] == ["imported", "copy"]
    assert ok(hearth_cli("models", "default", home=hearth_home)) == "Tiny-Chat-Q4_1\n"

    declined = hearth_cli("models", "rm", "Tiny-Chat-Q4_1", home=hearth_home, answer="n\n")
    assert declined.returncode == 1
    assert declined.stderr.startswith("Delete Tiny-Chat-Q4_1 (98.4 MB, ")
    assert declined.stderr.endswith("? [y/N] Nothing was deleted.\n")
    assert (models_dir(hearth_home) / "Tiny-Chat-Q4_1.gguf").is_file()

    removed = hearth_cli("models", "rm", "Tiny-Chat-Q4_1", home=hearth_home, answer="y\n")
    assert removed.returncode == 0 and removed.stdout == "Deleted Tiny-Chat-Q4_1.\n"
    assert not (models_dir(hearth_home) / "Tiny-Chat-Q4_1.gguf").exists()
    assert copy_of_the_model.is_file()
    settings = json.loads((hearth_home / "config" / "settings.json").read_text())
    assert settings["default_model"] is None, "the default goes back to the bundled model"
    assert table(hearth_home)[1][0] == "*"


def test_a_referenced_file_that_went_missing_is_listed_and_can_be_removed(
    hearth_home: Path, copy_of_the_model: Path
) -> None:
    ok(hearth_cli("models", "import", "--reference", str(copy_of_the_model), home=hearth_home))
    assert not (models_dir(hearth_home) / copy_of_the_model.name).exists()
    copy_of_the_model.unlink()
    lines = ok(hearth_cli("models", "list", home=hearth_home)).splitlines()
    assert lines[2].split()[:3] == ["Tiny-Chat-Q4_1", "-", "-"]
    assert lines[2].endswith(str(copy_of_the_model))
    assert lines[-1] == f"! Tiny-Chat-Q4_1: The file is missing: {copy_of_the_model}"
    removed = hearth_cli("models", "rm", "--yes", "Tiny-Chat-Q4_1", home=hearth_home)
    assert ok(removed) == "Removed Tiny-Chat-Q4_1.\n"
    assert len(table(hearth_home)) == 2


@pytest.mark.usefixtures("bundled_model")
def test_a_chat_uses_the_default_model_set_here(
    hearth_home: Path, copy_of_the_model: Path
) -> None:
    ok(hearth_cli("models", "import", "--reference", str(copy_of_the_model), home=hearth_home))
    ok(hearth_cli("models", "default", "Tiny-Chat-Q4_1", home=hearth_home))
    copy_of_the_model.rename(copy_of_the_model.with_name("moved.gguf"))
    result = hearth_cli("chat", "--max-tokens", "4", "Hello", home=hearth_home)
    assert result.returncode == 1
    assert result.stderr == f"hearth-cli: Model file not found: {copy_of_the_model}\n"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("models", "rm", "--yes", "SmolLM2-135M-Instruct.Q4_1"),
         "hearth-cli: The bundled model cannot be deleted"),
        (("models", "rm", "--yes", "nothing-like-it"),
         "hearth-cli: No model named 'nothing-like-it': not a file, and not among installed "
         "models"),
        (("models", "default", "nothing-like-it"),
         "hearth-cli: No model named 'nothing-like-it': not a file, and not among installed "
         "models"),
    ],
    ids=["bundled", "unknown", "unknown-default"],
)
def test_refusals_are_one_plain_line(hearth_home: Path, args: tuple[str, ...], error: str) -> None:
    result = hearth_cli(*args, home=hearth_home)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [error]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", "junk.gguf is empty"),
        (os.urandom(2048), "junk.gguf is not a GGUF model file"),
        (b"GGUF" + bytes(60), "junk.gguf uses GGUF version 0, which is not supported"),
    ],
    ids=["empty", "random-bytes", "zero-version"],
)
def test_importing_a_file_that_is_not_a_model_is_refused(
    hearth_home: Path, tmp_path: Path, content: bytes, error: str
) -> None:
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(content)
    result = hearth_cli("models", "import", str(junk), home=hearth_home)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"hearth-cli: {error}"]
    assert not models_dir(hearth_home).exists() or not any(models_dir(hearth_home).iterdir())


def test_a_truncated_model_is_refused_by_import(
    hearth_home: Path, bundled_model: Path, tmp_path: Path
) -> None:
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(bundled_model.read_bytes()[:49_181_216])
    result = hearth_cli("models", "import", str(cut), home=hearth_home)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "hearth-cli: cut.gguf: the file is cut short: its tensors need 98,362,432 bytes but it "
        "has 49,181,216 (50%); an incomplete download or copy?"
    ]


def test_rename_changes_the_listed_name(hearth_home: Path, copy_of_the_model: Path) -> None:
    ok(hearth_cli("models", "import", str(copy_of_the_model), home=hearth_home))
    assert ok(hearth_cli("models", "rename", "Tiny-Chat-Q4_1", "Pocket", home=hearth_home)) == (
        "Renamed to Pocket.\n"
    )
    assert table(hearth_home)[2][0] == "Pocket"
