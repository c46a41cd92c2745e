"""What the engine says, in the window's language: typed messages (engine/text.py) worded with
the "engine" translations (assets/translations/hearth_engine_*.ts) and the locale's numbers."""

from __future__ import annotations

import string

from PySide6.QtCore import QCoreApplication, QLocale

from engine.errors import HearthError
from engine.text import Text, Value, Wording

CONTEXT = "engine"  # the translation context of every engine template


def say(said: BaseException | Wording) -> str:
    """An engine error, typed message or plain text as the window shows it: translated, numbers
    in the locale's format. Plain English (and errors raised with it) passes through."""
    if isinstance(said, HearthError):
        said = said.wording
    elif isinstance(said, BaseException):
        return str(said)
    if isinstance(said, str):
        return said
    return _worded(said, QLocale())


def sentence(said: BaseException | Wording) -> str:
    """`say()` of a reason ("must be true or false") as a sentence of its own: a capital first
    letter and a full stop (the ideographic one where the words are Chinese)."""
    worded = say(said).strip()
    if not worded:
        return worded
    stop = "。" if any("\u2e80" <= character <= "\u9fff" for character in worded) else "."
    return f"{worded[0].upper()}{worded[1:]}{stop}"


def _worded(text: Text, locale: QLocale) -> str:
    template = QCoreApplication.translate(CONTEXT, text.template)
    try:
        parts = []
        for literal, name, spec, conversion in string.Formatter().parse(template):
            parts.append(literal)
            if name is not None:
                parts.append(_value(text.values[name], spec or "", conversion, locale))
        return "".join(parts)
    except (KeyError, ValueError, IndexError):  # a translation that names a value wrongly
        return str(text)


def _value(value: Value, spec: str, conversion: str | None, locale: QLocale) -> str:
    if isinstance(value, Text):
        return _worded(value, locale)
    if conversion == "r":
        return repr(value)
    if isinstance(value, bool | str):
        return format(str(value), spec)
    grouped = "," in spec
    if not grouped:  # "{port}", "{size:.1f}": the number without thousands separators
        locale = QLocale(locale)
        locale.setNumberOptions(locale.numberOptions() | QLocale.NumberOption.OmitGroupSeparator)
    if isinstance(value, int) and not spec.rstrip("d").rstrip(","):
        return locale.toString(value)
    if "." in spec and spec.endswith(("f", "%")):
        decimals = int(spec.rsplit(".", 1)[1][:-1])
        if spec.endswith("%"):
            return locale.toString(float(value) * 100, "f", decimals) + locale.percent()
        return locale.toString(float(value), "f", decimals)
    return format(value, spec)  # another format: as in English
