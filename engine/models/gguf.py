"""Reading a GGUF file's header (its metadata) without loading the model.

Model files come from strangers, so every count and length is checked before it is trusted, and
the tensor table is checked the way llama.cpp will use it (shapes, types, offsets, and that the
tensor data really is in the file); anything malformed raises ModelError with the reason.

A file of zeros with a hole in it costs nothing to make, however large, so its size bounds nothing:
counts are capped far above what real models have (noted beside each cap), a whole header may
make the reader step through at most MAX_LISTED array items and copy MAX_TEXT bytes, and a name
given twice stops it, so a hostile header is refused within a few times what the largest real
one takes to read.
"""

from __future__ import annotations

import functools
import math
import mmap
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from engine.errors import ModelError
from engine.text import Text

MAGIC = b"GGUF"
MAX_KEYS = 16_384  # metadata keys (real models: 20-100)
MAX_TENSORS = 16_384  # tensor infos (DeepSeek-V3, 671B parameters: 1,086)
MAX_ARRAY = 1 << 24  # items in one array (vocabularies: up to 262,144 tokens)
MAX_LISTED = 1 << 20  # array items read one by one (a 256k vocabulary and merges: ~510k)
MAX_TOKENS = 1 << 20  # the vocabulary, which check_vocabulary hashes (Gemma 3: 262,144 tokens)
MAX_STRING = 64 * 1024 * 1024  # bytes in one string
MAX_TEXT = 64 * 1024 * 1024  # bytes copied: keys, values, names, vocabulary (262k tokens: ~2 MB)
MAX_HEADER = 256 * 1024 * 1024  # bytes before the tensor data (DeepSeek-V3: 3.9 MB)
SMALL_ARRAY = 64  # longer arrays (the vocabulary) are skipped, not kept
MAX_LAYERS = 512  # LLAMA_MAX_LAYERS: numeric arrays up to this long may be per-layer values
TOKENS = "tokenizer.ggml.tokens"
MAX_DIMS = 4  # GGML_MAX_DIMS
MAX_TENSOR_NAME = 63  # GGML_MAX_NAME less its terminating NUL
DEFAULT_ALIGNMENT = 32
INT64_MAX = (1 << 63) - 1

# ggml_type -> (elements per block, bytes per block), as in gguf-py's GGML_QUANT_SIZES.
TENSOR_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4), 1: ("F16", 1, 2), 2: ("Q4_0", 32, 18), 3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22), 7: ("Q5_1", 32, 24), 8: ("Q8_0", 32, 34), 9: ("Q8_1", 32, 36),
    10: ("Q2_K", 256, 84), 11: ("Q3_K", 256, 110), 12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176), 14: ("Q6_K", 256, 210), 15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66), 17: ("IQ2_XS", 256, 74), 18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50), 20: ("IQ4_NL", 32, 18), 21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82), 23: ("IQ4_XS", 256, 136), 24: ("I8", 1, 1), 25: ("I16", 1, 2),
    26: ("I32", 1, 4), 27: ("I64", 1, 8), 28: ("F64", 1, 8), 29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2), 34: ("TQ1_0", 256, 54), 35: ("TQ2_0", 256, 66), 39: ("MXFP4", 32, 17),
    40: ("NVFP4", 64, 36), 41: ("Q1_0", 128, 18), 42: ("Q2_0", 64, 18),
}

# llama_ftype (general.file_type) -> the quantization name people know it by.
FILE_TYPES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
    23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
    29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
    38: "MXFP4_MOE", 39: "NVFP4", 40: "Q1_0", 41: "Q2_0",
}

_SCALARS = {  # GGUF value type -> struct format
    0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q",
    12: "<d",
}
_STRING, _ARRAY, _BOOL = 8, 9, 7
_U64 = struct.Struct("<Q")

Value = int | float | bool | str | list["Value"] | None
Number = int | float


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple[int, ...]
    type_id: int
    offset: int  # from the start of the data section

    @property
    def element_count(self) -> int:
        return math.prod(self.shape)

    @property
    def byte_size(self) -> int:
        _, block, block_bytes = TENSOR_TYPES[self.type_id]
        return self.element_count // block * block_bytes


