"""How much memory a model needs at a context length, and whether this machine has it.

The estimate is the sum of three parts, each shown to the person:
- weights: the model file's size (llama.cpp maps the file; every weight is read each token);
- KV cache: `kv_bytes_per_token * n_ctx` (f16 K and V for every layer, from the GGUF header);
- compute buffers: `4 B * n_ubatch * (max(n_vocab, n_head * n_ctx) + 8 * n_embd)`, n_ubatch =
  min(512, n_ctx). The largest live tensors while a prompt batch is evaluated are the logits
  (n_ubatch x n_vocab f32) or, without flash attention, the attention scores (n_ubatch x n_ctx per
  head); the 8 * n_embd term covers the activations beside them. Checked against llama.cpp's own
  report for the bundled model (CPU, no flash attention): 98 / 99 / 166 MiB at n_ctx 512 / 2048 /
  8192, estimated 105 / 105 / 153 MiB.
"""

from __future__ import annotations

import ctypes
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from engine.errors import ModelTooBigError
from engine.host.backend import COMPUTE_RESERVE_BYTES, BackendInfo, backend_info, layers_that_fit
from engine.models.gguf import GgufHeader

UBATCH = 512  # llama.cpp's default n_ubatch, which Hearth does not change
MEMINFO = Path("/proc/meminfo")


@dataclass(frozen=True)
class ModelShape:
    """The sizes the estimate needs, from a GGUF header or from the catalog."""

    weights_bytes: int
    block_count: int
    kv_bytes_per_token: int | None  # None: the header does not say (no attention layers known)
    head_count: int
    vocab_size: int
    embedding_length: int

    @classmethod
    def from_header(cls, header: GgufHeader, weights_bytes: int | None = None) -> ModelShape:
        """`weights_bytes` defaults to the file's size; pass the sum for a split model."""
        return cls(
            weights_bytes=header.file_size if weights_bytes is None else weights_bytes,
            block_count=header.block_count or 0,
            kv_bytes_per_token=header.kv_bytes_per_token(),
            head_count=header.arch_int("attention.head_count") or 0,
            vocab_size=header.vocab_size or 0,
            embedding_length=header.arch_int("embedding_length") or 0,
        )


@dataclass(frozen=True)
class MemoryEstimate:
    n_ctx: int
    weights_bytes: int
    kv_cache_bytes: int
    compute_bytes: int
    kv_known: bool = True
    block_count: int = 0  # for sizing a GPU split

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_cache_bytes + self.compute_bytes

    def describe(self) -> str:
        """One line with every number, e.g. for a tooltip or a refusal."""
        if self.n_ctx == 0:
            return f"{format_bytes(self.weights_bytes)} of weights"
        context = (
            f"{format_bytes(self.kv_cache_bytes)} context cache for {self.n_ctx:,} tokens"
            if self.kv_known
            else "an unknown context cache"
        )
        return (
            f"{format_bytes(self.total_bytes)}: {format_bytes(self.weights_bytes)} weights + "
            f"{context} + {format_bytes(self.compute_bytes)} working memory"
        )


def estimate_memory(model: GgufHeader | ModelShape, n_ctx: int) -> MemoryEstimate:
    shape = model if isinstance(model, ModelShape) else ModelShape.from_header(model)
    n_ctx = max(0, n_ctx)
    ubatch = min(UBATCH, n_ctx)
    widest = max(shape.vocab_size, shape.head_count * n_ctx)
    return MemoryEstimate(
        n_ctx=n_ctx,
        weights_bytes=shape.weights_bytes,
        kv_cache_bytes=(shape.kv_bytes_per_token or 0) * n_ctx,
        compute_bytes=4 * ubatch * (widest + 8 * shape.embedding_length),
        kv_known=shape.kv_bytes_per_token is not None,
        block_count=shape.block_count,
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
