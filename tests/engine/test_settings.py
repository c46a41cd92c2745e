"""Settings values, their validation messages, per-chat overrides and the settings file."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from engine.config import AppConfig, load_config, save_config
from engine.errors import HearthError, SettingsError
from engine.paths import app_paths
from engine.settings import (
    RUNTIME_FIELDS,
    SAMPLING_FIELDS,
    SEED_MAX,
    ChatSettings,
    ContextPolicy,
    FieldSpec,
    RuntimeSettings,
    SamplingSettings,
    sampling_from_dict,
    validate,
)

SPECS = {spec.name: spec for spec in (*SAMPLING_FIELDS, *RUNTIME_FIELDS)}


def spec(name: str) -> FieldSpec:
    return SPECS[name]


def parsed(name: str, text: str) -> tuple[int | float | None, str | None]:
    """What the field makes of `text`, its reason (a typed message) in English."""
    value, error = spec(name).parse(text)
    return value, None if error is None else str(error)


def checked(name: str, value: object) -> str | None:
    error = spec(name).check(value)
    return None if error is None else str(error)


# -- FieldSpec: what a person typing into the settings panel is told --------------------------


def test_every_default_value_passes_its_own_check() -> None:
    values = {**dataclasses.asdict(SamplingSettings()), **dataclasses.asdict(RuntimeSettings())}
    assert set(values) == set(SPECS)
    assert {name: spec(name).check(value) for name, value in values.items()} == dict.fromkeys(
        values
    )


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("temperature", "2.5", "Temperature must be between 0 and 2"),
        ("temperature", "-0.1", "Temperature must be between 0 and 2"),
        ("top_p", "1.01", "Top-p must be between 0 and 1"),
        ("presence_penalty", "-3", "Presence penalty must be between -2 and 2"),
        ("xtc_threshold", "0.6", "XTC threshold must be between 0 and 0.5"),
        ("max_tokens", "0", "Max reply tokens must be between 1 and 32768"),
        ("n_ctx", "128", "Context length must be between 256 and 131072"),
        ("seed", str(SEED_MAX + 1), f"Seed must be between 0 and {SEED_MAX}"),
    ],
)
def test_out_of_range_values_name_the_range(name: str, text: str, message: str) -> None:
    assert parsed(name, text) == (None, message)


@pytest.mark.parametrize("text", ["abc", "1,5", "0x10", "--1", "½"])
def test_text_that_is_not_a_number(text: str) -> None:
    assert parsed("temperature", text) == (None, "Temperature must be a number")


@pytest.mark.parametrize("value", ["0.7", True, [1], {"a": 1}])
def test_check_refuses_non_numbers(value: object) -> None:
    assert checked("temperature", value) == "Temperature must be a number"


@pytest.mark.parametrize(("name", "label"), [("top_k", "Top-k"), ("n_ctx", "Context length")])
def test_integer_fields_refuse_fractions(name: str, label: str) -> None:
    assert parsed(name, "2.5") == (None, f"{label} must be a whole number")
    assert checked(name, 1024.5) == f"{label} must be a whole number"


@pytest.mark.parametrize("text", ["nan", "NaN", "inf", "-inf", "1e400"])
def test_nan_and_infinity_are_refused(text: str) -> None:
    assert parsed("temperature", text) == (None, "Temperature must be a finite number")


def test_check_refuses_nan_and_infinity() -> None:
    assert checked("min_p", math.nan) == "Min-p must be a finite number"
    assert checked("min_p", math.inf) == "Min-p must be a finite number"
    assert spec("top_k").check(math.inf) is not None  # an integer field refuses it too


def test_valid_text_is_parsed_to_the_field_type() -> None:
    assert parsed("temperature", " 0.35 ") == (0.35, None)
    top_k, error = spec("top_k").parse("40")
    assert (top_k, error) == (40, None) and isinstance(top_k, int)
    assert parsed("top_k", "1e2") == (100, None)  # a whole number written as a float
    temperature, _ = spec("temperature").parse("1")
    assert temperature == 1.0
    assert parsed("seed", str(SEED_MAX)) == (SEED_MAX, None)


def test_optional_fields_accept_empty_text_as_automatic() -> None:
    assert parsed("seed", "") == (None, None)
    assert parsed("seed", "   ") == (None, None)
    assert parsed("n_threads", "") == (None, None)
    assert spec("seed").check(None) is None


def test_required_fields_refuse_empty_text() -> None:
    assert parsed("temperature", "") == (None, "Temperature is required")
    assert checked("max_tokens", None) == "Max reply tokens is required"


def test_choice_fields_list_the_choices() -> None:
    assert parsed("mirostat_mode", "2") == (2, None)
    assert parsed("mirostat_mode", "3") == (None, "Mirostat must be one of 0, 1, 2")
    assert checked("mirostat_mode", -1) == "Mirostat must be one of 0, 1, 2"


def test_choice_fields_refuse_fractions() -> None:
    assert spec("mirostat_mode").parse("1.5")[1] is not None
    with pytest.raises(SettingsError):
        sampling_from_dict({"mirostat_mode": 1.5})


def test_validate_reports_each_bad_field_and_unknown_names() -> None:
    errors = validate(SAMPLING_FIELDS, {"temperature": 3, "top_k": 10, "bogus": 1})
    assert {name: str(reason) for name, reason in errors.items()} == {
        "temperature": "Temperature must be between 0 and 2",
        "bogus": "unknown setting",
    }


def test_sampling_from_dict_coerces_types() -> None:
    settings = sampling_from_dict({"temperature": 1, "top_k": 40.0, "seed": None})
    assert settings.temperature == 1.0 and isinstance(settings.temperature, float)
    assert settings.top_k == 40 and isinstance(settings.top_k, int)
    assert settings.seed is None


def test_sampling_from_dict_raises_with_every_bad_field() -> None:
    with pytest.raises(SettingsError) as caught:
        sampling_from_dict({"temperature": "hot", "top_p": 2})
    assert set(caught.value.errors) == {"temperature", "top_p"}
    assert "temperature: Temperature must be a number" in str(caught.value)


# -- ChatSettings overrides -----------------------------------------------------------------------


def custom_settings() -> ChatSettings:
    base = ChatSettings()
    return ChatSettings(
        system_prompt="Answer in one sentence.",
        sampling=dataclasses.replace(base.sampling, temperature=0.3, seed=7),
        context_policy=ContextPolicy.KEEP_FIRST,
    )


def test_overrides_hold_only_what_differs() -> None:
    defaults = ChatSettings()
    assert defaults.overrides_from(defaults) == {}
    assert custom_settings().overrides_from(defaults) == {
        "system_prompt": "Answer in one sentence.",
        "context_policy": "keep_first",
        "sampling": {"temperature": 0.3, "seed": 7},
    }


def test_overrides_round_trip_through_json() -> None:
    defaults = ChatSettings()
    stored = json.loads(json.dumps(custom_settings().overrides_from(defaults)))
    assert defaults.with_overrides(stored) == custom_settings()
    assert defaults.with_overrides({}) == defaults


def test_overrides_sit_on_top_of_changed_defaults() -> None:
    stored = custom_settings().overrides_from(ChatSettings())
    new_defaults = ChatSettings(
        system_prompt="New default prompt.",
        sampling=dataclasses.replace(SamplingSettings(), temperature=1.2, top_k=5),
    )
    applied = new_defaults.with_overrides(stored)
    assert applied.sampling.temperature == 0.3  # the chat's own value
    assert applied.sampling.top_k == 5  # follows the new default
    assert applied.system_prompt == "Answer in one sentence."


def test_with_overrides_rejects_an_unknown_policy() -> None:
    with pytest.raises(SettingsError) as caught:
        ChatSettings().with_overrides({"context_policy": "sideways"})
    assert set(caught.value.errors) == {"context_policy"}
    assert "sideways" in str(caught.value)


def test_with_overrides_rejects_a_bad_value_naming_the_field() -> None:
    with pytest.raises(SettingsError) as caught:
        ChatSettings().with_overrides({"sampling": {"temperature": 9, "top_k": 20}})
    assert {name: str(reason) for name, reason in caught.value.errors.items()} == {
        "temperature": "Temperature must be between 0 and 2"}
    assert str(caught.value) == "temperature: Temperature must be between 0 and 2"


def test_with_overrides_rejects_a_system_prompt_that_is_not_text() -> None:
    with pytest.raises(SettingsError) as caught:
        ChatSettings().with_overrides({"system_prompt": 42})
    assert set(caught.value.errors) == {"system_prompt"}


# -- The settings file ----------------------------------------------------------------------------


@pytest.fixture
def settings_file(hearth_home: Path) -> Path:
    path = app_paths().settings_file
    assert path.is_relative_to(hearth_home)  # HEARTH_HOME keeps tests off the real profile
    return path


def test_missing_file_gives_defaults_without_a_notice(settings_file: Path) -> None:
    loaded = load_config(settings_file)
    assert loaded.config == AppConfig()
    assert loaded.notice is None
    assert not settings_file.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json at all", "not valid JSON"),
        (b"[1, 2, 3]", "not a settings object"),
        (b'{"runtime": {"n_ctx": 5}}', "Context length must be between 256 and 131072"),
        (b'{"chat_defaults": {"context_policy": "sideways"}}', "unknown policy"),
        (b'{"draft_models": {"/m/big.gguf": 3}}', "must map model paths to model paths"),
        (b"\xff\xfe\x00garbage", "could not be read"),
    ],
)
def test_unreadable_file_gives_defaults_and_is_kept_aside(
    settings_file: Path, content: bytes, reason: str
) -> None:
    settings_file.parent.mkdir(parents=True)
    settings_file.write_bytes(content)
    loaded = load_config(settings_file)
    assert loaded.config == AppConfig()
    assert loaded.notice is not None
    notice = str(loaded.notice)  # what the CLI prints; the window words it (engine/text.py)
    assert notice.startswith("Settings were reset to defaults:")
    assert reason in notice
    kept = settings_file.with_name("settings.json.broken")
    assert str(kept) in notice
    assert kept.read_bytes() == content
    assert not settings_file.exists()
    # The next start is clean: no notice again.
    assert load_config(settings_file) == type(loaded)(AppConfig(), None)


@pytest.mark.parametrize("sampling", ['"hot"', "[1, 2]"])
def test_wrongly_typed_sampling_section_gives_defaults(settings_file: Path, sampling: str) -> None:
    settings_file.parent.mkdir(parents=True)
    settings_file.write_text(f'{{"chat_defaults": {{"sampling": {sampling}}}}}')
    loaded = load_config(settings_file)
    assert loaded.config == AppConfig()
    assert loaded.notice is not None


def full_config() -> AppConfig:
    return AppConfig(
        chat_defaults=custom_settings(),
        runtime=RuntimeSettings(n_ctx=8192, n_threads=3, n_gpu_layers=-1),
        default_model="SmolLM2-135M-Instruct.Q4_1",
        draft_models={"/models/big.gguf": "/models/small.gguf"},
        user_presets={
            "Mine": SamplingSettings(temperature=1.1, dry_multiplier=0.8, seed=None),
            "Exact": SamplingSettings(temperature=0.0, seed=123),
        },
    )


def test_save_then_load_round_trips(settings_file: Path) -> None:
    save_config(settings_file, full_config())  # creates the missing folders too
    loaded = load_config(settings_file)
    assert loaded.notice is None
    assert loaded.config == full_config()


def test_a_draft_model_is_set_and_unset_for_its_model_alone() -> None:
    big, other, small = Path("/m/big.gguf"), Path("/m/other.gguf"), Path("/m/small.gguf")
    config = AppConfig().with_draft(big, small).with_draft(other, small)
    assert config.draft_for(big) == small and config.draft_for(small) is None
    assert config.with_draft(big, None).draft_models == {str(other): str(small)}


def test_save_is_atomic_and_leaves_no_temporary_files(settings_file: Path) -> None:
    save_config(settings_file, AppConfig())
    save_config(settings_file, full_config())  # replaces the first file
    assert sorted(p.name for p in settings_file.parent.iterdir()) == ["settings.json"]
    assert json.loads(settings_file.read_text())["default_model"] == full_config().default_model


def test_failed_save_raises_a_plain_error_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    folder = tmp_path / "config"
    folder.mkdir()
    target = folder / "settings.json"
    target.mkdir()  # a folder where the file should go: the final rename fails
    with pytest.raises(HearthError, match="Could not save settings"):
        save_config(target, AppConfig())
    assert sorted(p.name for p in folder.iterdir()) == ["settings.json"]
    assert target.is_dir()
