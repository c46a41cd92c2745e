"""Which chat template a model is read with: its GGUF's, a built-in for a chat model without one,
none for a base model (its text is continued), or the one a person chose. On the bundled model and
copies of it whose metadata says otherwise, as the runtime, the library and `hearth-cli` show it.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator
from pathlib import Path

import llama_cpp
import pytest

from engine.chat.builtin_templates import BUILTIN_TEMPLATES
from engine.chat.prompt import ChatMessage, ChatTemplate
from engine.chat.service import ChatService, Turn, TurnEnded
from engine.chat.store import ChatStore
from engine.chat.templates import (
    CHECK_CONVERSATION,
    CONTINUATION_NAME,
    CUSTOM,
    GGUF,
    TemplateChoice,
    TemplateOrigin,
    decide_template,
    template_problem,
)
from engine.config import AppConfig
from engine.errors import ModelError
from engine.host.runtime import GenerationDone, GenerationRequest, Runtime, TextChunk
from engine.models.library import ModelLibrary
from engine.paths import app_paths
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from tests.conftest import TEST_THREADS
from tests.engine.test_cli_models import hearth_cli, ok
from tests.gguf_forge import Value, copy_with_metadata

GREEDY = SamplingSettings(temperature=0.0, seed=7, max_tokens=24)
CONVERSATION = CHECK_CONVERSATION  # system, user, assistant, user


def base_copy(bundled_model: Path, folder: Path) -> Path:
    """The bundled model as a base model's GGUF would be: no template, no chat tuning named."""
    return copy_with_metadata(bundled_model, folder / "SmolLM2-135M-base.gguf", {
        "tokenizer.chat_template": None,
        "general.finetune": None,
        "general.name": Value.string("SmolLM2 135M"),
    })


def untemplated_chat_copy(bundled_model: Path, folder: Path) -> Path:
    """A chat model's GGUF that lost its template: the metadata still names the tuning."""
    return copy_with_metadata(bundled_model, folder / "SmolLM2-135M-Instruct-notemplate.gguf", {
        "tokenizer.chat_template": None,
        "general.finetune": Value.string("Instruct"),
    })


@pytest.fixture
def loaded() -> Iterator[Runtime]:
    runtime = Runtime()
    yield runtime
    runtime.close()


def load(runtime: Runtime, path: Path) -> None:
    runtime.load(path, RuntimeSettings(n_ctx=512), n_threads=TEST_THREADS)


def tokens(runtime: Runtime, text: str) -> list[int]:
    return list(runtime.llama.tokenize(text.encode("utf-8"), add_bos=False, special=True))


def reply(runtime: Runtime, text: str) -> tuple[int, str]:
    """(prompt tokens, the reply) for one message."""
    request = GenerationRequest((ChatMessage("user", text),), ChatSettings(sampling=GREEDY))
    parts, prompt_tokens = [], 0
    for event in runtime.stream(request, threading.Event()):
        if isinstance(event, TextChunk):
            parts.append(event.text)
        elif isinstance(event, GenerationDone):
            prompt_tokens = event.prompt_tokens
    return prompt_tokens, "".join(parts)


# -- deciding from the metadata -----------------------------------------------------------------


