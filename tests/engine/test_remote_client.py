"""Remote engines against a scripted OpenAI-compatible server on 127.0.0.1: replies, and every
way a server or the network can fail, each as the message a person would read."""

from __future__ import annotations

import email.utils
import socket
import stat
import threading
import time

import pytest

from engine.chat.prompt import ChatMessage
from engine.errors import (
    RemoteAuthError,
    RemoteConnectionError,
    RemoteError,
    RemoteOfflineError,
    RemoteRateLimitError,
    RemoteReplyCutError,
    SettingsError,
)
from engine.host.runtime import (
    ContextPlanned,
    GenerationDone,
    GenerationRequest,
    PromptProgress,
    Runtime,
    StreamEvent,
    TextChunk,
)
from engine.paths import app_paths
from engine.remote.client import Timeouts
from engine.remote.engine import RemoteEngine, estimate_tokens
from engine.remote.engines import RemoteEngines
from engine.remote.settings import api_key_store, load_remote_settings
from engine.remote.sse import event_data
from engine.settings import ChatSettings, SamplingSettings
from tests.remote_script_server import (
    ClosingEngines,
    Reply,
    ScriptServer,
    answer_events,
    chat_chunk,
)

MODEL = "remote:script/script-model"
# Generous, so a busy machine cannot time out a test; the timeout tests use FAST.
TIMEOUTS = Timeouts(connect=2.0, read=20.0)
FAST = Timeouts(connect=2.0, read=0.5)


pytestmark = pytest.mark.usefixtures("no_keyring", "remote_engines_closed")


@pytest.fixture
def engines(server: ScriptServer) -> RemoteEngines:
    return engines_with(server, TIMEOUTS)


def engines_with(server: ScriptServer, timeouts: Timeouts) -> RemoteEngines:
    remote = ClosingEngines(app_paths().ensure(), timeouts=timeouts)
    if not any(e.name == "script" for e in remote.settings.endpoints):
        remote.add("script", server.base_url)
    return remote


def ask(text: str = "Say hello", **sampling: object) -> GenerationRequest:
    return GenerationRequest(
        messages=(ChatMessage("user", text),),
        settings=ChatSettings(system_prompt="Be brief.",
                              sampling=SamplingSettings(**sampling)),  # type: ignore[arg-type]
    )


def run(engine: RemoteEngine, request: GenerationRequest,
        cancel: threading.Event | None = None) -> list[StreamEvent]:
    return list(engine.stream(request, cancel or threading.Event()))


def text_of(events: list[StreamEvent]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextChunk))


# --- the happy path -------------------------------------------------------------------------


def test_models_are_listed_with_the_context_the_server_reports(
    server: ScriptServer, engines: RemoteEngines
) -> None:
    server.models = [
        {"id": "llama", "owned_by": "llamacpp", "meta": {"n_ctx_train": 8192}},
        {"id": "served-by-vllm", "max_model_len": 32768},
        {"id": "ollama:3b"},
    ]
    listed = engines.list_models("script")
    assert [(m.id, m.context_length) for m in listed] == [
        ("llama", 8192), ("served-by-vllm", 32768), ("ollama:3b", None)]


def test_a_reply_streams_with_the_chat_and_its_settings(
    server: ScriptServer, engines: RemoteEngines
) -> None:
    engine = engines.open_model(MODEL)
    events = run(engine, ask(seed=7, temperature=0.3, max_tokens=64))

    assert isinstance(events[0], ContextPlanned)
    assert text_of(events) == "Hello from the script server."
    done = events[-1]
    assert isinstance(done, GenerationDone)
    assert done.text == "Hello from the script server." and done.finish_reason == "stop"
    assert done.seed == 7 and done.n_ctx == 2048
    sent = server.requests[-1]
    assert sent.path == "/v1/chat/completions"
    assert sent.body["messages"] == [{"role": "system", "content": "Be brief."},
                                     {"role": "user", "content": "Say hello"}]
    assert sent.body["stream"] is True and sent.body["model"] == "script-model"
    assert (sent.body["seed"], sent.body["temperature"], sent.body["max_tokens"]) == (7, 0.3, 64)
    assert "authorization" not in sent.headers  # no key was given


