"""LLM enhancement end to end: real openai client, real HTTP server on 127.0.0.1, scripted
replies; the checks that keep the user's lines and the citations honest."""

from __future__ import annotations

import json
import re

import pytest
from llm_fixtures import NOTES, SEGMENTS, TRANSCRIPT, good_blocks, llm_settings
from llm_server import Reply, ScriptedLLMServer, llm_server  # noqa: F401

from notes_app.domain import Meeting, Segment, Transcript
from notes_app.enhance.enhancer import choose_mode, enhance
from notes_app.errors import ConfigError, LLMError

KEY = "sk-test-SECRET-1234"


def run(server: ScriptedLLMServer, notes: str = NOTES, transcript=TRANSCRIPT, **kw):
    settings = llm_settings(server.base_url, **kw.pop("settings", {}))
    return enhance(transcript, notes, llm_settings=settings, mode=kw.pop("mode", "llm"), **kw)


def user_texts(result) -> list[str]:
    return [b.text for b in result.blocks if b.source == "user"]


def ai(result, text_part: str):
    return next(b for b in result.blocks if b.source == "ai" and text_part in b.text)


def test_good_reply_fits_the_enhanced_notes_contract(llm_server):  # noqa: F811
    llm_server.queue(Reply.json({"blocks": good_blocks()}))
    result = run(llm_server, template="sales-call")

    assert result.mode == "llm" and result.model == "test-model"
    assert result.template == "sales-call"
    assert [b.source for b in result.blocks] == ["user", "user", "ai", "user", "ai", "ai", "ai"]
    assert user_texts(result) == ["Pricing", "annual discount", "launch timing"]
    assert all(b.verified for b in result.blocks)
    assert [c.segment for c in ai(result, "15%").citations] == [1]
    assert ai(result, "15%").note_line == 2
    action_heading = ai(result, "Action items")
    assert [c.segment for c in action_heading.citations] == [2]
    data = json.loads(json.dumps(result.to_dict()))
    assert data["mode"] == "llm" and data["blocks"][2]["verified"] is True


def test_prompt_has_labelled_notes_segment_ids_speakers_and_meeting(llm_server):  # noqa: F811
    llm_server.queue(Reply.json({"blocks": good_blocks()}))
    meeting = Meeting(
        id=7, title="Acme renewal", started_at="2024-05-02T14:00:00", attendees=("Priya", "Sam")
    )
    result = run(llm_server, meeting=meeting, template="1:1", agenda_lines=[1])

    prompt = llm_server.chat_requests[0].prompt
    assert "<notes>" in prompt and "</notes>" in prompt
    assert "2 | - annual discount" in prompt and "1 AGENDA | # Pricing" in prompt
    assert "[1] 00:05 them: We can offer a 15 percent discount" in prompt
    assert "[3] 00:15 me: And the launch" in prompt
    assert "Meeting: Acme renewal" in prompt and "Attendees: Priya, Sam" in prompt
    assert "Date: 2024-05-02 14:00" in prompt
    assert "Blockers and concerns" in prompt  # the one-on-one template's sections
    assert result.meeting_id == 7 and result.template == "one-on-one"
    body = llm_server.chat_requests[0].body
    assert body["response_format"]["type"] == "json_schema"


def test_blocks_stream_to_the_caller_as_they_arrive(llm_server):  # noqa: F811
    llm_server.queue(Reply.json({"blocks": good_blocks()}, chunk_size=7))
    streamed = []
    result = run(llm_server, on_block=streamed.append)

    assert llm_server.chat_requests[0].body["stream"] is True
    assert [b.text for b in streamed] == [b["text"] for b in good_blocks()]
    assert streamed[0].source == "user" and streamed[2].citations[0].segment == 1
    assert len(result.blocks) == len(streamed)


def test_dropped_and_altered_user_lines_are_put_back_verbatim_in_place(llm_server):  # noqa: F811
    blocks = good_blocks()
    blocks[1]["text"] = "Annual discount of 15% agreed"  # altered
    del blocks[3]  # "launch timing" dropped
    llm_server.queue(Reply.json({"blocks": blocks}))
    result = run(llm_server)

    assert user_texts(result) == ["Pricing", "annual discount", "launch timing"]
    kinds = [(b.source, b.text) for b in result.blocks][:5]
    assert kinds[1] == ("user", "annual discount")
    assert kinds[3] == ("user", "launch timing")
    assert kinds[4][0] == "ai" and "March 3" in kinds[4][1]  # its context stays under it


