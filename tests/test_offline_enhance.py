"""The offline enhancer's contract: user lines kept, AI lines cited, sections, summary."""

from __future__ import annotations

from notes_app.domain import ME, THEM, Segment, Transcript
from notes_app.enhance.actions import find_action_items
from notes_app.enhance.offline import enhance_offline

LINES = [
    (ME, "Hi Priya, thanks for making time. Um, so I wanted to go over the renewal first."),
    (THEM, "Sure. So our current contract ends on, uh, the thirtieth of June."),
    (THEM, "Finance approved a budget of about forty-five thousand dollars for next year."),
    (ME, "Okay. And the seat count, you mentioned you're growing?"),
    (THEM, "Yeah, we're going from eighty seats to, uh, a hundred and twenty seats in September."),
    (ME, "Great. On the single sign-on problem, the the login loop on Safari, that's fixed."),
    (THEM, "Good, because that was, you know, blocking the whole support team last month."),
    (ME, "So we decided to go with the annual plan with the twelve percent discount, right?"),
    (THEM, "Yes, agreed, let's go with the annual plan."),
    (ME, "I'll send the revised quote to your finance team by Friday."),
    (THEM, "Perfect. Can you also share the security questionnaire?"),
    (ME, "Sure, I will share the security questionnaire next week."),
    (THEM, "Now, something different: our data team wants an export to Snowflake."),
    (THEM, "They need nightly exports of the usage tables into their warehouse."),
    (ME, "We have a Snowflake connector in beta, the warehouse export runs nightly."),
]
CALL = Transcript(
    tuple(Segment(i, i * 6.0, i * 6.0 + 5.0, t, s) for i, (s, t) in enumerate(LINES)), "en"
)
NOTES = """# Renewal call — Acme

## Contract
- ends 30 June
- $45k budget
- 80 → 120 seats

## Issues
- SSO login loop
- Snowflake export
"""


def ai_blocks(notes):
    return [b for b in notes.blocks if b.source == "ai"]


def test_user_lines_stay_verbatim_and_in_order():
    result = enhance_offline(CALL, NOTES, meeting_id=7)
    user = [(b.note_line, b.type, b.level, b.text) for b in result.blocks if b.source == "user"]
    assert user == [
        (1, "heading", 1, "Renewal call — Acme"),
        (3, "heading", 2, "Contract"),
        (4, "bullet", 1, "ends 30 June"),
        (5, "bullet", 1, "$45k budget"),
        (6, "bullet", 1, "80 → 120 seats"),
        (8, "heading", 2, "Issues"),
        (9, "bullet", 1, "SSO login loop"),
        (10, "bullet", 1, "Snowflake export"),
    ]
    assert result.mode == "offline" and result.meeting_id == 7


def test_every_ai_block_cites_existing_segments():
    result = enhance_offline(CALL, NOTES)
    assert ai_blocks(result)
    known = {s.index for s in CALL.segments}
    for b in ai_blocks(result):
        assert b.citations, b.text
        assert {c.segment for c in b.citations} <= known


def test_ai_context_sits_under_the_line_it_expands():
    result = enhance_offline(CALL, NOTES)
    blocks = list(result.blocks)
    for i, b in enumerate(blocks):
        if b.source == "ai" and b.note_line is not None:
            owner = next(x for x in reversed(blocks[:i]) if x.source == "user")
            assert owner.note_line == b.note_line


def test_number_notes_say_what_the_number_referred_to():
    result = enhance_offline(CALL, NOTES)
    under = {n: [b for b in ai_blocks(result) if b.note_line == n] for n in (4, 5, 6)}
    assert "contract" in under[4][0].text.lower() and under[4][0].citations[0].segment == 1
    assert "budget" in under[5][0].text.lower() and under[5][0].citations[0].segment == 2
    assert "September" in under[6][0].text and under[6][0].citations[0].segment == 4


def test_context_is_cleaned_and_says_who_only_where_it_matters():
    result = enhance_offline(CALL, NOTES)
    sso = [b for b in ai_blocks(result) if b.note_line == 9]
    assert sso and "the the" not in sso[0].text and " um" not in sso[0].text.lower()
    assert not sso[0].text.startswith(("Great", "You:"))  # no acknowledgement, no "I" to explain
    budget = [b for b in ai_blocks(result) if b.note_line == 5][0]
    assert budget.text.startswith("Finance approved") and "uh" not in budget.text.split()
    seats = [b for b in ai_blocks(result) if b.note_line == 6][0]
    assert seats.text.startswith("They: We're going from eighty seats")  # "we" needs a speaker
    named = enhance_offline(CALL, NOTES, attendees=["Priya"])
    seats = [b for b in ai_blocks(named) if b.note_line == 6][0]
    assert seats.text.startswith("Priya: We're going")


