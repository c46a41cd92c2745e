"""SIGKILL in the middle of upgrading a database of the last release: the file is still the
release's, whole and readable, and the next start upgrades it with nothing lost.

The child (upgrade_child.py) opens a copy of the release's database and kills itself at a seeded
random step of the upgrade (counted in SQLite's own instructions, so every kill lands inside the
migration's transaction). After each kill the file must pass `PRAGMA integrity_check`, still be
at the release's schema version with its schema, every message and its search index as they were
(or, killed in a later migration, at the version the migrations before it committed), and then
open in this Hearth, upgraded, with every message in its chain of parents.

HEARTH_KILL_SEED=<n> picks other moments; a failure names the seed and the step.
"""

from __future__ import annotations

import dataclasses
import os
import random
import signal
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from engine.chat.migrations import MIGRATIONS
from engine.chat.store import ChatStore
from tests.release_database import (
    RELEASE_VERSION,
    ReleaseDatabase,
    check_release_database,
    check_upgraded,
    write_release_database,
)
from tests.reliability.upgrade_child import CountingStore

KILLS = 8
SEED = int(os.environ.get("HEARTH_KILL_SEED", "7"))
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> ReleaseDatabase:
    path = tmp_path_factory.mktemp("release") / "hearth.sqlite3"
    return write_release_database(path, filler=300)


def test_kills_during_the_upgrade_leave_the_release_database_whole(
    release: ReleaseDatabase, tmp_path: Path
) -> None:
    pristine = release.path.read_bytes()
    counted = tmp_path / "counted.sqlite3"
    counted.write_bytes(pristine)
    store = CountingStore(counted)
    steps = store.steps
    store.close()
    assert steps >= 100, f"the upgrade took {steps} steps: too few to land kills inside it"

    rng = random.Random(SEED)
    moments = sorted({1, steps, *rng.sample(range(2, steps), KILLS - 2)})
    uncommitted = 0
    in_a_later_migration = 0
    for run, kill_at in enumerate(moments):
        db = tmp_path / f"run-{run}" / "hearth.sqlite3"
        db.parent.mkdir()
        db.write_bytes(pristine)
        child = subprocess.run(
            [sys.executable, "-m", "tests.reliability.upgrade_child", str(db), str(kill_at)],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )
        context = f"seed {SEED}, killed at step {kill_at} of {steps}"
        assert child.returncode == -signal.SIGKILL, (
            f"{context}: not killed (exit code {child.returncode}): {child.stderr[-1500:]}")
        wal = db.with_name(db.name + "-wal")
        uncommitted += wal.exists() and wal.stat().st_size > 0
        here = dataclasses.replace(release, path=db)
        try:
            with closing(sqlite3.connect(db)) as conn:
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            if version == RELEASE_VERSION:
                check_release_database(here)  # as the release itself would read it
            else:  # killed in a later migration: the earlier ones are committed, whole (the
                # last step may be the last COMMIT's own, after its frame is in the WAL: all of it)
                assert RELEASE_VERSION < version <= len(MIGRATIONS), version
                in_a_later_migration += 1
            upgraded = ChatStore(db)  # the next start
            try:
                check_upgraded(upgraded, here)
            finally:
                upgraded.close()
        except AssertionError as error:
            raise AssertionError(f"{context}: {error}") from None
    print(f"\nupgrade of {len(release.messages)} messages: {steps} steps; killed at {moments}, "
          f"{uncommitted} of {len(moments)} times with its pages in the WAL, "
          f"{in_a_later_migration} in a later migration (seed {SEED})")
    assert uncommitted > 0, "no kill left pages of the unfinished upgrade in the WAL"
