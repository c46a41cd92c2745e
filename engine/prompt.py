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
        try:
            self._formatter = Jinja2ChatFormatter(
                template=self.source, eos_token=eos_token, bos_token=bos_token
            )
        except jinja2.TemplateError as error:
            raise ModelError(f"The model's chat template is invalid: {error}") from None

    def render(self, messages: Sequence[ChatMessage]) -> str:
        payload = [{"role": message.role, "content": message.content} for message in messages]
        try:
            return str(self._formatter(messages=payload).prompt)
        except (jinja2.TemplateError, ValueError, TypeError) as error:
            raise ModelError(f"The model's chat template failed: {error}") from None