def test_the_api_key_is_sent_and_kept_out_of_the_settings_file(server: ScriptServer) -> None:
    server.api_key = "sk-secret-123"
    paths = app_paths().ensure()
    engines = RemoteEngines(paths, timeouts=TIMEOUTS)
    engines.add("keyed", server.base_url, "sk-secret-123")

    assert [m.id for m in engines.list_models("keyed")] == ["script-model"]
    assert server.requests[-1].headers["authorization"] == "Bearer sk-secret-123"
    assert "sk-secret" not in paths.remote_engines_file.read_text()
    key_file = api_key_store(paths, "keyed").file
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    engines.remove("keyed")
    assert not key_file.exists()


def test_the_servers_tokenizer_counts_tokens_when_it_has_one(
    server: ScriptServer, engines: RemoteEngines
) -> None:
    server.tokenizer = lambda text: list(range(len(text.split())))
    engine = engines.open_model(MODEL)
    assert engine.loaded is not None and not engine.loaded.tokens_estimated
    assert engine.count_tokens("one two three four") == 4


def test_a_busy_tokenizer_is_not_waited_for_the_count_is_estimated(
    server: ScriptServer, engines: RemoteEngines
) -> None:
    # Counting runs on the engine thread: waiting out Retry-After there stalls every chat.
    server.tokenizer = lambda text: list(range(len(text.split())))
    engine = engines.open_model(MODEL)
    server.script("/tokenize", *[Reply(429, {"Retry-After": "1"}, b"{}")] * 3)
    text = "a chat message the busy server cannot count now"
    assert engine.count_tokens(text) == estimate_tokens(text)
    assert server.paths().count("/tokenize") == 2  # the one at open, then one try


def test_without_a_tokenizer_counts_are_estimates_on_the_high_side(
    engines: RemoteEngines,
) -> None:
    engine = engines.open_model(MODEL)
    assert engine.loaded is not None and engine.loaded.tokens_estimated
    assert "estimated" in engine.loaded.description
    text = "The quick brown fox jumps over the lazy dog. " * 10
    assert engine.count_tokens(text) == estimate_tokens(text) >= len(text) / 4
    assert estimate_tokens("日本語のテキスト") == 24  # 3 UTF-8 bytes a character


@pytest.mark.parametrize("text", [
    "The quick brown fox jumps over the lazy dog. " * 10,
    "3141592653589793238462643383279502884197",
    "12.5, 13.75, 99.01, 42.0, 7.3\n" * 20,
    "0x7f3a9c12 0xdeadbeef 0x1badb00d",
    "aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQ=",
    "x=[1,2,3,4,5,6,7,8,9]; a,b;c.d!e?f",
    "def count_tokens(self, text: str) -> int:\n        return len(text)",
    "Schwarzenegger Tchaikovsky Dostoevsky Nietzsche",
    "日本語のテキストです",
    "Ça va très bien, merci beaucoup 😀🎉👍",
])
def test_estimates_are_never_below_a_real_tokenizers_count(runtime: Runtime, text: str) -> None:
    # An estimate below the server's count overflows its context: the server refuses the
    # request, or cuts the prompt. Numbers, code and CJK are where a flat rate fell short.
    assert estimate_tokens(text) >= runtime.count_tokens(text)


def test_an_endpoint_setting_gives_the_context_when_the_server_does_not(
    server: ScriptServer,
) -> None:
    server.models = [{"id": "quiet"}]
    engines = ClosingEngines(app_paths().ensure(), timeouts=TIMEOUTS)
    engines.add("plain", server.base_url)
    engines.add("sized", server.base_url, context_length=1024)
    plain = engines.open_model("remote:plain/quiet").loaded
    sized = engines.open_model("remote:sized/quiet").loaded
    assert plain is not None and (plain.n_ctx, plain.context_source) == (4096, "default")
    assert sized is not None and (sized.n_ctx, sized.context_source) == (1024, "endpoint setting")


