"""The CMake flags llama-cpp-python is built with: this CPU's instruction sets, never AMX."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "packaging" / "llama_build.py"
# /proc/cpuinfo flags of the 2-core Sapphire Rapids VM where the native build segfaulted.
SAPPHIRE_RAPIDS = (
    "flags\t\t: fpu sse4_2 avx f16c fma bmi2 avx2 avx512f avx512dq avx512cd avx512bw avx512vl "
    "avx512vbmi avx512_vnni avx512_bf16 avx_vnni avx512_fp16 amx_bf16 amx_tile amx_int8\n"
)
HASWELL = "flags\t\t: fpu sse4_2 avx f16c fma bmi2 avx2\n"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("llama_build", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_amx_cpu_gets_its_avx512_sets_and_no_amx_and_never_native() -> None:
    args = _module().cmake_args(SAPPHIRE_RAPIDS, "x86_64")
    assert args[0] == "-DGGML_NATIVE=OFF"
    assert {"-DGGML_AVX512=ON", "-DGGML_AVX512_VNNI=ON", "-DGGML_AVX_VNNI=ON"} <= set(args)
    assert not any("AMX" in arg for arg in args)


def test_a_cpu_without_avx512_gets_none_of_it() -> None:
    args = _module().cmake_args(HASWELL, "x86_64")
    assert "-DGGML_AVX2=ON" in args and "-DGGML_AVX512=OFF" in args
    assert "-DGGML_AVX512_BF16=OFF" in args


def test_the_portable_baseline_is_avx2_whatever_the_build_machine() -> None:
    args = _module().cmake_args(SAPPHIRE_RAPIDS, "x86_64", portable=True)
    assert "-DGGML_AVX2=ON" in args and "-DGGML_FMA=ON" in args and "-DGGML_F16C=ON" in args
    assert "-DGGML_AVX512=OFF" in args


def test_arm_keeps_llama_cpps_own_default() -> None:
    assert _module().cmake_args(None, "aarch64") == []


def test_each_set_of_flags_has_a_wheel_folder_of_its_own() -> None:
    module = _module()
    native = module.wheel_dir("0.3.36", module.cmake_args(SAPPHIRE_RAPIDS, "x86_64"))
    portable = module.wheel_dir("0.3.36", module.cmake_args(SAPPHIRE_RAPIDS, "x86_64", True))
    assert native != portable and native.parent == portable.parent
