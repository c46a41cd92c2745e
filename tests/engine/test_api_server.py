"""The local API as a program would use it: OpenAI's own Python client against the real server
on 127.0.0.1, answering with the bundled model; raw HTTP for what a client library never sends.
"""

from __future__ import annotations

import http.client
import json
import math
import socket
import threading
import time
from pathlib import Path
from typing import Any

import openai
import pytest

from engine.api import responses
from engine.api.local import LocalServer
from engine.settings import RuntimeSettings
from tests.conftest import TEST_THREADS, wait_for
from tests.engine.conftest import API_MAX_WAITING

MAX_WAITING = API_MAX_WAITING


@pytest.fixture(scope="module")
def server(local_api: LocalServer) -> LocalServer:
    """The shared API server (tests/engine/conftest.py), for raw HTTP as well."""
    return local_api


def ask(client: openai.OpenAI, model: str, text: str, **kwargs: Any) -> Any:
    return client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": text}], **kwargs
    )


def raw(server: LocalServer, method: str, path: str, body: bytes | None = None,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    connection = http.client.HTTPConnection("127.0.0.1", server.server.port, timeout=60)
    try:
        sent = {"Authorization": f"Bearer {server.token}", **(headers or {})}
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        data = response.read()
        return response.status, dict(response.getheaders()), json.loads(data) if data else None
    finally:
        connection.close()


def test_models_lists_the_loaded_model(client: openai.OpenAI, model_id: str) -> None:
    models = client.models.list().data
    assert [m.id for m in models] == [model_id]
    assert models[0].owned_by == "hearth"
    assert client.models.retrieve(model_id).id == model_id


def test_a_chat_completion_answers_with_usage(client: openai.OpenAI, model_id: str) -> None:
    reply = client.chat.completions.create(model=model_id, temperature=0, max_tokens=24,
                                           messages=[
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "What is the capital of France?"},
    ])
    choice = reply.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content is not None and "Paris" in choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert reply.model == model_id and reply.object == "chat.completion"
    usage = reply.usage
    assert usage is not None
    assert usage.prompt_tokens > 5
    assert 0 < usage.completion_tokens <= 24
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_streaming_sends_the_same_text_as_events(client: openai.OpenAI, model_id: str) -> None:
    kwargs: dict[str, Any] = {"seed": 5, "temperature": 0.8, "max_tokens": 20}
    whole = ask(client, model_id, "Describe the sea.", **kwargs)
    chunks = list(ask(client, model_id, "Describe the sea.", stream=True,
                      stream_options={"include_usage": True}, **kwargs))
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    finals = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finals[-1] == whole.choices[0].finish_reason and not any(finals[:-1])
    assert chunks[-1].choices == [] and chunks[-1].usage == whole.usage
    assert all(c.usage is None for c in chunks[:-1])
    assert len({c.id for c in chunks}) == 1


def test_the_same_seed_gives_the_same_text(client: openai.OpenAI, model_id: str) -> None:
    kwargs: dict[str, Any] = {"seed": 1234, "temperature": 1.0, "max_tokens": 24}
    first = ask(client, model_id, "Invent a name for a dragon.", **kwargs)
    ask(client, model_id, "Something else entirely, to move the cache.", max_tokens=4)
    second = ask(client, model_id, "Invent a name for a dragon.", **kwargs)
    assert first.choices[0].message.content == second.choices[0].message.content
    others = {ask(client, model_id, "Invent a name for a dragon.", seed=seed, temperature=1.0,
                  max_tokens=24).choices[0].message.content for seed in (1, 2)}
    assert others != {first.choices[0].message.content}


def test_max_tokens_ends_with_finish_reason_length(client: openai.OpenAI,
                                                  model_id: str) -> None:
    reply = ask(client, model_id, "Count to one hundred.", max_completion_tokens=5,
                extra_body={"ignore_eos": True})
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == 5