@pytest.mark.parametrize(("metadata", "name"), [
    ({"tokenizer.chat_template": "{{ messages }}", "general.architecture": "gemma3"}, GGUF),
    # Gemma 3 270M base, as its GGUF says it (the file that looped in issue 16).
    ({"general.architecture": "gemma3", "general.name": "Gemma 3 270m",
      "general.basename": "gemma-3", "tokenizer.ggml.model": "llama"}, CONTINUATION_NAME),
    ({"general.architecture": "gemma3", "general.name": "Gemma 3 270m It"}, "gemma"),
    ({"general.architecture": "gemma3", "general.finetune": "it"}, "gemma"),
    ({"general.architecture": "qwen2", "general.finetune": "Instruct-AWQ"}, "chatml"),
    ({"general.architecture": "qwen2", "general.name": "Qwen2.5 0.5B"}, CONTINUATION_NAME),
    ({"general.architecture": "qwen2", "general.finetune": "base"}, CONTINUATION_NAME),
    ({"general.architecture": "llama", "tokenizer.ggml.pre": "llama-bpe",
      "general.name": "Meta Llama 3.1 8B Instruct"}, "llama3"),
    ({"general.architecture": "llama", "tokenizer.ggml.model": "llama",
      "general.name": "Mistral 7B Instruct v0.2"}, "mistral"),
    ({"general.architecture": "llama", "tokenizer.ggml.model": "llama",
      "general.name": "Llama 2 7b Chat"}, "llama2"),
    ({"general.architecture": "phi3", "general.name": "Phi 3 Mini 4k Instruct"}, "phi3"),
    ({"general.architecture": "falcon", "general.name": "Falcon 7B Instruct"}, "chatml"),
    # "it" only as a word: a name that merely contains the letters is no chat model.
    ({"general.architecture": "gemma3", "general.name": "Summit 1B"}, CONTINUATION_NAME),
])
def test_the_template_follows_the_metadata(metadata: dict[str, object], name: str) -> None:
    decision = decide_template(metadata)
    assert decision.name == name
    assert decision.origin == (TemplateOrigin.GGUF if name == GGUF else TemplateOrigin.BUILT_IN)
    assert decision.continuation == (name == CONTINUATION_NAME)


def test_a_persons_choice_wins_over_the_file() -> None:
    metadata = {"tokenizer.chat_template": "{{ messages }}", "general.architecture": "gemma3"}
    chosen = decide_template(metadata, TemplateChoice("phi3"))
    assert (chosen.name, chosen.origin) == ("phi3", TemplateOrigin.PERSON)
    assert chosen.describe() == "phi3 (built-in, chosen by you)"
    own = decide_template(metadata, TemplateChoice(CUSTOM, "{{ messages[-1]['content'] }}"))
    assert (own.name, own.source) == (CUSTOM, "{{ messages[-1]['content'] }}")
    assert decide_template(metadata, TemplateChoice(CONTINUATION_NAME)).continuation


# llama.cpp's own C++ rendering of each format (llama_chat_apply_template with a built-in's
# name), and whether it matches byte for byte. Hearth's Llama 2 and Mistral follow the models'
# tokenizer_config.json, which put a space around "[/INST]" and the answer where llama.cpp's
# variants differ from it and from each other; for those only the spacing may differ.
LLAMA_CPP_NAMES = {"chatml": ("chatml", True), "gemma": ("gemma", True),
                   "llama3": ("llama3", True), "phi3": ("phi3", True),
                   "llama2": ("llama2-sys-bos", False), "mistral": ("mistral-v1", False)}


def llama_cpp_rendering(name: str, messages: tuple[ChatMessage, ...]) -> str:
    chat = (llama_cpp.llama_chat_message * len(messages))()
    kept = []  # the bytes must outlive the call
    for slot, message in zip(chat, messages, strict=True):
        role, content = message.role.encode(), message.content.encode()
        kept += [role, content]
        slot.role, slot.content = role, content
    buffer = ctypes.create_string_buffer(8192)
    length = llama_cpp.llama_chat_apply_template(name.encode(), chat, len(messages), True,
                                                 buffer, len(buffer))
    assert 0 < length < len(buffer), name
    return buffer.raw[:length].decode()


@pytest.mark.parametrize("name", list(BUILTIN_TEMPLATES))
def test_every_built_in_renders_a_conversation_as_llama_cpp_does(name: str) -> None:
    assert template_problem(BUILTIN_TEMPLATES[name], "<s>", "</s>") is None
    ours = ChatTemplate(BUILTIN_TEMPLATES[name], "<s>", "</s>").render(CHECK_CONVERSATION)
    native_name, exact = LLAMA_CPP_NAMES[name]
    native = llama_cpp_rendering(native_name, CHECK_CONVERSATION)
    if exact:  # llama.cpp leaves the BOS token to the tokenizer
        assert ours.removeprefix("<s>") == native
    else:
        def squeezed(text: str) -> str:
            return "".join(text.replace("<s>", "").split())
        assert squeezed(ours) == squeezed(native)


