"""The reference: `llama-bench`, built from the llama.cpp that llama-cpp-python vendors.

The sources come from the same llama-cpp-python sdist pip installs, and the build takes the same
CMake flags as the Makefile's wheel (packaging/llama_build.py), so both sides run the same
llama.cpp commit with the same CPU flags. The build is cached in `bench/.cache`, one folder for
each set of flags.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import platform
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import llama_cpp

log = logging.getLogger(__name__)

CACHE = Path(__file__).resolve().parent / ".cache"


@dataclass(frozen=True)
class ReferenceRate:
    test: str  # "pp512", "tg128", ...
    tokens_per_second: float
    stddev: float


def _sdist() -> Path:
    version = llama_cpp.__version__
    found = sorted(CACHE.glob(f"llama_cpp_python-{version}.tar.gz"))
    if found:
        return found[0]
    CACHE.mkdir(parents=True, exist_ok=True)
    log.info("downloading the llama-cpp-python %s sources", version)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         f"llama-cpp-python=={version}", "-d", str(CACHE)],
        check=True,
    )
    return next(CACHE.glob(f"llama_cpp_python-{version}.tar.gz"))


def build_flags() -> list[str]:
    """The CMake flags the Makefile builds llama-cpp-python with on this machine."""
    script = Path(__file__).resolve().parent.parent / "packaging" / "llama_build.py"
    spec = importlib.util.spec_from_file_location("llama_build", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    cpuinfo = Path("/proc/cpuinfo")
    flags: list[str] = module.cmake_args(
        cpuinfo.read_text() if cpuinfo.exists() else None, platform.machine()
    )
    return flags


def llama_bench_binary() -> Path:
    return llama_tool("llama-bench")


def llama_tool(name: str) -> Path:
    """Builds one of llama.cpp's tools or examples (llama-bench, llama-lookup,
    llama-speculative-simple) once, a few minutes on 2 cores, and returns its path."""
    version = llama_cpp.__version__
    flags = build_flags()
    key = hashlib.sha256(" ".join(flags).encode()).hexdigest()[:12]
    build = CACHE / f"build-{version}-{key}"
    binary = build / "bin" / name
    if binary.exists():
        return binary
    source = CACHE / f"src-{version}"
    if not source.exists():
        with tarfile.open(_sdist()) as archive:
            archive.extractall(source, filter="data")
    llama_dir = next(source.glob("*/vendor/llama.cpp"))
    subprocess.run(
        ["cmake", "-S", str(llama_dir), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
         "-DLLAMA_BUILD_TOOLS=ON", "-DLLAMA_BUILD_EXAMPLES=ON", "-DLLAMA_BUILD_TESTS=OFF",
         "-DLLAMA_BUILD_SERVER=OFF", "-DLLAMA_CURL=OFF", "-DLLAMA_OPENSSL=OFF",
         "-DBUILD_SHARED_LIBS=OFF", *flags],
        check=True, stdout=subprocess.DEVNULL,
    )
    subprocess.run(
        ["cmake", "--build", str(build), "--target", name, "-j", "2"],
        check=True, stdout=subprocess.DEVNULL,
    )
    return binary


@dataclass(frozen=True)
class SpeculativeRun:
    """What llama-lookup or llama-speculative-simple reports of one greedy reply."""

    tokens_per_second: float  # of the reply, from its first token (drafting included)
    tokens: int
    drafted: int
    accepted: int


def run_llama_speculative(
    model: Path, prompt: str, tokens: int, threads: int, draft_max: int,
    draft: Path | None = None,
) -> SpeculativeRun:
    """One greedy reply to `prompt` (special tokens parsed, so a rendered chat template reads
    as the engine's tokens) by llama-lookup, or by llama-speculative-simple with `draft`."""
    tool = "llama-lookup" if draft is None else "llama-speculative-simple"
    command = [str(llama_tool(tool)), "-m", str(model), "-p", prompt, "-n", str(tokens),
               "-t", str(threads), "-tb", str(threads), "-c", "4096", "-fa", "off",
               "--temp", "0", "--seed", "1", "--spec-draft-n-max", str(draft_max)]
    if draft is not None:
        command += ["-md", str(draft), "--spec-type", "draft-simple", "-td", str(threads),
                    "--spec-draft-p-min", "0.75"]
    run = subprocess.run(command, check=True, capture_output=True, text=True)
    log_text = run.stdout + run.stderr  # its log lines carry a time and a level first
    decoded = re.search(r"decoded\s+(\d+) tokens in\s+[\d.]+ seconds, speed:\s+([\d.]+)",
                        log_text)
    drafted = re.search(r"n_drafted\s+=\s+(\d+)", log_text)
    accepted = re.search(r"n_accept\s+=\s+(\d+)", log_text)
    if decoded is None or drafted is None or accepted is None:
        raise RuntimeError(f"{tool} printed no figures:\n{log_text[-2000:]}")
    return SpeculativeRun(float(decoded[2]), int(decoded[1]), int(drafted[1]), int(accepted[1]))


def run_llama_bench(
    model: Path,
    threads: int,
    prompt_sizes: tuple[int, ...],
    gen_sizes: tuple[int, ...],
    repetitions: int,
    flash_attention: bool = False,
) -> list[ReferenceRate]:
    """Best-of-repetitions pp and tg rates from llama-bench (tokens/s)."""
    command = [
        str(llama_bench_binary()), "-m", str(model), "-t", str(threads),
        "-p", ",".join(map(str, prompt_sizes)) if prompt_sizes else "0",
        "-n", ",".join(map(str, gen_sizes)) if gen_sizes else "0",
        "-r", str(repetitions), "-o", "json",
        # The engine runs flash attention on the CPU only for a quantized cache
        # (engine/models/memory.py, uses_flash_attention); llama-bench's default is "auto".
        # Compare the same configuration.
        "-fa", "1" if flash_attention else "0",
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rates = []
    for row in json.loads(output):
        n_prompt, n_gen = int(row["n_prompt"]), int(row["n_gen"])
        test = f"pp{n_prompt}" if n_prompt else f"tg{n_gen}"
        if n_prompt or n_gen:
            # Best of the repetitions, as for the engine: the least disturbed run of each.
            best = max(float(value) for value in row.get("samples_ts") or [row["avg_ts"]])
            rates.append(ReferenceRate(test, best, float(row["stddev_ts"])))
    return rates
