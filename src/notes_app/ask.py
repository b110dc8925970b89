"""Answer questions about meetings from what was said and written, citing the moments.

Retrieval finds passages (a matched transcript segment with its neighbours for context); then
either an LLM answers from those passages only, citing them, or — offline — the best passages
are the answer, labelled as extractive. The pure functions here (``retrieve_passages``,
``extractive_answer``, ``llm_answer``) work on plain lists, so the share server can answer over a
snapshot without the desktop database; ``retrieve_from_store`` searches every stored meeting.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from notes_app.domain import Block, Segment
from notes_app.enhance.text import sentences
from notes_app.render import clock
from notes_app.retrieval import (
    DEFAULT,
    Question,
    RetrievalSettings,
    TranscriptIndex,
    by_speaker,
    fuse,
    parse_question,
    passage_scores,
    pick,
    short_turns,
    terms,
    topic_words,
)
from notes_app.semantic import Embedder, affordable, query_text, reads_sentences
from notes_app.store.search import Filters, SearchResult, search
from notes_app.textkit import speaker_label, speaker_names, stem

DONT_SAY = "The meetings don't say."

_WORD = re.compile(r"\w+", re.UNICODE)


def keywords(question: str) -> list[str]:
    """The question's topic words, in order, without stopwords, question framing or repeats."""
    return topic_words(question)


def _terms(text: str) -> list[str]:
    return terms(text)


# --- passages and answers ------------------------------------------------------------------


@dataclass(frozen=True)
class Passage:
    """A stretch of a meeting that may answer a question; what an answer cites.

    ``segment`` is the matched transcript segment (None for a hit in notes); ``text`` is that
    segment with its neighbours, one "speaker: words" line each, for context.
    """

    meeting_id: int | None
    segment: int | None
    start: float
    end: float
    text: str
    score: float
    kind: str = "transcript"  # "transcript", "notes" or "enhanced"
    title: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "meeting_id": self.meeting_id,
            "segment": self.segment,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "text": self.text,
        }


@dataclass(frozen=True)
class Answer:
    text: str
    mode: str  # "llm" or "offline" (extractive)
    citations: tuple[Passage, ...] = ()
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.text,
            "mode": self.mode,
            "citations": [c.to_dict() for c in self.citations],
        }


# --- in-memory retrieval over one meeting ---------------------------------------------------


def retrieve_passages(
    question: str,
    segments: Sequence[Segment],
    blocks: Sequence[Block] = (),
    *,
    k: int = 5,
    meeting_id: int | None = None,
    title: str = "",
    context: int = 1,
    index: TranscriptIndex | None = None,
    settings: RetrievalSettings = DEFAULT,
    attendees: Sequence[str] = (),
) -> list[Passage]:
    """The ``k`` passages of one meeting that best match ``question``.

    Each turn is scored by BM25 blended with its neighbours' scores (one turn of talk is often
    too short to hold the words of the question), a speaker the question names weighs more,
    and with an embedder the similarity of meaning is fused in (``notes_app.retrieval``).
    Notes blocks compete as passages of their own. Pass an ``index`` built once for these
    segments and blocks (``TranscriptIndex``) to ask many questions without tokenising the
    transcript again each time; ``segments`` and ``blocks`` are then not read. With the
    meeting's ``attendees``, a question naming its one attendee names the other side ("them"),
    and the passages call that side by her name ("Sarah: …").
    """
    if index is None:
        index = TranscriptIndex(segments, blocks)
    ordered = index.segments
    picked: list[Passage] = []
    names = speaker_names(attendees)
    for i, score in index.rank(question, k, context, settings, names):
        if i < len(ordered):
            lo, hi = max(0, i - context), min(len(ordered), i + context + 1)
            window = _window_passage(ordered, i, lo, hi, score, meeting_id, title, names)
            picked.append(window)
        else:
            block = index.blocks[i - len(ordered)]
            picked.append(_block_passage(block, score, meeting_id, title))
    return picked


def _window_passage(
    ordered: Sequence[Segment],
    i: int,
    lo: int,
    hi: int,
    score: float,
    mid: int | None,
    title: str,
    names: Mapping[str, str] | None = None,
) -> Passage:
    window = ordered[lo:hi]
    return Passage(
        meeting_id=mid,
        segment=ordered[i].index,
        start=window[0].start,
        end=window[-1].end,
        text="\n".join(_line(s, names) for s in window),
        score=round(score, 4),
        title=title,
    )


