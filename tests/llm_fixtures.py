"""A small meeting, notes for it and scripted model replies, shared by the LLM tests."""

from __future__ import annotations

import copy
from types import SimpleNamespace

from notes_app.domain import Segment, Transcript

NOTES = "# Pricing\n- annual discount\n\n- launch timing\n"

SEGMENTS = (
    Segment(0, 0.0, 5.0, "Let's talk pricing for the annual plan.", "me", 0),
    Segment(1, 5.0, 10.0, "We can offer a 15 percent discount if they sign this quarter.", "them"),
    Segment(2, 10.0, 15.0, "Priya will send the revised quote by Friday.", "them", 1),
    Segment(3, 15.0, 20.0, "And the launch is planned for March 3rd.", "me", 0),
    Segment(4, 20.0, 25.0, "Yes, March 3rd, assuming QA signs off.", "them", 1),
)
TRANSCRIPT = Transcript(SEGMENTS)

GOOD_BLOCKS = [
    {"type": "heading", "text": "Pricing", "source": "user", "note_line": 1, "segments": [],
     "level": 1},
    {"type": "bullet", "text": "annual discount", "source": "user", "note_line": 2,
     "segments": [], "level": 1},
    {"type": "bullet", "text": "15% discount if they sign this quarter", "source": "ai",
     "note_line": 2, "segments": [1], "level": 1},
    {"type": "bullet", "text": "launch timing", "source": "user", "note_line": 4, "segments": [],
     "level": 1},
    {"type": "bullet", "text": "Launch planned for March 3, pending QA sign-off", "source": "ai",
     "note_line": 4, "segments": [3, 4], "level": 1},
    {"type": "heading", "text": "Action items", "source": "ai", "note_line": None,
     "segments": [], "level": 2},
    {"type": "bullet", "text": "Priya: send the revised quote (due: Friday)", "source": "ai",
     "note_line": None, "segments": [2], "level": 1},
]  # fmt: skip


def good_blocks() -> list[dict]:
    return copy.deepcopy(GOOD_BLOCKS)


def llm_settings(base_url: str, **overrides) -> SimpleNamespace:
    """The fields of config.LLMSettings the enhancer reads."""
    values = dict(
        base_url=base_url,
        model="test-model",
        api_key="sk-test-SECRET-1234",
        timeout=5.0,
        context_tokens=8192,
        max_retries=2,
    )
    values.update(overrides)
    return SimpleNamespace(**values)
