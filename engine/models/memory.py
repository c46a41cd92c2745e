"""How much memory a model needs at a context length, and whether this machine has it.

The estimate is the engine host's peak resident memory (VmHWM, engine/host/process.py) when the
app drives it as hard as it can: a prompt that fills the context, then a Prompt Lab scoring
pass that asks for the logits of a whole batch. Each term comes from what llama.cpp (the
version llama-cpp-python 0.3.36 vendors) and the host allocate and touch, for the CPU path
Hearth takes without a GPU (n_batch = n_ubatch = 512; flash attention only for a q8_0 or q4_0
cache, which needs it):

- weights: the model file. llama.cpp maps it with MAP_POPULATE, so all of it is resident.
- repacked weights: ggml-cpu re-lays the tensors it has faster kernels for on this CPU into
  memory of their own (the CPU_REPACK buffer, ggml-cpu/repack.cpp), reading them through the
  mapping, which stays mapped: those tensors count twice (the file's pages are clean and the
  kernel could drop them, but they are resident until memory runs short).
- KV cache: `kv_bytes_per_token` (f16 K and V of every layer, from the header) times the
  context, which llama.cpp rounds up to a multiple of 256 cells, scaled for a q8_0 or q4_0
  cache (`KV_BYTES_PER_VALUE`). It is cleared at creation, so all of it is touched at load.
- working memory, four buffers:
  - the compute graph (llama.cpp's "compute buffer", reserved for a batch of n_ubatch tokens
    that all want logits): its widest moment is either the logits, n_ubatch x n_vocab f32, or,
    without flash attention, the attention scores of every head over the whole cache, n_ubatch
    x n_ctx x n_head f32, plus the f32 mask beside them (n_ubatch x n_ctx); a few n_embd-wide
    activations live beside either. Checked against llama.cpp's log: 99.4 / 326.4 MiB for the
    bundled model at 4k / 16k, estimated 105.0 / 329.0; 302.0 MiB for Qwen2.5-Coder-0.5B at
    4k, estimated 310.8. Flash attention works a tile at a time and never holds those scores.
  - ggml-cpu's work buffer, where the product of the attention scores with V converts the
    scores to f16 first: n_ubatch x n_ctx x n_head x 2 bytes (none with flash attention).
  - llama.cpp's output buffer: the logits of every token that asks for them, up to a whole
    batch (n_batch x n_vocab f32) when Prompt Lab scores a continuation; a chat asks for one.
  - the host's copy of those logits: Prompt Lab scoring (engine/host/scoring.py) keeps a f32
    log-probability row per scored token, a batch of them for a continuation of 512 tokens.
- the engine process: the bare host (Python, numpy, llama.cpp's libraries, the engine's own
  modules), measured at 50 MiB VmHWM on Linux x86-64 with Python 3.11, plus 6 MiB a loaded model
  needs whatever its size, plus 8 MiB of room for what this one measurement cannot see (another
  platform's libraries, the allocator's slack), plus the vocabulary: llama.cpp's tables hold
  each token's text, an id map entry, a piece cache entry and a merge rule, and the loader's
  copy of the GGUF metadata is freed into the heap, not back to the system: 320 B a token
  (measured between 49k and 152k token vocabularies).

`longest_context` turns the same rule around: the longest context, in steps of 1,024 tokens up to
the model's trained context, whose estimate `fits` passes now (what the Models tab and the context
setting offer).

`python -m bench.memory_table MODEL...` measures the host's VmHWM against the estimate and
prints the table; tests/engine/test_memory_estimate.py checks the bundled model at 4k.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from engine.errors import ModelTooBigError
from engine.host.backend import COMPUTE_RESERVE_BYTES, BackendInfo, backend_info, layers_that_fit
from engine.models.gguf import TENSOR_TYPES, GgufHeader, TensorInfo

MIB = 1024 * 1024
UBATCH = 512  # llama.cpp's default n_ubatch, which Hearth does not change
BATCH = 512  # llama-cpp-python's default n_batch: the most logits one decode call returns
# The most logits the engine asks of one decode call: Prompt Lab scoring asks for a whole batch
# (engine/host/scoring.py). They fill the graph's logits, llama.cpp's output buffer and the
# host's copy; scoring that asked for fewer at a time would shrink all three.
LOGITS_ROWS = BATCH
CONTEXT_PAD = 256  # llama.cpp rounds the context (the KV cache's cells) up to this
# Bytes a cached K or V value takes for each `kv_cache_bits`: f16; q8_0 and q4_0 store blocks of
# 32 values with one f16 scale (34 and 18 bytes a block).
KV_BYTES_PER_VALUE = {16: 2.0, 8: 34 / 32, 4: 18 / 32}
GRAPH_ACTIVATIONS = 8  # n_embd-wide f32 tensors live beside the widest one (measured: 3 to 6)
PROCESS_BASELINE_BYTES = 64 * MIB  # the bare host 50, a model's fixed 6, room 8 (see above)
VOCAB_BYTES_PER_TOKEN = 320
# Tensors never multiplied as a matrix (only looked up by row): never repacked.
LOOKUP_TENSORS = frozenset({"token_embd.weight", "per_layer_token_embd.weight",
                            "position_embd.weight", "token_types.weight"})
MEMINFO = Path("/proc/meminfo")


@cache
def repacked_types(system_info: str | None = None) -> dict[str, int]:
    """The tensor types ggml-cpu repacks on this CPU, each with the row count its layout needs a
    multiple of (ggml_repack_get_optimal_repack_type in ggml-cpu/repack.cpp).

    `system_info`: llama.cpp's feature line ("AVX2 = 1 | ... | REPACK = 1"), this machine's by
    default. Safe mode (no extra buffer types) repacks nothing; the estimate does not know it is
    on and stays on the high side then.
    """
    info = backend_info().system_info if system_info is None else system_info
    features = {part.split("=")[0].split(":")[-1].strip() for part in info.split("|")
                if part.strip().endswith("= 1")}
    if "REPACK" not in features:
        return {}
    if "AVX2" in features:
        found = {"Q4_0": 8, "Q4_K": 8, "IQ4_NL": 8, "MXFP4": 8}
        if "AVX512" in features:
            found["Q2_K"] = 8
        return found
    if "NEON" in features and ("DOTPROD" in features or "MATMUL_INT8" in features):
        return {"Q4_0": 4, "Q4_K": 8, "Q5_K": 8, "Q6_K": 8, "IQ4_NL": 4, "MXFP4": 4,
                "Q8_0": 4, "Q1_0": 4}
    return {}


def repacked_tensor_bytes(tensors: Iterable[TensorInfo], types: dict[str, int]) -> int:
    """Bytes of the tensors llama.cpp copies into its repack buffer: matrices (3-D for experts)
    of a repacked type whose row count fits the layout. A model without `output.weight` ties
    its output to the token embeddings, which are then multiplied (and repacked) too."""
    tensors = list(tensors)
    tied = not any(tensor.name == "output.weight" for tensor in tensors)
    total = 0
    for tensor in tensors:
        kind = TENSOR_TYPES.get(tensor.type_id, ("", 1, 1))[0]
        rows = types.get(kind)
        if rows is None or len(tensor.shape) not in (2, 3) or tensor.shape[1] % rows:
            continue
        if tensor.name in LOOKUP_TENSORS and not (tied and tensor.name == "token_embd.weight"):
            continue
        total += tensor.byte_size
    return total


@dataclass(frozen=True)
class ModelShape:
    """The sizes the estimate needs, from a GGUF header or from the catalog."""

    weights_bytes: int
    block_count: int
    kv_bytes_per_token: int | None  # None: the header does not say (no attention layers known)
    head_count: int
    vocab_size: int
    embedding_length: int
    # Bytes llama.cpp repacks for this CPU, from the tensor table; None without one (the
    # catalog): then every weight of a quantization this CPU repacks counts, at most.
    repacked_bytes: int | None = None
    quantization: str | None = None  # "Q4_K_M", for when repacked_bytes is None

    @classmethod
    def from_header(cls, header: GgufHeader, weights_bytes: int | None = None) -> ModelShape:
        """`weights_bytes` defaults to the file's size; pass the sum for a split model (its
        other parts are taken to repack as much of their bytes as this first part)."""
        weights = header.file_size if weights_bytes is None else weights_bytes
        repacked = repacked_tensor_bytes(header.tensors, repacked_types())
        tensor_bytes = sum(tensor.byte_size for tensor in header.tensors)
        if weights != header.file_size and tensor_bytes:
            repacked = repacked * weights // tensor_bytes
        return cls(
            weights_bytes=weights,
            block_count=header.block_count or 0,
            kv_bytes_per_token=header.kv_bytes_per_token(),
            head_count=header.arch_int("attention.head_count") or 0,
            vocab_size=header.vocab_size or 0,
            embedding_length=header.arch_int("embedding_length") or 0,
            repacked_bytes=repacked,
            quantization=header.quantization,
        )

    def repacked(self) -> int:
        if self.repacked_bytes is not None:
            return self.repacked_bytes
        quantization = (self.quantization or "").upper()
        return self.weights_bytes if any(quantization.startswith(kind)
                                         for kind in repacked_types()) else 0


@dataclass(frozen=True)
class MemoryEstimate:
    n_ctx: int
    weights_bytes: int  # the file
    kv_cache_bytes: int
    compute_bytes: int  # working memory: compute graph, work buffer, logits and their copy
    kv_known: bool = True
    block_count: int = 0  # for sizing a GPU split
    repacked_bytes: int = 0  # weights held a second time, repacked for this CPU
    process_bytes: int = 0  # the engine process itself, with the model's vocabulary

    @property
    def total_bytes(self) -> int:
        return (self.weights_bytes + self.repacked_bytes + self.kv_cache_bytes
                + self.compute_bytes + self.process_bytes)

    def describe(self) -> str:
        """One line with every number, e.g. for a tooltip or a refusal."""
        if self.n_ctx == 0:
            return f"{format_bytes(self.weights_bytes)} of weights"
        context = (
            f"{format_bytes(self.kv_cache_bytes)} context cache for {self.n_ctx:,} tokens"
            if self.kv_known
            else "an unknown context cache"
        )
        weights = format_bytes(self.weights_bytes + self.repacked_bytes)
        if self.repacked_bytes:
            weights += (f" (file {format_bytes(self.weights_bytes)} + "
                        f"{format_bytes(self.repacked_bytes)} repacked for this CPU)")
        return (
            f"{format_bytes(self.total_bytes)}: {weights} weights + {context} + "
            f"{format_bytes(self.compute_bytes)} working memory + "
            f"{format_bytes(self.process_bytes)} for the engine itself"
        )


def context_cells(n_ctx: int) -> int:
    """The KV cache's cells for a context: llama.cpp rounds up to a multiple of 256."""
    return -(-n_ctx // CONTEXT_PAD) * CONTEXT_PAD


def uses_flash_attention(kv_cache_bits: int, gpu_layers: int = 0) -> bool:
    """On the GPU, and on the CPU only for a quantized cache (its V needs it). On this CPU it is
    faster with a long context, but a token's numbers then depend more on what else is in the
    batch and the cache: Prompt Lab scores changed with what was cached before (-0.686 vs
    -0.667), and the model kept 38 of 186 speculative drafts where it keeps most (README)."""
    return gpu_layers != 0 or kv_cache_bits != 16


def kv_cache_bytes(shape: ModelShape, n_ctx: int, kv_cache_bits: int = 16) -> int:
    """The K and V cache: f16, or q8_0 / q4_0 blocks of 32 values and a f16 scale."""
    per_value = KV_BYTES_PER_VALUE[kv_cache_bits]
    return int((shape.kv_bytes_per_token or 0) * context_cells(n_ctx) * per_value / 2)


def compute_graph_bytes(shape: ModelShape, n_ctx: int, flash_attention: bool = False) -> int:
    """llama.cpp's compute buffer as the engine's batches fill it: the widest moment of a batch
    of n_ubatch tokens, LOGITS_ROWS of them wanting logits. With LOGITS_ROWS a whole batch that
    is all of it ("CPU compute buffer size" in llama.cpp's log)."""
    if n_ctx <= 0:
        return 0
    cells, ubatch = context_cells(n_ctx), min(UBATCH, n_ctx)
    # every head's scores over the whole cache; flash attention works a tile at a time
    scores = 0 if flash_attention else ubatch * cells * shape.head_count
    mask = ubatch * cells
    logits = min(ubatch, LOGITS_ROWS) * shape.vocab_size
    return 4 * (max(scores + mask, logits)
                + GRAPH_ACTIVATIONS * ubatch * shape.embedding_length)


def estimate_memory(model: GgufHeader | ModelShape, n_ctx: int,
                    kv_cache_bits: int = 16) -> MemoryEstimate:
    """The engine host's peak memory with this model at `n_ctx` and this cache precision (see
    the module's notes); at `n_ctx` 0 only the weights, the least a model needs."""
    shape = model if isinstance(model, ModelShape) else ModelShape.from_header(model)
    n_ctx = max(0, n_ctx)
    kv_known = shape.kv_bytes_per_token is not None
    if n_ctx == 0:
        return MemoryEstimate(0, shape.weights_bytes, 0, 0, kv_known, shape.block_count)
    rows = min(BATCH, LOGITS_ROWS, n_ctx)
    flash = uses_flash_attention(kv_cache_bits)
    # the scores as f16, times V (flash attention converts them a tile at a time)
    work = 0 if flash else 2 * min(UBATCH, n_ctx) * context_cells(n_ctx) * shape.head_count
    logits = 4 * rows * shape.vocab_size  # llama.cpp's output buffer
    logits_copy = 4 * rows * shape.vocab_size  # the host's log-probability rows
    return MemoryEstimate(
        n_ctx=n_ctx,
        weights_bytes=shape.weights_bytes,
        kv_cache_bytes=kv_cache_bytes(shape, n_ctx, kv_cache_bits),
        compute_bytes=compute_graph_bytes(shape, n_ctx, flash) + work + logits + logits_copy,
        kv_known=kv_known,
        block_count=shape.block_count,
        repacked_bytes=shape.repacked(),
        process_bytes=PROCESS_BASELINE_BYTES + VOCAB_BYTES_PER_TOKEN * shape.vocab_size,
    )


@dataclass(frozen=True)
class MachineMemory:
    total_bytes: int | None  # RAM; None where the platform does not say
    available_bytes: int | None  # RAM that can be had without swapping
    gpu_free_bytes: int | None = None  # free memory of the largest GPU, when a GPU backend runs
    gpu_name: str | None = None


def machine_memory(backend: BackendInfo | None = None) -> MachineMemory:
    """This machine's RAM (and free VRAM when llama.cpp has a GPU backend), measured now."""
    total, available = _ram()
    info = backend or backend_info()
    gpus = info.gpu_devices if info.gpu_offload else ()
    if not gpus:
        return MachineMemory(total, available)
    gpu = max(gpus, key=lambda device: device.free_bytes)
    return MachineMemory(total, available, gpu.free_bytes, gpu.description or gpu.name)


def _ram() -> tuple[int | None, int | None]:
    try:
        fields = dict(
            line.split(":", 1) for line in MEMINFO.read_text(encoding="ascii").splitlines()
        )
        return _kib(fields.get("MemTotal")), _kib(fields.get("MemAvailable"))
    except (OSError, ValueError):
        pass
    if sys.platform == "win32":
        return _windows_ram()
    try:
        page = os.sysconf("SC_PAGE_SIZE")
        total = os.sysconf("SC_PHYS_PAGES") * page
    except (ValueError, OSError, AttributeError):
        return None, None
    try:
        available: int | None = os.sysconf("SC_AVPHYS_PAGES") * page
    except (ValueError, OSError):
        available = None  # macOS has no such figure; the total alone still bounds the model
    return total, available


def _kib(field: str | None) -> int | None:
    if field is None:
        return None
    number, _, unit = field.strip().partition(" ")
    return int(number) * (1024 if unit == "kB" else 1)


if sys.platform == "win32":

    class _MemoryStatus(ctypes.Structure):
        _fields_ = [
            ("dwLength", ctypes.c_ulong),
            ("dwMemoryLoad", ctypes.c_ulong),
            ("ullTotalPhys", ctypes.c_ulonglong),
            ("ullAvailPhys", ctypes.c_ulonglong),
            ("ullTotalPageFile", ctypes.c_ulonglong),
            ("ullAvailPageFile", ctypes.c_ulonglong),
            ("ullTotalVirtual", ctypes.c_ulonglong),
            ("ullAvailVirtual", ctypes.c_ulonglong),
            ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
        ]

    def _windows_ram() -> tuple[int | None, int | None]:
        status = _MemoryStatus()
        status.dwLength = ctypes.sizeof(_MemoryStatus)
        if not ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):
            return None, None
        return int(status.ullTotalPhys), int(status.ullAvailPhys)


