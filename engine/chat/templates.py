"""Which chat template a model is read with, where it came from, and whether it is a chat model.

A GGUF's own template comes first. A file without one is a base model, whose text Hearth
continues instead of answering (continuation mode), unless its metadata says it was tuned for
chat: `general.finetune`, or a `general.name` with "instruct", "chat" or "it" as a word. Then a
built-in template is chosen for its architecture and tokenizer. Chat tokens in the vocabulary
prove nothing: base models carry them too (Gemma 3's base file has `<start_of_turn>`).

A person may choose otherwise for a model (`TemplateChoice`, kept by the model library): a
built-in, continuation, or Jinja of their own, which is checked in the same sandbox as a GGUF's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from engine.chat.builtin_templates import (
    BUILTIN_TEMPLATES,
    CONTINUATION,
    CONTINUATION_WITH_BOS,
)
from engine.chat.prompt import ChatMessage, ChatTemplate
from engine.errors import HearthError, ModelError
from engine.text import Text, Wording

GGUF = "gguf"  # a template name: the model file's own
CONTINUATION_NAME = "continuation"  # a template name: none, the text is continued
CUSTOM = "custom"  # a template name: a person's own Jinja
MAX_CUSTOM_CHARS = 64 * 1024
TEMPLATE_KEY = "tokenizer.chat_template"

# The metadata a decision reads, so a caller may keep just these (engine/models/library.py).
DECISION_KEYS = (
    TEMPLATE_KEY, "general.architecture", "general.name", "general.finetune",
    "general.basename", "tokenizer.ggml.model", "tokenizer.ggml.pre",
    "tokenizer.ggml.add_bos_token",
)

_CHAT_WORDS = re.compile(r"(?<![a-z0-9])(instruct|chat|it)(?![a-z0-9])", re.IGNORECASE)
_BASE_WORDS = re.compile(r"(?<![a-z0-9])(base|pretrain(ed)?)(?![a-z0-9])", re.IGNORECASE)

# general.architecture -> the built-in its chat models use. Llama is decided by its tokenizer.
_BY_ARCHITECTURE: dict[str, str] = {
    "gemma": "gemma", "gemma2": "gemma", "gemma3": "gemma", "gemma3n": "gemma",
    "phi3": "phi3", "phimoe": "phi3",
    "qwen": "chatml", "qwen2": "chatml", "qwen2moe": "chatml", "qwen2vl": "chatml",
    "qwen3": "chatml", "qwen3moe": "chatml",
    "mistral3": "mistral",
}


class TemplateOrigin(StrEnum):
    GGUF = "gguf"  # the model file's own template
    BUILT_IN = "built-in"  # chosen by Hearth from the metadata (a built-in, or continuation)
    PERSON = "person"  # chosen by a person for this model


@dataclass(frozen=True)
class TemplateChoice:
    """A person's choice for one model: a built-in's name, "continuation", or "custom" with its
    Jinja source."""

    name: str
    source: str | None = None

    def describe(self) -> str:
        return "custom Jinja" if self.name == CUSTOM else self.name


@dataclass(frozen=True)
class TemplateDecision:
    """The template a model is read with and why, as the Models tab and the CLI show it."""

    name: str  # GGUF, a built-in's name, CONTINUATION_NAME or CUSTOM
    origin: TemplateOrigin
    source: str  # the Jinja rendered
    reason: str  # why, in a few words a person reads

    @property
    def continuation(self) -> bool:
        """A base model: its text is continued, there are no turns."""
        return self.name == CONTINUATION_NAME

    def describe(self) -> str:
        """"gemma (built-in, for the gemma3 architecture)", "the model's own (GGUF)", ..."""
        what = {GGUF: "the model's own", CONTINUATION_NAME: "none: continues the text",
                CUSTOM: "custom Jinja"}.get(self.name, self.name)
        return f"{what} ({self.reason})"


def template_names() -> tuple[str, ...]:
    """What a person may choose by name."""
    return (*BUILTIN_TEMPLATES, CONTINUATION_NAME)


def decide_template(
    metadata: Mapping[str, object], choice: TemplateChoice | None = None
) -> TemplateDecision:
    """The template for a model with this GGUF metadata, and a person's choice if any."""
    if choice is not None:
        return _chosen(metadata, choice)
    own = metadata.get(TEMPLATE_KEY)
    if isinstance(own, str) and own.strip():
        return TemplateDecision(GGUF, TemplateOrigin.GGUF, own, "from the GGUF")
    tuned = tuned_for_chat(metadata)
    if tuned is None:
        return TemplateDecision(
            CONTINUATION_NAME, TemplateOrigin.BUILT_IN, _continuation(metadata),
            "a base model: the GGUF has no chat template and its metadata names no chat tuning",
        )
    name, fits = builtin_for(metadata)
    return TemplateDecision(name, TemplateOrigin.BUILT_IN, BUILTIN_TEMPLATES[name],
                            f"built-in, {fits}; tuned for chat: {tuned}")


