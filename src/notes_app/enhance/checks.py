"""Checks on what a model returns, so the product's promise holds whatever the model did.

- The user's lines are the truth: one the model dropped or altered is put back verbatim, in
  place; a "user" block that matches no user line is demoted to an AI block.
- A citation to a segment the model was not shown is removed.
- An AI block with no citation left, or whose numbers, amounts, dates or names appear neither in
  the segments it cites nor in the notes, is kept but marked ``verified=False``.

A reply is checked into a ``CheckedReply``: the AI blocks grouped by the user line they follow.
``assemble`` then lays the user's lines out in order with those groups under them, and merges
the groups of several replies (the parts of a long meeting) into one set of notes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from notes_app.domain import BLOCK_TYPES, Block, Citation, Segment
from notes_app.enhance.notes_parse import NoteLine, parse_notes
from notes_app.enhance.numbers import normalise_quantities

BEFORE_NOTES = 0  # the anchor of AI blocks that come before the user's first line

_CAPITALISED = re.compile(r"\b[A-Z][a-zA-Z'’-]+\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n)\W*$")
_WORD = re.compile(r"[a-z0-9'’-]+")
# Capitalised words that are not names: sentence furniture models use at the start of clauses.
_NOT_NAMES = frozenset("i ai ok okay tbd n/a q&a faq".split())


@dataclass(frozen=True)
class CheckedReply:
    """One reply after checking: AI blocks by the user line they follow, and what was fixed."""

    groups: Mapping[int, tuple[Block, ...]]
    restored_lines: tuple[int, ...] = ()
    removed_citations: int = 0


@dataclass
class _Reading:
    """State while walking one reply's blocks in order."""

    lines: dict[int, NoteLine]
    by_index: Mapping[int, Segment]
    notes_text: str
    anchor: int = BEFORE_NOTES
    seen: set[int] = field(default_factory=set)
    altered: set[int] = field(default_factory=set)
    removed_citations: int = 0
    groups: dict[int, list[Block]] = field(default_factory=dict)


def check_reply(
    raw_blocks: Iterable[Mapping[str, Any]],
    notes: str,
    segments: Iterable[Segment],
) -> CheckedReply:
    """Check one reply against the notes and the segments the model was shown."""
    lines = {ln.line: ln for ln in parse_notes(notes)}
    state = _Reading(lines, {s.index: s for s in segments}, notes)
    for raw in raw_blocks:
        _take(state, raw)
    restored = sorted((set(lines) - state.seen) | state.altered)
    return CheckedReply(
        groups={k: tuple(v) for k, v in state.groups.items()},
        restored_lines=tuple(restored),
        removed_citations=state.removed_citations,
    )


def _take(state: _Reading, raw: Mapping[str, Any]) -> None:
    text = str(raw.get("text") or "").strip()
    if not text:
        return
    if raw.get("source") == "user":
        line = _user_line_for(state, raw, text)
        if line is not None:
            state.seen.add(line.line)
            if not _same_text(text, line):
                state.altered.add(line.line)
            state.anchor = line.line
            return
        # A "user" line the user never wrote: keep what it says, as an AI line to be checked.
    block = _ai_block(state, raw, text)
    if block.note_line is not None:
        # The reply has reached this line even if it dropped the line itself: sections that
        # follow (action items) belong after it, not back under an earlier line.
        state.anchor = max(state.anchor, block.note_line)
    anchor = block.note_line if block.note_line is not None else state.anchor
    state.groups.setdefault(anchor, []).append(block)


def _user_line_for(state: _Reading, raw: Mapping[str, Any], text: str) -> NoteLine | None:
    number = _as_int(raw.get("note_line"))
    if number in state.lines:
        return state.lines[number]
    for line in state.lines.values():
        if line.line not in state.seen and _same_text(text, line):
            return line
    return None


def _same_text(text: str, line: NoteLine) -> bool:
    squeezed = " ".join(text.split())
    return squeezed in (" ".join(line.text.split()), " ".join(line.raw.split()))


def _ai_block(state: _Reading, raw: Mapping[str, Any], text: str) -> Block:
    kind = raw.get("type") if raw.get("type") in BLOCK_TYPES else "bullet"
    note_line = _as_int(raw.get("note_line"))
    if note_line not in state.lines:
        note_line = None
    cited = _segment_ids(raw)
    citations = tuple(Citation.of(state.by_index[i]) for i in cited if i in state.by_index)
    state.removed_citations += len(cited) - len(citations)
    block = Block(
        type=kind,
        text=text,
        source="ai",
        note_line=note_line,
        citations=citations,
        level=min(max(_as_int(raw.get("level")) or 1, 1), 6),
    )
    return replace(block, verified=is_verified(block, state.by_index, state.notes_text))


