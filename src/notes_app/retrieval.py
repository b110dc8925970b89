"""How a question finds the turns of a meeting that answer it: the question's topic words, a
transcript indexed once for many questions, and how the evidence for each turn is weighed.

Used by ``notes_app.ask`` for both ways of asking: over the store (FTS5 supplies each turn's
word score) and in memory (``TranscriptIndex`` does BM25 itself, as the share server does on
a snapshot). The same steps follow either way:

- the question loses its framing ("what did the group discuss about", "summarize"), in every
  form of the word ("discussing" as well as "discuss");
- a speaker the question names as the one who spoke ("What did Anna think of …",
  "Marketing's view") counts as who, not what: their name leaves the words to match and their
  turns weigh more;
- a turn's score is blended with its neighbours' (a turn of talk is short; an answer spans a
  few), then fused with the embedding similarity by normalised weights rather than by rank.

What each step is worth on real meetings is printed by ``benchmarks/retrieval_eval.py``.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import numpy as np

from notes_app.domain import Block, Segment
from notes_app.semantic import Embedder, query_text, reads_sentences, reciprocal_rank_fusion
from notes_app.textkit import K1, QUERY_STOPWORDS, B, bm25_idf, stem

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class RetrievalSettings:
    """The weights of retrieval. The defaults are round values chosen on one half of the
    QMSum meetings and checked on the other (benchmarks/retrieval_eval.py --ablation)."""

    # BM25 as Robertson's defaults: recall@5 moved by at most one query in either half
    # over k1 1.2-2.0 and b 0.3-0.75, so nothing was gained by moving them.
    k1: float = K1
    b: float = B
    # How much each adjacent turn's word score adds to a turn's own (0: turns alone).
    neighbours: float = 0.5
    # A speaker named as who spoke: their turns' word scores count (1 + this) times. Off: with
    # ``others_weight`` below, counting their words twice as well lost two questions.
    speaker_boost: float = 0.0
    # ... and once fused, a turn by anyone else keeps this share of its score ("What did the
    # professor think about clustering?" is answered by the professor's turns, not by the
    # question that raised clustering). Anything from 0.2 to 0.5 scored the same.
    others_weight: float = 0.25
    # A turn with fewer words that count than this ("Yeah, okay.", "Mm-hmm, sounds right.")
    # and none of the question's keeps ``short_weight`` of its score: its neighbours lend it
    # theirs and a word or two can seem close in meaning to anything, but it says next to
    # nothing itself. (Fewer than 3 to 10 words scored about the same.)
    short_terms: int = 3
    short_weight: float = 0.5
    # Drop the question's framing words in any form of the word ("discussing", "summarise").
    framing: bool = True
    # Recognise speakers named in the question.
    speakers: bool = True
    # The embedding similarity's weight against the word score, both scaled to 0..1: for
    # averaged word vectors (0.75 lost 2 points) ...
    semantic_weight: float = 0.5
    # ... and for a sentence model, which earns more trust (0.5 to 1.0 scored within a point;
    # 0.3 lost 2).
    sentence_weight: float = 0.75
    # "weighted" (scores, scaled) or "rrf" (reciprocal rank fusion: ranks only).
    fusion: str = "weighted"
    # Turns kept apart between two passages, beyond the passages' own context: five passages
    # from five stretches of talk, not one stretch seen five times. With the sentence model,
    # 5 lifted half A by 4 points and left half B as it was (0 to 12 were looked at: 1 to 5
    # helped A, 3 and past 5 cost B a question or more).
    spread: int = 5


DEFAULT = RetrievalSettings()

# How questions are framed rather than what they are about: asking for a summary, a
# description, a reaction. (QUERY_STOPWORDS holds the rest: "discuss", "think", "decide".)
FRAMING_WORDS = frozenset(
    """summarize summarise summarized summarised summary describe described description explain
    explained elaborate elaborated please mainly main general generally overall respond
    responded response reply replied react reacted reaction happen happened happening
    view views feel felt""".split()
)
_FRAMING_STEMS = frozenset(stem(w) for w in QUERY_STOPWORDS | FRAMING_WORDS)

# Words in a speaker's label that do not name them ("Mr.", "Hon.", "(Minister of …)" keeps
# "minister" but loses "of").
_TITLES = frozenset("mr mrs ms miss mx dr hon right the of and for".split())
# A word before a speaker's name that makes the name the one who spoke or acted: "What did
# Anna say", "Why would Marketing object", "suggested by Anna". (Not "was" or "is": "What was
# the marketing budget" names no one.)
_SUBJECT_BEFORE = frozenset(
    """did does do didn doesn don has have had hasn haven hadn would will should could can shall
    may might wouldn won shouldn couldn by""".split()
)
# A word before a speaker's name that makes them the one spoken with or to.
_OBJECT_BEFORE = frozenset("with to from against than toward towards".split())


def topic_words(question: str, settings: RetrievalSettings = DEFAULT) -> list[str]:
    """The question's topic words as typed (lower case), in order, without stopwords, question
    framing or repeats."""
    seen: dict[str, None] = {}
    for w in _WORD.findall(question.lower()):
        if len(w) <= 1 or w in QUERY_STOPWORDS:
            continue
        if settings.framing and (w in FRAMING_WORDS or stem(w) in _FRAMING_STEMS):
            continue
        seen.setdefault(w, None)
    return list(seen)


def terms(text: str) -> list[str]:
    """A text's words as retrieval compares them: stemmed, without stopwords."""
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in QUERY_STOPWORDS]


