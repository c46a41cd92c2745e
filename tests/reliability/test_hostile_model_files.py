"""Broken and hostile model files through the real load path: each gets a clear message.

Raw forged headers (absurd counts, huge string lengths, wrong versions, cut files) go through
Runtime.load with a model already loaded: each is refused with a one-line ModelError that names
the file, quickly, and the loaded model stays. Header values that only llama.cpp reads (layer
counts, epsilons, experts) run in a child process, since a native assert aborts the process.
"""

from __future__ import annotations

import random
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.chat.prompt import ChatMessage
from engine.errors import ModelError
from engine.host.runtime import GenerationDone, GenerationRequest, Runtime
from engine.models.gguf import read_header
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from tests.gguf_forge import (
    TensorInfo,
    Value,
    ValueType,
    copy_with_metadata,
    header_bytes,
    read_layout,
    string_bytes,
)
from tests.reliability.load_child import LoadChild

NAME = Value.string("forged")
F32_TENSOR = TensorInfo(b"token_embd.weight", (32, 4), 0, 0)  # 512 bytes of F32 data


def with_data(header: bytes, size: int = 512, alignment: int = 32) -> bytes:
    padding = -len(header) % alignment
    return header + bytes(padding + size)


def cut(fraction: float) -> Callable[[bytes], bytes]:
    return lambda whole: whole[: int(len(whole) * fraction)]


# name -> (file content, or a function of the bundled model's bytes; what the message says)
FORGED: dict[str, tuple[bytes | Callable[[bytes], bytes], str]] = {
    "empty": (b"", "is empty"),
    "random bytes": (random.Random(7).randbytes(1 << 16), "not a GGUF"),
    "random after the magic": (b"GGUF" + random.Random(8).randbytes(1 << 16), "."),
    "version 99": (header_bytes([("general.name", NAME)], version=99), "version 99"),
    "version 1": (header_bytes([("general.name", NAME)], version=1), "version 1"),
    "big-endian": (b"GGUF" + struct.pack(">IQQ", 3, 0, 0), "big-endian"),
    "absurd tensor count": (with_data(header_bytes([], tensor_count=1 << 60)), "cannot be right"),
    "absurd key count": (with_data(header_bytes([], key_count=1 << 40)), "cannot be right"),
    "huge key length": (b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + string_bytes(b"k", 1 << 62),
                        "cannot be right"),
    "huge string value": (with_data(header_bytes([("general.name", Value(
        ValueType.STRING, string_bytes(b"x", 1 << 40)))])), "cannot be right"),
    "huge array": (with_data(header_bytes([("tokenizer.ggml.tokens", Value(
        ValueType.ARRAY, struct.pack("<IQ", ValueType.STRING, 1 << 50)))])), "cannot be right"),
    "nested arrays": (with_data(header_bytes([("x", Value(
        ValueType.ARRAY, struct.pack("<IQ", ValueType.ARRAY, 1)))])), "unknown array item"),
    "unknown value type": (with_data(header_bytes([("x", Value(77, b""))])),  # type: ignore[arg-type]
                           "unknown value type"),
    "alignment 0": (with_data(header_bytes([("general.alignment", Value.uint32(0))],
                                           [F32_TENSOR])), "power of two"),
    "alignment 48": (with_data(header_bytes([("general.alignment", Value.uint32(48))],
                                            [F32_TENSOR]), alignment=48), "power of two"),
    "absurd tensor shape": (
        with_data(header_bytes([], [TensorInfo(b"t", (1 << 62, 1 << 62), 0, 0)])),
        "cannot be right"),
    "tensor past the end": (with_data(header_bytes([], [TensorInfo(b"t", (1 << 20,), 0, 0)])),
                            "cut short"),
    "misaligned tensor": (with_data(header_bytes([], [TensorInfo(b"t", (8,), 0, 3)])),
                          "not aligned"),
    "unknown tensor type": (with_data(header_bytes([], [TensorInfo(b"t", (8,), 99, 0)])),
                            "unknown type"),
    "same tensor twice": (with_data(header_bytes([], [F32_TENSOR, F32_TENSOR])), "twice"),
    "five dimensions": (with_data(header_bytes([], [TensorInfo(b"t", (1,) * 5, 0, 0)])),
                        "dimensions"),
    "cut in the header": (cut(0.005), "past the end"),
    "cut in the tensor data": (cut(0.5), "cut short"),
    "cut just before the end": (lambda whole: whole[:-1], "cut short"),
}


@pytest.fixture(scope="module")
def bundled_bytes(bundled_model: Path) -> bytes:
    return bundled_model.read_bytes()


@pytest.fixture(scope="module")
def own_runtime(bundled_model: Path) -> Iterator[Runtime]:
    runtime = Runtime()
    runtime.load(bundled_model, RuntimeSettings(n_ctx=512), n_threads=1)
    yield runtime
    runtime.close()


