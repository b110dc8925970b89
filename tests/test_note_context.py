"""What goes under a terse note: the answer, the fact, the expanded abbreviation, once.

Each test is a small call as people speak it; each asserts on the context a reader needs and
could fail if the rule it covers were gone.
"""

from __future__ import annotations

from notes_app.domain import ME, THEM, Segment, Transcript
from notes_app.enhance.facts import fact_kinds, is_question, wanted_kinds
from notes_app.enhance.grounding import SegmentIndex, sound_alike
from notes_app.enhance.offline import enhance_offline


def call(*turns: tuple[str, str]) -> Transcript:
    t, segs = 0.0, []
    for i, (who, text) in enumerate(turns):
        segs.append(Segment(i, t, t + 4.0, text, who))
        t += 4.5
    return Transcript(tuple(segs))


def context(transcript: Transcript, notes: str, **kw) -> dict[str, list[str]]:
    result = enhance_offline(transcript, notes, **kw)
    lines = {b.note_line: b.shown_text for b in result.blocks if b.source == "user"}
    out: dict[str, list[str]] = {text: [] for text in lines.values()}
    for b in result.blocks:
        if b.source == "ai" and b.note_line in lines:
            out[lines[b.note_line]].append(b.text)
    return out


LAUNCH = call(
    (ME, "Okay, next one. Where are we with the mobile launch?"),
    (THEM, "We are aiming for the twelfth of March. The app store review usually takes a week."),
    (ME, "And what about churn in the smaller accounts?"),
    (THEM, "Turn went down to three percent a month, from five percent in the spring."),
    (ME, "What's the biggest risk?"),
    (THEM, "The payments integration. The provider changed their API, and checkout fails."),
)


def test_a_note_that_matches_a_question_gets_the_answer_not_the_question():
    got = context(LAUNCH, "launch date\nblocker: payments")
    assert got["launch date"] and "twelfth of March" in got["launch date"][0]
    assert all(not line.endswith("?") for line in got["launch date"])  # never the question alone
    # A fragment answer takes the sentence that says what about it.
    assert any("provider changed their API" in line for line in got["blocker: payments"])


def test_a_misheard_note_word_still_finds_its_passage():
    got = context(LAUNCH, "churn")
    assert got["churn"] and "three percent" in got["churn"][0]
    assert sound_alike("churn", "turn") > 0 and sound_alike("plant", "plan") == 0


def test_abbreviations_and_acronyms_meet_the_words_said():
    transcript = call(
        (ME, "Anything on data protection?"),
        (THEM, "Yes, we need a data processing agreement attached as an exhibit."),
        (ME, "And the marketing budget for the spring?"),
        (THEM, "The marketing budget is forty thousand for the quarter."),
    )
    index = SegmentIndex(transcript)
    assert any(w.startswith("acronym:") for w, _ in index.variants("dpa"))
    assert ("market", 0.6) in index.variants("mktg")  # the stem of "marketing"
    got = context(transcript, "DPA needed\nmktg 40k")
    assert "data processing agreement" in got["DPA needed"][0]
    assert "forty thousand" in got["mktg 40k"][0]


def test_one_sentence_is_shown_once_and_each_note_keeps_its_own_fact():
    transcript = call(
        (ME, "How did the quarter close?"),
        (THEM, "Revenue came in at 4.2 million, which is up eighteen percent from last year."),
    )
    got = context(transcript, "4.2M\n18%")
    whole = "Revenue came in at 4.2 million, which is up eighteen percent from last year."
    shown = got["4.2M"] + got["18%"]
    assert shown.count(whole) == 1 and len(shown) == 2  # the sentence once, a clause beside it
    assert any("4.2 million" in line for line in got["4.2M"])
    assert any("eighteen percent" in line for line in got["18%"])


def test_an_answer_that_points_back_keeps_its_question():
    transcript = call(
        (ME, "Okay, ninety seats it is."),
        (THEM, "Does the business tier include single sign on? That's a hard requirement for us."),
        (ME, "Yes, single sign on and audit logs are both included."),
    )
    got = context(transcript, "SSO required")
    assert (
        "single sign on" in got["SSO required"][0] and "hard requirement" in got["SSO required"][0]
    )


def test_a_note_the_call_never_covered_gets_nothing():
    got = context(LAUNCH, "office plants\nlaunch date")
    assert got["office plants"] == [] and got["launch date"]