def test_a_stop_string_cuts_the_text(client: openai.OpenAI, model_id: str) -> None:
    prompt = "Monday, Tuesday, Wednesday,"
    free = client.completions.create(model=model_id, prompt=prompt, temperature=0,
                                     max_tokens=16, extra_body={"ignore_eos": True})
    text = free.choices[0].text
    stop = text[len(text) // 2:][:4]  # four characters from the middle of what it writes
    stopped = client.completions.create(model=model_id, prompt=prompt, temperature=0,
                                        max_tokens=16, stop=[stop, "never written"])
    assert stopped.choices[0].text == text[: text.index(stop)]
    assert stopped.choices[0].finish_reason == "stop"


def test_completions_continue_raw_text(client: openai.OpenAI, model_id: str) -> None:
    reply = client.completions.create(model=model_id, prompt="The capital of France is",
                                      temperature=0, max_tokens=4)
    assert "Paris" in reply.choices[0].text
    assert reply.object == "text_completion"
    streamed = list(client.completions.create(model=model_id, prompt="The capital of France is",
                                               temperature=0, max_tokens=4, stream=True))
    assert "".join(c.choices[0].text for c in streamed) == reply.choices[0].text


# Small on purpose: 50 answers must come back in well under a minute on two shared cores.
RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Record",
    "properties": {
        "name": {"type": "string", "maxLength": 10, "description": "A short name"},
        "count": {"type": "integer"},
        "score": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
        "done": {"type": "boolean"},
        "kind": {"enum": ["animal", "place", "thing"]},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 8}, "maxItems": 1},
    },
    "required": ["name", "count", "score", "done", "kind", "tags"],
    "additionalProperties": False,
}
SUBJECTS = ("a cat", "Paris", "a hammer", "the Moon", "a dolphin", "Tokyo", "a violin",
            "a volcano", "an owl", "a bicycle")
ASKS = ("Describe {} as JSON.", "Give me a record about {}.", "Fill in the fields for {}.",
        "Write one JSON record for {}, with tags.", "{}: name it, count it and date it.")


def _check_record(record: object) -> None:
    """What jsonschema would check of RECORD_SCHEMA, by hand (jsonschema is not installed)."""
    assert isinstance(record, dict) and set(record) == set(RECORD_SCHEMA["required"])
    assert isinstance(record["name"], str) and len(record["name"]) <= 10
    assert isinstance(record["count"], int) and not isinstance(record["count"], bool)
    assert record["score"] is None or (isinstance(record["score"], int)
                                       and not isinstance(record["score"], bool))
    assert isinstance(record["done"], bool)
    assert record["kind"] in ("animal", "place", "thing")
    tags = record["tags"]
    assert isinstance(tags, list) and len(tags) <= 1
    assert all(isinstance(tag, str) and len(tag) <= 8 for tag in tags)


@pytest.mark.timeout(600)
def test_json_schema_answers_always_parse_and_validate(bundled_model: Path) -> None:
    """Four clients at once, so the answers are decoded side by side in shared batches, each
    sequence under its own grammar (no seed of their own: a seeded request is decoded alone)."""
    with LocalServer(bundled_model, runtime=RuntimeSettings(n_ctx=2048), n_threads=TEST_THREADS,
                     max_waiting=4) as server:
        assert server.loaded is not None
        _fifty_records_from_four_clients(
            openai.OpenAI(base_url=server.url, api_key=server.token, max_retries=0,
                          timeout=120), server.loaded.name)