def test_a_server_that_ignores_stream_and_sends_the_whole_answer_still_works(
    server: ScriptServer, engines: RemoteEngines
) -> None:
    whole = ('{"choices": [{"index": 0, "finish_reason": "length", '
             '"message": {"role": "assistant", "content": "All at once."}}]}')
    server.script("/v1/chat/completions",
                  Reply(headers={"Content-Type": "application/json"}, body=whole.encode()))
    events = run(engines.open_model(MODEL), ask())
    done = events[-1]
    assert isinstance(done, GenerationDone)
    assert (done.text, done.finish_reason) == ("All at once.", "length")


# --- failures -----------------------------------------------------------------------------


def test_a_server_that_is_not_running_cannot_be_connected(engines: RemoteEngines) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engines.add("gone", f"http://127.0.0.1:{port}/v1")
    with pytest.raises(RemoteConnectionError, match=r"Cannot connect to http://127\.0\.0\.1:\d+/v1"
                       r" .*is the server running"):
        engines.list_models("gone")


def test_a_server_that_never_accepts_the_connection_times_out(engines: RemoteEngines) -> None:
    """A listening socket whose queue is full: the kernel drops further SYNs (Linux)."""
    with socket.socket() as full:
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        port = full.getsockname()[1]
        fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        remote = ClosingEngines(app_paths(), timeouts=Timeouts(connect=0.5, read=0.5))
        remote.add("full", f"http://127.0.0.1:{port}/v1")
        try:
            with pytest.raises(RemoteConnectionError,
                               match=r"Connecting to .* timed out after 0.5 s"):
                remote.list_models("full")
        finally:
            for filler in fillers:
                filler.close()


def test_a_server_that_stays_silent_times_out(
    server: ScriptServer, engines: RemoteEngines
) -> None:
    engine = engines_with(server, FAST).open_model(MODEL)
    server.script("/v1/chat/completions", Reply(hold_before_headers=True))
    started = time.monotonic()
    with pytest.raises(RemoteConnectionError, match=r"script did not answer within 0\.5 s"):
        run(engine, ask())
    assert time.monotonic() - started < 5


def test_a_stream_that_goes_silent_is_cut_and_what_arrived_is_kept(
    server: ScriptServer, engines: RemoteEngines
) -> None:
    engine = engines_with(server, FAST).open_model(MODEL)
    server.script("/v1/chat/completions",
                  Reply(events=answer_events("one two three four"), hold_after=2))
    seen: list[StreamEvent] = []
    with pytest.raises(RemoteReplyCutError, match="The reply was cut: script sent nothing for "
                       r"0\.5 s\. What arrived is kept\.") as caught:
        for event in engine.stream(ask(), threading.Event()):
            seen.append(event)
    assert caught.value.text == "one two" == text_of(seen)


def test_a_silent_stream_hands_control_back_and_goes_on_when_the_server_does(
    server: ScriptServer, engines: RemoteEngines
) -> None:
    engine = engines.open_model(MODEL)
    server.script("/v1/chat/completions",
                  Reply(events=answer_events("one two three four"), hold_after=2))
    stream = engine.stream(ask(), threading.Event())
    seen: list[StreamEvent] = []
    while text_of(seen) != "one two":
        seen.append(next(stream))
    # The server is silent now: the stream still returns, with nothing new to show.
    assert next(stream) == TextChunk("")
    server.release()
    seen.extend(stream)
    assert text_of(seen) == "one two three four"
    assert isinstance(seen[-1], GenerationDone) and seen[-1].finish_reason == "stop"


def test_a_dropped_stream_keeps_the_partial_text_and_says_the_reply_was_cut(
    server: ScriptServer, engines: RemoteEngines
) -> None:
    engine = engines.open_model(MODEL)
    server.script("/v1/chat/completions",
                  Reply(events=answer_events("one two three four"), drop_after=3))
    with pytest.raises(RemoteReplyCutError, match="the connection to script dropped before the "
                       "reply was finished") as caught:
        run(engine, ask())
    assert caught.value.text == "one two three"


