"""Reading a GGUF file's header (its metadata) without loading the model.

Model files come from strangers, so every count and length is checked against the file's size
before it is trusted; anything malformed raises ModelError with the reason.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ModelError

MAGIC = b"GGUF"
MAX_KEYS = 1_000_000
MAX_STRING = 64 * 1024 * 1024
SMALL_ARRAY = 64  # longer arrays (the vocabulary) are skipped, not kept

_SCALARS = {  # GGUF value type -> struct format
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q",
    12: "<d",
}
_STRING, _ARRAY = 8, 9

Value = int | float | bool | str | list["Value"] | None


@dataclass(frozen=True)
class GgufHeader:
    version: int
    tensor_count: int
    metadata: dict[str, Value]

    @property
    def architecture(self) -> str:
        value = self.metadata.get("general.architecture")
        return value if isinstance(value, str) else "unknown"

    def arch_int(self, name: str) -> int | None:
        value = self.metadata.get(f"{self.architecture}.{name}")
        if isinstance(value, list):  # per-layer values: the largest bounds the memory
            value = max((v for v in value if isinstance(v, int)), default=None)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    @property
    def block_count(self) -> int | None:
        return self.arch_int("block_count")

    @property
    def context_length(self) -> int | None:
        return self.arch_int("context_length")

    def kv_bytes_per_token(self) -> int | None:
        """Bytes of f16 K and V cache one token takes across all layers."""
        layers, heads = self.block_count, self.arch_int("attention.head_count")
        width = self.arch_int("embedding_length")
        kv_heads = self.arch_int("attention.head_count_kv") or heads
        if not layers or not heads or not width or not kv_heads:
            return None
        key_size = self.arch_int("attention.key_length") or width // heads
        value_size = self.arch_int("attention.value_length") or width // heads
        return layers * kv_heads * (key_size + value_size) * 2


class _Reader:
    """Parses from a memory map: the vocabulary is ~100k tiny strings, too many for file reads."""

    def __init__(self, data: mmap.mmap) -> None:
        self._data, self._size, self._at = data, len(data), 0

    def take(self, count: int) -> bytes:
        self.skip(count)
        return self._data[self._at - count : self._at]

    def skip(self, count: int) -> None:
        if count < 0 or self._at + count > self._size:
            raise ModelError("the header runs past the end of the file (truncated or corrupt)")
        self._at += count

    def _skip_array(self, item_kind: int, length: int) -> None:
        if item_kind in _SCALARS:
            self.skip(struct.calcsize(_SCALARS[item_kind]) * length)
            return
        for _ in range(length):
            self.skip(self.count(MAX_STRING, "bytes in a string"))

    def unpack(self, fmt: str) -> int | float | bool:
        size = struct.calcsize(fmt)
        self.skip(size)
        value: int | float | bool = struct.unpack_from(fmt, self._data, self._at - size)[0]
        return value

    def count(self, limit: int, what: str) -> int:
        value = int(self.unpack("<Q"))
        if value > limit:
            raise ModelError(f"the header claims {value:,} {what}, which cannot be right")
        return value

    def string(self) -> str:
        return self.take(self.count(MAX_STRING, "bytes in a string")).decode("utf-8", "replace")

    def value(self, kind: int, depth: int = 0) -> Value:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY and depth == 0:
            item_kind = int(self.unpack("<I"))
            length = self.count(self._size, "array items")
            if item_kind not in _SCALARS and item_kind != _STRING:
                raise ModelError(f"unknown array item type {item_kind} in the header")
            if length <= SMALL_ARRAY:
                return [self.value(item_kind, depth + 1) for _ in range(length)]
            self._skip_array(item_kind, length)
            return None
        raise ModelError(f"unknown value type {kind} in the header")


def read_header(path: Path) -> GgufHeader:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            if size < 4 or handle.read(4) != MAGIC:
                raise ModelError(f"{path.name} is not a GGUF model file")
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        with data:
            reader = _Reader(data)
            if reader.take(4) != MAGIC:
                raise ModelError(f"{path.name} is not a GGUF model file")
            version = int(reader.unpack("<I"))
            if version not in (2, 3):
                raise ModelError(f"{path.name} uses GGUF version {version}, which is not supported")
            tensors = reader.count(size, "tensors")
            keys = reader.count(MAX_KEYS, "metadata keys")
            metadata: dict[str, Value] = {}
            for _ in range(keys):
                key = reader.string()
                metadata[key] = reader.value(int(reader.unpack("<I")))
    except ModelError as error:
        if path.name in str(error):
            raise
        raise ModelError(f"{path.name}: {error}") from None
    except (OSError, ValueError) as error:  # ValueError: mmap of an empty or odd file
        reason = getattr(error, "strerror", None) or error
        raise ModelError(f"Cannot read {path}: {reason}") from None
    return GgufHeader(version=version, tensor_count=tensors, metadata=metadata)