def _block_passage(block: Block, score: float, mid: int | None, title: str) -> Passage:
    cite = block.citations[0] if block.citations else None
    return Passage(
        meeting_id=mid,
        segment=cite.segment if cite else None,
        start=cite.start if cite else 0.0,
        end=cite.end if cite else 0.0,
        text=block.text,
        score=round(score, 4),
        kind="notes" if block.source == "user" else "enhanced",
        title=title,
    )


def _line(s: Segment, names: Mapping[str, str] | None = None) -> str:
    """A transcript line as passages show it: "You: …", "Them: …", "Anna: …" (the words the
    notes and the window use); "Sarah: …" for "them" where ``names`` says who that side is.
    Only the label shown changes: the segment keeps its speaker."""
    who = speaker_label(s.speaker, names)
    return f"{who}: {s.text}" if who else s.text


# --- retrieval over the whole store ---------------------------------------------------------


class TranscriptSource(Protocol):
    """What store retrieval needs from the repository (``Repo`` provides it)."""

    db: Any
    vectors: Any  # a VectorStore on the same database

    def get_transcript(self, meeting_id: int) -> Any: ...

    def get_meeting(self, meeting_id: int) -> Any: ...

    def attendees_of(self, meeting_ids: Sequence[int]) -> dict[int, tuple[str, ...]]: ...

    def speakers_in(self, meeting_ids: Sequence[int]) -> set[str]: ...

    def turns_of(
        self, meeting_ids: Sequence[int], speakers: Iterable[str]
    ) -> dict[int, set[int]]: ...

    def segment_texts(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], str]: ...


# How many FTS hits feed the turn scores (deep enough that a turn's neighbours are among them),
# and across how many of the meetings the FTS hits point at the semantic stage looks (when the
# question is not about one meeting).
_FUSE_DEPTH = 200
_SEMANTIC_MEETINGS = 5

_Key = tuple[str, int, "int | None"]  # (kind, meeting id, segment index for transcript hits)