def test_a_stream_that_ends_without_finishing_is_a_cut_reply(
    server: ScriptServer, engines: RemoteEngines
) -> None:
    engine = engines.open_model(MODEL)
    server.script("/v1/chat/completions",
                  Reply(events=[chat_chunk("Half"), chat_chunk(" a reply")]))
    with pytest.raises(RemoteReplyCutError, match="ended the stream before the reply was "
                       "finished") as caught:
        run(engine, ask())
    assert caught.value.text == "Half a reply"


@pytest.mark.parametrize("status", [401, 403])
def test_a_wrong_key_is_named(server: ScriptServer, status: int) -> None:
    server.api_key = "sk-right"
    engines = ClosingEngines(app_paths().ensure(), timeouts=TIMEOUTS)
    engines.add("keyed", server.base_url, "sk-wrong")
    if status == 403:
        server.script("/v1/models", Reply(403, body=b'{"error": {"message": "Forbidden"}}'))
    with pytest.raises(RemoteAuthError, match=rf"keyed refused the API key \(HTTP {status}\): "
                       "check the key"):
        engines.list_models("keyed")


def test_an_unknown_model_says_what_the_server_has(engines: RemoteEngines) -> None:
    with pytest.raises(RemoteError, match="script has no model “nope” "
                       r"\(it lists: script-model\)"):
        engines.open_model("remote:script/nope")


def test_a_model_the_server_stops_knowing_is_a_404_with_its_words(
    server: ScriptServer, engines: RemoteEngines
) -> None:
    engine = engines.open_model(MODEL)
    server.models = [{"id": "another"}]
    with pytest.raises(RemoteError, match=r"script has no model “script-model” at .*HTTP 404"
                       r".*The server said: model 'script-model' not found"):
        run(engine, ask())


def test_a_short_retry_after_is_waited_out_and_the_reply_comes(
    server: ScriptServer, engines: RemoteEngines
) -> None:
    engine = engines.open_model(MODEL)
    server.script("/v1/chat/completions", Reply(429, {"Retry-After": "1"}, b"{}"))
    started = time.monotonic()
    events = run(engine, ask())
    assert text_of(events) == "Hello from the script server."
    assert time.monotonic() - started >= 1.0
    assert server.paths().count("/v1/chat/completions") == 2


@pytest.mark.parametrize("header", ["3600", "date"])
def test_a_long_retry_after_says_when_to_try_again(
    server: ScriptServer, engines: RemoteEngines, header: str
) -> None:
    engine = engines.open_model(MODEL)
    value = (email.utils.formatdate(time.time() + 3600, usegmt=True) if header == "date"
             else header)
    server.script("/v1/chat/completions", Reply(429, {"Retry-After": value}, b"{}"))
    with pytest.raises(RemoteRateLimitError, match=r"script is busy \(HTTP 429, too many "
                       r"requests\): try again after \d\d:\d\d") as caught:
        run(engine, ask())
    assert caught.value.retry_after is not None and caught.value.retry_after > 3500
    assert server.paths().count("/v1/chat/completions") == 1


def test_stop_while_waiting_out_a_retry_after_ends_at_once(
    server: ScriptServer, engines: RemoteEngines
) -> None:
    engine = engines.open_model(MODEL)
    server.script("/v1/chat/completions", Reply(429, {"Retry-After": "8"}, b"{}"))
    cancel = threading.Event()
    events = engine.stream(ask(), cancel)
    assert isinstance(next(events), ContextPlanned)
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    rest = list(events)
    assert time.monotonic() - started < 2
    done = rest[-1]
    assert isinstance(done, GenerationDone) and done.finish_reason == "cancelled"
    assert server.paths().count("/v1/chat/completions") == 1


def test_a_server_error_says_to_try_later(server: ScriptServer, engines: RemoteEngines) -> None:
    engine = engines.open_model(MODEL)
    server.script("/v1/chat/completions",
                  Reply(503, body=b'{"error": {"message": "loading model"}}'))
    with pytest.raises(RemoteError, match=r"script failed with a server error \(HTTP 503\).*"
                       "try again later.*The server said: loading model"):
        run(engine, ask())


