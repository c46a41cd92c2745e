"""Typed messages: what the engine says to a person, as a template and its values.

`Text("The prompt is {tokens:,} tokens.", tokens=12345)` is a message the window can translate:
the template is the English source (what translators see; placeholders in Python's format
syntax), the values stay what they are (numbers stay numbers, names stay strings, a nested
`Text` stays typed). `str()` of it is the English the CLI and the API print, formatted once here
("12,345"); the desktop words it with tr() and the locale's number format
(desktop/engine_texts.py). Errors carry one as their message (`HearthError.wording`).

Every template must be a string literal in a `Text(...)` call, so that
packaging/engine_catalog.py finds it for the translation catalog.
"""

from __future__ import annotations

from typing import Union

Value = Union[int, float, str, "Text"]


class Text:
    """A message template with its values; `str()` is its English wording."""

    __slots__ = ("template", "values")

    def __init__(self, template: str, /, **values: object) -> None:
        self.template = template
        self.values: dict[str, Value] = {name: _value(value) for name, value in values.items()}

    def __str__(self) -> str:
        return self.template.format_map(
            {name: str(value) if isinstance(value, Text) else value
             for name, value in self.values.items()})

    def __repr__(self) -> str:
        values = "".join(f", {name}={value!r}" for name, value in self.values.items())
        return f"Text({self.template!r}{values})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Text) and other.template == self.template
                and other.values == self.values)

    def __hash__(self) -> int:
        return hash(self.template)

    def __getstate__(self) -> tuple[str, dict[str, Value]]:
        return self.template, self.values

    def __setstate__(self, state: tuple[str, dict[str, Value]]) -> None:
        self.template, self.values = state

    def data(self) -> dict[str, object]:
        """The message as JSON data, to be stored (a summary's note in the chat database) and
        read back by `from_data`: the template, and the values with nested messages as data."""
        return {"template": self.template,
                "values": {name: value.data() if isinstance(value, Text) else value
                           for name, value in self.values.items()}}

    @classmethod
    def from_data(cls, data: object) -> Text:
        """The message `data()` gave; raises ValueError on anything else."""
        if not isinstance(data, dict) or not isinstance(data.get("template"), str):
            raise ValueError(f"not a stored message: {data!r}")
        values = data.get("values", {})
        if not isinstance(values, dict):
            raise ValueError(f"not a stored message's values: {values!r}")
        return cls(data["template"], **{
            str(name): cls.from_data(value) if isinstance(value, dict) else value
            for name, value in values.items()})


def _value(value: object) -> Value:
    """A value as a message keeps it: plain data that pickles and a translator can place. An
    error becomes what it says (typed, if it was raised with a typed message), a path its text."""
    if isinstance(value, int | float | str | Text):
        return value
    if isinstance(value, BaseException):
        return wording_of(value)
    return str(value)


Wording = Text | str  # a typed message, or plain English not (yet) made translatable


def wording_of(error: BaseException) -> Wording:
    """What an error says: its typed message when it was raised with one, else its English."""
    first = error.args[0] if len(error.args) == 1 else None
    return first if isinstance(first, Text) else str(error)


def size_text(count: int) -> Text:
    """A byte count in decimal units, as the Hugging Face Hub and file managers show sizes."""
    if count >= 10**9:
        return Text("{size:.1f} GB", size=count / 10**9)
    if count >= 10**6:
        return Text("{size:.1f} MB", size=count / 10**6)
    if count >= 10**3:
        return Text("{size:.1f} kB", size=count / 10**3)
    return Text("{count} B", count=count)