@pytest.mark.parametrize("name", list(FORGED))
def test_a_forged_model_file_is_refused_plainly_and_the_loaded_model_stays(
    name: str, bundled_bytes: bytes, own_runtime: Runtime, bundled_model: Path, tmp_path: Path
) -> None:
    content, reason = FORGED[name]
    path = tmp_path / f"{name.replace(' ', '-')}.gguf"
    path.write_bytes(content(bundled_bytes) if callable(content) else content)
    started = time.monotonic()
    with pytest.raises(ModelError, match=reason) as refused:
        own_runtime.load(path, RuntimeSettings(n_ctx=512), n_threads=1)
    assert time.monotonic() - started < 5
    message = str(refused.value)
    assert path.name in message and "\n" not in message, message
    loaded = own_runtime.loaded
    assert loaded is not None and loaded.path == bundled_model


@pytest.fixture(scope="module")
def loader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadChild]:
    child = LoadChild(tmp_path_factory.mktemp("load") / "llama.log")
    yield child
    child.close()


def u32(number: int) -> Value:
    return Value.uint32(number)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"llama.attention.head_count": u32(0)}, id="no attention heads"),
        pytest.param({"general.architecture": Value.string("nonsense")}, id="unknown arch"),
        pytest.param({"llama.attention.head_count": u32(10**9)}, id="a billion heads"),
        pytest.param({"llama.block_count": u32(0)}, id="no layers"),
        pytest.param({"llama.attention.layer_norm_rms_epsilon":
                      Value.scalar(ValueType.FLOAT32, -1.0)}, id="negative epsilon"),
        pytest.param({"llama.expert_count": u32(2), "llama.expert_used_count": u32(9)},
                     id="more experts used than exist"),
        pytest.param({"llama.context_length": u32(2**31)}, id="context 2**31"),
    ],
)
def test_hostile_header_values_are_refused_without_killing_the_process(
    changes: dict[str, Value], bundled_model: Path, tmp_path: Path, loader: LoadChild
) -> None:
    path = copy_with_metadata(bundled_model, tmp_path / "hyper.gguf", changes)
    output = loader.load(path)  # a death fails here, with the exit code and llama.cpp's log
    assert output.startswith("refused: ") and "hyper.gguf" in output, output


def sparse_file(path: Path, header: bytes, size: int) -> Path:
    with path.open("wb") as handle:
        handle.write(header)
        handle.truncate(size)  # a hole: costs no disk, reads as zeros
    return path


@pytest.mark.parametrize(
    ("header", "size"),
    [
        pytest.param(header_bytes([("tokenizer.ggml.tokens", Value(
            ValueType.ARRAY, struct.pack("<IQ", ValueType.STRING, 20_000_000)))]), 160_000_000,
            id="20 million empty strings"),
        pytest.param(header_bytes([], tensor_count=400_000), 16_000_000,
                     id="400,000 tensors of zeros"),
        pytest.param(header_bytes([], key_count=1_000_000), 16_000_000,
                     id="a million empty keys"),
    ],
)
def test_a_header_of_zeros_is_refused_as_fast_as_a_real_header_is_read(
    header: bytes, size: int, bundled_model: Path, tmp_path: Path
) -> None:
    started = time.monotonic()
    read_header(bundled_model)  # 49,152 tokens and as many merges
    real = time.monotonic() - started
    path = sparse_file(tmp_path / "zeros.gguf", header, size)
    started = time.monotonic()
    with pytest.raises(ModelError):
        read_header(path)
    assert time.monotonic() - started < max(1.0, 5 * real)


def test_the_forge_copies_a_model_exactly_and_at_another_alignment(
    bundled_model: Path, own_runtime: Runtime, tmp_path: Path
) -> None:
    same = copy_with_metadata(bundled_model, tmp_path / "same.gguf", {})
    assert same.read_bytes() == bundled_model.read_bytes()

    moved = copy_with_metadata(bundled_model, tmp_path / "aligned64.gguf",
                               {"general.alignment": Value.uint32(64), "general.name": None})
    layout = read_layout(moved)
    assert layout.alignment == 64 and "general.name" not in layout.metadata
    assert all(tensor.offset % 64 == 0 for tensor in layout.tensors)
    assert read_header(moved).data_offset % 64 == 0
    fresh = Runtime()
    try:
        fresh.load(moved, RuntimeSettings(n_ctx=512), n_threads=1)
        # Same weights, so greedy decoding gives the same words.
        request = GenerationRequest(
            (ChatMessage("user", "Name three colours."),),
            ChatSettings(sampling=SamplingSettings(max_tokens=12, temperature=0.0)),
        )
        texts = []
        for runtime in (fresh, own_runtime):
            done = list(runtime.stream(request, threading.Event()))[-1]
            assert isinstance(done, GenerationDone)
            texts.append(done.text)
        assert texts[0] == texts[1] and texts[0]
    finally:
        fresh.close()
