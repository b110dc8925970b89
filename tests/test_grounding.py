"""Grounding: quantities normalised both ways, phrases found, the order prior used."""

from __future__ import annotations

import numpy as np
import pytest

from notes_app.domain import Segment, Transcript
from notes_app.enhance.grounding import align_in_order, ground
from notes_app.enhance.notes_parse import parse_notes
from notes_app.enhance.numbers import normalise_quantities
from notes_app.enhance.text import clean_speech


def transcript(*lines: tuple[str, str]) -> Transcript:
    segs, t = [], 0.0
    for i, (speaker, text) in enumerate(lines):
        segs.append(Segment(i, t, t + 4.0, text, speaker))
        t += 4.5
    return Transcript(tuple(segs), "en")


BOARD_PREP = transcript(
    ("Sarah", "Okay, um, let's get going, we have a lot to cover before the board meeting."),
    ("Sarah", "So revenue for the quarter came in at, uh, four point two million."),
    ("Dan", "That's up eighteen per cent on last year, which is, you know, better than the plan."),
    ("Sarah", "Right. The enterprise pricing change drove most of that."),
    ("Dan", "Moving on, hiring. We still have two open roles on the platform team."),
    ("Sarah", "The contractor budget is about thirty thousand dollars for the rest of the year."),
    ("Dan", "And the mobile launch, the the risk is that it slips into the third quarter."),
    ("Sarah", "If the app store review takes three weeks we miss the June 15th date."),
    ("Dan", "OK, so pricing again, Sarah, can you own the new pricing page?"),
)


@pytest.mark.parametrize(
    ("typed", "spoken"),
    [
        ("4.2M", "four point two million"),
        ("4.2M", "4.2 million"),
        ("18%", "eighteen percent"),
        ("18%", "18 per cent"),
        ("$30k", "thirty thousand dollars"),
        ("Q3", "the third quarter"),
        ("3 weeks", "three weeks"),
        ("June 15", "the fifteenth of June"),
        ("250", "two hundred and fifty"),
    ],
)
def test_quantities_meet_in_both_directions(typed, spoken):
    assert normalise_quantities(typed) & normalise_quantities(spoken) - {"n:3"}
    assert normalise_quantities(spoken) & normalise_quantities(typed) - {"n:3"}


def test_quantity_keys_keep_their_kind():
    assert normalise_quantities("18%") >= {"pct:18", "n:18"}
    assert "money:30000" in normalise_quantities("$30k")
    assert "money:30000" not in normalise_quantities("30k users")
    assert normalise_quantities("one of them said so") == set()


def test_number_note_gets_the_sentence_where_it_was_said():
    g = ground(BOARD_PREP, "- 4.2M\n- 18%\n- $30k\n")
    assert g[0].primary == 1  # "four point two million"
    assert g[1].primary == 2  # "eighteen per cent"
    assert g[2].primary == 5  # "thirty thousand dollars"


def test_phrase_note_finds_its_passage():
    g = ground(BOARD_PREP, "mobile launch risk: Q3\n")
    assert g[0].primary == 6
    assert 6 in g[0].segments


def test_misspelled_word_still_matches():
    g = ground(BOARD_PREP, "- contracter budget\n")
    assert g[0].primary == 5


def test_order_prior_prefers_the_passage_after_the_previous_note():
    # "pricing" is said twice; after a note about hiring, the later mention is the one.
    notes = "- hiring: two open roles\n- pricing page → Sarah\n"
    g = ground(BOARD_PREP, notes)
    assert g[0].primary == 4
    assert g[1].primary == 8


def test_align_in_order_trades_a_small_lexical_loss_for_order():
    scores = np.array([[0.0, 0.0, 1.0, 0.0], [0.9, 0.0, 0.0, 0.8], [0.0, 0.0, 0.0, 0.0]])
    assert align_in_order(scores, back_penalty=0.3)[:2] == [2, 3]
    assert align_in_order(scores, back_penalty=0.0)[:2] == [2, 0]


def test_unrelated_note_and_headings_are_not_grounded():
    g = ground(BOARD_PREP, "# Board prep\nDate: 2024-05-02\n- quantum entanglement\n")
    assert [x.segments for x in g] == [(), (), ()]


def test_empty_transcript_grounds_nothing():
    assert ground(Transcript(()), "- 4.2M")[0].segments == ()


def test_notes_parse_keeps_file_line_numbers_and_structure():
    lines = parse_notes("# Title\n\n- a\n  - b\n--c\nNext steps:\n1. first\nplain text\n")
    assert [(x.line, x.kind, x.level, x.text) for x in lines] == [
        (1, "heading", 1, "Title"),
        (3, "bullet", 1, "a"),
        (4, "bullet", 2, "b"),
        (5, "bullet", 2, "c"),
        (6, "heading", 2, "Next steps:"),
        (7, "bullet", 1, "first"),
        (8, "paragraph", 1, "plain text"),
    ]


@pytest.mark.parametrize(
    ("spoken", "clean"),
    [
        ("Um, so the the launch is, uh, moving.", "The launch is moving."),
        ("I, I think we, you know, should wait.", "I think we should wait."),
        ("We wh- we should ship it.", "We should ship it."),
        ("Uh.", ""),
    ],
)
def test_clean_speech_drops_fillers_stutters_and_false_starts(spoken, clean):
    assert clean_speech(spoken) == clean


def test_section_label_is_grounded_where_its_topic_is_raised_before_its_lines():
    call = transcript(
        ("me", "Hi Sarah. Let's start with the numbers from last quarter."),
        ("them", "Revenue came in at four point two million."),
        ("me", "Good. Next topic is pricing. Monthly or annual plan?"),
        ("them", "The annual plan, with a twenty percent discount."),
        ("them", "I will send the pricing proposal to the team by Friday."),
    )
    g = ground(call, "# Q2 review\n## Pricing\n- annual plan, 20% discount\n- pricing → Fri\n")
    assert [x.segments for x in g][:2] == [(), (2,)]  # the title stays ungrounded
    assert 3 in g[2].segments
    assert 4 in g[3].segments  # "Fri" is Friday


def test_section_label_alone_does_not_move_the_lines_under_it():
    notes = "- revenue 4.2M\nHiring:\n- two open roles\n"
    with_label = ground(BOARD_PREP, notes)
    without = ground(BOARD_PREP, notes.replace("Hiring:\n", ""))
    assert [with_label[0].segments, with_label[2].segments] == [x.segments for x in without]
    assert with_label[1].segments == (4,)


def test_a_name_in_a_greeting_is_not_the_topic():
    """'pricing → Sarah, Fri' is about the pricing promise, not the hello at the start."""
    from notes_app.domain import Segment, Transcript
    from notes_app.enhance.grounding import ground

    said = [
        "Hi Sarah, thanks for joining.",
        "Let's start with the numbers from last quarter.",
        "Revenue was up again.",
        "Next topic is pricing.",
        "I would pick the annual plan.",
        "Great. I will send the pricing proposal to the team by Friday.",
    ]
    segs = tuple(Segment(i, i * 5.0, i * 5.0 + 4, t, "them") for i, t in enumerate(said))
    (g,) = ground(Transcript(segs), "- pricing → Sarah, Fri")
    assert 5 in g.segments
    assert 0 not in g.segments