def test_gemma_gives_the_system_text_to_the_first_turn() -> None:
    prompt = ChatTemplate(BUILTIN_TEMPLATES["gemma"], "<bos>", "<eos>").render(CONVERSATION)
    assert prompt == (
        "<bos><start_of_turn>user\nBe brief.\n\nHello there<end_of_turn>\n"
        "<start_of_turn>model\nHi! How can I help?<end_of_turn>\n"
        "<start_of_turn>user\nName a colour.<end_of_turn>\n"
        "<start_of_turn>model\n"
    )


def test_continuation_reads_the_conversation_as_one_text() -> None:
    decision = decide_template({"general.architecture": "gemma3",
                                "tokenizer.ggml.add_bos_token": True})
    prompt = ChatTemplate(decision.source, "<bos>", "<eos>").render((
        ChatMessage("system", "You are a helpful assistant."),
        ChatMessage("user", "Once upon a time"),
        ChatMessage("assistant", " there was a fox."),
        ChatMessage("user", "The end."),
    ))
    assert prompt == "<bos>Once upon a time there was a fox.\n\nThe end."


# -- on the real model ---------------------------------------------------------------------------


def test_a_gguf_with_a_template_is_read_with_it(loaded: Runtime, bundled_model: Path) -> None:
    load(loaded, bundled_model)
    model = loaded.loaded
    assert model is not None and model.has_chat_template
    assert (model.template.name, model.template.origin) == (GGUF, TemplateOrigin.GGUF)


def test_a_base_model_continues_the_text(loaded: Runtime, bundled_model: Path,
                                         tmp_path: Path) -> None:
    load(loaded, base_copy(bundled_model, tmp_path))
    model = loaded.loaded
    assert model is not None and not model.has_chat_template
    assert model.template.continuation and model.template.origin == TemplateOrigin.BUILT_IN
    text = "The capital of France is"
    # What the model reads is the text itself: no roles, no system prompt, no chat markers.
    assert loaded.tokenize_chat([ChatMessage("system", "You are a helpful assistant."),
                                 ChatMessage("user", text)]) == tokens(loaded, text)
    prompt_tokens, continued = reply(loaded, text)
    assert prompt_tokens == loaded.count_tokens(text)
    assert "Paris" in continued
    assert "<|im_start|>" not in continued


def test_a_chat_model_without_a_template_gets_a_built_in(loaded: Runtime, bundled_model: Path,
                                                         tmp_path: Path) -> None:
    load(loaded, untemplated_chat_copy(bundled_model, tmp_path))
    model = loaded.loaded
    assert model is not None and not model.has_chat_template
    assert (model.template.name, model.template.origin) == ("chatml", TemplateOrigin.BUILT_IN)
    assert "general.finetune is 'Instruct'" in model.template.reason
    _tokens, answer = reply(loaded, "What is the capital of France?")
    assert "Paris" in answer


def test_a_chat_on_a_base_model_continues_each_message(loaded: Runtime, bundled_model: Path,
                                                       tmp_path: Path) -> None:
    load(loaded, base_copy(bundled_model, tmp_path))
    store = ChatStore(tmp_path / "chats.sqlite3")
    service = ChatService(store, loaded)
    chat = store.create_chat()
    config = AppConfig(chat_defaults=ChatSettings(sampling=GREEDY))
    ended = list(service.reply(chat.id, config, threading.Event(),
                               Turn("send", "The capital of France is")))[-1]
    assert isinstance(ended, TurnEnded) and ended.reply is not None
    assert "Paris" in ended.reply.content


def test_a_persons_choice_is_kept_by_the_library_and_used_at_the_next_load(
    loaded: Runtime, bundled_model: Path
) -> None:
    library = ModelLibrary.open(app_paths().models_dir)
    bundled = library.find(bundled_model.stem)
    assert bundled.template is not None and bundled.template.name == GGUF

    chosen = library.set_template(bundled, TemplateChoice(CONTINUATION_NAME))
    assert chosen.template is not None and chosen.template.origin == TemplateOrigin.PERSON
    load(loaded, bundled_model)
    assert loaded.loaded is not None and loaded.loaded.template.continuation

    own = "{% for m in messages %}<<{{ m['content'] }}>>{% endfor %}"
    library.set_template(bundled, TemplateChoice(CUSTOM, own))
    load(loaded, bundled_model)
    assert loaded.loaded is not None and loaded.loaded.template.name == CUSTOM
    assert loaded.tokenize_chat([ChatMessage("user", "hi")]) == tokens(loaded, "<<hi>>")

    library.set_template(bundled, None)  # Hearth decides again: the file's own
    load(loaded, bundled_model)
    assert loaded.loaded is not None and loaded.loaded.template.name == GGUF


