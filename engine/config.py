"""The app-wide settings file: defaults for new chats, the runtime, the default model, each
model's draft model, presets.

One typed JSON file, written atomically. A file that cannot be read is set aside (renamed with a
`.broken` suffix) and defaults are used, with a notice the caller can show.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import SettingsError
from engine.settings import (
    ChatSettings,
    RuntimeSettings,
    SamplingSettings,
    runtime_from_dict,
    sampling_from_dict,
)
from engine.settings_file import load_settings_file, save_settings_file
from engine.text import Text

CONFIG_VERSION = 1
# Version 0 is the flat shape from before the file had sections and a "version": the chat
# defaults' and the runtime's fields at the top level, "model" and "presets" for what are now
# "default_model" and "user_presets".
_V0_SECTIONS = {
    "chat_defaults": ("system_prompt", "sampling", "context_policy"),
    "runtime": ("n_ctx", "n_threads", "n_gpu_layers"),
}
_V0_RENAMED = {"model": "default_model", "presets": "user_presets"}


API_DEFAULT_HOST = "127.0.0.1"
API_DEFAULT_PORT = 8484
# The interface's language: "system" follows the computer's locale (desktop/i18n.py).
LANGUAGES = ("system", "en", "zh_CN")
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=")


@dataclass(frozen=True)
class ApiSettings:
    """The local OpenAI-compatible server: off until a person turns it on."""

    enabled: bool = False
    host: str = API_DEFAULT_HOST
    port: int = API_DEFAULT_PORT
    token: str | None = None  # made by the app when the server is first turned on

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def api_from_dict(values: dict[str, Any]) -> ApiSettings:
    """Raises SettingsError naming each field that is refused."""
    defaults = ApiSettings()
    enabled = values.get("enabled", defaults.enabled)
    host = values.get("host", defaults.host)
    port = values.get("port", defaults.port)
    token = values.get("token", defaults.token)
    errors: dict[str, Text] = {}
    if not isinstance(enabled, bool):
        errors["api.enabled"] = Text("must be true or false")
    if not isinstance(host, str) or not host.strip() or len(host) > 253 or any(
        c.isspace() or c in "/?#@" for c in host
    ):
        errors["api.host"] = Text("must be an address such as 127.0.0.1")
    if type(port) is not int or not 1 <= port <= 65535:
        errors["api.port"] = Text("must be a whole number between 1 and 65535")
    if token is not None and (
        not isinstance(token, str) or not 16 <= len(token) <= 256
        or not set(token) <= _TOKEN_CHARS
    ):
        errors["api.token"] = Text("must be 16 to 256 letters, digits or -._~+/=")
    if errors:
        raise SettingsError(errors)
    return ApiSettings(enabled=enabled, host=host.strip(), port=port, token=token)


@dataclass(frozen=True)
class AppConfig:
    chat_defaults: ChatSettings = field(default_factory=ChatSettings)
    runtime: RuntimeSettings = field(default_factory=RuntimeSettings)
    default_model: str | None = None
    # A model's path: the path of the smaller model that drafts its replies (drafting.py).
    # Kept per model, since a draft must share its model's vocabulary.
    draft_models: dict[str, str] = field(default_factory=dict)
    user_presets: dict[str, SamplingSettings] = field(default_factory=dict)
    api: ApiSettings = field(default_factory=ApiSettings)
    language: str = "system"

    def with_draft(self, model: Path, draft: Path | None) -> AppConfig:
        """The config with `draft` drafting for `model` (None: no draft model for it)."""
        drafts = {key: value for key, value in self.draft_models.items() if key != str(model)}
        if draft is not None:
            drafts[str(model)] = str(draft)
        return dataclasses.replace(self, draft_models=drafts)

    def draft_for(self, model: Path) -> Path | None:
        draft = self.draft_models.get(str(model))
        return None if draft is None else Path(draft)

    def to_json(self) -> str:
        return json.dumps(
            {
                "version": CONFIG_VERSION,
                "chat_defaults": self.chat_defaults.to_dict(),
                "runtime": dataclasses.asdict(self.runtime),
                "default_model": self.default_model,
                "draft_models": self.draft_models,
                "user_presets": {
                    name: dataclasses.asdict(preset) for name, preset in self.user_presets.items()
                },
                "api": self.api.to_dict(),
                "language": self.language,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> AppConfig:
        """Parses a settings file; raises SettingsError when anything in it is invalid."""
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as error:  # also numbers too long, nesting too deep
            raise SettingsError(
                {"file": Text("not valid JSON ({error})", error=str(error))}) from None
        if not isinstance(data, dict):
            raise SettingsError({"file": Text("not a settings object")})
        data = _upgraded(data)
        chat_defaults = ChatSettings().with_overrides(_mapping(data, "chat_defaults"))
        runtime = runtime_from_dict(_mapping(data, "runtime"))
        presets = {
            str(name): sampling_from_dict(values if isinstance(values, dict) else {})
            for name, values in _mapping(data, "user_presets").items()
        }
        default_model = data.get("default_model")
        drafts = _mapping(data, "draft_models")
        if not all(isinstance(draft, str) for draft in drafts.values()):
            raise SettingsError({"draft_models": Text("must map model paths to model paths")})
        language = data.get("language", "system")
        if language not in LANGUAGES:
            raise SettingsError({"language": f"must be one of {', '.join(LANGUAGES)}"})
        return cls(
            chat_defaults=chat_defaults,
            runtime=runtime,
            default_model=default_model if isinstance(default_model, str) else None,
            draft_models=drafts,
            user_presets=presets,
            api=api_from_dict(_mapping(data, "api")),
            language=language,
        )


def _upgraded(data: dict[str, Any]) -> dict[str, Any]:
    """Settings written by an older Hearth, in today's shape (today's come back unchanged)."""
    if "version" in data:
        return data
    flat = {name for names in _V0_SECTIONS.values() for name in names} | set(_V0_RENAMED)
    upgraded = {key: value for key, value in data.items() if key not in flat}
    for section, names in _V0_SECTIONS.items():
        moved = {name: data[name] for name in names if name in data}
        if moved:
            current = upgraded.get(section)
            upgraded[section] = {**moved, **(current if isinstance(current, dict) else {})}
    for old, new in _V0_RENAMED.items():
        if old in data:
            upgraded.setdefault(new, data[old])
    return upgraded


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise SettingsError({key: Text("must be an object")})
    return value


@dataclass(frozen=True)
class LoadedConfig:
    config: AppConfig
    notice: Text | None  # set when the file was unreadable and defaults were used


def load_config(path: Path) -> LoadedConfig:
    config, notice = load_settings_file(path, AppConfig.from_json, AppConfig,
                                        Text("Settings were reset to defaults"))
    return LoadedConfig(config, notice)


def save_config(path: Path, config: AppConfig) -> None:
    """Writes the file atomically, so a crash never leaves half a settings file."""
    save_settings_file(path, config.to_json(), Text("settings"))
