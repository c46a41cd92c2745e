"""SIGKILL while chatting and saving settings, and while a new database is made: nothing
reported saved is lost.

A child process (kill_child.py) chats on the real model with a real SQLite file and saves
settings.json in a loop, reporting each fact after it is on disk. Two layers of kills:
- planned: the child kills itself at each named moment that matters (HEARTH_KILL_AT,
  engine/kill_points.py), so every one is hit whatever the machine's speed, and the test checks
  the kill landed there: while it starts (database open, model loaded), before a reply's first
  save and after it (sending and regenerating), between turns, in the middle of a settings save,
  and inside each migration of a new database;
- random: 40 kills at seeded random moments, 8 of them while it starts, and 10 more while it
  creates a new database; they find what no plan foresaw, and report where they landed.
After each kill, as the app would on its next start: the database passes `PRAGMA
integrity_check` and FTS5's own check, every message reported finished is there unchanged, the
reply in flight is kept as far as it was saved (a regeneration in flight leaves the previous
reply or the complete new one, never both), no chat has two replies in a row, and settings.json
is the last settled save or the one in flight, whole.

HEARTH_KILL_SEED=<n> picks other moments; a failure names the seed and the run.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from multiprocessing.context import ForkServerContext
from pathlib import Path
from typing import Any, Protocol

import pytest

from engine import kill_points
from engine.chat.migrations import MIGRATIONS
from engine.chat.store import ChatStore, MessageRecord
from engine.config import load_config
from tests.reliability import kill_child

KILL_SEED = int(os.environ.get("HEARTH_KILL_SEED", "7"))
KILLS = 40
STARTING_KILLS = 8  # every fifth run dies at a random moment from its start
MIGRATION_KILLS = 10
MIGRATION_S = 0.06  # making a new database takes ~30 ms here
AFTER_READY_S = 1.5  # the other runs die within this long of their chat starting (turns take
# 0.2-0.5 s, so it spans several; where the kills land is reported after the run)
READY_TIMEOUT_S = 120.0
# Each planned kill: where the child kills itself, and where that must leave it (see `where`).
PLANNED_KILLS = [
    ("store-opened:1", "starting"),
    ("model-loaded:1", "starting"),
    ("send-started:1", "reply before a save"),
    ("send-saved:1", "reply with saved text"),
    ("turn-ended:1", "between turns"),
    ("regenerate-started:1", "regenerating"),
    ("regenerate-saved:1", "regenerating"),
    ("settings-written:3", "settings save"),
]


class RecordProperty(Protocol):
    def __call__(self, name: str, value: object) -> None: ...


@dataclass
class Ledger:
    """What the children reported across runs: what the files must hold after any kill."""

    messages: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # role, text, status
    settings: int | None = None  # the last settings save known to be whole on disk


@dataclass
class Flight:
    """What one run was doing when it died."""

    ready: bool = False
    turn: dict[str, Any] | None = None  # the `started` report of a turn that never ended
    saved: str | None = None  # the turn's reply text last reported committed
    saving: int | None = None  # a settings save begun and not reported done


@pytest.fixture(scope="module")
def forkserver() -> Iterator[ForkServerContext]:
    """Children fork from a server that imported the engine once (import: ~1.5 s each)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["tests.reliability.kill_child"])
    yield context