@dataclass(frozen=True)
class GgufHeader:
    version: int
    tensor_count: int
    metadata: dict[str, Value]
    tensors: tuple[TensorInfo, ...] = ()
    data_offset: int = 0  # where the tensor data starts in the file
    file_size: int = 0
    # Every numeric array of up to MAX_LAYERS items, whole: per-layer values of long models too.
    layer_values: dict[str, tuple[Number, ...]] = field(default_factory=dict)
    vocabulary: tuple[int, int] | None = None  # where the token strings start, and how many

    @property
    def token_count(self) -> int | None:
        return self.vocabulary[1] if self.vocabulary else None

    @property
    def architecture(self) -> str:
        value = self.metadata.get("general.architecture")
        return value if isinstance(value, str) else "unknown"

    def arch_values(self, name: str) -> tuple[Number, ...]:
        """`<arch>.<name>` as numbers: one, or one per layer; none if absent or not numbers."""
        key = f"{self.architecture}.{name}"
        value = self.metadata.get(key)
        if key in self.layer_values:
            return self.layer_values[key]
        return (value,) if isinstance(value, int | float) and not isinstance(value, bool) else ()

    def arch_int(self, name: str) -> int | None:
        """`<arch>.<name>` as a whole number; of per-layer values the largest (it bounds memory)."""
        return max((v for v in self.arch_values(name) if isinstance(v, int)), default=None)

    @property
    def block_count(self) -> int | None:
        return self.arch_int("block_count")

    @property
    def context_length(self) -> int | None:
        return self.arch_int("context_length")

    @property
    def parameter_count(self) -> int | None:
        """The weights in this file, counted from its tensor table (one part of a split model)."""
        if self.tensors:
            return sum(tensor.element_count for tensor in self.tensors)
        declared = self.metadata.get("general.parameter_count")
        return declared if isinstance(declared, int) and declared > 0 else None

    @property
    def quantization(self) -> str | None:
        file_type = self.metadata.get("general.file_type")
        return FILE_TYPES.get(file_type) if isinstance(file_type, int) else None

    @property
    def vocab_size(self) -> int | None:
        declared = self.arch_int("vocab_size")
        if declared:
            return declared
        embedding = next((t for t in self.tensors if t.name == "token_embd.weight"), None)
        return embedding.shape[1] if embedding is not None and len(embedding.shape) > 1 else None

    @property
    def data_end(self) -> int:
        """The file offset just past the last tensor's data."""
        ends = (tensor.offset + tensor.byte_size for tensor in self.tensors)
        return self.data_offset + max(ends, default=0)

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


class _Array(NamedTuple):
    value: Value  # the items when there are few, else None
    at: int  # where the items start in the file
    length: int
    numbers: tuple[Number, ...] | None  # all the items of a short array of numbers


