"""`make test-models`: each real model through what a person does with it, as a person sees it.

On every model of tests/compatibility/models.py: the template it is read with, a two-turn chat
and a regenerated reply (the chat service on a real SQLite file, in an engine host), a short
summary, a quick Prompt Lab run and one API request (the real `hearth-cli`, as a person runs it),
and Hearth's memory estimate against the engine host's measured peak at 4k and 16k context.
What each shows must be an answer: not empty, not looping, not the prompt given back. The rows
go to the table in the README (see conftest.py).
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest

from bench.memory_table import measure
from engine.chat.repetition import RepetitionGuard
from engine.chat.service import ChatService, Turn, TurnEnded
from engine.chat.store import ChatStore
from engine.config import AppConfig
from engine.host.client import HostRuntime
from engine.host.runtime import GenerationDone, LoadedModel
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from tests.compatibility.conftest import ROWS
from tests.compatibility.models import BUNDLED, MODELS, CompatModel, model_file

REPO = Path(__file__).resolve().parents[2]
REPLY_TOKENS = 96
# The app's own sampling defaults, as a person gets them; a fixed seed for a repeatable run.
CONFIG = AppConfig(chat_defaults=ChatSettings(
    sampling=SamplingSettings(max_tokens=REPLY_TOKENS, seed=7)))
DOCUMENT = (
    "The town library will close for two weeks in March while its roof is repaired. During the "
    "closure, books can be returned to the drop box at the town hall, and the mobile library "
    "will stop at the school every Tuesday and Thursday afternoon. Late fees will not be charged "
    "for loans that fall due while the library is closed. The reading room reopens on 1 April "
    "with new lighting, more seats and a corner for children's story time on Saturday mornings."
)
# A quick task the Prompt Lab can tune in a few minutes on the slowest model.
REVIEWS = [("I loved it.", "liked"), ("Boring and dull.", "disliked"), ("A delight.", "liked"),
           ("A waste of time.", "disliked"), ("Great fun.", "liked"), ("Terrible.", "disliked"),
           ("Charming and warm.", "liked"), ("Dreadful.", "disliked"), ("Superb.", "liked"),
           ("Badly made.", "disliked"), ("Lovely.", "liked"), ("Awful.", "disliked")]


@dataclass(frozen=True)
class Installed:
    model: CompatModel
    path: Path
    name: str  # as `hearth-cli models list` shows it
    home: Path  # its HEARTH_HOME


def hearth_cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "engine.cli", *args], cwd=REPO,
                          env={**os.environ, "HEARTH_HOME": str(home)}, capture_output=True,
                          text=True, timeout=1800, check=False)


@pytest.fixture(scope="module", params=MODELS, ids=lambda model: model.name.split(".gguf")[0])
def installed(request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Installed:
    model: CompatModel = request.param
    path = model_file(model)
    home = tmp_path_factory.mktemp("home")
    if model is BUNDLED:
        return Installed(model, path, "SmolLM2-135M-Instruct.Q4_1", home)
    result = hearth_cli(home, "models", "import", str(path), "--reference")
    assert result.returncode == 0, result.stderr
    return Installed(model, path, path.name.removesuffix(".gguf"), home)


@pytest.fixture(scope="module")
def runtime(installed: Installed) -> Iterator[HostRuntime]:
    host = HostRuntime()
    host.load(installed.path, RuntimeSettings(n_ctx=4096), None)
    yield host
    host.close()


def assert_an_answer(reply: str, prompt: str) -> None:
    """Not empty, not looping, not the prompt given back (most of it in one piece: a summary
    may quote a phrase, an answer may repeat the question's words)."""
    text = reply.strip()
    assert text, "the reply is empty"
    guard = RepetitionGuard()
    assert not any(guard.feed(piece) for piece in text.split(" ")), f"it loops: {text!r}"
    matcher = difflib.SequenceMatcher(None, text, prompt, autojunk=False)
    copied = matcher.find_longest_match(0, len(text), 0, len(prompt)).size
    assert copied < 0.8 * len(prompt.strip()), f"it gives the prompt back: {text!r}"


def test_it_is_read_with_the_right_template(installed: Installed, runtime: HostRuntime) -> None:
    listing = hearth_cli(installed.home, "models", "list")
    assert listing.returncode == 0, listing.stderr
    (line,) = [row for row in listing.stdout.splitlines() if installed.name in row]
    expected = installed.model.template
    if installed.model.origin != "gguf":
        expected += f" ({installed.model.origin})"
    assert expected in line
    loaded = runtime.loaded
    assert isinstance(loaded, LoadedModel)
    assert (loaded.template.name, loaded.template.origin.value) == (
        installed.model.template, installed.model.origin)
    ROWS.row(installed.model).template = f"{loaded.template.describe()}"


def test_a_two_turn_chat_and_a_regenerated_reply(
    installed: Installed, runtime: HostRuntime, tmp_path: Path
) -> None:
    store = ChatStore(tmp_path / "chats.sqlite3")
    service = ChatService(store, runtime)
    chat = store.create_chat()
    speeds = []
    for turn in (Turn("send", "Write a haiku about winter."),
                 Turn("send", "Now write one about summer."), Turn("regenerate")):
        ended = [event for event in service.reply(chat.id, CONFIG, threading.Event(), turn)
                 if isinstance(event, TurnEnded)]
        done = ended[0].done
        assert isinstance(done, GenerationDone)
        assert done.finish_reason != "repetition", done.text
        shown = store.messages(chat.id)
        assert shown[-1].role == "assistant" and shown[-1].content == done.text
        asked = turn.text or shown[-2].content
        assert_an_answer(done.text, asked)
        speeds.append(done.tokens_per_second)
    roles = [message.role for message in store.messages(chat.id)]
    assert roles == ["user", "assistant", "user", "assistant"]
    store.close()
    ROWS.row(installed.model).tokens_per_second = max(speeds)


def test_a_short_summary(installed: Installed, tmp_path: Path) -> None:
    document = tmp_path / "library.txt"
    document.write_text(DOCUMENT, encoding="utf-8")
    result = hearth_cli(installed.home, "summarize", str(document), "--words", "40",
                        "--seed", "3", "--model", installed.name)
    assert result.returncode == 0, result.stderr
    assert_an_answer(result.stdout, DOCUMENT)


def test_a_quick_prompt_lab_run(installed: Installed, tmp_path: Path) -> None:
    task = tmp_path / "reviews.jsonl"
    task.write_text("".join(json.dumps({"input": text, "output": label}) + "\n"
                            for text, label in REVIEWS), encoding="utf-8")
    result = hearth_cli(installed.home, "tune", str(task), "--budget", "quick", "--seed", "1",
                        "--json", "--model", installed.name)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    for side in ("baseline", "best"):
        assert 0.0 <= report[side]["score"] <= 1.0
    assert "{input}" in report["best"]["prompt"] and not report["stopped"]


def test_one_api_request(installed: Installed) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "engine.cli", "serve", "--port", "0", "--model", installed.name],
        cwd=REPO, env={**os.environ, "HEARTH_HOME": str(installed.home)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        serving, token = server.stdout.readline(), server.stdout.readline()
        assert serving.startswith("Serving "), serving + (server.stderr.read() if
                                                            server.stderr else "")
        client = openai.OpenAI(base_url=serving.split(" at ")[1].strip(), max_retries=0,
                               api_key=token.removeprefix("Token: ").strip(), timeout=600)
        question = "What is the capital of France?"
        reply = client.chat.completions.create(
            model=client.models.list().data[0].id, max_tokens=48, seed=2,
            messages=[{"role": "user", "content": question}])
        assert_an_answer(reply.choices[0].message.content or "", question)
    finally:
        server.terminate()
        try:
            server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


@pytest.mark.parametrize("n_ctx", [4096, 16384])
def test_the_memory_estimate_holds(installed: Installed, n_ctx: int) -> None:
    """Never below the engine host's measured peak, at most 10% above it."""
    measured = measure(installed.path, n_ctx)
    ROWS.row(installed.model).memory[n_ctx] = (measured.estimate_bytes, measured.peak_bytes)
    assert measured.within_bounds, (
        f"estimate {measured.estimate_bytes:,} B against a peak of {measured.peak_bytes:,} B "
        f"({measured.ratio:.3f})")