def retrieve_from_store(
    repo: TranscriptSource,
    question: str,
    filters: Filters | None = None,
    *,
    k: int = 5,
    context: int = 1,
    embedder: Embedder | None = None,
    settings: RetrievalSettings = DEFAULT,
) -> list[Passage]:
    """The best passages across stored meetings: FTS5 with any-word matching, then context.

    FTS5's score of each transcript hit goes through the same steps as in memory (a named
    speaker's turns weigh more, each turn is blended with its neighbours); with an
    ``embedder``, the segments of the meeting asked about (or of the meetings the FTS hits
    come from) are also ranked by similarity to the question and the two are fused
    (``notes_app.retrieval.fuse``). Notes hits compete by their FTS5 score. In a meeting with
    one attendee, a question naming that attendee names the other side ("them") and its
    passages call that side by her name; across meetings, each meeting's own attendee counts
    (Sarah is "them" in the calls with her alone, and nobody's "them" elsewhere).
    """
    words = keywords(question)
    if not words:
        return []
    filters = filters or Filters()
    filters = replace(filters, kinds=("notes", "enhanced", "transcript"))
    transcripts: dict[int, list[Segment]] = {}

    def segments_of(meeting_id: int) -> list[Segment]:
        if meeting_id not in transcripts:
            transcripts[meeting_id] = list(repo.get_transcript(meeting_id).segments)
        return transcripts[meeting_id]

    one = filters.meeting_id
    others = replace(filters, meeting_id=None, speaker=None) != Filters(kinds=filters.kinds)
    # Per meeting, who a side of the call is (textkit.speaker_names): read for the meetings
    # searched, and for any other a passage comes from.
    sides: dict[int, dict[str, str]] = {}
    titles: dict[int, str] = {}
    if one is not None:  # read once: its title and its sides
        asked = repo.get_meeting(one)
        sides[one], titles[one] = speaker_names(asked.attendees), asked.title
    if one is not None and not others:
        # One meeting, no other filter: its words are scored in memory over an index kept
        # between questions, exactly as in memory; FTS5 finds the notes.
        index = _meeting_index(one, segments_of(one))
        q = index.question(question, settings, sides[one])
        notes = replace(filters, kinds=("notes", "enhanced"))
        hits = search(repo.db, " ".join(q.words) + " ", notes, limit=_FUSE_DEPTH, any_term=True)
        lexical, spoke = _index_scores(index, one, q, filters.speaker, settings)
    else:
        hits = search(repo.db, " ".join(words) + " ", filters, limit=_FUSE_DEPTH, any_term=True)
        # Anyone who spoke in the meetings found can be named, not only who said the words,
        # and so can a meeting's one attendee, the other side of her call.
        meetings = list(dict.fromkeys(h.meeting_id for h in hits))
        sides.update(_sides_of(repo, [m for m in meetings if m not in sides]))
        called = {name for names in sides.values() for name in names.values()}
        q = parse_question(question, repo.speakers_in(meetings) | called, settings)
        if list(q.words) != words:  # a named speaker's words are who, not what
            hits = search(
                repo.db, " ".join(q.words) + " ", filters, limit=_FUSE_DEPTH, any_term=True
            )
            meetings = list(dict.fromkeys(h.meeting_id for h in hits))
            sides.update(_sides_of(repo, [m for m in meetings if m not in sides]))
        lexical, spoke = _hit_scores(hits, q)
        if q.speakers:  # all of a named speaker's turns, not just those FTS5 found
            spoke = _turns_named(repo, meetings, q.speakers, sides)

    keys, scores = _store_scores(
        repo, q, hits, lexical, spoke, filters, embedder, segments_of, settings
    )
    turns = sum(1 for key in keys if key[0] == "transcript")
    if one is not None and not others:
        known = {one: index.word_counts}
        scores = _short_turns(repo, keys, scores, turns, turns, known, lexical, settings)
    else:  # the turns that could make the first passages: their texts are read for this
        depth = max(4 * k, 20)
        scores = _short_turns(repo, keys, scores, turns, depth, {}, lexical, settings)
    groups = np.array([key[1] for key in keys[:turns]] + [0] * (len(keys) - turns))
    positions = np.array([key[2] for key in keys[:turns]] + [0] * (len(keys) - turns))
    titles.update((h.meeting_id, h.title) for h in hits)
    by_key = {_hit_key(h): h for h in hits}
    picked: list[Passage] = []
    for i in pick(scores, k, context, turns=turns, groups=groups, positions=positions,
                  settings=settings):  # fmt: skip
        kind, meeting_id, where = keys[i]
        score = round(float(scores[i]), 6)
        if kind != "transcript":
            h = by_key[keys[i]]
            text = h.marked("", "")
            picked.append(Passage(meeting_id, None, 0.0, 0.0, text, score, kind, h.title))
            continue
        ordered = segments_of(meeting_id)
        pos = next((n for n, s in enumerate(ordered) if s.index == where), None)
        if pos is None:
            continue
        if meeting_id not in titles or meeting_id not in sides:
            meeting = repo.get_meeting(meeting_id)
            titles.setdefault(meeting_id, meeting.title)
            sides.setdefault(meeting_id, speaker_names(meeting.attendees))
        lo, hi = max(0, pos - context), min(len(ordered), pos + context + 1)
        title, names = titles[meeting_id], sides[meeting_id]
        picked.append(_window_passage(ordered, pos, lo, hi, score, meeting_id, title, names))
    return picked