@pytest.mark.parametrize(("choice", "why"), [
    (TemplateChoice("vicuna"), "No chat template is named 'vicuna'"),
    (TemplateChoice(CUSTOM, "{% for %}"), "invalid"),
    (TemplateChoice(CUSTOM, "{{ cycler.__init__.__globals__.os.system('true') }}"),
     "refused"),
    (TemplateChoice(CUSTOM, "   "), "empty"),
])
def test_a_choice_the_sandbox_refuses_is_not_kept(bundled_model: Path, choice: TemplateChoice,
                                                  why: str) -> None:
    library = ModelLibrary.open(app_paths().models_dir)
    bundled = library.find(bundled_model.stem)
    with pytest.raises(ModelError, match=why):
        library.set_template(bundled, choice)
    assert library.find(bundled_model.stem).template_choice is None


# -- hearth-cli ----------------------------------------------------------------------------------


def test_the_cli_shows_and_changes_a_models_template(hearth_home: Path, bundled_model: Path,
                                                     tmp_path: Path) -> None:
    name = bundled_model.stem
    assert ok(hearth_cli("models", "template", name, home=hearth_home)) == (
        f"{name}: the model's own (from the GGUF)\n")
    assert ok(hearth_cli("models", "template", name, "gemma", home=hearth_home)) == (
        f"{name}: gemma (built-in, chosen by you)\n")
    listed = ok(hearth_cli("models", "list", home=hearth_home)).splitlines()
    assert listed[0].split()[:8] == ["NAME", "ARCH", "PARAMS", "QUANT", "CONTEXT", "SIZE",
                                     "TEMPLATE", "WHERE"]
    assert "gemma (yours)" in listed[1]

    hostile = tmp_path / "hostile.jinja"
    hostile.write_text("{{ cycler.__init__.__globals__.os.system('true') }}", encoding="utf-8")
    refused = hearth_cli("models", "template", name, "--file", str(hostile), home=hearth_home)
    assert refused.returncode != 0
    assert "refused" in refused.stderr and "Traceback" not in refused.stderr
    own = tmp_path / "mine.jinja"
    own.write_text("{% for m in messages %}{{ m['content'] }}{% endfor %}", encoding="utf-8")
    assert ok(hearth_cli("models", "template", name, "--file", str(own), home=hearth_home)) == (
        f"{name}: custom Jinja (chosen by you)\n")
    assert ok(hearth_cli("models", "template", name, "--auto", home=hearth_home)) == (
        f"{name}: the model's own (from the GGUF)\n")


def test_the_cli_says_a_base_model_continues_the_text(hearth_home: Path, bundled_model: Path,
                                                      tmp_path: Path) -> None:
    base = base_copy(bundled_model, tmp_path)
    result = hearth_cli("chat", "--model", str(base), "--seed", "1", "--temperature", "0",
                        "--max-tokens", "12", "The capital of France is", home=hearth_home)
    assert result.returncode == 0, result.stderr
    assert "Paris" in result.stdout
    assert ("SmolLM2-135M-base is a base model (its GGUF has no chat template and its metadata "
            "names no chat tuning): it continues your text instead of answering it.") in (
        " ".join(result.stderr.split()))


def test_the_check_lets_the_system_text_stand_anywhere_but_keeps_the_turns_in_order() -> None:
    """Mistral's own templates give the system text to the last user turn: that works."""
    system_last = (
        "{% set system = messages[0]['content'] %}{{ bos_token }}"
        "{% for message in messages[1:] %}{% if message['role'] == 'user' %}"
        "{{ '[INST] ' + (system + '\\n\\n' if loop.last else '') + message['content']"
        " + '[/INST]' }}{% else %}{{ ' ' + message['content'] + eos_token }}{% endif %}"
        "{% endfor %}"
    )
    assert template_problem(system_last, "<s>", "</s>") is None
    reversed_turns = "{% for message in messages | reverse %}{{ message['content'] }}{% endfor %}"
    assert "reorders messages" in (template_problem(reversed_turns, "<s>", "</s>") or "")
