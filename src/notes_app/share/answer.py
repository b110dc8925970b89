"""Answers to a recipient's question, from what was shared and nothing else.

The passages are the shared notes and, when it was shared, the transcript; retrieval and the
answer itself are ``notes_app.ask``'s pure functions, so a share link answers the way the app
does. Unverified AI lines and headings are left out: they are not evidence.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from notes_app.ask import Answer, ChatClient, extractive_answer, llm_answer, retrieve_passages
from notes_app.errors import LLMError
from notes_app.render import clock
from notes_app.share.model import Snapshot

MAX_PASSAGES = 3

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ShareAnswer:
    """What ``POST /s/{id}/ask`` returns: the answer and the moments it cites."""

    answer: Answer

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer.text,
            "mode": self.answer.mode,
            "citations": [
                {
                    "segment": p.segment,
                    "start": round(p.start, 3),
                    "end": round(p.end, 3),
                    "time": clock(p.start) if p.segment is not None else None,
                    "kind": p.kind,
                    "quote": p.text,  # shared words only: transcript lines or a notes line
                }
                for p in self.answer.citations
            ],
        }


def answer_question(
    snapshot: Snapshot, question: str, *, llm: ChatClient | None = None
) -> ShareAnswer:
    """Answer from the snapshot only: with the LLM when given one, else extractively.

    If the LLM fails, the recipient still gets the extractive answer: they cannot fix the
    server's model, and the passages are the same.
    """
    evidence = [
        b
        for b in snapshot.blocks
        if b.text.strip() and b.type != "heading" and (b.source == "user" or b.verified)
    ]
    passages = retrieve_passages(
        question, snapshot.segments, evidence, k=MAX_PASSAGES, title=snapshot.title
    )
    if llm is not None:
        try:
            return ShareAnswer(llm_answer(question, passages, llm))
        except LLMError as e:
            log.warning("LLM answer failed, answering extractively: %s", e)
    return ShareAnswer(extractive_answer(question, passages))


def answerer_for(llm_settings: Any) -> Callable[[Snapshot, str], ShareAnswer]:
    """The server's answerer: with the LLM ``llm_settings`` names, else extractive only."""
    if not getattr(llm_settings, "base_url", ""):
        return answer_question
    from notes_app.enhance.llm import LLMClient  # the OpenAI client loads only when used

    client = LLMClient.from_settings(llm_settings)

    def answer_with_llm(snapshot: Snapshot, question: str) -> ShareAnswer:
        return answer_question(snapshot, question, llm=client)

    return answer_with_llm
