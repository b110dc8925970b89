"""Evidence-first LLM enhancement end to end: real openai client, real HTTP server on 127.0.0.1,
scripted replies. The offline enhancer picks each note's evidence; the model writes one line per
note from it; the checks keep what the model may not say out of the notes."""

from __future__ import annotations

import json

import pytest
from llm_fixtures import (
    GOOD_LINES,
    NOTES,
    SEGMENTS,
    TRANSCRIPT,
    items_reply,
    llm_settings,
    notes_in,
    quoting_responder,
)
from llm_server import Reply, ScriptedLLMServer, llm_server  # noqa: F401

from notes_app.domain import Meeting, Segment, Transcript
from notes_app.enhance import checks
from notes_app.enhance.enhancer import choose_mode, enhance
from notes_app.enhance.notes_parse import parse_notes
from notes_app.enhance.offline import enhance_offline
from notes_app.errors import ConfigError, LLMError

KEY = "sk-test-SECRET-1234"
USER_LINES = ["Pricing", "annual discount", "launch timing"]


def run(server: ScriptedLLMServer, notes=NOTES, transcript=TRANSCRIPT, **kw):
    """Enhance against the scripted server; several notes per request (the mechanics under
    test), where the default is one (see the test of that below)."""
    kw.setdefault("batch_size", 5)
    settings = llm_settings(server.base_url, **kw.pop("settings", {}))
    return enhance(transcript, notes, llm_settings=settings, mode=kw.pop("mode", "llm"), **kw)


def user_texts(result) -> list[str]:
    return [b.text for b in result.blocks if b.source == "user"]


def ai(result, text_part: str):
    return next(b for b in result.blocks if b.source == "ai" and text_part in b.text)


def offline_texts(notes=NOTES, transcript=TRANSCRIPT) -> list[str]:
    return [b.text for b in enhance_offline(transcript, notes).blocks]


def test_each_note_gets_one_line_from_its_evidence_citing_that_evidence(llm_server):  # noqa: F811
    llm_server.queue(items_reply(GOOD_LINES))
    result = run(llm_server, template="sales-call")

    assert len(llm_server.chat_requests) == 1  # three lines, one request
    assert result.mode == "llm" and result.model == "test-model"
    assert result.template == "sales-call" and result.notice is None
    assert [(b.source, b.text) for b in result.blocks] == [
        ("user", "Pricing"),
        ("user", "annual discount"),
        ("ai", GOOD_LINES[0]),
        ("user", "launch timing"),
        ("ai", GOOD_LINES[1]),
        ("ai", "Action items"),
        ("ai", GOOD_LINES[2]),
    ]
    # Citations are the evidence the line was written from: what the offline enhancer cited.
    assert [c.segment for c in ai(result, "15 percent").citations] == [0, 1]
    assert ai(result, "15 percent").note_line == 2
    assert [c.segment for c in ai(result, "March 3rd").citations] == [3]
    assert [c.segment for c in ai(result, "Priya").citations] == [2]
    assert ai(result, "Priya").note_line is None
    assert all(b.verified for b in result.blocks)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["mode"] == "llm" and data["blocks"][2]["verified"] is True


def test_the_prompt_holds_each_notes_evidence_not_the_transcript(llm_server):  # noqa: F811
    llm_server.queue(items_reply(GOOD_LINES))
    meeting = Meeting(id=7, title="Acme renewal", attendees=("Priya", "Sam"))
    run(llm_server, meeting=meeting, template="1:1")

    request = llm_server.chat_requests[0]
    asked = notes_in(request)
    assert [(n, note) for n, note, _ in asked] == [
        (1, "annual discount"),
        (2, "launch timing"),
        (3, "Priya: send the revised quote by Friday"),
    ]
    assert asked[0][2] == [
        "You: Let's talk pricing for the annual plan.",
        "Them: We can offer a 15 percent discount if they sign this quarter.",
    ]
    assert asked[1][2] == ["You: And the launch is planned for March 3rd."]
    assert "QA signs off" not in request.prompt  # a segment no note was grounded in
    assert 'Note 1 (under "Pricing")' in request.prompt
    assert "Note 3 (ACTION ITEM)" in request.prompt
    assert "Meeting: Acme renewal" in request.prompt and "Attendees: Priya, Sam" in request.prompt
    assert "Blockers and concerns" in request.prompt  # the one-on-one template's sections
    assert request.body["response_format"]["type"] == "json_schema"
    assert request.body["max_tokens"] > 0


