"""The dev tools are pinned (constraints-dev.txt, which `make install` applies) and installed at
those versions, so a tool's new release changes nothing until someone updates the pin."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONSTRAINTS = ROOT / "constraints-dev.txt"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, separator, pinned = line.partition("==")
            assert separator and pinned, f"not an exact pin: {line!r}"
            found[canonical(name)] = pinned
    return found


def test_every_dev_tool_is_pinned_to_one_version() -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    tools = {canonical(re.split(r"[<>=!~\[; ]", spec)[0])
             for spec in extras["optional-dependencies"]["dev"]}
    assert tools - pins().keys() == set(), "dev tools without a pin in constraints-dev.txt"


def test_the_installed_tools_are_the_pinned_versions() -> None:
    installed = {name: version(name) for name in pins()}
    assert installed == pins(), "run `make install`: the virtualenv is not what the pins say"


def test_the_makefile_installs_with_the_pins() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "-c constraints-dev.txt -e '.[dev]'" in makefile
