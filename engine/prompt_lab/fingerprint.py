"""A quick identity for a model file, to tie runs and presets to the model they were measured on.

Hashing a multi-gigabyte model takes minutes, so this hashes the size and the first and last
MiB only (the GGUF header with its metadata and tensor table, and the last tensor's data). Two
different model files practically never share all three; a file edited only in its middle would.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from engine.errors import ModelError

CHUNK = 1024 * 1024
METHOD = "sha256 of the size and the first and last MiB"


def model_fingerprint(path: Path) -> str:
    try:
        size = path.stat().st_size
        digest = hashlib.sha256(str(size).encode("ascii"))
        with path.open("rb") as file:
            digest.update(file.read(CHUNK))
            if size > CHUNK:
                file.seek(max(CHUNK, size - CHUNK))
                digest.update(file.read(CHUNK))
    except OSError as error:
        raise ModelError(f"Could not read {path.name}: {error.strerror or error}") from None
    return digest.hexdigest()
