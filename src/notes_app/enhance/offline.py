"""The offline enhancer: the user's notes plus the transcript, no language model.

Every line the user typed stays, verbatim and in order. Under each line go short context lines
quoted (cleaned) from the segments that ground it, with who said them and citations. Then
"Action items" and "Decisions" found in the transcript. With no notes at all, a summary of the
meeting by topic. Nothing is written that cannot be cited: an AI line without a segment to
point at is not emitted.

Entry point: ``enhance_offline(transcript, notes) -> EnhancedNotes``.
"""

from __future__ import annotations

from dataclasses import dataclass

from notes_app.domain import Block, Citation, EnhancedNotes, Segment, Transcript
from notes_app.enhance.actions import find_action_items, find_decisions, speaker_label
from notes_app.enhance.grounding import Grounding, SegmentIndex, ground, note_query
from notes_app.enhance.notes_parse import NoteLine, parse_notes, section_context
from notes_app.enhance.text import clauses, clean_speech, is_quantity, sentences, shorten, terms
from notes_app.enhance.topics import split_topics

MODE = "offline"
MAX_CONTEXT_LINES = 2
MAX_WORDS = 32
MAX_SECTION_ITEMS = 12


@dataclass(frozen=True)
class _Quote:
    text: str
    score: float
    segments: tuple[int, ...]
    speaker: str | None


def enhance_offline(
    transcript: Transcript, notes: str, *, meeting_id: int | None = None, title: str | None = None
) -> EnhancedNotes:
    """Enhanced notes for ``notes`` from ``transcript`` (mode "offline").

    ``title`` is accepted for symmetry with the LLM enhancer; the offline notes do not restate
    it. Raises nothing for empty input: no notes gives a topic summary, no transcript gives
    the user's lines alone.
    """
    del title
    by_pos = {i: seg for i, seg in enumerate(transcript.segments)}
    lines = parse_notes(notes)
    blocks: list[Block] = []
    if any(not ln.metadata and ln.text.strip() for ln in lines):
        index = SegmentIndex(transcript)
        sections = section_context(lines)
        groundings = {g.note_line: g for g in ground(transcript, lines, index)}
        for ln in lines:
            blocks.append(user_block(ln))
            query = note_query(ln.text, sections.get(ln.line, ""))
            blocks.extend(context_blocks(ln, groundings[ln.line], by_pos, query))
    else:
        blocks.extend(user_block(ln) for ln in lines)
        blocks.extend(topic_summary(transcript))
    blocks.extend(findings_section("Action items", find_action_items(transcript), by_pos))
    blocks.extend(findings_section("Decisions", find_decisions(transcript), by_pos))
    checked = tuple(_checked(b, by_pos) for b in blocks)
    return EnhancedNotes(meeting_id=meeting_id, mode=MODE, blocks=checked)


def user_block(ln: NoteLine) -> Block:
    return Block(
        type=ln.kind,
        text=ln.text,
        source="user",
        note_line=ln.line,
        level=ln.level,
        marker=ln.marker,
    )


def context_blocks(
    ln: NoteLine, grounding: Grounding, by_pos: dict[int, Segment], query: dict[str, float]
) -> list[Block]:
    """Up to two short quoted lines that say what the note line refers to."""
    if not grounding.segments:
        return []
    note_terms = set(terms(ln.text))
    quotes = [q for q in _quotes(grounding.segments, by_pos, query) if _adds(q, note_terms)]
    quotes = sorted(quotes, key=lambda q: -q.score)[:MAX_CONTEXT_LINES]
    quotes.sort(key=lambda q: q.segments[0])
    return [
        Block(
            type="bullet",
            text=_with_speaker(q.speaker, q.text),
            source="ai",
            note_line=ln.line,
            citations=tuple(Citation.of(by_pos[i]) for i in q.segments),
            level=ln.level + 1 if ln.kind == "bullet" else 1,
        )
        for q in quotes
    ]


def _quotes(
    positions: tuple[int, ...], by_pos: dict[int, Segment], query: dict[str, float]
) -> list[_Quote]:
    """The best quote from each run of consecutive segments by the same speaker."""
    runs: list[list[int]] = []
    for i in positions:
        if runs and runs[-1][-1] == i - 1 and by_pos[i].speaker == by_pos[i - 1].speaker:
            runs[-1].append(i)
        else:
            runs.append([i])
    out = []
    for run in runs:
        spoken = " ".join(by_pos[i].text for i in run)
        text, score = best_excerpt(clean_speech(spoken), query)
        if text:
            out.append(_Quote(text, score, tuple(run), by_pos[run[0]].speaker))
    return out


