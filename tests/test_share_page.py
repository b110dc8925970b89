"""The recipient page's topics: from headings, else from the lines the user wrote."""

from __future__ import annotations

from notes_app.domain import Block, Citation
from notes_app.share.model import Snapshot
from notes_app.share.page import NONCE_SLOT, render_page, split_sections, with_nonce


def test_topics_follow_headings_and_keep_the_preamble():
    blocks = (
        Block("paragraph", "before any heading", "user", 1),
        Block("heading", "Pricing", "user", 2),
        Block("bullet", "annual plan", "user", 3),
        Block("heading", "Action items", "ai", None),
        Block("bullet", "Priya sends the quote", "ai", None, (Citation(2, 10.0, 15.0),)),
    )
    sections = split_sections(blocks)
    assert [label for label, _ in sections] == [None, "Pricing", "Action items"]
    assert [len(bs) for _, bs in sections] == [1, 2, 2]


def test_without_headings_each_user_line_is_a_topic_with_its_ai_context():
    long_line = "launch " * 30
    blocks = (
        Block("bullet", "pricing -> Sarah", "user", 1),
        Block("bullet", "Sarah owns pricing", "ai", 1, (Citation(0, 0.0, 3.0),)),
        Block("bullet", long_line, "user", 2),
    )
    sections = split_sections(blocks)
    assert sections[0] == ("pricing -> Sarah", blocks[:2])
    assert len(sections[1][0]) == 80 and sections[1][0].endswith("…")


def test_page_has_no_nonce_until_one_is_given():
    snap = Snapshot("T", None, (), (Block("heading", "A", "user", 1),))
    page = render_page("abc", snap, allow_questions=True, expires_at=None)
    assert page.count(NONCE_SLOT) == 2 and "does not expire" in page
    filled = with_nonce(page, "n0nce")
    assert NONCE_SLOT not in filled and filled.count('nonce="n0nce"') == 2
    assert '<a href="#topic-0">A</a>' in filled and 'action="/s/abc/ask"' in filled


def test_the_transcript_names_the_note_taker_and_the_one_attendee_not_you_and_them():
    from notes_app.domain import ME, THEM, Segment

    segments = (
        Segment(0, 0.0, 2.0, "Where are we on pricing?", ME),
        Segment(1, 2.0, 4.0, "Twelve percent off the list price.", THEM),
    )
    blocks = (Block("bullet", "pricing", "user", 1),)

    def page(snapshot: Snapshot) -> str:
        return render_page("abc", snapshot, allow_questions=False, expires_at=None)

    one = page(Snapshot("Call", None, ("Sarah Lee",), blocks, segments))
    assert '<span class="who">Note-taker</span> Where are we' in one
    assert '<span class="who">Sarah Lee</span> Twelve percent' in one
    assert '<span class="who">You</span>' not in one and ">me<" not in one
    many = page(Snapshot("Call", None, ("Sarah", "Ben"), blocks, segments))
    assert '<span class="who">Them</span> Twelve percent' in many
