"""Tool calls in the chat API: the tools offered to the model, and its calls read back out.

Tools reach the model through its own chat template when the template has a tools section and
knows assistant tool calls (Qwen2.5, Hermes, Llama 3.1 and others): the template writes them in
the words the model was trained on. A template without one gets them in a system message in the
Hermes format, with earlier calls and results written into the conversation as that format
writes them. The model's calls are read in the formats of the common families: Qwen and
Hermes `<tool_call>{...}</tool_call>`, Mistral `[TOOL_CALLS] [{...}]`, and Llama 3's bare JSON
object with a name and parameters. With `tool_choice` "required" or a named function, a grammar
makes the reply exactly one call in the Hermes format, its arguments valid for the function's
schema (the schema is walked as response_format's is: a keyword the grammar cannot enforce is a
400 naming it).
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from engine.api.errors import invalid
from engine.api.structured import schema_grammar
from engine.chat.prompt import ChatMessage, ToolCall

MAX_TOOLS = 64
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_HERMES = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_MISTRAL = "[TOOL_CALLS]"
# Qwen2.5-Coder often writes its call as a fenced JSON block instead of in <tool_call> tags
# (llama.cpp's Hermes parser accepts the fence too).
_FENCED = re.compile(r"```(?:json)?[ \t]*\n(.*?)\n?[ \t]*```", re.DOTALL)


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    parameters: Mapping[str, Any]  # a JSON schema of the arguments

    def as_openai(self) -> dict[str, Any]:
        return {"type": "function", "function": {
            "name": self.name, "description": self.description,
            "parameters": dict(self.parameters)}}


@dataclass(frozen=True)
class ToolUse:
    """What a request offers: the tools, and `choice`: "auto", "none", "required" or the name
    of the one function the model must call."""

    tools: tuple[Tool, ...]
    choice: str = "auto"

    @property
    def forced(self) -> bool:
        return self.choice not in ("auto", "none")


def parse_tools(value: object) -> tuple[Tool, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_TOOLS:
        raise invalid(f"tools must be a list of at most {MAX_TOOLS} functions.", "tools")
    tools = []
    for index, item in enumerate(value):
        param = f"tools[{index}]"
        function = item.get("function") if isinstance(item, Mapping) else None
        if not isinstance(item, Mapping) or item.get("type") != "function" \
                or not isinstance(function, Mapping):
            raise invalid(f"{param} must be {{\"type\": \"function\", \"function\": {{...}}}}.",
                          param)
        name = function.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise invalid(f"{param}.function.name must be 1-64 letters, digits, _ . or -.",
                          f"{param}.function.name")
        parameters = function.get("parameters", {"type": "object", "properties": {}})
        if not isinstance(parameters, Mapping):
            raise invalid(f"{param}.function.parameters must be a JSON schema (an object).",
                          f"{param}.function.parameters")
        schema_grammar(parameters, f"{param}.function.parameters")  # refused now, not later
        description = function.get("description") or ""
        if not isinstance(description, str):
            raise invalid(f"{param}.function.description must be a string.",
                          f"{param}.function.description")
        tools.append(Tool(name, description, parameters))
    if len({tool.name for tool in tools}) != len(tools):
        raise invalid("tools must have different names.", "tools")
    return tuple(tools)


def parse_tool_choice(value: object, tools: Sequence[Tool]) -> str:
    if value is None:
        return "auto" if tools else "none"
    if value in ("auto", "none", "required"):
        if value != "none" and not tools:
            raise invalid(f"tool_choice '{value}' needs tools.", "tool_choice")
        return str(value)
    function = value.get("function") if isinstance(value, Mapping) else None
    name = function.get("name") if isinstance(function, Mapping) else None
    if not isinstance(name, str):
        raise invalid("tool_choice must be 'auto', 'none', 'required' or "
                      "{\"type\": \"function\", \"function\": {\"name\": ...}}.", "tool_choice")
    if name not in {tool.name for tool in tools}:
        raise invalid(f"tool_choice names '{name}', which is not among the tools.",
                      "tool_choice")
    return name


def call_grammar(use: ToolUse) -> str:
    """The GBNF of exactly one call, in the Hermes format, to the chosen function(s)."""
    chosen = [tool for tool in use.tools if use.choice in ("required", tool.name)]
    schema = {"anyOf": [{
        "type": "object",
        "properties": {"name": {"const": tool.name}, "arguments": dict(tool.parameters)},
        "required": ["name", "arguments"], "additionalProperties": False,
    } for tool in chosen]}
    call = schema_grammar(schema, "tools").replace("root ::=", "call ::=", 1)
    return f'root ::= "<tool_call>\\n" call "\\n</tool_call>"\n{call}'


def template_knows_tools(source: str) -> bool:
    """Whether a chat template writes the tools and the assistant's calls itself."""
    return "tools" in source and "tool_calls" in source


