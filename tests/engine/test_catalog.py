"""The curated catalog: consistent data, sizes that agree with each quantization's bits per
weight, and memory estimates computed the same way as for a downloaded GGUF header."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.chat.builtin_templates import BUILTIN_TEMPLATES
from engine.errors import ModelError
from engine.models import memory as memory_module
from engine.models.catalog import CATALOG, CatalogModel, catalog_model
from engine.models.gguf import read_header
from engine.models.library import quantization_from_name
from engine.models.memory import MachineMemory, fits
from tests.engine.test_gguf_checks import gguf_bytes, kv_string, kv_u32

GIB = 1024**3
# Bits per weight a whole file averages at each quantization (embeddings and norms included).
BITS_PER_WEIGHT = {"Q4_K_M": (4.8, 6.0), "Q6_K": (6.5, 7.2), "Q8_0": (8.4, 8.9)}


def test_the_catalog_is_short_and_every_entry_is_complete() -> None:
    assert 8 <= len(CATALOG) <= 12
    assert len({model.key for model in CATALOG}) == len(CATALOG)
    for model in CATALOG:
        owner, _, name = model.repo_id.partition("/")
        assert owner and name.endswith("-GGUF"), model.repo_id
        assert model.license and model.description and model.files
        assert model.recommended.quantization == "Q4_K_M"
        assert model.head_count % model.kv_head_count == 0
        assert model.context_length >= 8192
        # a format Hearth renders as llama.cpp does (test_templates.py)
        assert model.template_family in BUILTIN_TEMPLATES


@pytest.mark.parametrize("model", CATALOG, ids=lambda model: model.key)
def test_file_names_and_sizes_agree_with_their_quantization(model: CatalogModel) -> None:
    for file in model.files:
        assert quantization_from_name(file.file_name) == file.quantization
        assert not file.size_exact, "sizes are rounded from model cards until the Hub says"
        low, high = BITS_PER_WEIGHT[file.quantization]
        bits = file.size_bytes * 8 / model.parameter_count
        assert low <= bits <= high, f"{file.file_name}: {bits:.2f} bits per weight"


def test_the_context_cache_matches_llama_cpps_figures() -> None:
    # llama.cpp: Llama 3.2 3B at 8,192 tokens "KV buffer size = 896.00 MiB";
    # Mistral 7B v0.3 at its full 32,768 tokens, 4 GiB.
    assert catalog_model("llama-3.2-3b-instruct").estimate("Q4_K_M", 8192).kv_cache_bytes == (
        896 * 1024**2
    )
    assert catalog_model("mistral-7b-instruct-v0.3").estimate("Q8_0", 32_768).kv_cache_bytes == (
        4 * GIB
    )


def test_catalog_numbers_give_the_same_cache_as_a_header_with_them(tmp_path: Path) -> None:
    model = catalog_model("qwen3-4b")
    path = tmp_path / "shape.gguf"
    path.write_bytes(gguf_bytes([
        kv_string("general.architecture", model.architecture),
        kv_u32(f"{model.architecture}.block_count", model.block_count),
        kv_u32(f"{model.architecture}.embedding_length", model.embedding_length),
        kv_u32(f"{model.architecture}.attention.head_count", model.head_count),
        kv_u32(f"{model.architecture}.attention.head_count_kv", model.kv_head_count),
        kv_u32(f"{model.architecture}.attention.key_length", model.head_dim),
        kv_u32(f"{model.architecture}.attention.value_length", model.head_dim),
    ]))
    assert read_header(path).kv_bytes_per_token() == model.kv_bytes_per_token == 147_456


def test_what_fits_an_8_gb_laptop(monkeypatch: pytest.MonkeyPatch) -> None:
    # An x86-64 CPU with AVX2: Q8_0 is not repacked there, Q4_K is (at most all of the file).
    monkeypatch.setattr(memory_module, "repacked_types", lambda: {"Q4_0": 8, "Q4_K": 8})
    laptop = MachineMemory(total_bytes=8 * 10**9, available_bytes=6 * 10**9)
    small = catalog_model("llama-3.2-1b-instruct").estimate("Q4_K_M", 8192)
    large = catalog_model("gemma-3-12b-it").estimate("Q8_0", 8192)
    assert fits(small, laptop).verdict == "fits"
    assert small.repacked_bytes == small.weights_bytes
    verdict = fits(large, laptop)
    assert verdict.verdict == "too_big"
    assert verdict.message == (
        "Too big for this computer: needs 17.7 GB: 12.5 GB weights + 3.2 GB context cache for "
        "8,192 tokens + 1.8 GB working memory + 151.0 MB for the engine itself, but it has "
        "8.0 GB of memory in all."
    )


def test_an_unknown_quantization_or_model_names_the_choices() -> None:
    with pytest.raises(ModelError, match="Qwen3 4B is not offered as Q2_K; choose Q4_K_M, Q8_0"):
        catalog_model("qwen3-4b").file("Q2_K")
    with pytest.raises(ModelError, match="No model 'gpt-5' in the catalog"):
        catalog_model("gpt-5")
