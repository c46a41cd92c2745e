"""Tool calls through the API (engine/api/tools.py) with the official `openai` client and the
real server on the bundled model (tests/engine/conftest.py), whose template has no tools
section (so tools reach it as a Hermes system message); the template path and the call formats
of other families are tested on their own below."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletionMessageFunctionToolCall

from engine.api.tools import Tool, read_calls, template_knows_tools
from engine.chat.prompt import ChatMessage, ChatTemplate, ToolCall

WEATHER: Any = {"type": "function", "function": {
    "name": "get_weather", "description": "The weather in a city now.",
    "parameters": {"type": "object", "additionalProperties": False,
                   "properties": {"city": {"type": "string", "minLength": 1},
                                  "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                   "required": ["city", "unit"]}}}
TIME: Any = {"type": "function", "function": {
    "name": "get_time", "description": "The local time in a time zone.",
    "parameters": {"type": "object", "properties": {"zone": {"type": "string"}},
                   "required": ["zone"]}}}
NAMED_TIME: Any = {"type": "function", "function": {"name": "get_time"}}
QUESTIONS = ["What's the weather in Paris?", "Is it raining in Oslo right now?",
             "How warm is it in Lima, in fahrenheit?", "Weather for Nairobi please.",
             "Should I take a coat in Toronto today?", "Tell me the temperature in Kyoto."]


def _check_weather_arguments(arguments: str) -> None:
    """What jsonschema would check of WEATHER's parameters, by hand (it is not installed)."""
    values = json.loads(arguments)
    assert set(values) == {"city", "unit"}
    assert isinstance(values["city"], str) and values["city"]
    assert values["unit"] in ("celsius", "fahrenheit")


def test_a_required_call_is_always_one_call_with_valid_arguments(client: openai.OpenAI,
                                                                  model_id: str) -> None:
    for index, question in enumerate(QUESTIONS):
        reply = client.chat.completions.create(
            model=model_id, messages=[{"role": "user", "content": question}],
            tools=[WEATHER], tool_choice="required", temperature=0.3 * (index % 4), seed=index,
            max_tokens=96)
        choice = reply.choices[0]
        assert choice.finish_reason == "tool_calls"
        assert choice.message.tool_calls is not None and len(choice.message.tool_calls) == 1
        call = choice.message.tool_calls[0]
        assert call.type == "function" and call.id.startswith("call_")
        assert call.function.name == "get_weather"
        _check_weather_arguments(call.function.arguments)


def test_a_named_function_is_the_one_called(client: openai.OpenAI, model_id: str) -> None:
    reply = client.chat.completions.create(
        model=model_id, messages=[{"role": "user", "content": "What time is it in Tokyo?"}],
        tools=[WEATHER, TIME], tool_choice=NAMED_TIME, temperature=0, max_tokens=96)
    calls = [c for c in reply.choices[0].message.tool_calls or []
             if isinstance(c, ChatCompletionMessageFunctionToolCall)]
    assert [c.function.name for c in calls] == ["get_time"]
    assert isinstance(json.loads(calls[0].function.arguments)["zone"], str)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_a_tool_round_trip_ends_in_an_answer(client: openai.OpenAI, model_id: str,
                                             stream: bool) -> None:
    messages: list[Any] = [{"role": "user", "content": "What's the weather in Paris?"}]
    asked: dict[str, Any] = {"model": model_id, "tools": [WEATHER], "temperature": 0,
                             "max_tokens": 96}
    if stream:
        chunks = list(client.chat.completions.create(messages=messages, stream=True,
                                                     tool_choice="required", **asked))
        deltas = [d for c in chunks if c.choices for d in c.choices[0].delta.tool_calls or []]
        assert len(deltas) == 1 and deltas[0].index == 0 and deltas[0].id
        assert deltas[0].function is not None and deltas[0].function.name == "get_weather"
        arguments = deltas[0].function.arguments or ""
        call_id = deltas[0].id
        assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "tool_calls"
        assert not "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    else:
        first = client.chat.completions.create(messages=messages, tool_choice="required",
                                               **asked)
        assert first.choices[0].message.content is None
        calls = first.choices[0].message.tool_calls
        assert calls is not None
        arguments, call_id = calls[0].function.arguments, calls[0].id
    _check_weather_arguments(arguments)
    messages += [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": call_id, "type": "function",
             "function": {"name": "get_weather", "arguments": arguments}}]},
        {"role": "tool", "tool_call_id": call_id,
         "content": json.dumps({"temperature": 18, "sky": "cloudy"})},
    ]
    final = client.chat.completions.create(messages=messages, tool_choice="none", **asked)
    assert final.choices[0].finish_reason in ("stop", "length")
    assert final.choices[0].message.tool_calls is None
    assert (final.choices[0].message.content or "").strip()


