"""Rendering a conversation into the model's prompt with the chat template from its GGUF."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import jinja2
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from engine.errors import ModelError

Role = Literal["system", "user", "assistant"]

# Used only when a GGUF carries no template; ChatML is what most small instruct models expect.
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


class ChatTemplate:
    """The model's Jinja chat template, rendered in llama-cpp-python's sandboxed environment."""

    def __init__(self, template: str | None, bos_token: str, eos_token: str) -> None:
        self.source = template or CHATML_TEMPLATE
        self.is_fallback = template is None
        self._system_in_first_message = False
        try:
            self._formatter = Jinja2ChatFormatter(
                template=self.source, eos_token=eos_token, bos_token=bos_token
            )
        except jinja2.TemplateError as error:
            raise ModelError(f"The model's chat template is invalid: {error}") from None

    def render(self, messages: Sequence[ChatMessage]) -> str:
        if self._system_in_first_message:
            messages = _merge_system(messages)
        try:
            return self._render(messages)
        except ModelError:
            if not messages or messages[0].role != "system":
                raise
        # Some templates (Gemma, early Mistral) refuse a system role: give its text to the
        # first user message instead, and remember to do so for this model.
        merged = self._render(_merge_system(messages))
        self._system_in_first_message = True
        return merged

    def _render(self, messages: Sequence[ChatMessage]) -> str:
        payload = [{"role": message.role, "content": message.content} for message in messages]
        try:
            return str(self._formatter(messages=payload).prompt)
        except (jinja2.TemplateError, ValueError, TypeError) as error:
            raise ModelError(f"The model's chat template failed: {error}") from None


def _merge_system(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    if not messages or messages[0].role != "system":
        return list(messages)
    system, rest = messages[0], list(messages[1:])
    if rest and rest[0].role == "user":
        return [ChatMessage("user", f"{system.content}\n\n{rest[0].content}"), *rest[1:]]
    return [ChatMessage("user", system.content), *rest]