def test_action_items_have_owner_and_due_date():
    result = enhance_offline(CALL, NOTES)
    texts = [b.text for b in _section(result, "Action items")]
    assert any(t.startswith("You: send the revised quote") and "by Friday" in t for t in texts)
    assert any(t.startswith("You:") and "security questionnaire" in t for t in texts)
    # The request and the promise are one action, not two.
    assert sum("questionnaire" in t for t in texts) == 1


def test_decisions_are_found_and_deduplicated():
    texts = [b.text for b in _section(enhance_offline(CALL, NOTES), "Decisions")]
    assert any("annual plan" in t for t in texts)
    assert sum("annual plan" in t for t in texts) == 1


def test_no_notes_gives_a_cited_summary_by_topic():
    long_call = Transcript(
        tuple(Segment(i, i * 6.0, i * 6.0 + 5.0, t, s) for i, (s, t) in enumerate(LINES * 4)),
        "en",
    )
    result = enhance_offline(long_call, "")
    assert all(b.source == "ai" and b.citations for b in result.blocks)
    headings = [b for b in result.blocks if b.type == "heading"]
    assert len(headings) >= 3  # at least one topic plus action items and decisions
    assert any(b.type == "bullet" and b.note_line is None for b in result.blocks)


def test_ungroundable_line_gets_no_invented_context():
    result = enhance_offline(CALL, "- quarterly offsite in Lisbon\n")
    assert [b for b in result.blocks if b.note_line == 1 and b.source == "ai"] == []


def test_empty_transcript_keeps_the_notes():
    result = enhance_offline(Transcript(()), NOTES)
    assert [b.source for b in result.blocks] == ["user"] * 8


def _section(result, title):
    blocks = list(result.blocks)
    start = next(i for i, b in enumerate(blocks) if b.source == "ai" and b.text == title)
    out = []
    for b in blocks[start + 1 :]:
        if b.type == "heading":
            break
        out.append(b)
    return out


def _call(*lines):
    segs = (Segment(i, i * 5.0, i * 5.0 + 4.0, text, who) for i, (who, text) in enumerate(lines))
    return Transcript(tuple(segs), "en")


def test_meeting_flow_is_not_an_action_item():
    call = _call(
        (ME, "Hi Sarah, thanks for joining. Let's start with the numbers from last quarter."),
        (THEM, "Okay. Let's move on to pricing, we can wrap up after that."),
        (ME, "Let's talk about the roadmap. We'll go through the slides first."),
        (THEM, "We need to book the venue for the offsite."),
    )
    texts = [f.text for f in find_action_items(call)]
    assert texts == ["We: book the venue for the offsite"]


def test_flow_phrase_with_a_time_is_a_follow_up():
    call = _call((THEM, "Let's discuss the hiring plan on Monday with the whole team."))
    assert [f.due for f in find_action_items(call)] == ["on Monday"]


def test_a_request_belongs_to_the_person_asked():
    call = _call(
        ("Dana", "Could you please check the contract renewal terms?"),
        ("Lee", "Hmm, the legal team has them."),
        (THEM, "Please send the revised slides to the board."),
    )
    owners = [f.owner for f in find_action_items(call)]
    assert owners == ["Lee", "You"]


def test_accepted_request_is_one_item_in_the_promise_words_with_its_due_date():
    call = _call(
        (THEM, "I agree, it is a big risk. Please talk to finance about the hiring budget."),
        (ME, "Yes, I will talk to finance about the hiring budget on Monday."),
        (THEM, "Sounds good. Talk to you next week."),
    )
    items = find_action_items(call)
    assert [(f.text, f.due, f.segments) for f in items] == [
        ("You: talk to finance about the hiring budget on Monday", "on Monday", (0, 1))
    ]


def test_accepted_request_keeps_the_request_due_date():
    call = _call(
        ("Ana", "Can you update the onboarding checklist by Friday?"),
        ("Ben", "Sure, I'll update the onboarding checklist."),
    )
    (item,) = find_action_items(call)
    assert item.owner == "Ben" and item.due == "by Friday" and item.segments == (0, 1)
    assert item.text.startswith("Ben: update the onboarding checklist")


def test_a_promise_by_someone_else_is_not_merged_into_the_request():
    call = _call(
        ("Ana", "Can you update the onboarding checklist by Friday?"),
        ("Ana", "I'll draft the release notes for the mobile app."),
        ("Ben", "Sure, will do."),
    )
    texts = [f.text for f in find_action_items(call)]
    assert texts == [
        "Ben: update the onboarding checklist by Friday",
        "Ana: draft the release notes for the mobile app",
    ]


