"""Chat templates written to break out, loop or explode, first alone, then inside real model files.

Decision: a hostile template is refused with a clear ModelError when the model loads (the
previous model stays loaded); there is no silent fallback to another template, since a file
that carries one is not to be trusted to chat as its author meant either. A template that turns
hostile only for some conversation fails that message alone, with the same kind of message.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from engine.chat.prompt import (
    RENDER_SECONDS,
    ChatMessage,
    ChatTemplate,
    TemplateRefusedError,
    check_chat_templates,
)
from engine.chat.service import ChatService, Turn, TurnEnded
from engine.chat.store import ChatStore
from engine.config import AppConfig
from engine.errors import ModelError
from engine.host.runtime import Runtime
from engine.models.gguf import read_header
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from tests.gguf_forge import Value, copy_with_metadata

CONVERSATION = [
    ChatMessage("system", "Be brief."),
    ChatMessage("user", "Hi"),
    ChatMessage("assistant", "Hello!"),
    ChatMessage("user", "What is 2+2?"),
]
LOOP = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"

# name -> (template, what the refusal says). Each is tried on its own, without a model.
HOSTILE = {
    "mro": ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "reach past its sandbox"),
    "globals": ("{{ cycler.__init__.__globals__.os.system('touch {canary}') }}",
                "reach past its sandbox"),
    "attr filter": ("{{ (''|attr('__class__')).__base__ }}", "reach past its sandbox"),
    "format escape": ("{{ '{0.__class__.__base__}'.format('') }}", "reach past its sandbox"),
    "mutate a list": ("{% set l = [] %}{{ l.append(1) }}", "reach past its sandbox"),
    "giant range": ("{% for i in range(10**9) %}x{% endfor %}", "more than"),
    "nested loops": (LOOP, "steps or"),
    "loop over text": ("{% set s = 'ab' * 50000 %}{% for a in s %}{% for b in s %}{% endfor %}"
                       "{% endfor %}", "steps or"),
    "recursion": ("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", "calls itself"),
    "repeat": ("{{ 'x' * 10**9 }}", "over"),
    "repeat by input": ("{{ 'x' * (messages|length * 10**9) }}", "over"),
    "dead branch": ("{% if false %}{{ 'x' * 10**10 }}{% endif %}", "over"),
    "doubling": ("{% set ns = namespace(s='x') %}{% for i in range(64) %}"
                 "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}", "over"),
    "doubling sets": ("{% set s = 'x' * 500000 %}" + "{% set s = s ~ s %}" * 40, "over"),
    "wide filter": ("{{ 'x'|center(10**9) }}", "more than"),
    "wide format": ("{{ '%1000000000d'|format(1) }}", "width"),
    "wide str.format": ("{{ '{:>1000000000}'.format('x') }}", "width"),
    "width argument": ("{{ '{:{}}'.format('x', 10**9) }}", "more than"),
    "huge power": ("{{ (messages|length + 9) ** (10**10) }}", "number too large"),
    "replace bomb": ("{% set s = 'x' * 1000000 %}{{ s.replace('x', s) }}", "work on the order"),
    "json indent": ("{{ messages|tojson(indent=100000) }}", "over"),
    "many references": ("{% set s = 'x' * 1000000 %}{{ [s, s, s, s, s, s, s, s, s, s] }}",
                        "over"),
    "big output": ("{% for i in range(100000) %}{% for m in messages %}{{ m.content * 100 }}"
                   "{% endfor %}{% endfor %}", "prompt over"),
    "bytes": ("{{ (1).to_bytes(10**9, 'big') }}", "more than"),
    "deep nesting": ("{% if true %}" * 120 + "{% endif %}" * 120, "cannot be compiled"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_template_is_refused_quickly_in_little_memory(
    name: str, tmp_path: Path
) -> None:
    template, reason = HOSTILE[name]
    canary = tmp_path / "escaped"
    started = time.monotonic()
    tracemalloc.start()
    try:
        with pytest.raises(TemplateRefusedError, match=reason) as refused:
            ChatTemplate(template.replace("{canary}", str(canary)), "<s>", "</s>").render(
                CONVERSATION
            )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(refused.value).startswith("The model's chat template was refused: ")
    assert "\n" not in str(refused.value)
    assert time.monotonic() - started < RENDER_SECONDS + 3  # tracemalloc slows it down
    assert peak < 64 * 1024 * 1024, f"{peak:,} bytes at the peak"
    assert not canary.exists()


def test_a_template_that_fails_on_its_own_says_so_plainly() -> None:
    with pytest.raises(ModelError, match="chat template failed: Only user and assistant"):
        ChatTemplate("{{ raise_exception('Only user and assistant roles') }}", "<s>", "</s>")
    with pytest.raises(ModelError, match="chat template is invalid"):
        ChatTemplate("{% for %}", "<s>", "</s>")


# Honest templates in the styles of the common model families: the bounded sandbox must render
# them exactly as llama-cpp-python's own formatter does, and never refuse them.
LLAMA3 = (
    "{% set loop_messages = messages %}{% for message in loop_messages %}"
    "{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'"
    " + message['content'] | trim + '<|eot_id|>' %}"
    "{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}"
    "{{ content }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}"
    "{% endif %}"
)
GEMMA = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "{% for message in messages %}"
    "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
    "{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}"
    "{% else %}{% set role = message['role'] %}{% endif %}"
    "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}"
    "{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}"
)
TOOLS_STYLE = (
    "{%- set ns = namespace(system='', last_user=0) -%}"
    "{%- for m in messages -%}{%- if m.role == 'system' -%}{%- set ns.system = m.content -%}"
    "{%- elif m.role == 'user' -%}{%- set ns.last_user = loop.index0 -%}{%- endif -%}"
    "{%- endfor -%}"
    "<|system|>{{ ns.system ~ ' Today is ' ~ strftime_now('%Y') }}"
    "{{ {'tools': tools or []}|tojson(indent=2) }}\n"
    "{%- for m in messages if m.role != 'system' -%}"
    "<|{{ m.role }}|>{{ m.content|replace('\r\n', '\n') }}"
    "{%- if loop.last %} (last, user turn {{ ns.last_user }}){% endif %}\n"
    "{%- endfor -%}{{ '<|assistant|>' if add_generation_prompt }}"
)


@pytest.mark.parametrize("template", [LLAMA3, GEMMA, TOOLS_STYLE], ids=["llama3", "gemma",
                                                                      "tools"])
def test_honest_templates_render_exactly_as_llama_cpp_python_does(template: str) -> None:
    reference = Jinja2ChatFormatter(template, eos_token="</s>", bos_token="<s>")
    payload = [{"role": m.role, "content": m.content} for m in CONVERSATION]
    ours = ChatTemplate(template, bos_token="<s>", eos_token="</s>")
    if template is GEMMA:  # refuses a system role: Hearth folds it into the first message
        payload = [{"role": "user", "content": "Be brief.\n\nHi"}, *payload[2:]]
    assert ours.render(CONVERSATION) == reference(messages=payload).prompt


def test_a_long_honest_chat_is_never_refused(bundled_model: Path) -> None:
    chatml = read_header(bundled_model).metadata["tokenizer.chat_template"]
    assert isinstance(chatml, str)
    chat = [ChatMessage("user" if i % 2 == 0 else "assistant", f"message {i} " + "ab " * 700)
            for i in range(2000)]  # 4 MB of text
    payload = [{"role": m.role, "content": m.content} for m in chat]
    for template in (chatml, LLAMA3, TOOLS_STYLE):
        reference = Jinja2ChatFormatter(template, eos_token="</s>", bos_token="<s>")
        started = time.monotonic()
        rendered = ChatTemplate(template, "<s>", "</s>").render(chat)
        assert time.monotonic() - started < RENDER_SECONDS
        assert rendered == reference(messages=payload).prompt


# -- Inside a real model file, through Runtime.load and a first message -------------------------

FIRST_MESSAGE_TRAP = (  # harmless until a message asks for it, so it passes the load-time check
    "{% for m in messages %}{% if 'please' in m.content %}" + LOOP + "{% endif %}"
    "{{ '<|im_start|>' + m.role + '\n' + m.content + '<|im_end|>\n' }}{% endfor %}"
    "{{ '<|im_start|>assistant\n' }}"
)
LOAD_PATH = {
    "escape": ("{{ cycler.__init__.__globals__.os.system('touch {canary}') }}",
               "reach past its sandbox"),
    "loop": (LOOP, "steps or"),
    "explode": ("{% for i in range(100000) %}{{ messages[0].content * 100000 }}{% endfor %}",
                "over"),
}
CONFIG = AppConfig(chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=8, seed=3)))


@pytest.fixture(scope="module")
def own_runtime(bundled_model: Path) -> Iterator[Runtime]:
    runtime = Runtime()
    runtime.load(bundled_model, RuntimeSettings(n_ctx=512), n_threads=1)
    yield runtime
    runtime.close()


def forged_model(bundled_model: Path, folder: Path, name: str, template: str) -> Path:
    return copy_with_metadata(bundled_model, folder / f"{name}.gguf",
                              {"tokenizer.chat_template": Value.string(template)})


def answers(runtime: Runtime, store: ChatStore, text: str) -> TurnEnded:
    service = ChatService(store, runtime)
    chat = store.create_chat()
    events = list(service.reply(chat.id, CONFIG, threading.Event(), Turn("send", text)))
    ended = events[-1]
    assert isinstance(ended, TurnEnded) and ended.reply is not None and ended.reply.content
    return ended


@pytest.mark.parametrize("name", list(LOAD_PATH))
def test_a_model_file_with_a_hostile_template_is_refused_and_the_last_model_stays(
    name: str, own_runtime: Runtime, bundled_model: Path, tmp_path: Path
) -> None:
    template, reason = LOAD_PATH[name]
    canary = tmp_path / "escaped"
    path = forged_model(bundled_model, tmp_path, name, template.replace("{canary}", str(canary)))

    started = time.monotonic()
    with pytest.raises(ModelError, match=reason) as refused:
        own_runtime.load(path, RuntimeSettings(n_ctx=512), n_threads=1)
    assert time.monotonic() - started < RENDER_SECONDS + 10  # two model loads on a busy machine
    assert str(refused.value).startswith("The model's chat template was refused: ")
    assert not canary.exists()
    loaded = own_runtime.loaded
    assert loaded is not None and loaded.path == bundled_model
    answers(own_runtime, ChatStore(tmp_path / "chats.sqlite3"), "Hi")


def test_a_template_that_turns_hostile_fails_that_message_and_nothing_else(
    bundled_model: Path, tmp_path: Path
) -> None:
    runtime = Runtime()
    try:
        runtime.load(forged_model(bundled_model, tmp_path, "trap", FIRST_MESSAGE_TRAP),
                     RuntimeSettings(n_ctx=512), n_threads=1)
        store = ChatStore(tmp_path / "chats.sqlite3")
        service = ChatService(store, runtime)
        chat = store.create_chat()
        started = time.monotonic()
        with pytest.raises(ModelError, match="refused: it runs past"):
            list(service.reply(chat.id, CONFIG, threading.Event(), Turn("send", "please")))
        assert time.monotonic() - started < RENDER_SECONDS + 5
        assert store.messages(chat.id) == [], "a refused message leaves the chat as it was"
        assert answers(runtime, store, "Hello").reply is not None
    finally:
        runtime.close()


def test_check_chat_templates_refuses_a_constant_that_llama_cpp_would_build_while_loading(
) -> None:
    metadata = {"general.name": "x", "tokenizer.chat_template": "{{ 'ok' }}",
                "tokenizer.chat_template.tool_use": "{% if false %}{{ 'x' * 10**9 }}{% endif %}"}
    with pytest.raises(TemplateRefusedError, match="over"):
        check_chat_templates(metadata)
    check_chat_templates({"tokenizer.chat_template": "{{ messages[0].content }}"})


CHILD = textwrap.dedent("""
    import resource, sys
    from pathlib import Path
    from engine.errors import HearthError
    from engine.host.runtime import Runtime
    from engine.settings import RuntimeSettings
    size = int(Path("/proc/self/status").read_text().split("VmSize:")[1].split()[0]) * 1024
    limit = size + 2 * 1024**3  # room for the model, not for a folded gigabyte constant twice
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        Runtime().load(Path(sys.argv[1]), RuntimeSettings(n_ctx=512), n_threads=1)
    except HearthError as error:
        print("refused:", error)
    except BaseException as error:
        print("crashed:", type(error).__name__, error)
    else:
        print("loaded")
""")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
def test_a_template_constant_cannot_exhaust_memory_while_the_model_loads(
    bundled_model: Path, tmp_path: Path
) -> None:
    path = forged_model(bundled_model, tmp_path, "folded",
                        "{% if false %}{{ 'x' * 10**9 }}{% endif %}{{ messages[0].content }}")
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, timeout=120,
        cwd=Path(__file__).parents[2],
    )
    assert child.stdout.startswith("refused: The model's chat template was refused"), (
        child.stdout + child.stderr[-2000:]
    )
