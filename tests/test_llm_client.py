"""The LLM client against a real HTTP server on 127.0.0.1, through the real openai client."""

from __future__ import annotations

import socket
import time

import openai
import pytest
from llm_server import Reply, ScriptedLLMServer, llm_server  # noqa: F401

from notes_app.enhance.lenient_json import JSONNotFound, loads_lenient, scan_array_objects
from notes_app.enhance.llm import LLMClient
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
