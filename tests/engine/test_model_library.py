"""The installed-model library on real files: the bundled model, a models folder, the index,
imports (copied and referenced), deletes, names, the default model, and memory estimates."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from engine.errors import ModelError, OperationCancelled
from engine.models import library as library_module
from engine.models import memory as memory_module
from engine.models.files import resolve_model
from engine.models.gguf import TensorInfo, read_header
from engine.models.library import (
    ImportDone,
    ImportProgress,
    InstalledModel,
    ModelLibrary,
    quantization_from_name,
)
from engine.models.memory import (
    PROCESS_BASELINE_BYTES,
    MachineMemory,
    MemoryEstimate,
    ModelShape,
    compute_graph_bytes,
    estimate_memory,
    fits,
    machine_memory,
    repacked_tensor_bytes,
    repacked_types,
)
from tests.engine.test_gguf_checks import gguf_bytes, kv_string, tiny_model

MIB = 1024 * 1024


@pytest.fixture
def models_dir(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture
def library(models_dir: Path, bundled_model: Path) -> ModelLibrary:
    return ModelLibrary(models_dir, bundled_model)


def place(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def names(library: ModelLibrary) -> list[str]:
    return [model.name for model in library.models()]


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_the_bundled_model_is_listed_with_its_metadata(library: ModelLibrary) -> None:
    [bundled] = library.models()
    assert bundled.key == "bundled:SmolLM2-135M-Instruct.Q4_1.gguf"
    assert bundled.name == "SmolLM2-135M-Instruct.Q4_1"
    assert bundled.origin.kind == "bundled"
    assert bundled.available and bundled.problem is None
    details = bundled.details
    assert details is not None
    assert details.architecture == "llama"
    assert details.parameter_count == 134_515_008  # counted from the tensor table
    assert details.size_label == "135M"
    assert details.quantization == "Q4_1"
    assert details.context_length == 8192
    assert details.has_chat_template
    assert bundled.size_bytes == 98_362_432


def test_models_in_the_folder_are_found_and_split_parts_count_as_one(
    library: ModelLibrary, models_dir: Path
) -> None:
    place(models_dir, "solo.gguf", tiny_model())
    first = place(models_dir, "big-00001-of-00002.gguf", tiny_model())
    place(models_dir, "big-00002-of-00002.gguf", tiny_model(shape=(8, 8)))
    place(models_dir, "notes.txt", b"not a model")
    place(models_dir, ".big.gguf.importing", tiny_model())  # a copy in progress
    place(models_dir, ".partial/0123/0.part", tiny_model())  # a download in progress
    models = {model.name: model for model in library.models()}
    assert list(models) == ["SmolLM2-135M-Instruct.Q4_1", "big", "solo"]
    big = models["big"]
    assert big.path == first, "the first part is the one to load"
    assert big.key == "big-00001-of-00002.gguf"
    assert big.size_bytes == first.stat().st_size + (models_dir / big.parts[1]).stat().st_size
    assert big.details is not None and big.details.parameter_count == 32 + 64
    assert big.details.quantization == "F32"
    assert big.origin.kind == "found"


def test_a_split_model_with_a_missing_part_is_listed_with_the_reason(
    library: ModelLibrary, models_dir: Path
) -> None:
    place(models_dir, "big-00002-of-00003.gguf", tiny_model())
    [_, big] = library.models()
    assert big.name == "big"
    assert big.path.name == "big-00001-of-00003.gguf"
    assert big.problem == (
        "Split into 3 files; missing big-00001-of-00003.gguf, big-00003-of-00003.gguf"
    )


def test_broken_files_in_the_folder_are_listed_with_their_problem(
    library: ModelLibrary, models_dir: Path, bundled_model: Path
) -> None:
    place(models_dir, "empty.gguf", b"")
    place(models_dir, "random.gguf", os.urandom(1000))
    place(models_dir, "cut.gguf", bundled_model.read_bytes()[:60_000_000])
    place(models_dir, "mmproj-vision.gguf", gguf_bytes([kv_string("general.architecture",
                                                                   "clip")]))
    problems = {model.name: model.problem for model in library.models()}
    assert problems["empty"] == "empty.gguf is not a GGUF model file"
    assert problems["random"] == "random.gguf is not a GGUF model file"
    assert problems["cut"] is not None and problems["cut"].startswith("the file is cut short")
    assert problems["mmproj-vision"] == "A vision projector for another model, not a chat model"


def test_a_file_placed_by_a_download_knows_its_repository(
    library: ModelLibrary, models_dir: Path
) -> None:
    place(models_dir, "someone/Tiny-GGUF/tiny-Q8_0.gguf", tiny_model())
    model = library.find("tiny-Q8_0")
    assert model.origin.describe() == "downloaded from someone/Tiny-GGUF"
    assert model.origin.repo_file == "tiny-Q8_0.gguf"
    assert model.details is not None and model.details.quantization == "F32"  # the header wins
    other = place(models_dir, "flat-Q5_K_M.gguf", tiny_model())
    recorded = library.record_download(other, "org/Flat-GGUF", "flat-Q5_K_M.gguf")
    assert recorded.origin.repo_id == "org/Flat-GGUF"
    with pytest.raises(ModelError, match="not in the models folder"):
        library.record_download(Path("/elsewhere/x.gguf"), "org/x", "x.gguf")


def test_importing_copies_the_file_with_progress_and_leaves_the_original(
    library: ModelLibrary, models_dir: Path, bundled_model: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "downloads" / "my-model.gguf"
    source.parent.mkdir()
    shutil.copyfile(bundled_model, source)
    monkeypatch.setattr(library_module, "COPY_CHUNK", 16 * MIB)
    events = list(library.import_steps(source))
    progress = [event for event in events if isinstance(event, ImportProgress)]
    assert [event.copied_bytes for event in progress] == [
        min(n * 16 * MIB, source.stat().st_size) for n in range(1, 7)
    ]
    assert isinstance(events[-1], ImportDone)
    model = events[-1].model
    assert model.name == "my-model"
    assert model.path == models_dir / "my-model.gguf"
    assert model.origin.kind == "imported" and model.origin.source == str(source)
    assert model.path.read_bytes() == bundled_model.read_bytes()
    assert source.is_file()
    assert files_under(models_dir) == ["library.json", "my-model.gguf"]


def test_a_cancelled_import_keeps_nothing(
    library: ModelLibrary, models_dir: Path, bundled_model: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = tmp_path / "my-model.gguf"
    shutil.copyfile(bundled_model, source)
    monkeypatch.setattr(library_module, "COPY_CHUNK", 8 * MIB)
    cancel = threading.Event()
    seen: list[int] = []

    def on_progress(copied: int, total: int) -> None:
        seen.append(copied)
        cancel.set()

    with pytest.raises(OperationCancelled, match="cancelled; nothing was kept"):
        library.import_file(source, cancel=cancel, on_progress=on_progress)
    assert seen == [8 * MIB]
    assert files_under(models_dir) == []
    assert names(library) == ["SmolLM2-135M-Instruct.Q4_1"]


def test_an_import_that_does_not_fit_the_disk_is_refused_before_copying(
    library: ModelLibrary, models_dir: Path, bundled_model: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A full disk cannot be made on demand here: disk_usage reports 20 MB free instead.
    source = tmp_path / "my-model.gguf"
    shutil.copyfile(bundled_model, source)
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage",
                        lambda _path: usage._replace(free=20 * 10**6))
    with pytest.raises(ModelError) as raised:
        library.import_file(source)
    assert str(raised.value) == (
        f"Not enough disk space to import my-model.gguf: it needs 98.4 MB, and {models_dir} has "
        "20.0 MB free (145.5 MB more needed)"
    )
    assert files_under(models_dir) == []


def test_a_disk_that_fills_up_during_the_copy_leaves_no_partial_file(
    library: ModelLibrary, models_dir: Path, bundled_model: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Filling the real disk is not possible here: the final flush to disk fails with ENOSPC.
    source = tmp_path / "my-model.gguf"
    shutil.copyfile(bundled_model, source)

    def disk_full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    message = "The disk filled up while copying my-model.gguf; the partial copy was removed"
    with pytest.raises(ModelError, match=re.escape(message)):
        library.import_file(source)
    assert files_under(models_dir) == []


def test_imports_that_make_no_sense_are_refused(
    library: ModelLibrary, models_dir: Path, bundled_model: Path, tmp_path: Path
) -> None:
    with pytest.raises(ModelError, match=re.escape("notes.gguf is not a GGUF model file")):
        library.import_file(place(tmp_path, "notes.gguf", b"my notes\n"))
    with pytest.raises(ModelError, match="already installed"):
        library.import_file(bundled_model)
    inside = place(models_dir, "inside.gguf", tiny_model())
    with pytest.raises(ModelError, match=re.escape("inside.gguf is already installed")):
        library.import_file(inside, reference=True)
    clash = place(tmp_path, "inside.gguf", tiny_model())
    taken = "named inside.gguf is already in the models folder"
    with pytest.raises(ModelError, match=re.escape(taken)):
        library.import_file(clash)
    library.import_file(clash, reference=True)
    with pytest.raises(ModelError, match="already installed"):
        library.import_file(clash, reference=True)
    assert names(library) == ["SmolLM2-135M-Instruct.Q4_1", "inside", "inside (2)"]


def test_a_referenced_file_that_disappears_is_listed_as_missing(
    library: ModelLibrary, models_dir: Path, tmp_path: Path
) -> None:
    source = place(tmp_path / "usb-stick", "far.gguf", tiny_model())
    model = library.import_file(source, reference=True)
    assert model.origin.kind == "referenced" and model.path == source
    assert files_under(models_dir) == ["library.json"], "nothing was copied"
    source.unlink()
    missing = library.find("far")
    assert missing.problem == f"The file is missing: {source}"
    assert not missing.available and missing.details is None


def test_deleting_a_referenced_model_never_deletes_the_persons_file(
    library: ModelLibrary, tmp_path: Path
) -> None:
    source = place(tmp_path, "mine.gguf", tiny_model())
    library.delete(library.import_file(source, reference=True))
    assert source.is_file()
    assert names(library) == ["SmolLM2-135M-Instruct.Q4_1"]


def test_deleting_removes_files_index_entry_and_empty_folders(
    library: ModelLibrary, models_dir: Path, bundled_model: Path
) -> None:
    place(models_dir, "org/Big-GGUF/big-00001-of-00002.gguf", tiny_model())
    place(models_dir, "org/Big-GGUF/big-00002-of-00002.gguf", tiny_model())
    place(models_dir, "org/Other-GGUF/other.gguf", tiny_model())
    big = library.rename(library.find("big"), "Big one")
    library.delete(big)
    assert files_under(models_dir) == ["library.json", "org/Other-GGUF/other.gguf"]
    assert not (models_dir / "org" / "Big-GGUF").exists()
    assert json.loads((models_dir / "library.json").read_text())["models"] == []
    with pytest.raises(ModelError, match="The bundled model cannot be deleted"):
        library.delete(library.find("SmolLM2-135M-Instruct.Q4_1"))
    assert bundled_model.is_file()


def test_renaming_changes_only_the_name_shown(library: ModelLibrary, models_dir: Path) -> None:
    place(models_dir, "a.gguf", tiny_model())
    place(models_dir, "b.gguf", tiny_model())
    renamed = library.rename(library.find("a"), "  My   favourite ")
    assert renamed.name == "My favourite" and renamed.path == models_dir / "a.gguf"
    assert library.find("my favourite").key == "a.gguf"
    with pytest.raises(ModelError, match="Another model is already named 'b'"):
        library.rename(renamed, "B")
    with pytest.raises(ModelError, match="cannot be empty"):
        library.rename(renamed, " \n ")


def test_ambiguous_and_unknown_names_are_refused(library: ModelLibrary, models_dir: Path) -> None:
    place(models_dir, "one/same.gguf", tiny_model())
    place(models_dir, "two/same.gguf", tiny_model())
    ambiguous = "2 models are named 'same'; use one of: one/same.gguf, two/same.gguf"
    with pytest.raises(ModelError, match=re.escape(ambiguous)):
        library.find("same")
    assert library.find("two/same.gguf").path == models_dir / "two" / "same.gguf"
    with pytest.raises(ModelError, match="No model named 'nope'"):
        library.find("nope")


def test_a_broken_index_is_set_aside_and_the_folder_still_lists(
    library: ModelLibrary, models_dir: Path
) -> None:
    place(models_dir, "a.gguf", tiny_model())
    place(models_dir, "library.json", b'{"models": [ half a file')
    assert names(library) == ["SmolLM2-135M-Instruct.Q4_1", "a"]
    assert library.notice is not None and "library.json.broken" in library.notice
    assert (models_dir / "library.json.broken").read_bytes() == b'{"models": [ half a file'
    library.rename(library.find("a"), "Alpha")
    assert files_under(models_dir) == ["a.gguf", "library.json", "library.json.broken"]


def test_the_default_model_resolves_by_key_name_or_path(
    library: ModelLibrary, models_dir: Path, bundled_model: Path, tmp_path: Path
) -> None:
    assert library.resolve(None, None) == bundled_model
    chosen = library.import_file(place(tmp_path, "far.gguf", tiny_model()), reference=True)
    assert library.resolve(None, chosen.key) == chosen.path
    assert library.resolve("far", None) == chosen.path
    assert library.resolve(str(chosen.path), "anything") == chosen.path
    gone = "The default model 'gone.gguf' is not installed any more"
    with pytest.raises(ModelError, match=re.escape(gone)):
        library.resolve(None, "gone.gguf")
    default = library.default_model(chosen.key)
    assert default is not None and default.key == chosen.key
    # The engine's resolve_model uses the same index, so a referenced model is found by name.
    assert resolve_model("far", None, models_dir) == chosen.path


def test_without_the_bundled_model_the_first_loadable_one_is_the_default(
    models_dir: Path,
) -> None:
    library = ModelLibrary(models_dir, None)
    with pytest.raises(ModelError, match="No model is installed"):
        library.resolve(None, None)
    place(models_dir, "a-broken.gguf", b"")
    place(models_dir, "b.gguf", tiny_model())
    assert library.resolve(None, None) == models_dir / "b.gguf"


@pytest.mark.parametrize(
    ("file_name", "quantization"),
    [
        ("Llama-3.2-3B-Instruct-Q4_K_M.gguf", "Q4_K_M"),
        ("qwen2.5-7b-instruct-q4_k_m-00001-of-00002.gguf", "Q4_K_M"),
        ("SmolLM2-135M-Instruct.Q4_1.gguf", "Q4_1"),
        ("Qwen3-4B-Q8_0.gguf", "Q8_0"),
        ("model-IQ3_XXS.gguf", "IQ3_XXS"),
        ("phi-4-Q6_K_L.gguf", "Q6_K_L"),
        ("gemma-3-4b-it-bf16.gguf", "BF16"),
        ("gemma-7b.Q4_K.gguf", "Q4_K"),
        ("Mistral-7B-Instruct-v0.3.gguf", None),
        ("my-model.gguf", None),
    ],
)
def test_quantization_from_the_file_name(file_name: str, quantization: str | None) -> None:
    assert quantization_from_name(file_name) == quantization


def test_the_memory_estimate_matches_llama_cpps_own_figures(bundled_model: Path) -> None:
    header = read_header(bundled_model)
    estimate = estimate_memory(header, 2048)
    assert estimate.weights_bytes == 98_362_432
    assert estimate.repacked_bytes == 0  # Q4_1 and a Q8_0 lookup table: nothing to repack
    assert estimate.kv_cache_bytes == 45 * MIB  # llama.cpp: "KV buffer size = 45.00 MiB"
    # llama.cpp reports 99.4 MiB of compute buffers at 2048 and 4096, 166.4 at 8192 and 326.4
    # at 16384 (CPU, no flash attention): the logits of a batch, then the attention scores.
    shape = ModelShape.from_header(header)
    for n_ctx, reported in ((2048, 99.38), (4096, 99.38), (8192, 166.38), (16384, 326.38)):
        assert 1.0 < compute_graph_bytes(shape, n_ctx) / (reported * MIB) < 1.1, n_ctx
    # Beside it: the f16 copy of the scores (ggml's work buffer), llama.cpp's logits of a
    # batch and the host's copy of them, 2 x 512 x 49,152 x 4 B.
    assert estimate.compute_bytes == (compute_graph_bytes(shape, 2048) + 2 * 512 * 2048 * 9
                                      + 2 * 4 * 512 * 49_152)
    assert estimate.process_bytes == PROCESS_BASELINE_BYTES + 320 * 49_152
    assert estimate.total_bytes == (
        estimate.weights_bytes + estimate.kv_cache_bytes + estimate.compute_bytes
        + estimate.process_bytes
    )
    assert estimate_memory(header, 0) == MemoryEstimate(0, 98_362_432, 0, 0, block_count=30)


def test_tensors_repacked_for_the_cpu_count_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    avx2 = repacked_types("CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | REPACK = 1 |")
    assert set(avx2) == {"Q4_0", "Q4_K", "IQ4_NL", "MXFP4"}
    assert "Q2_K" in repacked_types("CPU : AVX2 = 1 | AVX512 = 1 | REPACK = 1 |")
    assert "Q6_K" in repacked_types("CPU : NEON = 1 | ARM_FMA = 1 | DOTPROD = 1 | REPACK = 1 |")
    assert repacked_types("CPU : AVX2 = 1 | REPACK = 0 |") == {}
    q4_k, q6_k, f32 = 12, 14, 0
    tensors = [
        TensorInfo("token_embd.weight", (1536, 151_936), q4_k, 0),  # looked up, not multiplied
        TensorInfo("output.weight", (1536, 151_936), q6_k, 0),
        TensorInfo("blk.0.ffn_up.weight", (1536, 8960), q4_k, 0),
        TensorInfo("blk.0.attn_k.weight", (1536, 260), q4_k, 0),  # rows not a multiple of 8
        TensorInfo("blk.0.attn_norm.weight", (1536,), f32, 0),
    ]
    up = tensors[2].byte_size
    assert repacked_tensor_bytes(tensors, avx2) == up
    # Without output.weight the output is the token embeddings, multiplied: repacked too.
    tied = [tensor for tensor in tensors if tensor.name != "output.weight"]
    assert repacked_tensor_bytes(tied, avx2) == up + tensors[0].byte_size
    # Without a tensor table (the catalog) every weight of a repacked quantization counts.
    monkeypatch.setattr(memory_module, "repacked_types", lambda: avx2)
    for quantization, repacked in (("Q4_K_M", 10**9), ("Q8_0", 0), (None, 0)):
        shape = ModelShape(10**9, 28, None, 12, 151_936, 1536, quantization=quantization)
        assert shape.repacked() == repacked
        assert estimate_memory(shape, 512).repacked_bytes == repacked


def test_the_machine_memory_is_measured(bundled_model: Path) -> None:
    machine = machine_memory()
    assert machine.total_bytes is not None and machine.available_bytes is not None
    assert 0 < machine.available_bytes <= machine.total_bytes
    assert machine.gpu_free_bytes is None, "this llama.cpp build has no GPU backend"
    fit = ModelLibrary(Path("unused"), bundled_model).models()[0].fit(2048, machine)
    assert fit is not None and fit.verdict == "fits" and fit.loadable


def shape(weights: int, kv_per_token: int = 100_000) -> ModelShape:
    return ModelShape(weights, block_count=32, kv_bytes_per_token=kv_per_token, head_count=32,
                      vocab_size=32_000, embedding_length=4096)


@pytest.mark.parametrize(
    ("machine", "verdict", "message"),
    [
        (MachineMemory(16 * 10**9, 12 * 10**9), "fits", "Fits: needs 5.9 GB"),
        (MachineMemory(16 * 10**9, 4 * 10**9), "close_programs",
         "but only 4.0 GB is free. Close other programs"),
        (MachineMemory(4 * 10**9, 3 * 10**9), "too_big", "it has 4.0 GB of memory in all"),
        (MachineMemory(4 * 10**9, 3 * 10**9, 8 * 1024**3, "Stand-in GPU"), "fits", "Fits"),
        (MachineMemory(None, None), "unknown", "this computer's memory is unknown"),
    ],
    ids=["fits", "close-programs", "too-big", "gpu-stand-in", "unknown"],
)
def test_fit_verdicts_carry_the_numbers(machine: MachineMemory, verdict: str, message: str) -> None:
    estimate = estimate_memory(shape(4 * 10**9), 8192)
    fit = fits(estimate, machine)
    assert fit.verdict == verdict
    assert message in fit.message
    assert ("5.9 GB: 4.0 GB weights + 819.2 MB context cache for 8,192 tokens + 1.0 GB "
            "working memory + 77.3 MB for the engine itself") in fit.message
    # Only a machine with a GPU backend gets a layer split; the stand-in fits all layers (-1).
    assert fit.gpu_layers == (-1 if machine.gpu_free_bytes else None)


def test_an_installed_model_estimates_for_any_context(library: ModelLibrary) -> None:
    model: InstalledModel = library.models()[0]
    small, large = model.estimate(512), model.estimate(8192)
    assert small is not None and large is not None
    assert large.kv_cache_bytes == 16 * small.kv_cache_bytes
    details: Any = model.details
    assert details.shape.kv_bytes_per_token == 23_040
