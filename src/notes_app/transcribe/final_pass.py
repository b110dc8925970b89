"""The final pass: once a call ends, its whole recording is transcribed again, in batch.

Live transcription hears each utterance alone and must keep up with the call (it decodes
greedily when it falls behind); afterwards there is time to do better: every passage with beam
search, the passage before as context, the meeting's vocabulary as hotwords, and optionally a
bigger model. The result replaces the live transcript; until then (and if this fails or is
cancelled) the live one stands.

Enhanced notes written before the pass cite live segments by index. ``remap_citations`` points
each citation at the final segment that overlaps the cited moment most (same side of the call
first): the notes the user has read stay word for word, and their citations land on the same
moment of the call in the better transcript. Regenerating them instead would reword notes the
user may already have read, copied or shared, and may need an LLM that is not there any more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from notes_app.domain import (
    CHANNEL_ME,
    CHANNEL_THEM,
    Block,
    Citation,
    EnhancedNotes,
    Segment,
    Transcript,
    renumber,
)
from notes_app.errors import NotesAppError
from notes_app.transcribe.live import ECHO_TEXT_SIMILARITY, text_similarity
from notes_app.transcribe.remote import FileTranscriber

Progress = Callable[[float, float], None]  # (done_seconds, total_seconds)


class FinalPassCancelled(NotesAppError):
    """The user stopped the final pass; the live transcript stays."""


def final_pass(
    engine: FileTranscriber,
    audio_path: Path,
    vocabulary: Sequence[str] = (),
    on_progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    *,
    language: str | None = "en",
) -> Transcript:
    """The recording at ``audio_path`` (stereo: left = me, right = them) transcribed again
    by ``engine``: this computer's, or a server's with this computer's to fall back on
    (remote.WithFallback; a cancel is never taken for a server failure).

    ``cancel()`` is asked between passages; when it says True, FinalPassCancelled is raised.
    """

    def report(done: float, total: float) -> None:
        if cancel is not None and cancel():
            raise FinalPassCancelled(
                "The final pass over the recording was cancelled; the live transcript is kept."
            )
        if on_progress is not None:
            on_progress(done, total)

    report(0.0, 0.0)
    heard = engine.transcribe_file(
        Path(audio_path),
        language=language,
        on_progress=report,
        vocabulary=vocabulary,
        carry_context=True,
    )
    return replace(heard, segments=renumber(drop_echo(heard.segments)))


def drop_echo(segments: Sequence[Segment]) -> list[Segment]:
    """Without the mic's copies of what the speakers played (the other side heard twice), as
    live transcription drops them: a "me" line saying what "them" said at the same time."""
    theirs = [s for s in segments if s.channel == CHANNEL_THEM]
    return [
        s
        for s in segments
        if s.channel != CHANNEL_ME
        or not any(
            other.start < s.end + 1.0
            and s.start < other.end + 1.0
            and text_similarity(s.text, other.text) >= ECHO_TEXT_SIMILARITY
            for other in theirs
        )
    ]


def _overlap(a: Segment | Citation, b: Segment) -> float:
    return min(a.end, b.end) - max(a.start, b.start)


def nearest_segment(
    start: float, end: float, channel: int | None, segments: Sequence[Segment]
) -> Segment | None:
    """The segment overlapping [start, end] most, on ``channel`` when it has one there; with no
    overlap, the one whose middle is closest."""
    if not segments:
        return None
    same = [s for s in segments if channel is None or s.channel == channel]
    moment = Citation(segment=-1, start=start, end=end)
    for pool in (same, segments):
        overlapping = [s for s in pool if _overlap(moment, s) > 0]
        if overlapping:
            return max(overlapping, key=lambda s: _overlap(moment, s))
    middle = (start + end) / 2
    pool = same or list(segments)
    return min(pool, key=lambda s: abs((s.start + s.end) / 2 - middle))


def remap_citations(
    notes: EnhancedNotes, old: Sequence[Segment], new: Sequence[Segment]
) -> EnhancedNotes:
    """``notes`` with every citation pointing into ``new`` (the text of every block unchanged).

    A citation keeps its own time span when it has one; the old segment only says which side
    of the call it came from.
    """
    old_by_index = {s.index: s for s in old}
    blocks: list[Block] = []
    for block in notes.blocks:
        cites: list[Citation] = []
        for cite in block.citations:
            was = old_by_index.get(cite.segment)
            start, end = (
                (cite.start, cite.end)
                if cite.end > cite.start or not was
                else (
                    was.start,
                    was.end,
                )
            )
            seg = nearest_segment(start, end, was.channel if was else None, new)
            if seg is not None and all(c.segment != seg.index for c in cites):
                cites.append(Citation.of(seg))
        blocks.append(replace(block, citations=tuple(cites)))
    return replace(notes, blocks=tuple(blocks), version=None, created_at=None)
