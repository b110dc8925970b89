"""Grounding: which transcript segments does each line of the user's notes come from?

Three kinds of evidence are combined:

1. **Lexical match** (BM25 over segments) on stemmed content words and quantity keys, so
   "4.2M" meets "four point two million" and "pricing" meets "price". Note words are also
   matched, at a discount, to transcript words that look or sound alike (character trigrams,
   edit distance, and the same rhyme: recognisers keep a word's stressed vowel and ending more
   often than its onset, so "churn" is heard as "turn" and "documentation" as
   "argumentation").
2. **Context windows**: a note often condenses a few neighbouring utterances, so a segment is
   also scored by the note words found in the segments around it.
3. **Order prior**: people write notes in meeting order. A dynamic programme picks one anchor
   position per note line so that anchors mostly move forward in time (going back costs a
   penalty), which rejects the stray lexical matches elsewhere in a long meeting.

Entry points: ``ground(transcript, note_lines) -> list[Grounding]`` and ``SegmentIndex`` for
scoring any text against a transcript (used by citation checks).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from notes_app.domain import ME, THEM, Transcript
from notes_app.enhance.facts import fact_kinds, wanted_kinds
from notes_app.enhance.notes_parse import NoteLine, is_section_label, parse_notes, section_context
from notes_app.enhance.text import is_quantity, stem, terms, words
from notes_app.textkit import K1, bm25_idf, bm25_norm, bm25_weight

FUZZY_MIN = 0.7  # trigram Dice similarity for two spellings to count as the same word
EDIT_MIN = 0.75  # or: 1 - edit distance / length of the longer word …
EDIT_MIN_LENGTH = 6  # … of six letters or more: one letter changes a short word's meaning
RHYME_WEIGHT = 0.55  # or: the same rhyme (from the first vowel on) and about the same length
FACT_AFTER, FACT_BEFORE = 4, 1  # where a note's missing fact is looked for around its match
EXACT_SEEN = 0.5
ABBREVIATION_MAX = 5  # a typed word this short, never said as such, may abbreviate one that was
PREFIX_WEIGHT, SQUEEZED_WEIGHT, ACRONYM_WEIGHT = (
    0.8,
    0.6,
    0.9,
)  # discount on look-alikes of a word the transcript also has as such
_VOWELS = "aeiouy"
WINDOW = 6  # segments either side that still count as the same passage (tuned on ELITR)
BACK_PENALTY = 0.3  # cost, in normalised score, of a note that jumps back in time
MIN_SCORE = 0.08  # normalised score below which a note line is left ungrounded
MAX_CITED = 3
SECOND_PASSAGE = 0.8  # how close another passage must score to be cited as well
LABEL_LEAD = 4 * WINDOW  # how far before its first line a section's topic may be raised
SECTION_WEIGHT = 0.3  # words of the section heading a line sits under
QUANTITY_WEIGHT = {"n": 1.5}  # typed keys (pct:, money:, q:, date:, dur:) weigh 2.5


@dataclass(frozen=True)
class Grounding:
    """The segments that ground one note line; empty when nothing in the transcript does.

    ``segments`` are in time order; ``primary`` is the single best one; ``score`` is the
    normalised match strength (roughly the fraction of the note's weight found there).
    """

    note_line: int
    segments: tuple[int, ...]
    primary: int | None
    score: float
    terms: tuple[str, ...] = ()


def _trigrams(word: str) -> set[str]:
    padded = f" {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


class SegmentIndex:
    """BM25 over the segments of one transcript, with fuzzy word matching."""

    def __init__(self, transcript: Transcript):
        self.segments = transcript.segments
        self.size = len(self.segments)
        self.doc_terms = [self._segment_terms(s) for s in self.segments]
        lengths = np.array([len(t) for t in self.doc_terms], dtype=float)
        self.avg_len = float(lengths.mean()) if self.size else 1.0
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, doc in enumerate(self.doc_terms):
            for term, tf in Counter(doc).items():
                self.postings[term].append((i, tf))
        self.norm = bm25_norm(lengths, max(self.avg_len, 1e-9))
        self._trigram_index: dict[str, set[str]] = defaultdict(set)
        for term in self.postings:
            if term.isalpha() and len(term) >= 4:
                for g in _trigrams(term):
                    self._trigram_index[g].add(term)
        self._cache: dict[str, np.ndarray] = {}
        self._passage_cache: dict[str, np.ndarray] = {}
        self._peak_cache: dict[str, float] = {}
        self._holding_cache: dict[frozenset[str], np.ndarray] = {}
        self._zeros = np.zeros(self.size)
        self._zeros.flags.writeable = False  # shared by every term the transcript never has
        self._kinds: list[set[str]] | None = None
        self._variants: dict[str, list[tuple[str, float]]] = {}
        self._by_letter: dict[str, list[tuple[str, str]]] | None = None
        self._initials_cache: list[str] | None = None

    @staticmethod
    def _segment_terms(seg) -> list[str]:
        out = terms(seg.text)
        if seg.speaker and seg.speaker not in (ME, THEM):
            out.extend(terms(seg.speaker))  # "pricing → Sarah" can mean Sarah said it
        return out

    def holding(self, kinds: set[str]) -> np.ndarray | None:
        """Which segments hold a fact of one of ``kinds`` (None when no kind is asked for)."""
        if not kinds:
            return None
        key = frozenset(kinds)
        if key not in self._holding_cache:
            if self._kinds is None:
                self._kinds = [fact_kinds(seg.text) for seg in self.segments]
            self._holding_cache[key] = np.array([bool(kinds & k) for k in self._kinds], dtype=bool)
        return self._holding_cache[key]

    def idf(self, term: str) -> float:
        df = len(self.postings.get(term, ()))
        return bm25_idf(self.size, df)

    def term_scores(self, term: str) -> np.ndarray:
        """BM25 contribution of ``term`` (or its closest spellings) to every segment."""
        if term not in self._cache:
            scores = self._zeros
            for variant, weight in self.variants(term):
                scores = np.maximum(scores, weight * self._exact_scores(variant))
            self._cache[term] = scores
        return self._cache[term]

    def passage_scores(self, term: str) -> np.ndarray:
        """``term_scores`` at their highest within WINDOW segments either side (cached: every
        note line with the term needs it)."""
        if term not in self._passage_cache:
            scores = self.term_scores(term)
            self._passage_cache[term] = (
                self._zeros if scores is self._zeros else _sliding_max(scores, WINDOW)
            )
        return self._passage_cache[term]

    def _exact_scores(self, term: str) -> np.ndarray:
        scores = np.zeros(self.size)
        postings = self.postings.get(term)
        if postings:
            idx = np.fromiter((i for i, _ in postings), dtype=int)
            tf = np.fromiter((f for _, f in postings), dtype=float)
            scores[idx] = bm25_weight(self.idf(term), tf, self.norm[idx])
        return scores

    def variants(self, term: str) -> list[tuple[str, float]]:
        """The term itself plus transcript words spelled almost the same, with similarity;
        for a short word the transcript never has, what it may abbreviate."""
        if term not in self._variants:
            self._variants[term] = self._find_variants(term)
        return self._variants[term]

    def _find_variants(self, term: str) -> list[tuple[str, float]]:
        out = [(term, 1.0)] if term in self.postings else []
        if is_quantity(term) or not term.isalpha():
            return out
        if not out and 2 <= len(term) <= ABBREVIATION_MAX:
            out.extend(self._expansions(term))
        if len(term) < 4:
            return out
        grams = _trigrams(term)
        candidates = Counter(w for g in grams for w in self._trigram_index.get(g, ()))
        for word, shared in candidates.items():
            if word == term:
                continue
            dice = 2 * shared / (len(grams) + len(word))  # a word has len(word) trigrams
            weight = max(dice if dice >= FUZZY_MIN else 0.0, sound_alike(term, word))
            if weight > 0:
                # When the word itself was heard, a look-alike is less likely to be it.
                out.append((word, weight * (EXACT_SEEN if out and out[0][0] == term else 1.0)))
        return out

    def _expansions(self, short: str) -> list[tuple[str, float]]:
        """What a short typed word may stand for, when the meeting never says it as such:
        a word it begins ("docs" → "documentation", "eu" → "europe"), a word it is squeezed
        from ("mktg" → "marketing", "wks" → "weeks"), or the initials of words said in a row
        ("DPA" → "data processing agreement", "EOD" → "end of day")."""
        out: list[tuple[str, float]] = []
        for word, said in self._words_starting(short[0]):
            if len(said) <= len(short):
                continue
            if said.startswith(short) or word.startswith(short):
                out.append((word, PREFIX_WEIGHT))
            elif len(short) >= 3 and len(said) <= 4 * len(short) and _squeezed(short, said):
                out.append((word, SQUEEZED_WEIGHT))
        if len(short) >= 3:
            key = f"acronym:{short}"
            hits = [i for i, initials in enumerate(self._initials()) if short in initials]
            if hits:
                self.postings[key] = [(i, 1) for i in hits]
                out.append((key, ACRONYM_WEIGHT))
        return out

    def _words_starting(self, letter: str) -> list[tuple[str, str]]:
        """(indexed term, a spelling it was said as) for the words that start with ``letter``:
        "mktg" is squeezed from "marketing", not from its stem "market"."""
        if self._by_letter is None:
            said: dict[str, str] = {}
            for seg in self.segments:
                for w in words(seg.text):
                    if w.isalpha():
                        said.setdefault(stem(w), w)
            self._by_letter = defaultdict(list)
            for term in self.postings:
                if term.isalpha():
                    self._by_letter[term[0]].append((term, said.get(term, term)))
        return self._by_letter.get(letter, [])

    def _initials(self) -> list[str]:
        if self._initials_cache is None:
            self._initials_cache = [
                "".join(w[0] for w in words(seg.text) if w[0].isalpha()) for seg in self.segments
            ]
        return self._initials_cache

    def query(self, weighted_terms: dict[str, float]) -> tuple[np.ndarray, np.ndarray, float]:
        """(own, passage, mass): per-segment scores of a query and its best attainable score.

        ``own`` counts the query's terms in each segment; ``passage`` counts each term once if
        it occurs anywhere within WINDOW segments, which rewards a stretch of talk that covers
        the whole note. ``mass`` is what a segment containing every term would score.
        """
        own = np.zeros(self.size)
        passage = np.zeros(self.size)
        mass = 0.0
        for term, weight in weighted_terms.items():
            scores = self.term_scores(term)
            own += weight * scores
            passage += weight * self.passage_scores(term)
            mass += weight * self._peak_idf(term) * (K1 + 1) / (1 + K1)
        return own, passage, mass

    def _peak_idf(self, term: str) -> float:
        """The highest idf among the term and its variants (cached: asked for every line)."""
        if term not in self._peak_cache:
            best = max((self.idf(v) * w for v, w in self.variants(term)), default=0.0)
            self._peak_cache[term] = max(best, self.idf(term))
        return self._peak_cache[term]


def _squeezed(short: str, word: str) -> bool:
    """``short`` is ``word`` with letters left out, keeping the first ("mktg", "marketing")."""
    it = iter(word)
    return short[0] == word[0] and all(ch in it for ch in short)


def sound_alike(a: str, b: str) -> float:
    """How likely ``b`` is ``a`` misheard (0 when unlikely), for words of four letters or more.

    Two signals that do not depend on any word list: a small edit distance relative to the
    length, and the same rhyme (the word from its first vowel on) with a different onset.
    """
    if len(a) < 4 or len(b) < 4:
        return 0.0
    longer = max(len(a), len(b))
    ratio = 1 - _edit_distance(a, b) / longer
    if ratio >= EDIT_MIN and longer >= EDIT_MIN_LENGTH:  # "plant" is not "plan"
        return 0.9 * ratio
    ra, rb = _rhyme(a), _rhyme(b)
    if ra == rb and len(ra) >= 3 and abs(len(a) - len(b)) <= 2:
        return RHYME_WEIGHT
    return 0.0


def _rhyme(word: str) -> str:
    for i, ch in enumerate(word):
        if ch in _VOWELS and i > 0:
            return word[i:]
        if ch in _VOWELS:
            # A word that starts with a vowel: its rhyme starts at the next vowel group.
            rest = word[i:].lstrip(_VOWELS)
            j = next((k for k, c in enumerate(rest) if c in _VOWELS), None)
            return rest[j:] if j is not None else word
    return word


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _sliding_max(x: np.ndarray, w: int) -> np.ndarray:
    out = x.copy()
    for d in range(1, w + 1):
        out[d:] = np.maximum(out[d:], x[:-d])
        out[:-d] = np.maximum(out[:-d], x[d:])
    return out


def note_query(text: str, section: str = "") -> dict[str, float]:
    """The weighted terms of a note line (and, more lightly, of the section it sits in)."""
    weights: dict[str, float] = {}
    for term in terms(text):
        if is_quantity(term):
            kind = term.split(":", 1)[0]
            weights[term] = QUANTITY_WEIGHT.get(kind, 2.5)
        else:
            weights[term] = 1.0
    for term in terms(section):
        weights.setdefault(term, SECTION_WEIGHT)
    return weights


def ground(
    transcript: Transcript,
    note_lines: Sequence[NoteLine] | str,
    index: SegmentIndex | None = None,
    on_progress: Callable[[float, float], None] | None = None,
) -> list[Grounding]:
    """Ground every note line in the transcript; one ``Grounding`` per line, in order.

    A section label ("Pricing:", "## Risks") is grounded on its own words, to the one segment
    where its topic is raised shortly before the section's first line. The document title
    ("# …") and metadata lines ("Date: …") get an empty grounding: they describe the meeting
    rather than something said in it.
    """
    lines = parse_notes(note_lines) if isinstance(note_lines, str) else list(note_lines)
    index = index or SegmentIndex(transcript)
    sections = section_context(lines)
    groundable = [ln for ln in lines if not is_section_label(ln) and not ln.metadata]
    if index.size == 0 or not groundable:
        return [Grounding(ln.line, (), None, 0.0) for ln in lines]
    queries = [note_query(ln.text, sections.get(ln.line, "")) for ln in groundable]

    def combined(k: int) -> np.ndarray:  # one line's scores, made when needed: never all at once
        return _combine(*index.query(queries[k]))

    found: dict[int, Grounding | None] = {}

    def select(k: int, anchor: int, scores: np.ndarray) -> None:
        ln = groundable[k]
        found[ln.line] = _select(
            ln.line,
            anchor,
            scores,
            _own_words_only(index, queries[k]),
            queries[k],
            _coverage(index, queries[k]),
            index.holding(wanted_kinds(ln.text)),
        )

    anchors = _align_rows(
        combined, len(queries), index.size, on_anchor=select, on_progress=on_progress
    )
    next_anchor: int | None = None  # anchor of the first grounded line below, walking up
    by_line = {ln.line: a for ln, a in zip(groundable, anchors, strict=True)}
    for ln in reversed(lines):
        if ln.line in by_line:
            next_anchor = by_line[ln.line]
        elif is_section_label(ln) and not ln.metadata and not _is_title(ln):
            found[ln.line] = _ground_label(index, ln, next_anchor)
    return [found.get(ln.line) or Grounding(ln.line, (), None, 0.0) for ln in lines]


def _ground_label(index: SegmentIndex, ln: NoteLine, next_anchor: int | None) -> Grounding | None:
    """One segment for a section label: where its words are said, at most LABEL_LEAD segments
    before (or WINDOW after) the anchor of the section's first line. The search is local so
    that a label's few words never move the alignment of the lines themselves."""
    query = note_query(ln.text.rstrip(":"))
    own, passage, mass = index.query(query)
    combined = _combine(own, passage, mass)
    ranges = [(0, index.size)]
    if next_anchor is not None:  # before the first line, else just after it
        start = max(next_anchor - LABEL_LEAD, 0)
        ranges = [
            (start, next_anchor + 1),
            (next_anchor + 1, min(next_anchor + WINDOW + 1, index.size)),
        ]
    for lo, hi in ranges:
        if hi > lo and own[lo:hi].max() > 0:
            # The first clear mention: where the topic is raised, not where it recurs.
            anchor = lo + int(np.argmax(own[lo:hi] >= 0.5 * own[lo:hi].max()))
            if combined[anchor] < MIN_SCORE:
                return None
            return Grounding(ln.line, (anchor,), anchor, float(combined[anchor]), tuple(query))
    return None


def _is_title(ln: NoteLine) -> bool:
    """A top-level Markdown heading names the whole meeting, not a part of it."""
    return ln.is_heading and ln.level == 1 and ln.raw.lstrip().startswith("#")


def _own_words_only(index: SegmentIndex, query: dict[str, float]) -> np.ndarray:
    """Scores from the line's own words: section words may steer, but never ground, a line."""
    own = np.zeros(index.size)  # as ``index.query`` sums them, without the passage scores
    for term, weight in query.items():
        if weight > SECTION_WEIGHT:
            own += weight * index.term_scores(term)
    return own


def _coverage(index: SegmentIndex, query: dict[str, float]) -> np.ndarray:
    """How many of the line's own words each segment contains."""
    own_terms = [t for t, w in query.items() if w > SECTION_WEIGHT]
    counts = np.zeros(index.size)
    for term in own_terms:
        counts += index.term_scores(term) > 0
    return counts


def _combine(own: np.ndarray, passage: np.ndarray, mass: float) -> np.ndarray:
    if mass <= 0:
        return np.zeros_like(own)
    return (0.5 * own + passage) / (1.5 * mass)


def align_in_order(scores: np.ndarray, back_penalty: float | None = None) -> list[int]:
    """One anchor segment per row of ``scores`` (notes × segments), mostly moving forward.

    Maximises the sum of the chosen scores, where a row whose anchor lies before the previous
    row's pays ``back_penalty``. Runs in O(notes × segments) using running maxima.
    """
    n_notes, n_segs = scores.shape
    return _align_rows(lambda j: scores[j], n_notes, n_segs, back_penalty)


CHECKPOINT_ROWS = 256  # rows between the running totals kept for the way back


def _align_rows(
    row: Callable[[int], np.ndarray],
    n_notes: int,
    n_segs: int,
    back_penalty: float | None = None,
    on_anchor: Callable[[int, int, np.ndarray], None] | None = None,
    on_progress: Callable[[float, float], None] | None = None,
) -> list[int]:
    """``align_in_order`` over rows made on demand by ``row(j)``, in memory that does not grow
    with the notes: the forward pass keeps the running total every CHECKPOINT_ROWS rows; the
    way back makes each stretch's choices again from its checkpoint (each row is made twice,
    and the result is the same, number for number). ``on_anchor(j, anchor, row)`` hears each
    row's anchor with the row, last rows first, so a caller needs no third copy of it.
    ``on_progress(done, total)`` counts rows made, twice each."""
    back_penalty = BACK_PENALTY if back_penalty is None else back_penalty
    checkpoints: dict[int, np.ndarray] = {}
    total = row(0).copy()
    for j in range(1, n_notes):
        if j % CHECKPOINT_ROWS == 0:
            checkpoints[j] = total
            if on_progress is not None:
                on_progress(j, 2 * n_notes)
        total, _ = _align_step(total, row(j), n_segs, back_penalty)
    anchors = [int(np.argmax(total))]
    last = n_notes - 1
    for start in range(last - last % CHECKPOINT_ROWS, -1, -CHECKPOINT_ROWS):
        first = max(start, 1)
        end = min(start + CHECKPOINT_ROWS, n_notes)
        if on_progress is not None:
            on_progress(2 * n_notes - start, 2 * n_notes)
        rows = {j: row(j) for j in range(start, end)}  # this stretch's rows, made again
        total = checkpoints[start] if start else rows[0].copy()
        came_from = {}
        for j in range(first, end):
            total, came_from[j] = _align_step(total, rows[j], n_segs, back_penalty)
        for j in range(end - 1, start - 1, -1):  # anchors[-1] is row j's anchor
            if on_anchor is not None:
                on_anchor(j, anchors[-1], rows[j])
            if j >= first:
                anchors.append(int(came_from[j][anchors[-1]]))  # row j - 1's
    return anchors[::-1]


def _align_step(
    total: np.ndarray, scores: np.ndarray, n_segs: int, back_penalty: float
) -> tuple[np.ndarray, np.ndarray]:
    """One row of the alignment: the new running total, and where each anchor came from."""
    fwd_val, fwd_arg = _running_max(total)  # best previous anchor at or before each i
    back_val, back_arg = _running_max(total[::-1])  # ... at or after each i
    back_val, back_arg = back_val[::-1], (n_segs - 1 - back_arg)[::-1]
    later = np.append(back_val[1:], -np.inf) - back_penalty
    later_arg = np.append(back_arg[1:], n_segs - 1)
    use_fwd = fwd_val >= later
    came_from = np.where(use_fwd, fwd_arg, later_arg)
    return scores + np.where(use_fwd, fwd_val, later), came_from


def _running_max(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values = np.maximum.accumulate(x)
    # Index of the running maximum: the last position where x reached it.
    is_new = x >= values
    args = np.maximum.accumulate(np.where(is_new, np.arange(len(x)), 0))
    return values, args


def _select(
    line: int,
    anchor: int,
    combined: np.ndarray,
    own: np.ndarray,
    query: dict[str, float],
    coverage: np.ndarray,
    holds_fact: np.ndarray | None = None,
) -> Grounding | None:
    """The segments to cite: the passage at the anchor and, when the note's words are found
    about as strongly elsewhere, that passage too (a phrase can be discussed twice)."""
    if combined[anchor] < MIN_SCORE:
        return None
    first = _passage(anchor, own, coverage, holds_fact)
    if not first:
        return None
    keep = list(first)
    elsewhere = int(np.argmax(combined))
    if (
        abs(elsewhere - anchor) > 2 * WINDOW
        and combined[elsewhere] >= SECOND_PASSAGE * combined[anchor]
    ):
        keep += _passage(elsewhere, own, coverage)[:1]
    best = max(first, key=lambda i: own[i])
    return Grounding(line, tuple(sorted(keep)), best, float(combined[anchor]), tuple(query))


def _passage(
    anchor: int, own: np.ndarray, coverage: np.ndarray, holds_fact: np.ndarray | None = None
) -> list[int]:
    """Segments near ``anchor`` that share words with the note, strongest first.

    Beside the best segment, one that is not next to it must share as many of the note's words
    as the best does: a single rare word (a name in a greeting) is not the same topic. When
    none of them holds the kind of fact the note asks for ("launch date", "decision: …"), the
    nearest segment that does, just after the best (where answers are) or just before, joins.
    """
    lo, hi = max(anchor - WINDOW, 0), min(anchor + WINDOW + 1, len(own))
    window = own[lo:hi]
    if window.max() <= 0:
        return []
    best = lo + int(np.argmax(window))
    keep = [
        i
        for i in range(lo, hi)
        if own[i] >= 0.5 * own[best]
        and own[i] > 0
        and (abs(i - best) <= 2 or coverage[i] >= min(coverage[best], 2))
    ]
    ranked = sorted(keep, key=lambda i: (-own[i], abs(i - best)))[:MAX_CITED]
    if holds_fact is not None and not any(holds_fact[i] for i in ranked):
        reach = range(max(best - FACT_BEFORE, 0), min(best + FACT_AFTER + 1, len(own)))
        near = [i for i in reach if holds_fact[i]]
        if near:
            ranked.append(min(near, key=lambda i: abs(i - best) + (0.5 if i < best else 0)))
    return ranked
