"""llama.cpp's CMake flags for this machine, and the wheel folder they key.

A default (`GGML_NATIVE=ON`) build compiles with `-march=native`; on an Intel CPU with AMX that
defines `__AMX_INT8__`, ggml registers its AMX weight buffers, and the first decode segfaults in
`ggml_backend_amx_mul_mat` (llama.cpp issue 20824). So on x86-64 Linux the build names each
instruction set this CPU has, the same as native, except AMX. `--portable` gives the baseline the
packaged app ships with (AVX2/FMA/F16C), which runs on any x86-64 CPU from 2013 on.

pip caches a built wheel by name and version, not by its CMake flags: each set of flags gets a
wheel folder of its own, named by a hash of the version and the flags.

    python packaging/llama_build.py cmake-args [--portable]
    python packaging/llama_build.py wheel-dir VERSION [--portable]
"""

from __future__ import annotations

import hashlib
import os
import platform
import sys
from pathlib import Path

# ggml option -> the /proc/cpuinfo flags it needs (all of them). AMX is left out on purpose.
_X86_OPTIONS: dict[str, tuple[str, ...]] = {
    "GGML_SSE42": ("sse4_2",),
    "GGML_AVX": ("avx",),
    "GGML_AVX2": ("avx2",),
    "GGML_FMA": ("fma",),
    "GGML_F16C": ("f16c",),
    "GGML_BMI2": ("bmi2",),
    "GGML_AVX_VNNI": ("avx_vnni",),
    "GGML_AVX512": ("avx512f", "avx512cd", "avx512vl", "avx512dq", "avx512bw"),
    "GGML_AVX512_VBMI": ("avx512vbmi",),
    "GGML_AVX512_VNNI": ("avx512_vnni",),
    "GGML_AVX512_BF16": ("avx512_bf16",),
}
_PORTABLE = ("GGML_SSE42", "GGML_AVX", "GGML_AVX2", "GGML_FMA", "GGML_F16C", "GGML_BMI2")


def cpu_flags(cpuinfo: str) -> set[str]:
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def cmake_args(cpuinfo: str | None, machine: str, portable: bool = False) -> list[str]:
    """llama.cpp's CMake flags; `cpuinfo` is /proc/cpuinfo's text, None where there is none."""
    if machine not in ("x86_64", "AMD64"):
        return []  # ARM and others: the native build has no AMX path to avoid
    if portable:
        enabled = set(_PORTABLE)
    elif cpuinfo is None:
        return []  # no cpuinfo to read (macOS, Windows): llama.cpp's own default
    else:
        flags = cpu_flags(cpuinfo)
        enabled = {option for option, needs in _X86_OPTIONS.items() if flags.issuperset(needs)}
    return ["-DGGML_NATIVE=OFF"] + [
        f"-D{option}={'ON' if option in enabled else 'OFF'}" for option in _X86_OPTIONS
    ]


def wheel_dir(version: str, args: list[str]) -> Path:
    key = hashlib.sha256(" ".join([version, *args]).encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "hearth" / "wheels" / f"llama-cpp-python-{version}-{key}"


def _this_machine_args(portable: bool) -> list[str]:
    cpuinfo_path = Path("/proc/cpuinfo")
    cpuinfo = cpuinfo_path.read_text() if cpuinfo_path.exists() else None
    return cmake_args(cpuinfo, platform.machine(), portable)


def main(argv: list[str]) -> int:
    portable = "--portable" in argv
    words = [word for word in argv if word != "--portable"]
    if words == ["cmake-args"]:
        print(" ".join(_this_machine_args(portable)))
        return 0
    if len(words) == 2 and words[0] == "wheel-dir":
        print(wheel_dir(words[1], _this_machine_args(portable)))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
