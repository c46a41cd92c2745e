"""Property tests for the GGUF header reader: any bytes give a header or a ModelError, quickly.

Three sources: arbitrary bytes (with and without a GGUF start), small well-formed files the
forge writes from generated metadata and tensors (read back exactly, then mutated), and the
bundled model's real header mutated in place (the tensor data is a sparse hole, so each example
costs only the header). Budgets are fixed per test, derandomized, with no example database.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.errors import HearthError
from engine.models.gguf import GgufHeader, read_header
from tests.gguf_forge import TensorInfo, Value, ValueType, header_bytes, read_layout, string_bytes

_WORDS = re.compile(r"\d[\d,]*")  # numbers vary; the kind of refusal is what to count


def fuzz(examples: int, seconds: float) -> settings:
    return settings(
        max_examples=examples,
        deadline=timedelta(seconds=seconds),
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                               HealthCheck.data_too_large],
    )


def read_or_refuse(path: Path, content: bytes) -> GgufHeader | None:
    path.write_bytes(content)
    return read_header_or_none(path)


def read_header_or_none(path: Path) -> GgufHeader | None:
    try:
        header = read_header(path)
    except HearthError as error:  # ModelError and its kind: the only way to say no
        event(f"refused: {_WORDS.sub('N', str(error).removeprefix(f'{path.name}: '))[:40]}")
        return None
    event("read")
    return header


@fuzz(400, 2)
@given(prefix=st.sampled_from([b"", b"GGUF", b"GGUF\x03\x00\x00\x00", b"GGUF\x02\x00\x00\x00"]),
       rest=st.binary(max_size=4000))
def test_arbitrary_bytes_are_read_or_refused(prefix: bytes, rest: bytes, tmp_path: Path) -> None:
    read_or_refuse(tmp_path / "any.gguf", prefix + rest)


_SCALARS = {
    ValueType.UINT8: st.integers(0, 255), ValueType.INT8: st.integers(-128, 127),
    ValueType.UINT16: st.integers(0, 2**16 - 1), ValueType.INT16: st.integers(-(2**15), 2**15 - 1),
    ValueType.UINT32: st.integers(0, 2**32 - 1), ValueType.INT32: st.integers(-(2**31), 2**31 - 1),
    ValueType.UINT64: st.integers(0, 2**64 - 1), ValueType.INT64: st.integers(-(2**63), 2**63 - 1),
    ValueType.FLOAT32: st.floats(width=32, allow_nan=False), ValueType.FLOAT64: st.floats(
        allow_nan=False), ValueType.BOOL: st.booleans(),
}
_FORMATS = {ValueType.UINT8: "<B", ValueType.INT8: "<b", ValueType.UINT16: "<H",
            ValueType.INT16: "<h", ValueType.UINT32: "<I", ValueType.INT32: "<i",
            ValueType.UINT64: "<Q", ValueType.INT64: "<q", ValueType.FLOAT32: "<f",
            ValueType.FLOAT64: "<d", ValueType.BOOL: "<?"}


@st.composite
def metadata_values(draw: st.DrawFn) -> tuple[Value, object]:
    """A value as the forge writes it, and as the reader should give it back."""
    kind = draw(st.sampled_from([*_SCALARS, ValueType.STRING, ValueType.ARRAY]))
    if kind == ValueType.STRING:
        text = draw(st.text(max_size=40))
        return Value.string(text), text
    if kind == ValueType.ARRAY:
        item = draw(st.sampled_from([*_SCALARS, ValueType.STRING]))
        if item == ValueType.STRING:
            texts = draw(st.lists(st.text(max_size=8), max_size=70))
            items = [string_bytes(text) for text in texts]
            expected: object = texts
        else:
            numbers = draw(st.lists(_SCALARS[item], max_size=70))
            items = [struct.pack(_FORMATS[item], n) for n in numbers]
            expected = [struct.unpack(_FORMATS[item], b)[0] for b in items]
        return Value.array(item, items), expected if len(items) <= 64 else None
    number = draw(_SCALARS[kind])
    packed = struct.pack(_FORMATS[kind], number)
    return Value(kind, packed), struct.unpack(_FORMATS[kind], packed)[0]


# ggml type -> (elements per block, bytes per block), a few common ones.
_TENSOR_TYPES = {0: (1, 4), 1: (1, 2), 2: (32, 18), 8: (32, 34), 12: (256, 144)}


@dataclass(frozen=True)
class SmallModel:
    content: bytes
    metadata: dict[str, object]
    tensors: list[TensorInfo]


@st.composite
def small_models(draw: st.DrawFn) -> SmallModel:
    pairs = draw(st.dictionaries(st.text(min_size=1, max_size=24).filter(
        lambda key: key != "general.alignment"), metadata_values(), max_size=8))
    alignment = draw(st.sampled_from([None, 8, 32, 64]))
    metadata = [(key, value) for key, (value, _) in pairs.items()]
    if alignment is not None:
        metadata.append(("general.alignment", Value.uint32(alignment)))
    names = draw(st.lists(st.text(min_size=1, max_size=20).filter(
        lambda name: len(name.encode()) <= 63), unique=True, max_size=5))
    tensors, at = [], 0
    for name in names:
        type_id = draw(st.sampled_from(list(_TENSOR_TYPES)))
        block, block_bytes = _TENSOR_TYPES[type_id]
        shape = (block * draw(st.integers(1, 4)), *draw(st.lists(st.integers(1, 3), max_size=3)))
        tensors.append(TensorInfo(name.encode(), shape, type_id, at))
        size = math.prod(shape) // block * block_bytes
        at = -(-(at + size) // (alignment or 32)) * (alignment or 32)
    header = header_bytes(metadata, tensors)
    padding = -len(header) % (alignment or 32)
    expected = {key: decoded for key, (_, decoded) in pairs.items()}
    if alignment is not None:
        expected["general.alignment"] = alignment
    return SmallModel(header + bytes(padding + at), expected, tensors)


@fuzz(300, 2)
@given(model=small_models())
def test_a_well_formed_file_reads_back_as_written(model: SmallModel, tmp_path: Path) -> None:
    header = read_or_refuse(tmp_path / "small.gguf", model.content)
    assert header is not None, "a well-formed file was refused"
    assert header.metadata == model.metadata
    assert [(t.name.encode(), t.shape, t.type_id, t.offset) for t in header.tensors] == [
        (t.name, t.shape, t.type_id, t.offset) for t in model.tensors
    ]


@st.composite
def mutations(draw: st.DrawFn, content: bytes) -> bytes:
    data = bytearray(content)
    for _ in range(draw(st.integers(1, 8))):
        action = draw(st.sampled_from(["flip", "set", "insert", "delete", "cut", "count"]))
        start = min(4, len(data))  # past the magic: the arbitrary-bytes test covers that
        where = draw(st.integers(start, max(len(data) - 1, start)))
        if action == "flip" and where < len(data):
            data[where] ^= 1 << draw(st.integers(0, 7))
        elif action == "set" and where < len(data):
            data[where] = draw(st.integers(0, 255))
        elif action == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[where : where + draw(st.integers(1, 16))]
        elif action == "cut":
            del data[where:]
        elif action == "count":  # a plausible-looking lie where a count or length may be
            data[where : where + 8] = struct.pack("<Q", draw(st.sampled_from(
                [0, 1, 2**31, 2**32 - 1, 2**63, 2**64 - 1, len(data), len(data) * 8])))
    return bytes(data)


@fuzz(400, 2)
@given(data=st.data())
def test_a_mutated_small_file_is_read_or_refused(data: st.DataObject, tmp_path: Path) -> None:
    model = data.draw(small_models())
    read_or_refuse(tmp_path / "mutated.gguf", data.draw(mutations(model.content)))


@pytest.fixture(scope="module")
def real_header(bundled_model: Path) -> tuple[bytes, int]:
    """The bundled model's header bytes and its file size."""
    layout = read_layout(bundled_model)
    with bundled_model.open("rb") as handle:
        return handle.read(layout.data_offset), layout.file_size


@fuzz(60, 5)
@given(data=st.data())
def test_the_real_header_mutated_is_read_or_refused(
    data: st.DataObject, real_header: tuple[bytes, int], tmp_path: Path
) -> None:
    header, size = real_header
    # Most of the header is the vocabulary; mutate its start (counts, keys, the first strings)
    # more often than the rest.
    region = data.draw(st.sampled_from([4096, len(header)]))
    mutated = data.draw(mutations(header[:region])) + header[region:]
    path = tmp_path / "real.gguf"
    with path.open("wb") as handle:
        handle.write(mutated)
        handle.truncate(max(size, len(mutated)))  # the tensor data: a hole of zeros
    read_header_or_none(path)
