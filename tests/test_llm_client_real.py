"""The client against a real local model server, as it is: few, small requests.

Marked ``real_llm``; runs against ``NOTES_APP_TEST_LLM_BASE_URL`` (default
http://127.0.0.1:18080/v1, llama-cpp-python's server) when it answers, skipped otherwise::

    python -m pytest -q -m real_llm tests/test_llm_client_real.py

It shows on the real server what the scripted one stands in for: a JSON schema turned down
(llama-cpp-python answers it with HTTP 500) and JSON mode used instead, a prompt longer than the
context as a ``ContextOverflow``, the server's own token count, and the total deadline.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request

import openai
import pytest

from notes_app.enhance.llm import (
    ContextOverflow,
    FormatMemory,
    LLMClient,
    estimate_message_tokens,
)
from notes_app.errors import LLMError

BASE_URL = os.environ.get("NOTES_APP_TEST_LLM_BASE_URL", "http://127.0.0.1:18080/v1").rstrip("/")


def _models() -> tuple[list[str], str]:
    try:
        # a server busy generating for someone else answers late
        with urllib.request.urlopen(BASE_URL + "/models", timeout=20) as response:
            return [m["id"] for m in json.load(response).get("data", [])], ""
    except TimeoutError:
        # listening but busy: the alias real-llm.sh serves (or NOTES_APP_TEST_LLM_MODEL)
        return ["local"], ""
    except (OSError, ValueError) as e:
        return [], f"no LLM server answers at {BASE_URL} ({e})"


MODELS, WHY_NOT = _models()
MODEL = os.environ.get("NOTES_APP_TEST_LLM_MODEL") or (MODELS[0] if MODELS else "")

pytestmark = [
    pytest.mark.real_llm,
    pytest.mark.skipif(not MODEL, reason=WHY_NOT or f"the server at {BASE_URL} lists no model"),
]


def client(timeout: float = 300.0) -> LLMClient:
    raw = openai.OpenAI(base_url=BASE_URL, api_key="not-needed", timeout=timeout, max_retries=0)
    return LLMClient(raw, model=MODEL, max_retries=0, timeout=timeout, memory=FormatMemory())


def test_json_is_negotiated_down_to_what_the_server_takes():
    llm = client()
    value = llm.chat_json(
        [{"role": "user", "content": 'Reply with the JSON object {"ok": true} and nothing else.'}],
        schema={"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]},
        max_tokens=16,
    )
    assert value == {"ok": True}
    assert llm.accepted_format in ("json_schema", "json_object")  # whatever it took, it said so


def test_a_prompt_longer_than_the_context_is_a_context_overflow():
    # ~12k tokens of words; the server tokenizes and refuses before generating anything
    words = " ".join(f"item{i}" for i in range(6000))
    with pytest.raises(ContextOverflow) as err:
        client().chat([{"role": "user", "content": words}], max_tokens=8)
    assert err.value.limit is None or err.value.limit >= 512


def test_the_token_estimate_is_not_below_the_servers_count():
    text = (
        "Sarah reported that revenue for the quarter was $4.2 million, an 18% increase from "
        "last year. We signed 12 new accounts and churn fell to 3%. [00:06] Them: pricing. "
    ) * 10
    messages = [{"role": "user", "content": text}]
    counted = client().count_tokens(messages)
    assert counted < estimate_message_tokens(messages)


def test_a_slow_reply_is_cut_off_at_the_total_timeout():
    started = time.monotonic()
    with pytest.raises(LLMError, match="did not answer within 2 s"):
        client(timeout=2.0).chat(
            [{"role": "user", "content": "Count from 1 to 200, one number per line."}],
            on_text=lambda _piece: None,
            max_tokens=400,
        )
    assert time.monotonic() - started < 3.5
