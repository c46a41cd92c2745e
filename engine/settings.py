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
from engine.text import Text


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
    help: str  # one line, in plain words: what the setting does
    choices: tuple[int, ...] = ()
    optional: bool = False  # None allowed: "random" seed, "automatic" threads
    advice: str = ""  # when to change it, and to what

    def check(self, value: object) -> Text | None:
        """Returns why `value` is refused, or None when it is valid."""
        if value is None:
            return None if self.optional else Text("{label} is required", label=self.label)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return Text("{label} must be a number", label=self.label)
        if self.kind in ("int", "choice") and isinstance(value, float) and not value.is_integer():
            return Text("{label} must be a whole number", label=self.label)
        if isinstance(value, float) and not math.isfinite(value):
            return Text("{label} must be a finite number", label=self.label)
        if self.choices and int(value) not in self.choices:
            return Text("{label} must be one of {choices}", label=self.label,
                        choices=", ".join(map(str, self.choices)))
        if not self.minimum <= value <= self.maximum:
            return Text("{label} must be between {low} and {high}", label=self.label,
                        low=_fmt(self.minimum), high=_fmt(self.maximum))
        return None

    def parse(self, text: str) -> tuple[int | float | None, Text | None]:
        """Parses what a person typed; returns (value, error)."""
        stripped = text.strip()
        if not stripped:
            if self.optional:
                return None, None
            return None, Text("{label} is required", label=self.label)
        try:
            value = float(stripped)
        except ValueError:
            return None, Text("{label} must be a number", label=self.label)
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
              "How adventurous the wording is: low is focused, high is varied.",
              advice="Lower it (0.2–0.5) for facts, code and summaries; raise it (0.8–1.2) for "
                     "stories and brainstorming. At 0 the same question always gets the same "
                     "answer."),
    FieldSpec("top_k", "Top-k", "int", 0, 1000,
              "Only the k likeliest next words are considered (0 = no limit).",
              advice="Smaller values give safer, plainer replies. 40 suits most models; set 0 "
                     "to leave the choice to top-p and min-p."),
    FieldSpec("top_p", "Top-p", "float", 0.0, 1.0,
              "Only the likeliest words whose chances add up to p are considered (1 = off).",
              advice="Lower it (0.8–0.9) to cut odd word choices. Change this or the "
                     "temperature, not both at once."),
    FieldSpec("min_p", "Min-p", "float", 0.0, 1.0,
              "Drops words far less likely than the likeliest one (0 = off).",
              advice="0.05–0.1 removes nonsense but keeps variety, even at a high temperature. "
                     "Raise it if replies wander off."),
    FieldSpec("typical_p", "Typical-p", "float", 0.0, 1.0,
              "Prefers words about as surprising as the text so far (1 = off).",
              advice="Rarely needed. 0.9–0.95 can make long creative writing read more "
                     "naturally; leave it at 1 otherwise."),
    FieldSpec("repeat_penalty", "Repeat penalty", "float", 0.0, 3.0,
              "Makes words used in the penalty window less likely (1 = off).",
              advice="Raise it a little (1.1–1.2) if the model repeats itself. Too high and it "
                     "avoids words it needs, such as names and code keywords."),
    FieldSpec("presence_penalty", "Presence penalty", "float", -2.0, 2.0,
              "Makes any word already used less likely (0 = off).",
              advice="A small positive value (0.1–0.5) nudges the model towards new topics; a "
                     "negative one keeps it on the same ones. Usually left at 0."),
    FieldSpec("frequency_penalty", "Frequency penalty", "float", -2.0, 2.0,
              "Makes a word less likely the more often it was used (0 = off).",
              advice="A small positive value (0.1–0.5) helps when the same word keeps coming "
                     "back. Usually left at 0."),
    FieldSpec("penalty_last_n", "Penalty window", "int", 0, 4096,
              "How many recent tokens the three penalties look back over.",
              advice="64 covers the last sentence or two; more looks further back for repeats. "
                     "0 turns the penalties off."),
    FieldSpec("dry_multiplier", "DRY multiplier", "float", 0.0, 5.0,
              "How strongly DRY stops the model copying earlier text (0 = off).",
              advice="Try 0.8 if replies loop or repeat whole sentences. Keep it at 0 for code "
                     "and data, where exact repeats are wanted."),
    FieldSpec("dry_base", "DRY base", "float", 1.0, 4.0,
              "How fast the DRY penalty grows as a repeat gets longer.",
              advice="1.75 is usual; higher punishes long repeats much harder. Matters only "
                     "while the DRY multiplier is above 0."),
    FieldSpec("dry_allowed_length", "DRY allowed length", "int", 1, 64,
              "Repeats up to this many tokens long are never penalised by DRY.",
              advice="2 lets short common phrases repeat. Raise it if DRY mangles names or "
                     "fixed phrases. Matters only while the DRY multiplier is above 0."),
    FieldSpec("xtc_probability", "XTC probability", "float", 0.0, 1.0,
              "How often XTC removes the most obvious next words (0 = off).",
              advice="About 0.5 makes creative writing less predictable. Keep it at 0 for "
                     "facts, code and instructions."),
    FieldSpec("xtc_threshold", "XTC threshold", "float", 0.0, 0.5,
              "Words at least this likely count as obvious to XTC.",
              advice="0.1 is usual; higher removes fewer words. Matters only while the XTC "
                     "probability is above 0."),
    FieldSpec("mirostat_mode", "Mirostat", "choice", 0, 2,
              "Keeps the surprise of the text steady: 0 = off, 1 or 2 = version.",
              advice="An alternative to top-k and top-p, which it replaces while on. Version 2 "
                     "is the usual choice; most people leave it off.", choices=(0, 1, 2)),
    FieldSpec("mirostat_tau", "Mirostat tau", "float", 0.0, 10.0,
              "The surprise Mirostat aims for: lower is focused, higher varied.",
              advice="5 is usual; try 3 for focused answers, 7–8 for creative writing. Used "
                     "only while Mirostat is on."),
    FieldSpec("mirostat_eta", "Mirostat eta", "float", 0.0, 1.0,
              "How quickly Mirostat steers back towards its target.",
              advice="0.1 is usual. Used only while Mirostat is on."),
    FieldSpec("seed", "Seed", "int", 0, SEED_MAX,
              "Where the dice start: the same seed and settings repeat a reply.",
              advice="Leave it random for everyday chat; fix a number to reproduce a reply or "
                     "to compare settings fairly.",
              optional=True),
    FieldSpec("max_tokens", "Max reply tokens", "int", 1, 32768,
              "The longest a reply may be, in tokens (a token is about ¾ of a word).",
              advice="Replies usually end by themselves; this is only the cut-off. Raise it for "
                     "long texts and code, lower it to keep replies short."),
    FieldSpec("loop_guard", "Loop guard", "int", 0, 4096,
              "Stops a reply that only repeats itself for this many tokens (0 = off).",
              advice="Saves time when a small model gets stuck going round in circles. The "
                     "default suits most models."),
)

