"""The final pass: the whole recording transcribed again after the call replaces the live text."""

from __future__ import annotations

import pytest
from speech import concat, say, silence, stereo

from notes_app.domain import Block, Citation, EnhancedNotes, Segment
from notes_app.errors import AudioError
from notes_app.store.search import search
from notes_app.transcribe.final_pass import FinalPassCancelled, remap_citations

ME_LINE = "We met Priya Raghunathan yesterday about the pricing."
THEM_LINE = "Good. The rollout starts next week in London."


def seg(index, start, end, text, channel):
    return Segment(index, start, end, text, ("me", "them")[channel], channel)


def test_citations_follow_the_cited_moment_on_the_same_side():
    old = [seg(0, 0.0, 2.0, "a", 0), seg(1, 2.0, 6.0, "b", 1), seg(2, 6.0, 9.0, "c", 0)]
    new = [
        seg(0, 0.1, 3.0, "a", 0),
        seg(1, 2.1, 4.0, "b1", 1),
        seg(2, 4.0, 6.2, "b2", 1),
        seg(3, 5.9, 9.1, "c", 0),
    ]
    notes = EnhancedNotes(
        meeting_id=1,
        mode="offline",
        blocks=(
            Block("bullet", "pricing", "user", note_line=1),
            Block("bullet", "context", "ai", 1, citations=(Citation.of(old[1]),)),
            Block("bullet", "more", "ai", 1, citations=(Citation(2, 0.0, 0.0),)),
        ),
        version=3,
    )
    moved = remap_citations(notes, old, new)
    assert [b.text for b in moved.blocks] == ["pricing", "context", "more"]
    # 2.0-6.0 on "them": b1 overlaps 1.9 s, b2 2.0 s; "me" segment 0 overlaps too, but is not them.
    assert moved.blocks[1].citations == (Citation.of(new[2]),)
    # No time of its own: the old segment's span, on its side.
    assert moved.blocks[2].citations == (Citation.of(new[3]),)
    assert moved.version is None


@pytest.fixture
def recorded(app, tmp_path):
    """A finished recording whose live transcript missed the name, with enhanced notes."""
    me = say(ME_LINE, tmp_path / "me.wav")
    them = say(THEM_LINE, tmp_path / "them.wav", voice="en-gb+f3", speed=140)
    gap = silence(1.0, tmp_path / "gap.wav")
    left = concat([me, gap, silence(4.0, tmp_path / "q1.wav")], tmp_path / "left.wav")
    right = concat([silence(4.0, tmp_path / "q2.wav"), gap, them], tmp_path / "right.wav")
    audio = stereo(left, right, tmp_path / "call.wav")
    live = [
        seg(0, 0.1, 3.5, "We met Rio Ragtas in yesterday about the pricing.", 0),
        seg(1, 5.0, 8.0, "Good, the roll out starts next week in London.", 1),
    ]
    meeting_id = app.repo.create_meeting(
        "Pricing",
        audio_path=str(audio),
        language="en",
        notes="- Priya Raghunathan: pricing",
        segments=live,
    )
    app.repo.add_enhanced(
        EnhancedNotes(
            meeting_id=meeting_id,
            mode="offline",
            blocks=(
                Block("bullet", "Priya Raghunathan: pricing", "user", note_line=1),
                Block("bullet", "met yesterday", "ai", 1, citations=(Citation.of(live[0]),)),
            ),
        )
    )
    return meeting_id


@pytest.mark.slow
def test_the_final_pass_replaces_the_live_transcript_and_the_citations_follow(app, recorded):
    seen = []
    final = app.finalize_recording(recorded, on_progress=lambda d, t: seen.append((d, t)))
    stored = app.repo.get_transcript(recorded)
    assert stored == final
    me = " ".join(s.text for s in stored.segments if s.speaker == "me").lower()
    them = " ".join(s.text for s in stored.segments if s.speaker == "them").lower()
    assert "raghunathan" in me and "pricing" in me  # taught by the notes
    assert "london" in them and "ragtas" not in me
    # The search index follows the replaced segments.
    assert search(app.repo.db, "Raghunathan") and not search(app.repo.db, "Ragtas")
    # Progress went up to the whole recording, both channels.
    assert seen[-1][0] == pytest.approx(seen[-1][1]) and seen[-1][1] > 8
    # The enhanced notes: a new version, same words, citing the final "me" segment.
    versions = app.repo.list_enhanced(recorded)
    assert len(versions) == 2
    latest = versions[-1]
    assert [b.text for b in latest.blocks] == [b.text for b in versions[0].blocks]
    (cite,) = latest.blocks[1].citations
    cited = stored.by_index()[cite.segment]
    assert cited.speaker == "me" and "raghunathan" in cited.text.lower()


@pytest.mark.slow
def test_a_cancelled_final_pass_keeps_the_live_transcript(app, recorded):
    before = app.repo.get_transcript(recorded)
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 1  # cancelled once it has started

    with pytest.raises(FinalPassCancelled, match="live transcript is kept"):
        app.finalize_recording(recorded, cancel=cancel)
    assert app.repo.get_transcript(recorded) == before
    assert len(app.repo.list_enhanced(recorded)) == 1


def test_without_its_audio_the_final_pass_says_so_and_keeps_the_transcript(app, tmp_path):
    live = [seg(0, 0.0, 1.0, "hello there", 0)]
    meeting_id = app.repo.create_meeting(
        "Gone", audio_path=str(tmp_path / "moved.flac"), segments=live
    )
    with pytest.raises(AudioError, match="no recording to transcribe again"):
        app.finalize_recording(meeting_id)
    assert [s.text for s in app.repo.get_transcript(meeting_id).segments] == ["hello there"]
