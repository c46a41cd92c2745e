"""Writes GGUF files for tests: real models with changed metadata, and forged headers.

A copy re-serializes the header's key-value section with the changes, keeps the tensor table and
copies the tensor data, each tensor at an offset aligned to `general.alignment` (default 32).
Unchanged values travel as the exact bytes they had, so a copy without changes is the same file.

The forged-header helpers write whatever they are told, lies included (counts, lengths,
versions), to show how a reader copes with files made to break it.

Format: magic `GGUF`, u32 version, u64 tensor count, u64 key count, the keys (string, u32 type,
value), the tensor infos (string name, u32 dims, u64 extents, u32 type, u64 offset), padding to
the alignment, then the tensor data. Everything is little-endian.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import BinaryIO

MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32


class ValueType(IntEnum):
    UINT8 = 0
    INT8 = 1
    UINT16 = 2
    INT16 = 3
    UINT32 = 4
    INT32 = 5
    FLOAT32 = 6
    BOOL = 7
    STRING = 8
    ARRAY = 9
    UINT64 = 10
    INT64 = 11
    FLOAT64 = 12


_SCALAR_FORMATS = {
    ValueType.UINT8: "<B", ValueType.INT8: "<b", ValueType.UINT16: "<H", ValueType.INT16: "<h",
    ValueType.UINT32: "<I", ValueType.INT32: "<i", ValueType.FLOAT32: "<f", ValueType.BOOL: "<?",
    ValueType.UINT64: "<Q", ValueType.INT64: "<q", ValueType.FLOAT64: "<d",
}


def string_bytes(text: str | bytes, claimed_length: int | None = None) -> bytes:
    """A GGUF string: u64 length and bytes; `claimed_length` lies about the length."""
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(data) if claimed_length is None else claimed_length) + data


@dataclass(frozen=True)
class Value:
    """One metadata value: its type and its bytes as they sit in the file after the type."""

    type: ValueType
    raw: bytes

    @classmethod
    def string(cls, text: str | bytes) -> Value:
        return cls(ValueType.STRING, string_bytes(text))

    @classmethod
    def scalar(cls, kind: ValueType, number: float) -> Value:
        return cls(kind, struct.pack(_SCALAR_FORMATS[kind], number))

    @classmethod
    def uint32(cls, number: int) -> Value:
        return cls.scalar(ValueType.UINT32, number)

    @classmethod
    def array(cls, item_type: ValueType, items: Iterable[bytes], claimed_count: int | None = None
              ) -> Value:
        """An array of already-encoded items (`string_bytes(...)`, `struct.pack(...)`)."""
        encoded = list(items)
        count = len(encoded) if claimed_count is None else claimed_count
        return cls(ValueType.ARRAY, struct.pack("<IQ", item_type, count) + b"".join(encoded))

    def decoded(self) -> object:
        """The value as Python sees it (strings and scalars; arrays stay raw)."""
        if self.type == ValueType.STRING:
            return self.raw[8:].decode("utf-8", "replace")
        if self.type in _SCALAR_FORMATS:
            return struct.unpack(_SCALAR_FORMATS[self.type], self.raw)[0]
        return self.raw


@dataclass(frozen=True)
class TensorInfo:
    name: bytes
    shape: tuple[int, ...]
    type_id: int
    offset: int  # from the start of the data section

    def encoded(self) -> bytes:
        return (
            string_bytes(self.name)
            + struct.pack("<I", len(self.shape))
            + b"".join(struct.pack("<Q", extent) for extent in self.shape)
            + struct.pack("<IQ", self.type_id, self.offset)
        )


@dataclass
class GgufLayout:
    """A parsed GGUF file: what a copy needs to write it again."""

    version: int
    metadata: dict[str, Value]
    tensors: list[TensorInfo] = field(default_factory=list)
    data_offset: int = 0
    file_size: int = 0

    @property
    def alignment(self) -> int:
        value = self.metadata.get("general.alignment")
        if value is None:
            return DEFAULT_ALIGNMENT
        decoded = value.decoded()
        assert isinstance(decoded, int)
        return decoded


class _Cursor:
    def __init__(self, data: mmap.mmap) -> None:
        self.data, self.at = data, 0

    def unpack(self, fmt: str) -> int:
        value: int = struct.unpack_from(fmt, self.data, self.at)[0]
        self.at += struct.calcsize(fmt)
        return value

    def take(self, count: int) -> bytes:
        chunk = self.data[self.at : self.at + count]
        if len(chunk) != count:
            raise ValueError("the file ends inside its header")
        self.at += count
        return chunk

    def string(self) -> bytes:
        return self.take(self.unpack("<Q"))

    def skip_value(self, kind: int) -> None:
        if kind in _SCALAR_FORMATS:
            self.at += struct.calcsize(_SCALAR_FORMATS[ValueType(kind)])
        elif kind == ValueType.STRING:
            length = self.unpack("<Q")  # first: `self.at += self.unpack(...)` loses its move
            self.at += length
        elif kind == ValueType.ARRAY:
            item_kind, count = self.unpack("<I"), self.unpack("<Q")
            if item_kind in _SCALAR_FORMATS:
                self.at += struct.calcsize(_SCALAR_FORMATS[ValueType(item_kind)]) * count
            else:
                for _ in range(count):
                    self.skip_value(item_kind)
        else:
            raise ValueError(f"unknown value type {kind}")


def read_layout(path: Path) -> GgufLayout:
    """Parses a well-formed GGUF file (this is a test tool: it trusts the file)."""
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        cursor = _Cursor(data)
        if cursor.take(4) != MAGIC:
            raise ValueError(f"{path} is not a GGUF file")
        version = cursor.unpack("<I")
        tensor_count, key_count = cursor.unpack("<Q"), cursor.unpack("<Q")
        metadata: dict[str, Value] = {}
        for _ in range(key_count):
            key = cursor.string().decode()
            kind = ValueType(cursor.unpack("<I"))
            start = cursor.at
            cursor.skip_value(kind)
            metadata[key] = Value(kind, data[start : cursor.at])
        tensors = []
        for _ in range(tensor_count):
            name = cursor.string()
            dims = cursor.unpack("<I")
            shape = tuple(cursor.unpack("<Q") for _ in range(dims))
            tensors.append(TensorInfo(name, shape, cursor.unpack("<I"), cursor.unpack("<Q")))
        layout = GgufLayout(version, metadata, tensors, file_size=len(data))
        layout.data_offset = _aligned(cursor.at, layout.alignment)
        return layout


def header_bytes(
    metadata: Iterable[tuple[str | bytes, Value]],
    tensors: Iterable[TensorInfo] = (),
    *,
    version: int = 3,
    tensor_count: int | None = None,
    key_count: int | None = None,
    magic: bytes = MAGIC,
) -> bytes:
    """A header as given; the counts default to the truth and can be set to lie."""
    pairs, infos = list(metadata), list(tensors)
    body = b"".join(string_bytes(key) + struct.pack("<I", value.type) + value.raw
                    for key, value in pairs)
    return (
        magic
        + struct.pack("<IQQ", version,
                      len(infos) if tensor_count is None else tensor_count,
                      len(pairs) if key_count is None else key_count)
        + body
        + b"".join(info.encoded() for info in infos)
    )


def copy_with_metadata(source: Path, target: Path, changes: Mapping[str, Value | None]) -> Path:
    """Writes `source` to `target` with metadata keys set (or removed, for None).

    New keys go at the end; tensor data is laid out again at the (possibly new) alignment.
    """
    layout = read_layout(source)
    metadata = dict(layout.metadata)
    for key, value in changes.items():
        if value is None:
            metadata.pop(key, None)
        else:
            metadata[key] = value
    alignment = GgufLayout(layout.version, metadata).alignment
    by_offset = sorted(layout.tensors, key=lambda tensor: tensor.offset)
    data_size = layout.file_size - layout.data_offset
    # A tensor's bytes run to the next tensor's start (its own padding included).
    spans = [
        (tensor, (by_offset[i + 1].offset if i + 1 < len(by_offset) else data_size) - tensor.offset)
        for i, tensor in enumerate(by_offset)
    ]
    placed: dict[bytes, int] = {}
    at = 0
    for tensor, length in spans:
        placed[tensor.name] = at
        at = _aligned(at + length, alignment)
    tensors = [
        TensorInfo(t.name, t.shape, t.type_id, placed[t.name]) for t in layout.tensors
    ]
    header = header_bytes(metadata.items(), tensors, version=layout.version)
    with source.open("rb") as reader, target.open("wb") as writer:
        writer.write(header + bytes(_aligned(len(header), alignment) - len(header)))
        data_start = writer.tell()
        for tensor, length in spans:
            writer.write(bytes(data_start + placed[tensor.name] - writer.tell()))
            reader.seek(layout.data_offset + tensor.offset)
            _copy(reader, writer, length)
    return target


def _copy(reader: BinaryIO, writer: BinaryIO, length: int) -> None:
    left = length
    while left:
        chunk = reader.read(min(left, 1 << 22))
        if not chunk:
            raise ValueError("the source file ends inside its tensor data")
        writer.write(chunk)
        left -= len(chunk)


def _aligned(offset: int, alignment: int) -> int:
    return -(-offset // alignment) * alignment

