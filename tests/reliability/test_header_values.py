"""Header values llama.cpp aborts the process on, and headers made to be slow to read.

Each forged model is the bundled one with changed metadata, loaded through Runtime.load in a
child process (tests/reliability/load_child.py): an abort (GGML_ASSERT) kills the child and
fails the test instead of pytest. Each
value llama.cpp aborts on, or that no working model has, is refused before llama.cpp sees the
file, naming the key and the value; values real models have still load. The reader's caps are
checked on sparse files (free to make, however large), and a header shaped like DeepSeek-V3's
(671B parameters) still passes every check.
"""

from __future__ import annotations

import contextlib
import math
import re
import struct
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.errors import ModelError
from engine.models.files import check_header_values, inspect_model_file
from engine.models.gguf import (
    MAX_ARRAY,
    MAX_HEADER,
    MAX_KEYS,
    MAX_LISTED,
    MAX_TENSORS,
    MAX_TEXT,
    MAX_TOKENS,
    GgufHeader,
    read_header,
)
from engine.models.gguf import Value as HeaderValue
from tests.gguf_forge import (
    TensorInfo,
    Value,
    ValueType,
    copy_with_metadata,
    header_bytes,
    read_layout,
    string_bytes,
)
from tests.reliability.load_child import LoadChild

Changes = dict[str, Value | None]
Forge = Changes | Callable[[Path], Changes]  # the changes, or a function of the source's path


def u32(number: int) -> Value:
    return Value.uint32(number)


def f32(number: float) -> Value:
    return Value.scalar(ValueType.FLOAT32, number)


def per_layer(*counts: int) -> Value:
    return Value.array(ValueType.UINT32, [struct.pack("<I", count) for count in counts])


def vocabulary(source: Path) -> list[bytes]:
    raw = read_layout(source).metadata["tokenizer.ggml.tokens"].raw
    _, count = struct.unpack_from("<IQ", raw)
    tokens, at = [], 12
    for _ in range(count):
        (length,) = struct.unpack_from("<Q", raw, at)
        tokens.append(raw[at + 8 : at + 8 + length])
        at += 8 + length
    return tokens


def tokens_value(tokens: list[bytes]) -> Value:
    return Value.array(ValueType.STRING, [string_bytes(token) for token in tokens])


def token_1000_twice(source: Path) -> Changes:
    tokens = vocabulary(source)
    tokens[1001] = tokens[1000]
    return {"tokenizer.ggml.tokens": tokens_value(tokens)}


def as_qwen2(source: Path, **extra: Value) -> Changes:
    """The bundled llama model relabelled as qwen2, whose graph llama.cpp builds the same way."""
    llama = {k: v for k, v in read_layout(source).metadata.items() if k.startswith("llama.")}
    changes: Changes = {key: None for key in llama}
    changes |= {key.replace("llama.", "qwen2.", 1): value for key, value in llama.items()}
    changes |= {"general.architecture": Value.string("qwen2")}
    changes |= {f"qwen2.{key}": value for key, value in extra.items()}
    return changes