Verdict = Literal["fits", "close_programs", "too_big", "unknown"]


@dataclass(frozen=True)
class Fit:
    verdict: Verdict
    estimate: MemoryEstimate
    machine: MachineMemory
    gpu_layers: int | None  # layers llama.cpp would offload (-1: all); None without a GPU
    message: str

    @property
    def loadable(self) -> bool:
        return self.verdict in ("fits", "unknown")


def fits(estimate: MemoryEstimate, machine: MachineMemory, *, freed_bytes: int = 0) -> Fit:
    """Whether the estimate fits this machine's RAM plus the GPU's free memory.

    `freed_bytes` is memory that loading will give back first (the model loaded now). The GPU
    keeps a reserve for its own buffers, as when GPU layers are sized at load time.
    """
    gpu_usable = max(0, (machine.gpu_free_bytes or 0) - COMPUTE_RESERVE_BYTES)
    gpu_layers = None
    if machine.gpu_free_bytes is not None and estimate.block_count:
        kv_per_token = estimate.kv_cache_bytes // estimate.n_ctx if estimate.n_ctx else 0
        gpu_layers = layers_that_fit(
            estimate.block_count, estimate.weights_bytes, kv_per_token, estimate.n_ctx,
            machine.gpu_free_bytes,
        )
    needed = estimate.total_bytes
    gpu_note = f" and {format_bytes(gpu_usable)} on the GPU" if machine.gpu_free_bytes else ""
    if machine.total_bytes is None:
        return Fit("unknown", estimate, machine, gpu_layers,
                   f"Needs {estimate.describe()}; this computer's memory is unknown.")
    if needed > machine.total_bytes + gpu_usable:
        return Fit("too_big", estimate, machine, gpu_layers, (
            f"Too big for this computer: needs {estimate.describe()}, but it has "
            f"{format_bytes(machine.total_bytes)} of memory{gpu_note} in all."
        ))
    available = machine.total_bytes if machine.available_bytes is None else (
        machine.available_bytes
    )
    if needed > available + freed_bytes + gpu_usable:
        return Fit("close_programs", estimate, machine, gpu_layers, (
            f"Not enough free memory now: needs {estimate.describe()}, but only "
            f"{format_bytes(available + freed_bytes)} is free{gpu_note}. Close other programs, "
            "or choose a shorter context or a smaller model."
        ))
    return Fit("fits", estimate, machine, gpu_layers,
               f"Fits: needs {estimate.describe()}.")


