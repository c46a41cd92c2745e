"""Checks before loading: hostile and broken GGUF files get one plain reason, never a crash, and
a model too big for this computer is refused before llama.cpp sees it, with the numbers."""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Sequence
from pathlib import Path

import pytest

from engine.errors import ModelError, ModelTooBigError
from engine.host.runtime import Runtime
from engine.models import files as models_module
from engine.models.files import check_model_file, inspect_model_file
from engine.models.gguf import read_header
from engine.models.memory import MachineMemory
from engine.settings import RuntimeSettings

GB = 10**9
F32, Q4_0 = 0, 2


def string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def kv_string(key: str, value: str) -> bytes:
    return string(key) + struct.pack("<I", 8) + string(value)


def kv_u32(key: str, value: int) -> bytes:
    return string(key) + struct.pack("<II", 4, value)


Tensor = tuple[str, Sequence[int], int, int]  # name, shape, ggml type, offset


def gguf_bytes(
    metadata: Sequence[bytes] = (),
    tensors: Sequence[Tensor] = (),
    *,
    data: bytes | None = None,
    version: int = 3,
    alignment: int = 32,
) -> bytes:
    """A GGUF file as llama.cpp's gguf writer lays it out: header, metadata, tensor table,
    padding to the alignment, tensor data (zeros for every F32 tensor unless given)."""
    table = b"".join(
        string(name) + struct.pack("<I", len(shape)) + struct.pack(f"<{len(shape)}Q", *shape)
        + struct.pack("<IQ", kind, offset)
        for name, shape, kind, offset in tensors
    )
    head = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(metadata))
    head += b"".join(metadata) + table
    head += bytes(-len(head) % alignment)
    if data is None:
        data = bytes(sum(4 * _count(shape) for _, shape, _, _ in tensors))
    return head + data


def _count(shape: Sequence[int]) -> int:
    total = 1
    for extent in shape:
        total *= extent
    return total


def tiny_model(name: str = "tiny", *, shape: Sequence[int] = (8, 4)) -> bytes:
    """A small but well-formed llama GGUF: one F32 tensor, the keys the library reads."""
    return gguf_bytes(
        [
            kv_string("general.architecture", "llama"),
            kv_string("general.name", name),
            kv_u32("llama.block_count", 2),
            kv_u32("llama.context_length", 4096),
            kv_u32("llama.embedding_length", 8),
            kv_u32("llama.attention.head_count", 2),
            kv_u32("general.file_type", 0),
        ],
        [("token_embd.weight", shape, F32, 0)],
    )


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def refused(path: Path) -> str:
    with pytest.raises(ModelError) as raised:
        check_model_file(path)
    message = str(raised.value)
    assert "\n" not in message and path.name in message
    return message


def test_the_bundled_model_passes_every_check(bundled_model: Path) -> None:
    checked = check_model_file(bundled_model, 2048)
    assert checked.size_bytes == bundled_model.stat().st_size
    assert checked.parts == (bundled_model,)
    assert checked.header.data_end == checked.size_bytes, "every tensor byte is in the file"
    assert len(checked.header.tensors) == checked.header.tensor_count == 272


def test_a_small_well_formed_file_passes(tmp_path: Path) -> None:
    header = inspect_model_file(write(tmp_path, "tiny.gguf", tiny_model())).header
    assert header.parameter_count == 32
    assert header.tensors[0].byte_size == 128


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "is empty"),
        (os.urandom(4096), "is not a GGUF model file"),
        (b"GGUF", "past the end"),
        (b"GGUF" + struct.pack("<I", 1) + bytes(16), "version 1, which llama.cpp no longer reads"),
        (b"GGUF" + struct.pack("<I", 99) + bytes(16), "version 99"),
        (b"GGUF" + struct.pack(">I", 3) + bytes(16), "big-endian"),
        (b"GGUF" + struct.pack("<IQQ", 3, 1 << 60, 0), "1,152,921,504,606,846,976 tensors"),
        (b"GGUF" + struct.pack("<IQQ", 3, 0, 1 << 40), "metadata keys, which cannot be right"),
        (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", 1 << 62),
         "bytes in a string, which cannot be right"),
    ],
    ids=["empty", "random-bytes", "magic-only", "version-1", "version-99", "big-endian",
         "absurd-tensor-count", "absurd-key-count", "absurd-string"],
)
def test_broken_headers_get_one_plain_reason(tmp_path: Path, content: bytes, reason: str) -> None:
    assert reason in refused(write(tmp_path, "model.gguf", content))