def test_a_web_page_instead_of_an_api_is_named(server: ScriptServer,
                                                engines: RemoteEngines) -> None:
    server.script("/v1/models", Reply(headers={"Content-Type": "text/html"},
                                      body=b"<html><body>Router login</body></html>"))
    with pytest.raises(RemoteError, match=r"/v1/models did not answer with JSON \(text/html, 38 "
                       "bytes\\): it does not look like an OpenAI-compatible API"):
        engines.list_models("script")


def test_json_that_is_not_a_models_list_is_named(server: ScriptServer,
                                                 engines: RemoteEngines) -> None:
    server.script("/v1/models", Reply(body=b'{"status": "ok"}'))
    with pytest.raises(RemoteError, match="did not answer with an OpenAI models list"):
        engines.list_models("script")


def test_garbage_in_the_stream_is_named(server: ScriptServer, engines: RemoteEngines) -> None:
    engine = engines.open_model(MODEL)
    server.script("/v1/chat/completions", Reply(events=[chat_chunk("Hi"), "<<garbage>>"]))
    with pytest.raises(RemoteError, match="script sent something that is not JSON in its stream"):
        run(engine, ask())
    server.script("/v1/chat/completions", Reply(events=['{"text": "legacy"}']))
    with pytest.raises(RemoteError, match="without \"choices\""):
        run(engine, ask())


def test_an_error_event_in_the_stream_is_shown(server: ScriptServer,
                                               engines: RemoteEngines) -> None:
    engine = engines.open_model(MODEL)
    server.script("/v1/chat/completions", Reply(events=[
        chat_chunk("Hi"), '{"error": {"message": "out of memory"}}']))
    with pytest.raises(RemoteError, match="stopped the reply with an error: out of memory"):
        run(engine, ask())


# --- Stop and the network switch ------------------------------------------------------------


def test_stop_ends_a_stream_at_once_and_hangs_up(server: ScriptServer,
                                                 engines: RemoteEngines) -> None:
    remote = ClosingEngines(app_paths(), timeouts=Timeouts(connect=2, read=20))
    engine = remote.open_model(MODEL)
    del engines
    server.script("/v1/chat/completions",
                  Reply(events=answer_events("one two three four"), hold_after=2))
    cancel = threading.Event()
    texts: list[str] = []
    stopped_after = None
    for event in engine.stream(ask(), cancel):
        if isinstance(event, TextChunk) and event.text:  # not a silent server's empty hand-back
            texts.append(event.text)
            if len(texts) == 2:
                started = time.monotonic()
                cancel.set()
        if isinstance(event, GenerationDone):
            stopped_after = time.monotonic() - started
            assert (event.finish_reason, event.text) == ("cancelled", "one two")
    assert stopped_after is not None and stopped_after < 5  # not the 20 s read timeout
    server.release()
    assert server.closed_early.wait(5)  # the server found nobody listening any more


def test_with_the_network_switch_off_nothing_is_sent(server: ScriptServer,
                                                     engines: RemoteEngines) -> None:
    before = len(server.requests)
    engines.set_network(False)
    for attempt in (lambda: engines.list_models("script"), lambda: engines.open_model(MODEL)):
        with pytest.raises(RemoteOfflineError, match="The network switch is off, so remote "
                           "engines are turned off: “script” was not contacted"):
            attempt()
    assert len(server.requests) == before
    # A fresh start reads the switch from the file.
    again = ClosingEngines(app_paths())
    assert not again.network.is_on()
    with pytest.raises(RemoteOfflineError):
        again.list_models("script")
    assert len(server.requests) == before


def test_turning_the_switch_off_cuts_a_reply_and_sends_nothing_more(
    server: ScriptServer, engines: RemoteEngines
) -> None:
    remote = ClosingEngines(app_paths(), timeouts=Timeouts(connect=2, read=20))
    engine = remote.open_model(MODEL)
    server.script("/v1/chat/completions",
                  Reply(events=answer_events("one two three four"), hold_after=2))
    events = engine.stream(ask(), threading.Event())
    with pytest.raises(RemoteOfflineError, match="The network switch was turned off"):
        for event in events:
            if isinstance(event, TextChunk) and event.text == " two":
                remote.set_network(False)
    before = len(server.requests)
    with pytest.raises(RemoteOfflineError):
        run(engine, ask())
    assert len(server.requests) == before


