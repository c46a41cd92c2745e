"""Chat export and atomic file writing, on real files."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest

from engine.chat.export import chat_to_json, chat_to_markdown, code_blocks, write_text_atomically
from engine.chat.store import ChatRecord, ChatStore, MessageRecord
from engine.errors import StoreError
from tests.permissions import permissions_bind

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


def chat(title: str = "Bread", **changes: object) -> ChatRecord:
    fields: dict[str, object] = {
        "id": 1,
        "title": title,
        "created_at": T0,
        "updated_at": T0 + 60,
        "settings": {"temperature": 0.7},
        "model": "qwen2.5-3b-instruct-q4_k_m.gguf",
        "context_start_id": None,
    }
    fields.update(changes)
    return ChatRecord(**fields)  # type: ignore[arg-type]


def message(n: int, role: str, content: str, status: str = "done") -> MessageRecord:
    return MessageRecord(
        id=n,
        chat_id=1,
        role=role,  # type: ignore[arg-type]
        content=content,
        created_at=T0 + n,
        status=status,  # type: ignore[arg-type]
        n_tokens=None,
        tokens_per_s=None,
    )


CONVERSATION = [
    message(1, "system", "Be brief."),
    message(2, "user", "How long to bake *sourdough*?"),
    message(3, "assistant", "About **40 minutes** at 230 °C.\n\n- Steam first\n- Then dry\n"),
    message(4, "user", "And rye? 🍞"),
    message(5, "assistant", "Rye needs lon", status="stopped"),
]


def test_markdown_export() -> None:
    assert chat_to_markdown(chat(), CONVERSATION) == (
        "# Bread\n\n"
        "### System\n\nBe brief.\n\n"
        "### You\n\nHow long to bake *sourdough*?\n\n"
        "### Assistant\n\nAbout **40 minutes** at 230 °C.\n\n- Steam first\n- Then dry\n\n"
        "### You\n\nAnd rye? 🍞\n\n"
        "### Assistant\n\nRye needs lon\n\n*(stopped)*\n"
    )


def test_markdown_closes_a_code_block_cut_off_by_stop() -> None:
    reply = message(2, "assistant", "Here:\n\n```python\nfor i in range(", status="stopped")
    text = chat_to_markdown(chat(), [message(1, "user", "loop?"), reply])
    assert text.endswith("```python\nfor i in range(\n```\n\n*(stopped)*\n")

    closed = message(2, "assistant", "```\ncode\n```\nAfter ```inline``` text")
    assert chat_to_markdown(chat(), [closed]).endswith("```\ncode\n```\nAfter ```inline``` text\n")


def test_markdown_of_an_untitled_empty_chat() -> None:
    assert chat_to_markdown(chat(""), []) == "# New chat\n"
    empty_stop = message(1, "assistant", "", status="stopped")
    assert chat_to_markdown(chat(), [empty_stop]) == "# Bread\n\n### Assistant\n\n*(stopped)*\n"


def test_json_export_round_trips() -> None:
    text = chat_to_json(chat("Pão 🍞"), CONVERSATION)
    assert "Pão 🍞" in text  # not \u-escaped
    assert '\n  "format": "hearth-chat"' in text  # indent=2

    document = json.loads(text)
    assert document["format"] == "hearth-chat"
    assert document["version"] == 1
    assert document["title"] == "Pão 🍞"
    assert document["created_at"] == "2023-11-14T22:13:20+00:00"
    assert datetime.fromisoformat(document["created_at"]).timestamp() == T0
    assert document["model"] == "qwen2.5-3b-instruct-q4_k_m.gguf"
    assert document["settings"] == {"temperature": 0.7}
    assert document["messages"][4] == {
        "role": "assistant",
        "content": "Rye needs lon",
        "created_at": "2023-11-14T22:13:25+00:00",
        "status": "stopped",
    }
    assert [(m["role"], m["content"]) for m in document["messages"]] == [
        (m.role, m.content) for m in CONVERSATION
    ]


def test_export_of_a_stored_chat(tmp_path: Path) -> None:
    store = ChatStore(tmp_path / "hearth.sqlite3")
    try:
        stored = store.create_chat()
        store.add_message(stored.id, "user", "Name three rivers")
        store.add_message(stored.id, "assistant", "Tagus, Douro, Minho")
        stored = store.get_chat(stored.id)
        markdown = chat_to_markdown(stored, store.messages(stored.id))
        document = json.loads(chat_to_json(stored, store.messages(stored.id)))
    finally:
        store.close()
    assert markdown == (
        "# Name three rivers\n\n### You\n\nName three rivers\n\n"
        "### Assistant\n\nTagus, Douro, Minho\n"
    )
    assert document["title"] == "Name three rivers"
    assert document["model"] is None


def test_write_text_atomically_writes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "chat.md"
    write_text_atomically(target, "first ünïcode 🙂\n")
    assert target.read_text(encoding="utf-8") == "first ünïcode 🙂\n"
    write_text_atomically(target, "second\nline\n")
    assert target.read_bytes() == b"second\nline\n"  # no \r\n on any platform
    assert os.listdir(tmp_path) == ["chat.md"]


def test_write_text_atomically_keeps_a_readable_mode(tmp_path: Path) -> None:
    target = tmp_path / "chat.json"
    write_text_atomically(target, "{}")
    if os.name == "posix":
        assert target.stat().st_mode & 0o777 == 0o644


def test_failed_write_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "chat.md"
    target.mkdir()  # a folder where the file should go: os.replace must fail
    with pytest.raises(StoreError, match="Could not write") as caught:
        write_text_atomically(target, "text")
    assert str(target) in str(caught.value)
    assert os.listdir(tmp_path) == ["chat.md"]
    assert os.listdir(target) == []

    with pytest.raises(StoreError):
        write_text_atomically(tmp_path / "missing" / "chat.md", "text")
    assert sorted(os.listdir(tmp_path)) == ["chat.md"]


@pytest.mark.skipif(os.name != "posix", reason="folder modes are POSIX")
def test_read_only_folder_keeps_the_old_file(tmp_path: Path) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    target = folder / "chat.md"
    target.write_text("old contents", encoding="utf-8")
    folder.chmod(0o500)
    try:
        with permissions_bind(), pytest.raises(StoreError, match="Could not write"):
            write_text_atomically(target, "new contents")
        assert target.read_text(encoding="utf-8") == "old contents"
        assert os.listdir(folder) == ["chat.md"]
    finally:
        folder.chmod(0o700)


def test_code_blocks_are_read_as_commonmark_fences() -> None:
    """What Ctrl+Shift+C copies: ``` and ~~~ fences, a fence in a list item without its
    indentation, a longer fence closed only by one as long, one left open to the end."""
    markdown = (
        "Intro\n```python\na = 1\n```\n~~~\nb\n~~~\n1. item\n\n   ```sh\n   ls -l\n"
        "     indented\n   ```\n```` md\n```\nstill code\n````\nText\n```\nopen"
    )
    assert code_blocks(markdown) == ["a = 1", "b", "ls -l\n  indented", "```\nstill code",
                                     "open"]
    assert code_blocks("no code here ``inline``") == []
    # inside list items and quotes, as the chat view draws them
    assert code_blocks("- ```python\n  print(1)\n  ```\n- next item") == ["print(1)"]
    assert code_blocks("10. Run:\n\n    ```bash\n    make\n    ```") == ["make"]
    assert code_blocks("> ```\n> code\n>   more\n> ```") == ["code\n  more"]
