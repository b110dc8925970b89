"""Answers to a recipient's question, from what was shared and nothing else.

The passages are the shared notes (each block with the transcript moments it cites) and, when
the transcript was shared, its segments. ``answer_question`` is the one entry point the server
calls; it ranks passages by word overlap and answers with the best ones, citing them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from notes_app.domain import Citation
from notes_app.render import clock
from notes_app.share.model import Snapshot

NO_ANSWER = "The shared notes don't say anything about that."
MAX_PASSAGES = 3

_WORD = re.compile(r"[\w']+", re.UNICODE)
_STOP = frozenset(
    """a an and are as at be been but by can could did do does for from had has have how i if in
    into is it its me my of on or our so that the their them then there these they this to was we
    were what when where which who whom why will with would you your about any tell said say
    meeting discussed talk talked""".split()
)


@dataclass(frozen=True)
class SharedPassage:
    text: str
    citations: tuple[Citation, ...]
    quote: str | None = None  # the transcript words, when the transcript was shared


@dataclass(frozen=True)
class ShareAnswer:
    answer: str
    citations: tuple[Citation, ...]
    quotes: dict[int, str]  # segment index → "speaker: text" for shared segments

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "citations": [
                {**c.to_dict(), "time": clock(c.start), "quote": self.quotes.get(c.segment)}
                for c in self.citations
            ],
        }


# An LLM answerer takes the question and the ranked passages and returns the answer text.
LLMAnswerer = Callable[[str, list[SharedPassage]], str]


def answer_question(
    snapshot: Snapshot, question: str, *, llm: LLMAnswerer | None = None
) -> ShareAnswer:
    """Answer from the snapshot only: the LLM when given one, else the best passages verbatim."""
    passages = rank_passages(shared_passages(snapshot), question)[:MAX_PASSAGES]
    quotes = {s.index: _quote(s.speaker, s.text) for s in snapshot.segments}
    if not passages:
        return ShareAnswer(NO_ANSWER, (), quotes)
    citations = _unique(c for p in passages for c in p.citations)
    if llm is not None:
        return ShareAnswer(llm(question, passages).strip() or NO_ANSWER, citations, quotes)
    text = " ".join(_sentence(p.text) for p in passages)
    return ShareAnswer(text, citations, quotes)


def shared_passages(snapshot: Snapshot) -> list[SharedPassage]:
    passages = [
        SharedPassage(b.text, b.citations)
        for b in snapshot.blocks
        if b.text.strip() and (b.source == "user" or b.verified)  # unverified AI text is no source
    ]
    for s in snapshot.segments:
        passages.append(SharedPassage(_quote(s.speaker, s.text), (Citation.of(s),), s.text))
    return passages


def rank_passages(passages: list[SharedPassage], question: str) -> list[SharedPassage]:
    """Passages sharing words with the question, best first (rarer words weigh more)."""
    wanted = set(_terms(question))
    if not wanted:
        return []
    docs = [Counter(_terms(p.text)) for p in passages]
    df = Counter(t for d in docs for t in set(d) if t in wanted)
    n = len(passages)
    scored = []
    for i, (p, d) in enumerate(zip(passages, docs, strict=True)):
        score = sum(math.log(1 + n / df[t]) for t in wanted if t in d)
        if score > 0:
            # Passages that cite the transcript are the evidence a recipient can check.
            scored.append((score + (0.1 if p.citations else 0.0), -i, p))
    scored.sort(key=lambda x: (x[0], x[1]), reverse=True)
    return [p for _, _, p in scored]


def _terms(text: str) -> list[str]:
    words = (w.lower().strip("'") for w in _WORD.findall(text))
    return [_stem(w) for w in words if w and w not in _STOP]


def _stem(word: str) -> str:
    # Enough to match "prices" with "price" and "launching" with "launch" without a library.
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _quote(speaker: str | None, text: str) -> str:
    return f"{speaker}: {text}" if speaker else text


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?" else text + "."


def _unique(citations) -> tuple[Citation, ...]:
    seen: dict[int, Citation] = {}
    for c in citations:
        seen.setdefault(c.segment, c)
    return tuple(seen.values())


def answerer_for(llm_settings: Any) -> Callable[[Snapshot, str], ShareAnswer]:
    """The server's answerer: extractive unless ``llm_settings`` names an endpoint."""
    return answer_question