# id -> (the forge, what the refusal says). The bundled model: 30 layers, 9 heads, 3 KV heads,
# a width of 576 (heads of 64), 49,152 tokens.
REFUSED: dict[str, tuple[Forge, str]] = {
    # Unrefused, each of these aborts the process (a GGML_ASSERT while loading, or at the first
    # reply), or, for the context, fails every tokenize() with a ValueError.
    "513 layers": ({"llama.block_count": u32(513)}, "block_count is 513"),
    "more MTP layers than layers": ({"llama.nextn_predict_layers": u32(31)},
                                    "nextn_predict_layers is 31"),
    "2,000 experts": ({"llama.expert_count": u32(2000), "llama.expert_used_count": u32(2)},
                      "expert_count is 2,000"),
    "experts of which none is used": ({"llama.expert_count": u32(4)}, "no expert is used"),
    "experts used without experts": ({"llama.expert_used_count": u32(1)},
                                     "expert_used_count is 1"),
    "as many expert groups as experts": (
        {"llama.expert_count": u32(4), "llama.expert_used_count": u32(2),
         "llama.expert_group_count": u32(4)}, "expert_group_count is 4"),
    "groups that do not divide the experts": (
        {"llama.expert_count": u32(8), "llama.expert_used_count": u32(2),
         "llama.expert_group_count": u32(3), "llama.expert_group_used_count": u32(1)},
        "splits 8 experts into 3 groups"),
    "no expert group used": (
        {"llama.expert_count": u32(8), "llama.expert_used_count": u32(2),
         "llama.expert_group_count": u32(2), "llama.expert_group_used_count": u32(0)},
        "uses 0 of them"),
    "expert groups without experts": ({"llama.expert_group_count": u32(2)}, "without experts"),
    "epsilon not a number": ({"llama.attention.layer_norm_rms_epsilon": f32(math.nan)},
                             "layer_norm_rms_epsilon is nan"),
    "unknown rope scaling": ({"llama.rope.scaling.type": Value.string("spiral")},
                             "rope.scaling.type is 'spiral'"),
    "context 2**32 - 1": ({"llama.context_length": u32(2**32 - 1)},
                          "context_length is 4,294,967,295 tokens; models trained for more "
                          "than 16,777,216"),
    "a token listed twice": (token_1000_twice, "the vocabulary lists the token b'()' twice (as "
                             "tokens 1,000 and 1,001)"),
    "KV heads per layer that differ": ({"llama.attention.head_count_kv": per_layer(
        *[3] * 29, 1)}, "head_count_kv differs between layers"),
    "qwen2 rotary dimensions below the head size": (
        lambda source: as_qwen2(source, **{"rope.dimension_count": u32(32)}),
        "qwen2 heads have 64 dimensions for keys, 64 for values and 32 rotary ones"),
    "qwen2 KV heads per layer that differ": (
        lambda source: as_qwen2(source, **{"attention.head_count_kv": per_layer(*[3] * 29, 4)}),
        "qwen2.attention.head_count_kv differs"),
    # These load, and every reply is empty or dots.
    "infinite epsilon": ({"llama.attention.layer_norm_rms_epsilon": f32(math.inf)},
                         "layer_norm_rms_epsilon is inf"),
    "rotary base 0": ({"llama.rope.freq_base": f32(0.0)}, "rope.freq_base is 0"),
    # llama.cpp refuses these itself here, where the tensors keep their shapes ("Failed to load
    # model", nothing more); tensors forged to match would reach the graph's asserts.
    "odd rotary dimensions": ({"llama.rope.dimension_count": u32(63)}, "come in pairs"),
    "no KV heads": ({"llama.attention.head_count_kv": u32(0)}, "head_count_kv is 0"),
    "more KV heads than heads": ({"llama.attention.head_count_kv": u32(10)},
                                 "head_count_kv is 10"),
    "KV heads that do not divide the heads": ({"llama.attention.head_count_kv": u32(2)},
                                              "head_count_kv is 2, which does not split"),
    "width not divisible by the heads": ({"llama.embedding_length": u32(577)},
                                         "embedding_length 577 does not split into 9"),
    "rotary dimensions above the head size": ({"llama.rope.dimension_count": u32(128)},
                                              "and 128 rotary ones"),
    "value heads larger than key heads": ({"llama.attention.value_length": u32(128)},
                                          "128 for values"),
    "a vocabulary shorter than the embedding": (
        lambda source: {"tokenizer.ggml.tokens": tokens_value(vocabulary(source)[:1000])},
        "the vocabulary has 1,000 tokens but token_embd.weight has shape [576, 49152]"),
}

# Values real models have, or that llama.cpp copes with: they load and answer.
ACCEPTED: dict[str, Changes] = {
    "context at the limit, 2**24": {"llama.context_length": u32(2**24)},
    "head counts given per layer, all alike": {"llama.attention.head_count": per_layer(*[9] * 30),
                                               "llama.attention.head_count_kv": per_layer(
                                                   *[3] * 30)},
}


@pytest.fixture(scope="module")
def loader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadChild]:
    child = LoadChild(tmp_path_factory.mktemp("load") / "llama.log")
    yield child
    child.close()


@pytest.mark.parametrize("name", list(REFUSED))
def test_a_hostile_header_value_is_refused_with_the_key_and_value(
    name: str, bundled_model: Path, tmp_path: Path, loader: LoadChild
) -> None:
    forge, reason = REFUSED[name]
    changes = forge(bundled_model) if callable(forge) else forge
    path = copy_with_metadata(bundled_model, tmp_path / "values.gguf", changes)
    output = loader.load(path)
    assert output.startswith("refused: values.gguf: ") and reason in output, output
    assert "\n" not in output


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_values_real_models_have_still_load(name: str, bundled_model: Path,
                                            tmp_path: Path, loader: LoadChild) -> None:
    path = copy_with_metadata(bundled_model, tmp_path / "fine.gguf", ACCEPTED[name])
    assert loader.load(path).startswith("answered "), name


