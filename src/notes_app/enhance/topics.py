"""A meeting split into topics, for the summary written when the user took no notes.

The transcript is cut where the vocabulary changes (lexical cohesion, as in TextTiling: the
words just before a gap against the words just after it) and where nobody spoke for a while.
Each topic is labelled by its most distinctive words, and its most central sentences — the
ones closest to the topic's overall vocabulary — stand for it.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from notes_app.domain import Segment, Transcript
from notes_app.enhance.text import STOPWORDS, is_quantity, stem, terms, words

SEGMENTS_PER_TOPIC = 25
MAX_TOPICS = 8
COHESION_WINDOW = 4
SILENCE_GAP = 45.0  # seconds without speech that usually mean the subject changed


@dataclass(frozen=True)
class Topic:
    label: str
    segments: tuple[int, ...]  # positions in the transcript, in order
    central: tuple[int, ...]  # the positions whose text stands for the topic


def split_topics(transcript: Transcript) -> list[Topic]:
    segs = transcript.segments
    if not segs:
        return []
    vectors = [Counter(t for t in terms(s.text) if not is_quantity(t)) for s in segs]
    idf = _idf(vectors)
    n_topics = max(1, min(MAX_TOPICS, round(len(segs) / SEGMENTS_PER_TOPIC)))
    cuts = _boundaries(segs, vectors, idf, n_topics)
    topics = []
    for lo, hi in zip([0, *cuts], [*cuts, len(segs)], strict=True):
        span = list(range(lo, hi))
        central = _central(span, vectors, idf, 2 if len(span) >= 12 else 1)
        if central:
            topics.append(Topic(_label(segs, span, vectors, idf), tuple(span), tuple(central)))
    return topics


def _idf(vectors: list[Counter]) -> dict[str, float]:
    df = Counter(t for v in vectors for t in v)
    n = len(vectors)
    return {t: math.log(1 + n / d) for t, d in df.items()}


def _cosine(a: Counter, b: Counter, idf: dict[str, float]) -> float:
    dot = sum(a[t] * b[t] * idf[t] ** 2 for t in a if t in b)
    na = math.sqrt(sum((a[t] * idf[t]) ** 2 for t in a))
    nb = math.sqrt(sum((b[t] * idf[t]) ** 2 for t in b))
    return dot / (na * nb) if na and nb else 0.0


def _boundaries(
    segs: tuple[Segment, ...], vectors: list[Counter], idf: dict[str, float], n_topics: int
) -> list[int]:
    """Positions where a new topic starts: the deepest valleys in cohesion, spread out."""
    if n_topics <= 1:
        return []
    gaps = []
    for i in range(1, len(segs)):
        left = sum(vectors[max(0, i - COHESION_WINDOW) : i], Counter())
        right = sum(vectors[i : i + COHESION_WINDOW], Counter())
        silence = segs[i].start - segs[i - 1].end >= SILENCE_GAP
        gaps.append((_cosine(left, right, idf) - (1.0 if silence else 0.0), i))
    min_size = max(3, len(segs) // (n_topics * 2))
    cuts: list[int] = []
    for _, i in sorted(gaps):
        if len(cuts) == n_topics - 1:
            break
        if (
            i >= min_size
            and len(segs) - i >= min_size
            and all(abs(i - c) >= min_size for c in cuts)
        ):
            cuts.append(i)
    return sorted(cuts)


def _central(span: list[int], vectors: list[Counter], idf: dict[str, float], k: int) -> list[int]:
    """The ``k`` segments most like the whole topic, preferring ones that say something."""
    whole = sum((vectors[i] for i in span), Counter())
    informative = [i for i in span if len(vectors[i]) >= 4] or [i for i in span if vectors[i]]
    ranked = sorted(informative, key=lambda i: -_cosine(vectors[i], whole, idf))
    return sorted(ranked[:k])


def _label(
    segs: tuple[Segment, ...], span: list[int], vectors: list[Counter], idf: dict[str, float]
) -> str:
    """The topic's three most distinctive words, spelled as people said them."""
    weight: Counter[str] = Counter()  # Counter holds floats fine; its stub says int
    for i in span:
        for t, f in vectors[i].items():
            weight[t] += f * idf[t]  # type: ignore[assignment]
    spelled: dict[str, Counter] = {}
    for i in span:
        for w in words(segs[i].text):
            if w not in STOPWORDS and len(w) > 2:
                spelled.setdefault(stem(w), Counter())[w] += 1
    top = [t for t, _ in weight.most_common(6) if t in spelled and not t.isdigit()][:3]
    return ", ".join(spelled[t].most_common(1)[0][0] for t in top).capitalize() or "Discussion"
