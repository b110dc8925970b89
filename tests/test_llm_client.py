"""The LLM client against a real HTTP server on 127.0.0.1, through the real openai client."""

from __future__ import annotations

import json
import socket
import time

import openai
import pytest
from llm_server import Reply, ScriptedLLMServer, llm_server  # noqa: F401

from notes_app.enhance.lenient_json import JSONNotFound, loads_lenient, scan_array_objects
from notes_app.enhance.llm import (
    FORMATS_CACHE,
    ContextOverflow,
    FormatMemory,
    LLMClient,
    estimate_message_tokens,
    estimate_tokens,
    format_memory,
)
from notes_app.errors import LLMError

KEY = "sk-test-SECRET-1234"
HELLO = [{"role": "user", "content": "hello"}]


def make_client(
    base_url: str,
    *,
    key: str = KEY,
    model: str = "test-model",
    timeout=5.0,
    retries: int = 2,
    sleeps: list | None = None,
) -> LLMClient:
    raw = openai.OpenAI(base_url=base_url, api_key=key, timeout=timeout, max_retries=0)

    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)
        time.sleep(min(seconds, 0.05))  # the wait is observed, not served in full

    return LLMClient(raw, model=model, max_retries=retries, sleep=sleep)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_plain_and_streamed_chat_reach_the_server(llm_server):  # noqa: F811
    client = make_client(llm_server.base_url)
    llm_server.queue(Reply.text("plain answer"), Reply.text("a streamed answer, in pieces"))

    assert client.chat(HELLO).text == "plain answer"
    pieces: list[str] = []
    reply = client.chat(HELLO, on_text=pieces.append)

    assert reply.text == "a streamed answer, in pieces"
    assert len(pieces) > 1 and "".join(pieces) == reply.text
    first, second = llm_server.chat_requests
    assert not first.body.get("stream") and second.body["stream"] is True
    assert second.prompt == "hello" and second.body["model"] == "test-model"


def test_json_in_fences_after_prose_is_read(llm_server):  # noqa: F811
    llm_server.queue(Reply.text('Sure! Here are the notes:\n```json\n{"blocks": [1, 2,],}\n```'))
    assert make_client(llm_server.base_url).chat_json(HELLO) == {"blocks": [1, 2]}


def test_structured_output_steps_down_when_the_server_refuses_a_schema():
    with ScriptedLLMServer(reject_response_format=("json_schema",)) as server:
        server.queue(Reply.json({"ok": True}))
        client = make_client(server.base_url)
        assert client.chat_json(HELLO, schema={"type": "object"}) == {"ok": True}
        kinds = [r.body.get("response_format", {}).get("type") for r in server.chat_requests]
        assert kinds == ["json_schema", "json_object"]


def test_garbage_reply_is_an_error_naming_the_endpoint(llm_server):  # noqa: F811
    llm_server.queue(Reply.text("I am sorry, I cannot help with that."))
    with pytest.raises(LLMError) as err:
        make_client(llm_server.base_url).chat_json(HELLO)
    assert llm_server.base_url in str(err.value) and "cannot be used" in str(err.value)


def test_wrong_key_is_401_with_the_fix_and_without_the_key():
    with ScriptedLLMServer(api_key="the-right-key") as server:
        with pytest.raises(LLMError) as err:
            make_client(server.base_url).chat(HELLO)
    message = str(err.value)
    assert "401" in message and server.base_url in message
    assert "notes-app config set llm.api_key" in message
    assert KEY not in message and "the-right-key" not in message


def test_unknown_model_lists_the_models_the_server_has():
    with ScriptedLLMServer(models=["llama3.1", "qwen2.5"]) as server:
        with pytest.raises(LLMError) as err:
            make_client(server.base_url, model="gpt-9").chat(HELLO)
    message = str(err.value)
    assert "'gpt-9'" in message and "404" in message
    assert "llama3.1, qwen2.5" in message and "notes-app config set llm.model" in message


def test_rate_limit_honours_retry_after_then_succeeds(llm_server):  # noqa: F811
    sleeps: list[float] = []
    llm_server.queue(Reply.error(429, headers={"Retry-After": "3"}), Reply.text("finally"))
    reply = make_client(llm_server.base_url, sleeps=sleeps).chat(HELLO)
    assert reply.text == "finally"
    assert sleeps == [3.0]
    assert len(llm_server.chat_requests) == 2


def test_rate_limit_that_never_ends_is_bounded(llm_server):  # noqa: F811
    sleeps: list[float] = []
    llm_server.queue(*[Reply.error(429, headers={"Retry-After": "1"})] * 5)
    with pytest.raises(LLMError) as err:
        make_client(llm_server.base_url, retries=2, sleeps=sleeps).chat(HELLO)
    assert "429" in str(err.value) and "2 retries" in str(err.value)
    assert len(llm_server.chat_requests) == 3 and sleeps == [1.0, 1.0]


