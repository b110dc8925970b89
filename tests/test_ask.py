"""Asking questions: retrieval, offline extractive answers, LLM answers through a real local
OpenAI-compatible server, citations checked against the store, and the kept conversation."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from llm_server import Reply, ScriptedLLMServer

from notes_app.ask import (
    DONT_SAY,
    EXTRACTIVE_LABEL,
    Passage,
    extractive_answer,
    keywords,
    llm_answer,
    retrieve_from_store,
    retrieve_passages,
    trim_passage,
)
from notes_app.cli import main
from notes_app.domain import Block, Citation, Segment
from notes_app.store.chat import ChatStore
from notes_app.store.search import Filters

TALK = [
    ("me", "Morning everyone, let's get started"),
    ("them", "Sure. First the weather was terrible on the drive in"),
    ("me", "About Acme: they want a discount before signing"),
    ("them", "We promised Acme pricing by Friday, ten percent at most"),
    ("me", "Good. Then the hiring plan for the support team"),
    ("them", "Two support engineers start in June"),
]


def _segments():
    return [Segment(i, i * 15.0, i * 15.0 + 12.0, t, who) for i, (who, t) in enumerate(TALK)]


@pytest.fixture
def acme(repo):
    return repo.create_meeting(
        "Acme renewal", started_at="2024-05-02T10:00:00+00:00", segments=_segments()
    )


@pytest.fixture
def other(repo):
    return repo.create_meeting(
        "Design review",
        started_at="2024-04-01T10:00:00+00:00",
        segments=[Segment(0, 0, 5, "The logo needs more contrast", "them")],
    )


def test_keywords_drop_question_boilerplate():
    assert keywords("What did they say about the Acme pricing?") == ["acme", "pricing"]
    assert keywords("what did we say?") == []


def test_retrieve_passages_in_memory_finds_the_moment_with_context():
    (best, *_) = retrieve_passages("What was promised to Acme about pricing?", _segments(), k=3)
    assert best.segment == 3
    assert "We promised Acme pricing by Friday" in best.text
    assert best.text.splitlines()[0].startswith("You: About Acme")  # the turn before, as context
    assert (best.start, best.end) == (30.0, 72.0)


def test_retrieve_passages_ranks_notes_blocks_and_returns_nothing_for_stopwords():
    blocks = [
        Block("bullet", "Acme discount capped at ten percent", "ai", 1, (Citation(3, 45.0, 57.0),))
    ]
    found = retrieve_passages("acme discount cap", _segments(), blocks, k=5)
    assert found[0].kind == "enhanced" and found[0].segment == 3
    assert retrieve_passages("what did we say", _segments()) == []


def test_retrieve_from_store_across_meetings_and_filters(repo, acme, other):
    found = retrieve_from_store(repo, "What about the logo contrast?")
    assert [(p.meeting_id, p.segment) for p in found] == [(other, 0)]
    assert retrieve_from_store(repo, "logo contrast", Filters(meeting_id=acme)) == []
    hires = retrieve_from_store(repo, "When do the support engineers start?")
    assert hires[0].meeting_id == acme and hires[0].segment == 5


def test_extractive_answer_is_labelled_and_cites_stored_segments(repo, acme):
    passages = retrieve_from_store(repo, "what did we promise acme on pricing", k=2)
    answer = extractive_answer("q", passages)
    assert answer.mode == "offline" and answer.text.startswith("Extractive answer (no LLM)")
    stored = {s.index: s.text for s in repo.get_transcript(acme).segments}
    for c in answer.citations:
        assert stored[c.segment] in c.text
    assert extractive_answer("q", []).text == DONT_SAY


# --- LLM answers through a real HTTP server -------------------------------------------------


class _Client:
    """The project's LLM client talking to the scripted server."""

    def __new__(cls, server):
        import openai

        from notes_app.enhance.llm import LLMClient

        raw = openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0)
        return LLMClient(raw, model="test-model", max_retries=0)


def _passages():
    return retrieve_passages("Acme pricing promise", _segments(), k=3, meeting_id=7, title="Acme")


