"""The offline enhancer's contract: user lines kept, AI lines cited, sections, summary."""

from __future__ import annotations

from notes_app.domain import ME, THEM, Segment, Transcript
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


def test_context_is_cleaned_and_speaker_labelled():
    result = enhance_offline(CALL, NOTES)
    sso = [b for b in ai_blocks(result) if b.note_line == 9]
    assert sso and sso[0].text.startswith("You: ")
    assert "the the" not in sso[0].text and " um" not in sso[0].text.lower()
    budget = [b for b in ai_blocks(result) if b.note_line == 5][0]
    assert budget.text.startswith("Them: ") and "uh" not in budget.text.split()


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