def test_server_error_is_retried_with_backoff_then_reported(llm_server):  # noqa: F811
    sleeps: list[float] = []
    llm_server.queue(*[Reply.error(500, "model crashed")] * 3)
    with pytest.raises(LLMError) as err:
        make_client(llm_server.base_url, retries=2, sleeps=sleeps).chat(HELLO)
    message = str(err.value)
    assert "server error" in message and "500" in message and "model crashed" in message
    assert sleeps == [1.0, 2.0]


def test_a_hung_server_times_out_with_advice(llm_server):  # noqa: F811
    llm_server.queue(Reply.hang(30))
    with pytest.raises(LLMError) as err:
        make_client(llm_server.base_url, timeout=1.0).chat(HELLO)
    assert "did not answer within 1 s" in str(err.value)
    assert "llm.timeout" in str(err.value)


def test_connection_refused_asks_whether_the_server_runs():
    url = f"http://127.0.0.1:{closed_port()}/v1"
    with pytest.raises(LLMError) as err:
        make_client(url).chat(HELLO)
    assert url in str(err.value) and "ollama serve" in str(err.value)


def test_list_models(llm_server):  # noqa: F811
    llm_server.models = ["b-model", "a-model"]
    assert make_client(llm_server.base_url).list_models() == ["a-model", "b-model"]


def test_missing_model_setting_is_a_clear_error():
    raw = openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="x", max_retries=0)
    with pytest.raises(LLMError, match="llm.model"):
        LLMClient(raw, model="")


# --- tolerant JSON -------------------------------------------------------------------------------


def test_truncated_array_gives_its_complete_objects_and_says_it_was_cut():
    text = '```json\n{"blocks": [{"text": "a, b}"}, {"text": "two",}, {"text": "thr'
    scanned = scan_array_objects(text, "blocks")
    assert [o["text"] for o in scanned.objects] == ["a, b}", "two"]
    assert scanned.found and not scanned.closed


def test_closed_array_is_complete():
    scanned = scan_array_objects('{"blocks": [{"a": 1}, {"b": [1, {"c": 2}]}]}', "blocks")
    assert scanned.closed and scanned.objects == ({"a": 1}, {"b": [1, {"c": 2}]})


def test_no_json_at_all():
    with pytest.raises(JSONNotFound):
        loads_lenient("no braces here")
    assert not scan_array_objects("no braces here", "blocks").found


# --- real servers as they are ---------------------------------------------------------------------

SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}}


def formats_sent(server: ScriptedLLMServer) -> list[str | None]:
    return [(r.body.get("response_format") or {}).get("type") for r in server.chat_requests]


@pytest.mark.parametrize("status", [400, 422, 500])
def test_a_rejected_schema_steps_down_whatever_the_status(status):
    # llama-cpp-python answers json_schema with HTTP 500 naming response_format
    sleeps: list[float] = []
    with ScriptedLLMServer(reject_response_format=("json_schema",), reject_status=status) as s:
        s.queue(Reply.json({"ok": True}))
        client = make_client(s.base_url, sleeps=sleeps)
        client.memory = FormatMemory()
        assert client.chat_json(HELLO, schema=SCHEMA) == {"ok": True}
        assert formats_sent(s) == ["json_schema", "json_object"]
    assert sleeps == []  # a rejected format is not a server hiccup: no back-off, no retry


def test_no_structured_output_at_all_falls_back_to_free_text():
    with ScriptedLLMServer(
        reject_response_format=("json_schema", "json_object"), reject_status=500
    ) as s:
        s.queue(Reply.text('Here you go: {"ok": true}'))
        client = make_client(s.base_url)
        client.memory = FormatMemory()
        assert client.chat_json(HELLO, schema=SCHEMA) == {"ok": True}
        assert formats_sent(s) == ["json_schema", "json_object", None]
        assert client.accepted_format == "text"


def test_what_the_endpoint_accepts_is_remembered_across_clients_and_runs(tmp_path):
    with ScriptedLLMServer(reject_response_format=("json_schema",), reject_status=500) as s:
        first = make_client(s.base_url)
        first.memory = format_memory(tmp_path)
        first.chat_json(HELLO, schema=SCHEMA)
        assert formats_sent(s) == ["json_schema", "json_object"]

        second = make_client(s.base_url)  # same process, same data folder
        second.memory = format_memory(tmp_path)
        second.chat_json(HELLO, schema=SCHEMA)
        later = make_client(s.base_url)  # a later run: only the file remains
        later.memory = FormatMemory(tmp_path / FORMATS_CACHE)
        later.chat_json(HELLO, schema=SCHEMA)
        other_model = make_client(s.base_url)
        s.models.append("other")
        other_model.model = "other"
        other_model.memory = FormatMemory(tmp_path / FORMATS_CACHE)
        other_model.chat_json(HELLO, schema=SCHEMA)

    assert formats_sent(s)[2:] == ["json_object", "json_object", "json_schema", "json_object"]
    saved = json.loads((tmp_path / FORMATS_CACHE).read_text())
    assert saved[f"{s.base_url} test-model"]["format"] == "json_object"