# --- settings -----------------------------------------------------------------------------


def test_bad_endpoints_are_refused_field_by_field(engines: RemoteEngines) -> None:
    with pytest.raises(SettingsError) as caught:
        engines.add("has/slash", "ftp://somewhere", context_length=10)
    assert set(caught.value.errors) == {"name", "base_url", "context_length"}
    with pytest.raises(RemoteError, match="already added"):
        engines.add("script", "http://127.0.0.1:9/v1")
    with pytest.raises(RemoteError, match="no remote engine named “other”"):
        engines.list_models("other")


def test_a_password_in_the_address_is_refused_and_never_written(engines: RemoteEngines) -> None:
    # The settings file is plain text and the address is shown in the window and in messages.
    with pytest.raises(SettingsError) as caught:
        engines.add("lab", "http://me:sk-secret@127.0.0.1:9/v1")
    assert str(caught.value.errors["base_url"]).endswith("give the API key in its own field")
    assert "sk-secret" not in app_paths().remote_engines_file.read_text()
    assert [e.name for e in engines.settings.endpoints] == ["script"]


def test_a_broken_settings_file_is_set_aside_with_a_notice(engines: RemoteEngines) -> None:
    path = app_paths().remote_engines_file
    path.write_text('{"endpoints": [{"name": "x"')
    loaded = load_remote_settings(path)
    assert loaded.settings.endpoints == ()
    assert loaded.notice is not None and "was reset" in str(loaded.notice)
    assert path.with_name(path.name + ".broken").read_text() == '{"endpoints": [{"name": "x"'


def test_the_server_address_may_be_given_without_v1(server: ScriptServer) -> None:
    engines = ClosingEngines(app_paths().ensure(), timeouts=TIMEOUTS)
    root = server.base_url.removesuffix("/v1")
    endpoint = engines.add("bare", root + "/")
    assert endpoint.api_url == server.base_url
    assert [m.id for m in engines.list_models("bare")] == ["script-model"]


# --- the event-stream parser ------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 5, 64])
def test_event_stream_lines_comments_and_multi_line_data(size: int) -> None:
    raw = (": keep-alive\r\n\r\ndata: {\"a\": 1}\r\n\r\ndata: line one\ndata: line two\n\n"
           "event: ping\rdata:no space\r\rid: 3\n\ndata: é\n\ndata: [DONE]\n\n"
           "data: cut off").encode()
    chunks = [raw[i:i + size] for i in range(0, len(raw), size)]
    assert list(event_data(chunks)) == [
        '{"a": 1}', "line one\nline two", "no space", "é", "[DONE]"]


@pytest.mark.parametrize("size", [1, 3, 64])
def test_event_stream_with_a_byte_order_mark_and_cr_line_ends_keeps_every_event(
    size: int,
) -> None:
    # The format allows one leading BOM and lines ended by CR alone: the CR ending the stream
    # still ends the last event's blank line.
    raw = "\ufeffdata: first\r\rdata: [DONE]\r\r".encode()
    chunks = [raw[i:i + size] for i in range(0, len(raw), size)]
    assert list(event_data(chunks)) == ["first", "[DONE]"]


def test_stop_while_the_server_reads_the_prompt_hangs_up_at_once(
    server: ScriptServer, engines: RemoteEngines
) -> None:
    # Before its first byte the server may work for minutes on a long prompt: Stop must close
    # the connection then too, so the server stops, rather than after the read timeout.
    remote = ClosingEngines(app_paths(), timeouts=Timeouts(connect=2, read=20))
    engine = remote.open_model(MODEL)
    del engines
    server.script("/v1/chat/completions", Reply(hold_before_headers=True))
    cancel = threading.Event()
    events: list[StreamEvent] = []
    for event in engine.stream(ask(), cancel):
        events.append(event)
        if isinstance(event, PromptProgress):
            cancel.set()
    done = events[-1]
    assert isinstance(done, GenerationDone) and (done.finish_reason, done.text) == ("cancelled", "")
    assert server.closed_early.wait(5)  # the server found nobody waiting, well before 20 s
