"""Reasoning models for tests: chat templates in the forms reasoning models' GGUFs carry, and
copies of the bundled model (SmolLM2-135M) that are read with them.

- `QWEN3_TEMPLATE`: Qwen3's template (tools left out), written for SmolLM2's ChatML tokens. It
  has the thinking switch (`enable_thinking`): off, the generation prompt holds an empty think
  block so the model answers at once. Earlier replies go back without their thinking, as in
  Qwen3's own.
- `QWEN3_OPEN_TEMPLATE`: the same, opening the think block in the generation prompt unless
  thinking is off (as Qwen3's thinking-only models do).
- `R1_TEMPLATE`: a DeepSeek-R1 distill's form: the generation prompt opens `<think>`, so the
  reply starts inside the block and only `</think>` is written.
- `HARMONY_TEMPLATE`: gpt-oss's channels, enough of them to be recognised.
"""

from __future__ import annotations

from pathlib import Path

from tests.gguf_forge import Value, copy_with_metadata

QWEN3_TEMPLATE = """\
{%- if messages[0].role == 'system' %}
    {{- '<|im_start|>system\\n' + messages[0].content + '<|im_end|>\\n' }}
{%- endif %}
{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}
    {%- set index = (messages|length - 1) - loop.index0 %}
    {%- if ns.multi_step_tool and message.role == "user" %}
        {%- set ns.multi_step_tool = false %}
        {%- set ns.last_query_index = index %}
    {%- endif %}
{%- endfor %}
{%- for message in messages %}
    {%- set content = message.content if message.content is string else '' %}
    {%- if message.role == "user" or (message.role == "system" and not loop.first) %}
        {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>\\n' }}
    {%- elif message.role == "assistant" %}
        {%- set reasoning_content = '' %}
        {%- if message.reasoning_content is string %}
            {%- set reasoning_content = message.reasoning_content %}
        {%- elif '</think>' in content %}
            {%- set reasoning_content = content.split('</think>')[0].rstrip('\\n')
                .split('<think>')[-1].lstrip('\\n') %}
            {%- set content = content.split('</think>')[-1].lstrip('\\n') %}
        {%- endif %}
        {%- if loop.index0 > ns.last_query_index and reasoning_content %}
            {{- '<|im_start|>assistant\\n<think>\\n' + reasoning_content.strip('\\n')
                + '\\n</think>\\n\\n' + content.lstrip('\\n') }}
        {%- else %}
            {{- '<|im_start|>assistant\\n' + content }}
        {%- endif %}
        {{- '<|im_end|>\\n' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
    {%- if enable_thinking is defined and enable_thinking is false %}
        {{- '<think>\\n\\n</think>\\n\\n' }}
    {%- endif %}
{%- endif %}"""

# Qwen3's thinking models open the block in the generation prompt: SmolLM2 then thinks (it never
# closes the block) with Think on, and answers at once with Think off.
QWEN3_OPEN_TEMPLATE = QWEN3_TEMPLATE.replace(
    "{%- if enable_thinking is defined and enable_thinking is false %}",
    "{%- if not (enable_thinking is defined and enable_thinking is false) %}"
    "{{- '<think>\\n' }}{%- else %}",
)

R1_TEMPLATE = """\
{%- for message in messages %}
    {%- set content = message.content %}
    {%- if message.role == 'assistant' and '</think>' in content %}
        {%- set content = content.split('</think>')[-1] %}
    {%- endif %}
    {{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>\\n' }}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n<think>\\n' }}{%- endif %}"""

HARMONY_TEMPLATE = """\
{%- for message in messages %}
    {%- if message.role == 'assistant' %}
        {{- '<|start|>assistant<|channel|>final<|message|>' + message.content + '<|end|>' }}
    {%- else %}
        {{- '<|start|>' + message.role + '<|message|>' + message.content + '<|end|>' }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{- '<|start|>assistant' }}{%- endif %}"""


def thinking_copy(bundled_model: Path, folder: Path, template: str = QWEN3_TEMPLATE,
                  name: str = "SmolLM2-135M-Thinking") -> Path:
    """The bundled model with `template` as its GGUF's chat template."""
    return copy_with_metadata(bundled_model, folder / f"{name}.gguf", {
        "tokenizer.chat_template": Value.string(template),
        "general.name": Value.string(name.replace("-", " ")),
    })
