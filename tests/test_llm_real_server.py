"""Enhancement against a real local model server, when one is given.

Runs only with ``NOTES_APP_TEST_LLM_BASE_URL`` set (and ``NOTES_APP_TEST_LLM_MODEL``, default
``qwen2.5:0.5b``); skipped otherwise. With Ollama::

    ollama serve &
    ollama pull qwen2.5:0.5b
    NOTES_APP_TEST_LLM_BASE_URL=http://localhost:11434/v1 \\
        python -m pytest -q tests/test_llm_real_server.py

What a small model writes varies, so this checks the promises that hold for any model: the
user's lines verbatim and in order, every citation pointing at a real segment, the contract.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from llm_fixtures import NOTES, SEGMENTS, TRANSCRIPT

from notes_app.enhance.enhancer import enhance

BASE_URL = os.environ.get("NOTES_APP_TEST_LLM_BASE_URL", "")
MODEL = os.environ.get("NOTES_APP_TEST_LLM_MODEL", "qwen2.5:0.5b")

pytestmark = pytest.mark.skipif(
    not BASE_URL, reason="set NOTES_APP_TEST_LLM_BASE_URL to run against a real model server"
)


def test_a_real_model_keeps_the_users_lines_and_cites_real_segments():
    settings = SimpleNamespace(
        base_url=BASE_URL,
        model=MODEL,
        api_key=os.environ.get("NOTES_APP_TEST_LLM_API_KEY", ""),
        timeout=600.0,
        context_tokens=8192,
        max_retries=1,
    )
    streamed = []
    result = enhance(TRANSCRIPT, NOTES, llm_settings=settings, mode="llm", on_block=streamed.append)

    assert result.mode == "llm" and result.model == MODEL
    assert [b.text for b in result.blocks if b.source == "user"] == [
        "Pricing",
        "annual discount",
        "launch timing",
    ]
    known = {s.index for s in SEGMENTS}
    assert all(c.segment in known for b in result.blocks for c in b.citations)
    assert all(
        b.citations or not b.verified or b.type == "heading"
        for b in result.blocks
        if b.source == "ai"
    )
    assert streamed, "the reply was streamed block by block"