def to_stream_block(raw: Mapping[str, Any], notes: str, segments: Iterable[Segment]) -> Block:
    """One block as it arrives while streaming: citations filtered, user text verbatim.

    The final, fully checked notes replace what was streamed once the reply is complete.
    """
    checked = check_reply([raw], notes, segments)
    lines = {ln.line: ln for ln in parse_notes(notes)}
    if raw.get("source") == "user" and not checked.groups:
        line = lines.get(_as_int(raw.get("note_line")) or -1) or next(
            (ln for ln in lines.values() if _same_text(str(raw.get("text", "")), ln)), None
        )
        if line is not None:
            return user_block(line)
    blocks = [b for group in checked.groups.values() for b in group]
    if blocks:
        return blocks[0]
    return Block(type="paragraph", text=str(raw.get("text", "")), source="ai", verified=False)


# --- facts ---------------------------------------------------------------------------------------


def is_verified(block: Block, by_index: Mapping[int, Segment], notes_text: str) -> bool:
    """Does everything checkable in ``block`` appear in what it cites or in the notes?"""
    facts_quantities = normalise_quantities(block.text)
    facts_names = names_in(block.text)
    if not block.citations:
        # A bare section title ("Action items") claims nothing; anything else must cite.
        return block.type == "heading" and not facts_quantities and not facts_names
    cited = [by_index[c.segment] for c in block.citations if c.segment in by_index]
    # Who spoke is part of what a segment says: "Priya asked for…" may cite Priya's own words.
    sources = " ".join(f"{seg.speaker or ''} {seg.text}" for seg in cited)
    sources += "\n" + notes_text
    if not facts_quantities <= normalise_quantities(sources):
        return False
    known_words = set(_WORD.findall(sources.lower()))
    return all(_name_known(name, known_words) for name in facts_names)


def names_in(text: str) -> set[str]:
    """Capitalised words that are likely names: not sentence-initial, unless before a colon
    ("Priya: send the deck" names an owner)."""
    found = set()
    for m in _CAPITALISED.finditer(text):
        word = m.group(0)
        if word.lower() in _NOT_NAMES:
            continue
        at_start = bool(_SENTENCE_START.search(text[: m.start()]))
        owner = text[m.end() : m.end() + 1] == ":"
        if not at_start or owner:
            found.add(word)
    return found


def _name_known(name: str, known_words: set[str]) -> bool:
    low = name.lower().replace("’", "'")
    if low.endswith("'s"):
        low = low[:-2]  # "Priya's" is known when "Priya" was said
    return low in known_words or low + "'s" in known_words


# --- assembling ----------------------------------------------------------------------------------


def user_block(line: NoteLine) -> Block:
    return Block(
        type=line.kind, text=line.text, source="user", note_line=line.line, level=line.level
    )


def assemble(notes: str, replies: Sequence[CheckedReply]) -> tuple[Block, ...]:
    """The user's lines in order, each followed by the AI blocks of every reply anchored to it."""
    lines = parse_notes(notes)
    out: list[Block] = list(_merge_groups(r.groups.get(BEFORE_NOTES, ()) for r in replies))
    for line in lines:
        out.append(user_block(line))
        out.extend(_merge_groups(r.groups.get(line.line, ()) for r in replies))
    return tuple(out)


def _merge_groups(groups: Iterable[Sequence[Block]]) -> list[Block]:
    """Join the AI blocks several parts put in one place.

    Sections with the same AI heading ("Action items" from part 1 and part 2) become one, and
    a line that two parts both wrote appears once.
    """
    sections: dict[str, tuple[Block | None, list[Block]]] = {}
    seen_texts: set[str] = set()
    for group in groups:
        key = ""
        for block in group:
            if block.type == "heading":
                key = block.text.strip().lower()
                sections.setdefault(key, (block, []))
                continue
            norm = " ".join(block.text.lower().split())
            if norm in seen_texts:
                continue
            seen_texts.add(norm)
            sections.setdefault(key, (None, []))[1].append(block)
    out: list[Block] = []
    for heading, items in sections.values():
        if heading is not None:
            out.append(_cite_section(heading, items))
        out.extend(items)
    return out


def _cite_section(heading: Block, items: Sequence[Block]) -> Block:
    """An added section title cites what its lines cite, as the offline enhancer's do."""
    if heading.citations:
        return heading
    cites: dict[int, Citation] = {}
    for item in items:
        for c in item.citations:
            cites.setdefault(c.segment, c)
    return replace(heading, citations=tuple(cites[k] for k in sorted(cites)))


def _segment_ids(raw: Mapping[str, Any]) -> list[int]:
    cited = raw.get("segments", raw.get("citations")) or []
    if not isinstance(cited, list):
        cited = [cited]
    ids = []
    for c in cited:
        value = _as_int(c.get("segment") if isinstance(c, Mapping) else c)
        if value is not None and value not in ids:
            ids.append(value)
    return ids


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("[#").rstrip("]").isdigit():
        return int(value.strip().lstrip("[#").rstrip("]"))
    return None
