"""Rendering a conversation into the model's prompt with its chat template.

A chat template is code written by whoever made the model file. It runs in Jinja's immutable
sandbox (no Python internals) and under a budget: a render that loops too long or builds too
much text is stopped with a ModelError, so a hostile file costs a second, never the app.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

import jinja2
import jinja2.ext
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from engine.errors import ModelError
from engine.text import Text

Role = Literal["system", "user", "assistant", "tool"]  # "tool": a function's result (API)

# A render's budget. Real templates take a few thousand steps and a few ms; these limits stop
# loops and size bombs long before they hurt, and never come near an honest template.
RENDER_SECONDS = 2.0
MAX_STEPS = 1_000_000  # loop iterations and calls
BASE_CHARS = 1 << 20  # text a render may build beyond 4 characters per character of input
WORK_FACTOR = 32  # one call may combine its two largest inputs into this many times the limit
MAX_POWER_BITS = 1 << 16
_FORMAT_WIDTH = re.compile(r"[%:.][^%{}]*?\d{6}")  # a field width or precision of 100,000+
_LOOP_FILTER = "hearth_loop_budget"


@dataclass(frozen=True)
class ToolCall:
    """A function call the model made (the API's tool calls)."""

    id: str
    name: str
    arguments: str  # a JSON object, as OpenAI sends it


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str
    # On the message to answer: whether the model thinks first, for templates with a thinking
    # switch (rendered as `enable_thinking`); None leaves it to the template. It rides on the
    # message so that it reaches the template wherever the prompt is rendered.
    think: bool | None = None
    tool_calls: tuple[ToolCall, ...] = ()  # an assistant message's calls
    tool_call_id: str = ""  # a tool message: the call it answers
    tools_json: str = ""  # on the message to answer: the tools offered (OpenAI's list, JSON)


class TemplateRefusedError(ModelError):
    """A chat template tried to escape the sandbox or ran past its render budget."""


class _Budget:
    """What one render may spend; every hook the template passes through charges it."""

    def __init__(self, messages: Sequence[Mapping[str, str]] = ()) -> None:
        self.max_chars = BASE_CHARS + 4 * sum(len(m["content"]) for m in messages)
        self.max_steps = MAX_STEPS
        self.deadline = time.monotonic() + RENDER_SECONDS
        self.steps = 0
        # The conversation is measured once: templates pass it to filters again and again.
        self._sizes: dict[int, int] = {}
        self._sizes.update((id(m), self.size(m)) for m in messages)
        self._sizes[id(messages)] = self.size(messages)

    def step(self) -> None:
        self.steps += 1
        if self.steps % 64 == 0 and (
            self.steps > self.max_steps or time.monotonic() > self.deadline
        ):
            raise TemplateRefusedError(
                Text("it runs past {max_steps:,} steps or {render_seconds:g} s (an endless or "
                     "huge loop)",
                     max_steps=self.max_steps, render_seconds=RENDER_SECONDS)
            )

    def size(self, value: object) -> int:
        """Characters, bytes or items `value` holds, counted until past the limit."""
        if isinstance(value, str):  # the usual case, kept fast
            return len(value)
        total, seen, pending = 0, set(), [value]
        while pending and total <= self.max_chars:
            item = pending.pop()
            if isinstance(item, str | bytes):
                total += len(item)
            elif isinstance(item, bool | float | None):
                continue
            elif isinstance(item, int):
                total += item.bit_length() // 8
            elif isinstance(item, range):
                total += len(item)
            elif id(item) not in seen and isinstance(item, list | tuple | dict | set | Namespace):
                seen.add(id(item))
                if isinstance(item, Namespace):
                    item = object.__getattribute__(item, "_Namespace__attrs")
                known = self._sizes.get(id(item))
                if known is not None:
                    total += known
                    continue
                total += len(item)
                pending.extend(item.items() if isinstance(item, dict) else item)
        return total

    def check(self, value: object) -> object:
        if self.size(value) > self.max_chars:
            raise TemplateRefusedError(Text("it builds values over {max_chars:,} characters",
                                            max_chars=self.max_chars))
        return value

    def check_inputs(self, values: Sequence[object]) -> None:
        """Refuses a call whose inputs could combine into more than WORK_FACTOR limits."""
        sizes = sorted(
            (abs(v) if isinstance(v, int) and not isinstance(v, bool) else self.size(v)
             for v in values),
            reverse=True,
        )
        if sizes and sizes[0] > self.max_chars:
            raise TemplateRefusedError(
                Text("it asks for more than {max_chars:,} characters or items at once",
                     max_chars=self.max_chars)
            )
        if len(sizes) > 1 and sizes[0] * (sizes[1] + 1) > WORK_FACTOR * self.max_chars:
            raise TemplateRefusedError(
                Text("it asks for work on the order of {value:,} characters",
                     value=sizes[0] * (sizes[1] + 1))
            )


def _check_format(text: str) -> None:
    if _FORMAT_WIDTH.search(text):
        raise TemplateRefusedError(Text("it formats text with a width of 100,000 or more"))


class _BudgetCodeGenerator(CodeGenerator):
    """Compiles templates so that loops and `~` joins charge the render budget too."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        # Before the base class collects the filters the template uses, so ours is among them.
        for loop in node.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, _LOOP_FILTER, [], [], None, None,
                                     lineno=loop.lineno)
        super().visit_Template(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked_concat(context, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, plus a budget every loop, call, operator and output charges.

    Mirrors llama-cpp-python's `Jinja2ChatFormatter` environment (options, extensions, `tojson`)
    so prompts come out the same.
    """

    code_generator_class = _BudgetCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(
            loader=jinja2.BaseLoader(),
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=[Jinja2ChatFormatter.IgnoreGenerationTags, jinja2.ext.loopcontrols],
            finalize=self._finalize,
        )
        self.budget: _Budget | None = None
        del self.globals["lipsum"]  # its three size arguments multiply; no template needs it
        self.filters["tojson"] = Jinja2ChatFormatter.tojson
        self.filters = {name: self._bounded(func) for name, func in self.filters.items()}
        self.filters[_LOOP_FILTER] = self._loop_items

    def _current(self) -> _Budget:
        # Jinja folds constant expressions while compiling: those get a budget of their own.
        return self.budget or _Budget()

    def _bounded(self, func: Callable[..., Any]) -> Callable[..., Any]:
        def bounded(*args: Any, **kwargs: Any) -> Any:
            budget = self._current()
            budget.step()
            budget.check_inputs([*args, *kwargs.values()])
            if func.__name__ == "do_format" and args and isinstance(args[0], str):
                _check_format(args[0])
            return budget.check(func(*args, **kwargs))

        bounded.__dict__.update(getattr(func, "__dict__", {}))  # Jinja's pass_context marks
        bounded.__name__ = func.__name__
        return bounded

    @jinja2.pass_context
    def _loop_items(self, _context: Context, items: Iterable[object]) -> Iterator[object]:
        budget = self._current()
        for item in items:
            budget.step()
            yield item

    def _finalize(self, value: object) -> object:
        return self._current().check(value)

    def checked_concat(self, context: Context, values: tuple[object, ...]) -> str:
        budget = self._current()
        budget.step()
        budget.check(values)
        joined: str = markup_join(values) if context.eval_ctx.autoescape else str_join(values)
        return joined

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = __self._current()
        budget.step()
        bound_to = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        inputs = [*args, *kwargs.values()]
        budget.check_inputs(inputs if bound_to is None else [bound_to, *inputs])
        return budget.check(super().call(__context, __obj, *args, **kwargs))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        budget = self._current()
        budget.step()
        if operator == "*":
            _check_product(budget, left, right)
        elif operator == "**":
            _check_power(left, right)
        elif operator == "%" and isinstance(left, str):
            _check_format(left)
            budget.check_inputs([left, right])
        return budget.check(self.binop_table[operator](left, right))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_format(value.__self__)
        return wrapped

    def unsafe_undefined(self, obj: Any, attribute: str) -> jinja2.Undefined:
        # Jinja returns an undefined value that fails only when used; refuse at the first try.
        raise SecurityError(f"access to {attribute!r} of a {type(obj).__name__!r} object")


def _check_product(budget: _Budget, left: Any, right: Any) -> None:
    numbers = [v for v in (left, right) if isinstance(v, int) and not isinstance(v, bool)]
    if len(numbers) == 2:
        if left.bit_length() + right.bit_length() > MAX_POWER_BITS:
            raise TemplateRefusedError(Text("it computes a number too large to hold"))
    elif numbers:
        other = right if numbers[0] is left else left
        if numbers[0] > 0 and budget.size(other) * numbers[0] > budget.max_chars:
            raise TemplateRefusedError(Text("it builds values over {max_chars:,} characters",
                                            max_chars=budget.max_chars))


def _check_power(base: Any, exponent: Any) -> None:
    # Only whole numbers grow without bound: a float overflows to an error instead.
    whole = isinstance(base, int) and isinstance(exponent, int) and exponent > 0
    if whole and max(abs(base).bit_length() - 1, 0) * exponent > MAX_POWER_BITS:
        raise TemplateRefusedError(Text("it computes a number too large to hold"))


class _NotConstant(Exception):
    """An expression Jinja's compiler would not fold into a constant."""


def _fold(node: nodes.Node, env: _BoundedSandbox) -> Any:
    """The constant Jinja's compiler folds `node` into, computed under the render budget.

    llama-cpp-python compiles a GGUF's templates while loading the model, in Jinja's plain
    sandbox, which folds constant expressions such as `'x' * 10**10` at compile time, reached
    or not; refusing them here keeps that load from running out of memory.
    """
    if isinstance(node, nodes.Const | nodes.TemplateData):
        return node.data if isinstance(node, nodes.TemplateData) else node.value
    if isinstance(node, nodes.List | nodes.Tuple):
        return [_fold(item, env) for item in node.items]
    if isinstance(node, nodes.Dict):
        return {_fold(pair.key, env): _fold(pair.value, env) for pair in node.items}
    if isinstance(node, nodes.Concat):
        return env.checked_concat(_FOLDING_CONTEXT, tuple(_fold(n, env) for n in node.nodes))
    if isinstance(node, nodes.CondExpr):
        return [_fold(n, env) for n in (node.test, node.expr1, node.expr2) if n is not None]
    values = [_fold(n, env) for n in _operands(node)]
    try:
        if isinstance(node, nodes.BinExpr):
            return env.call_binop(_FOLDING_CONTEXT, node.operator, *values)
        if isinstance(node, nodes.UnaryExpr):
            return env.unop_table[node.operator](values[0]) if node.operator in "+-" else None
        if isinstance(node, nodes.Filter) and node.name in env.filters and not node.dyn_args:
            keywords = {kw.key: _fold(kw.value, env)
                        for kw in cast(list[nodes.Keyword], node.kwargs)}
            return env.call_filter(node.name, values[0], values[1:], keywords)
    except TemplateRefusedError:
        raise
    except Exception:  # Jinja gives up folding on any error too
        raise _NotConstant from None
    raise _NotConstant


def _operands(node: nodes.Node) -> list[nodes.Node]:
    if isinstance(node, nodes.BinExpr):
        return [node.left, node.right]
    if isinstance(node, nodes.UnaryExpr):
        return [node.node]
    if isinstance(node, nodes.Filter) and node.node is not None:
        return [node.node, *node.args]
    raise _NotConstant


def _check_constants(source: str, env: _BoundedSandbox) -> None:
    env.budget = _Budget()
    try:
        for node in env.parse(source).find_all((nodes.BinExpr, nodes.Filter, nodes.Concat)):
            try:
                _fold(node, env)
            except _NotConstant:
                continue
    finally:
        env.budget = None


def check_chat_templates(metadata: Mapping[str, object]) -> None:
    """Refuses, with a ModelError, a GGUF whose chat templates are broken or hostile.

    Call it before llama.cpp loads the file: llama-cpp-python compiles every
    `tokenizer.chat_template*` itself then, and a hostile template can exhaust memory there.
    """
    for key, value in metadata.items():
        if key.split(".")[:2] == ["tokenizer", "chat_template"] and isinstance(value, str):
            ChatTemplate(value, bos_token="<s>", eos_token="</s>")


class ChatTemplate:
    """A Jinja chat template (the GGUF's, a built-in or a person's), rendered in a bounded
    sandbox. Which one a model uses is decided in engine/chat/templates.py.

    Construction compiles the template, checks its constants and renders a short conversation,
    so a broken or hostile template is refused when the model loads, not at the first message.
    """

    def __init__(self, template: str, bos_token: str, eos_token: str) -> None:
        self.source = template
        self._bos_token, self._eos_token = bos_token, eos_token
        self._system_in_first_message = False
        self._environment = _BoundedSandbox()
        try:
            self._template = self._environment.from_string(self.source)
            _check_constants(self.source, self._environment)
        except jinja2.TemplateSyntaxError as error:
            raise ModelError(Text("The model's chat template is invalid: {error}",
                                  error=error)) from None
        except TemplateRefusedError as error:
            raise TemplateRefusedError(Text("The model's chat template was refused: {error}",
                                            error=error)) from None
        except Exception as error:  # nesting too deep for Python's compiler, and the like
            raise TemplateRefusedError(
                Text("The model's chat template was refused: it cannot be compiled ({error})",
                     error=error)
            ) from None
        self.render(_PROBE)

    def render(self, messages: Sequence[ChatMessage]) -> str:
        if self._system_in_first_message:
            messages = _merge_system(messages)
        try:
            return self._render(messages)
        except TemplateRefusedError:
            raise
        except ModelError:
            if not messages or messages[0].role != "system":
                raise
        # Some templates (Gemma, early Mistral) refuse a system role: give its text to the
        # first user message instead, and remember to do so for this model.
        merged = self._render(_merge_system(messages))
        self._system_in_first_message = True
        return merged

    def _render(self, messages: Sequence[ChatMessage]) -> str:
        payload = [_payload(message) for message in messages]
        think = messages[-1].think if messages else None
        tools = json.loads(messages[-1].tools_json) if messages and messages[-1].tools_json \
            else None
        switches = {} if think is None else {"enable_thinking": think}
        budget = _Budget(payload)
        self._environment.budget = budget
        parts: list[str] = []
        written = 0
        try:
            for part in self._template.generate(
                # What llama-cpp-python's Jinja2ChatFormatter passes, so prompts match its own.
                messages=payload,
                eos_token=self._eos_token,
                bos_token=self._bos_token,
                raise_exception=_raise_exception,
                add_generation_prompt=True,
                functions=None,
                function_call=None,
                tools=tools,
                tool_choice=None,
                strftime_now=Jinja2ChatFormatter.strftime_now,
                **switches,
            ):
                written += len(part)
                if written > budget.max_chars:
                    raise TemplateRefusedError(
                        Text("it writes a prompt over {max_chars:,} characters",
                             max_chars=budget.max_chars)
                    )
                parts.append(part)
        except TemplateRefusedError as error:
            raise TemplateRefusedError(Text("The model's chat template was refused: {error}",
                                            error=error)) from None
        except SecurityError as error:
            raise TemplateRefusedError(
                Text("The model's chat template was refused: it tries to reach past its sandbox "
                     "({error})",
                     error=error)
            ) from None
        except RecursionError:
            raise TemplateRefusedError(
                Text("The model's chat template was refused: it calls itself without end")
            ) from None
        except Exception as error:  # the template is a stranger's code: any failure is its own
            raise ModelError(Text("The model's chat template failed: {error}",
                                  error=error)) from None
        finally:
            self._environment.budget = None
        return "".join(parts)


def _payload(message: ChatMessage) -> dict[str, Any]:
    """A message as templates read it (OpenAI's shape; a call's arguments as an object, which
    templates write with `tojson`)."""
    payload: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        payload["tool_calls"] = [
            {"id": call.id, "type": "function",
             "function": {"name": call.name, "arguments": json.loads(call.arguments)}}
            for call in message.tool_calls]
    if message.tool_call_id:
        payload["tool_call_id"] = message.tool_call_id
    return payload


def _raise_exception(message: str) -> None:
    raise ValueError(message)


_PROBE = (ChatMessage("system", "You are a helpful assistant."), ChatMessage("user", "Hello"))
_FOLDING_CONTEXT = Context(_BoundedSandbox(), {}, None, {})


def _merge_system(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    if not messages or messages[0].role != "system":
        return list(messages)
    system, rest = messages[0], list(messages[1:])
    if rest and rest[0].role == "user":
        first = dataclasses.replace(rest[0], content=f"{system.content}\n\n{rest[0].content}")
        return [first, *rest[1:]]
    return [ChatMessage("user", system.content), *rest]
