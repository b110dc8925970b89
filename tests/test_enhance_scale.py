"""A long notes file: enhancing it reports progress, and memory does not grow with notes × segments.

Speed itself is measured in benchmarks/enhance_scale.py; here, what can be checked exactly:
the alignment over rows made on demand chooses what the whole matrix chose, the grounding of a
long notes file never holds a notes-by-segments matrix, and the caller hears progress.
"""

from __future__ import annotations

import random
import tracemalloc

import numpy as np

from notes_app.app import App
from notes_app.config import Settings
from notes_app.domain import Meeting, Segment, Transcript
from notes_app.enhance.grounding import CHECKPOINT_ROWS, _align_rows, align_in_order, ground
from notes_app.events import Progress

TOPICS = ["pricing page launch", "hiring plan support", "budget review", "security audit"]
FILLER = "we think the next step is to check with the team and agree on owner and date".split()


def _meeting(segments: int, lines: int, seed: int = 3) -> tuple[Transcript, str]:
    rng = random.Random(seed)
    segs = []
    for i in range(segments):
        words = rng.sample(FILLER, 8) + TOPICS[(i // 30) % len(TOPICS)].split()
        segs.append(Segment(i, i * 4.0, i * 4.0 + 3.5, " ".join(words) + ".", "them", 1))
    notes = []
    for n in range(lines):
        if n % 20 == 0:
            notes.append(f"## {TOPICS[(n // 20) % len(TOPICS)]}")
        else:
            said = segs[rng.randrange(segments)].text.rstrip(".").split()
            notes.append("- " + " ".join(rng.sample(said, 4)))
    return Transcript(tuple(segs)), "\n".join(notes) + "\n"


def test_alignment_over_rows_made_on_demand_is_the_matrix_alignment():
    rng = np.random.default_rng(5)
    for rows in (1, 2, CHECKPOINT_ROWS, CHECKPOINT_ROWS + 1, 3 * CHECKPOINT_ROWS - 7):
        scores = rng.random((rows, 40)) * (rng.random((rows, 40)) > 0.7)
        heard: dict[int, int] = {}

        def on_anchor(j: int, anchor: int, row: np.ndarray, scores=scores, heard=heard) -> None:
            assert np.array_equal(row, scores[j])
            heard[j] = anchor

        anchors = _align_rows(lambda j, s=scores: s[j], rows, 40, on_anchor=on_anchor)
        assert anchors == align_in_order(scores)
        assert [heard[j] for j in range(rows)] == anchors


def test_grounding_a_long_notes_file_holds_no_notes_by_segments_matrix():
    transcript, notes = _meeting(segments=600, lines=3000)
    matrix = 3000 * 600 * 8  # one float per note line and segment
    tracemalloc.start()
    try:
        found = ground(transcript, notes)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(found) == 3000 and sum(bool(g.segments) for g in found) > 2500
    # Scores for all lines at once took four such matrices; one stretch of lines at a time
    # (and what grows with the lines alone) stays under one.
    assert peak < matrix, f"peak {peak / 1e6:.1f} MB; one matrix is {matrix / 1e6:.1f} MB"


def test_enhancing_a_long_notes_file_reports_progress():
    transcript, notes = _meeting(segments=300, lines=1200)
    events: list[Progress] = []
    meeting = Meeting(id=1, title="Long", notes=notes)
    app = App(Settings())
    enhanced = app.enhance(meeting, transcript, mode="offline", on_event=events.append)
    assert sum(b.source == "user" for b in enhanced.blocks) == 1200
    progress = [e for e in events if isinstance(e, Progress)]
    assert 20 <= len(progress) <= 400  # steady, and not one per line
    done = [p.done for p in progress]
    assert done == sorted(done) and progress[-1].done == progress[-1].total
    assert all(p.total == progress[0].total for p in progress)
