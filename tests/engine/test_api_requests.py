"""Request checks, the job queue and the API settings, without a model: what is refused."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from engine.api.access import is_loopback, new_token, token_matches
from engine.api.errors import ApiError
from engine.api.jobs import ApiJob, ApiService, Failed
from engine.api.requests import parse_chat, parse_completion, parse_embeddings
from engine.chat.prompt import ChatMessage
from engine.config import ApiSettings, AppConfig
from engine.errors import SettingsError
from engine.settings import SamplingSettings

DEFAULTS = SamplingSettings(temperature=0.5, max_tokens=100)


def chat(**fields: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": "Hi"}], **fields}


def refused(body: dict[str, Any]) -> ApiError:
    with pytest.raises(ApiError) as caught:
        parse_chat(body, DEFAULTS)
    return caught.value


def test_sampling_fields_map_onto_hearths_settings() -> None:
    request = parse_chat(chat(temperature=1.2, top_p=0.5, top_k=7, min_p=0.1, seed=9,
                              max_tokens=12, frequency_penalty=0.5, presence_penalty=-1,
                              repeat_penalty=1.2, mirostat=2, repeat_last_n=32, stop="END",
                              stream=True, stream_options={"include_usage": True}), DEFAULTS)
    sampling = request.generation.sampling
    assert (sampling.temperature, sampling.top_p, sampling.top_k, sampling.min_p) == (
        1.2, 0.5, 7, 0.1)
    assert (sampling.seed, sampling.max_tokens, sampling.mirostat_mode,
            sampling.penalty_last_n) == (9, 12, 2, 32)
    assert request.generation.stop == ("END",)
    assert request.generation.stream and request.generation.include_usage
    assert request.messages == (ChatMessage("user", "Hi"),)


def test_fields_left_out_keep_the_apps_defaults_but_the_loop_guard() -> None:
    sampling = parse_chat(chat(), DEFAULTS).generation.sampling
    assert sampling == dataclasses.replace(DEFAULTS, loop_guard=0)  # off unless asked for


@pytest.mark.parametrize(("value", "window"), [(True, 48), (False, 0), (64, 64), (0, 0)])
def test_the_loop_guard_applies_when_a_request_asks(value: object, window: int) -> None:
    assert parse_chat(chat(loop_guard=value), DEFAULTS).generation.sampling.loop_guard == window
    assert parse_completion({"prompt": "Hi", "loop_guard": value},
                            DEFAULTS).generation.sampling.loop_guard == window


@pytest.mark.parametrize("value", [-1, 5000, 2.5, "yes"])
def test_a_loop_guard_out_of_range_is_refused_by_name(value: object) -> None:
    error = refused(chat(loop_guard=value))
    assert (error.status, error.param) == (400, "loop_guard")


@pytest.mark.parametrize("value", [0, 5, 2.0, True, "2"])
def test_n_outside_one_to_four_is_refused_by_name(value: object) -> None:
    error = refused(chat(n=value))
    assert (error.status, error.param) == (400, "n")


def test_n_asks_for_that_many_choices() -> None:
    assert parse_chat(chat(n=3), DEFAULTS).generation.choices == 3
    assert parse_chat(chat(), DEFAULTS).generation.choices == 1


def test_max_completion_tokens_wins_over_max_tokens() -> None:
    request = parse_chat(chat(max_tokens=50, max_completion_tokens=7), DEFAULTS)
    assert request.generation.sampling.max_tokens == 7


@pytest.mark.parametrize(("field", "value", "says"), [
    ("temperature", 3, "between 0 and 2"),
    ("top_p", -0.1, "between 0 and 1"),
    ("top_k", 1.5, "whole number"),
    ("seed", -1, "between 0"),
    ("max_tokens", 0, "between 1"),
    ("presence_penalty", "high", "number"),
    ("mirostat_mode", 3, "one of 0, 1, 2"),
])
def test_out_of_range_values_name_their_field(field: str, value: object, says: str) -> None:
    error = refused(chat(**{field: value}))
    assert error.status == 400 and error.param == field
    assert says in error.message


@pytest.mark.parametrize(("body", "param"), [
    (chat(functions=[{"name": "f"}]), "functions"),
    (chat(response_format={"type": "json_schema", "json_schema": {
        "schema": {"type": "integer", "minimum": 0}}}), "response_format.json_schema.schema"),
    (chat(messages=[{"role": "user", "content": [{"type": "image_url"}]}]),
     "messages[0].content"),
    (chat(messages=[{"role": "function", "content": "x"}]), "messages[0].role"),
])
def test_features_hearth_lacks_are_refused_by_name(body: dict[str, Any], param: str) -> None:
    error = refused(body)
    assert error.status == 400 and error.param == param
    assert error.code == "unsupported_parameter"


def test_response_formats_become_grammars() -> None:
    assert parse_chat(chat(response_format={"type": "text"}), DEFAULTS).generation.grammar == ""
    json_object = parse_chat(chat(response_format={"type": "json_object"}), DEFAULTS)
    assert json_object.generation.grammar.lstrip().startswith("root")
    schema = {"type": "object", "title": "Person", "additionalProperties": False,
              "properties": {"name": {"type": "string", "description": "Full name"},
                             "age": {"type": "integer"}},
              "required": ["name", "age"]}
    request = parse_chat(chat(response_format={"type": "json_schema", "json_schema": {
        "name": "person", "schema": schema, "strict": True}}), DEFAULTS)
    assert '"\\"name\\""' in request.generation.grammar
    completion = parse_completion({"prompt": "x", "response_format": {"type": "json_object"}},
                                  DEFAULTS)
    assert completion.generation.grammar


def test_schema_strings_never_hold_a_raw_control_character_or_quote() -> None:
    grammar = parse_chat(chat(response_format={"type": "json_schema", "json_schema": {
        "schema": {"type": "object", "properties": {
            "a": {"type": "string"}, "b": {"type": "string", "pattern": "^x.y$"}}}}}),
        DEFAULTS).generation.grammar
    rules = dict(line.split(" ::= ", 1) for line in grammar.splitlines())
    assert rules["char"].startswith(r'[^"\\\x7F\x00-\x1F]')
    assert rules["dot"] == r'[^"\\\x7F\x00-\x1F]'


@pytest.mark.parametrize(("schema", "keyword"), [
    ({"type": "integer", "minimum": 3}, "minimum"),
    ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, "oneOf"),
    ({"type": "array", "items": {"type": "string"}, "uniqueItems": True}, "uniqueItems"),
    ({"type": "string", "format": "email"}, "format"),
    ({"type": "string", "pattern": "^a+$", "maxLength": 3}, "maxLength"),
    ({"type": "object", "properties": {"a": {"type": "number", "multipleOf": 2}}},
     "multipleOf"),
    ({"allOf": [{"type": "string"}]}, "allOf"),
    ({"$ref": "https://example.com/schema.json"}, "$ref"),
])
def test_schema_keywords_the_grammar_cannot_enforce_are_refused_by_name(
    schema: dict[str, Any], keyword: str
) -> None:
    error = refused(chat(response_format={"type": "json_schema",
                                          "json_schema": {"schema": schema}}))
    assert error.status == 400 and error.code == "unsupported_parameter"
    assert f"'{keyword}'" in error.message


@pytest.mark.parametrize("response_format", [
    "json", {"type": "yaml"}, {"type": "json_schema"}, {"type": "json_schema",
                                                         "json_schema": {"schema": []}},
])
def test_malformed_response_formats_are_refused(response_format: object) -> None:
    error = refused(chat(response_format=response_format))
    assert error.status == 400 and (error.param or "").startswith("response_format")


def test_logprobs_are_asked_as_openai_names_them() -> None:
    assert parse_chat(chat(), DEFAULTS).generation.logprobs is None
    assert parse_chat(chat(logprobs=True), DEFAULTS).generation.logprobs == 0
    assert parse_chat(chat(logprobs=True, top_logprobs=5), DEFAULTS).generation.logprobs == 5
    assert parse_chat(chat(logprobs=False), DEFAULTS).generation.logprobs is None
    assert refused(chat(top_logprobs=3)).param == "top_logprobs"
    assert refused(chat(logprobs=True, top_logprobs=21)).param == "top_logprobs"
    assert refused(chat(logprobs=2)).param == "logprobs"
    completion = parse_completion({"prompt": "x", "logprobs": 3}, DEFAULTS)
    assert completion.generation.logprobs == 3
    with pytest.raises(ApiError):
        parse_completion({"prompt": "x", "logprobs": True}, DEFAULTS)


@pytest.mark.parametrize("messages", [[], "Hi", [{"role": "user"}], [{"role": "boss",
                                                                       "content": "x"}]])
def test_malformed_messages_are_refused(messages: object) -> None:
    param = refused(chat(messages=messages)).param
    assert param is not None and param.startswith("messages")


def test_text_parts_and_developer_messages_are_read() -> None:
    request = parse_chat(chat(messages=[
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text",
                                                                     "text": "b"}]},
    ]), DEFAULTS)
    assert request.messages == (ChatMessage("system", "Be brief."), ChatMessage("user", "a\nb"))


def test_completion_and_embedding_bodies() -> None:
    assert parse_completion({"prompt": ["Once"]}, DEFAULTS).prompt == "Once"
    with pytest.raises(ApiError, match="token ids"):
        parse_completion({"prompt": [1, 2]}, DEFAULTS)
    embedding = parse_embeddings({"input": ["a", "b"], "encoding_format": "base64"})
    assert embedding.inputs == ("a", "b") and embedding.base64
    with pytest.raises(ApiError) as caught:
        parse_embeddings({"input": ["a", ""]})
    assert caught.value.param == "input"


def test_tokens_are_random_and_compared_exactly() -> None:
    token = new_token()
    assert token != new_token() and len(token) > 40
    assert token_matches(f"Bearer {token}", token)
    assert token_matches(f"bearer {token}", token)
    assert not token_matches(f"Bearer {token[:-1]}", token)
    assert not token_matches(token, token)
    assert not token_matches(None, token)


def test_only_loopback_addresses_count_as_this_computer() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.168.1.5", "::", "example.org"]))


def job() -> ApiJob:
    return ApiJob(parse_chat(chat(), DEFAULTS), "/v1/chat/completions", "127.0.0.1")


def test_the_queue_is_first_in_first_out_and_bounded() -> None:
    woken: list[int] = []
    service = ApiService(max_waiting=2, notify=lambda: woken.append(1))
    first, second = job(), job()
    service.submit(first)
    service.submit(second)
    with pytest.raises(ApiError) as full:
        service.submit(job())
    assert full.value.status == 429 and int(full.value.headers["Retry-After"]) >= 1
    assert len(woken) == 2
    second_gone, third = second, job()
    second_gone.cancel.set()  # its client left while it waited: it is skipped
    assert service.take() is first
    service.submit(third)
    assert service.take() is third
    assert service.take() is None
    assert service.recent[-1].outcome == "cancelled"


def test_closing_fails_the_waiting_jobs() -> None:
    service = ApiService()
    waiting = job()
    service.submit(waiting)
    service.close()
    output = waiting.next_output(1)
    assert isinstance(output, Failed) and output.error.status == 503
    with pytest.raises(ApiError) as refused_job:
        service.submit(job())
    assert refused_job.value.status == 503


def test_api_settings_round_trip_and_default_to_off() -> None:
    assert AppConfig.from_json('{"version": 1}').api == ApiSettings(enabled=False,
                                                                     host="127.0.0.1",
                                                                     port=8484, token=None)
    config = AppConfig(api=ApiSettings(enabled=True, host="0.0.0.0", port=9000,
                                       token=new_token()))
    assert AppConfig.from_json(config.to_json()) == config


@pytest.mark.parametrize(("api", "field"), [
    ({"enabled": "yes"}, "api.enabled"),
    ({"port": 0}, "api.port"),
    ({"port": True}, "api.port"),
    ({"host": "a b"}, "api.host"),
    ({"host": ""}, "api.host"),
    ({"token": "short"}, "api.token"),
    ({"token": "x" * 20 + " "}, "api.token"),
])
def test_bad_api_settings_are_refused_by_name(api: dict[str, Any], field: str) -> None:
    with pytest.raises(SettingsError) as caught:
        AppConfig.from_json(json.dumps({"version": 1, "api": api}))
    assert field in caught.value.errors