def test_llm_answer_keeps_and_renumbers_valid_citations():
    passages = _passages()
    with ScriptedLLMServer() as server:
        reply = "Pricing by Friday, at most ten percent [2][9]. Discount asked [1]."
        server.queue(Reply.text(reply))
        answer = llm_answer("What did we promise Acme?", passages, _Client(server))
        prompt = server.chat_requests[0].prompt
    assert answer.mode == "llm"
    assert answer.text == "Pricing by Friday, at most ten percent [1]. Discount asked [2]."
    assert answer.citations == (passages[1], passages[0])
    assert "What did we promise Acme?" in prompt and "ONLY the numbered passages" in prompt
    # Each passage is trimmed to the sentences that answer: the hiring plan is left out.
    assert "Them: We promised Acme pricing by Friday, ten percent at most" in prompt
    assert "hiring plan" not in prompt and "hiring plan" in passages[0].text


def test_a_trimmed_passage_keeps_the_answer_after_a_matching_question():
    passage = Passage(1, 1, 0.0, 9.0, "me: Where are we on the launch date? Any news?\n"
                      "Anna: The twelfth of March. Also the office move is done.", 1.0)  # fmt: skip
    assert trim_passage("launch date", passage) == (
        "me: Where are we on the launch date? Any news?\nAnna: The twelfth of March."
    )
    passage = Passage(1, 1, 0.0, 9.0, "me: What about the launch date?\n"
                      "Anna: The twelfth of March. Also the office move is done.", 1.0)  # fmt: skip
    assert trim_passage("launch date", passage) == (
        "me: What about the launch date?\nAnna: The twelfth of March."
    )


def test_dont_know_with_a_passage_that_clearly_answers_shows_the_extractive_answer():
    passages = _passages()
    with ScriptedLLMServer() as server:
        server.queue(Reply.text("The meetings don't say."))
        answer = llm_answer("What pricing did we promise Acme?", passages, _Client(server))
    assert answer.text.startswith(EXTRACTIVE_LABEL)
    assert "We promised Acme pricing by Friday" in answer.text and answer.text.endswith("[1]")
    assert answer.mode == "offline" and answer.citations == (passages[0],)

    with ScriptedLLMServer() as server:  # the passages hold too little of the question
        server.queue(Reply.text("The meetings don't say."))
        answer = llm_answer("What did Acme say about the logo colours?", passages, _Client(server))
    assert answer.text == DONT_SAY


def test_an_uncited_answer_repeating_a_passage_is_attributed_to_it():
    passages = _passages()
    with ScriptedLLMServer() as server:
        server.queue(Reply.text("We promised Acme pricing by Friday, ten percent at most."))
        answer = llm_answer("What did we promise Acme?", passages, _Client(server))
    assert answer.text.endswith("at most. [1]") and answer.citations == (passages[0],)


@pytest.mark.parametrize(
    "reply",
    [
        "The meetings don't say.",
        "The meetings do not say anything about that [1].",
        "Acme is a large company founded in 1990.",  # no citation: not grounded
        "They agreed on pricing [7].",  # cites a passage that was not given
    ],
)
def test_llm_answer_without_grounding_says_the_meetings_dont_say(reply):
    with ScriptedLLMServer() as server:
        server.queue(Reply.text(reply))
        answer = llm_answer("q", _passages(), _Client(server))
    assert (answer.text, answer.citations) == (DONT_SAY, ())


def test_llm_not_called_without_passages():
    with ScriptedLLMServer() as server:
        answer = llm_answer("q", [], _Client(server))
        assert server.chat_requests == []
    assert answer.text == DONT_SAY