def test_a_500_that_is_not_about_the_format_is_not_taken_for_one(llm_server):  # noqa: F811
    llm_server.queue(Reply.error(500, "CUDA out of memory"), Reply.json({"ok": True}))
    client = make_client(llm_server.base_url)
    client.memory = FormatMemory()
    assert client.chat_json(HELLO, schema=SCHEMA) == {"ok": True}
    assert formats_sent(llm_server) == ["json_schema", "json_schema"]  # retried as it was


@pytest.mark.parametrize(
    ("status", "message", "limit", "requested"),
    [
        (
            400,
            "This model's maximum context length is 8192 tokens. However, you requested 8284 "
            "tokens (7284 in the messages, 1000 in the completion).",
            8192,
            8284,
        ),
        (500, "Requested tokens (9000) exceed context window of 2048", 2048, 9000),
        (400, "the request exceeds the available context size, try increasing it", None, None),
    ],
)
def test_a_context_length_rejection_is_a_typed_error(llm_server, status, message, limit, requested):  # noqa: F811
    sleeps: list[float] = []
    llm_server.queue(Reply.error(status, message))
    with pytest.raises(ContextOverflow) as err:
        make_client(llm_server.base_url, sleeps=sleeps).chat(HELLO)
    assert isinstance(err.value, LLMError)  # --fallback offline still catches it
    assert (err.value.limit, err.value.requested) == (limit, requested)
    assert "longer than the model's context" in str(err.value)
    assert sleeps == [] and len(llm_server.chat_requests) == 1  # the same request fails again


def test_token_estimate_errs_high():
    # English from this project's sample runs about 4 characters per token on small models
    text = "Sarah reported revenue of 4.2 million for the quarter, up 18 percent. " * 20
    assert estimate_tokens(text) >= len(text) / 3
    assert estimate_tokens("会议记录") == 4  # a token per character outside ASCII
    messages = [{"role": "system", "content": "x" * 30}, {"role": "user", "content": "y" * 30}]
    assert estimate_message_tokens(messages) == 10 + 10 + 2 * 8 + 32
    assert estimate_tokens("4.2M") == 2 + 1  # every digit is a token of its own


def test_count_tokens_asks_the_servers_tokenizer_when_it_has_one():
    messages = [{"role": "user", "content": "one two three four"}]
    with ScriptedLLMServer(tokenize=True) as s:
        assert make_client(s.base_url).count_tokens(messages) == 4 + 8 + 32
        assert any(r.path == "/extras/tokenize/count" for r in s.requests)
    with ScriptedLLMServer() as s:  # no tokenizer: the estimate, and it is asked only once
        client = make_client(s.base_url)
        assert client.count_tokens(messages) == estimate_message_tokens(messages)
        asked = len(s.requests)
        client.count_tokens(messages)
        assert len(s.requests) == asked


@pytest.mark.parametrize("streamed", [False, True], ids=["whole", "streamed"])
def test_a_trickling_server_is_cut_off_at_the_total_timeout(llm_server, streamed):  # noqa: F811
    # a byte every second never trips a per-read timeout of 3 s; the total deadline does
    llm_server.queue(Reply.text("a reply that takes minutes to arrive", trickle=1.0))
    client = make_client(llm_server.base_url, timeout=3.0)
    started = time.monotonic()
    with pytest.raises(LLMError) as err:
        client.chat(HELLO, on_text=(lambda _p: None) if streamed else None)
    took = time.monotonic() - started
    assert 2.9 <= took < 4.5
    assert llm_server.trickled >= 2  # bytes did arrive, each well within a read timeout
    assert "did not answer within 3 s" in str(err.value) and "llm.timeout" in str(err.value)
    sent = llm_server.trickled
    time.sleep(2.5)
    assert llm_server.trickled <= sent + 1  # the abandoned request was closed, not left reading


def test_streamed_pieces_arrive_on_the_calling_thread(llm_server):  # noqa: F811
    import threading

    llm_server.queue(Reply.text("pieces for the caller"))
    threads = set()
    make_client(llm_server.base_url).chat(
        HELLO, on_text=lambda _p: threads.add(threading.get_ident())
    )
    assert threads == {threading.get_ident()}


NOT_COMPLETIONS = {
    "plain text": Reply.raw("Hello! I am a helpful assistant.", "text/plain"),
    "html page": Reply.raw("<!doctype html><html><body>Login</body></html>", "text/html"),
    "truncated json": Reply.raw('{"id": "x", "choices": [{"message": {"cont', "application/json"),
    "other json": Reply.raw('{"status": "ok"}', "application/json"),
    "empty": Reply.raw("", "application/json"),
}


