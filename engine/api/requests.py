"""Request bodies as OpenAI's clients send them, checked and turned into Hearth's types.

Sampling fields are checked against Hearth's own `SAMPLING_FIELDS`, so the API refuses exactly
what the settings panel refuses. Fields a request leaves out take the app's defaults, except the
loop guard, which stops a reply that keeps repeating itself: it is off unless a request asks for
it with `loop_guard` (a window in tokens, or true for the app's). Unknown
fields are ignored, as OpenAI's clients add their own; features Hearth cannot honour (images,
the old `functions`) are refused by name rather than silently dropped. `response_format`
becomes a grammar (engine/api/structured.py); `logprobs` asks the engine host for each token's
log-probability and up to 20 likeliest alternatives.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.api.errors import invalid, unsupported
from engine.api.structured import grammar_for
from engine.api.tools import ToolUse, call_grammar, parse_tool_choice, parse_tools
from engine.chat.prompt import ChatMessage, Role, ToolCall
from engine.chat.repetition import DEFAULT_WINDOW
from engine.host.batch import MAX_SEQUENCES
from engine.settings import SAMPLING_FIELDS, FieldSpec, SamplingSettings

MAX_STOP_STRINGS = 16
MAX_STOP_CHARS = 1000
MAX_EMBEDDING_INPUTS = 2048
MAX_TOP_LOGPROBS = 20

# Request field -> Hearth's sampling field. OpenAI's names first, then llama.cpp's server's.
_SAMPLING_NAMES: dict[str, str] = {
    **{spec.name: spec.name for spec in SAMPLING_FIELDS},
    "max_completion_tokens": "max_tokens",
    "repeat_last_n": "penalty_last_n",
    "mirostat": "mirostat_mode",
}
_SPECS: dict[str, FieldSpec] = {spec.name: spec for spec in SAMPLING_FIELDS}
_ROLES: dict[str, Role] = {
    "system": "system", "developer": "system", "user": "user", "assistant": "assistant",
    "tool": "tool",
}


@dataclass(frozen=True)
class Generation:
    """How to generate: what text requests share."""

    sampling: SamplingSettings
    stop: tuple[str, ...] = ()
    ignore_eos: bool = False
    stream: bool = False
    include_usage: bool = False
    grammar: str = ""  # GBNF from response_format; "": free text
    logprobs: int | None = None  # None: no log-probabilities; else how many top ones per token
    choices: int = 1  # n: replies to the same prompt, written side by side
    # The request named its seed (one from the app's defaults promises the client nothing).
    seeded: bool = False


@dataclass(frozen=True)
class ChatCompletionRequest:
    model: str | None
    messages: tuple[ChatMessage, ...]
    generation: Generation
    # The template's thinking switch (`chat_template_kwargs.enable_thinking`, as vLLM and
    # llama.cpp's server take it); None leaves it to the template.
    think: bool | None = None
    # The model's thinking comes apart as `reasoning_content` unless `reasoning_format` is
    # "none" (llama.cpp's server's name): then it stays in the content, tags and all.
    separate_reasoning: bool = True
    tool_use: ToolUse = dataclasses.field(default_factory=lambda: ToolUse(()))  # api/tools.py


@dataclass(frozen=True)
class CompletionRequest:
    model: str | None
    prompt: str
    generation: Generation


@dataclass(frozen=True)
class EmbeddingRequest:
    model: str | None
    inputs: tuple[str, ...]
    base64: bool


ApiRequest = ChatCompletionRequest | CompletionRequest | EmbeddingRequest


def parse_chat(body: Mapping[str, Any], defaults: SamplingSettings) -> ChatCompletionRequest:
    _refuse_unsupported(body)
    if body.get("functions"):
        raise unsupported("functions", "The old function calling (functions; tools is)")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid("messages must be a non-empty list of messages.", "messages")
    parsed = tuple(_message(item, index) for index, item in enumerate(messages))
    tools = parse_tools(body.get("tools"))
    use = ToolUse(tools, parse_tool_choice(body.get("tool_choice"), tools))
    generation = _generation(body, defaults, _chat_logprobs(body))
    if use.choice != "none" and generation.choices > 1:
        raise unsupported("n", "More than one choice with tools")
    if use.forced:
        if generation.grammar:
            raise invalid("response_format cannot be used with a required tool call.",
                          "response_format")
        generation = dataclasses.replace(generation, grammar=call_grammar(use))
    return ChatCompletionRequest(_model(body), parsed, generation, _think(body),
                                 _separate_reasoning(body), use)


def _chat_logprobs(body: Mapping[str, Any]) -> int | None:
    """Chat's `logprobs` (true or false) and `top_logprobs` (0-20, with logprobs true)."""
    wanted = _flag(body, "logprobs")
    top = body.get("top_logprobs")
    if top is None:
        return 0 if wanted else None
    if not _top_count(top):
        raise invalid(f"top_logprobs must be a whole number from 0 to {MAX_TOP_LOGPROBS}.",
                      "top_logprobs")
    if not wanted:
        raise invalid("top_logprobs needs logprobs set to true.", "top_logprobs")
    assert isinstance(top, int)
    return top