def header(architecture: str, values: dict[str, int | str]) -> GgufHeader:
    metadata: dict[str, HeaderValue] = {"general.architecture": architecture}
    metadata |= {f"{architecture}.{key}": value for key, value in values.items()}
    return GgufHeader(3, 0, metadata)


@pytest.mark.parametrize(
    "shape",
    [
        # Qwen3-0.6B: heads of 128 in a width of 1024 with 16 heads (key_length says so).
        header("qwen3", {"block_count": 28, "embedding_length": 1024,
                         "attention.head_count": 16, "attention.head_count_kv": 8,
                         "attention.key_length": 128, "attention.value_length": 128,
                         "rope.dimension_count": 128, "context_length": 40_960}),
        # DeepSeek-V3's MLA: keys of 576 and values of 512, 64 rotary dimensions, expert groups.
        header("deepseek2", {"block_count": 61, "embedding_length": 7168,
                             "attention.head_count": 128, "attention.head_count_kv": 1,
                             "attention.key_length": 576, "attention.value_length": 512,
                             "rope.dimension_count": 64, "expert_count": 256,
                             "expert_used_count": 8, "expert_group_count": 8,
                             "expert_group_used_count": 4, "rope.scaling.type": "yarn"}),
        # Hunyuan dense models say they have one expert; llama.cpp reads them as dense.
        header("hunyuan-dense", {"block_count": 32, "expert_count": 1, "expert_used_count": 1}),
        # Llama 4 Scout: 10M tokens of context, 16 experts.
        header("llama4", {"block_count": 48, "context_length": 10_485_760, "expert_count": 16,
                          "expert_used_count": 1, "embedding_length": 5120,
                          "attention.head_count": 40, "attention.head_count_kv": 8}),
    ],
    ids=["qwen3", "deepseek-v3", "hunyuan-dense", "llama4-scout"],
)
def test_shapes_of_real_models_pass(shape: GgufHeader) -> None:
    check_header_values(shape)


def tiny_llama(path: Path, metadata: list[tuple[str, Value]], size: int = 512) -> Path:
    head = header_bytes([("general.architecture", Value.string("llama")), *metadata],
                        [TensorInfo(b"token_embd.weight", (32, 4), 0, 0)])
    path.write_bytes(head + bytes(-len(head) % 32 + size))
    return path


def test_per_layer_values_of_long_models_are_checked(tmp_path: Path) -> None:
    # 80 layers: past the 64 items a header keeps of any array, but still per-layer values.
    kv_heads = per_layer(*[8] * 79, 4)
    path = tiny_llama(tmp_path / "long.gguf", [
        ("llama.block_count", u32(80)), ("llama.attention.head_count", u32(64)),
        ("llama.attention.head_count_kv", kv_heads)])
    assert read_header(path).arch_values("attention.head_count_kv") == (8,) * 79 + (4,)
    with pytest.raises(ModelError, match=r"^long.gguf: llama.attention.head_count_kv differs"):
        inspect_model_file(path)


def test_the_same_key_twice_is_refused(tmp_path: Path) -> None:
    path = tiny_llama(tmp_path / "twice.gguf", [("general.name", Value.string("a")),
                                                 ("general.name", Value.string("b"))])
    with pytest.raises(ModelError, match=re.escape("the key 'general.name' twice")):
        read_header(path)