def test_in_a_call_with_one_attendee_they_are_named_in_the_evidence(llm_server):  # noqa: F811
    lines = ["Dana offered a 15 percent discount if they sign this quarter.", *GOOD_LINES[1:]]
    llm_server.queue(items_reply(lines))
    result = run(llm_server, meeting=Meeting(id=1, title="Renewal", attendees=("Dana",)))
    prompt = llm_server.chat_requests[0].prompt
    assert "- Dana: We can offer a 15 percent discount" in prompt and "Them:" not in prompt
    assert ai(result, "Dana offered").verified and result.notice is None


def test_the_question_before_an_answer_is_part_of_its_evidence(llm_server):  # noqa: F811
    segments = (
        Segment(0, 0.0, 4.0, "Morning, everyone.", "me"),
        Segment(1, 4.0, 8.0, "Where are we with the mobile launch?", "me"),
        Segment(2, 8.0, 14.0, "We are aiming for the twelfth of March for the launch.", "Anna"),
    )
    llm_server.queue(items_reply(["Anna: aiming for the twelfth of March."]))
    result = run(llm_server, notes="- launch date\n", transcript=Transcript(segments))

    (asked,) = notes_in(llm_server.chat_requests[0])
    assert asked[2][0] == "You: Where are we with the mobile launch?"
    assert [c.segment for c in ai(result, "twelfth").citations] == [1, 2]


def test_parsed_note_lines_are_taken_as_they_are(llm_server):  # noqa: F811
    llm_server.queue(items_reply(GOOD_LINES))
    result = run(llm_server, notes=parse_notes(NOTES))
    assert user_texts(result) == USER_LINES
    assert [b.note_line for b in result.blocks if b.source == "user"] == [1, 2, 4]
    assert ai(result, "March 3rd").note_line == 4


def test_lines_stream_in_note_order_as_the_reply_arrives(llm_server):  # noqa: F811
    llm_server.queue(items_reply(GOOD_LINES, chunk_size=7))
    streamed = []
    result = run(llm_server, on_block=streamed.append)

    assert llm_server.chat_requests[0].body["stream"] is True
    assert streamed == list(result.blocks)


def test_notes_go_in_batches_and_every_line_stays_in_order(llm_server):  # noqa: F811
    topics = ["budget", "hiring", "office", "travel", "laptops", "training", "security",
              "catering", "parking", "licences", "cloud", "printers"]  # fmt: skip
    segments = tuple(
        Segment(i, i * 10.0, i * 10.0 + 9, f"The {t} line item is {i + 2} thousand dollars.", "Ann")
        for i, t in enumerate(topics)
    )
    notes = "# Costs\n" + "".join(f"- {t}\n" for t in topics)
    llm_server.responder = quoting_responder()
    progress: list[tuple] = []
    result = run(
        llm_server,
        notes=notes,
        transcript=Transcript(segments),
        on_progress=lambda *a: progress.append(a),
    )

    requests = llm_server.chat_requests
    sizes = [len(notes_in(r)) for r in requests]
    assert len(requests) >= 3 and max(sizes) <= 5 and sum(sizes) == len(topics)
    assert user_texts(result) == ["Costs", *topics]
    for t in topics:  # each line's context sits under it and cites its own segment
        block = ai(result, f"The {t} line item")
        assert block.note_line == topics.index(t) + 2
        assert [c.segment for c in block.citations] == [topics.index(t)]
    assert progress[0] == (0, len(requests)) and progress[-1] == (len(requests),) * 2


