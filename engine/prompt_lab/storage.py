"""Tasks, past runs and presets, as JSON files under the data folder.

    prompt_lab/tasks/<task id>.json
    prompt_lab/runs/<task id>/<started>-<run id>.json
    prompt_lab/presets/<preset id>.json

Every write is atomic. A file that cannot be read is left where it is (never overwritten) and
skipped in listings, so one damaged run does not hide the others.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from engine.errors import PromptLabError
from engine.paths import AppPaths
from engine.prompt_lab.atomic import write_text_atomic
from engine.prompt_lab.preset import LabPreset
from engine.prompt_lab.results import TuneResult
from engine.prompt_lab.tasks import Task, task_from_dict, task_to_dict
from engine.text import Text

log = logging.getLogger(__name__)
_T = TypeVar("_T")


class LabStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def at(cls, paths: AppPaths) -> LabStore:
        return cls(paths.data_dir / "prompt_lab")

    # --- tasks ---------------------------------------------------------------------------

    def save_task(self, task: Task) -> Path:
        path = self.root / "tasks" / f"{_safe(task.id)}.json"
        write_text_atomic(path, _dumps(task_to_dict(task)))
        return path

    def load_task(self, task_id: str) -> Task:
        path = self.root / "tasks" / f"{_safe(task_id)}.json"
        return task_from_dict(_read(path))

    def tasks(self) -> list[Task]:
        return sorted(self._all(self.root / "tasks", task_from_dict), key=lambda t: t.name)

    def delete_task(self, task_id: str) -> None:
        """Removes the task; its runs stay, tied to the model they were measured on."""
        (self.root / "tasks" / f"{_safe(task_id)}.json").unlink(missing_ok=True)

    # --- runs ----------------------------------------------------------------------------

    def save_run(self, result: TuneResult) -> Path:
        stamp = result.started_at.replace(":", "").replace("-", "").replace("+0000", "Z")
        path = self.root / "runs" / _safe(result.task_id) / f"{stamp}-{_safe(result.run_id)}.json"
        write_text_atomic(path, _dumps(result.to_dict()))
        return path

    def runs(self, task_id: str, model_fingerprint: str | None = None) -> list[TuneResult]:
        """Past runs of a task, newest first; only those on one model when it is given."""
        found = self._all(self.root / "runs" / _safe(task_id), TuneResult.from_dict)
        if model_fingerprint is not None:
            found = [run for run in found if run.model.fingerprint == model_fingerprint]
        return sorted(found, key=lambda run: run.started_at, reverse=True)

    # --- presets -------------------------------------------------------------------------

    def save_preset(self, preset: LabPreset) -> Path:
        """Saves a preset, replacing one of the same name."""
        path = self.root / "presets" / f"{_name_id(preset.name)}.json"
        write_text_atomic(path, _dumps(preset.to_dict()))
        return path

    def presets(self) -> list[LabPreset]:
        return sorted(self._all(self.root / "presets", LabPreset.from_dict), key=lambda p: p.name)

    def load_preset(self, name: str) -> LabPreset:
        return LabPreset.from_dict(_read(self.root / "presets" / f"{_name_id(name)}.json"))

    def delete_preset(self, name: str) -> None:
        (self.root / "presets" / f"{_name_id(name)}.json").unlink(missing_ok=True)

    def _all(self, folder: Path, parse: Callable[[dict[str, Any]], _T]) -> list[_T]:
        items = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                items.append(parse(_read(path)))
            except (PromptLabError, KeyError, TypeError, ValueError) as error:
                log.warning("skipping %s: %s", path, error)
        return items


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PromptLabError(Text("{file} does not exist.", file=path.name)) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PromptLabError(Text("Could not read {file}: {error}",
                                  file=path.name, error=error)) from None
    if not isinstance(data, dict):
        raise PromptLabError(Text("{file} is not a Prompt Lab file.", file=path.name))
    return data


def _dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def _safe(name: str) -> str:
    """A file name part that cannot leave its folder."""
    cleaned = "".join(c for c in name if c.isalnum() or c in "-_")
    return cleaned or hashlib.sha256(name.encode("utf-8")).hexdigest()[:12]


def _name_id(name: str) -> str:
    return hashlib.sha256(name.strip().casefold().encode("utf-8")).hexdigest()[:16]