@pytest.mark.parametrize(("extra", "param"), [
    ({"tool_choice": {"type": "function", "function": {"name": "nope"}}}, "tool_choice"),
    ({"tool_choice": "required", "tools": []}, "tool_choice"),
    ({"tools": [{"type": "function", "function": {"name": "f", "parameters": {
        "type": "object", "properties": {"x": {"type": "integer", "minimum": 1}}}}}]},
     "tools[0].function.parameters"),
    ({"tools": [{"type": "function", "function": {"name": "has space"}}]},
     "tools[0].function.name"),
    ({"n": 2}, "n"),
    ({"messages": [{"role": "tool", "content": "18 degrees"}]}, "messages[0].tool_call_id"),
    ({"functions": [{"name": "f"}]}, "functions"),
])
def test_bad_tool_requests_are_refused_by_name(client: openai.OpenAI, model_id: str,
                                               extra: dict[str, Any], param: str) -> None:
    body: dict[str, Any] = {"model": model_id, "tools": [WEATHER],
                            "messages": [{"role": "user", "content": "Hi"}], **extra}
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(**body)
    error: Any = refused.value.body
    assert error["param"] == param, error


# -- Formats of other families, and templates with a tools section ---------------------------------

TOOLS = (Tool("get_weather", "", WEATHER["function"]["parameters"]),)


@pytest.mark.parametrize("reply", [
    'Let me check.\n<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo", '
    '"unit": "celsius"}}\n</tool_call>',  # Qwen, Hermes
    '[TOOL_CALLS] [{"name": "get_weather", "arguments": {"city": "Oslo", "unit": "celsius"}}]',
    '{"name": "get_weather", "parameters": {"city": "Oslo", "unit": "celsius"}}',  # Llama 3
    'Let me check.\n```json\n{"name": "get_weather", "arguments": {"city": "Oslo", '
    '"unit": "celsius"}}\n```',  # Qwen2.5-Coder, as it writes calls
])
def test_calls_are_read_in_each_familys_format(reply: str) -> None:
    text, calls = read_calls(reply, TOOLS)
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("get_weather", {"city": "Oslo", "unit": "celsius"})]
    assert text in ("", "Let me check.")


def test_a_call_to_an_unknown_function_or_broken_json_stays_text() -> None:
    for reply in ['<tool_call>{"name": "rm_rf", "arguments": {}}</tool_call>',
                  '<tool_call>{"name": "get_weather", "argu</tool_call>', "{not json",
                  'Here:\n```json\n{"city": "Oslo"}\n```']:  # code, not a call
        assert read_calls(reply, TOOLS) == (reply, ())


QWEN_LIKE = (  # the shape of Qwen2.5's tools section, cut short
    "{%- if tools %}<|im_start|>system\n# Tools\n<tools>"
    "{%- for tool in tools %}\n{{ tool | tojson }}{%- endfor %}\n</tools><|im_end|>\n"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if message.role == 'assistant' and message.tool_calls %}<|im_start|>assistant"
    "{%- for call in message.tool_calls %}\n<tool_call>\n{\"name\": \"{{ call.function.name }}\""
    ", \"arguments\": {{ call.function.arguments | tojson }}}\n</tool_call>{%- endfor %}"
    "<|im_end|>\n"
    "{%- elif message.role == 'tool' %}<|im_start|>user\n<tool_response>\n{{ message.content }}"
    "\n</tool_response><|im_end|>\n"
    "{%- else %}<|im_start|>{{ message.role }}\n{{ message.content }}<|im_end|>\n{%- endif %}"
    "{%- endfor %}{%- if add_generation_prompt %}<|im_start|>assistant\n{%- endif %}")


def test_a_template_with_a_tools_section_writes_the_tools_and_the_calls_itself() -> None:
    assert template_knows_tools(QWEN_LIKE)
    template = ChatTemplate(QWEN_LIKE, bos_token="", eos_token="<|im_end|>")
    tools = json.dumps([WEATHER])
    prompt = template.render([
        ChatMessage("user", "Weather in Oslo?"),
        ChatMessage("assistant", "", tool_calls=(ToolCall("call_1", "get_weather",
                                                          '{"city": "Oslo"}'),)),
        ChatMessage("tool", '{"temperature": 3}', tool_call_id="call_1", tools_json=tools),
    ])
    assert '"name": "get_weather"' in prompt and "<tools>" in prompt
    assert '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}' in prompt
    assert '<tool_response>\n{"temperature": 3}' in prompt