def _fifty_records_from_four_clients(client: openai.OpenAI, model_id: str) -> None:
    response_format: Any = {"type": "json_schema", "json_schema": {
        "name": "record", "schema": RECORD_SCHEMA, "strict": True}}
    prompts = [ask_.format(subject) for ask_ in ASKS for subject in SUBJECTS]
    assert len(prompts) == 50
    answers: dict[int, Any] = {}

    def client_thread(first: int) -> None:
        for index in range(first, len(prompts), 4):
            answers[index] = ask(client, model_id, prompts[index],
                                 response_format=response_format, max_tokens=120,
                                 temperature=0.2 * (index % 6))

    started = time.perf_counter()
    threads = [threading.Thread(target=client_thread, args=(first,)) for first in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == list(range(50)), "a client's request failed (its error above)"
    for reply in answers.values():
        choice = reply.choices[0]
        assert choice.finish_reason == "stop", choice.message.content
        assert choice.message.content is not None
        _check_record(json.loads(choice.message.content))
    print(f"50 json_schema answers in {time.perf_counter() - started:.1f} s")


def test_json_mode_answers_an_object_and_a_cut_answer_says_length(client: openai.OpenAI,
                                                                  model_id: str) -> None:
    reply = ask(client, model_id, "List three colours as JSON.", max_tokens=200, temperature=0,
                response_format={"type": "json_object"})
    assert reply.choices[0].finish_reason == "stop"
    assert isinstance(json.loads(reply.choices[0].message.content or ""), dict)
    cut = ask(client, model_id, "List three colours as JSON.", max_tokens=3, temperature=0,
              response_format={"type": "json_object"})
    assert cut.choices[0].finish_reason == "length" and cut.usage is not None
    assert cut.usage.completion_tokens == 3
    assert (cut.choices[0].message.content or "").lstrip().startswith("{")
    streamed = list(ask(client, model_id, "Describe a cat.", max_tokens=200, temperature=0,
                        stream=True, response_format={"type": "json_schema", "json_schema": {
                            "name": "record", "schema": RECORD_SCHEMA}}))
    text = "".join(chunk.choices[0].delta.content or "" for chunk in streamed if chunk.choices)
    _check_record(json.loads(text))


def test_a_schema_keyword_the_grammar_cannot_enforce_is_refused(client: openai.OpenAI,
                                                                model_id: str) -> None:
    schema = {"type": "object", "properties": {"age": {"type": "integer", "minimum": 0}}}
    with pytest.raises(openai.BadRequestError) as refused:
        ask(client, model_id, "Hi", response_format={
            "type": "json_schema", "json_schema": {"name": "x", "schema": schema}})
    assert "'minimum'" in str(refused.value) and refused.value.status_code == 400


def _check_greedy_entries(entries: list[Any], top: int) -> None:
    for entry in entries:
        assert entry.logprob <= 0
        values = [alternative.logprob for alternative in entry.top_logprobs]
        assert len(values) == top and values == sorted(values, reverse=True)
        # Greedy without penalties: the chosen token is the likeliest one.
        assert entry.top_logprobs[0].bytes == entry.bytes
        assert entry.top_logprobs[0].logprob == pytest.approx(entry.logprob)


def test_chat_logprobs_follow_the_chosen_tokens(client: openai.OpenAI, model_id: str) -> None:
    options: Any = {"temperature": 0, "max_tokens": 24, "logprobs": True, "top_logprobs": 5,
                    "extra_body": {"repeat_penalty": 1.0}}
    reply = ask(client, model_id, "Name three fruits.", **options)
    choice = reply.choices[0]
    assert choice.logprobs is not None and choice.logprobs.content is not None
    entries = choice.logprobs.content
    assert reply.usage is not None and len(entries) == reply.usage.completion_tokens
    _check_greedy_entries(entries, 5)
    assert b"".join(bytes(entry.bytes) for entry in entries).decode() == (
        choice.message.content)

    streamed = list(ask(client, model_id, "Name three fruits.", stream=True,
                        stream_options={"include_usage": True}, **options))
    tokens = [entry for chunk in streamed if chunk.choices and chunk.choices[0].logprobs
              for entry in chunk.choices[0].logprobs.content or []]
    assert streamed[-1].usage is not None
    assert len(tokens) == streamed[-1].usage.completion_tokens == len(entries)
    assert [t.logprob for t in tokens] == pytest.approx([e.logprob for e in entries], abs=1e-4)
    _check_greedy_entries(tokens, 5)

    plain = ask(client, model_id, "Name three fruits.", temperature=0, max_tokens=4)
    assert plain.choices[0].logprobs is None


def test_n_choices_are_written_side_by_side_each_with_its_own_text(
    client: openai.OpenAI, model_id: str
) -> None:
    """n=3 with one seed: three different replies to one prompt read once, each with its own
    finish reason and log-probabilities, usage counting them all; streamed, every chunk names
    its choice and each choice ends once."""
    options: Any = {"temperature": 1.0, "seed": 11, "max_tokens": 24, "n": 3, "logprobs": True}
    reply = ask(client, model_id, "Name a fruit and say why you like it.", **options)
    assert [choice.index for choice in reply.choices] == [0, 1, 2]
    texts = [choice.message.content or "" for choice in reply.choices]
    assert all(text.strip() for text in texts) and len(set(texts)) == 3, texts
    counts = []
    for choice in reply.choices:
        assert choice.finish_reason in ("stop", "length")
        assert choice.logprobs is not None and choice.logprobs.content is not None
        counts.append(len(choice.logprobs.content))
        assert b"".join(bytes(e.bytes) for e in choice.logprobs.content).decode() == (
            choice.message.content)
    assert reply.usage is not None and reply.usage.completion_tokens == sum(counts)

    streamed = list(ask(client, model_id, "Name a fruit and say why you like it.", stream=True,
                        **options))
    pieces: dict[int, str] = {0: "", 1: "", 2: ""}
    ends: dict[int, list[str]] = {0: [], 1: [], 2: []}
    for chunk in streamed:
        for choice in chunk.choices:
            pieces[choice.index] += choice.delta.content or ""
            if choice.finish_reason is not None:
                ends[choice.index].append(choice.finish_reason)
    assert all(len(reasons) == 1 for reasons in ends.values()), ends
    assert all(text.strip() for text in pieces.values()) and len(set(pieces.values())) == 3

    completion = client.completions.create(model=model_id, prompt="My favourite fruit is",
                                           n=2, max_tokens=8, temperature=1.0, seed=3)
    assert [choice.index for choice in completion.choices] == [0, 1]
    assert all(choice.text for choice in completion.choices)


def test_more_choices_than_the_engine_writes_at_once_are_refused_by_name(
    server: LocalServer, model_id: str
) -> None:
    body = json.dumps({"model": model_id, "n": 5,
                       "messages": [{"role": "user", "content": "Hi"}]}).encode()
    status, _, answer = raw(server, "POST", "/v1/chat/completions", body,
                            {"Content-Type": "application/json"})
    assert status == 400 and answer["error"]["param"] == "n"
    assert "from 1 to 4" in answer["error"]["message"]


def test_completion_logprobs_in_the_legacy_shape(client: openai.OpenAI, model_id: str) -> None:
    options: Any = {"temperature": 0, "max_tokens": 8, "logprobs": 3,
                    "extra_body": {"repeat_penalty": 1.0, "ignore_eos": True}}
    reply = client.completions.create(model=model_id, prompt="The capital of France is",
                                      **options)
    logprobs = reply.choices[0].logprobs
    assert logprobs is not None and reply.usage is not None
    assert logprobs.tokens is not None and logprobs.token_logprobs is not None
    assert logprobs.top_logprobs is not None and logprobs.text_offset is not None
    assert len(logprobs.tokens) == reply.usage.completion_tokens == 8
    assert "".join(logprobs.tokens) == reply.choices[0].text
    assert all(value <= 0 for value in logprobs.token_logprobs)
    for token, value, top in zip(logprobs.tokens, logprobs.token_logprobs,
                                 logprobs.top_logprobs, strict=True):
        assert len(top) <= 3 and max(top.values()) == pytest.approx(value)
        assert top[token] == pytest.approx(value)
    assert logprobs.text_offset == sorted(logprobs.text_offset)
    streamed = list(client.completions.create(model=model_id, prompt="The capital of France is",
                                               stream=True, **options))
    tokens = [token for chunk in streamed if chunk.choices[0].logprobs
              for token in chunk.choices[0].logprobs.tokens or []]
    offsets = [offset for chunk in streamed if chunk.choices[0].logprobs
               for offset in chunk.choices[0].logprobs.text_offset or []]
    assert tokens == logprobs.tokens and offsets == logprobs.text_offset


def test_embeddings_are_unit_vectors_one_per_input(client: openai.OpenAI,
                                                   model_id: str) -> None:
    result = client.embeddings.create(model=model_id, input=["a red apple", "the stock market"])
    vectors = [item.embedding for item in result.data]
    assert [item.index for item in result.data] == [0, 1]
    assert len(vectors[0]) == len(vectors[1]) == 576  # SmolLM2-135M's embedding width
    assert all(math.isclose(math.fsum(x * x for x in v), 1.0, rel_tol=1e-4) for v in vectors)
    assert result.usage.prompt_tokens >= 4
    as_floats = client.embeddings.create(model=model_id, input="a red apple",
                                         encoding_format="float")
    assert as_floats.data[0].embedding == pytest.approx(vectors[0], abs=1e-6)


def test_a_wrong_token_is_refused(server: LocalServer, model_id: str) -> None:
    stranger = openai.OpenAI(base_url=server.url, api_key="hearth-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as refused:
        ask(stranger, model_id, "Hello")
    assert refused.value.status_code == 401
    status, headers, body = raw(server, "GET", "/v1/models", headers={"Authorization": ""})
    assert status == 401 and headers["WWW-Authenticate"] == "Bearer"
    assert body["error"]["type"] == "authentication_error"


def test_bad_requests_get_openai_errors_with_the_right_status(server: LocalServer,
                                                             model_id: str) -> None:
    status, _, body = raw(server, "POST", "/v1/chat/completions", b'{"messages": [',
                          {"Content-Type": "application/json"})
    assert status == 400 and body["error"]["code"] == "invalid_json"
    assert set(body["error"]) == {"message", "type", "param", "code"}

    status, _, body = raw(server, "POST", "/v1/chat/completions", json.dumps(
        {"model": model_id, "messages": [{"role": "user", "content": "Hi"}],
         "temperature": 7}).encode())
    assert status == 400 and body["error"]["param"] == "temperature"
    assert "between 0 and 2" in body["error"]["message"]

    status, _, body = raw(server, "POST", "/v1/chat/completions", json.dumps(
        {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}).encode())
    assert status == 404 and model_id in body["error"]["message"]

    status, _, body = raw(server, "GET", "/v1/nowhere")
    assert status == 404 and body["error"]["code"] == "unknown_url"
    status, headers, _ = raw(server, "GET", "/v1/chat/completions")
    assert status == 405 and headers["Allow"] == "POST"


def test_an_oversized_body_is_refused_before_it_is_sent(server: LocalServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.server.port, timeout=10)
    try:
        connection.putrequest("POST", "/v1/chat/completions")
        connection.putheader("Authorization", f"Bearer {server.token}")
        connection.putheader("Content-Length", str(64 * 1024 * 1024))
        connection.endheaders()  # not one byte of the 64 MiB follows
        response = connection.getresponse()
        body = json.loads(response.read())
    finally:
        connection.close()
    assert response.status == 413
    assert body["error"]["code"] == "request_too_large"


def stream_raw(server: LocalServer, payload: dict[str, Any]
               ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    connection = http.client.HTTPConnection("127.0.0.1", server.server.port, timeout=60)
    connection.request("POST", "/v1/chat/completions", body=json.dumps(payload).encode(),
                       headers={"Authorization": f"Bearer {server.token}"})
    response = connection.getresponse()
    assert response.status == 200
    return connection, response


def next_event(response: http.client.HTTPResponse) -> dict[str, Any] | None:
    while True:
        line = response.readline()
        assert line, "the stream ended early"
        if line.startswith(b"data: "):
            data = line[len(b"data: "):].strip()
            return None if data == b"[DONE]" else json.loads(data)


def test_two_clients_are_served_in_turn(server: LocalServer, client: openai.OpenAI,
                                        model_id: str) -> None:
    questions = {"a": "Name three colours.", "b": "Name three animals."}
    events: list[tuple[str, str]] = []
    texts: dict[str, str] = {}
    streaming = threading.Event()

    def talk(name: str) -> None:
        stream = ask(client, model_id, questions[name], seed=3, temperature=0.7, max_tokens=24,
                     stream=True, extra_body={"ignore_eos": True})
        parts = []
        for chunk in stream:
            content = chunk.choices[0].delta.content if chunk.choices else None
            if content:
                events.append((name, content))
                parts.append(content)
                streaming.set()
        texts[name] = "".join(parts)

    threads = [threading.Thread(target=talk, args=(name,)) for name in questions]
    threads[0].start()
    # b asks while a's answer streams: it waits (the one place this server's queue has), then
    # is answered whole. Asked at the same moment, b could find a still waiting: 429.
    assert streaming.wait(120)
    threads[1].start()
    for thread in threads:
        thread.join(120)
    order = [name for name, _ in events]
    assert order == sorted(order)  # a's answer, then b's: never interleaved
    for name, question in questions.items():
        alone = ask(client, model_id, question, seed=3, temperature=0.7, max_tokens=24,
                    extra_body={"ignore_eos": True})
        assert texts[name] == alone.choices[0].message.content


def test_a_client_that_disconnects_cancels_its_generation(server: LocalServer,
                                                         client: openai.OpenAI,
                                                         model_id: str) -> None:
    connection, response = stream_raw(server, {
        "model": model_id, "messages": [{"role": "user", "content": "Write a long story."}],
        "max_tokens": 2000, "ignore_eos": True, "stream": True,
    })
    assert next_event(response) is not None  # the role chunk
    assert next_event(response) is not None  # a first piece of text: it is generating
    connection.close()
    quick = ask(client, model_id, "Hi", max_tokens=2)  # waits for the abandoned job to end
    assert quick.choices[0].message.content is not None
    abandoned = [r for r in server.service.recent if r.outcome == "cancelled"]
    assert abandoned and abandoned[-1].completion_tokens < 300  # of the 2,000 it asked for


def test_a_full_queue_answers_429_with_retry_after(server: LocalServer, client: openai.OpenAI,
                                                  model_id: str) -> None:
    connection, running = stream_raw(server, {
        "model": model_id, "messages": [{"role": "user", "content": "Write a long story."}],
        "max_tokens": 2000, "ignore_eos": True, "stream": True,
    })
    assert next_event(running) is not None
    waiting: list[Any] = []
    waiter = threading.Thread(target=lambda: waiting.append(ask(client, model_id, "Hi",
                                                                max_tokens=2)))
    waiter.start()
    wait_for(lambda: server.service.waiting == MAX_WAITING, "the queue to fill", 30)
    with pytest.raises(openai.RateLimitError) as refused:
        ask(client, model_id, "Hi", max_tokens=2)
    assert int(refused.value.response.headers["Retry-After"]) >= 1
    connection.close()  # its job is cancelled, so the waiting request is answered
    waiter.join(60)
    assert waiting and waiting[0].choices[0].finish_reason in ("stop", "length")


def test_a_failure_mid_stream_hangs_up_instead_of_writing_a_second_response(
    server: LocalServer, client: openai.OpenAI, model_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fault injection: formatting the third chunk fails, as an unforeseen bug would.
    original = responses.chat_chunk
    calls: list[int] = []

    def failing_chunk(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("injected")
        return original(*args, **kwargs)

    monkeypatch.setattr(responses, "chat_chunk", failing_chunk)
    body = json.dumps({"model": model_id, "stream": True, "max_tokens": 16,
                       "messages": [{"role": "user", "content": "Describe the sea."}]}).encode()
    with socket.create_connection(("127.0.0.1", server.server.port), timeout=60) as connection:
        connection.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           b"Authorization: Bearer " + (server.token or "").encode() +
                           b"\r\nContent-Type: application/json\r\nContent-Length: " +
                           str(len(body)).encode() + b"\r\n\r\n" + body)
        received = b""
        while data := connection.recv(65536):  # until the server hangs up
            received += data
    assert received.startswith(b"HTTP/1.1 200")
    assert received.count(b"HTTP/1.") == 1 and b"data: [DONE]" not in received
    assert received.count(b"data: ") == 2  # the role and one piece of text, then nothing
    monkeypatch.undo()
    assert ask(client, model_id, "Hi", max_tokens=2).choices[0].message.content is not None
