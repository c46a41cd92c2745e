"""Property tests: settings, presets and the settings file take any input without crashing.

Whatever a hand-edited settings file or a stored chat holds, parsing gives valid settings or a
SettingsError naming what is wrong, never another exception. Budgets are fixed per test
(derandomized, no example database written), so `make test` stays quick and repeatable.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine.config import AppConfig, load_config
from engine.errors import SettingsError
from engine.settings import (
    RUNTIME_FIELDS,
    SAMPLING_FIELDS,
    ChatSettings,
    ContextPolicy,
    FieldSpec,
    RuntimeSettings,
    SamplingSettings,
    runtime_from_dict,
    sampling_from_dict,
)

FUZZ = settings(
    max_examples=300,
    deadline=timedelta(seconds=2),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
# Numbers past ~1e308 are the subject of their own (failing) test below.
numbers = (
    st.integers(min_value=-(10**300), max_value=10**300)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.integers(min_value=-3, max_value=70_000)
    | st.floats(min_value=-3, max_value=5)
)
json_values = st.recursive(
    st.none() | st.booleans() | numbers | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4),
    max_leaves=12,
)


def fields_dict(specs: tuple[FieldSpec, ...]) -> st.SearchStrategy[dict[str, Any]]:
    names = st.sampled_from([spec.name for spec in specs]) | st.text(max_size=12)
    return st.dictionaries(names, json_values, max_size=len(specs))


def assert_valid(values: object, specs: tuple[FieldSpec, ...]) -> None:
    assert dataclasses.is_dataclass(values)
    for spec in specs:
        value = getattr(values, spec.name)
        assert spec.check(value) is None, (spec.name, value)
        expected = float if spec.kind == "float" else int
        assert value is None or type(value) is expected, (spec.name, value)


@FUZZ
@given(fields_dict(SAMPLING_FIELDS))
def test_sampling_from_any_dict_is_valid_or_names_the_bad_fields(values: dict[str, Any]) -> None:
    try:
        parsed = sampling_from_dict(values)
    except SettingsError as error:
        assert error.errors and set(error.errors) <= set(values)
        return
    assert_valid(parsed, SAMPLING_FIELDS)


@FUZZ
@given(fields_dict(RUNTIME_FIELDS))
def test_runtime_from_any_dict_is_valid_or_names_the_bad_fields(values: dict[str, Any]) -> None:
    try:
        parsed = runtime_from_dict(values)
    except SettingsError as error:
        assert error.errors and set(error.errors) <= set(values)
        return
    assert_valid(parsed, RUNTIME_FIELDS)


def outside(spec: FieldSpec) -> st.SearchStrategy[float]:
    above = st.floats(min_value=spec.maximum, exclude_min=True, allow_nan=False)
    below = st.floats(max_value=spec.minimum, exclude_max=True, allow_nan=False)
    whole = st.integers(min_value=int(spec.maximum) + 1, max_value=10**300) | st.integers(
        max_value=int(spec.minimum) - 1, min_value=-(10**300))
    return above | below | whole


@FUZZ
@given(st.data())
def test_every_out_of_range_value_is_a_settings_error_for_its_field(data: st.DataObject) -> None:
    spec = data.draw(st.sampled_from([*SAMPLING_FIELDS, *RUNTIME_FIELDS]))
    value = data.draw(outside(spec))
    parse = sampling_from_dict if spec in SAMPLING_FIELDS else runtime_from_dict
    with pytest.raises(SettingsError) as refused:
        parse({spec.name: value})
    assert list(refused.value.errors) == [spec.name]


@FUZZ
@given(st.data())
def test_every_in_range_value_is_kept(data: st.DataObject) -> None:
    spec = data.draw(st.sampled_from([*SAMPLING_FIELDS, *RUNTIME_FIELDS]))
    if spec.choices:
        value: float = data.draw(st.sampled_from(spec.choices))
    elif spec.kind == "int":
        value = data.draw(st.integers(int(spec.minimum), int(spec.maximum)))
    else:
        value = data.draw(st.floats(spec.minimum, spec.maximum))
    parse = sampling_from_dict if spec in SAMPLING_FIELDS else runtime_from_dict
    assert getattr(parse({spec.name: value}), spec.name) == value


chat_overrides = st.fixed_dictionaries(
    {},
    optional={
        "system_prompt": st.text(max_size=40) | json_values,
        "sampling": fields_dict(SAMPLING_FIELDS) | json_values,
        "context_policy": st.sampled_from([p.value for p in ContextPolicy]) | json_values,
    },
)


@FUZZ
@given(chat_overrides)
def test_chat_overrides_give_chat_settings_or_a_settings_error(overrides: dict[str, Any]) -> None:
    try:
        chat = ChatSettings().with_overrides(overrides)
    except SettingsError as error:
        assert error.errors
        return
    assert isinstance(chat.system_prompt, str) and isinstance(chat.context_policy, ContextPolicy)
    assert_valid(chat.sampling, SAMPLING_FIELDS)
    # What a chat stores round-trips through JSON to the same settings.
    stored = json.loads(json.dumps(chat.overrides_from(ChatSettings())))
    assert ChatSettings().with_overrides(stored) == chat


config_documents = st.fixed_dictionaries(
    {},
    optional={
        "version": st.integers(0, 3) | json_values,
        "chat_defaults": chat_overrides | json_values,
        "runtime": fields_dict(RUNTIME_FIELDS) | json_values,
        "default_model": st.text(max_size=20) | json_values,
        "measured_threads": st.integers(-2, 64) | json_values,  # older files: ignored now
        "user_presets": st.dictionaries(st.text(max_size=8), fields_dict(SAMPLING_FIELDS)
                                        | json_values, max_size=3) | json_values,
        # the version 0 shape, flat
        "system_prompt": json_values, "n_ctx": json_values, "model": json_values,
        "presets": json_values,
    },
)


def assert_config(config: AppConfig) -> None:
    assert_valid(config.runtime, RUNTIME_FIELDS)
    assert_valid(config.chat_defaults.sampling, SAMPLING_FIELDS)
    for preset in config.user_presets.values():
        assert_valid(preset, SAMPLING_FIELDS)
    assert config.default_model is None or isinstance(config.default_model, str)
    assert AppConfig.from_json(config.to_json()) == config  # what is saved reads back the same


@FUZZ
@given(st.text(max_size=200) | config_documents.map(json.dumps))
@example("[" * 100_000)  # nesting deeper than the JSON parser's recursion
@example('{"n_ctx": ' + "9" * 5_000 + "}")  # more digits than Python converts
@example('{"measured_threads": true}')
@example('{"chat_defaults": {"sampling": {"temperature": NaN}}}')
def test_any_settings_text_is_read_or_refused_with_a_settings_error(text: str) -> None:
    try:
        config = AppConfig.from_json(text)
    except SettingsError as error:
        assert error.errors
        return
    assert_config(config)


@FUZZ
@given(content=st.binary(max_size=300))
def test_a_settings_file_of_any_bytes_loads_or_is_set_aside_with_a_notice(
    content: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    loaded = load_config(path)
    if loaded.notice is None:
        assert path.read_bytes() == content
        assert_config(loaded.config)
    else:
        assert loaded.config == AppConfig()
        assert path.with_name("settings.json.broken").read_bytes() == content
        path.with_name("settings.json.broken").unlink()


@pytest.mark.parametrize("name", ["top_k", "n_ctx"])
def test_a_whole_number_beyond_floats_is_a_settings_error(name: str) -> None:
    parse = sampling_from_dict if name == "top_k" else runtime_from_dict
    with pytest.raises(SettingsError):
        parse({name: 10**400})


def test_settings_from_version_0_are_migrated() -> None:
    """Version 0: no "version", flat chat and runtime fields, "model" and "presets"."""
    old = {
        "system_prompt": "Answer in French.",
        "sampling": {"temperature": 0.3, "top_k": 12},
        "context_policy": "keep_first",
        "n_ctx": 8192,
        "n_threads": 2,
        "model": "/models/old.gguf",
        "presets": {"Mine": {"temperature": 1.3}},
        "measured_threads": 3,
    }
    config = AppConfig.from_json(json.dumps(old))
    assert config == AppConfig(
        chat_defaults=ChatSettings(
            system_prompt="Answer in French.",
            sampling=SamplingSettings(temperature=0.3, top_k=12),
            context_policy=ContextPolicy.KEEP_FIRST,
        ),
        runtime=RuntimeSettings(n_ctx=8192, n_threads=2),
        default_model="/models/old.gguf",
        user_presets={"Mine": SamplingSettings(temperature=1.3)},
    )
    assert json.loads(config.to_json())["version"] == 1  # saved in today's shape
    # A bad value in the old shape is refused like one in today's.
    with pytest.raises(SettingsError, match="Context length"):
        AppConfig.from_json(json.dumps({**old, "n_ctx": 5}))
