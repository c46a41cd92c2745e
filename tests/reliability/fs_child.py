"""Hearth's files on a full disk and on a read-only one, for real.

    unshare --user --map-root-user --mount python -m tests.reliability.fs_child full FOLDER

mounts a small tmpfs on FOLDER (which only this process and its children see), saves a chat and
settings there, then fills the disk or remounts it read-only, tries to save more, and prints one
JSON object: what each step did ("ok" or the error's class and message) and what was read back.

Two scenarios need no privileges and no namespace, for machines where user namespaces are off:
`file-size-limit` lets no file grow (RLIMIT_FSIZE 0, what a full disk does to every write that
needs space) and `locked` takes the write permission off every folder and file (obeyed even by
root: tests/permissions.py).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.chat.store import ChatStore
from engine.config import AppConfig, load_config, save_config
from engine.settings import ChatSettings
from tests.permissions import permissions_bind

BEFORE = AppConfig(chat_defaults=ChatSettings(system_prompt="Saved before."))
AFTER = AppConfig(chat_defaults=ChatSettings(system_prompt="Tried after."))


def attempt(action: Callable[[], object]) -> str:
    try:
        action()
    except Exception as error:  # reported, not raised: the parent judges each outcome
        return f"{type(error).__name__}: {error}"
    return "ok"


def mount(folder: Path, options: str) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True)


def remount(folder: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(folder)], check=True)


def saved_state(folder: Path) -> dict[str, Any]:
    """What a fresh start reads: the chat and the settings."""
    state: dict[str, Any] = {}
    try:
        store = ChatStore(folder / "data" / "hearth.sqlite3")
    except Exception as error:
        state["open"] = f"{type(error).__name__}: {error}"
    else:
        try:
            chats = store.list_chats()
            state["messages"] = [m.content for chat in chats for m in store.messages(chat.id)]
        finally:
            store.close()
    loaded = load_config(folder / "config" / "settings.json")
    state["settings"] = loaded.config.chat_defaults.system_prompt
    state["notice"] = None if loaded.notice is None else str(loaded.notice)
    state["files"] = sorted(p.name for p in (folder / "config").iterdir())
    return state


def prepare(folder: Path) -> ChatStore:
    store = ChatStore(folder / "data" / "hearth.sqlite3")
    chat = store.create_chat()
    store.add_message(chat.id, "user", "Kept question")
    store.add_message(chat.id, "assistant", "Kept answer")
    save_config(folder / "config" / "settings.json", BEFORE)
    return store


def full_disk(folder: Path) -> dict[str, Any]:
    mount(folder, "size=2m")
    store = prepare(folder)
    chat = store.list_chats()[0]
    filler = folder / "filler"
    with filler.open("wb") as handle:  # until the disk is full
        try:
            while True:
                handle.write(b"\0" * 65536)
                handle.flush()
        except OSError:
            pass
    result: dict[str, Any] = {
        "add": attempt(lambda: store.add_message(chat.id, "user", "x" * 300_000)),
        "settings": attempt(lambda: save_config(folder / "config" / "settings.json", AFTER)),
        "read": [m.content for m in store.messages(chat.id)],
    }
    store.close()
    result["full"] = saved_state(folder)
    filler.unlink()
    result["freed"] = saved_state(folder)
    store = ChatStore(folder / "data" / "hearth.sqlite3")
    result["add after"] = attempt(lambda: store.add_message(chat.id, "user", "After"))
    store.close()
    return result


def file_size_limit(folder: Path) -> dict[str, Any]:
    store = prepare(folder)
    chat = store.list_chats()[0]
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    # Python ignores SIGXFSZ, so a write past the limit fails with EFBIG instead of killing us.
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, hard))
    result: dict[str, Any] = {
        "add": attempt(lambda: store.add_message(chat.id, "user", "x" * 300_000)),
        "settings": attempt(lambda: save_config(folder / "config" / "settings.json", AFTER)),
        "read": [m.content for m in store.messages(chat.id)],
    }
    store.close()
    result["full"] = saved_state(folder)
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    result["freed"] = saved_state(folder)
    store = ChatStore(folder / "data" / "hearth.sqlite3")
    result["add after"] = attempt(lambda: store.add_message(chat.id, "user", "After"))
    store.close()
    return result


def read_only(folder: Path) -> dict[str, Any]:
    mount(folder, "size=8m")
    prepare(folder).close()
    (folder / "config" / "garbage.json").write_text("{not json")
    # Read-only from the start (a locked folder, a read-only stick): remounting a disk with
    # files open for writing is refused, so the app is not running when it turns read-only.
    remount(folder, "ro")
    result = refused_writes(folder)
    remount(folder, "rw")
    result["writable again"] = saved_state(folder)
    return result


def locked(folder: Path) -> dict[str, Any]:
    prepare(folder).close()
    (folder / "config" / "garbage.json").write_text("{not json")
    tree = [folder, *folder.rglob("*")]
    for path in tree:
        path.chmod(0o555 if path.is_dir() else 0o444)
    with permissions_bind():
        result = refused_writes(folder)
    for path in tree:
        path.chmod(0o755 if path.is_dir() else 0o644)
    result["writable again"] = saved_state(folder)
    return result


def refused_writes(folder: Path) -> dict[str, Any]:
    """Saving into a `folder` that cannot be written: what each attempt says, what still loads."""

    def add() -> None:
        store = ChatStore(folder / "data" / "hearth.sqlite3")
        try:
            store.add_message(store.list_chats()[0].id, "user", "Refused")
        finally:
            store.close()

    result: dict[str, Any] = {
        "add": attempt(add),
        "settings": attempt(lambda: save_config(folder / "config" / "settings.json", AFTER)),
        "restart": saved_state(folder),
    }
    garbage = load_config(folder / "config" / "garbage.json")
    result["garbage notice"] = None if garbage.notice is None else str(garbage.notice)
    result["garbage kept"] = (folder / "config" / "garbage.json").read_text()
    return result


SCENARIOS = {"full": full_disk, "read-only": read_only, "file-size-limit": file_size_limit,
             "locked": locked}

if __name__ == "__main__":
    scenario, where = sys.argv[1], Path(sys.argv[2])
    print(json.dumps(SCENARIOS[scenario](where)))
