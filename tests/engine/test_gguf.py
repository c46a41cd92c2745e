"""The GGUF header reader on the real model file and on broken and hostile ones."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from engine.errors import ModelError
from engine.models.gguf import read_header


def test_the_bundled_models_header(bundled_model: Path) -> None:
    header = read_header(bundled_model)
    assert header.architecture == "llama"
    assert header.block_count == 30
    assert header.context_length == 8192
    # llama.cpp reports a 45 MiB f16 KV cache for 2048 tokens of this model.
    assert header.kv_bytes_per_token() == 45 * 1024 * 1024 // 2048
    assert header.metadata["tokenizer.ggml.tokens"] is None, "the vocabulary is skipped"


def _string(text: bytes) -> bytes:
    return struct.pack("<Q", len(text)) + text


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "not a GGUF"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "not a GGUF"),
        (b"GGUF" + struct.pack("<I", 99), "version 99"),
        (b"GGUF" + struct.pack("<IQQ", 3, 1 << 60, 1), "cannot be right"),
        (b"GGUF" + struct.pack("<IQQ", 3, 1, 1 << 40), "cannot be right"),
        (b"GGUF" + struct.pack("<IQQ", 3, 1, 1) + struct.pack("<Q", 1 << 40), "cannot be right"),
        (b"GGUF" + struct.pack("<IQQ", 3, 1, 1) + _string(b"key") + struct.pack("<I", 77),
         "unknown value type"),
        (b"GGUF" + struct.pack("<IQQ", 3, 1, 2) + _string(b"general.name") + struct.pack("<I", 8)
         + _string(b"x"), "past the end"),
    ],
    ids=["empty", "png", "version", "tensors", "keys", "string", "type", "truncated"],
)
def test_broken_headers_are_refused_with_a_reason(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=reason) as raised:
        read_header(path)
    assert "model.gguf" in str(raised.value)


def test_a_truncated_copy_of_the_real_model_is_refused(bundled_model: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.gguf"
    path.write_bytes(bundled_model.read_bytes()[:100_000])
    with pytest.raises(ModelError, match="past the end"):
        read_header(path)