def test_merged_action_item_cites_request_and_promise():
    call = _call(
        (THEM, "Please talk to finance about the hiring budget."),
        (ME, "Yes, I will talk to finance about the hiring budget on Monday."),
    )
    items = _section(enhance_offline(call, ""), "Action items")
    assert [[c.segment for c in b.citations] for b in items] == [[0, 1]]


def test_what_i_can_do_is_not_a_promise_in_itself():
    call = _call(("Kim", "So what I can do is, uh, try reaching out to a CS student."))
    assert find_action_items(call) == []


def test_a_line_the_call_only_said_again_cites_where_it_was_said():
    # The note is the whole sentence: there is nothing to add, but the moment is worth a click.
    notes = "- our current contract ends on the thirtieth of June\n- rollout to the EU region"
    result = enhance_offline(CALL, notes)
    said, uncovered = [b for b in result.blocks if b.source == "user"]
    assert [c.segment for c in said.citations] == [1]
    assert not [b for b in result.blocks if b.source == "ai" and b.note_line == said.note_line]
    # A line the call never covered cites nothing.
    assert uncovered.citations == ()


def test_a_line_with_context_keeps_its_citations_on_the_ai_lines():
    result = enhance_offline(CALL, "- $45k budget")
    user = next(b for b in result.blocks if b.source == "user")
    assert user.citations == ()
    assert any(2 in [c.segment for c in b.citations] for b in result.blocks if b.source == "ai")


def test_the_user_lines_citation_shows_in_markdown_and_the_terminal():
    from notes_app import render
    from notes_app.domain import Meeting

    notes = enhance_offline(CALL, "- our current contract ends on the thirtieth of June")
    meeting = Meeting(id=1, title="Renewal")
    assert "- our current contract ends on the thirtieth of June [00:06]" in (
        render.notes_to_markdown(meeting, notes)
    )
    plain = render.notes_to_terminal(meeting, notes, style=lambda text, **_: text)
    assert "- our current contract ends on the thirtieth of June [00:06]" in plain


def test_a_heading_cites_where_the_meeting_moved_to_its_topic_instead_of_quoting_it():
    said = [
        (ME, "Okay, thanks everyone for joining today."),
        (ME, "Next topic is pricing."),
        (THEM, "I would pick the annual plan because revenue is predictable."),
    ]
    call = Transcript(
        tuple(Segment(i, i * 5.0, i * 5.0 + 4.0, t, s) for i, (s, t) in enumerate(said)), "en"
    )
    result = enhance_offline(call, "## Pricing\n- annual plan\n")
    heading = next(b for b in result.blocks if b.source == "user" and b.type == "heading")
    assert [c.segment for c in heading.citations] == [1]
    shown = " ".join(b.text for b in result.blocks if b.source == "ai")
    assert "Next topic" not in shown
    assert "annual plan because revenue is predictable" in shown


def _call_of(*said):
    return Transcript(
        tuple(Segment(i, i * 5.0, i * 5.0 + 4.0, t, s) for i, (s, t) in enumerate(said)), "en"
    )


def _ai_under(result, line: int = 1) -> str:
    """The AI text shown under note line ``line``."""
    return " ".join(b.text for b in result.blocks if b.source == "ai" and b.note_line == line)


def test_a_question_on_a_new_topic_after_the_matched_sentence_does_not_bring_its_answer():
    call = _call_of(
        (THEM, "They asked where the servers should run."),
        (ME, "We settled on Ireland for the hosting region. Anything on the support hours?"),
        (THEM, "Yes, they want a phone line open until eight in the evening."),
    )
    shown = _ai_under(enhance_offline(call, "- hosting: Ireland\n"))
    assert "Ireland for the hosting region" in shown
    assert "phone line" not in shown


def test_a_question_that_points_back_still_brings_its_answer():
    call = _call_of(
        (THEM, "Our buyers are not on that platform, so I would skip it."),
        (ME, "I like the webinar idea. Can you pick a date for it?"),
        (THEM, "Sure, let's hold it on the ninth of May."),
    )
    shown = _ai_under(enhance_offline(call, "- webinar\n"))
    assert "ninth of May" in shown


def test_an_answer_goes_to_the_note_it_speaks_of_not_to_one_that_matched_only_the_question():
    # Recognised speech runs a decision and a request together into one question.
    call = _call_of(
        (THEM, "We compared the two designs last week."),
        (ME, "Great, decision made, we pick the blue design, Maria, can you order the samples?"),
        (THEM, "Sure, I'll order the samples by Thursday."),
    )
    result = enhance_offline(
        call, "- decision: blue design\n- samples → Maria\n", attendees=["Maria Lopez"]
    )
    under = {
        ln: " ".join(b.text for b in result.blocks if b.source == "ai" and b.note_line == ln)
        for ln in (1, 2)
    }
    assert "order the samples by Thursday" in under[2]
    assert "Thursday" not in under[1]
