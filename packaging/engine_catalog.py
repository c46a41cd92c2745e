"""Writes the translation catalog of the engine's messages (Qt Linguist's .ts, context "engine").

lupdate reads tr() calls in desktop/ and cannot see the engine's templates: engine/ is Qt-free and
words its messages as `Text("template", value=...)` (engine/text.py). This finds every such call
in engine/ and writes the .ts with one entry per template, keeping the translations the file has
(a changed template comes back unfinished, one no longer used is dropped).

    python packaging/engine_catalog.py assets/translations/hearth_engine_zh_CN.ts
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parent.parent
CONTEXT = "engine"


class Translation(NamedTuple):
    text: str
    finished: bool


def templates(engine: Path = ROOT / "engine") -> dict[str, list[tuple[Path, int]]]:
    """Every template of a `Text(...)` call under `engine`, with where it is used."""
    found: dict[str, list[tuple[Path, int]]] = {}
    for path in sorted(engine.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not (isinstance(node, ast.Call) and _name(node.func) == "Text" and node.args):
                continue
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                raise SystemExit(f"{path}:{node.lineno}: a Text template must be a string literal")
            found.setdefault(first.value, []).append((path, node.lineno))
    return found


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def read(catalog: Path) -> dict[str, Translation]:
    """The translations a .ts file holds for the engine's context, by source text."""
    if not catalog.exists():
        return {}
    held: dict[str, Translation] = {}
    for context in ET.parse(catalog).getroot().iter("context"):
        if context.findtext("name") != CONTEXT:
            continue
        for message in context.iter("message"):
            source, translation = message.findtext("source"), message.find("translation")
            if source is None or translation is None:
                continue
            finished = translation.get("type") not in ("unfinished", "vanished", "obsolete")
            held[source] = Translation(translation.text or "", finished and bool(translation.text))
    return held


def written(found: dict[str, list[tuple[Path, int]]], held: dict[str, Translation],
            language: str, catalog_dir: Path) -> str:
    """The .ts text: every template found, with the translation held for it, if any."""
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<!DOCTYPE TS>",
             f'<TS version="2.1" language="{language}">', "<context>",
             f"    <name>{CONTEXT}</name>"]
    for source in sorted(found):
        lines.append("    <message>")
        for path in sorted({path for path, _line in found[source]}):  # no lines: less churn
            where = Path(os.path.relpath(path, catalog_dir)).as_posix()
            lines.append(f'        <location filename="{escape(where)}"/>')
        lines.append(f"        <source>{_escaped(source)}</source>")
        translation = held.get(source)
        if translation is not None and translation.finished:
            lines.append(f"        <translation>{_escaped(translation.text)}</translation>")
        else:
            text = _escaped(translation.text) if translation is not None else ""
            lines.append(f'        <translation type="unfinished">{text}</translation>')
        lines.append("    </message>")
    lines += ["</context>", "</TS>", ""]
    return "\n".join(lines)


def _escaped(text: str) -> str:
    return escape(text, {'"': "&quot;", "'": "&apos;"})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalog", type=Path, help="the .ts file to write (read first, if any)")
    args = parser.parse_args(argv)
    catalog: Path = args.catalog
    language = catalog.stem.split("_", 2)[-1]  # hearth_engine_zh_CN.ts -> zh_CN
    held = read(catalog)
    text = written(templates(), held, language, catalog.resolve().parent)
    catalog.write_text(text, encoding="utf-8")
    unfinished = text.count('type="unfinished"')
    print(f"{catalog}: {text.count('<message>')} messages, {unfinished} unfinished")
    return 0


if __name__ == "__main__":
    sys.exit(main())