def test_a_user_block_the_user_never_wrote_becomes_an_unverified_ai_line(llm_server):  # noqa: F811
    blocks = good_blocks()
    blocks.insert(
        2,
        {
            "type": "bullet",
            "text": "Budget is $2M",
            "source": "user",
            "note_line": None,
            "segments": [],
            "level": 1,
        },
    )
    llm_server.queue(Reply.json({"blocks": blocks}))
    result = run(llm_server)
    impostor = ai(result, "Budget is $2M")
    assert not impostor.verified and user_texts(result) == [
        "Pricing",
        "annual discount",
        "launch timing",
    ]


def test_citations_to_missing_segments_are_removed(llm_server):  # noqa: F811
    blocks = good_blocks()
    blocks[2]["segments"] = [1, 99]
    blocks[4]["segments"] = [42]
    llm_server.queue(Reply.json({"blocks": blocks}))
    result = run(llm_server)

    discount = ai(result, "15%")
    assert [c.segment for c in discount.citations] == [1] and discount.verified
    launch = ai(result, "Launch planned")
    assert launch.citations == () and launch.verified is False
    assert launch.to_dict()["verified"] is False


def test_invented_numbers_dates_and_names_are_marked_unverified(llm_server):  # noqa: F811
    blocks = good_blocks()
    blocks[2]["text"] = "20% discount if they sign this quarter"  # transcript says 15
    blocks[4]["text"] = "Launch planned for April 9"  # transcript says March 3rd
    blocks[6]["text"] = "Marcus: send the revised quote (due: Friday)"  # Priya said it
    blocks.append(
        {
            "type": "bullet",
            "text": "Discount confirmed for the annual plan",
            "source": "ai",
            "note_line": 2,
            "segments": [0, 1],
            "level": 1,
        }
    )
    llm_server.queue(Reply.json({"blocks": blocks}))
    result = run(llm_server)

    assert not ai(result, "20% discount").verified
    assert not ai(result, "April 9").verified
    assert not ai(result, "Marcus").verified
    assert ai(result, "Discount confirmed").verified  # no numbers or names to doubt
    assert len([b for b in result.blocks if b.source == "ai"]) == 5  # kept, only marked


def test_a_speakers_name_is_known_from_who_said_the_cited_segment(llm_server):  # noqa: F811
    segments = (Segment(0, 0.0, 4.0, "I can send the quote tomorrow.", "Priya"),)
    blocks = [{"type": "bullet", "text": "Quote to be sent by Priya", "source": "ai",
               "note_line": None, "segments": [0], "level": 1}]  # fmt: skip
    llm_server.queue(Reply.json({"blocks": blocks}))
    result = run(llm_server, notes="", transcript=Transcript(segments))
    assert result.blocks[0].verified


def test_json_in_fences_with_prose_and_trailing_commas_is_accepted(llm_server):  # noqa: F811
    text = "Here are your notes!\n```json\n" + json.dumps({"blocks": good_blocks()})[:-2]
    text += ",]}\n```\nLet me know if you need anything else."
    llm_server.queue(Reply.text(text))
    assert user_texts(run(llm_server)) == ["Pricing", "annual discount", "launch timing"]


@pytest.mark.parametrize(
    "reply, expected",
    [
        (
            Reply.text('{"blocks": [{"type": "heading", "text": "Pricing", "source": "us'),
            "stops after 0 complete blocks",
        ),
        (Reply.json({"blocks": good_blocks()}, finish_reason="length"), "ran out of output"),
        (Reply.text("Sorry, as a language model I cannot do that."), "no JSON"),
        (Reply.json({"notes": "free text"}), "without a list of blocks"),
    ],
)
def test_truncated_or_garbage_replies_are_clear_errors(llm_server, reply, expected):  # noqa: F811
    llm_server.queue(reply)
    with pytest.raises(LLMError) as err:
        run(llm_server)
    assert expected in str(err.value) and llm_server.base_url in str(err.value)


def test_a_stream_that_stalls_midway_is_a_timeout_error(llm_server):  # noqa: F811
    llm_server.queue(Reply.json({"blocks": good_blocks()}, chunk_size=40, stall_after=4))
    streamed = []
    with pytest.raises(LLMError, match="did not answer within 1 s"):
        run(llm_server, settings={"timeout": 1.0}, on_block=streamed.append)
    assert 0 < len(streamed) < len(good_blocks())  # shown while arriving, yet nothing returned


def test_no_notes_gives_notes_written_from_the_transcript(llm_server):  # noqa: F811
    blocks = [b for b in good_blocks() if b["source"] == "ai"]
    llm_server.queue(Reply.json({"blocks": blocks}))
    result = run(llm_server, notes="")
    assert "no notes" in llm_server.chat_requests[0].prompt
    assert [b.source for b in result.blocks] == ["ai"] * 4 and result.blocks[0].verified