def test_a_line_with_a_number_or_name_not_in_its_evidence_keeps_the_offline_text(
    llm_server,  # noqa: F811
):
    lines = list(GOOD_LINES)
    lines[0] = "Them offered a 20 percent discount on the annual plan."  # the meeting said 15
    llm_server.queue(items_reply(lines))
    result = run(llm_server)

    offline = offline_texts()
    assert "They: We can offer a 15 percent discount if they sign this quarter." in offline
    texts = [b.text for b in result.blocks]
    assert "20 percent" not in " ".join(texts)
    assert texts[2:4] == offline[2:4]  # both offline lines under "annual discount"
    assert ai(result, "March 3rd").text == GOOD_LINES[1]  # the others are the model's
    assert result.notice and result.notice.startswith("1 of 3 AI lines kept the offline text")
    assert user_texts(result) == USER_LINES


def test_a_line_that_drops_the_figure_the_call_gave_keeps_the_offline_text(
    llm_server,  # noqa: F811
):
    lines = list(GOOD_LINES)
    lines[0] = "Them offered a discount on the annual plan if they sign this quarter."
    llm_server.queue(items_reply(lines))
    result = run(llm_server)

    texts = [b.text for b in result.blocks]
    assert texts[2:4] == offline_texts()[2:4]  # "15 percent" stays under "annual discount"
    assert ai(result, "March 3rd").text == GOOD_LINES[1]
    assert result.notice and result.notice.startswith("1 of 3 AI lines kept the offline text")


def test_a_line_that_only_says_the_note_again_keeps_the_offline_text(
    llm_server,  # noqa: F811
):
    transcript = Transcript(
        (
            Segment(0, 0.0, 4.0, "Should we try TikTok this time?", "me", 0),
            Segment(1, 4.0, 9.0, "I'd skip TikTok, our buyers aren't there.", "them", 1),
        )
    )
    llm_server.queue(items_reply(["Them: TikTok"]))  # a side, and the note again
    result = run(llm_server, notes="? TikTok\n", transcript=transcript)

    assert [b.text for b in result.blocks if b.source == "ai"] == [
        "They: I'd skip TikTok, our buyers aren't there."
    ]
    assert result.notice and result.notice.startswith("1 of 1 AI lines kept the offline text")


def test_what_keeping_the_figures_asks_of_a_line():
    grounded = "They: We can offer a 15 percent discount if they sign this quarter."
    assert checks.keeps_figures(GOOD_LINES[0], grounded).ok
    dropped = checks.keeps_figures("Them offered a discount on the annual plan.", grounded)
    assert not dropped.ok and "15" in dropped.reason
    # The note's own figure too: a line without it may be about another moment.
    assert not checks.keeps_figures("Sarah: revenue is up", "Revenue came at 4.2M.").ok
    assert checks.keeps_figures("Sarah: revenue came at $4.2M", "Revenue came at 4.2M.").ok
    assert checks.keeps_figures("Launch planned soon.", "The launch is planned.").ok  # no figure
    # When the call said when, the line says it too ("may" the verb is no month).
    later = "Dark mode isn't in this version, we'll do it after the launch, probably next quarter."
    assert not checks.keeps_figures("They suggested adding dark mode.", later).ok
    assert checks.keeps_figures("Dark mode comes next quarter, after the launch.", later).ok
    assert checks.keeps_figures("They might sign.", "We may sign if the price is locked.").ok
    assert not checks.keeps_figures("Jordan can start.", "Jordan could start on the 1st of May.").ok