def prepare_messages(messages: Sequence[ChatMessage], use: ToolUse,
                     native: bool) -> tuple[ChatMessage, ...]:
    """The conversation as the template will read it: the tools on the message to answer for
    a template that writes them; for one that does not, a Hermes system message, and earlier
    calls and results written into the text."""
    if native:
        tools = json.dumps([tool.as_openai() for tool in use.tools]) if use.tools else ""
        return (*messages[:-1], dataclasses.replace(messages[-1], tools_json=tools))
    written = [_written(message) for message in messages]
    if not use.tools:
        return tuple(written)
    system = hermes_system_text(use.tools)
    if written and written[0].role == "system":
        return (ChatMessage("system", f"{written[0].content}\n\n{system}"), *written[1:])
    return (ChatMessage("system", system), *written)


def hermes_system_text(tools: Sequence[Tool]) -> str:
    signatures = "\n".join(json.dumps(tool.as_openai()) for tool in tools)
    return ("You may call one or more functions to help with the user's request. The "
            "functions are listed in <tools></tools>:\n<tools>\n" + signatures + "\n</tools>\n"
            "To call a function, write a JSON object with its name and arguments inside "
            "<tool_call></tool_call> tags:\n<tool_call>\n"
            '{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>')


def _written(message: ChatMessage) -> ChatMessage:
    if message.role == "tool":
        return ChatMessage("user", f"<tool_response>\n{message.content}\n</tool_response>")
    if message.tool_calls:
        calls = "\n".join(
            "<tool_call>\n" + json.dumps({"name": call.name,
                                          "arguments": json.loads(call.arguments)})
            + "\n</tool_call>" for call in message.tool_calls)
        return ChatMessage("assistant", f"{message.content}\n{calls}".strip())
    return message


def read_calls(text: str, tools: Sequence[Tool]) -> tuple[str, tuple[ToolCall, ...]]:
    """The calls in a reply to offered `tools`, and the text left around them; a reply with no
    readable call to one of them is all text."""
    names = {tool.name for tool in tools}
    found: list[tuple[str, Any]] = []
    rest = text
    if "<tool_call>" in text:
        found = [(match.group(0), _json(match.group(1))) for match in _HERMES.finditer(text)]
    elif text.lstrip().startswith(_MISTRAL):
        listed = _json(text.lstrip()[len(_MISTRAL):])
        found = [(text, item) for item in (listed if isinstance(listed, list) else [listed])]
    elif text.strip().startswith("{"):
        found = [(text, _json(text))]
    elif "```" in text:  # only the fenced blocks that are calls: other code stays text
        found = [(match.group(0), value) for match in _FENCED.finditer(text)
                 if _call(value := _json(match.group(1)), names) is not None]
    calls = []
    end = 0
    for raw, value in found:
        call = _call(value, names)
        if call is None:
            return text, ()
        calls.append(call)
        end = max(end, text.find(raw) + len(raw))
    if calls:
        # What follows the last call is the model guessing the tool's result before it has it
        # (Qwen2.5-Coder does); left in the message, the next turn repeats the guess.
        rest = text[:end]
        for raw, _value in found:
            rest = rest.replace(raw, "", 1)
    return rest.strip(), tuple(calls)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _call(value: Any, names: set[str]) -> ToolCall | None:
    if not isinstance(value, Mapping) or value.get("name") not in names:
        return None
    arguments = value.get("arguments", value.get("parameters", {}))
    if isinstance(arguments, str):  # some models write the arguments as a JSON string
        arguments = _json(arguments)
    if not isinstance(arguments, Mapping):
        return None
    return ToolCall(f"call_{secrets.token_hex(12)}", str(value["name"]), json.dumps(arguments))