CONTEXT_STEP = 1024  # the longest context that fits is offered in whole steps of this


def held_by_model(model: GgufHeader | ModelShape, n_ctx: int, kv_cache_bits: int = 16) -> int:
    """What a loaded model holds and gives back when it is let go: all of its estimate but the
    engine process itself, which stays. Loading another model (or this one again at another
    context) counts it as free (`fits`'s `freed_bytes`)."""
    return estimate_memory(model, n_ctx, kv_cache_bits).total_bytes - PROCESS_BASELINE_BYTES


def longest_context(model: GgufHeader | ModelShape, trained_context: int | None,
                    machine: MachineMemory, kv_cache_bits: int = 16, *,
                    freed_bytes: int = 0) -> int | None:
    """The longest context this machine holds the model at now, by the load's own check: the
    trained context if `fits` passes it (verdict "fits"), else the largest multiple of
    CONTEXT_STEP below it that passes; 0 when not even one step does.

    None when it cannot be told: the machine's memory or the model's cache size per token is
    unknown, or the header gives no trained context. The estimate grows with the context, so a
    machine with more memory is never offered less (a binary search finds the boundary).
    `freed_bytes`: what loading gives back first (`held_by_model` of the model loaded now).
    """
    shape = model if isinstance(model, ModelShape) else ModelShape.from_header(model)
    if not trained_context or shape.kv_bytes_per_token is None or machine.total_bytes is None:
        return None

    def passes(n_ctx: int) -> bool:
        estimate = estimate_memory(shape, n_ctx, kv_cache_bits)
        return fits(estimate, machine, freed_bytes=freed_bytes).verdict == "fits"

    if passes(trained_context):
        return trained_context
    low, high = 0, (trained_context - 1) // CONTEXT_STEP  # steps below the trained context
    while low < high:
        middle = (low + high + 1) // 2
        if passes(middle * CONTEXT_STEP):
            low = middle
        else:
            high = middle - 1
    return low * CONTEXT_STEP


@dataclass(frozen=True)
class ContextRoom:
    """What the longest context of one model on this machine depends on but the cache precision,
    which a person may still be choosing: `longest(bits)` for each."""

    shape: ModelShape
    trained_context: int | None
    machine: MachineMemory
    freed_bytes: int = 0

    def longest(self, kv_cache_bits: int = 16) -> int | None:
        return longest_context(self.shape, self.trained_context, self.machine, kv_cache_bits,
                               freed_bytes=self.freed_bytes)


def ensure_fits(fit: Fit) -> None:
    """Refuses, with the numbers, a load that would run this computer out of memory."""
    if not fit.loadable:
        raise ModelTooBigError(fit.message)


def format_bytes(count: int) -> str:
    """Decimal units, as the Hugging Face Hub and file managers show sizes."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"