@functools.lru_cache(maxsize=4096)
def _name_words(label: str) -> tuple[str, ...]:
    """The words of a speaker's label that can name them: "Professor C" -> professor, C."""
    out = []
    for w in _WORD.findall(label):
        if len(w) == 1:
            if w.isupper():
                out.append(w)  # "Grad E": a letter names them only as a capital
        elif w.lower() not in _TITLES and w.lower() not in QUERY_STOPWORDS:
            out.append(w.lower())
    return tuple(out)


def named_speakers(
    question: str, speakers: Iterable[str | None], before: AbstractSet[str] | None = None
) -> tuple[set[str], set[str]]:
    """The speakers the question names as who spoke, and the question's words that named them.

    A label's word counts by how few labels share it ("Grad E": "E" says more than "Grad"); a
    speaker is named when the question has their words right after "did", "would", "by" …
    (optionally "the"), after "and" following another name, or before "'s": "What was the
    marketing budget" names nobody while "What did Marketing think" does. Speakers matched at
    least half as well as the best one are kept. With ``before``, a name counts only right
    after one of those words instead ("agree with Marketing": who was spoken with).
    """
    subject_words = _SUBJECT_BEFORE if before is None else before
    labels = sorted({s for s in speakers if s})
    if not labels:
        return set(), set()
    names = {s: set(_name_words(s)) for s in labels}
    shared = Counter(w for s in labels for w in names[s])
    any_name = set(shared)  # "What did Anna and Ben say": Ben follows a name
    tokens = re.findall(r"\w+|['’]s\b", question)

    def word_of(tok: str) -> str:
        return tok if len(tok) == 1 and tok.isupper() and tok != "I" else tok.lower()

    # A label of two words or more also matches in another form of a word, as long as one
    # word matches as written: "the Industrial Design" is "Industrial Designer". What each
    # token can name is worked out once, over the distinct words of all the labels.
    by_word: dict[str, set[str]] = {}
    for label in labels:
        for w in names[label]:
            by_word.setdefault(w, set()).add(label)
    forms = [w for w in by_word if len(w) > 1]
    named_by: list[dict[str, tuple[str, bool]]] = []
    for tok in tokens:
        w = word_of(tok)
        can = {label: (w, True) for label in by_word.get(w, ())}
        if len(w) >= 4:
            for form in forms:
                if form != w and _same_word(w, form):
                    for label in by_word[form]:
                        if len(names[label]) > 1:
                            can.setdefault(label, (form, False))
        named_by.append(can)

    def label_word(at: int, label: str) -> tuple[str, bool] | None:
        """The word of ``label`` that token ``at`` names, and whether it is written the same."""
        return named_by[at].get(label)

    scores: dict[str, float] = {}
    used: dict[str, set[str]] = {}
    for label in sorted({label for can in named_by for label in can}):
        i, best = 0, 0.0
        while i < len(tokens):
            if label_word(i, label) is None:
                i += 1
                continue
            j, matched = i, []
            while j < len(tokens) and (found := label_word(j, label)) is not None:
                matched.append(found)
                j += 1
            if not any(same for _, same in matched):
                i = j
                continue
            at = i - 1
            if at >= 0 and tokens[at].lower() == "the":
                at -= 1
            word = tokens[at].lower() if at >= 0 else ""
            if before is None:
                subject = (
                    word in subject_words
                    or (word == "and" and at > 0 and word_of(tokens[at - 1]) in any_name)
                    or (j < len(tokens) and tokens[j].lower() in ("'s", "’s"))
                )
            else:
                subject = word in subject_words
            if subject:
                run = {w for w, _ in matched}
                best = max(best, sum(math.log(1 + len(labels) / shared[w]) for w in run))
                used.setdefault(label, set()).update(word_of(t) for t in tokens[i:j])
            i = j
        if best > 0:
            scores[label] = best
    if not scores:
        return set(), set()
    top = max(scores.values())
    kept = {s for s, v in scores.items() if v >= top / 2}
    return kept, {w.lower() for s in kept for w in used[s]}