class _Reader:
    """Parses from a memory map: the vocabulary is ~100k tiny strings, too many for file reads."""

    def __init__(self, data: mmap.mmap) -> None:
        self._data, self._size, self._at = data, len(data), 0
        self._items_left, self._text_left = MAX_LISTED, MAX_TEXT

    def take(self, count: int) -> bytes:
        self.skip(count)
        return self._data[self._at - count : self._at]

    def skip(self, count: int) -> None:
        end = self._at + count
        if count < 0 or end > self._size:
            raise ModelError(Text("the header runs past the end of the file (truncated or "
                                  "corrupt)"))
        if end > MAX_HEADER:  # llama.cpp would read all of it into memory
            raise ModelError(Text("the header is longer than {max_header:,} bytes, which cannot "
                                  "be right",
                                  max_header=MAX_HEADER))
        self._at = end

    @property
    def position(self) -> int:
        return self._at

    def _list(self, count: int) -> None:
        self._items_left -= count
        if self._items_left < 0:
            raise ModelError(Text("the header's arrays hold more than {max_listed:,} items that "
                                  "are read one by one, which cannot be right",
                                  max_listed=MAX_LISTED))

    def _copy(self, count: int) -> None:
        self._text_left -= count
        if self._text_left < 0:
            raise ModelError(Text("the header holds more than {max_text:,} bytes of text, which "
                                  "cannot be right",
                                  max_text=MAX_TEXT))

    def _skip_strings(self, length: int) -> None:
        # A tight loop: a vocabulary and its merges are up to ~500k strings, most of a header's
        # reading time. Reading a length past the end raises struct.error, so the end is checked
        # only once.
        data, at, length_of = self._data, self._at, _U64.unpack_from
        try:
            for _ in range(length):
                count = length_of(data, at)[0]
                if count > MAX_STRING:
                    raise ModelError(Text("the header claims {count:,} bytes in a string, which "
                                          "cannot be right",
                                          count=count))
                at += 8 + count
        except struct.error:
            at = self._size + 1
        self.skip(at - self._at)

    def array(self, *, tokens: bool = False) -> _Array:
        item_kind = int(self.unpack("<I"))
        length = self.count(MAX_ARRAY, Text("items in an array"))
        at = self._at
        if item_kind == _STRING:
            if tokens and length > MAX_TOKENS:
                raise ModelError(Text("the header claims {length:,} tokens in the vocabulary, "
                                      "which cannot be right",
                                      length=length))
            self._list(length)
            if tokens:  # never kept; check_vocabulary reads it again
                self._skip_strings(length)
                self._copy(self._at - at - 8 * length)
            elif length <= SMALL_ARRAY:
                return _Array([self.string() for _ in range(length)], at, length, None)
            else:
                self._skip_strings(length)
            return _Array(None, at, length, None)
        if item_kind not in _SCALARS:
            raise ModelError(Text("unknown array item type {item_kind} in the header",
                                  item_kind=item_kind))
        code = _SCALARS[item_kind][1]
        if length > MAX_LAYERS:
            self.skip(struct.calcsize(code) * length)
            return _Array(None, at, length, None)
        self._list(length)
        items = self.unpack_all(f"<{length}{code}")
        kept: Value = list(items) if length <= SMALL_ARRAY else None
        return _Array(kept, at, length, items if item_kind != _BOOL else None)

    def unpack(self, fmt: str) -> int | float | bool:
        value: int | float | bool = self.unpack_all(fmt)[0]
        return value

    def unpack_all(self, fmt: str) -> tuple[Number, ...]:
        packed = _struct(fmt)
        self.skip(packed.size)
        items: tuple[Number, ...] = packed.unpack_from(self._data, self._at - packed.size)
        return items

    def count(self, limit: int, what: Text) -> int:
        value = int(self.unpack("<Q"))
        if value > limit:
            raise ModelError(Text("the header claims {value:,} {what}, which cannot be right",
                                  value=value, what=what))
        return value

    def string(self) -> str:
        return self._text(self.count(MAX_STRING, Text("bytes in a string")))

    def tensor_name(self) -> str:
        size = int(self.unpack("<Q"))
        if size > MAX_TENSOR_NAME:
            raise ModelError(Text("a tensor name is {size:,} bytes long, which cannot be right",
                                  size=size))
        return self._text(size)

    def _text(self, size: int) -> str:
        text = self.take(size)
        self._copy(size)
        return text.decode("utf-8", "replace")

    def value(self, kind: int) -> Value:
        if kind in _SCALARS:
            return self.unpack(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        raise ModelError(Text("unknown value type {kind} in the header", kind=kind))


def read_header(path: Path) -> GgufHeader:
    """Parses and checks the header and tensor table; raises ModelError naming the problem."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            if size < 4 or handle.read(4) != MAGIC:
                raise ModelError(Text("{file} is not a GGUF model file", file=path.name))
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        with data:
            header = _parse(_Reader(data), size, path.name)
    except ModelError as error:
        if path.name in str(error):
            raise
        raise ModelError(Text("{file}: {error}", file=path.name, error=error)) from None
    except (OSError, ValueError) as error:  # ValueError: mmap of an empty or odd file
        reason = getattr(error, "strerror", None) or error
        raise ModelError(Text("Cannot read {path}: {reason}", path=path, reason=reason)) from None
    return header


def check_vocabulary(path: Path, header: GgufHeader) -> None:
    """Refuses a vocabulary that lists a token twice: llama.cpp aborts the process on one.

    Apart from read_header, since hashing every token takes longer than reading the header.
    """
    if header.vocabulary is None:
        return
    at, count = header.vocabulary
    seen: dict[bytes, int] = {}
    try:
        with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0,
                                                  access=mmap.ACCESS_READ) as data:
            length_of = _U64.unpack_from
            for index in range(count):
                size = length_of(data, at)[0]
                at += 8 + size
                # llama.cpp names an empty token by its number
                token = data[at - size : at] or b"[EMPTY_%d]" % index
                first = seen.setdefault(token, index)
                if first != index:
                    raise ModelError(Text("{file}: the vocabulary lists the token {token} twice "
                                          "(as tokens {first:,} and {index:,})",
                                          file=path.name, token=repr(token[:40]), first=first,
                                          index=index))
    except (OSError, ValueError, struct.error) as error:  # changed since its header was read
        raise ModelError(Text("Cannot read {path}: {reason}",
                              path=path, reason=getattr(error, 'strerror', None) or error)
                         ) from None


def _parse(reader: _Reader, size: int, name: str) -> GgufHeader:
    if reader.take(4) != MAGIC:
        raise ModelError(Text("{name} is not a GGUF model file", name=name))
    version = int(reader.unpack("<I"))
    if version == 1:
        raise ModelError(Text("{name} uses GGUF version 1, which llama.cpp no longer reads",
                              name=name))
    if version not in (2, 3):
        if int.from_bytes(version.to_bytes(4, "little"), "big") in (2, 3):
            raise ModelError(Text("{name} is a big-endian GGUF, which this computer cannot read",
                                  name=name))
        raise ModelError(Text("{name} uses GGUF version {version}, which is not supported",
                              name=name, version=version))
    tensor_count = reader.count(MAX_TENSORS, Text("tensors"))
    keys = reader.count(MAX_KEYS, Text("metadata keys"))
    metadata: dict[str, Value] = {}
    layer_values: dict[str, tuple[Number, ...]] = {}
    vocabulary = None
    for _ in range(keys):
        key = reader.string()
        if key in metadata:
            raise ModelError(Text("the header has the key {key!r} twice", key=key[:80]))
        kind = int(reader.unpack("<I"))
        if kind != _ARRAY:
            metadata[key] = reader.value(kind)
            continue
        array = reader.array(tokens=key == TOKENS)
        metadata[key] = array.value
        if array.numbers is not None:
            layer_values[key] = array.numbers
        if key == TOKENS:
            vocabulary = (array.at, array.length)
    alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        raise ModelError(Text("the header's alignment {alignment} is not a power of two",
                              alignment=repr(alignment)))
    tensors: dict[str, TensorInfo] = {}
    for _ in range(tensor_count):
        tensor = _tensor_info(reader)
        if tensor.name in tensors:  # stops a table of zeros at its second entry
            raise ModelError(Text("the header names the same tensor twice ({name!r})",
                                  name=tensor.name))
        tensors[tensor.name] = tensor
    data_offset = -(-reader.position // alignment) * alignment
    header = GgufHeader(version, tensor_count, metadata, tuple(tensors.values()), data_offset,
                        size, layer_values, vocabulary)
    misplaced = next((t for t in header.tensors if t.offset % alignment), None)
    if misplaced is not None:
        raise ModelError(Text("tensor {name!r} is not aligned ({offset:,})",
                              name=misplaced.name, offset=misplaced.offset))
    if tensors and header.data_end > size:
        raise ModelError(
            Text("the file is cut short: its tensors need {data_end:,} bytes but it has {size:,} "
                 "({percent}%); an incomplete download or copy?",
                 data_end=header.data_end, size=size, percent=size * 100 // header.data_end)
        )
    return header


@functools.cache  # a few thousand formats at most: arrays of up to MAX_LAYERS numbers
def _struct(fmt: str) -> struct.Struct:
    return struct.Struct(fmt)


def _tensor_info(reader: _Reader) -> TensorInfo:
    name = reader.tensor_name()
    dims = int(reader.unpack("<I"))
    if dims > MAX_DIMS:
        raise ModelError(Text("tensor {name!r} claims {dims} dimensions, which cannot be right",
                              name=name, dims=dims))
    *extents, type_id, offset = (int(n) for n in reader.unpack_all(f"<{dims}QIQ"))
    shape = tuple(extents)
    if any(extent > INT64_MAX for extent in shape) or math.prod(shape) > INT64_MAX:
        raise ModelError(Text("tensor {name!r} claims {elements:,} elements, which cannot be right",
                              name=name, elements=math.prod(shape)))
    if type_id not in TENSOR_TYPES:
        raise ModelError(Text("tensor {name!r} has an unknown type {type_id}",
                              name=name, type_id=type_id))
    type_name, block, _ = TENSOR_TYPES[type_id]
    if shape and shape[0] % block:
        raise ModelError(Text("tensor {name!r} rows of {shape} do not fit {type_name} blocks",
                              name=name, shape=shape[0], type_name=type_name))
    return TensorInfo(name, shape, type_id, offset)
