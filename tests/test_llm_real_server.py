"""The LLM path against a real local model server: the demo meeting enhanced and asked about.

Marked ``real_llm``. Runs against ``NOTES_APP_TEST_LLM_BASE_URL`` (default
http://127.0.0.1:18080/v1, a llama.cpp server with a small instruct model) when it answers,
with ``NOTES_APP_TEST_LLM_MODEL`` or the first model the server lists; skipped otherwise::

    python -m pytest -q -m real_llm tests/test_llm_real_server.py

What a small model writes varies, so this checks the promises that hold for any model: the
user's lines verbatim and in order, every AI line citing real segments, the figure in the
``4.2M`` line's context, and an answer about the pricing decision that cites the meeting.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest

from notes_app.ask import DONT_SAY, answer_question
from notes_app.enhance.enhancer import enhance
from notes_app.enhance.notes_parse import parse_notes
from notes_app.enhance.numbers import normalise_quantities
from notes_app.sample import SAMPLE_ATTENDEES, SAMPLE_TITLE, sample_audio, sample_notes
from notes_app.store.search import Filters

BASE_URL = os.environ.get("NOTES_APP_TEST_LLM_BASE_URL", "http://127.0.0.1:18080/v1").rstrip("/")


def _server_models() -> tuple[list[str], str]:
    """The models the server lists, or [] and why it cannot be used."""
    try:
        with urllib.request.urlopen(BASE_URL + "/models", timeout=3) as response:
            data = json.load(response)
    except (OSError, ValueError) as e:
        return [], f"no LLM server answers at {BASE_URL} ({e}); start one or set " + (
            "NOTES_APP_TEST_LLM_BASE_URL"
        )
    return [m["id"] for m in data.get("data", [])], ""


MODELS, WHY_NOT = _server_models()
MODEL = os.environ.get("NOTES_APP_TEST_LLM_MODEL") or (MODELS[0] if MODELS else "")

pytestmark = [
    pytest.mark.real_llm,
    pytest.mark.skipif(not MODEL, reason=WHY_NOT or f"the server at {BASE_URL} lists no model"),
]


def settings() -> SimpleNamespace:
    return SimpleNamespace(
        base_url=BASE_URL,
        model=MODEL,
        api_key=os.environ.get("NOTES_APP_TEST_LLM_API_KEY", ""),
        timeout=300.0,
        context_tokens=8192,
        max_retries=1,
        embed_model="",
    )


@pytest.fixture(scope="module")
def demo_transcript(whisper_engine):
    with sample_audio() as audio:
        return whisper_engine.transcribe_file(audio, language="en")


@pytest.fixture
def demo_meeting(repo, demo_transcript):
    mid = repo.create_meeting(
        SAMPLE_TITLE,
        notes=sample_notes(),
        segments=demo_transcript.segments,
        attendees=SAMPLE_ATTENDEES,
    )
    return repo.get_meeting(mid)


def test_the_demo_meeting_enhanced_by_a_real_model(demo_meeting, demo_transcript):
    streamed = []
    lines = parse_notes(sample_notes())
    result = enhance(
        demo_transcript,
        lines,
        llm_settings=settings(),
        mode="llm",
        meeting=demo_meeting,
        on_block=streamed.append,
    )

    assert result.mode == "llm" and result.model == MODEL
    assert [(b.note_line, b.text) for b in result.blocks if b.source == "user"] == [
        (ln.line, ln.text) for ln in lines
    ]
    known = {s.index for s in demo_transcript.segments}
    ai = [b for b in result.blocks if b.source == "ai"]
    assert ai and all(b.citations for b in ai)
    assert all(c.segment in known for b in ai for c in b.citations)
    figure = next(ln.line for ln in lines if ln.text == "4.2M")
    under_figure = " ".join(b.text for b in ai if b.note_line == figure)
    assert "revenue" in under_figure.lower(), under_figure
    assert "n:4200000" in normalise_quantities(under_figure), under_figure
    # Sections the AI adds (note_line None) come after every user line and its context.
    last_user = max(i for i, b in enumerate(result.blocks) if b.source == "user")
    own = result.blocks[last_user].note_line
    assert all(b.note_line in (None, own) for b in result.blocks[last_user + 1 :])
    first_section = next(i for i, b in enumerate(result.blocks) if b.note_line is None)
    assert first_section > last_user
    # Streamed as written, in the notes' order.
    assert [b.text for b in streamed if b.source == "user"] == [ln.text for ln in lines]


def test_ask_about_the_demo_meeting_answers_the_pricing_decision_with_a_citation(
    repo, demo_meeting
):
    answer = answer_question(
        repo,
        "what did we decide about pricing",
        Filters(meeting_id=demo_meeting.id),
        llm_settings=settings(),
        use_llm=True,
    )
    assert answer.text != DONT_SAY and answer.citations, answer.text
    assert "annual" in answer.text.lower(), answer.text
    assert any("annual plan" in p.text for p in answer.citations)