RUNTIME_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("n_ctx", "Context length", "int", 256, 131072,
              "Tokens the model sees at once: history plus reply. More uses more memory.",
              advice="Raise it for long chats and documents; the Models tab shows the memory "
                     "each size needs. Lower it if a model fails to load for lack of memory."),
    FieldSpec("n_threads", "CPU threads", "int", 1, 256,
              "CPU cores the model uses; automatic is the count measured fastest here.",
              advice="Leave it automatic unless the computer feels slow while a reply is "
                     "written: fewer threads leave room for other programs.", optional=True),
    FieldSpec("n_gpu_layers", "GPU layers", "int", -1, 1024,
              "How much of the model runs on the graphics card (-1 = all, 0 = none).",
              advice="More layers on the GPU is faster, and as many as fit is usually right. "
                     "Lower it if a model fails to load for lack of video memory.",
              optional=True),
    FieldSpec("kv_cache_bits", "Context cache precision", "choice", 4, 16,
              "Bits per number in the context cache: 16 is exact, 8 takes about half the "
              "memory, 4 about a quarter.",
              advice="8 fits about twice the context in the same memory with the same quality, "
                     "but on a CPU it reads long prompts about half as fast; 4 costs quality "
                     "too. Changing it reloads the model.", choices=(16, 8, 4)),
    FieldSpec("safe_mode", "Safe mode", "choice", 0, 1,
              "1 = load without CPU-specific speed-ups (weight repacking, AMX kernels).",
              advice="For a model that crashes on this CPU. Hearth turns it on by itself after "
                     "repeated crashes; set 0 to get the speed back.", choices=(0, 1)),
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
    kv_cache_bits: int = 16  # the K and V cache as f16, q8_0 or q4_0 (see RUNTIME_FIELDS)
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
            raise SettingsError({"sampling": Text("must be an object")})
        sampling = sampling_from_dict({**dataclasses.asdict(self.sampling), **stored})
        policy_value = overrides.get("context_policy", self.context_policy.value)
        try:
            policy = ContextPolicy(policy_value)
        except ValueError:
            raise SettingsError({"context_policy": Text("unknown policy {policy!r}",
                                                          policy=policy_value)}) from None
        prompt = overrides.get("system_prompt", self.system_prompt)
        if not isinstance(prompt, str):
            raise SettingsError({"system_prompt": Text("must be text")})
        thinking = overrides.get("thinking", self.thinking)
        if not isinstance(thinking, bool):
            raise SettingsError({"thinking": Text("must be true or false")})
        return ChatSettings(system_prompt=prompt, sampling=sampling, context_policy=policy,
                            thinking=thinking)


def validate(specs: tuple[FieldSpec, ...], values: Mapping[str, object]) -> dict[str, Text]:
    """Errors by field name for every value in `values` that its spec refuses."""
    by_name = {spec.name: spec for spec in specs}
    errors: dict[str, Text] = {}
    for name, value in values.items():
        spec = by_name.get(name)
        if spec is None:
            errors[name] = Text("unknown setting")
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