def tuned_for_chat(metadata: Mapping[str, object]) -> str | None:
    """What in the metadata says the model was tuned for chat, or None."""
    finetune = metadata.get("general.finetune")
    if isinstance(finetune, str) and finetune.strip() and not _BASE_WORDS.search(finetune):
        return f"general.finetune is {finetune.strip()!r}"
    name = metadata.get("general.name")
    if isinstance(name, str) and _CHAT_WORDS.search(name.replace("_", " ")):
        return f"general.name is {name.strip()!r}"
    return None


def builtin_for(metadata: Mapping[str, object]) -> tuple[str, str]:
    """The built-in that fits the architecture and tokenizer, and why it was picked."""
    architecture = str(metadata.get("general.architecture") or "unknown")
    if architecture in _BY_ARCHITECTURE:
        return _BY_ARCHITECTURE[architecture], f"for the {architecture} architecture"
    if architecture == "llama":
        pre = str(metadata.get("tokenizer.ggml.pre") or "")
        names = " ".join(str(metadata.get(key) or "")
                         for key in ("general.name", "general.basename")).lower()
        if pre == "llama-bpe":
            return "llama3", "for a llama model with Llama 3's tokenizer"
        if "mistral" in names:
            return "mistral", "for a llama model named Mistral"
        if metadata.get("tokenizer.ggml.model") == "llama":
            return "llama2", "for a llama model with Llama 2's tokenizer"
    return "chatml", f"the most common format; none is known for the {architecture} architecture"


def check_choice(choice: TemplateChoice) -> None:
    """Refuses, with a ModelError saying why, a name Hearth does not know or Jinja that does not
    compile, render or stay in its sandbox."""
    if choice.name == CUSTOM:
        if not choice.source or not choice.source.strip():
            raise ModelError(Text("The custom chat template is empty"))
        if len(choice.source) > MAX_CUSTOM_CHARS:
            raise ModelError(
                Text("The custom chat template is over {limit} KB long",
                     limit=MAX_CUSTOM_CHARS // 1024))
        ChatTemplate(choice.source, bos_token="<s>", eos_token="</s>")
        return
    if choice.source is not None:
        raise ModelError(Text("Only a custom template has Jinja of its own, not {name!r}",
                              name=choice.name))
    if choice.name not in template_names():
        raise ModelError(Text("No chat template is named {name!r}; choose one of {names}, or give "
                              "Jinja of your own",
                              name=choice.name, names=', '.join(template_names())))


# What a template must carry through: each message's text, in the order it was written.
CHECK_CONVERSATION = (
    ChatMessage("system", "Be brief."),
    ChatMessage("user", "Hello there"),
    ChatMessage("assistant", "Hi! How can I help?"),
    ChatMessage("user", "Name a colour."),
)


def template_problem(source: str, bos_token: str, eos_token: str) -> str | None:
    """Why a model's own template would not work in Hearth, or None: it compiles, stays in the
    sandbox and renders a conversation with every message in its place."""
    try:
        prompt = ChatTemplate(source, bos_token, eos_token).render(CHECK_CONVERSATION)
    except HearthError as error:
        return str(error)
    positions = [prompt.find(message.content) for message in CHECK_CONVERSATION]
    # The system text may stand anywhere (Mistral's templates put it in the last user turn).
    turns = [at for at, message in zip(positions, CHECK_CONVERSATION, strict=True)
             if message.role != "system"]
    if -1 in positions or turns != sorted(turns):
        return "The model's chat template leaves out or reorders messages of a conversation"
    return None


def continuation_note(model: str, decision: TemplateDecision, how_to_choose: Wording) -> Text:
    """Tells a person that `model` continues their text instead of answering it, and why."""
    if decision.origin == TemplateOrigin.PERSON:
        return Text("{model} is read without a chat template, as you chose: it continues your "
                    "text instead of answering it.", model=model)
    return Text("{model} is a base model (its GGUF has no chat template and its metadata names "
                "no chat tuning): it continues your text instead of answering it. If it was "
                "tuned for chat, choose a template for it: {how_to_choose}.",
                model=model, how_to_choose=how_to_choose)


def _chosen(metadata: Mapping[str, object], choice: TemplateChoice) -> TemplateDecision:
    if choice.name == CUSTOM and choice.source:
        return TemplateDecision(CUSTOM, TemplateOrigin.PERSON, choice.source, "chosen by you")
    if choice.name == CONTINUATION_NAME:
        return TemplateDecision(CONTINUATION_NAME, TemplateOrigin.PERSON,
                                _continuation(metadata), "chosen by you")
    if choice.name in BUILTIN_TEMPLATES:
        return TemplateDecision(choice.name, TemplateOrigin.PERSON,
                                BUILTIN_TEMPLATES[choice.name], "built-in, chosen by you")
    raise ModelError(Text("No chat template is named {name!r}", name=choice.name))


def _continuation(metadata: Mapping[str, object]) -> str:
    """Continuation starts with the BOS token where the tokenizer adds one to every text
    (Gemma, Llama); llama.cpp's default without the key is to add it for SentencePiece."""
    add_bos = metadata.get("tokenizer.ggml.add_bos_token")
    if not isinstance(add_bos, bool):
        add_bos = metadata.get("tokenizer.ggml.model") == "llama"
    return CONTINUATION_WITH_BOS if add_bos else CONTINUATION
