"""A short, curated list of good chat models for a desktop, as data.

Architecture numbers come from each model's config (exact); they give the context cache size
without downloading anything. File sizes are rounded from the repositories' model cards, so they
are marked approximate (`size_exact=False`); the Models tab replaces them with the Hub's exact
sizes when it is online.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import ModelError
from engine.models.memory import MemoryEstimate, ModelShape, estimate_memory
from engine.text import Text

GB = 10**9


@dataclass(frozen=True)
class CatalogFile:
    quantization: str
    file_name: str
    size_bytes: int
    size_exact: bool = False  # False: rounded from the model card, to be refreshed from the Hub


@dataclass(frozen=True)
class CatalogModel:
    key: str
    name: str
    description: Text  # one line, in the window's language (desktop/engine_texts.py)
    repo_id: str  # the GGUF repository on the Hugging Face Hub
    license: str
    parameter_count: int  # rounded, as the model's authors state it
    architecture: str  # the GGUF's general.architecture
    block_count: int
    head_count: int
    kv_head_count: int
    head_dim: int
    embedding_length: int
    vocab_size: int
    context_length: int  # trained context, in tokens
    files: tuple[CatalogFile, ...]  # the recommended quantization first
    # The format of the chat template its GGUF carries, as the name of Hearth's built-in of the
    # same format: the one to choose should its own template fail Hearth's check.
    template_family: str
    notes: str = ""

    @property
    def kv_bytes_per_token(self) -> int:
        """f16 K and V for every layer, as GgufHeader.kv_bytes_per_token computes it."""
        return self.block_count * self.kv_head_count * self.head_dim * 2 * 2

    @property
    def recommended(self) -> CatalogFile:
        return self.files[0]

    def file(self, quantization: str) -> CatalogFile:
        for candidate in self.files:
            if candidate.quantization.casefold() == quantization.casefold():
                return candidate
        offered = ", ".join(candidate.quantization for candidate in self.files)
        raise ModelError(Text("{name} is not offered as {quantization}; choose {offered}",
                              name=self.name, quantization=quantization, offered=offered))

    def shape(self, quantization: str) -> ModelShape:
        return ModelShape(
            weights_bytes=self.file(quantization).size_bytes,
            block_count=self.block_count,
            kv_bytes_per_token=self.kv_bytes_per_token,
            head_count=self.head_count,
            vocab_size=self.vocab_size,
            embedding_length=self.embedding_length,
            quantization=quantization,  # no tensor table: what this CPU repacks, at most
        )

    def estimate(self, quantization: str, n_ctx: int) -> MemoryEstimate:
        return estimate_memory(self.shape(quantization), n_ctx)


def _files(repo_prefix: str, sizes_gb: dict[str, float]) -> tuple[CatalogFile, ...]:
    return tuple(
        CatalogFile(quant, f"{repo_prefix}-{quant}.gguf", round(size * GB))
        for quant, size in sizes_gb.items()
    )


CATALOG: tuple[CatalogModel, ...] = (
    CatalogModel(
        key="llama-3.2-1b-instruct",
        name="Llama 3.2 1B Instruct",
        description=Text("Meta's smallest chat model: quick on any computer, for simple tasks."),
        repo_id="bartowski/Llama-3.2-1B-Instruct-GGUF",
        license="llama3.2",
        parameter_count=1_240_000_000,
        architecture="llama",
        block_count=16, head_count=32, kv_head_count=8, head_dim=64, embedding_length=2048,
        vocab_size=128_256, context_length=131_072,
        template_family="llama3",
        files=_files("Llama-3.2-1B-Instruct", {"Q4_K_M": 0.81, "Q6_K": 1.02, "Q8_0": 1.32}),
    ),
    CatalogModel(
        key="smollm2-1.7b-instruct",
        name="SmolLM2 1.7B Instruct",
        description=Text("The bundled model's big sibling from Hugging Face: small and fast."),
        repo_id="bartowski/SmolLM2-1.7B-Instruct-GGUF",
        license="apache-2.0",
        parameter_count=1_710_000_000,
        architecture="llama",
        block_count=24, head_count=32, kv_head_count=32, head_dim=64, embedding_length=2048,
        vocab_size=49_152, context_length=8192,
        template_family="chatml",
        files=_files("SmolLM2-1.7B-Instruct", {"Q4_K_M": 1.06, "Q8_0": 1.82}),
        notes="No grouped-query attention: its context cache is large for its size.",
    ),
    CatalogModel(
        key="llama-3.2-3b-instruct",
        name="Llama 3.2 3B Instruct",
        description=Text("A capable all-rounder that runs well on a laptop without a GPU."),
        repo_id="bartowski/Llama-3.2-3B-Instruct-GGUF",
        license="llama3.2",
        parameter_count=3_210_000_000,
        architecture="llama",
        block_count=28, head_count=24, kv_head_count=8, head_dim=128, embedding_length=3072,
        vocab_size=128_256, context_length=131_072,
        template_family="llama3",
        files=_files("Llama-3.2-3B-Instruct", {"Q4_K_M": 2.02, "Q6_K": 2.64, "Q8_0": 3.42}),
    ),
    CatalogModel(
        key="qwen2.5-3b-instruct",
        name="Qwen2.5 3B Instruct",
        description=Text("Strong at structured answers and many languages for its size."),
        repo_id="bartowski/Qwen2.5-3B-Instruct-GGUF",
        license="qwen-research",
        parameter_count=3_090_000_000,
        architecture="qwen2",
        block_count=36, head_count=16, kv_head_count=2, head_dim=128, embedding_length=2048,
        vocab_size=151_936, context_length=32_768,
        template_family="chatml",
        files=_files("Qwen2.5-3B-Instruct", {"Q4_K_M": 1.93, "Q8_0": 3.29}),
        notes="Research license: not for commercial use without Alibaba's permission.",
    ),
    CatalogModel(
        key="qwen3-4b",
        name="Qwen3 4B",
        description=Text("Thinks step by step before answering (can be switched off with "
                         "/no_think)."),
        repo_id="Qwen/Qwen3-4B-GGUF",
        license="apache-2.0",
        parameter_count=4_020_000_000,
        architecture="qwen3",
        block_count=36, head_count=32, kv_head_count=8, head_dim=128, embedding_length=2560,
        vocab_size=151_936, context_length=40_960,
        template_family="chatml",
        files=_files("Qwen3-4B", {"Q4_K_M": 2.50, "Q8_0": 4.28}),
    ),
    CatalogModel(
        key="phi-4-mini-instruct",
        name="Phi-4 mini Instruct",
        description=Text("Microsoft's small model, good at reasoning and maths."),
        repo_id="bartowski/microsoft_Phi-4-mini-instruct-GGUF",
        license="mit",
        parameter_count=3_840_000_000,
        architecture="phi3",
        block_count=32, head_count=24, kv_head_count=8, head_dim=128, embedding_length=3072,
        vocab_size=200_064, context_length=131_072,
        template_family="phi3",  # the same tags; Phi-4-mini writes no newline after them
        files=_files("microsoft_Phi-4-mini-instruct", {"Q4_K_M": 2.49, "Q8_0": 4.08}),
    ),
    CatalogModel(
        key="gemma-3-4b-it",
        name="Gemma 3 4B",
        description=Text("Google's small model: natural writing in many languages."),
        repo_id="ggml-org/gemma-3-4b-it-GGUF",
        license="gemma",
        parameter_count=3_880_000_000,
        architecture="gemma3",
        block_count=34, head_count=8, kv_head_count=4, head_dim=256, embedding_length=2560,
        vocab_size=262_144, context_length=131_072,
        template_family="gemma",
        files=_files("gemma-3-4b-it", {"Q4_K_M": 2.49, "Q8_0": 4.13}),
        notes="Five of six layers attend to a 1,024-token window, so llama.cpp's context cache "
        "is smaller than this estimate at long contexts.",
    ),
    CatalogModel(
        key="mistral-7b-instruct-v0.3",
        name="Mistral 7B Instruct v0.3",
        description=Text("A dependable 7B chat model with a small vocabulary and fast replies."),
        repo_id="bartowski/Mistral-7B-Instruct-v0.3-GGUF",
        license="apache-2.0",
        parameter_count=7_250_000_000,
        architecture="llama",
        block_count=32, head_count=32, kv_head_count=8, head_dim=128, embedding_length=4096,
        vocab_size=32_768, context_length=32_768,
        template_family="mistral",
        files=_files("Mistral-7B-Instruct-v0.3", {"Q4_K_M": 4.37, "Q6_K": 5.95, "Q8_0": 7.70}),
    ),
    CatalogModel(
        key="qwen2.5-7b-instruct",
        name="Qwen2.5 7B Instruct",
        description=Text("Among the best 7B models for writing, coding help and other languages."),
        repo_id="bartowski/Qwen2.5-7B-Instruct-GGUF",
        license="apache-2.0",
        parameter_count=7_620_000_000,
        architecture="qwen2",
        block_count=28, head_count=28, kv_head_count=4, head_dim=128, embedding_length=3584,
        vocab_size=152_064, context_length=32_768,
        template_family="chatml",
        files=_files("Qwen2.5-7B-Instruct", {"Q4_K_M": 4.68, "Q6_K": 6.25, "Q8_0": 8.10}),
    ),
    CatalogModel(
        key="llama-3.1-8b-instruct",
        name="Llama 3.1 8B Instruct",
        description=Text("Meta's popular 8B model: a solid general assistant with a long context."),
        repo_id="bartowski/Meta-Llama-3.1-8B-Instruct-GGUF",
        license="llama3.1",
        parameter_count=8_030_000_000,
        architecture="llama",
        block_count=32, head_count=32, kv_head_count=8, head_dim=128, embedding_length=4096,
        vocab_size=128_256, context_length=131_072,
        template_family="llama3",
        files=_files("Meta-Llama-3.1-8B-Instruct", {"Q4_K_M": 4.92, "Q8_0": 8.54}),
    ),
    CatalogModel(
        key="qwen3-8b",
        name="Qwen3 8B",
        description=Text("Thinks before answering; strong at reasoning, coding and tools."),
        repo_id="Qwen/Qwen3-8B-GGUF",
        license="apache-2.0",
        parameter_count=8_190_000_000,
        architecture="qwen3",
        block_count=36, head_count=32, kv_head_count=8, head_dim=128, embedding_length=4096,
        vocab_size=151_936, context_length=40_960,
        template_family="chatml",
        files=_files("Qwen3-8B", {"Q4_K_M": 5.03, "Q8_0": 8.71}),
    ),
    CatalogModel(
        key="gemma-3-12b-it",
        name="Gemma 3 12B",
        description=Text("Google's mid-size model: noticeably smarter, wants 16 GB of memory."),
        repo_id="ggml-org/gemma-3-12b-it-GGUF",
        license="gemma",
        parameter_count=11_770_000_000,
        architecture="gemma3",
        block_count=48, head_count=16, kv_head_count=8, head_dim=256, embedding_length=3840,
        vocab_size=262_144, context_length=131_072,
        template_family="gemma",
        files=_files("gemma-3-12b-it", {"Q4_K_M": 7.30, "Q8_0": 12.51}),
        notes="Five of six layers attend to a 1,024-token window, so llama.cpp's context cache "
        "is smaller than this estimate at long contexts.",
    ),
)


def catalog_model(key: str) -> CatalogModel:
    for model in CATALOG:
        if model.key == key:
            return model
    raise ModelError(Text("No model {key!r} in the catalog", key=key))
