"""Checks a built Hearth app the way a person starts it (`make test-package`); stdlib only.

The app runs `--self-test` (offscreen: loads the bundled model, answers one message, exits 0)
in an environment of its own: system PATH only, no virtualenv, no PYTHONPATH, a fresh profile.
1. With HEARTH_HOME and a console: the reply comes, the database and the log are written in that
   data folder, the model is the one inside the bundle, llama.cpp's log lines reach the log,
   and the search model the bundle carries makes a vector.
2. As from a desktop menu: no HEARTH_HOME (the platform's data folder under a fresh HOME) and no
   console (stdout and stderr closed): the same, and what the app printed must be in the log.
Then, with --compare LAUNCHER, start-up time (launch to "window shown") of both, median of 3.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

STAGE_PREFIX = "hearth-self-test: "
SELF_TEST_TIMEOUT_S = 600
STARTUP_RUNS = 3


class CheckFailed(Exception):
    pass


@dataclass
class Run:
    exit_code: int
    stdout: str
    stages: dict[str, float] = field(default_factory=dict)  # stage -> seconds since launch


def clean_env(home: Path, hearth_home: Path | None) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
    }
    if hearth_home is not None:
        env["HEARTH_HOME"] = str(hearth_home)
    return env


def _close_stdout_and_stderr() -> None:
    """In the child before exec: no console at all, as for a windowed app."""
    os.close(1)
    os.close(2)


def launch(command: list[str], env: dict[str, str], console: bool = True,
           stop_at: str | None = None) -> Run:
    """Runs `command --self-test`, timing each stage line it prints; `stop_at` ends it early."""
    started = time.monotonic()
    if not console:
        completed = subprocess.run([*command, "--self-test"], env=env, stdin=subprocess.DEVNULL,
                                   preexec_fn=_close_stdout_and_stderr,
                                   timeout=SELF_TEST_TIMEOUT_S, check=False)
        return Run(completed.returncode, "")
    with tempfile.TemporaryFile("w+", encoding="utf-8") as stdout, subprocess.Popen(
        [*command, "--self-test"], env=env, stdin=subprocess.DEVNULL, stdout=stdout,
        stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
    ) as process:
        assert process.stderr is not None
        stages: dict[str, float] = {}
        for line in process.stderr:
            if line.startswith(STAGE_PREFIX):
                stage = line[len(STAGE_PREFIX):].strip()
                stages[stage] = time.monotonic() - started
                if stage == stop_at:
                    process.terminate()
                    break
        exit_code = process.wait(timeout=SELF_TEST_TIMEOUT_S)
        stdout.seek(0)
        return Run(exit_code, stdout.read(), stages)


def check_data_folder(data_dir: Path, app: Path) -> list[str]:
    """The chat is in the database and llama.cpp's log is in the log file; returns the log."""
    database, log_file = data_dir / "hearth.sqlite3", data_dir / "hearth.log"
    if not database.is_file():
        raise CheckFailed(f"no database at {database}")
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as connection:
        rows = connection.execute("SELECT role, status, content FROM messages").fetchall()
    if not any(role == "user" for role, _, _ in rows) or not any(
            role == "assistant" and status == "done" and content.strip()
            for role, status, content in rows):
        raise CheckFailed(f"the database holds no finished exchange: {rows!r}")
    if not log_file.is_file():
        raise CheckFailed(f"no log file at {log_file}")
    lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    if not any(" hearth.llama: llama_model_loader: " in line for line in lines):
        raise CheckFailed(f"llama.cpp's log lines are missing from {log_file}")
    bundle = str(app.resolve().parent)
    if not any(f"engine.host.runtime: loading {bundle}{os.sep}" in line for line in lines):
        raise CheckFailed(f"the model was not loaded from inside {bundle} (see {log_file})")
    return lines


def check_with_console(app: Path, scratch: Path) -> Run:
    hearth_home = scratch / "hearth-home"
    run = launch([str(app)], clean_env(scratch / "home", hearth_home))
    if run.exit_code != 0 or not run.stdout.strip():
        raise CheckFailed(f"--self-test exited {run.exit_code} with reply {run.stdout!r}")
    check_data_folder(hearth_home / "data", app)
    shipped = f"search model {app.parent}{os.sep}"
    if not any(stage.startswith(shipped) and "hearth_search_model" in stage
               and stage.endswith(": 384 dimensions") for stage in run.stages):
        raise CheckFailed(f"the search model inside the bundle made no vector: "
                          f"{list(run.stages)}")
    return run


def check_without_console(app: Path, scratch: Path) -> Path:
    home = scratch / "home"
    run = launch([str(app)], clean_env(home, None), console=False)
    if run.exit_code != 0:
        raise CheckFailed(f"--self-test without a console exited {run.exit_code}")
    data_dir = home / ".local" / "share" / "Hearth"  # platformdirs' user_data_dir on Linux
    lines = check_data_folder(data_dir, app)
    for expected in ("no console: standard output and errors go to this log",
                     " hearth.stderr: hearth-self-test: window shown",
                     " hearth.stderr: hearth-self-test: peak RSS"):
        if not any(expected in line for line in lines):
            raise CheckFailed(f"{expected.strip()!r} is missing from {data_dir / 'hearth.log'}")
    return data_dir


def startup_seconds(commands: list[list[str]], scratch: Path) -> list[float]:
    """Median time to "window shown" of each command, launched in turns (the machine drifts)."""
    times: list[list[float]] = [[] for _ in commands]
    for attempt in range(STARTUP_RUNS):
        for index, command in enumerate(commands):
            profile = scratch / f"startup-{attempt}-{index}"
            run = launch(command, clean_env(profile / "home", profile / "hearth-home"),
                         stop_at="window shown")
            if "window shown" not in run.stages:
                raise CheckFailed(f"{command[0]} never showed its window (exit {run.exit_code})")
            times[index].append(run.stages["window shown"])
    return [statistics.median(each) for each in times]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("app", type=Path, help="the frozen app, e.g. dist/Hearth/Hearth")
    parser.add_argument("--compare", type=Path, metavar="LAUNCHER",
                        help="another launcher to time start-up against, e.g. .venv/bin/hearth")
    args = parser.parse_args()
    app: Path = args.app.resolve()
    if not os.access(app, os.X_OK):
        print(f"check_bundle: {app} is not an executable; run `make package` first",
              file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="hearth-bundle-check-") as scratch_name:
        scratch = Path(scratch_name)
        try:
            run = check_with_console(app, scratch / "console")
            stages = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in run.stages.items()
                               if stage in ("window shown", "first token"))
            print(f"ok: self-test with HEARTH_HOME: exit 0, reply {run.stdout.strip()!r}; "
                  f"{stages}; database, log and llama.cpp's log lines in place")
            data_dir = check_without_console(app, scratch / "no-console")
            print(f"ok: self-test without a console: exit 0; data in the platform folder "
                  f"(~/{data_dir.relative_to(scratch / 'no-console' / 'home')}), its output "
                  "in the log")
            if args.compare:
                frozen, other = startup_seconds([[str(app)], [str(args.compare.absolute())]],
                                                scratch)
                print(f"start-up to window shown, median of {STARTUP_RUNS}: frozen app "
                      f"{frozen:.2f} s, {args.compare} {other:.2f} s")
        except (CheckFailed, subprocess.TimeoutExpired, sqlite3.Error) as error:
            print(f"check_bundle: FAILED: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