def _sides_of(repo: TranscriptSource, meeting_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """Who a side of each meeting's call is (``textkit.speaker_names``), read in one query."""
    found = repo.attendees_of(meeting_ids) if meeting_ids else {}
    return {m: speaker_names(found.get(m, ())) for m in meeting_ids}


def _turns_named(
    repo: TranscriptSource,
    meetings: Sequence[int],
    speakers: AbstractSet[str],
    sides: Mapping[int, Mapping[str, str]],
) -> dict[int, set[int]]:
    """Per meeting, the turns of the speakers the question names: by their label, and the
    turns of a side whose name it is in that meeting ("them" where Sarah was alone)."""
    spoke = repo.turns_of(meetings, speakers)
    by_side: dict[frozenset[str], list[int]] = {}  # one query per set of sides, not per meeting
    for m in meetings:
        side = frozenset(label for label, name in sides.get(m, {}).items() if name in speakers)
        if side:
            by_side.setdefault(side, []).append(m)
    for side, ids in by_side.items():
        for m, turns in repo.turns_of(ids, side).items():
            spoke.setdefault(m, set()).update(turns)
    return spoke


def _short_turns(
    repo: TranscriptSource,
    keys: Sequence[_Key],
    scores: np.ndarray,
    turns: int,
    depth: int,
    known: dict[int, dict[int, int]],
    lexical: _Scores,
    settings: RetrievalSettings,
) -> np.ndarray:
    """``retrieval.short_turns`` for the ``depth`` best-scoring turns (of the ``turns`` first
    candidates) that hold none of the question's words: ``known`` holds each meeting's word
    counts where an index has them, the texts of the others are read."""
    if settings.short_weight == 1.0 or not turns:
        return scores
    best = []
    for i in np.argsort(-scores[:turns], kind="stable")[:depth].tolist():
        _, meeting_id, at = keys[i]
        if lexical.get(meeting_id, {}).get(at or 0, 0.0) <= 0:
            best.append((i, meeting_id, at or 0))
    unknown = [(m, at) for _, m, at in best if m not in known]
    read = {key: len(terms(text)) for key, text in repo.segment_texts(unknown).items()}
    lengths = np.array(
        [known[m].get(at) if m in known else read.get((m, at)) for _, m, at in best], dtype=float
    )
    lengths[np.isnan(lengths)] = settings.short_terms  # a turn not found is not judged short
    picked = [i for i, _, _ in best]
    out = scores.copy()
    out[picked] = short_turns(scores[picked], lengths, np.zeros(len(picked)), settings)
    return out


def _hit_key(h: SearchResult) -> _Key:
    return (h.kind, h.meeting_id, h.segment if h.kind == "transcript" else None)


# Indexes of meetings asked about lately, kept while their transcript stays the same.
_INDEXES: OrderedDict[tuple[int, int], TranscriptIndex] = OrderedDict()
_INDEXES_KEPT = 8
_INDEXES_LOCK = threading.Lock()


def _meeting_index(meeting_id: int, segments: Sequence[Segment]) -> TranscriptIndex:
    """The meeting's transcript index, from the last few built: keyed by what the transcript
    says, so a corrected transcript gets a new one."""
    key = (meeting_id, hash(tuple((s.index, s.text, s.speaker) for s in segments)))
    with _INDEXES_LOCK:
        index = _INDEXES.get(key)
        if index is not None:
            _INDEXES.move_to_end(key)
            return index
    index = TranscriptIndex(segments)
    with _INDEXES_LOCK:
        _INDEXES[key] = index
        while len(_INDEXES) > _INDEXES_KEPT:
            _INDEXES.popitem(last=False)
    return index


_Scores = dict[int, dict[int, float]]  # meeting -> segment index -> word score


def _index_scores(
    index: TranscriptIndex,
    meeting_id: int,
    q: Question,
    speaker: str | None,
    settings: RetrievalSettings,
) -> tuple[_Scores, dict[int, set[int]]]:
    """Word scores of one meeting's turns from its index (only the filtered speaker's turns)."""
    values = index.bm25(q.terms, settings)
    found = {}
    for s, value in zip(index.segments, values.tolist(), strict=False):
        if value > 0 and (not speaker or (s.speaker or "").casefold() == speaker.casefold()):
            found[s.index] = value
    spoke = {s.index for s in index.segments if s.speaker in q.speakers}
    return {meeting_id: found}, {meeting_id: spoke}


def _hit_scores(hits: Sequence[SearchResult], q: Question) -> tuple[_Scores, dict[int, set[int]]]:
    """Word scores of the turns FTS5 found, and which of them a named speaker said."""
    lexical: _Scores = {}
    spoke: dict[int, set[int]] = {}
    for h in hits:
        if h.kind == "transcript" and h.segment is not None:
            lexical.setdefault(h.meeting_id, {})[h.segment] = max(h.score, 0.0)
            if h.speaker in q.speakers:
                spoke.setdefault(h.meeting_id, set()).add(h.segment)
    return lexical, spoke


def _store_scores(
    repo: TranscriptSource,
    q: Question,
    hits: Sequence[SearchResult],
    lexical: _Scores,
    spoke: dict[int, set[int]],
    filters: Filters,
    embedder: Embedder | None,
    segments_of: Any,
    settings: RetrievalSettings,
) -> tuple[list[_Key], np.ndarray]:
    """Every candidate (transcript turns first, then notes hits) and its fused score."""
    similar, embedder = _similarities(repo, q, hits, filters, embedder, segments_of)
    keys: list[_Key] = []
    passage: list[np.ndarray] = []
    near: list[np.ndarray] = []
    named: list[np.ndarray] = [np.zeros(0)]  # 1 for a turn of a speaker the question names
    for meeting_id in dict.fromkeys([*lexical, *similar]):
        found = lexical.get(meeting_id, {})
        sims = similar.get(meeting_id, {})
        said = spoke.get(meeting_id, set())
        size = max([*found, *sims, *said, 0]) + 2
        lex = np.zeros(size)
        lex[list(found)] = list(found.values())
        mask = np.zeros(size)
        mask[list(said)] = 1.0
        scored = passage_scores(lex, mask, settings)
        where = sorted(set(np.flatnonzero(scored > 0).tolist()) | set(sims))
        if filters.speaker:  # a neighbour lends its score, not its speaker
            where = [i for i in where if i in found or i in sims]
        keys.extend(("transcript", meeting_id, i) for i in where)
        passage.append(scored[where])
        near.append(np.array([sims.get(i, np.nan) for i in where]))
        named.append(mask[where])
    notes = [h for h in hits if h.kind != "transcript"]
    keys.extend(_hit_key(h) for h in notes)
    passage.append(np.array([max(h.score, 0.0) for h in notes]))
    near.append(np.full(len(notes), np.nan))
    words = np.concatenate(passage) if passage else np.zeros(0)
    similarity = np.concatenate(near) if near else np.zeros(0)
    known = np.isfinite(similarity)
    if embedder is None or not known.any():
        fused = fuse(words, None, settings)
    else:
        # A candidate outside the meetings compared by meaning counts as the least similar.
        similarity[~known] = similarity[known].min()
        fused = fuse(words, similarity, settings, sentences=reads_sentences(embedder))
    if q.speakers:
        turns = len(fused) - len(notes)
        fused[:turns] = by_speaker(fused[:turns], np.concatenate(named), settings)
    return keys, fused


def _similarities(
    repo: TranscriptSource,
    q: Question,
    hits: Sequence[SearchResult],
    filters: Filters,
    embedder: Embedder | None,
    segments_of: Any,
) -> tuple[dict[int, dict[int, float]], Embedder | None]:
    """Each segment's similarity to the question, per meeting (the meeting asked about, or the
    first few the FTS hits come from), and the embedder that gave it; a segment the speaker
    filter leaves out is not there. Vectors are computed the first time a meeting is searched
    this way, then kept in the store. Across meetings, when more segments than a sentence model
    embeds at once have no vectors yet, the instant word vectors answer this question instead
    (``semantic.affordable``): a first question over a whole library should not wait a minute."""
    if embedder is None or not q.words:
        return {}, embedder
    if filters.meeting_id is not None:
        meetings = [filters.meeting_id]
    else:
        meetings = list(dict.fromkeys(h.meeting_id for h in hits))[:_SEMANTIC_MEETINGS]
    if not meetings:
        return {}, embedder
    store = repo.vectors
    missing = store.missing(embedder.name, meetings)
    if len(meetings) > 1 and (quick := affordable(embedder, len(missing))) is not embedder:
        embedder = quick
        missing = store.missing(embedder.name, meetings)
    if missing:
        vectors = embedder.embed([text for _, _, text in missing])
        store.save(embedder.name, [(m, i) for m, i, _ in missing], vectors)
    keys, matrix = store.load(embedder.name, meetings)
    if not keys:
        return {}, embedder
    similarity = matrix @ embedder.embed([query_text(embedder, q.text, q.words)])[0]
    allowed = None
    if filters.speaker:
        allowed = {
            (m, s.index)
            for m in meetings
            for s in segments_of(m)
            if (s.speaker or "").casefold() == filters.speaker.casefold()
        }
    out: dict[int, dict[int, float]] = {}
    for (m, i), value in zip(keys, similarity.tolist(), strict=True):
        if allowed is None or (m, i) in allowed:
            out.setdefault(m, {})[i] = value
    return out, embedder


# --- answers -------------------------------------------------------------------------------


def extractive_answer(question: str, passages: Sequence[Passage]) -> Answer:
    """Offline: the best passages are the answer, and the text says that is what they are."""
    if not passages:
        return Answer(DONT_SAY, "offline")
    lines = ["Extractive answer (no LLM): the passages that best match the question."]
    for n, p in enumerate(passages, 1):
        lines.append(f"[{n}] {_where(p)}")
        lines.extend("    " + line for line in p.text.splitlines())
    return Answer("\n".join(lines), "offline", tuple(passages))


def _where(p: Passage) -> str:
    place = f"{p.title or 'meeting'} (#{p.meeting_id})" if p.meeting_id is not None else p.title
    if p.kind == "transcript":
        return f"{place} at {clock(p.start)}".strip()
    return f"{place}, {p.kind}".strip()


class ChatClient(Protocol):
    """An LLM chat client (``notes_app.enhance.llm.LLMClient`` is one)."""

    model: str

    def chat(
        self, messages: list[dict[str, str]], *, max_tokens: int | None, temperature: float
    ) -> Any: ...


SYSTEM_PROMPT = (
    "You answer questions about the user's meetings using ONLY the numbered passages given. "
    "Answer in one or two short sentences. After every claim put the number of the passage that "
    "supports it in square brackets, like [2]. Never use outside knowledge. If the passages do "
    f"not answer the question, reply exactly: {DONT_SAY}"
)
EXTRACTIVE_LABEL = "Extractive answer (the model found none, but this passage matches):"
# The share of the question's topic words a passage must hold for its own words to stand in
# for a model that said the meetings don't say.
EXTRACTIVE_COVERAGE = 0.6
# A passage shown to the model is cut to the sentences that answer, at most this many words.
PASSAGE_WORDS = 80
# An uncited reply is attributed to a passage it shares this many topic words with.
_ATTRIBUTE_TERMS = 3


def llm_answer(question: str, passages: Sequence[Passage], client: ChatClient) -> Answer:
    """Ask the model to answer from the passages; keep only citations that point at them.

    The model sees each passage trimmed to the sentences that answer (a small model loses the
    answer in a long passage). When it says the meetings don't say, but a passage holds most
    of the question's words, that passage's answering sentences are the answer, labelled as
    extractive.
    """
    model = getattr(client, "model", None)
    if not passages:
        return Answer(DONT_SAY, "llm", model=model)
    shown = [trim_passage(question, p) for p in passages]
    numbered = "\n\n".join(
        f"[{n}] {_where(p)}\n{text}"
        for n, (p, text) in enumerate(zip(passages, shown, strict=True), 1)
    )
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": f"Passages:\n\n{numbered}\n\nQuestion: {question}"},
    ]
    reply = client.chat(messages, temperature=0.1, max_tokens=200)
    answer = _cited_answer(reply.text, passages, model, shown)
    if answer.text == DONT_SAY:
        return _extractive_instead(question, passages, shown, model) or answer
    return answer


