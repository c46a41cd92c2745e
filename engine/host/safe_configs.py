"""Safer ways to load a model that keeps crashing, and which one works for it on this machine.

When the engine host dies twice at the same step with the same model, the next load steps down
one level: first without llama.cpp's extra buffer types (weight repacking and AMX kernels, where
CPU-specific crashes come from), then also without GPU layers, then also with half the context.
The level reached is saved per model file, so the model loads the safe way from then on. A model
that still crashes twice at the safest level, and has not written a word in this session, is not
loaded again in it: no setting saves it (a file that passes Hearth's checks but makes llama.cpp
abort, say). One that has written is loaded again: its crashes may come from what it was asked.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

from engine.errors import HearthError
from engine.settings import RuntimeSettings
from engine.settings_file import save_settings_file
from engine.text import Text, Wording

log = logging.getLogger(__name__)

CRASHES_BEFORE_STEPPING_DOWN = 2
MIN_SAFE_CONTEXT = 512
LEVELS = (
    "",
    "without llama.cpp's extra buffer types (weight repacking, AMX)",
    "without extra buffer types and without GPU layers",
    "without extra buffer types, without GPU layers and with half the context",
)
_LEVEL_TEXTS: tuple[Wording, ...] = (
    "",
    Text("without llama.cpp's extra buffer types (weight repacking, AMX)"),
    Text("without extra buffer types and without GPU layers"),
    Text("without extra buffer types, without GPU layers and with half the context"),
)
# What the host was doing when it crashed (HostRuntime's steps), as a person reads it.
_STEP_TEXTS = {
    "starting": Text("starting"),
    "loading the model": Text("loading the model"),
    "reading the prompt": Text("reading the prompt"),
    "writing the reply": Text("writing the reply"),
    "scoring prompts": Text("scoring prompts"),
    "opening the model for embeddings": Text("opening the model for embeddings"),
    "making embeddings": Text("making embeddings"),
}


def step_text(step: str) -> Wording:
    """A host step ("loading the model"), typed where the window can translate it."""
    return _STEP_TEXTS.get(step, step)


def safer_settings(settings: RuntimeSettings, level: int) -> RuntimeSettings:
    """`settings` at a safety level (0: as they are)."""
    if level >= 1:
        settings = dataclasses.replace(settings, safe_mode=1)
    if level >= 2:
        settings = dataclasses.replace(settings, n_gpu_layers=0)
    if level >= 3:
        settings = dataclasses.replace(
            settings, n_ctx=max(MIN_SAFE_CONTEXT, settings.n_ctx // 2)
        )
    return settings


class SafeConfigs:
    """Crash counts by (model, step) for this session, and each model's saved safety level."""

    def __init__(self, path: Path | None) -> None:
        self._path = path  # None: remembered for this session only
        self._crashes: dict[tuple[str, str], int] = {}
        self._levels: dict[str, int] = self._read()
        self._wrote: set[str] = set()  # models that wrote text in this session
        # Crashed twice at the safest level, never having written: not saved in the file, since
        # a newer llama.cpp may yet load it.
        self._unusable: set[str] = set()

    def level(self, model: Path) -> int:
        return self._levels.get(str(model), 0)

    def unusable(self, model: Path) -> bool:
        """Whether the model crashed twice at the safest level this session, never writing."""
        return str(model) in self._unusable

    def record_text(self, model: Path) -> None:
        """The model wrote text: it works, at least for some messages."""
        self._wrote.add(str(model))

    def record_crash(self, model: Path, step: str) -> Text | None:
        """Counts a crash; returns what changes for the next load, if it steps down, or, at the
        safest level, that it is not loaded again (after one more crash, once it was said)."""
        key = (str(model), step)
        self._crashes[key] = self._crashes.get(key, 0) + 1
        if self._crashes[key] < CRASHES_BEFORE_STEPPING_DOWN:
            return None
        level = self.level(model)
        if level + 1 >= len(LEVELS):
            if str(model) in self._wrote:
                return None  # nothing safer is left to try, but the model has worked
            self._unusable.add(str(model))
            return Text("{model} crashed twice while {step} even when loaded {level}, the safest "
                        "way Hearth has, so it is not loaded again: this model file cannot be "
                        "used on this machine. Pick another model.",
                        model=model.stem, step=step_text(step), level=_LEVEL_TEXTS[-1])
        self._crashes[key] = 0
        self._levels[str(model)] = level + 1
        self._write()
        return Text("{model} crashed twice while {step}: Hearth loads it {level} from now on.",
                    model=model.stem, step=step_text(step), level=_LEVEL_TEXTS[level + 1])

    def _read(self) -> dict[str, int]:
        if self._path is None or not self._path.is_file():
            return {}
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            log.warning("ignoring %s: %s", self._path, error)
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            str(model): level for model, level in data.items()
            if isinstance(level, int) and 0 <= level < len(LEVELS)
        }

    def _write(self) -> None:
        if self._path is None:
            return
        try:
            save_settings_file(self._path, json.dumps(self._levels, indent=1), Text("safe loading"))
        except HearthError as error:  # the level still holds for this session
            log.warning("%s", error)