def read_report(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")
    return [json.loads(line) for line in lines[:-1]]  # a cut last line was never reported


def replay(events: list[dict[str, Any]], ledger: Ledger) -> Flight:
    flight = Flight()
    for event in events:
        if "ready" in event:
            flight.ready = True
        elif "started" in event:
            ledger.messages.update(
                (id_, (role, text, "done")) for id_, role, text in event["finished"]
            )
            flight.turn, flight.saved = event, None
        elif "saved" in event:
            flight.saved = event["content"] or None  # an empty reply is not kept: no text yet
        elif "ended" in event:
            assert flight.turn is not None
            if event["replaced"] and flight.turn["replacing"] is not None:
                del ledger.messages[flight.turn["replacing"]]
            ledger.messages[event["ended"]] = ("assistant", event["content"], event["status"])
            flight.turn = None
        elif "saving" in event:
            flight.saving = event["saving"]
        elif "settled" in event:
            ledger.settings, flight.saving = event["settled"], None
    return flight


def check_database(db: Path, ledger: Ledger, flight: Flight) -> None:
    if not db.exists():
        assert not ledger.messages
        return
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
    store = ChatStore(db)  # as the next start does: recovery runs here
    try:
        chats = {chat.id: store.messages(chat.id) for chat in store.list_chats()}
        store._conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')")
    finally:
        store.close()
    rows: dict[int, MessageRecord] = {m.id: m for chat in chats.values() for m in chat}
    turn = flight.turn
    replacing = turn["replacing"] if turn is not None and turn["kind"] == "regenerate" else None
    for id_, expected in ledger.messages.items():
        if id_ != replacing:
            found = rows.get(id_)
            assert found is not None, f"message {id_} ({expected[0]}) was reported saved: lost"
            assert (found.role, found.content, found.status) == expected
    for messages in chats.values():
        roles = [m.role for m in messages]
        assert not any(a == b == "assistant" for a, b in pairwise(roles)), (
            f"two replies in a row: {[(m.id, m.role, m.status) for m in messages]}"
        )
        assert all(m.status != "streaming" for m in messages)
    if turn is None:
        return
    reply = rows.get(turn["started"])
    if replacing is not None:
        previous = rows.get(replacing)
        assert (previous is None) != (reply is None), "the old reply or the new one, not both"
        if reply is not None:  # it finished just before the kill, unreported
            assert reply.status == "done"
            del ledger.messages[replacing]
    elif flight.saved is not None:
        assert reply is not None, "a reply whose text was saved is gone"
        assert reply.content.startswith(flight.saved), "the saved part of the reply is lost"
    if reply is not None:
        assert reply.content, "an empty reply is dropped, not kept"
        ledger.messages[reply.id] = (reply.role, reply.content, reply.status)


def check_settings(folder: Path, ledger: Ledger, flight: Flight) -> None:
    path = folder / "settings.json"
    allowed = {n: kill_child.settings_text(n) for n in (ledger.settings, flight.saving)
               if n is not None}
    if not path.exists():
        assert ledger.settings is None, "a settled settings file is gone"
        return
    text = path.read_text(encoding="utf-8")
    whole = [number for number, saved in allowed.items() if saved == text]
    assert whole, f"settings.json is neither save {sorted(allowed)} ({len(text):,} characters)"
    ledger.settings = whole[0]
    loaded = load_config(path)
    assert loaded.notice is None and loaded.config == kill_child.settings_number(whole[0])
    assert len(list(folder.glob(".settings-*"))) <= 1, "half-written settings pile up"


def where(flight: Flight) -> list[str]:
    landed = ["settings save"] if flight.saving is not None else []
    if not flight.ready:
        return [*landed, "starting"]
    if flight.turn is None:
        return [*landed, "between turns"]
    if flight.turn["kind"] == "regenerate":
        return [*landed, "regenerating"]
    return [*landed, "reply with saved text" if flight.saved else "reply before a save"]


def wait_until_ready(report: Path, child: multiprocessing.process.BaseProcess) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not any("ready" in event for event in read_report(report)):
        assert child.is_alive(), f"the child died on its own (exit code {child.exitcode})"
        assert time.monotonic() < deadline, "the child never got ready"
        child.join(0.01)


def killed_by_itself(child: multiprocessing.process.BaseProcess, plan: str) -> None:
    """Waits for a child to die at its planned point: by its own SIGKILL, and nothing else."""
    child.join(READY_TIMEOUT_S)
    assert not child.is_alive(), f"the child never reached {plan} in {READY_TIMEOUT_S:.0f} s"
    assert child.exitcode == -signal.SIGKILL, (
        f"the child ended otherwise than by its kill at {plan} (exit code {child.exitcode})")


def stop(child: multiprocessing.process.BaseProcess) -> None:
    if child.is_alive():
        child.kill()
        child.join()
    child.close()


def test_a_kill_at_each_planned_moment_loses_nothing(
    forkserver: ForkServerContext, tmp_path: Path
) -> None:
    ledger = Ledger()
    for run, (plan, moment) in enumerate(PLANNED_KILLS):
        report = tmp_path / f"report-{run}.jsonl"
        child = forkserver.Process(target=kill_child.run,
                                   args=(str(tmp_path), str(report), run, plan))
        child.start()
        try:
            killed_by_itself(child, plan)
        finally:
            stop(child)
        flight = replay(read_report(report), ledger)
        landed = where(flight)
        try:
            assert moment in landed, f"the kill landed {landed}, not {moment}"
            check_database(tmp_path / "hearth.sqlite3", ledger, flight)
            check_settings(tmp_path, ledger, flight)
        except AssertionError as error:
            raise AssertionError(f"{kill_points.VARIABLE}={plan}: {error}") from None


def test_a_kill_inside_each_migration_leaves_the_version_before_it(
    forkserver: ForkServerContext, tmp_path: Path
) -> None:
    for number in range(1, len(MIGRATIONS) + 1):
        plan = f"migration:{number}"
        db, report = tmp_path / f"new-{number}.sqlite3", tmp_path / f"new-{number}.jsonl"
        child = forkserver.Process(target=kill_child.make_database,
                                   args=(str(db), str(report), plan))
        child.start()
        try:
            killed_by_itself(child, plan)
        finally:
            stop(child)
        conn = sqlite3.connect(db)  # recovers the hot journal: the migration is undone
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA user_version").fetchone()[0] == number - 1, plan
        finally:
            conn.close()
        store = ChatStore(db)  # the next start applies it again, and the rest
        try:
            assert store.schema_version == len(MIGRATIONS)
            store.add_message(store.create_chat().id, "user", "still works")
        finally:
            store.close()


def test_forty_kills_while_chatting_and_saving_settings_lose_nothing(
    forkserver: ForkServerContext, tmp_path: Path, record_property: RecordProperty
) -> None:
    rng = random.Random(KILL_SEED)
    ledger, landed = Ledger(), Counter[str]()
    for run in range(KILLS):
        starting = run % (KILLS // STARTING_KILLS) == KILLS // STARTING_KILLS - 1
        delay = rng.uniform(0.0, 1.5 if starting else AFTER_READY_S)
        report = tmp_path / f"report-{run}.jsonl"
        child = forkserver.Process(target=kill_child.run, args=(str(tmp_path), str(report), run))
        child.start()
        try:
            if not starting:
                wait_until_ready(report, child)
            child.join(delay)  # the child never exits on its own: this is the kill moment
            assert child.is_alive(), f"the child died on its own (exit code {child.exitcode})"
            assert child.pid is not None
            os.kill(child.pid, signal.SIGKILL)
            child.join()
        finally:
            if child.is_alive():
                child.kill()
                child.join()
            child.close()
        flight = replay(read_report(report), ledger)
        context = f"seed {KILL_SEED}, run {run}, killed {delay:.3f} s after " + (
            "the start" if starting else "the chat started") + f" ({', '.join(where(flight))})"
        try:
            check_database(tmp_path / "hearth.sqlite3", ledger, flight)
            check_settings(tmp_path, ledger, flight)
        except AssertionError as error:
            raise AssertionError(f"{context}: {error}") from None
        landed.update(where(flight))
    # The planned kills hit every moment that matters; this says where chance took these.
    record_property("note", f"random kills by moment (seed {KILL_SEED}): {dict(landed)}")


def test_ten_kills_while_a_new_database_is_made_leave_one_that_opens(
    forkserver: ForkServerContext, tmp_path: Path, record_property: RecordProperty
) -> None:
    rng = random.Random(KILL_SEED + 1)
    stages = Counter[int]()
    for run in range(MIGRATION_KILLS):
        db, report = tmp_path / f"new-{run}.sqlite3", tmp_path / f"new-{run}.jsonl"
        child = forkserver.Process(target=kill_child.make_database, args=(str(db), str(report)))
        child.start()
        try:
            deadline = time.monotonic() + READY_TIMEOUT_S
            while not read_report(report):
                assert child.is_alive() and time.monotonic() < deadline
                child.join(0.001)
            child.join(rng.uniform(0.0, MIGRATION_S))
            assert child.pid is not None and child.is_alive()
            os.kill(child.pid, signal.SIGKILL)
            child.join()
        finally:
            if child.is_alive():
                child.kill()
                child.join()
            child.close()
        finished = [event["finished"] for event in read_report(report) if "finished" in event]
        if db.exists():
            conn = sqlite3.connect(db)
            try:
                assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
                stages[conn.execute("PRAGMA user_version").fetchone()[0]] += 1
            finally:
                conn.close()
        store = ChatStore(db)  # the next start finishes what the killed one began
        try:
            assert store.schema_version == len(MIGRATIONS)
            kept = {m.id for chat in store.list_chats() for m in store.messages(chat.id)}
            assert set(finished) <= kept, f"seed {KILL_SEED + 1}, run {run}: messages lost"
            store.add_message(store.create_chat().id, "user", "still works")
        finally:
            store.close()
    record_property("note", f"schema versions the random migration kills left "
                            f"(seed {KILL_SEED + 1}): {dict(stages)}")
