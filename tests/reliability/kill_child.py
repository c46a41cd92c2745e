"""The process the kill tests kill: chat turns on the real model, settings saves, both reported.

It runs turns through ChatService (send, regenerate, send, ...) on the bundled model with a real
SQLite file, while a second thread saves settings.json in a loop. Every fact it reports (a JSON
line appended to the report file) is written only after the database or the file holds it, so
whatever the report says must survive a SIGKILL at any moment.

`make_database` is the other child: it creates a new database, to be killed mid-migration.

Either dies by the test's SIGKILL at a random moment, or by its own at a planned one: with
`kill_at` (HEARTH_KILL_AT, engine/kill_points.py) it kills itself the n-th time it reaches that
point. Besides the engine's own points ("migration", "settings-written"), each report names one,
reached just after the report is written: "send-started" and "regenerate-started" (a turn began,
nothing of its reply saved), "send-saved" and "regenerate-saved" (some of its text committed),
"turn-ended"; and two while it starts: "store-opened" (the model not loaded yet) and
"model-loaded" (not ready yet).

By hand: `python -m tests.reliability.kill_child FOLDER REPORT RUN` (then kill it).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from itertools import cycle
from pathlib import Path
from typing import Any

import llama_cpp

from engine import kill_points
from engine.chat.service import ChatService, Turn, TurnEnded, TurnStarted
from engine.chat.store import ChatStore, MessageStatus
from engine.config import AppConfig, save_config
from engine.host.runtime import Runtime
from engine.models.files import bundled_model_path
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings
from engine.text import Text

Tell = Callable[..., None]
PARTIAL_SAVE_INTERVAL_S = 0.02
CHAT_CONFIG = AppConfig(
    chat_defaults=ChatSettings(sampling=SamplingSettings(max_tokens=16, temperature=0.8))
)
SETTINGS_PADDING = 200_000  # a settings file this large takes a while to write: kills land in it
SETTINGS_PAUSE_S = 0.03  # between saves; saving back to back starves the chat of the GIL


def settings_number(number: int) -> AppConfig:
    """The settings the child writes as save number `number`; each is told apart by its prompt."""
    prompt = f"settings save {number} " + "x" * SETTINGS_PADDING
    return AppConfig(chat_defaults=ChatSettings(system_prompt=prompt),
                     runtime=RuntimeSettings(n_threads=1))


def settings_text(number: int) -> str:
    return settings_number(number).to_json()


class ReportingStore(ChatStore):
    """The real store; it reports each partial reply once SQLite has committed it."""

    def __init__(self, path: Path, tell: Tell) -> None:
        super().__init__(path)
        self._tell = tell

    def update_message(
        self,
        message_id: int,
        content: str,
        status: MessageStatus | None = None,
        n_tokens: int | None = None,
        tokens_per_s: float | None = None,
        *,
        reasoning: str | None = None,
        citations: Sequence[Mapping[str, Any]] | None = None,
        note: Text | None = None,
    ) -> None:
        super().update_message(message_id, content, status, n_tokens, tokens_per_s,
                               reasoning=reasoning, citations=citations, note=note)
        if status is None:
            self._tell(saved=message_id, content=content)


def _save_settings_forever(path: Path, first: int, tell: Tell) -> None:
    pause = threading.Event()  # never set: its wait() is a pause the kill may land in
    for number in range(first, first + 1_000_000):
        tell(saving=number)
        save_config(path, settings_number(number))
        tell(settled=number)
        pause.wait(SETTINGS_PAUSE_S)


def run(folder: str, report: str, run_number: int, kill_at: str | None = None) -> None:
    if kill_at is not None:
        os.environ[kill_points.VARIABLE] = kill_at
    out = os.open(report, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    turn_kind = ["send"]

    def tell(**event: Any) -> None:
        os.write(out, (json.dumps(event) + "\n").encode())  # one write: whole lines only
        if "started" in event:
            turn_kind[0] = event["kind"]
        if "started" in event:
            kill_points.reached(f"{turn_kind[0]}-started")
        elif "saved" in event and event["content"]:  # some of the reply's text is committed
            kill_points.reached(f"{turn_kind[0]}-saved")
        elif "ended" in event:
            kill_points.reached("turn-ended")

    root = Path(folder)
    threading.Thread(
        target=_save_settings_forever,
        args=(root / "settings.json", run_number * 1_000_000, tell),
        daemon=True,
    ).start()
    store = ReportingStore(root / "hearth.sqlite3", tell)
    kill_points.reached("store-opened")
    runtime = Runtime()
    model = bundled_model_path()
    assert model is not None
    runtime.load(model, RuntimeSettings(n_ctx=1024), n_threads=1)
    # Prompts on one thread too: two threads spin-waiting for each other on a busy 2-core
    # machine took seconds per prompt, and the kills would all land in the first one.
    llama_cpp.llama_set_n_threads(runtime._require()[0].ctx, 1, 1)
    kill_points.reached("model-loaded")
    # Partial saves every 20 ms instead of every 250: a regenerated reply (its prompt already
    # cached) can end within 250 ms on a fast machine, and then no regenerate ever has saved
    # text for the "regenerate-saved" kill to land in.
    service = ChatService(store, runtime, save_interval_s=PARTIAL_SAVE_INTERVAL_S)
    chat = store.create_chat()
    tell(ready=chat.id)
    for number, kind in enumerate(cycle(["send", "regenerate"])):
        turn = Turn(kind, f"Question {number}: name a colour and a fruit.")  # type: ignore[arg-type]
        for event in service.reply(chat.id, CHAT_CONFIG, threading.Event(), turn):
            if isinstance(event, TurnStarted):
                # A regenerated reply is a new version of the one shown until now.
                earlier = [i for i in store.versions(event.reply.id) if i != event.reply.id]
                tell(started=event.reply.id, kind=kind, replacing=earlier[-1] if earlier else None,
                     finished=[[m.id, m.role, m.content] for m in event.messages[:-1]])
            elif isinstance(event, TurnEnded):
                assert event.reply is not None
                tell(ended=event.reply.id, content=event.reply.content,
                     status=event.reply.status, replaced=event.replaced)


def make_database(path: str, report: str, kill_at: str | None = None) -> None:
    """Creates a database (its migrations) and fills it; the kill comes while it is made."""
    if kill_at is not None:
        os.environ[kill_points.VARIABLE] = kill_at
    out = os.open(report, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(out, b'{"opening": true}\n')
    store = ChatStore(Path(path))
    chat = store.create_chat()
    for number in range(1_000_000):
        message = store.add_message(chat.id, "user", f"message {number}")
        os.write(out, (json.dumps({"finished": message.id}) + "\n").encode())


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2], int(sys.argv[3]))