def test_cli_ask_with_llm_cites_store_segments_and_keeps_conversation(
    repo, acme, other, monkeypatch
):
    with ScriptedLLMServer() as server:
        monkeypatch.setenv("NOTES_APP_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("NOTES_APP_LLM_MODEL", "test-model")
        server.queue(Reply.text("Pricing by Friday, ten percent at most [1]."))
        out = CliRunner().invoke(
            main, ["ask", str(acme), "what", "pricing", "did", "we", "promise", "acme", "--json"]
        )
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["mode"] == "llm" and data["answer"].endswith("[1].")
    (cite,) = data["citations"]
    assert set(cite) == {"meeting_id", "segment", "start", "end", "text"}
    stored = repo.get_transcript(acme).by_index()[cite["segment"]]
    assert cite["meeting_id"] == acme and stored.text in cite["text"]
    (kept,) = ChatStore(repo.db).history(acme)
    assert kept.question == "what pricing did we promise acme" and kept.citations[0] == cite
    assert ChatStore(repo.db).history(None) == []


# A two-voice call: the mic is "me", the call is "them".
CALL = [
    ("me", "Next topic is pricing for the annual plan."),
    ("them", "I would keep the twenty percent discount on the annual plan, it stays profitable."),
    ("me", "Good, let's go with that."),
]
SAID = "I would keep the twenty percent discount on the annual plan, it stays profitable."


def _call():
    return [Segment(i, i * 10.0, i * 10.0 + 9.0, t, who) for i, (who, t) in enumerate(CALL)]


@pytest.mark.parametrize(
    ("attendees", "who", "across"),
    [(["Sarah"], "Sarah", False), (["Sarah"], "Sarah", True), (["Sarah", "Tom"], "Them", False)],
)
def test_cli_ask_with_llm_shows_the_one_attendee_by_name(repo, monkeypatch, attendees, who, across):
    meeting = repo.create_meeting("Q2 review", segments=_call(), attendees=attendees)
    where = ["--all"] if across else [str(meeting)]
    with ScriptedLLMServer() as server:
        monkeypatch.setenv("NOTES_APP_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("NOTES_APP_LLM_MODEL", "test-model")
        server.queue(Reply.text("Sarah would keep the twenty percent discount [1]."))
        question = "What did Sarah say about the discount?"
        out = CliRunner().invoke(main, ["ask", *where, question, "--llm", "--json"])
        prompt = server.chat_requests[0].prompt
    assert out.exit_code == 0, out.output
    # The model reads who "Sarah" is from the passages it is given.
    assert f"{who}: {SAID}\nYou: Good, let's go with that." in prompt
    (cite,) = json.loads(out.output)["citations"]
    assert cite["segment"] == 1 and f"{who}: {SAID}" in cite["text"].splitlines()
    # The stored turn keeps its side; the history keeps the citation as shown.
    assert repo.get_transcript(meeting).by_index()[1].speaker == "them"
    (kept,) = ChatStore(repo.db).history(None if across else meeting)
    assert kept.citations[0] == cite


def test_cli_ask_offline_shows_the_one_attendee_by_name(repo):
    meeting = repo.create_meeting("Q2 review", segments=_call(), attendees=["Sarah"])
    question = "What did Sarah say about the discount?"
    out = CliRunner().invoke(main, ["ask", str(meeting), question, "--offline"])
    assert out.exit_code == 0, out.output
    assert f"    Sarah: {SAID}" in out.output.splitlines() and "Them:" not in out.output


def test_cli_ask_llm_error_is_one_clear_line(repo, acme, monkeypatch):
    with ScriptedLLMServer(models=["other-model"]) as server:
        monkeypatch.setenv("NOTES_APP_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("NOTES_APP_LLM_MODEL", "test-model")
        out = CliRunner().invoke(main, ["ask", "acme pricing", "--llm"])
    assert out.exit_code == 1 and out.output.startswith("Error: ")
    assert ChatStore(repo.db).history(None) == []  # nothing half-answered is kept


def test_cli_ask_offline_across_meetings(repo, acme, other):
    runner = CliRunner()
    out = runner.invoke(main, ["ask", "--all", "logo contrast?", "--json"])
    data = json.loads(out.output)
    assert data["mode"] == "offline" and data["citations"][0]["meeting_id"] == other
    history = runner.invoke(main, ["ask", "--history", "--json"])
    assert [h["question"] for h in json.loads(history.output)["history"]] == ["logo contrast?"]
    out = runner.invoke(main, ["ask", "--offline", "--since", "2024-05-01", "logo contrast"])
    assert out.output.strip() == DONT_SAY


def test_cli_ask_usage_errors(repo, acme):
    runner = CliRunner()
    out = runner.invoke(main, ["ask", str(acme)])
    assert out.exit_code == 1 and "Add a question" in out.output
    out = runner.invoke(main, ["ask", "404", "what happened"])
    assert out.exit_code == 1 and "No meeting with id 404" in out.output
    out = runner.invoke(main, ["ask", str(acme), "--history"])
    assert out.exit_code == 0 and "No questions asked yet." in out.output


def test_passage_json_shape():
    p = Passage(3, 4, 1.23456, 2.0, "them: hi", 1.0)
    assert p.to_dict() == {
        "meeting_id": 3,
        "segment": 4,
        "start": 1.235,
        "end": 2.0,
        "text": "them: hi",
    }