@pytest.mark.parametrize("name", NOT_COMPLETIONS)
def test_a_200_that_is_not_a_chat_completion_is_a_clear_error(llm_server, name):  # noqa: F811
    llm_server.queue(NOT_COMPLETIONS[name])
    with pytest.raises(LLMError) as err:
        make_client(llm_server.base_url).chat(HELLO)
    message = str(err.value)
    assert "not a chat completion" in message and llm_server.base_url in message
    assert "--fallback offline" in message


@pytest.mark.parametrize(
    "reply",
    [
        Reply.raw("<html><body>Login</body></html>", "text/html"),
        Reply.raw('data: {"id": "x", "choices": [{"del\n\n', "text/event-stream"),
    ],
    ids=["html", "truncated event"],
)
def test_a_stream_that_is_not_a_chat_completion_is_a_clear_error(llm_server, reply):  # noqa: F811
    llm_server.queue(reply)
    with pytest.raises(LLMError, match="not a chat completion"):
        make_client(llm_server.base_url).chat(HELLO, on_text=lambda _p: None)


def test_an_error_object_in_a_200_is_reported(llm_server):  # noqa: F811
    llm_server.queue(Reply.raw('{"error": {"message": "model is loading"}}', "application/json"))
    with pytest.raises(LLMError, match="model is loading"):
        make_client(llm_server.base_url).chat(HELLO)


@pytest.mark.parametrize(
    "reply",
    [Reply.raw("<html>Welcome to nginx</html>", "text/html"), Reply.raw('{"data": 5}')],
    ids=["html", "other json"],
)
def test_a_model_list_that_is_not_one_is_a_clear_error(llm_server, reply):  # noqa: F811
    llm_server.models_reply = reply
    with pytest.raises(LLMError, match="not a chat completion|no model list"):
        make_client(llm_server.base_url).list_models()


@pytest.mark.parametrize("name", ["plain text", "html page", "truncated json"])
def test_fallback_offline_catches_a_reply_that_is_not_a_completion(name):
    from types import SimpleNamespace

    from llm_fixtures import NOTES, TRANSCRIPT

    from notes_app.enhance.enhancer import enhance

    with ScriptedLLMServer(default=NOT_COMPLETIONS[name]) as s:
        settings = SimpleNamespace(
            base_url=s.base_url,
            model="test-model",
            api_key="",
            timeout=10.0,
            context_tokens=8192,
            max_retries=0,
        )
        result = enhance(TRANSCRIPT, NOTES, llm_settings=settings, mode="llm", fallback="offline")
    assert result.mode == "offline" and "not a chat completion" in result.model


def test_embeddings_errors_go_through_the_same_mapper():
    from notes_app.semantic import EndpointEmbedder

    with ScriptedLLMServer(api_key="the-right-key") as s:
        raw = openai.OpenAI(base_url=s.base_url, api_key=KEY, max_retries=0, timeout=5)
        with pytest.raises(LLMError) as err:
            EndpointEmbedder(raw, "embed-small").embed(["hello"])
    message = str(err.value)
    assert "refused the API key (HTTP 401)" in message and "'embed-small'" in message
    assert KEY not in message


def test_a_server_that_streams_json_mode_empty_is_asked_without_streaming():
    # llama-cpp-python 0.3 streams only the role when a response_format is set
    with ScriptedLLMServer(empty_json_streams=True) as s:
        s.queue(
            Reply.text("(lost in the empty stream)"),
            Reply.json({"ok": True}),
            Reply.json({"ok": False}),
            Reply.text("plain"),
        )
        client = make_client(s.base_url)
        client.memory = FormatMemory()
        pieces: list[str] = []
        assert client.chat_json(HELLO, schema=SCHEMA, on_text=pieces.append) == {"ok": True}
        assert pieces == ['{"ok": true}']  # the caller still sees the text
        assert client.chat_json(HELLO, schema=SCHEMA, on_text=pieces.append) == {"ok": False}
        assert client.chat(HELLO, on_text=pieces.append).text == "plain"  # free text streams
        streamed = [bool(r.body.get("stream")) for r in s.chat_requests]
    assert streamed == [True, False, False, True]  # remembered after the first empty stream


def test_a_trickling_model_list_is_cut_off_at_the_total_timeout(llm_server):  # noqa: F811
    llm_server.models_reply = Reply.raw('{"object": "list", "data": []}', trickle=1.0)
    started = time.monotonic()
    with pytest.raises(LLMError, match="did not answer within 2 s"):
        make_client(llm_server.base_url, timeout=2.0).list_models()
    assert time.monotonic() - started < 3.5 and llm_server.trickled >= 1