def test_the_speaker_is_named_only_when_the_line_needs_it():
    transcript = call(
        (ME, "Who sends the pricing proposal?"),
        (THEM, "I will send the pricing proposal to the team by Friday."),
        (THEM, "Revenue for the quarter came in at 4.2 million."),
    )
    plain = context(transcript, "pricing → Sarah, Fri\n4.2M")
    assert plain["pricing → Sarah, Fri"] == [
        "They: I will send the pricing proposal to the team by Friday."
    ]
    assert plain["4.2M"] == ["Revenue for the quarter came in at 4.2 million."]
    named = context(transcript, "pricing → Sarah, Fri", attendees=["Sarah"])
    assert named["pricing → Sarah, Fri"][0].startswith("Sarah: I will send")


def test_what_a_note_asks_for_and_what_a_sentence_holds():
    assert "date" in wanted_kinds("launch date") and "owner" in wanted_kinds("quote → me, Fri")
    assert "decision" in wanted_kinds("decision: go with vendor B")
    assert "pct" not in wanted_kinds("churn 3%")  # it has its number: it asks what about it
    assert {"date", "owner"} <= fact_kinds("I will send the proposal by Friday.")
    assert is_question("Where are we with the mobile launch?")
    assert not is_question("We ship on Friday, we agreed on that, right?")


def test_a_sentence_holding_two_notes_facts_is_cut_between_them_even_without_commas():
    # Recognised speech seldom has the comma: the sentence is cut before "with".
    transcript = call(
        (ME, "What's our monthly burn right now?"),
        (
            THEM,
            "About 350,000 a month with the cash in the bank that gives us 20 months of runway.",
        ),
    )
    got = context(transcript, "burn ~350k/mo\nrunway 20 mo")
    assert got["burn ~350k/mo"] and "350,000" in got["burn ~350k/mo"][0]
    assert "runway" not in got["burn ~350k/mo"][0]  # the other note's fact is not shown here
    assert got["runway 20 mo"] and "20 months of runway" in got["runway 20 mo"][0]


def test_a_sentence_that_only_names_the_topic_takes_the_figure_after_it():
    transcript = call(
        (ME, "Anything else for today?"),
        (
            THEM,
            "We should remind the team about the referral bonus. It's three thousand dollars now.",
        ),
        (ME, "Good idea, I'll put it in the weekly email."),
    )
    got = context(transcript, "referral bonus")
    assert got["referral bonus"] and "three thousand dollars" in got["referral bonus"][0]


def test_a_nearby_time_does_not_stand_under_a_line_it_does_not_speak_of():
    # "Not until 30 minutes in" answers the status-page question; it holds a time, which the
    # runbook line's "next Fri" asks for, but it says nothing of the runbook.
    transcript = call(
        (ME, "Good, Maya, can you update the encoder and book?"),  # "runbook", misheard
        (THEM, "Sure, I update the runbook on next Friday, including the page in rotation."),
        (ME, "And, did we update the status page during the incident?"),
        (THEM, "Not until 30 minutes in, which is too late. We should post within 10 minutes."),
        (ME, "Agreed. Do we owe any service credits?"),
    )
    got = context(transcript, "runbook → Maya, next Fri\nstatus page")
    assert got["runbook → Maya, next Fri"]
    assert not any("30 minutes" in line for line in got["runbook → Maya, next Fri"])
    assert any("30 minutes" in line for line in got["status page"])


def test_a_figure_that_names_none_of_the_topic_takes_the_sentence_before_it():
    transcript = call(
        (ME, "What's the next step on the contract?"),
        (
            THEM,
            "Our legal team will review the draft. I'll get their comments to you in two weeks.",
        ),
    )
    got = context(transcript, "legal review → Henrik, 2 wks")
    line = got["legal review → Henrik, 2 wks"]
    assert line and "legal team will review" in line[0] and "two weeks" in line[0]


def test_a_stated_need_brings_the_other_sides_reply():
    transcript = call(
        (THEM, "One more thing, data residency. We need the data to stay in the EU."),
        (ME, "Right, we have the Frankfurt region, so that's covered, at no extra charge."),
        (THEM, "Perfect."),
    )
    got = context(transcript, "EU data")
    assert any("stay in the EU" in line for line in got["EU data"])
    assert any("Frankfurt region" in line for line in got["EU data"])
    # A plain statement (no need, no request) does not take the next turn along.
    plain = call(
        (THEM, "One more thing, data residency. The data stays in the EU today."),
        (ME, "Right, we have the Frankfurt region, so that's covered, at no extra charge."),
    )
    assert not any("Frankfurt" in line for line in context(plain, "EU data")["EU data"])