def trim_passage(question: str, passage: Passage, max_words: int = PASSAGE_WORDS) -> str:
    """The passage's sentences that answer: those holding the question's topic words and the
    one after each (an answer follows its question), each line keeping its speaker."""
    query = {stem(w) for w in keywords(question)}
    units: list[tuple[int, str, str]] = []  # (line, speaker prefix, sentence)
    for number, line in enumerate(passage.text.splitlines()):
        who, said = _split_speaker(line)
        units.extend((number, who, sent) for sent in sentences(said))
    hits = [i for i, (_, _, sent) in enumerate(units) if query & set(_terms(sent))]
    if not hits:
        return _cut_words(passage.text, max_words)
    keep = {k for i in hits for k in (i, i + 1) if k < len(units)}
    for i in hits:
        if units[i][2].endswith("?"):  # a question: the next line's first sentence answers it
            later = (k for k in range(i + 1, len(units)) if units[k][0] > units[i][0])
            keep.update(k for k in [next(later, None)] if k is not None)
    out: list[str] = []
    last_line = None
    for i in sorted(keep):
        number, who, sent = units[i]
        if number == last_line and out:
            out[-1] += " " + sent
        else:
            out.append(f"{who}{sent}")
        last_line = number
    return _cut_words("\n".join(out), max_words)


