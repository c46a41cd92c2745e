"""A full disk and a read-only one, for real (a tmpfs in a user namespace): plain errors, and
nothing already saved is lost. Also the settings file's set-aside when it is garbage.

The disk tests run fs_child.py under `unshare --user --map-root-user --mount`, which lets an
ordinary user mount a 2 MB tmpfs that only the child sees; where user namespaces are off they
are skipped, saying so. (Store writes on a full disk are also tested in-process through
SQLite's page limit, in tests/engine/test_store.py.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from engine.config import AppConfig, load_config, save_config
from engine.settings import ChatSettings

ROOT = Path(__file__).parents[2]
KEPT = ["Kept question", "Kept answer"]


def namespaces_work() -> bool:
    if shutil.which("unshare") is None or not sys.platform.startswith("linux"):
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "true"],
                           capture_output=True)
    return probe.returncode == 0


needs_namespaces = pytest.mark.skipif(
    not namespaces_work(), reason="needs Linux user namespaces (unshare) to mount a small disk"
)


def run_child(scenario: str, folder: Path) -> dict[str, Any]:
    folder.mkdir()
    child = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", sys.executable, "-m",
         "tests.reliability.fs_child", scenario, str(folder)],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    result: dict[str, Any] = json.loads(child.stdout)
    return result


@needs_namespaces
def test_a_full_disk_gives_plain_errors_and_loses_nothing(tmp_path: Path) -> None:
    result = run_child("full", tmp_path / "disk")
    assert result["add"] == (
        "DiskFullError: Could not save the message: the disk is full. Free some space and try "
        "again."
    )
    assert result["settings"].startswith("HearthError: Could not save settings to ")
    assert result["settings"].endswith(": No space left on device")
    assert result["read"] == KEPT
    for moment in ("full", "freed"):  # a restart while full, and once space is back
        assert result[moment] == {"messages": KEPT, "settings": "Saved before.", "notice": None,
                                  "files": ["settings.json"]}, moment
    assert result["add after"] == "ok"


@needs_namespaces
def test_a_read_only_disk_gives_plain_errors_and_loses_nothing(tmp_path: Path) -> None:
    result = run_child("read-only", tmp_path / "disk")
    refused_open = (
        f"StoreError: Could not open {tmp_path / 'disk' / 'data' / 'hearth.sqlite3'}: check "
        "that the file and its folder exist and that you may write to them"
    )
    assert result["add"].startswith(refused_open)
    assert result["settings"].endswith(": Read-only file system")
    assert result["restart"]["open"].startswith(refused_open)
    assert result["restart"]["settings"] == "Saved before."  # read-only settings still load
    # Garbage that cannot be set aside is left as it was, and the notice does not claim a copy.
    assert result["garbage notice"].startswith("Settings were reset to defaults:")
    assert "kept as" not in result["garbage notice"]
    assert result["garbage kept"] == "{not json"
    assert result["writable again"]["messages"] == KEPT
    assert result["writable again"]["settings"] == "Saved before."


@pytest.mark.parametrize(
    "garbage",
    [b"", b"\x00" * 64, b"\xff\xfe garbage", b'{"version": 1, "chat_defaults": ', b"[]", b"null",
     b'{"runtime": {"n_ctx": "big"}}', b"[" * 100_000],
    ids=["empty", "zeros", "not utf-8", "cut", "a list", "null", "wrong type", "deep"],
)
def test_garbage_settings_are_set_aside_with_a_notice_and_kept(
    garbage: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(garbage)
    loaded = load_config(path)
    kept = path.with_name("settings.json.broken")
    assert loaded.config == AppConfig()
    assert loaded.notice is not None and f"the old file was kept as {kept}" in loaded.notice
    assert "\n" not in loaded.notice
    assert kept.read_bytes() == garbage
    # Settings saved afterwards are the new file; the old one stays aside.
    save_config(path, AppConfig(chat_defaults=ChatSettings(system_prompt="Fresh.")))
    assert load_config(path).config.chat_defaults.system_prompt == "Fresh."
    assert kept.read_bytes() == garbage


def test_settings_set_aside_twice_keep_both_old_files(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    for garbage in (b"first", b"second"):
        path.write_bytes(garbage)
        assert load_config(path).notice is not None
    assert path.with_name("settings.json.broken").read_bytes() == b"first"
    assert path.with_name("settings.json.broken-2").read_bytes() == b"second"