@functools.lru_cache(maxsize=1 << 16)
def _same_word(a: str, b: str) -> bool:
    """Two forms of one word: the same stem, or one the other's start ("design", "designer";
    "manager", "management")."""
    if a[:1] != b[:1]:
        return False
    if stem(a) == stem(b):
        return True
    shorter, longer = sorted((a, b), key=len)
    common = len(shorter)
    for k, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            common = k
            break
    return common >= 5 and common >= len(shorter) - 2 and longer.startswith(shorter[:common])


@dataclass(frozen=True)
class Question:
    """A question made ready to match: its words (for FTS5 and the embedder), their stems (for
    BM25) and the speakers it names as who spoke."""

    words: tuple[str, ...]
    terms: tuple[str, ...]
    speakers: frozenset[str] = frozenset()
    text: str = ""  # as asked: what a sentence model embeds

    @property
    def empty(self) -> bool:
        return not self.words and not self.speakers


def parse_question(
    question: str,
    speakers: Iterable[str | None] = (),
    settings: RetrievalSettings = DEFAULT,
    names: Mapping[str, str] | None = None,
) -> Question:
    """The question made ready to match. ``names`` says who a speaker label is where the
    meeting knows (``textkit.speaker_names``: "them" is Sarah in a call with her alone): the
    question names that speaker by the name ("What did Sarah say …")."""
    words = topic_words(question, settings)
    named: set[str] = set()
    if settings.speakers:
        called = {s: (names or {}).get(s, s) for s in speakers if s}  # label -> as named
        named_as, naming = named_speakers(question, called.values())
        named = {label for label, name in called.items() if name in named_as}
        # "… agree with Marketing", "… respond to Anna": a speaker the question names as the
        # one spoken with is a person too, not a topic ("market").
        _, spoken_to = named_speakers(question, called.values(), _OBJECT_BEFORE)
        rest = [w for w in words if w not in naming and w not in spoken_to]
        words = rest or words  # "What did Anna say?": her name is all there is to match
    stems = list(dict.fromkeys(stem(w) for w in words))
    return Question(tuple(words), tuple(stems), frozenset(named), question.strip())


# --- scoring --------------------------------------------------------------------------------


def passage_scores(
    lexical: np.ndarray, spoke: np.ndarray | None, settings: RetrievalSettings = DEFAULT
) -> np.ndarray:
    """Each turn's word score blended with its neighbours' (the turns in order, one meeting):
    a turn's own score, plus ``settings.neighbours`` times each adjacent turn's. Turns of a
    speaker the question names count (1 + ``speaker_boost``) times first."""
    own = lexical.astype(np.float64, copy=True)
    if spoke is not None and settings.speaker_boost:
        own *= 1.0 + settings.speaker_boost * spoke
    out = own.copy()
    if settings.neighbours and len(own) > 1:
        out[1:] += settings.neighbours * own[:-1]
        out[:-1] += settings.neighbours * own[1:]
    return out


def fuse(
    passage: np.ndarray,
    similarity: np.ndarray | None,
    settings: RetrievalSettings = DEFAULT,
    *,
    sentences: bool = False,
) -> np.ndarray:
    """One score per item from the word score and, when there is one, the embedding similarity:
    each scaled to 0..1 over the items and added with ``semantic_weight`` (``sentence_weight``
    when a sentence model gave the similarity), or with ``fusion="rrf"``, reciprocal rank fusion
    of the two orders."""
    top = float(passage.max()) if len(passage) else 0.0
    words = passage / top if top > 0 else np.zeros(len(passage))
    weight = settings.sentence_weight if sentences else settings.semantic_weight
    if similarity is None or not weight or not len(passage):
        return words
    if settings.fusion == "rrf":
        matched = [i for i in np.argsort(-words, kind="stable").tolist() if words[i] > 0]
        by_meaning = np.argsort(-similarity, kind="stable").tolist()
        out = np.zeros(len(passage))
        for i, value in reciprocal_rank_fusion([matched, by_meaning]):
            out[i] = value
        return out
    finite = np.isfinite(similarity)
    if not finite.any():
        return words
    lo, hi = float(similarity[finite].min()), float(similarity[finite].max())
    near = (similarity - lo) / (hi - lo) if hi > lo else np.ones(len(passage))
    return words + weight * np.where(finite, near, -np.inf)