@pytest.mark.parametrize(
    ("tensors", "metadata", "reason"),
    [
        ([("w", (4, 4, 4, 4, 4), F32, 0)], [], "5 dimensions"),
        ([("w", (1 << 62, 1 << 62), F32, 0)], [], "elements, which cannot be right"),
        ([("w", (32,), 77, 0)], [], "unknown type 77"),
        ([("w", (33,), Q4_0, 0)], [], "rows of 33 do not fit Q4_0 blocks"),
        ([("w", (8,), F32, 0), ("w", (8,), F32, 32)], [], "same tensor twice"),
        ([("w", (8,), F32, 3)], [], "not aligned"),
        ([("x" * 64, (8,), F32, 0)], [], "64 bytes long"),
        ([("w", (8,), F32, 0)], [kv_u32("general.alignment", 24)], "not a power of two"),
        ([("w", (1 << 40,), F32, 0)], [], "cut short: its tensors need 4,398,046,511,"),
    ],
    ids=["dimensions", "element-overflow", "tensor-type", "block-rows", "duplicate-name",
         "misaligned", "long-name", "alignment", "absurd-size"],
)
def test_hostile_tensor_tables_are_refused(
    tmp_path: Path, tensors: list[Tensor], metadata: list[bytes], reason: str
) -> None:
    content = gguf_bytes(metadata, tensors, data=bytes(64))
    assert reason in refused(write(tmp_path, "hostile.gguf", content))


@pytest.mark.parametrize("fraction", [0.5, 0.99])
def test_a_truncated_copy_of_the_bundled_model_is_refused_with_how_much_is_there(
    bundled_model: Path, tmp_path: Path, fraction: float
) -> None:
    whole = bundled_model.read_bytes()
    kept = int(len(whole) * fraction)
    message = refused(write(tmp_path, "cut.gguf", whole[:kept]))
    assert f"its tensors need {len(whole):,} bytes but it has {kept:,}" in message
    assert f"({kept * 100 // len(whole)}%)" in message
    assert "incomplete download" in message


def test_a_split_model_is_loaded_by_its_first_part_with_every_part_present(
    tmp_path: Path,
) -> None:
    first = write(tmp_path, "tiny-00001-of-00003.gguf", tiny_model())
    second = write(tmp_path, "tiny-00002-of-00003.gguf", tiny_model())
    assert "tiny-00003-of-00003.gguf is missing" in refused(first)
    assert "open the first part, tiny-00001-of-00003.gguf" in refused(second)
    third = write(tmp_path, "tiny-00003-of-00003.gguf", tiny_model())
    checked = check_model_file(first)
    assert checked.parts == (first, second, third)
    assert checked.size_bytes == 3 * first.stat().st_size
    third.write_bytes(tiny_model()[:-64])
    cut_short = "tiny-00003-of-00003.gguf: the file is cut short"
    with pytest.raises(ModelError, match=re.escape(cut_short)):
        check_model_file(first)


def small_machine(total: int, available: int, gpu_free: int | None = None) -> MachineMemory:
    return MachineMemory(total, available, gpu_free, "Stand-in GPU" if gpu_free else None)


def test_a_model_too_big_for_this_computer_is_refused_with_the_numbers(
    bundled_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A machine with less memory than this one is a stand-in for the numbers only.
    monkeypatch.setattr(models_module, "machine_memory", lambda: small_machine(50 * 10**6,
                                                                                  40 * 10**6))
    with pytest.raises(ModelTooBigError) as raised:
        check_model_file(bundled_model)
    assert str(raised.value) == (
        "SmolLM2-135M-Instruct.Q4_1.gguf: Too big for this computer: needs 98.4 MB of weights, "
        "but it has 50.0 MB of memory in all."
    )


def test_a_long_context_that_does_not_fit_the_free_memory_is_refused(
    bundled_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models_module, "machine_memory", lambda: small_machine(GB, 600 * 10**6))
    check_model_file(bundled_model, 2048)  # 98 + 47 + 330 + 83 MB
    with pytest.raises(ModelTooBigError) as raised:
        check_model_file(bundled_model, 8192)
    assert str(raised.value) == (
        "SmolLM2-135M-Instruct.Q4_1.gguf: Not enough free memory now: needs 824.0 MB: 98.4 MB "
        "weights + 188.7 MB context cache for 8,192 tokens + 454.0 MB working memory + 82.8 MB "
        "for the engine itself, but only 600.0 MB is free. Close other programs, or choose a "
        "shorter context or a smaller model."
    )
    # The memory the model loaded now gives back counts as free.
    check_model_file(bundled_model, 8192, freed_bytes=300 * 10**6)


def test_free_gpu_memory_counts_when_a_gpu_backend_exists(
    bundled_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This machine has no GPU: a stand-in device's free memory feeds only the arithmetic.
    monkeypatch.setattr(models_module, "machine_memory",
                        lambda: small_machine(GB, 100 * 10**6, gpu_free=2 * 1024**3))
    check_model_file(bundled_model, 8192)


def test_the_runtime_refuses_a_model_too_big_before_loading_it(
    bundled_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(models_module, "machine_memory", lambda: small_machine(10**6, 10**6))
    runtime = Runtime()
    with pytest.raises(ModelTooBigError, match="Too big for this computer"):
        runtime.load(bundled_model, RuntimeSettings(n_ctx=512), n_threads=1)
    assert runtime.loaded is None


def test_the_header_reader_keeps_the_tensor_table(bundled_model: Path) -> None:
    header = read_header(bundled_model)
    embedding = next(t for t in header.tensors if t.name == "token_embd.weight")
    assert embedding.shape == (576, 49152)
    assert header.vocab_size == 49152
    assert header.parameter_count == 134_515_008
    assert header.quantization == "Q4_1"