def _completion_logprobs(body: Mapping[str, Any]) -> int | None:
    """The completions endpoint's `logprobs`: how many top ones per token (0-20), or none."""
    value = body.get("logprobs")
    if value is None:
        return None
    if not _top_count(value):
        raise invalid(f"logprobs must be a whole number from 0 to {MAX_TOP_LOGPROBS}.",
                      "logprobs")
    assert isinstance(value, int)
    return value


def _top_count(value: object) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)
            and 0 <= value <= MAX_TOP_LOGPROBS)


def _think(body: Mapping[str, Any]) -> bool | None:
    kwargs = body.get("chat_template_kwargs")
    if kwargs is None:
        return None
    if not isinstance(kwargs, Mapping):
        raise invalid("chat_template_kwargs must be an object.", "chat_template_kwargs")
    think: object = kwargs.get("enable_thinking")
    if think is not None and not isinstance(think, bool):
        raise invalid("chat_template_kwargs.enable_thinking must be true or false.",
                      "chat_template_kwargs.enable_thinking")
    return think


def _separate_reasoning(body: Mapping[str, Any]) -> bool:
    value: object = body.get("reasoning_format")
    if value is not None and value not in ("none", "deepseek", "auto"):
        raise invalid("reasoning_format must be 'none', 'deepseek' or 'auto'.",
                      "reasoning_format")
    return value != "none"


def parse_completion(body: Mapping[str, Any], defaults: SamplingSettings) -> CompletionRequest:
    _refuse_unsupported(body)
    if body.get("echo"):
        raise unsupported("echo", "Echoing the prompt")
    if body.get("suffix"):
        raise unsupported("suffix", "Insertion (a suffix)")
    best_of = body.get("best_of")
    if best_of is not None and best_of != 1:
        raise unsupported("best_of", "best_of other than 1")
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if isinstance(prompt, list):
        raise unsupported("prompt", "More than one prompt, or a prompt of token ids,")
    if not isinstance(prompt, str) or not prompt:
        raise invalid("prompt must be a non-empty string.", "prompt")
    return CompletionRequest(_model(body), prompt,
                             _generation(body, defaults, _completion_logprobs(body)))


def parse_embeddings(body: Mapping[str, Any]) -> EmbeddingRequest:
    raw = body.get("input")
    inputs = [raw] if isinstance(raw, str) else raw
    if not isinstance(inputs, list) or not inputs:
        raise invalid("input must be a string or a non-empty list of strings.", "input")
    if not all(isinstance(text, str) for text in inputs):
        raise unsupported("input", "Input given as token ids")
    if len(inputs) > MAX_EMBEDDING_INPUTS:
        raise invalid(f"input holds more than {MAX_EMBEDDING_INPUTS} items.", "input")
    if any(not text for text in inputs):
        raise invalid("input must not contain empty strings.", "input")
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise invalid("encoding_format must be 'float' or 'base64'.", "encoding_format")
    if body.get("dimensions") is not None:
        raise unsupported("dimensions", "Shortened embeddings (dimensions)")
    return EmbeddingRequest(_model(body), tuple(inputs), encoding == "base64")


def _model(body: Mapping[str, Any]) -> str | None:
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise invalid("model must be a string.", "model")
    return model or None


def _refuse_unsupported(body: Mapping[str, Any]) -> None:
    if body.get("logit_bias"):
        raise unsupported("logit_bias", "logit_bias")


def _generation(
    body: Mapping[str, Any], defaults: SamplingSettings, logprobs: int | None = None
) -> Generation:
    stream = _flag(body, "stream")
    options = body.get("stream_options")
    if options is not None and not isinstance(options, Mapping):
        raise invalid("stream_options must be an object.", "stream_options")
    include_usage = stream and bool(options and options.get("include_usage"))
    return Generation(
        sampling=_sampling(body, defaults),
        stop=_stop(body.get("stop")),
        ignore_eos=_flag(body, "ignore_eos"),
        stream=stream,
        include_usage=include_usage,
        grammar=grammar_for(body.get("response_format")),
        logprobs=logprobs,
        choices=_choices(body.get("n")),
        seeded=body.get("seed") is not None,
    )


def _choices(n: Any) -> int:
    if n is None:
        return 1
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SEQUENCES:
        raise invalid(f"n must be a whole number from 1 to {MAX_SEQUENCES}: Hearth writes at "
                      f"most {MAX_SEQUENCES} replies to one prompt at once.", "n")
    return n


