"""Answers to a recipient's question, from what was shared and nothing else.

The passages are the shared notes and, when it was shared, the transcript; retrieval and the
answer itself are ``notes_app.ask``'s pure functions, so a share link answers the way the app
does. Unverified AI lines and headings are left out: they are not evidence.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from notes_app.ask import Answer, ChatClient, extractive_answer, llm_answer, retrieve_passages
from notes_app.errors import LLMError
from notes_app.render import clock
from notes_app.retrieval import TranscriptIndex
from notes_app.semantic import affordable, default_embedder
from notes_app.share.cache import ByteLRU
from notes_app.share.model import Snapshot

MAX_PASSAGES = 3
# Question indexes of the snapshots asked about lately (words and vectors of each segment).
INDEX_BUDGET = 80 * 1024 * 1024  # one index of the largest share (20,000 segments) is ~14 MB

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
    index = index_for(snapshot)
    people = snapshot.attendees
    passages = retrieve_passages(
        question, (), k=MAX_PASSAGES, title=snapshot.title, index=index, attendees=people
    )
    if llm is not None:
        try:
            return ShareAnswer(llm_answer(question, passages, llm))
        except LLMError as e:
            log.warning("LLM answer failed, answering extractively: %s", e)
    return ShareAnswer(extractive_answer(question, passages))


_indexes: ByteLRU[tuple[weakref.ref[Snapshot], TranscriptIndex]] = ByteLRU(INDEX_BUDGET)
_building = threading.Lock()


def index_for(snapshot: Snapshot) -> TranscriptIndex:
    """The snapshot's question index, built on its first question and kept while the snapshot
    is (published snapshots never change): a question then costs no pass over the transcript.

    The evidence is the shared notes and the transcript; unverified AI lines and headings are
    left out.
    """
    key = str(id(snapshot))
    found = _indexes.get(key)
    if found is not None and found[0]() is snapshot:
        return found[1]
    with _building:  # two first questions at once build it once
        found = _indexes.get(key)
        if found is not None and found[0]() is snapshot:
            return found[1]
        evidence = [
            b
            for b in snapshot.blocks
            if b.text.strip() and b.type != "heading" and (b.source == "user" or b.verified)
        ]
        # A share of more turns than the sentence model embeds at once uses word vectors: its
        # first question would otherwise hold the server for minutes.
        embedder = default_embedder()
        if embedder is not None:
            embedder = affordable(embedder, len(snapshot.segments) + len(evidence))
        index = TranscriptIndex(snapshot.segments, evidence, embedder=embedder)
        _indexes.put(key, (weakref.ref(snapshot), index), index.nbytes)
    return index


def forget_unused_indexes() -> int:
    """Drop the indexes of snapshots no longer held anywhere (revoked, or pushed out of the
    caches): an index holds the share's words. Returns how many went."""
    unused = [key for key in _indexes.keys() if (found := _indexes.get(key)) and found[0]() is None]
    for key in unused:
        _indexes.pop(key)
    return len(unused)


def answerer_for(llm_settings: Any) -> Callable[[Snapshot, str], ShareAnswer]:
    """The server's answerer: with the LLM ``llm_settings`` names, else extractive only."""
    if not getattr(llm_settings, "base_url", ""):
        return answer_question
    from notes_app.enhance.llm import LLMClient  # the OpenAI client loads only when used

    client = LLMClient.from_settings(llm_settings)

    def answer_with_llm(snapshot: Snapshot, question: str) -> ShareAnswer:
        return answer_question(snapshot, question, llm=client)

    return answer_with_llm
