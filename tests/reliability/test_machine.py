"""A full disk and a read-only one, for real (a tmpfs in a user namespace): plain errors, and
nothing already saved is lost. Also the settings file's set-aside when it is garbage.

The disk tests run fs_child.py under `unshare --user --map-root-user --mount`, which lets an
ordinary user mount a 2 MB tmpfs that only the child sees; where user namespaces are off (a
default container) they are skipped, a skip tests/suite_rules.py allows. Two more run everywhere,
without privileges: a file size limit of 0 (RLIMIT_FSIZE) for the full disk, a folder without
write permission for the read-only one. (Store writes on a full disk are also tested in-process
through SQLite's page limit, in tests/engine/test_store.py.)
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


def run_child(scenario: str, folder: Path, namespace: bool = True) -> dict[str, Any]:
    folder.mkdir()
    unshare = ["unshare", "--user", "--map-root-user", "--mount"] if namespace else []
    child = subprocess.run(
        [*unshare, sys.executable, "-m", "tests.reliability.fs_child", scenario, str(folder)],
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


def test_files_that_may_not_grow_give_plain_errors_and_lose_nothing(tmp_path: Path) -> None:
    """The full disk without privileges: with RLIMIT_FSIZE at 0 every write that needs more
    space fails (EFBIG), as on a full disk, while what is already written stays readable."""
    result = run_child("file-size-limit", tmp_path / "disk", namespace=False)
    assert result["add"].startswith("StoreError: Could not save the message: ")
    assert result["settings"].startswith("HearthError: Could not save settings to ")
    assert result["settings"].endswith(": File too large")
    assert all("\n" not in result[key] for key in ("add", "settings"))
    assert result["read"] == KEPT
    # A restart while no file may grow cannot open the database (SQLite needs room for its
    # shared-memory file), says so, and still reads the settings; nothing is lost after.
    assert result["full"] == {
        "open": f"StoreError: Could not open {tmp_path / 'disk' / 'data' / 'hearth.sqlite3'}: "
                "disk I/O error",
        "settings": "Saved before.", "notice": None, "files": ["settings.json"],
    }
    assert result["freed"] == {"messages": KEPT, "settings": "Saved before.", "notice": None,
                               "files": ["settings.json"]}
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
    check_refused_writes(result, refused_open)


def test_a_locked_folder_gives_plain_errors_and_loses_nothing(tmp_path: Path) -> None:
    """The read-only disk without privileges: no folder or file in it may be written (chmod),
    and the child obeys that even as root (tests/permissions.py)."""
    result = run_child("locked", tmp_path / "disk", namespace=False)
    refused_open = (
        f"StoreError: Could not open {tmp_path / 'disk' / 'data' / 'hearth.sqlite3'}: it is "
        "read-only (attempt to write a readonly database)"
    )
    assert result["add"] == refused_open
    assert result["settings"].endswith(": Permission denied")
    check_refused_writes(result, refused_open)


def check_refused_writes(result: dict[str, Any], refused_open: str) -> None:
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
    assert loaded.notice is not None
    assert f"the old file was kept as {kept}" in str(loaded.notice)
    assert "\n" not in str(loaded.notice)
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
