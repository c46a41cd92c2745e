"""The CPU check before the engine starts: a build for instruction sets this CPU lacks is said
in a sentence, never found out by a SIGILL at the first token."""

from __future__ import annotations

from pathlib import Path

import llama_cpp

from engine.host.cpu_check import cpu_problem, missing_instruction_sets

AVX512_BUILD = ("CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | "
                "BMI2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | LLAMAFILE = 1 | OPENMP = 1 | "
                "REPACK = 1 |")
HASWELL = "processor\t: 0\nflags\t\t: fpu pni ssse3 avx avx2 f16c fma bmi2\n"


def test_a_build_for_avx512_on_a_cpu_without_it_names_what_is_missing(tmp_path: Path) -> None:
    assert missing_instruction_sets(AVX512_BUILD, HASWELL) == ["AVX512", "AVX512_VNNI"]
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(HASWELL)
    problem = cpu_problem(AVX512_BUILD, cpuinfo)
    assert problem is not None and "lacks AVX512, AVX512_VNNI" in problem


def test_without_proc_cpuinfo_nothing_is_claimed(tmp_path: Path) -> None:
    assert missing_instruction_sets(AVX512_BUILD, None) == []
    assert cpu_problem(AVX512_BUILD, tmp_path / "absent") is None


def test_the_installed_build_runs_on_this_machine() -> None:
    # The Makefile builds for this CPU's own instruction sets: nothing may be missing here.
    assert cpu_problem(llama_cpp.llama_print_system_info().decode()) is None