def by_speaker(
    scores: np.ndarray, spoke: np.ndarray, settings: RetrievalSettings = DEFAULT
) -> np.ndarray:
    """Fused scores with the turns of anyone but a named speaker (``spoke`` 0) scaled by
    ``settings.others_weight``; unchanged when no speaker was named (``spoke`` all 0)."""
    if not len(spoke) or not spoke.any() or settings.others_weight == 1.0:
        return scores
    return scores * np.where(spoke > 0, 1.0, settings.others_weight)


def short_turns(
    scores: np.ndarray, lengths: np.ndarray, own: np.ndarray, settings: RetrievalSettings = DEFAULT
) -> np.ndarray:
    """Scores with the turns that hold none of the question's words (``own`` 0) and fewer than
    ``settings.short_terms`` words that count (``lengths``) scaled by ``settings.short_weight``:
    "Yeah, okay." beside an answer borrows its score, and a word or two can seem close in
    meaning to anything, but neither makes it an answer."""
    if settings.short_weight == 1.0 or not len(scores):
        return scores
    bare = (lengths < settings.short_terms) & (own <= 0)
    return scores * np.where(bare, settings.short_weight, 1.0)


def pick(
    scores: np.ndarray,
    k: int,
    context: int,
    *,
    turns: int | None = None,
    groups: np.ndarray | None = None,
    positions: np.ndarray | None = None,
    settings: RetrievalSettings = DEFAULT,
) -> list[int]:
    """The ``k`` best items, best first, skipping a turn within ``context + spread`` turns of
    one already taken in the same meeting (it would show much the same stretch of talk). When
    that leaves fewer than ``k`` (a short meeting), the rest are filled from the turns skipped,
    now kept only ``context`` apart (no turn shown twice). Items at or past ``turns`` (notes
    blocks) are never skipped; nothing scoring 0 or less is taken.

    ``groups`` and ``positions`` say which meeting and turn each item is (default: one meeting,
    item i is turn i)."""
    order = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] > 0]

    def place(i: int) -> tuple[int, int] | None:
        """Item ``i``'s (meeting, turn); None for a notes block, which is never skipped."""
        if turns is not None and i >= turns:
            return None
        return (int(groups[i]) if groups is not None else 0,
                int(positions[i]) if positions is not None else i)  # fmt: skip

    def stretch(at: tuple[int, int] | None, apart: int) -> set[tuple[int, int]]:
        return set() if at is None else {(at[0], at[1] + d) for d in range(-apart, apart + 1)}

    taken: list[int] = []
    for apart in dict.fromkeys((context + settings.spread, context)):
        near = set().union(*(stretch(place(i), apart) for i in taken))
        for i in order:
            if len(taken) >= k:
                break
            at = place(i)
            if i in taken or at in near:
                continue
            near |= stretch(at, apart)
            taken.append(i)
    return sorted(taken, key=lambda i: -scores[i])


# --- one transcript, indexed once ----------------------------------------------------------


