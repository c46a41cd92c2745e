"""Typed messages (engine/text.py): the English the CLI prints is unchanged, the template and its
values cross the engine host's pipe, and every template has a Chinese translation."""

from __future__ import annotations

import importlib.util
import json
import pickle
import string
from pathlib import Path
from types import ModuleType

import pytest

from engine.chat.context import plan_context
from engine.chat.export import chat_to_json
from engine.chat.prompt import ChatMessage
from engine.chat.store import ChatStore
from engine.documents.summarize import SummaryDone
from engine.errors import HearthError, MessageTooLongError, ModelError, SettingsError
from engine.host.client import HostCrash, HostRuntime
from engine.models.files import inspect_model_file
from engine.settings import ContextPolicy, RuntimeSettings
from engine.text import Text, size_text
from tests.conftest import TEST_THREADS

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "assets" / "translations" / "hearth_engine_zh_CN.ts"


def _catalog_script() -> ModuleType:  # packaging/ is no package
    spec = importlib.util.spec_from_file_location(
        "engine_catalog", ROOT / "packaging" / "engine_catalog.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_context_overflow_reads_as_before_with_its_numbers_typed() -> None:
    with pytest.raises(MessageTooLongError) as raised:
        plan_context([ChatMessage("user", "long")], "", 1500, ContextPolicy.STOP,
                     lambda messages: list(range(2345)))
    assert str(raised.value) == (
        "This message is 2,345 tokens with the system prompt, but the context window leaves "
        "room for 1,500 before the reply. Shorten it, or raise the context length in Settings.")
    assert raised.value.wording == Text(
        "This message is {alone:,} tokens with the system prompt, but the context window leaves "
        "room for {budget:,} before the reply. Shorten it, or raise the context length in "
        "Settings.", alone=2345, budget=1500)


def test_a_missing_model_file_reads_as_before(tmp_path: Path) -> None:
    missing = tmp_path / "gone.gguf"
    with pytest.raises(ModelError) as raised:
        inspect_model_file(missing)
    assert str(raised.value) == f"Model file not found: {missing}"
    assert raised.value.wording == Text("Model file not found: {path}", path=str(missing))


def test_nested_messages_stay_typed_and_pickle() -> None:
    inner = ModelError(Text("{file} is not a GGUF model file", file="notes.gguf"))
    outer = ModelError(Text("The model's chat template is invalid: {error}", error=inner))
    assert str(outer) == "The model's chat template is invalid: notes.gguf is not a GGUF model file"
    assert outer.wording == Text("The model's chat template is invalid: {error}",
                                 error=Text("{file} is not a GGUF model file", file="notes.gguf"))
    again = pickle.loads(pickle.dumps(outer))
    assert type(again) is ModelError and again.wording == outer.wording


def test_plain_english_still_works() -> None:
    assert HearthError("Only the CLI says this.").wording == "Only the CLI says this."
    assert str(SettingsError({"top_k": "must be at least 0"})) == "top_k: must be at least 0"
    assert str(size_text(4_200_000_000)) == "4.2 GB" and str(size_text(999)) == "999 B"


def test_a_crash_reads_as_before() -> None:
    crash = HostCrash("loading the model", "killed by SIGSEGV", ("ggml: oops",))
    expected = ("The model tiny.gguf stopped unexpectedly while loading the model (the engine "
                "process was killed by SIGSEGV). Hearth restarts it.\nIts last log lines:\n"
                "ggml: oops")
    assert crash.message("tiny.gguf", "Hearth restarts it.") == expected
    said = crash.said("tiny.gguf", "Hearth restarts it.")
    first = said.values["said"]  # the crash, then the log's lines
    assert str(said) == expected and isinstance(first, Text)
    assert first.values["step"] == Text("loading the model")
    assert first.values["how"] == Text("killed by {signal}", signal="SIGSEGV")


@pytest.mark.parametrize("content", [None, b"not a model at all, just some text\n" * 10])
def test_errors_from_the_engine_host_arrive_typed(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "notes.gguf"
    if content is not None:
        path.write_bytes(content)
    runtime = HostRuntime(tmp_path / "safe-loading.json")
    try:
        with pytest.raises(ModelError) as raised:
            runtime.load(path, RuntimeSettings(n_ctx=1024), TEST_THREADS)
    finally:
        runtime.close()
    wording = raised.value.wording
    assert isinstance(wording, Text)
    if content is None:
        assert wording == Text("Model file not found: {path}", path=str(path))
    else:
        assert wording == Text("{file} is not a GGUF model file", file="notes.gguf")
        assert str(raised.value) == "notes.gguf is not a GGUF model file"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_every_engine_template_has_a_finished_chinese_translation() -> None:
    engine_catalog = _catalog_script()
    found = engine_catalog.templates()
    held = engine_catalog.read(CATALOG)
    missing = sorted(t for t in found if t not in held or not held[t].finished)
    assert not missing, ("no finished translation; run `python packaging/engine_catalog.py "
                         f"{CATALOG.relative_to(ROOT)}` and translate: {missing}")
    wrong = sorted(t for t in found if _fields(held[t].text) != _fields(t))
    assert not wrong, f"translations that do not place the template's values: {wrong}"
    # The file is what the generator writes: no stale entries, nothing out of order.
    written = engine_catalog.written(found, held, "zh_CN", CATALOG.parent)
    assert CATALOG.read_text(encoding="utf-8") == written


def test_a_summary_note_is_stored_typed_apart_from_the_text(tmp_path: Path) -> None:
    note = SummaryDone("Done.", parts=1, document_tokens=2345, seconds=3.4, cancelled=True,
                       part_summaries=(), context="", steps=1, prompt_tokens=0,
                       evaluated_tokens=0, generated_tokens=0, repeating_steps=1).note
    assert str(note) == ("Stopped; partly made in one pass over the whole document (2,345 tokens) "
                         "in 3 s. It was stopped: the model was repeating itself.")
    assert Text.from_data(json.loads(json.dumps(note.data()))) == note
    store = ChatStore(tmp_path / "chats.sqlite3")
    try:
        chat = store.create_chat()
        reply = store.add_message(chat.id, "assistant", "", status="streaming")
        store.update_message(reply.id, "Done.", status="stopped", note=note)
        (saved,) = store.messages(chat.id)
        assert saved.content == "Done." and saved.note == note
        exported = json.loads(chat_to_json(chat, [saved]))["messages"][0]
        assert (exported["content"], exported["note"]) == ("Done.", str(note))
    finally:
        store.close()


def test_settings_reasons_are_typed_and_the_error_pickles() -> None:
    error = SettingsError({"api.port": Text("must be a whole number between 1 and 65535"),
                           "top_k": Text("{label} must be a number", label="Top-k")})
    assert str(error) == ("api.port: must be a whole number between 1 and 65535; "
                          "top_k: Top-k must be a number")
    assert isinstance(error.wording, Text)
    again = pickle.loads(pickle.dumps(error))
    assert again.errors == error.errors and str(again) == str(error)
