"""Answer questions about meetings from what was said and written, citing the moments.

Retrieval finds passages (a matched transcript segment with its neighbours for context); then
either an LLM answers from those passages only, citing them, or — offline — the best passages
are the answer, labelled as extractive. The pure functions here (``retrieve_passages``,
``extractive_answer``, ``llm_answer``) work on plain lists, so the share server can answer over a
snapshot without the desktop database; ``retrieve_from_store`` searches every stored meeting.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np

from notes_app.domain import Block, Segment
from notes_app.enhance.text import sentences
from notes_app.render import clock
from notes_app.semantic import Embedder, reciprocal_rank_fusion
from notes_app.store.search import Filters, SearchResult, search
from notes_app.textkit import QUERY_STOPWORDS, bm25, speaker_label, stem

DONT_SAY = "The meetings don't say."

# Words that carry no topic in a question: function words plus question boilerplate.
STOPWORDS = QUERY_STOPWORDS

_WORD = re.compile(r"\w+", re.UNICODE)


def keywords(question: str) -> list[str]:
    """The question's topic words, in order, without stopwords or repeats."""
    seen: dict[str, None] = {}
    for w in _WORD.findall(question.lower()):
        if len(w) > 1 and w not in STOPWORDS:
            seen.setdefault(w, None)
    return list(seen)


def _terms(text: str) -> list[str]:
    return [stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


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
) -> list[Passage]:
    """The ``k`` passages of one meeting that best match ``question`` (BM25, any word counts).

    Each segment is scored together with its neighbours, because one turn of talk is often
    too short to hold the words of the question. Notes blocks compete as passages of their own.
    """
    query = [stem(w) for w in keywords(question)]
    if not query:
        return []
    ordered = sorted(segments, key=lambda s: s.index)
    seg_terms = [_terms(s.text) for s in ordered]
    windows = [
        [
            t
            for j in range(max(0, i - context), min(len(ordered), i + context + 1))
            for t in seg_terms[j]
        ]
        for i in range(len(ordered))
    ]
    block_terms = [_terms(b.text) for b in blocks]
    scores = bm25(query, windows + block_terms)
    ranked = sorted(range(len(scores)), key=lambda i: -scores[i])
    picked: list[Passage] = []
    used: set[int] = set()
    for i in ranked:
        if scores[i] <= 0 or len(picked) >= k:
            break
        if i < len(ordered):
            if i in used:
                continue  # a neighbour of a passage already taken says the same thing
            lo, hi = max(0, i - context), min(len(ordered), i + context + 1)
            used.update(range(lo, hi))
            picked.append(_window_passage(ordered, i, lo, hi, scores[i], meeting_id, title))
        else:
            picked.append(_block_passage(blocks[i - len(ordered)], scores[i], meeting_id, title))
    return picked