class TranscriptIndex:
    """A transcript (and any notes blocks) made ready for many questions.

    Each text is tokenised once into postings (term -> the texts holding it and how often), so
    a question costs a few array operations, not a pass over every word; embedding vectors
    (half precision) are computed the first time a question needs them. Keep one per transcript
    for as long as it does not change (the share server keeps one per snapshot).
    """

    def __init__(
        self,
        segments: Sequence[Segment],
        blocks: Sequence[Block] = (),
        *,
        embedder: Embedder | None = None,
    ):
        self.segments: tuple[Segment, ...] = tuple(sorted(segments, key=lambda s: s.index))
        self.blocks: tuple[Block, ...] = tuple(blocks)
        self.embedder = embedder
        texts = [s.text for s in self.segments] + [b.text for b in self.blocks]
        docs: dict[str, list[int]] = {}
        counts: dict[str, list[int]] = {}
        lengths = np.zeros(len(texts), dtype=np.float32)
        for n, text in enumerate(texts):
            tf = Counter(terms(text))
            lengths[n] = sum(tf.values())
            for t, c in tf.items():
                docs.setdefault(t, []).append(n)
                counts.setdefault(t, []).append(c)
        self._postings = {
            t: (np.asarray(docs[t], dtype=np.int32), np.asarray(counts[t], dtype=np.float32))
            for t in docs
        }
        self._lengths = lengths
        self._avg = float(lengths.mean()) if len(texts) and lengths.mean() > 0 else 1.0
        self.speakers: tuple[str | None, ...] = tuple(s.speaker for s in self.segments)
        self._labels = frozenset(s for s in self.speakers if s)
        codes = {label: n for n, label in enumerate(sorted(self._labels))}
        self._speaker_codes = np.array(
            [codes.get(s, -1) if s else -1 for s in self.speakers], dtype=np.int32
        )
        self._codes = codes
        self._vectors: np.ndarray | None = None
        if embedder is not None and texts:
            self._vectors = embedder.embed(texts).astype(np.float16)

    def __len__(self) -> int:
        return len(self._lengths)

    @functools.cached_property
    def word_counts(self) -> dict[int, int]:
        """Each turn's number of words that count, by segment index (worked out once)."""
        return {
            s.index: int(n) for s, n in zip(self.segments, self._lengths.tolist(), strict=False)
        }

    @property
    def nbytes(self) -> int:
        """Roughly what the index holds in memory (for a cache bounded by bytes)."""
        # Each term: its two arrays, their headers, the key and its slot in the dict.
        postings = sum(d.nbytes + c.nbytes + 300 + len(t) for t, (d, c) in self._postings.items())
        vectors = 0 if self._vectors is None else self._vectors.nbytes
        # The segments themselves belong to the caller: the index holds references to them.
        return postings + vectors + self._lengths.nbytes + 20 * len(self)

    def question(
        self,
        text: str,
        settings: RetrievalSettings = DEFAULT,
        names: Mapping[str, str] | None = None,
    ) -> Question:
        return parse_question(text, self._labels, settings, names)

    def bm25(self, query: Sequence[str], settings: RetrievalSettings = DEFAULT) -> np.ndarray:
        """The BM25 score of every text (segments, then blocks) for the stemmed ``query``."""
        out = np.zeros(len(self), dtype=np.float64)
        n = len(self)
        if not n:
            return out
        norm = settings.k1 * (1 - settings.b + settings.b * self._lengths / self._avg)
        for t in dict.fromkeys(query):
            found = self._postings.get(t)
            if found is None:
                continue
            docs, tf = found
            idf = bm25_idf(n, len(docs))
            out[docs] += idf * tf * (settings.k1 + 1) / (tf + norm[docs])
        return out

    def similarity(self, q: Question) -> np.ndarray | None:
        """Cosine similarity of every text to the question (None without an embedder): to the
        question as asked for a sentence model, to its topic words for word vectors."""
        if self.embedder is None or self._vectors is None or not q.words:
            return None
        text = query_text(self.embedder, q.text, q.words)
        query = self.embedder.embed([text])[0].astype(np.float32)
        return self._vectors.astype(np.float32) @ query

    def rank(
        self,
        question: str,
        k: int,
        context: int,
        settings: RetrievalSettings = DEFAULT,
        names: Mapping[str, str] | None = None,
    ) -> list[tuple[int, float]]:
        """The ``k`` best texts for ``question`` as (position, score): positions below
        ``len(self.segments)`` are turns, the rest notes blocks. ``names``: who a speaker
        label is, for this meeting (``parse_question``)."""
        q = self.question(question, settings, names)
        if q.empty:
            return []
        lexical = self.bm25(q.terms, settings)
        turns = len(self.segments)
        named = [self._codes[s] for s in q.speakers if s in self._codes]
        spoke = np.isin(self._speaker_codes, named).astype(np.float64)
        combined = np.concatenate(
            [passage_scores(lexical[:turns], spoke, settings), lexical[turns:]]
        )
        sentences = reads_sentences(self.embedder)
        scores = fuse(combined, self.similarity(q), settings, sentences=sentences)
        scores[:turns] = by_speaker(scores[:turns], spoke, settings)
        scores[:turns] = short_turns(
            scores[:turns], self._lengths[:turns], lexical[:turns], settings
        )
        return [(i, float(scores[i])) for i in pick(scores, k, context, turns=turns,
                                                    settings=settings)]  # fmt: skip