def _split_speaker(line: str) -> tuple[str, str]:
    """ "Sarah: we agreed" -> ("Sarah: ", "we agreed"); a line without a short speaker as is."""
    who, sep, said = line.partition(": ")
    if sep and 0 < len(who.split()) <= 3 and not who.endswith("."):
        return who + sep, said
    return "", line


def _cut_words(text: str, max_words: int) -> str:
    words = text.split(" ")
    return text if len(words) <= max_words else " ".join(words[:max_words]) + " …"


def extractive_coverage(question: str, text: str) -> float:
    """The share of the question's topic words (stemmed) that ``text`` holds."""
    query = {stem(w) for w in keywords(question)}
    return len(query & set(_terms(text))) / len(query) if query else 0.0


def _extractive_instead(
    question: str, passages: Sequence[Passage], shown: Sequence[str], model: str | None
) -> Answer | None:
    best = max(range(len(passages)), key=lambda i: extractive_coverage(question, shown[i]))
    if extractive_coverage(question, shown[best]) < EXTRACTIVE_COVERAGE:
        return None
    text = f"{EXTRACTIVE_LABEL}\n{shown[best]} [1]"
    return Answer(text, "offline", (passages[best],), model)


_MARK = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


def _cited_answer(
    text: str, passages: Sequence[Passage], model: str | None, shown: Sequence[str] = ()
) -> Answer:
    """Renumber the reply's [n] marks to the citations actually used, in order of use.

    A reply with no marks is attributed to the passage whose words it repeats, if one clearly
    is its source; a reply citing nothing it was given is not grounded, so it becomes DONT_SAY.
    """
    order: list[int] = []

    def renumber(m: re.Match[str]) -> str:
        kept = []
        for raw in m.group(1).split(","):
            n = int(raw)
            if 1 <= n <= len(passages):
                if n not in order:
                    order.append(n)
                kept.append(str(order.index(n) + 1))
        return f"[{', '.join(kept)}]" if kept else ""

    marked = bool(_MARK.search(text))
    body = _MARK.sub(renumber, text.strip()).strip()
    if _says_nothing(body):
        return Answer(DONT_SAY, "llm", model=model)
    if not order and not marked:
        source = _source_of(body, shown or [p.text for p in passages])
        if source is not None:
            order.append(source)
            body = body.rstrip() + " [1]"
    if not order:
        return Answer(DONT_SAY, "llm", model=model)
    return Answer(body, "llm", tuple(passages[n - 1] for n in order), model)


def _source_of(answer: str, texts: Sequence[str]) -> int | None:
    """The 1-based passage an uncited answer repeats the most topic words of, if enough."""
    said = set(_terms(answer))
    shared = [len(said & set(_terms(t))) for t in texts]
    if not shared or max(shared) < _ATTRIBUTE_TERMS:
        return None
    return shared.index(max(shared)) + 1


def _says_nothing(text: str) -> bool:
    low = text.lower().replace("’", "'")
    return low.startswith(("the meetings don't say", "the meetings do not say"))


def answer_question(
    repo: Any,
    question: str,
    filters: Filters,
    *,
    llm_settings: Any,
    use_llm: bool | None = None,
    embedder: Embedder | None = None,
    k: int = 5,
) -> Answer:
    """Retrieve passages and answer: the LLM when one is configured (or ``use_llm``), else the
    extractive answer. What both `notes-app ask` and the window's Ask panel call."""
    passages = retrieve_from_store(repo, question, filters, k=k, embedder=embedder)
    if use_llm if use_llm is not None else bool(llm_settings.base_url):
        from notes_app.enhance.llm import LLMClient

        return llm_answer(question, passages, LLMClient.from_settings(llm_settings))
    return extractive_answer(question, passages)
