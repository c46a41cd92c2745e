"""What every JSON settings file of Hearth's does on disk: read it, set a broken one aside,
write it atomically and readable by the user alone (the settings file holds the API token)."""

from __future__ import annotations

import itertools
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from engine import kill_points
from engine.errors import HearthError, SettingsError
from engine.text import Text, Wording, wording_of

log = logging.getLogger(__name__)

T = TypeVar("T")


def load_settings_file(
    path: Path, parse: Callable[[str], T], default: Callable[[], T], reset_notice: Text
) -> tuple[T, Text | None]:
    """The file parsed, or `default()` and a notice when it is missing (no notice), unreadable
    or invalid; an unusable file is renamed with a `.broken` suffix and named in the notice."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default(), None
    except (OSError, UnicodeDecodeError) as error:
        reason: Wording = Text("could not be read ({error})", error=str(error))
    else:
        try:
            return parse(text), None
        except SettingsError as error:
            reason = wording_of(error)
    log.warning("%s reset: %s", path, reason)
    kept = _set_aside(path)
    if kept is None:
        return default(), Text("{notice}: {reason}.", notice=reset_notice, reason=reason)
    return default(), Text("{notice}: {reason}; the old file was kept as {kept}.",
                           notice=reset_notice, reason=reason, kept=str(kept))


def _set_aside(path: Path) -> Path | None:
    """Where the unusable file now is, or None if it could not be moved."""
    # A file set aside earlier is not replaced: the person may still want what was in it.
    names = (path.name + ".broken" + (f"-{n}" if n > 1 else "") for n in itertools.count(1))
    kept = next(path.with_name(name) for name in names if not path.with_name(name).exists())
    try:
        os.replace(path, kept)
    except OSError:
        return None
    return kept


def save_settings_file(path: Path, text: str, what: Text) -> None:
    """Writes the file atomically, so a crash never leaves half of it; raises HearthError."""
    prefix = f".{path.stem}-"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(f"{prefix}*"):  # from saves a crash cut short
            stale.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=prefix, dir=path.parent)  # owner-only
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            kill_points.reached("settings-written")  # tests only: HEARTH_KILL_AT
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise HearthError(Text("Could not save {what} to {path}: {reason}",
                               what=what, path=path, reason=error.strerror or error)) from None
