"""A quick identity for a model file, to tie runs and presets to the model they were measured on.

Hashing a multi-gigabyte model takes minutes, so this hashes the size and the first and last
MiB only (the GGUF header with its metadata and tensor table, and the last tensor's data). Two
different model files practically never share all three; a file edited only in its middle would.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from engine.chat.engine import EngineModel
from engine.errors import ModelError
from engine.host.runtime import LoadedModel
from engine.remote.engine import RemoteModel
from engine.text import Text

CHUNK = 1024 * 1024
METHOD = "sha256 of the size and the first and last MiB"
REMOTE_METHOD = "sha256 of the remote engine's address and the model id"


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
        raise ModelError(Text("Could not read {file}: {reason}",
                              file=path.name, reason=error.strerror or error)) from None
    return digest.hexdigest()


def engine_fingerprint(model: EngineModel) -> tuple[str, str]:
    """(fingerprint, how it was made) of a loaded model: its file's, or for a remote model the
    server's address and the model's id (the weights behind them are out of sight)."""
    if isinstance(model, RemoteModel):
        digest = hashlib.sha256(f"{model.base_url}\n{model.model_id}".encode())
        return digest.hexdigest(), REMOTE_METHOD
    assert isinstance(model, LoadedModel)
    return model_fingerprint(model.path), METHOD
