"""Sampling and runtime settings: typed values, their valid ranges, and validation.

Each field's range lives in one table (`SAMPLING_FIELDS`, `RUNTIME_FIELDS`) that the settings
panel reads too, so a value the panel refuses is exactly a value llama.cpp would never see.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, TypeVar

from engine.chat.repetition import DEFAULT_WINDOW
from engine.errors import SettingsError


class ContextPolicy(StrEnum):
    """What to do when a chat no longer fits the context window."""

    DROP_OLDEST = "drop_oldest"
    KEEP_FIRST = "keep_first"
    STOP = "stop"


CONTEXT_POLICY_LABELS: dict[ContextPolicy, str] = {
    ContextPolicy.DROP_OLDEST: "Drop the oldest messages",
    ContextPolicy.KEEP_FIRST: "Keep the first exchange, drop the middle",
    ContextPolicy.STOP: "Stop and ask",
}

FieldKind = Literal["int", "float", "choice"]
_SettingsT = TypeVar("_SettingsT")


@dataclass(frozen=True)
class FieldSpec:
    """How one numeric setting is named, bounded and explained."""

    name: str
    label: str
    kind: FieldKind
    minimum: float
    maximum: float
    help: str
    choices: tuple[int, ...] = ()
    optional: bool = False  # None allowed: "random" seed, "automatic" threads

    def check(self, value: object) -> str | None:
        """Returns why `value` is refused, or None when it is valid."""
        if value is None:
            return None if self.optional else f"{self.label} is required"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{self.label} must be a number"
        if self.kind in ("int", "choice") and isinstance(value, float) and not value.is_integer():
            return f"{self.label} must be a whole number"
        if isinstance(value, float) and not math.isfinite(value):
            return f"{self.label} must be a finite number"
        if self.choices and int(value) not in self.choices:
            return f"{self.label} must be one of {', '.join(map(str, self.choices))}"
        if not self.minimum <= value <= self.maximum:
            return f"{self.label} must be between {_fmt(self.minimum)} and {_fmt(self.maximum)}"
        return None

    def parse(self, text: str) -> tuple[int | float | None, str | None]:
        """Parses what a person typed; returns (value, error)."""
        stripped = text.strip()
        if not stripped:
            if self.optional:
                return None, None
            return None, f"{self.label} is required"
        try:
            value = float(stripped)
        except ValueError:
            return None, f"{self.label} must be a number"
        number: int | float = (
            int(value) if self.kind != "float" and value.is_integer() else value
        )
        error = self.check(number)
        return (None, error) if error else (number, None)


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


SEED_MAX = 2**32 - 2  # 0xFFFFFFFF means "random" to llama.cpp, so it is not a fixed seed


SAMPLING_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("temperature", "Temperature", "float", 0.0, 2.0,
              "Randomness. 0 always picks the likeliest word."),
    FieldSpec("top_k", "Top-k", "int", 0, 1000, "Consider only the k likeliest tokens (0 = all)."),
    FieldSpec("top_p", "Top-p", "float", 0.0, 1.0,
              "Consider the likeliest tokens whose probabilities add up to p."),
    FieldSpec("min_p", "Min-p", "float", 0.0, 1.0,
              "Drop tokens less likely than min-p times the likeliest one."),
    FieldSpec("typical_p", "Typical-p", "float", 0.0, 1.0, "Locally typical sampling (1 = off)."),
    FieldSpec("repeat_penalty", "Repeat penalty", "float", 0.0, 3.0,
              "Penalise tokens seen in the penalty window (1 = off)."),
    FieldSpec("presence_penalty", "Presence penalty", "float", -2.0, 2.0,
              "Penalise any token already present (0 = off)."),
    FieldSpec("frequency_penalty", "Frequency penalty", "float", -2.0, 2.0,
              "Penalise tokens by how often they appeared (0 = off)."),
    FieldSpec("penalty_last_n", "Penalty window", "int", 0, 4096,
              "How many recent tokens the penalties look at."),
    FieldSpec("dry_multiplier", "DRY multiplier", "float", 0.0, 5.0,
              "Strength of the DRY anti-repetition sampler (0 = off)."),
    FieldSpec("dry_base", "DRY base", "float", 1.0, 4.0, "How fast the DRY penalty grows."),
    FieldSpec("dry_allowed_length", "DRY allowed length", "int", 1, 64,
              "Repeated sequences up to this length are not penalised."),
    FieldSpec("xtc_probability", "XTC probability", "float", 0.0, 1.0,
              "Chance of excluding the top choices (0 = off)."),
    FieldSpec("xtc_threshold", "XTC threshold", "float", 0.0, 0.5,
              "Tokens above this probability count as top choices."),
    FieldSpec("mirostat_mode", "Mirostat", "choice", 0, 2,
              "0 = off, 1 = Mirostat, 2 = Mirostat 2.0 (replaces top-k/p).", choices=(0, 1, 2)),
    FieldSpec("mirostat_tau", "Mirostat tau", "float", 0.0, 10.0, "Target surprise."),
    FieldSpec("mirostat_eta", "Mirostat eta", "float", 0.0, 1.0, "Learning rate."),
    FieldSpec("seed", "Seed", "int", 0, SEED_MAX,
              "Empty = a new random seed for every reply.", optional=True),
    FieldSpec("max_tokens", "Max reply tokens", "int", 1, 32768,
              "The longest reply, in tokens."),
    FieldSpec("loop_guard", "Loop guard", "int", 0, 4096,
              "Stop a reply whose last this many tokens only repeat what it wrote before "
              "(0 = off)."),
)

RUNTIME_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("n_ctx", "Context length", "int", 256, 131072,
              "Tokens the model sees at once: history plus reply. More uses more memory."),
    FieldSpec("n_threads", "CPU threads", "int", 1, 256,
              "Empty = the count measured fastest on this machine.", optional=True),
    FieldSpec("n_gpu_layers", "GPU layers", "int", -1, 1024,
              "Layers offloaded to the GPU: empty = as many as fit in free VRAM, -1 = all, "
              "0 = none.", optional=True),
    FieldSpec("safe_mode", "Safe mode", "choice", 0, 1,
              "1 = load without llama.cpp's extra buffer types (weight repacking, AMX kernels): "
              "for a model that crashes on this CPU. Hearth turns it on by itself after "
              "repeated crashes.", choices=(0, 1)),
)


@dataclass(frozen=True)
class SamplingSettings:
    temperature: float = 0.7
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    typical_p: float = 1.0
    repeat_penalty: float = 1.1
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    penalty_last_n: int = 64
    dry_multiplier: float = 0.0
    dry_base: float = 1.75
    dry_allowed_length: int = 2
    xtc_probability: float = 0.0
    xtc_threshold: float = 0.1
    mirostat_mode: int = 0
    mirostat_tau: float = 5.0
    mirostat_eta: float = 0.1
    seed: int | None = None
    max_tokens: int = 1024
    loop_guard: int = DEFAULT_WINDOW  # tokens; 0: off (engine/chat/repetition.py)


@dataclass(frozen=True)
class RuntimeSettings:
    n_ctx: int = 4096
    n_threads: int | None = None
    n_gpu_layers: int | None = None  # None: as many as fit in the GPU's free memory
    safe_mode: int = 0  # 1: no extra buffer types (see RUNTIME_FIELDS)


@dataclass(frozen=True)
class ChatSettings:
    """What one chat generates with: its system prompt, sampling, context policy and whether
    the model thinks before answering (for templates with a thinking switch, e.g. Qwen3's)."""

    system_prompt: str = "You are a helpful assistant."
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    context_policy: ContextPolicy = ContextPolicy.DROP_OLDEST
    thinking: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "system_prompt": self.system_prompt,
            "sampling": dataclasses.asdict(self.sampling),
            "context_policy": self.context_policy.value,
            "thinking": self.thinking,
        }

    def overrides_from(self, defaults: ChatSettings) -> dict[str, Any]:
        """The fields that differ from `defaults`, as stored with a chat."""
        mine, base = self.to_dict(), defaults.to_dict()
        result: dict[str, Any] = {
            key: value for key, value in mine.items() if key != "sampling" and value != base[key]
        }
        sampling = {
            key: value for key, value in mine["sampling"].items()
            if value != base["sampling"][key]
        }
        if sampling:
            result["sampling"] = sampling
        return result

    def with_overrides(self, overrides: Mapping[str, Any]) -> ChatSettings:
        """These settings with stored overrides applied; raises SettingsError on bad values."""
        stored = overrides.get("sampling") or {}
        if not isinstance(stored, Mapping):
            raise SettingsError({"sampling": "must be an object"})
        sampling = sampling_from_dict({**dataclasses.asdict(self.sampling), **stored})
        policy_value = overrides.get("context_policy", self.context_policy.value)
        try:
            policy = ContextPolicy(policy_value)
        except ValueError:
            raise SettingsError({"context_policy": f"unknown policy {policy_value!r}"}) from None
        prompt = overrides.get("system_prompt", self.system_prompt)
        if not isinstance(prompt, str):
            raise SettingsError({"system_prompt": "must be text"})
        thinking = overrides.get("thinking", self.thinking)
        if not isinstance(thinking, bool):
            raise SettingsError({"thinking": "must be true or false"})
        return ChatSettings(system_prompt=prompt, sampling=sampling, context_policy=policy,
                            thinking=thinking)