@pytest.mark.parametrize(
    "line, reason",
    [
        ("Marcus: send the revised quote (due: Friday)", "name"),  # Priya said it
        ("Priya: send the revised quote (due: Monday)", "name"),
        ("Priya: send the revised quote by June 5", "quantity"),
    ],
)
def test_the_guard_names_what_a_line_brought_in(line, reason):
    evidence = (SEGMENTS[2],)
    verdict = checks.check_context(line, evidence, "", people={"Priya", "Marcus"})
    assert not verdict.ok and reason in verdict.reason
    assert checks.check_context(GOOD_LINES[2], evidence).ok


def test_a_speaker_opening_a_sentence_must_be_in_the_evidence():
    evidence = (Segment(0, 0, 4, "I can send the quote tomorrow.", "Priya"),)
    assert checks.check_context("Priya will send the quote tomorrow.", evidence).ok
    assert not checks.check_context(
        "Marcus will send the quote tomorrow.", evidence, people={"Priya", "Marcus"}
    ).ok


def test_a_reply_failing_beyond_the_threshold_gives_the_whole_batch_offline_text(
    llm_server,  # noqa: F811
):
    lines = [
        "Them offered 25 percent.",  # wrong number
        "Launch planned for April 9.",  # wrong date
        GOOD_LINES[2],  # fine, but its reply is not trusted
    ]
    llm_server.queue(items_reply(lines))
    reports = []
    result = run(llm_server, on_checked=reports.append)

    assert [b.text for b in result.blocks] == offline_texts()
    assert result.mode == "llm" and all(b.verified for b in result.blocks)
    assert reports[0].guard_tripped and reports[0].written == 0 and reports[0].fell_back == 3
    assert result.notice == (
        "3 of 3 AI lines kept the offline text; 1 of 1 replies failed the checks as a whole."
    )


@pytest.mark.parametrize(
    "reply",
    [
        Reply.text("Sorry, as a language model I cannot do that."),
        Reply.json({"notes": "free text"}),
        Reply.text('{"items": [{"note": 1, "context": "Them offered a 15 percent disc'),
    ],
)
def test_an_unusable_reply_keeps_the_offline_text_for_its_lines(llm_server, reply):  # noqa: F811
    llm_server.queue(reply)
    result = run(llm_server)
    assert result.mode == "llm"
    assert [b.text for b in result.blocks] == offline_texts()
    assert result.notice.startswith("3 of 3 AI lines kept the offline text")


def test_null_or_missing_lines_keep_the_offline_text_and_fenced_json_is_read(llm_server):  # noqa: F811
    body = json.dumps(
        {"items": [{"note": 1, "context": GOOD_LINES[0]}, {"note": 3, "context": None}]}
    )
    llm_server.queue(Reply.text(f"Here you go!\n```json\n{body}\n```"))
    result = run(llm_server)
    offline = offline_texts()
    assert ai(result, "15 percent").text == GOOD_LINES[0]
    assert [b.text for b in result.blocks][3:] == offline[4:]  # note 2 left out, note 3 null
    assert result.notice.startswith("2 of 3")


def test_a_note_the_meeting_never_covered_gets_nothing(llm_server):  # noqa: F811
    notes = NOTES + "- office plants\n"
    llm_server.responder = quoting_responder()
    result = run(llm_server, notes=notes)
    assert "office plants" not in llm_server.chat_requests[0].prompt
    plants = next(i for i, b in enumerate(result.blocks) if b.text == "office plants")
    following = result.blocks[plants + 1]
    assert following.note_line is None  # the action items come next, nothing under it


def test_sections_come_after_all_of_the_users_lines(llm_server):  # noqa: F811
    notes = "# Pricing\n- annual discount\n# Launch\n- launch timing\n"
    llm_server.responder = quoting_responder()
    result = run(llm_server, notes=notes)
    last_user = max(i for i, b in enumerate(result.blocks) if b.source == "user")
    heading = next(i for i, b in enumerate(result.blocks) if b.text == "Action items")
    assert heading > last_user


