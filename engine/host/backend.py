"""What the installed llama.cpp can run on, detected at run time, and where its log goes."""

from __future__ import annotations

import ctypes
import logging
from dataclasses import dataclass
from functools import cache
from typing import Any

import llama_cpp

log = logging.getLogger("hearth.llama")

# enum ggml_backend_dev_type in ggml-backend.h
_DEVICE_TYPES = {0: "CPU", 1: "GPU", 2: "iGPU", 3: "accelerator", 4: "meta"}
_LOG_LEVELS = {  # enum ggml_log_level in ggml.h; 5 (CONT) continues the previous line
    0: logging.CRITICAL,
    1: logging.DEBUG,
    2: logging.INFO,
    3: logging.WARNING,
    4: logging.ERROR,
}


@dataclass(frozen=True)
class Device:
    name: str
    description: str
    kind: str
    free_bytes: int
    total_bytes: int


@dataclass(frozen=True)
class BackendInfo:
    gpu_offload: bool
    devices: tuple[Device, ...]
    system_info: str

    @property
    def gpu_devices(self) -> tuple[Device, ...]:
        return tuple(device for device in self.devices if device.kind in ("GPU", "iGPU"))

    @property
    def name(self) -> str:
        gpus = self.gpu_devices
        return "CPU" if not self.gpu_offload or not gpus else f"GPU ({gpus[0].description})"

    @property
    def gpu_unavailable_reason(self) -> str | None:
        if self.gpu_offload and self.gpu_devices:
            return None
        if not self.gpu_offload:
            return "This llama.cpp build has no GPU backend, so everything runs on the CPU."
        return "No GPU was found, so everything runs on the CPU."


def _ggml_library() -> Any:
    from llama_cpp import _ggml  # private, but the only handle on libggml's device API

    lib = _ggml.libggml
    lib.ggml_backend_dev_count.restype = ctypes.c_size_t
    lib.ggml_backend_dev_get.argtypes = [ctypes.c_size_t]
    lib.ggml_backend_dev_get.restype = ctypes.c_void_p
    for name in ("ggml_backend_dev_name", "ggml_backend_dev_description"):
        getattr(lib, name).argtypes = [ctypes.c_void_p]
        getattr(lib, name).restype = ctypes.c_char_p
    lib.ggml_backend_dev_type.argtypes = [ctypes.c_void_p]
    lib.ggml_backend_dev_type.restype = ctypes.c_int
    lib.ggml_backend_dev_memory.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t), ctypes.POINTER(ctypes.c_size_t)
    ]
    lib.ggml_backend_dev_memory.restype = None
    return lib


def _devices() -> tuple[Device, ...]:
    try:
        lib = _ggml_library()
    except (ImportError, OSError, AttributeError) as error:
        log.warning("cannot list llama.cpp devices: %s", error)
        return ()
    found = []
    for index in range(lib.ggml_backend_dev_count()):
        handle = lib.ggml_backend_dev_get(index)
        free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
        lib.ggml_backend_dev_memory(handle, ctypes.byref(free), ctypes.byref(total))
        found.append(Device(
            name=(lib.ggml_backend_dev_name(handle) or b"").decode(errors="replace"),
            description=(lib.ggml_backend_dev_description(handle) or b"").decode(errors="replace"),
            kind=_DEVICE_TYPES.get(lib.ggml_backend_dev_type(handle), "unknown"),
            free_bytes=free.value,
            total_bytes=total.value,
        ))
    return tuple(found)


@cache
def backend_info() -> BackendInfo:
    route_llama_log()
    llama_cpp.llama_backend_init()
    return BackendInfo(
        gpu_offload=bool(llama_cpp.llama_supports_gpu_offload()),
        devices=_devices(),
        system_info=llama_cpp.llama_print_system_info().decode(errors="replace").strip(),
    )


COMPUTE_RESERVE_BYTES = 512 * 1024 * 1024  # llama.cpp's compute buffers on the device


def layers_that_fit(
    block_count: int, model_bytes: int, kv_bytes_per_token: int, n_ctx: int, free_bytes: int
) -> int:
    """How many layers (with their KV cache) fit in `free_bytes` of device memory.

    Returns -1 when the whole model fits, the number of layers otherwise (0: none).
    """
    if block_count <= 0:
        return 0
    per_layer = model_bytes / (block_count + 1) + n_ctx * kv_bytes_per_token / block_count
    usable = free_bytes - COMPUTE_RESERVE_BYTES
    if usable >= per_layer * (block_count + 1):
        return -1
    return max(0, min(block_count, int(usable // per_layer)))


def llama_cpp_version() -> str:
    return str(getattr(llama_cpp, "__version__", "unknown"))


class _LogRouter:
    """Sends llama.cpp's C log lines to Python logging, joining continuation pieces."""

    def __init__(self) -> None:
        self._level = logging.INFO
        self._pending = ""
        self.callback = llama_cpp.llama_log_callback(self._on_log)

    def _on_log(self, level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
        if level != 5:  # GGML_LOG_LEVEL_CONT continues the previous line
            self._level = _LOG_LEVELS.get(level, logging.DEBUG)
        self._pending += text.decode("utf-8", errors="replace")
        if self._pending.endswith("\n"):
            line, self._pending = self._pending.rstrip(), ""
            # Hearth arms the abort callback every turn; its echo is noise in the log.
            if line and not line.startswith("set_abort_callback"):
                log.log(self._level, "%s", line)


_router: _LogRouter | None = None


def route_llama_log() -> None:
    """Installs the log callback once; the reference is kept so ctypes never frees it."""
    global _router
    if _router is None:
        _router = _LogRouter()
        llama_cpp.llama_log_set(_router.callback, ctypes.c_void_p(0))