def best_excerpt(
    text: str, query: dict[str, float], max_words: int = MAX_WORDS
) -> tuple[str, float]:
    """The sentence of ``text`` that best matches ``query``, trimmed to its relevant clauses."""
    best, best_score = "", -1.0
    for sentence in sentences(text):
        score = _match(sentence, query)
        if score > best_score:
            best, best_score = sentence, score
    if len(best.split()) > max_words:
        best = _trim_to_clauses(best, query, max_words)
    return best, max(best_score, 0.0)


def _match(text: str, query: dict[str, float]) -> float:
    found = set(terms(text))
    return sum(w * (2 if is_quantity(t) else 1) for t, w in query.items() if t in found)


def _trim_to_clauses(sentence: str, query: dict[str, float], max_words: int) -> str:
    """Grow outward from the best-matching clause until the word budget is spent."""
    parts = clauses(sentence)
    if len(parts) <= 1:
        return shorten(sentence, max_words)
    centre = max(range(len(parts)), key=lambda k: _match(parts[k], query))
    lo = hi = centre
    size = len(parts[centre].split())
    while True:
        grew = False
        for k in (hi + 1, lo - 1):
            if 0 <= k < len(parts) and size + len(parts[k].split()) <= max_words:
                lo, hi = min(lo, k), max(hi, k)
                size += len(parts[k].split())
                grew = True
        if not grew:
            break
    excerpt = " ".join(parts[lo : hi + 1])
    excerpt = shorten(excerpt, max_words)
    lead = "…" if lo > 0 else ""
    return lead + excerpt[:1].upper() + excerpt[1:] if not lead else lead + excerpt


def _adds(quote: _Quote, note_terms: set[str]) -> bool:
    """False when the quote only repeats the note back (nothing for the reader to gain)."""
    quote_terms = set(terms(quote.text))
    return bool(quote_terms - note_terms) and len(quote.text.split()) >= 3


def _with_speaker(speaker: str | None, text: str) -> str:
    who = speaker_label(speaker)
    return f"{who}: {text}" if who else text


def findings_section(title: str, findings: list, by_pos: dict[int, Segment]) -> list[Block]:
    """An AI heading and one cited bullet per finding; nothing when there are none."""
    findings = [f for f in findings if f.segment in by_pos][:MAX_SECTION_ITEMS]
    if not findings:
        return []
    cites = tuple(Citation.of(by_pos[f.segment]) for f in findings)
    heading = Block(type="heading", text=title, source="ai", citations=cites, level=2)
    items = [
        Block(
            type="bullet",
            text=f.text,
            source="ai",
            citations=tuple(Citation.of(by_pos[i]) for i in f.segments if i in by_pos),
        )
        for f in findings
    ]
    return [heading, *items]


def topic_summary(transcript: Transcript) -> list[Block]:
    """With no notes: the meeting's key passages, one section per topic, each cited."""
    segs = transcript.segments
    blocks: list[Block] = []
    for topic in split_topics(transcript):
        quotes = []
        for i in topic.central:
            text = shorten(_first_sentences(clean_speech(segs[i].text)), MAX_WORDS)
            if text:
                quotes.append((i, _with_speaker(segs[i].speaker, text)))
        if not quotes:
            continue
        cites = tuple(Citation.of(segs[i]) for i, _ in quotes)
        blocks.append(
            Block(type="heading", text=topic.label, source="ai", citations=cites, level=2)
        )
        blocks.extend(
            Block(type="bullet", text=t, source="ai", citations=(Citation.of(segs[i]),))
            for i, t in quotes
        )
    return blocks


def _first_sentences(text: str, max_words: int = MAX_WORDS) -> str:
    out: list[str] = []
    for s in sentences(text):
        if out and len(" ".join(out + [s]).split()) > max_words:
            break
        out.append(s)
    return " ".join(out)


def _checked(block: Block, by_pos: dict[int, Segment]) -> Block:
    """Guard the contract: an AI block cites at least one segment, and only ones that exist."""
    if block.source == "ai":
        if not block.citations:
            raise ValueError(f"AI block without citations: {block.text!r}")
        known = {seg.index for seg in by_pos.values()}
        missing = [c.segment for c in block.citations if c.segment not in known]
        if missing:
            raise ValueError(f"AI block cites unknown segments {missing}: {block.text!r}")
    return block