def test_a_stream_that_ends_empty_is_asked_again_without_streaming(llm_server):  # noqa: F811
    llm_server.queue(Reply.text("", finish_reason=None), items_reply(GOOD_LINES))
    streamed = []
    result = run(llm_server, on_block=streamed.append)
    first, second = llm_server.chat_requests
    assert first.body["stream"] is True and not second.body.get("stream")
    assert streamed == list(result.blocks) and result.notice is None


def test_a_placeholder_or_empty_line_keeps_the_offline_text(llm_server):  # noqa: F811
    llm_server.queue(items_reply(["...", *GOOD_LINES[1:]]))
    result = run(llm_server)
    assert result.notice.startswith("1 of 3") and "..." not in [b.text for b in result.blocks]
    assert checks.clean_context("<one short line>") is None
    assert checks.clean_context(" Launch  on March 3rd [4]. ") == "Launch on March 3rd."


def test_a_context_overflow_halves_the_batch_and_retries(llm_server):  # noqa: F811
    overflow = Reply.error(
        400, "This model's maximum context length is 8192 tokens, you requested 8284 tokens"
    )
    llm_server.queue(overflow, items_reply([GOOD_LINES[0]]), items_reply(GOOD_LINES[1:]))
    result = run(llm_server, settings={"max_retries": 0})

    sizes = [len(notes_in(r)) for r in llm_server.chat_requests]
    assert sizes == [3, 1, 2]
    assert [b.text for b in result.blocks if b.source == "ai" and b.type == "bullet"] == GOOD_LINES


def test_a_stream_that_stalls_midway_is_a_timeout_error(llm_server):  # noqa: F811
    llm_server.queue(items_reply(GOOD_LINES, chunk_size=20, stall_after=6))
    streamed = []
    with pytest.raises(LLMError, match="did not answer within 1 s"):
        run(llm_server, settings={"timeout": 1.0}, on_block=streamed.append)
    assert [b.text for b in streamed][:3] == ["Pricing", "annual discount", GOOD_LINES[0]]


def test_no_notes_rewords_the_offline_summary_points(llm_server):  # noqa: F811
    llm_server.responder = quoting_responder()
    result = run(llm_server, notes="")
    assert result.mode == "llm" and all(b.source == "ai" for b in result.blocks)
    assert all(b.citations for b in result.blocks)
    assert "Note 1" in llm_server.chat_requests[0].prompt


# --- mode and fallback ---------------------------------------------------------------------------


def test_auto_mode_uses_the_llm_only_when_configured():
    assert choose_mode("auto", llm_settings("http://x/v1")) == "llm"
    assert choose_mode("auto", llm_settings("")) == "offline"
    assert choose_mode(None, llm_settings("http://x/v1", model="")) == "offline"
    with pytest.raises(ConfigError):
        choose_mode("cloud", llm_settings(""))


def test_offline_mode_never_calls_the_server(llm_server):  # noqa: F811
    result = run(llm_server, mode="offline")
    assert result.mode == "offline" and llm_server.chat_requests == []
    assert user_texts(result) == USER_LINES


def test_fallback_offline_turns_a_failure_into_labelled_offline_notes(llm_server):  # noqa: F811
    llm_server.queue(*[Reply.error(500, f"boom {KEY}")] * 3)
    settings = {"max_retries": 0}
    with pytest.raises(LLMError) as err:
        run(llm_server, settings=settings)
    assert KEY not in str(err.value)

    llm_server.queue(Reply.error(500, "boom"))
    result = run(llm_server, settings=settings, fallback="offline")
    assert result.mode == "offline"
    assert result.model.startswith("offline (LLM failed: The LLM endpoint")
    assert user_texts(result) == USER_LINES
    json.dumps(result.to_dict())


def test_unknown_template_lists_the_choices(llm_server):  # noqa: F811
    with pytest.raises(ConfigError, match="sales-call"):
        run(llm_server, template="board-meeting")