def _window_passage(
    ordered: Sequence[Segment], i: int, lo: int, hi: int, score: float, mid: int | None, title: str
) -> Passage:
    window = ordered[lo:hi]
    return Passage(
        meeting_id=mid,
        segment=ordered[i].index,
        start=window[0].start,
        end=window[-1].end,
        text="\n".join(_line(s) for s in window),
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


def _line(s: Segment) -> str:
    """A transcript line as passages show it: "You: …", "Them: …", "Anna: …" (the words the
    notes and the window use)."""
    who = speaker_label(s.speaker)
    return f"{who}: {s.text}" if who else s.text


# --- retrieval over the whole store ---------------------------------------------------------


class TranscriptSource(Protocol):
    """What store retrieval needs from the repository (``Repo`` provides it)."""

    db: Any
    vectors: Any  # a VectorStore on the same database

    def get_transcript(self, meeting_id: int) -> Any: ...

    def get_meeting(self, meeting_id: int) -> Any: ...


# How many FTS hits and nearest segments the semantic stage fuses, and across how many of the
# meetings the FTS hits point at (when the question is not about one meeting).
_FUSE_DEPTH = 100
_SEMANTIC_MEETINGS = 5


def retrieve_from_store(
    repo: TranscriptSource,
    question: str,
    filters: Filters | None = None,
    *,
    k: int = 5,
    context: int = 1,
    embedder: Embedder | None = None,
) -> list[Passage]:
    """The best passages across stored meetings: FTS5 with any-word matching, then context.

    With an ``embedder``, a semantic stage ranks the segments of the meeting asked about (or
    of the meetings the FTS hits come from) by similarity to the question, and the two rankings
    are fused (reciprocal rank fusion). On QMSum this lifts recall@5 from 0.66 to 0.70
    (benchmarks/retrieval_eval.py).
    """
    words = keywords(question)
    if not words:
        return []
    filters = filters or Filters()
    filters = replace(filters, kinds=("notes", "enhanced", "transcript"))
    depth = k * 4 if embedder is None else max(k * 4, _FUSE_DEPTH)
    hits = search(repo.db, " ".join(words) + " ", filters, limit=depth, any_term=True)
    transcripts: dict[int, list[Segment]] = {}

    def segments_of(meeting_id: int) -> list[Segment]:
        if meeting_id not in transcripts:
            transcripts[meeting_id] = list(repo.get_transcript(meeting_id).segments)
        return transcripts[meeting_id]

    ranked = [(_hit_key(h), h.score) for h in hits]
    if embedder is not None:
        nearest = _nearest_segments(repo, words, hits, filters, embedder, segments_of)
        fused = reciprocal_rank_fusion([[key for key, _ in ranked], nearest])
        ranked = [(key, round(score, 6)) for key, score in fused]
    by_key = {_hit_key(h): h for h in hits}
    titles = {h.meeting_id: h.title for h in hits}
    picked: list[Passage] = []
    covered: set[tuple[int, int]] = set()
    for key, score in ranked:
        if len(picked) >= k:
            break
        kind, meeting_id, where = key
        if kind != "transcript":
            h = by_key[key]
            text = h.marked("", "")
            picked.append(Passage(meeting_id, None, 0.0, 0.0, text, score, kind, h.title))
            continue
        if (meeting_id, where) in covered:
            continue
        ordered = segments_of(meeting_id)
        pos = next((i for i, s in enumerate(ordered) if s.index == where), None)
        if pos is None:
            continue
        if meeting_id not in titles:
            titles[meeting_id] = repo.get_meeting(meeting_id).title
        lo, hi = max(0, pos - context), min(len(ordered), pos + context + 1)
        covered.update((meeting_id, s.index) for s in ordered[lo:hi])
        picked.append(_window_passage(ordered, pos, lo, hi, score, meeting_id, titles[meeting_id]))
    return picked


def _hit_key(h: SearchResult) -> tuple[str, int, int | None]:
    return (h.kind, h.meeting_id, h.segment if h.kind == "transcript" else None)


def _nearest_segments(
    repo: TranscriptSource,
    words: list[str],
    hits: Sequence[SearchResult],
    filters: Filters,
    embedder: Embedder,
    segments_of: Any,
) -> list[tuple[str, int, int | None]]:
    """Segments most similar to the question's topic words, best first, as hit keys.

    Vectors are computed the first time a meeting is searched this way, then kept in the store.
    """
    if filters.meeting_id is not None:
        meetings = [filters.meeting_id]
    else:
        meetings = list(dict.fromkeys(h.meeting_id for h in hits))[:_SEMANTIC_MEETINGS]
    if not meetings:
        return []
    store = repo.vectors
    missing = store.missing(embedder.name, meetings)
    if missing:
        vectors = embedder.embed([text for _, _, text in missing])
        store.save(embedder.name, [(m, i) for m, i, _ in missing], vectors)
    keys, matrix = store.load(embedder.name, meetings)
    if not keys:
        return []
    similarity = matrix @ embedder.embed([" ".join(words)])[0]
    if filters.speaker:
        allowed = {
            (m, s.index)
            for m in meetings
            for s in segments_of(m)
            if (s.speaker or "").casefold() == filters.speaker.casefold()
        }
        similarity[[key not in allowed for key in keys]] = -np.inf
    best = np.argsort(-similarity, kind="stable")[:_FUSE_DEPTH]
    return [("transcript", *keys[i]) for i in best if np.isfinite(similarity[i])]


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