def validate(specs: tuple[FieldSpec, ...], values: Mapping[str, object]) -> dict[str, str]:
    """Errors by field name for every value in `values` that its spec refuses."""
    by_name = {spec.name: spec for spec in specs}
    errors: dict[str, str] = {}
    for name, value in values.items():
        spec = by_name.get(name)
        if spec is None:
            errors[name] = "unknown setting"
            continue
        error = spec.check(value)
        if error:
            errors[name] = error
    return errors


def _build(
    cls: type[_SettingsT], specs: tuple[FieldSpec, ...], values: Mapping[str, Any]
) -> _SettingsT:
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    chosen = {key: value for key, value in values.items() if key in known}
    errors = validate(specs, chosen)
    if errors:
        raise SettingsError(errors)
    kinds = {spec.name: spec.kind for spec in specs}
    typed = {
        key: None if value is None else float(value) if kinds[key] == "float" else int(value)
        for key, value in chosen.items()
    }
    return cls(**typed)


def sampling_from_dict(values: Mapping[str, Any]) -> SamplingSettings:
    return _build(SamplingSettings, SAMPLING_FIELDS, values)


def runtime_from_dict(values: Mapping[str, Any]) -> RuntimeSettings:
    return _build(RuntimeSettings, RUNTIME_FIELDS, values)


BUILTIN_PRESETS: dict[str, SamplingSettings] = {
    "Precise": SamplingSettings(temperature=0.2, top_k=20, top_p=0.9, min_p=0.1,
                                repeat_penalty=1.05),
    "Balanced": SamplingSettings(),
    "Creative": SamplingSettings(temperature=1.0, top_k=0, top_p=1.0, min_p=0.05,
                                 repeat_penalty=1.0, dry_multiplier=0.8,
                                 xtc_probability=0.5, xtc_threshold=0.1),
}
