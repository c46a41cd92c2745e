"""Whether this CPU has the instruction sets the installed llama.cpp was built with.

A llama.cpp built for AVX2 (the packaged app's baseline) or AVX-512 (a build made on a newer
machine) dies of SIGILL on a CPU without them, at the first matrix product. The build says
what it uses in `llama_print_system_info()`; on Linux the CPU says what it has in
/proc/cpuinfo. Checked before the engine host starts, so a person reads which instruction set
is missing instead of seeing the engine crash at every load.
"""

from __future__ import annotations

import re
from pathlib import Path

# llama_print_system_info() name -> the /proc/cpuinfo flag of the same instruction set.
_CPUINFO_FLAGS = {
    "SSE3": "pni", "SSSE3": "ssse3", "AVX": "avx", "AVX2": "avx2", "F16C": "f16c", "FMA": "fma",
    "BMI2": "bmi2", "AVX_VNNI": "avx_vnni", "AVX512": "avx512f", "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni", "AVX512_BF16": "avx512_bf16", "AMX_INT8": "amx_int8",
}
_ENABLED = re.compile(r"\b([A-Z0-9_]+) = 1\b")


def missing_instruction_sets(system_info: str, cpuinfo: str | None) -> list[str]:
    """The instruction sets the build uses that the CPU lacks; [] when all are there or when
    the CPU cannot be asked (no /proc/cpuinfo: macOS, Windows)."""
    if cpuinfo is None:
        return []
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            break
    if not flags:
        return []
    used = _ENABLED.findall(system_info)
    return [name for name in used if name in _CPUINFO_FLAGS and _CPUINFO_FLAGS[name] not in flags]


def cpu_problem(system_info: str, cpuinfo_path: Path = Path("/proc/cpuinfo")) -> str | None:
    """A sentence for a person when this CPU cannot run the installed llama.cpp, else None."""
    cpuinfo = cpuinfo_path.read_text(errors="replace") if cpuinfo_path.exists() else None
    missing = missing_instruction_sets(system_info, cpuinfo)
    if not missing:
        return None
    names = ", ".join(missing)
    return (f"This computer's processor lacks {names}, which this build of llama.cpp needs, so "
            "no model can run here. Install a build of Hearth made for older processors, or "
            "build it on this computer (`make run` builds llama.cpp for the processor it "
            "runs on).")
