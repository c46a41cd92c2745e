"""The engine runs without Qt: importing every engine module must not pull PySide6 in."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

IMPORT_ALL = """
import importlib, pkgutil, sys
import engine
names = [m.name for m in pkgutil.walk_packages(engine.__path__, "engine.")]
for name in names:
    importlib.import_module(name)
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "desktop"))
print(len(names), ",".join(names))
print("QT:" + ",".join(qt))
"""


def test_importing_every_engine_module_loads_no_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    count_line, qt_line = result.stdout.strip().splitlines()[-2:]
    count, names = count_line.split(" ", 1)
    assert int(count) >= 10
    assert {"engine.host.runtime", "engine.cli", "engine.chat.service", "engine.chat.store"} <= set(
        names.split(",")
    )
    assert qt_line == "QT:", f"engine imported Qt: {qt_line}"