# --- long meetings: map and reduce ---------------------------------------------------------------


def long_transcript(n: int = 60) -> Transcript:
    return Transcript(
        tuple(
            Segment(
                i,
                i * 10.0,
                i * 10.0 + 9,
                f"Item {i}: the budget line number {i} is settled "
                "after a long discussion of suppliers and timelines.",
                "them",
            )
            for i in range(n)
        )
    )


def part_responder(request) -> Reply:
    """Answer each part with one cited line per part and one action item."""
    ids = [int(m) for m in re.findall(r"^\[(\d+)\]", request.prompt, re.M)]
    first = ids[0]
    return Reply.json({"blocks": [
        {"type": "heading", "text": "Budget", "source": "user", "note_line": 1, "segments": [],
         "level": 1},
        {"type": "bullet", "text": f"Budget line {first} is settled", "source": "ai",
         "note_line": 1, "segments": [first], "level": 1},
        {"type": "heading", "text": "Action items", "source": "ai", "note_line": None,
         "segments": [], "level": 2},
        {"type": "bullet", "text": f"Follow up on item {ids[-1]}", "source": "ai",
         "note_line": None, "segments": [ids[-1]], "level": 1},
    ]})  # fmt: skip


def test_long_meeting_is_split_enhanced_in_parts_and_merged(llm_server):  # noqa: F811
    llm_server.responder = part_responder
    transcript = long_transcript()
    progress: list[tuple] = []
    result = run(
        llm_server,
        notes="# Budget\n",
        transcript=transcript,
        settings={"context_tokens": 2000},
        on_progress=lambda *a: progress.append(a),
    )

    requests = llm_server.chat_requests
    assert len(requests) >= 3
    seen = [int(m) for r in requests for m in re.findall(r"^\[(\d+)\]", r.prompt, re.M)]
    assert seen == list(range(60))  # every segment sent exactly once: nothing cut
    assert "part 1 of" in requests[0].prompt
    cited = {c.segment for b in result.blocks for c in b.citations}
    assert 0 in cited and 59 in cited  # the first and the last part both made it
    assert [b.text for b in result.blocks if b.type == "heading"] == ["Budget", "Action items"]
    assert user_texts(result) == ["Budget"]
    assert progress[0] == (0, len(requests)) and progress[-1] == (len(requests),) * 2


def test_notes_too_long_for_the_context_is_an_error_not_a_cut(llm_server):  # noqa: F811
    notes = "\n".join(f"- point {i} about something long enough" for i in range(200))
    with pytest.raises(LLMError, match="llm.context_tokens"):
        run(llm_server, notes=notes, settings={"context_tokens": 1000})
    assert llm_server.chat_requests == []


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
    assert user_texts(result) == ["Pricing", "annual discount", "launch timing"]


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
    assert user_texts(result) == ["Pricing", "annual discount", "launch timing"]
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
    llm_server.queue(Reply.json({"blocks": good_blocks()}))
    result = run(llm_server, template="board", templates_dir=tmp_path)
    prompt = llm_server.chat_requests[0].prompt
    assert "Financials; Votes" in prompt and "Record every vote count." in prompt
    assert result.template == "board"


def test_segments_used_in_fixtures_are_consistent():
    assert [s.index for s in SEGMENTS] == list(range(len(SEGMENTS)))


def test_notes_typed_before_the_recording_are_sent_as_agenda(llm_server):  # noqa: F811
    llm_server.queue(Reply.json({"blocks": good_blocks()}))
    # "# Pricing" and "- annual discount" were typed before the call; "- launch timing" during it.
    meeting = Meeting(id=3, title="Renewal", agenda="# Pricing\n- annual discount\n")
    run(llm_server, meeting=meeting)
    prompt = llm_server.chat_requests[0].prompt
    assert "1 AGENDA | # Pricing" in prompt and "2 AGENDA | - annual discount" in prompt
    assert "4 | - launch timing" in prompt


def test_agenda_line_numbers_follow_edits():
    from notes_app.enhance.notes_parse import agenda_line_numbers

    agenda = "Pricing\n- discount\n- risks\n"
    notes = "Pricing\n- discount 15%\n- risks\n- Sarah owns the quote\n- risks\n"
    # An edited line is the user's own again; a repeated line counts once.
    assert agenda_line_numbers(notes, agenda) == (1, 3)
    assert agenda_line_numbers(notes, None) == ()