def test_user_template_from_the_templates_folder(llm_server, tmp_path):  # noqa: F811
    (tmp_path / "board.md").write_text(
        "# Board meeting\nQuarterly board.\n\n## Sections\n- Financials\n- Votes\n\n"
        "## Emphasis\nRecord every vote count.\n",
        encoding="utf-8",
    )
    llm_server.queue(items_reply(GOOD_LINES))
    result = run(llm_server, template="board", templates_dir=tmp_path)
    prompt = llm_server.chat_requests[0].prompt
    assert "Financials; Votes" in prompt and "Record every vote count." in prompt
    assert result.template == "board"


def test_notes_typed_before_the_recording_are_marked_as_agenda(llm_server):  # noqa: F811
    llm_server.queue(items_reply(GOOD_LINES))
    meeting = Meeting(id=3, title="Renewal", agenda="# Pricing\n- annual discount\n")
    run(llm_server, meeting=meeting)
    prompt = llm_server.chat_requests[0].prompt
    assert "an agenda topic typed before the meeting): annual discount" in prompt
    assert 'Note 2 (under "Pricing"): launch timing' in prompt


def test_agenda_line_numbers_follow_edits():
    from notes_app.enhance.notes_parse import agenda_line_numbers

    agenda = "Pricing\n- discount\n- risks\n"
    notes = "Pricing\n- discount 15%\n- risks\n- Sarah owns the quote\n- risks\n"
    # An edited line is the user's own again; a repeated line counts once.
    assert agenda_line_numbers(notes, agenda) == (1, 3)
    assert agenda_line_numbers(notes, None) == ()


def test_by_default_each_note_is_its_own_request(llm_server):  # noqa: F811
    llm_server.queue(*(items_reply([line]) for line in GOOD_LINES))
    result = run(llm_server, batch_size=None)
    asked = [notes_in(r) for r in llm_server.chat_requests]
    assert [len(a) for a in asked] == [1, 1, 1]
    assert [a[0][1] for a in asked] == [
        "annual discount",
        "launch timing",
        "Priya: send the revised quote by Friday",
    ]
    assert ai(result, "15 percent").text == GOOD_LINES[0] and result.notice is None


def test_a_line_repeating_another_notes_line_keeps_the_offline_text(llm_server):  # noqa: F811
    segments = (
        Segment(0, 0.0, 5.0, "How did the quarter close?", "me"),
        Segment(
            1,
            5.0,
            12.0,
            "Revenue came in at 4.2 million, up eighteen percent on last year.",
            "them",
        ),
    )
    line = "Revenue came in at 4.2 million, up eighteen percent on last year."
    llm_server.queue(items_reply([line]), items_reply([line]))
    result = run(
        llm_server, notes="- 4.2M\n- 18%\n", transcript=Transcript(segments), batch_size=None
    )
    under = [
        [b.text for b in result.blocks if b.source == "ai" and b.note_line == n] for n in (1, 2)
    ]
    assert under[0] == [line]
    assert under[1] and under[1] != [line]  # the offline clause for the second note
    assert result.notice and result.notice.startswith("1 of 2")


@pytest.mark.parametrize(
    "said, shown",
    [
        (
            "Sarah mentioned that revenue for the quarter came at $4.2 million.",
            "Sarah: Revenue for the quarter came at $4.2 million.",
        ),
        (
            "Priya Raghunathan noted the renewal is due in May.",
            "Priya Raghunathan: The renewal is due in May.",
        ),
        ("You also said, churn fell to 3%.", "You: Churn fell to 3%."),
        ("The speaker said that the launch slips to April.", "The launch slips to April."),
        # Already worded as a note, or not a retelling: as written.
        (
            "Sarah will send the pricing proposal by Friday.",
            "Sarah will send the pricing proposal by Friday.",
        ),
        ("It said nothing about the budget.", "It said nothing about the budget."),
        ("revenue reported a loss of 2M", "revenue reported a loss of 2M"),
    ],
)
def test_a_retold_line_is_worded_as_a_note(said, shown):
    assert checks.clean_context(said) == shown