def deepseek_v3(path: Path) -> Path:
    """A header shaped like DeepSeek-V3's Q4_K_M GGUF (61 layers, 256 experts, 129,280 tokens,
    1,086 tensors), its 380 GB of tensor data a hole."""
    q4_k, q6_k, q8_0, f32_type = 12, 14, 8, 0
    shapes: list[tuple[str, tuple[int, ...], int]] = [
        ("token_embd.weight", (7168, 129_280), q4_k), ("output_norm.weight", (7168,), f32_type),
        ("output.weight", (7168, 129_280), q6_k)]
    for layer in range(61):
        shapes += [(f"blk.{layer}.{name}", shape, kind) for name, shape, kind in [
            ("attn_norm.weight", (7168,), f32_type), ("attn_q_a_norm.weight", (1536,), f32_type),
            ("attn_kv_a_norm.weight", (512,), f32_type), ("attn_q_a.weight", (7168, 1536), q4_k),
            ("attn_q_b.weight", (1536, 24_576), q4_k), ("attn_kv_a_mqa.weight", (7168, 576), q4_k),
            ("attn_k_b.weight", (128, 512, 128), q8_0), ("attn_v_b.weight", (512, 128, 128), q4_k),
            ("attn_output.weight", (16_384, 7168), q4_k), ("ffn_norm.weight", (7168,), f32_type),
        ]]
        if layer < 3:
            ffn = [("ffn_gate.weight", (7168, 18_432)), ("ffn_down.weight", (18_432, 7168)),
                   ("ffn_up.weight", (7168, 18_432))]
            shapes += [(f"blk.{layer}.{name}", shape, q4_k) for name, shape in ffn]
            continue
        shapes += [(f"blk.{layer}.{name}", shape, kind) for name, shape, kind in [
            ("ffn_gate_inp.weight", (7168, 256), f32_type),
            ("exp_probs_b.bias", (256,), f32_type),
            ("ffn_down_exps.weight", (2048, 7168, 256), q4_k),
            ("ffn_gate_exps.weight", (7168, 2048, 256), q4_k),
            ("ffn_up_exps.weight", (7168, 2048, 256), q4_k),
            ("ffn_gate_shexp.weight", (7168, 2048), q4_k),
            ("ffn_down_shexp.weight", (2048, 7168), q4_k),
            ("ffn_up_shexp.weight", (7168, 2048), q4_k),
        ]]
    block = {q4_k: (256, 144), q6_k: (256, 210), q8_0: (32, 34), f32_type: (1, 4)}
    tensors, at = [], 0
    for name, shape, kind in shapes:
        tensors.append(TensorInfo(name.encode(), shape, kind, at))
        elements, (per_block, block_bytes) = math.prod(shape), block[kind]
        at += -(-(elements // per_block * block_bytes) // 32) * 32
    numbers = {"block_count": 61, "context_length": 163_840, "embedding_length": 7168,
               "feed_forward_length": 18_432, "attention.head_count": 128,
               "attention.head_count_kv": 1, "attention.key_length": 576,
               "attention.value_length": 512, "attention.key_length_mla": 192,
               "attention.value_length_mla": 128, "attention.q_lora_rank": 1536,
               "attention.kv_lora_rank": 512, "rope.dimension_count": 64,
               "leading_dense_block_count": 3, "expert_feed_forward_length": 2048,
               "expert_count": 256, "expert_used_count": 8, "expert_shared_count": 1,
               "expert_group_count": 8, "expert_group_used_count": 4, "vocab_size": 129_280,
               "rope.scaling.original_context_length": 4096, "expert_gating_func": 2}
    floats = {"rope.freq_base": 10_000.0, "attention.layer_norm_rms_epsilon": 1e-6,
              "expert_weights_scale": 2.5, "rope.scaling.factor": 40.0,
              "rope.scaling.yarn_log_multiplier": 0.1}
    metadata = [("general.architecture", Value.string("deepseek2")),
                ("general.name", Value.string("DeepSeek V3 0324")),
                ("general.file_type", u32(15)),
                *((f"deepseek2.{key}", u32(value)) for key, value in numbers.items()),
                *((f"deepseek2.{key}", f32(value)) for key, value in floats.items()),
                ("deepseek2.rope.scaling.type", Value.string("yarn")),
                ("tokenizer.ggml.model", Value.string("gpt2")),
                ("tokenizer.ggml.pre", Value.string("deepseek-v3")),
                ("tokenizer.ggml.tokens", tokens_value([b"t%d" % n for n in range(129_280)])),
                ("tokenizer.ggml.token_type", Value.array(
                    ValueType.INT32, [struct.pack("<i", 1)] * 129_280)),
                ("tokenizer.ggml.merges", Value.array(
                    ValueType.STRING, [string_bytes(b"\xc4\xa0 t")] * 127_741)),
                ("tokenizer.chat_template", Value.string("{% for m in messages %}" * 200))]
    content = header_bytes(metadata, tensors)
    data_start = -(-len(content) // 32) * 32
    return sparse_file(path, content, data_start + at)

@pytest.fixture(scope="module")
def largest_real_header(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return deepseek_v3(tmp_path_factory.mktemp("real") / "DeepSeek-V3-0324-Q4_K_M.gguf")


def test_a_671b_parameter_model_passes_every_check(largest_real_header: Path) -> None:
    checked = inspect_model_file(largest_real_header)
    assert len(checked.header.tensors) == 1086
    assert checked.header.parameter_count == 671_026_419_200
    assert checked.header.token_count == 129_280
    assert checked.size_bytes > 350 * 10**9


def sparse_file(path: Path, header: bytes, size: int = 0) -> Path:
    with path.open("wb") as handle:
        handle.write(header)
        handle.truncate(max(size, len(header)))  # a hole: costs no disk, reads as zeros
    return path


def strings(count: int, *, written: bool = False) -> Value:
    """An array of `count` empty strings: zeros, from the file's hole unless written."""
    return Value(ValueType.ARRAY, struct.pack("<IQ", ValueType.STRING, count)
                 + bytes(8 * count if written else 0))


def many_tensors(count: int) -> list[TensorInfo]:
    return [TensorInfo(b"t%d" % number, (32, 8), 0, number * 1024) for number in range(count)]


def text_of(size: int) -> Value:
    return Value(ValueType.STRING, struct.pack("<Q", size))  # its bytes: the hole's zeros


# id -> (the header, the file's size, what the refusal says or None where the header is read)
NEAR_THE_CAPS: dict[str, tuple[Callable[[], bytes], int, str | None]] = {
    "one key too many": (lambda: header_bytes([], key_count=MAX_KEYS + 1), 1 << 20,
                         "16,385 metadata keys"),
    "one tensor too many": (lambda: header_bytes([], tensor_count=MAX_TENSORS + 1), 1 << 20,
                            "16,385 tensors"),
    "an array one item too long": (lambda: header_bytes([("x", Value(ValueType.ARRAY, struct.pack(
        "<IQ", ValueType.UINT8, MAX_ARRAY + 1)))]), MAX_ARRAY + 4096, "items in an array"),
    "a vocabulary one token too long": (lambda: header_bytes([("tokenizer.ggml.tokens", strings(
        MAX_TOKENS + 1))]), 8 * MAX_TOKENS + 4096, "tokens in the vocabulary"),
    "a table of zero tensors": (lambda: header_bytes([], tensor_count=MAX_TENSORS), 1 << 20,
                                "the same tensor twice"),
    "keys of zeros": (lambda: header_bytes([], key_count=MAX_KEYS), 1 << 20, "the key '' twice"),
    "as many strings as allowed": (lambda: header_bytes([("tokenizer.ggml.merges", strings(
        MAX_LISTED))]), 8 * MAX_LISTED + 4096, None),
    "one string more than allowed": (lambda: header_bytes([
        ("a", strings(MAX_LISTED - 1, written=True)), ("b", strings(2))]), 8 * MAX_LISTED + 4096,
        f"more than {MAX_LISTED:,} items"),
    "as many keys as allowed, each a list": (lambda: header_bytes([(b"k%d" % n, Value.array(
        ValueType.UINT32, [bytes(4)] * 64)) for n in range(MAX_KEYS)]), 0, None),
    "as many tensors as allowed, data missing": (
        lambda: header_bytes([], many_tensors(MAX_TENSORS)), 1 << 20, "cut short"),
    "more text than allowed": (lambda: header_bytes([("a", text_of(MAX_TEXT)), ("b", text_of(
        1))]), MAX_TEXT + 4096, "bytes of text"),
}


def seconds_to_read(path: Path) -> float:
    """The best of two reads (or refusals): other work on a shared machine only adds time."""
    best = math.inf
    for _ in range(2):
        started = time.monotonic()
        with contextlib.suppress(ModelError):
            read_header(path)
        best = min(best, time.monotonic() - started)
    return best


@pytest.mark.parametrize("name", list(NEAR_THE_CAPS))
def test_headers_at_the_caps_take_a_few_times_the_largest_real_one_at_most(
    name: str, largest_real_header: Path, tmp_path: Path
) -> None:
    content, size, reason = NEAR_THE_CAPS[name]
    path = sparse_file(tmp_path / "caps.gguf", content(), size)
    if reason is None:
        read_header(path)
    else:
        with pytest.raises(ModelError, match=reason):
            read_header(path)
    assert seconds_to_read(path) < max(1.0, 5 * seconds_to_read(largest_real_header))


def test_a_header_longer_than_the_cap_is_refused(tmp_path: Path) -> None:
    # Numbers past MAX_LAYERS are skipped unread, but llama.cpp would hold them all in memory.
    numbers = struct.pack("<IQ", ValueType.UINT64, MAX_ARRAY)
    path = tmp_path / "long.gguf"
    with path.open("wb") as handle:
        handle.write(header_bytes([("a", Value(ValueType.ARRAY, numbers))], key_count=3))
        for key in (b"b", b"c"):
            handle.seek(8 * MAX_ARRAY, 1)  # a hole of zeros: the array's items
            handle.write(string_bytes(key) + struct.pack("<I", ValueType.ARRAY) + numbers)
        handle.truncate(handle.tell() + 8 * MAX_ARRAY)
    with pytest.raises(ModelError, match=f"longer than {MAX_HEADER:,} bytes"):
        read_header(path)
