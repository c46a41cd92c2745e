"""Writing a file so that a crash or a full disk never leaves it half-written."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from engine.errors import DiskFullError, StoreError
from engine.text import Text


def write_text_atomic(path: Path, text: str) -> None:
    """Writes to a temporary file beside `path`, syncs it, then renames it over `path`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        raise _store_error(path, error) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise _store_error(path, error) from None


def _store_error(path: Path, error: OSError) -> StoreError:
    if error.errno == errno.ENOSPC:
        return DiskFullError(Text("Could not save {file}: the disk is full.", file=path.name))
    return StoreError(Text("Could not save {file}: {reason}",
                           file=path.name, reason=error.strerror or error))