def _flag(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise invalid(f"{name} must be true or false.", name)
    return bool(value)


def _sampling(body: Mapping[str, Any], defaults: SamplingSettings) -> SamplingSettings:
    values: dict[str, Any] = {"loop_guard": _loop_guard(body.get("loop_guard"), defaults)}
    for name, field in _SAMPLING_NAMES.items():
        value = body.get(name)
        if value is None or (field in values and name != "max_completion_tokens"):
            continue  # OpenAI's name wins over an alias; max_completion_tokens over max_tokens
        spec = _SPECS[field]
        refused = spec.check(value)
        if refused:
            error = str(refused)  # the API speaks English
            raise invalid(f"{name}: {error[len(spec.label):].strip() or error}.", name)
        values[field] = float(value) if spec.kind == "float" else int(value)
    return dataclasses.replace(defaults, **values)


def _loop_guard(value: object, defaults: SamplingSettings) -> int:
    """The request's loop guard window: off unless asked for (OpenAI's clients know nothing
    of it, and a program may want repetition a person would not)."""
    if value is None or value is False:
        return 0
    if value is True:
        return defaults.loop_guard or DEFAULT_WINDOW
    spec = _SPECS["loop_guard"]
    refused = spec.check(value)
    if refused:
        error = str(refused)  # the API speaks English
        raise invalid(f"loop_guard: {error[len(spec.label):].strip() or error} (or true or "
                      "false).", "loop_guard")
    assert isinstance(value, int | float)  # spec.check refused anything else
    return int(value)


def _stop(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    stops = [value] if isinstance(value, str) else value
    if not isinstance(stops, list) or not all(isinstance(stop, str) for stop in stops):
        raise invalid("stop must be a string or a list of strings.", "stop")
    if len(stops) > MAX_STOP_STRINGS:
        raise invalid(f"stop holds more than {MAX_STOP_STRINGS} strings.", "stop")
    if any(len(stop) > MAX_STOP_CHARS for stop in stops):
        raise invalid(f"a stop string is longer than {MAX_STOP_CHARS} characters.", "stop")
    return tuple(stop for stop in stops if stop)


def _message(item: object, index: int) -> ChatMessage:
    param = f"messages[{index}]"
    if not isinstance(item, Mapping):
        raise invalid(f"{param} must be an object with a role and content.", param)
    role = item.get("role")
    if role == "function" or item.get("function_call"):
        raise unsupported(f"{param}.role", "The old function calling (functions; tools is)")
    if role not in _ROLES:
        raise invalid(f"{param}.role must be system, developer, user, assistant or tool.",
                      f"{param}.role")
    content = _content(item.get("content"), role, f"{param}.content")
    if role == "tool":
        call_id = item.get("tool_call_id")
        if not isinstance(call_id, str):
            raise invalid(f"{param}.tool_call_id must be the id of the call it answers.",
                          f"{param}.tool_call_id")
        return ChatMessage("tool", content, tool_call_id=call_id)
    calls = item.get("tool_calls") if role == "assistant" else None
    return ChatMessage(_ROLES[role], content,
                       tool_calls=_tool_calls(calls, f"{param}.tool_calls") if calls else ())


def _tool_calls(value: object, param: str) -> tuple[ToolCall, ...]:
    if not isinstance(value, list):
        raise invalid(f"{param} must be a list of calls.", param)
    calls = []
    for index, item in enumerate(value):
        function = item.get("function") if isinstance(item, Mapping) else None
        name = function.get("name") if isinstance(function, Mapping) else None
        arguments = function.get("arguments") if isinstance(function, Mapping) else None
        try:
            parsed = json.loads(arguments) if isinstance(arguments, str) else None
        except ValueError:
            parsed = None
        if not isinstance(item, Mapping) or not isinstance(name, str) \
                or not isinstance(parsed, dict):
            raise invalid(f"{param}[{index}] must be a function call with a name and its "
                          "arguments as a JSON object in a string.", f"{param}[{index}]")
        calls.append(ToolCall(str(item.get("id") or f"call_{index}"), name, arguments or "{}"))
    return tuple(calls)


def _content(content: object, role: object, param: str) -> str:
    if content is None and role == "assistant":
        return ""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise invalid(f"{param} must be a string or a list of text parts.", param)
    texts = []
    for part in content:
        if not isinstance(part, Mapping) or part.get("type") not in ("text", "input_text"):
            kind = part.get("type") if isinstance(part, Mapping) else None
            if kind in ("image_url", "input_image", "input_audio", "file"):
                raise unsupported(param, f"Content of type {kind}")
            raise invalid(f"{param} parts must be objects of type text.", param)
        text = part.get("text")
        if not isinstance(text, str):
            raise invalid(f"{param} text parts must hold a string.", param)
        texts.append(text)
    return "\n".join(texts)

