"""The offline enhancer: the user's notes plus the transcript, no language model.

Every line the user typed stays, verbatim and in order. Under each line go short context lines
quoted (cleaned) from the segments that ground it, with who said them and citations. Then
"Action items" and "Decisions" found in the transcript. With no notes at all, a summary of the
meeting by topic. Nothing is written that cannot be cited: an AI line without a segment to
point at is not emitted.

Entry point: ``enhance_offline(transcript, notes) -> EnhancedNotes``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import lru_cache

from notes_app.domain import ME, THEM, Block, Citation, EnhancedNotes, Segment, Transcript
from notes_app.enhance.actions import TRANSITION, find_action_items, find_decisions
from notes_app.enhance.facts import (
    COUNT,
    DATE,
    MONEY,
    PERCENT,
    fact_kinds,
    is_question,
    wanted_kinds,
)
from notes_app.enhance.grounding import (
    SECTION_WEIGHT,
    Grounding,
    SegmentIndex,
    ground,
    note_query,
)
from notes_app.enhance.notes_parse import (
    NoteLine,
    is_section_label,
    parse_notes,
    section_context,
)
from notes_app.enhance.text import clauses, clean_speech, is_quantity, sentences, shorten, terms
from notes_app.enhance.topics import split_topics
from notes_app.textkit import speaker_label, speaker_names

MODE = "offline"
MAX_CONTEXT_LINES = 2
MAX_WORDS = 32
MAX_SECTION_ITEMS = 12
PROGRESS_STEP = 0.005  # of the whole job, between two progress reports
REPLY_REACH = 3  # segments after a question in which its answer is looked for
SHORT_SENTENCE = 8  # words: a shorter best sentence takes the next one along
MIN_QUOTE_WORDS = 4  # "Twenty months, okay." echoes; it does not explain
# The share of a line's own words a sentence that only repeats it must hold to be cited as
# where the line was said.
SAID_AGAIN = 0.6
_LEADING_LINK = re.compile(
    r"^(?:which|that|and|but|so|while|whereas)(?: (?:is|was|are|were))?\s+", re.I
)
FACT_BONUS = 0.75
_FIGURES = frozenset({DATE, MONEY, PERCENT, COUNT})  # the kinds of fact a number or date is
# A sentence that points back ("That's a hard requirement", "It is"): it needs the one before.
_ANAPHOR = re.compile(
    r"^(?:that|it|this|those|these|they|no)\b", re.I
)  # of the note's heaviest term: a sentence holding the kind of fact asked for
# A statement that asks for something as a question would: a need, a requirement, a request.
_ASKS = re.compile(
    r"\b(?:we|i|they) (?:really |still |also |do |would |will )?(?:need|require|must|have to)\b"
    r"|\brequirement\b|\bis a must\b",
    re.I,
)
_POINTS_BACK = re.compile(r"\b(?:it|that|this|these|those|them)\b", re.I)
_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i'll|i've|i'd|me|my|we|we're|we'll|we've|us|our)\b", re.I)


# A long notes file asks about the same transcript passages line after line: these pure
# functions of a text remember their answers (benchmarks/enhance_scale.py).
_remember = lru_cache(maxsize=1 << 14)


@_remember
def _term_set(text: str) -> frozenset[str]:
    return frozenset(terms(text))


@_remember
def _fact_kinds(text: str) -> frozenset[str]:
    return frozenset(fact_kinds(text))


@_remember
def _wanted_kinds(text: str) -> frozenset[str]:
    return frozenset(wanted_kinds(text))


@_remember
def _cleaned(text: str) -> str:
    return clean_speech(text)


@_remember
def _sentences(text: str) -> tuple[str, ...]:
    return tuple(sentences(text))


@dataclass(frozen=True)
class _Quote:
    text: str
    score: float
    segments: tuple[int, ...]
    speaker: str | None
    asked: str = ""  # the question it answers, shown when the answer alone does not say what
    asker: str | None = None
    reply: bool = False  # the answer to a question (found through it)


@dataclass
class _Context:
    """What the context lines of one meeting share: who the speakers are, what was shown."""

    by_pos: dict[int, Segment]
    names: dict[str, str]
    shown: set[str]
    # quote → (the line it suits best, how much of that line it covers)
    reserved: dict[str, tuple[int, float]] = field(default_factory=dict)
    # clauses cut from a sentence for a second fact in it: the sentence they came from may
    # still stand under the line it suits best
    clauses: set[str] = field(default_factory=set)
    # The transcript's index: which segments hold a word in any spelling the call has.
    index: SegmentIndex | None = None
    # A line whose context would only repeat it: where in the call it was said.
    said_at: dict[int, tuple[int, ...]] = field(default_factory=dict)
    # Every form ever shown or reserved, in the order it came, and for each quote checked
    # against them, how far down that list it was checked and which of them it contains:
    # a long notes file checks each quote against only the forms that are new.
    forms: list[str] = field(default_factory=list)
    inside: dict[str, tuple[int, list[str]]] = field(default_factory=dict)

    def show(self, forms: set[str]) -> None:
        self.forms.extend(f for f in forms if f not in self.shown and f not in self.reserved)
        self.shown.update(forms)

    def reserve(self, form: str, line: int, fit: float) -> None:
        if form not in self.shown and form not in self.reserved:
            self.forms.append(form)
        self.reserved[form] = (line, fit)

    def contained(self, text: str) -> list[str]:
        """The forms shown or reserved so far that occur in ``text``."""
        checked, found = self.inside.get(text, (0, []))
        found = found + [f for f in self.forms[checked:] if f and f in text]
        self.inside[text] = (len(self.forms), found)
        return found


def enhance_offline(
    transcript: Transcript,
    notes: str | Sequence[NoteLine],
    *,
    meeting_id: int | None = None,
    title: str | None = None,
    attendees: Sequence[str] = (),
    on_progress: Callable[[float, float], None] | None = None,
) -> EnhancedNotes:
    """Enhanced notes for ``notes`` (the text, or its lines parsed once by the caller) from
    ``transcript`` (mode "offline"). ``on_progress(done, total)`` hears how far it is (in
    steps of a note line: grounding, then choosing, then writing the context).

    ``attendees`` name the other side: with exactly one, "them" is that person. ``title`` is
    accepted for symmetry with the LLM enhancer; the offline notes do not restate it. Raises
    nothing for empty input: no notes gives a topic summary, no transcript gives the user's
    lines alone.
    """
    del title
    by_pos = {i: seg for i, seg in enumerate(transcript.segments)}
    lines = parse_notes(notes) if isinstance(notes, str) else list(notes)
    ctx = _Context(by_pos, speaker_names(attendees), set())
    blocks: list[Block] = []
    steps = 4 * len(lines)  # two for grounding a line, one for its first choice, one to write
    report = _Reporter(on_progress, steps)
    if any(not ln.metadata and ln.text.strip() for ln in lines):
        index = SegmentIndex(transcript)
        sections = section_context(lines)
        grounded = ground(
            transcript,
            lines,
            index,
            on_progress=lambda done, total: report(2 * len(lines) * done / total),
        )
        groundings = {g.note_line: g for g in grounded}
        ctx.index = index
        # The lines first, then the section labels: a fact belongs under the line that notes
        # it, and a label only gets what none of its lines already shows.
        context: dict[int, list[Block]] = {}
        for k, ln in enumerate(lines):  # each line's first choice, so no other takes it second
            report(2 * len(lines) + k)
            if ln.line in groundings and not is_section_label(ln):
                query = note_query(ln.text, sections.get(ln.line, ""))
                ranked = _ranked_quotes(ln, groundings[ln.line], ctx, query, set())
                # A quote two lines would show goes to the one it covers best.
                for quote in ranked[:MAX_CONTEXT_LINES]:
                    fit = _coverage(quote.text, query)
                    for form in _shown_forms(quote.text):
                        if fit > ctx.reserved.get(form, (0, -1.0))[1]:
                            ctx.reserve(form, ln.line, fit)
        for k, ln in enumerate(sorted(lines, key=is_section_label)):
            report(3 * len(lines) + k)
            query = note_query(ln.text, sections.get(ln.line, ""))
            context[ln.line] = context_blocks(ln, groundings[ln.line], ctx, query)
        for ln in lines:
            said = ctx.said_at.get(ln.line, ())
            blocks.append(user_block(ln, tuple(Citation.of(by_pos[i]) for i in said)))
            blocks.extend(context[ln.line])
    else:
        blocks.extend(user_block(ln) for ln in lines)
        blocks.extend(topic_summary(transcript))
    names = ctx.names
    blocks.extend(findings_section("Action items", find_action_items(transcript), by_pos, names))
    blocks.extend(findings_section("Decisions", find_decisions(transcript), by_pos, names))
    known = {seg.index for seg in by_pos.values()}
    checked = tuple(_checked(b, known) for b in blocks)
    report(steps, final=True)
    return EnhancedNotes(meeting_id=meeting_id, mode=MODE, blocks=checked)


class _Reporter:
    """``on_progress`` at most every PROGRESS_STEP of the way, so a long notes file sends a
    few hundred updates, not one per line."""

    def __init__(self, on_progress: Callable[[float, float], None] | None, total: float):
        self.on_progress, self.total = on_progress, max(total, 1)
        self.next = 0.0

    def __call__(self, done: float, *, final: bool = False) -> None:
        if self.on_progress is not None and (done >= self.next or final):
            self.next = done + PROGRESS_STEP * self.total
            self.on_progress(self.total if final else min(done, self.total), self.total)


def user_block(ln: NoteLine, citations: tuple[Citation, ...] = ()) -> Block:
    """The user's line as typed; ``citations`` say where the call said what it says, when the
    call only said it again (there is no context to add, but the moment is worth a click)."""
    return Block(
        type=ln.kind,
        text=ln.text,
        source="user",
        note_line=ln.line,
        level=ln.level,
        marker=ln.marker,
        citations=citations,
    )


def context_blocks(
    ln: NoteLine, grounding: Grounding, ctx: _Context, query: dict[str, float]
) -> list[Block]:
    """One or two short lines that say what the note line refers to.

    A question that matches the note is replaced by the answer that follows it; within a
    passage, the sentence holding the kind of fact the note asks for wins; a sentence already
    shown under another line is not shown again.
    """
    # What other lines showed, and other lines' first choices where they suit those lines
    # better: this line may take a clause of them for a fact of its own, never the whole.
    label = is_section_label(ln)
    exclude = _Taken(ctx, ln.line) if not label else _NoClauses(ctx, ln.line)
    quotes = _ranked_quotes(ln, grounding, ctx, query, exclude)[:MAX_CONTEXT_LINES]
    if not quotes and not label:
        # Everything it could show suits another line better; what that line has not shown
        # yet is still better here than nothing.
        unshown = _Taken(ctx, ln.line, reserved=False)
        quotes = [
            q
            for q in _ranked_quotes(ln, grounding, ctx, query, unshown)
            if not _owed_elsewhere(q, ctx, ln, query)
        ][:1]
    if label:
        # "Next topic is pricing." says where the topic was raised, not what about it: the
        # heading cites that moment itself.
        moves = [q for q in quotes if TRANSITION.match(q.text) and not _fact_kinds(q.text)]
        if moves:
            ctx.said_at[ln.line] = moves[0].segments[:1]
            quotes = [q for q in quotes if q not in moves]
    elif not quotes:
        said = _said_again(ln, grounding, ctx, query)
        if said:
            ctx.said_at[ln.line] = said
    quotes.sort(key=lambda q: q.segments[0])
    for q in quotes:
        ctx.show(_shown_forms(q.text))
    return [
        Block(
            type="bullet",
            text=_worded(q, ctx.names),
            source="ai",
            note_line=ln.line,
            citations=tuple(Citation.of(ctx.by_pos[i]) for i in q.segments),
            level=ln.level + 1 if ln.kind == "bullet" else 1,
        )
        for q in quotes
    ]


def _ranked_quotes(
    ln: NoteLine,
    grounding: Grounding,
    ctx: _Context,
    query: dict[str, float],
    exclude: Container[str],
) -> list[_Quote]:
    """The quotes that could stand under a line, best first, each saying something new."""
    if not grounding.segments:
        return []
    note_terms = _term_set(ln.text)
    wants = _wanted_kinds(ln.text)
    out: list[_Quote] = []
    quotes = _quotes(grounding.segments, ctx, query, wants, exclude)
    own = list(_own(query))
    if ctx.index is not None and own:
        # A quote that holds none of the line's words (in any spelling the call has) stands
        # only as the answer to a question that does, or as the reply to a turn that does:
        # not because it sits nearby and holds a time or a number.
        scores = [ctx.index.term_scores(t) for t in own]

        def speaks(q: _Quote) -> bool:
            return q.reply or any(s[i] > 0 for s in scores for i in q.segments)

        held = {i for q in quotes if speaks(q) for i in q.segments}
        if held:
            quotes = [q for q in quotes if speaks(q) or q.segments[0] - 1 in held]
    # Best match first; of equals, the one that holds more of the line's own words.
    for q in sorted(quotes, key=lambda q: (-q.score, -_coverage(q.text, query))):
        text = _norm(q.text)
        if _adds(q, note_terms) and not (
            _overlaps(text, {_norm(x.text) for x in out}, ctx.clauses)
            or (isinstance(exclude, _Taken) and exclude.overlaps(text))
        ):
            out.append(q)
    return out


def _owed_elsewhere(q: _Quote, ctx: _Context, ln: NoteLine, query: dict[str, float]) -> bool:
    """True when the quote holds none of this line's own words but is kept for another line
    that it does speak of ("Paul, can you handle the contract? Sure, …" goes to "contract →
    Paul", not to the "vendor B" line that matched only the question)."""
    if _coverage(q.text, query) > 0 or _wanted_kinds(ln.text) & _fact_kinds(q.text):
        return False  # it speaks of this line, or holds the fact it asks for ("launch date")
    for form in _shown_forms(q.text):
        owner = ctx.reserved.get(form)
        if owner is not None and owner[0] != ln.line and owner[1] > 0:
            return True
    return False


def _said_again(
    ln: NoteLine, grounding: Grounding, ctx: _Context, query: dict[str, float]
) -> tuple[int, ...]:
    """Where the call says what the line says, when it adds nothing to it: the segments of
    the best quote that holds at least SAID_AGAIN of the line's own words."""
    if not grounding.segments:
        return ()
    note_terms = _term_set(ln.text)
    best: _Quote | None = None
    for q in _quotes(grounding.segments, ctx, query, _wanted_kinds(ln.text), frozenset()):
        if _adds(q, note_terms) or _coverage(q.text, query) < SAID_AGAIN:
            continue
        if best is None or q.score > best.score:
            best = q
    return best.segments[:1] if best else ()


class _Taken:
    """What a line may not show again: what other lines showed, and other lines' first
    choices (``_overlaps`` over all of them, without copying them for every quote)."""

    def __init__(self, ctx: _Context, line: int, reserved: bool = True):
        self.ctx, self.line, self.reserved = ctx, line, reserved

    def __contains__(self, form: object) -> bool:
        ctx = self.ctx
        if form in ctx.shown:
            return True
        if not self.reserved:
            return False
        reserved = ctx.reserved.get(form) if isinstance(form, str) else None
        return reserved is not None and reserved[0] != self.line

    def overlaps(self, text: str) -> bool:
        """``_overlaps(text, self, clauses)``, by the forms ``text`` contains."""
        if text in self:
            return True
        clauses = self.ctx.clauses
        return any(f not in clauses and f in self for f in self.ctx.contained(text))


class _NoClauses(_Taken):
    """Sentences already shown, for a section label: it gets no part of them either."""


def _quotes(
    positions: tuple[int, ...],
    ctx: _Context,
    query: dict[str, float],
    wants: AbstractSet[str],
    exclude: Container[str],
) -> list[_Quote]:
    """The best quote from each run of consecutive segments by the same speaker; a run that
    only asks a question gives way to the reply that follows it."""
    by_pos = ctx.by_pos
    runs: list[list[int]] = []
    for i in sorted(positions):
        if runs and runs[-1][-1] == i - 1 and by_pos[i].speaker == by_pos[i - 1].speaker:
            runs[-1].append(i)
        else:
            runs.append([i])
    out: list[_Quote] = []
    for run in runs:
        spoken = _cleaned(" ".join(by_pos[i].text for i in run))
        text, score = best_excerpt(spoken, query, wants=wants, exclude=exclude, clauses=ctx.clauses)
        if not text:
            continue
        asked = text if is_question(text) else _sentences(spoken)[-1]
        reply = _reply_to(run, by_pos) if is_question(asked) else None
        if reply:
            # After a reply that asked back, the answer is the last turn's.
            last = [i for i in reply if by_pos[i].speaker == by_pos[reply[-1]].speaker]
            answer = _cleaned(" ".join(by_pos[i].text for i in last))
            a_text, a_score = best_excerpt(
                answer, query, wants=wants, exclude=exclude, clauses=ctx.clauses
            )
            # A question the note did not match and that does not point back at what it
            # did ("Sure, Delaware. Anything on data protection?", not "… can you pick a date
            # for it?") leads to an answer about something else, unless the answer holds the
            # note's words or the kind of fact it asks for.
            unrelated = (
                _match(asked, _own(query)) == 0
                and not _POINTS_BACK.search(asked)
                and _match(a_text, _own(query)) == 0
                and not (wants & _fact_kinds(a_text))
            )
            if a_text and not is_question(a_text) and not unrelated:
                who = by_pos[last[0]].speaker
                q_score = _sentence_score(asked, query, wants)  # the answer ranks as the question
                # "That's a hard requirement for us now." says nothing without its question.
                own = _own(query)
                bare = _match(a_text, own) == 0 or bool(_ANAPHOR.match(a_text))
                topic = asked if bare and _match(asked, own) > 0 else ""
                segs = tuple(sorted({*run[-1:], *reply})) if topic else tuple(reply)
                asker = by_pos[run[0]].speaker
                out.append(
                    _Quote(a_text, max(q_score, a_score), segs, who, topic, asker, reply=True)
                )
        if is_question(text):
            continue  # a question is never the context, only the way to its answer
        out.append(_Quote(text, score, tuple(run), by_pos[run[0]].speaker))
        if _ASKS.search(text):
            # "We need the data to stay in the EU." asks as a question does: the other side's
            # reply ("we have the Frankfurt region, so that's covered") is what came of it.
            answered = _response(run, by_pos, query, wants, exclude, ctx.clauses)
            if answered is not None:
                a_text, segs = answered
                who = by_pos[segs[0]].speaker
                out.append(_Quote(a_text, score * 0.99, segs, who, reply=True))
    return out


def _response(
    run: list[int],
    by_pos: dict[int, Segment],
    query: dict[str, float],
    wants: AbstractSet[str],
    exclude: Container[str],
    clauses: set[str],
) -> tuple[str, tuple[int, ...]] | None:
    """What the other side said straight after ``run``: its best sentence and segments, when
    it says something (not a question, not just "Perfect.")."""
    nxt = by_pos.get(run[-1] + 1)
    if nxt is None or nxt.speaker == by_pos[run[0]].speaker or nxt.speaker is None:
        return None
    text, _ = best_excerpt(_cleaned(nxt.text), query, wants=wants, exclude=exclude, clauses=clauses)
    if not text or is_question(text) or len(text.split()) < MIN_QUOTE_WORDS:
        return None
    return text, (run[-1] + 1,)


def _reply_to(run: list[int], by_pos: dict[int, Segment], hop: bool = False) -> list[int] | None:
    """The segments that answer the question asked in ``run``: the next turn by someone else
    (within REPLY_REACH segments), with its continuation by the same speaker."""
    asker = by_pos[run[0]].speaker
    last = run[-1]
    for i in range(last + 1, last + 1 + REPLY_REACH):
        seg = by_pos.get(i)
        if seg is None:
            return None
        if asker is not None and seg.speaker == asker:
            continue  # the asker going on (or a channel's echo); keep looking
        if not _cleaned(seg.text):
            continue
        reply = [i]
        while (nxt := by_pos.get(reply[-1] + 1)) is not None and nxt.speaker == seg.speaker:
            if len(reply) >= 2 or asker is None:
                break
            reply.append(reply[-1] + 1)
        said = _cleaned(" ".join(by_pos[k].text for k in reply))
        if is_question(said.rsplit(". ", 1)[-1]) and not hop:
            # "We haven't settled it yet. What do you think?": the answer comes back.
            return reply + (_reply_to(reply, by_pos, hop=True) or [])
        return reply
    return None


def best_excerpt(
    text: str,
    query: dict[str, float],
    max_words: int = MAX_WORDS,
    *,
    wants: AbstractSet[str] = frozenset(),
    exclude: Container[str] = frozenset(),
    clauses: set[str] | None = None,
) -> tuple[str, float]:
    """The sentence of ``text`` that best matches ``query`` (and holds the kind of fact the
    note asks for), trimmed to its relevant clauses. A sentence in ``exclude`` (already shown)
    gives way to its clause that holds the note's own words, or to nothing."""
    parts = _sentences(text)
    best, best_score, best_at = "", -1.0, -1
    for at, sentence in enumerate(parts):
        score = _sentence_score(sentence, query, wants)
        if _norm(sentence) in exclude:
            if isinstance(exclude, _NoClauses):
                continue
            sentence = _unshown_clause(sentence, query, exclude)
            if not sentence:
                continue
            if clauses is not None:
                clauses.add(_norm(sentence))
        if score > best_score:
            best, best_score, best_at = sentence, score, at
    if 0 <= best_at and len(best.split()) < SHORT_SENTENCE:
        # "The payments integration. The provider changed their API…": a fragment says
        # what the topic is, the sentence after it (or else before it) says what about it.
        nxt = parts[best_at + 1] if best_at < len(parts) - 1 else ""
        prev = parts[best_at - 1] if best_at > 0 else ""
        for other, after in ((nxt, True), (prev, False)):
            if (
                other
                and (not is_question(other) or (not after and _ANAPHOR.match(best)))
                and _norm(other) not in exclude
                and len(best.split()) + len(other.split()) <= max_words
            ):
                best = f"{best} {other}" if after else f"{other} {best}"
                break
    elif 0 <= best_at:
        # A sentence that names the topic without a figure or a date takes the next one along
        # when that one has it ("We should remind the team about the referral bonus. It's
        # $3,000 now."); a figure that names none of the topic takes the sentence before it
        # when that one does ("Our legal team will review the draft. I'll get their comments
        # back to you within two weeks.").
        nxt = parts[best_at + 1] if best_at < len(parts) - 1 else ""
        prev = parts[best_at - 1] if best_at > 0 else ""
        topic = {t: w for t, w in _own(query).items() if not is_quantity(t)}
        if (
            nxt
            and (_fact_kinds(nxt) - _fact_kinds(best)) & _FIGURES
            and not _fact_kinds(best) & _FIGURES
            and not is_question(nxt)
            and _norm(nxt) not in exclude
            and len(best.split()) + len(nxt.split()) <= max_words
        ):
            best = f"{best} {nxt}"
        elif (
            prev
            and _fact_kinds(best) & _FIGURES
            and _match(best, topic) == 0
            and _match(prev, topic) > 0
            and not is_question(prev)
            and _norm(prev) not in exclude
            and len(best.split()) + len(prev.split()) <= max_words
        ):
            best = f"{prev} {best}"
    if len(best.split()) > max_words:
        best = _trim_to_clauses(best, query, max_words)
    return best, max(best_score, 0.0)


def _coverage(text: str, query: dict[str, float]) -> float:
    """The share of a line's own words (quantities counting double) that ``text`` holds."""
    own = _own(query)
    total = sum(w * (2 if is_quantity(t) else 1) for t, w in own.items())
    return _match(text, own) / total if total else 0.0


def _sentence_score(sentence: str, query: dict[str, float], wants: AbstractSet[str]) -> float:
    bonus = FACT_BONUS * max(query.values(), default=1.0)
    return _match(sentence, query) + bonus * len(wants & _fact_kinds(sentence))


def _unshown_clause(sentence: str, query: dict[str, float], exclude: Container[str]) -> str:
    """The clauses of a sentence already shown that carry the note's own words, when they
    say something the shown sentence did not already say under another line."""
    parts = clauses(sentence, fine=True)
    own = _own(query)
    keep = [p for p in parts if _match(p, own) > 0]
    text = " ".join(keep)
    text = _LEADING_LINK.sub("", text)
    if not keep or len(keep) == len(parts) or _norm(text) in exclude or len(text.split()) < 3:
        return ""
    return text[:1].upper() + text[1:]


def _match(text: str, query: dict[str, float]) -> float:
    found = _term_set(text)
    return sum(w * (2 if is_quantity(t) else 1) for t, w in query.items() if t in found)


def _shown_forms(text: str) -> set[str]:
    """A line as shown, and each of its sentences: what another line may not show again."""
    return {_norm(text), *(_norm(s) for s in _sentences(text))} - {""}


def _overlaps(text: str, seen: set[str], clauses: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
    """Already shown: the same line or one of its sentences, or a line around one shown
    before. A clause of a shown sentence is not (it is how a second fact in it is shown),
    nor is the sentence around a clause shown for such a fact."""
    return text in seen or any(x in text for x in seen if x and x not in clauses)


@_remember
def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


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


def _adds(quote: _Quote, note_terms: AbstractSet[str]) -> bool:
    """False when the quote only repeats the note back (nothing for the reader to gain)."""
    quote_terms = _term_set(quote.text)
    return bool(quote_terms - note_terms) and len(quote.text.split()) >= MIN_QUOTE_WORDS


def _own(query: dict[str, float]) -> dict[str, float]:
    """The note line's own words, not those of the heading it sits under."""
    return {t: w for t, w in query.items() if w > SECTION_WEIGHT}


def _worded(q: _Quote, names: dict[str, str]) -> str:
    if not q.asked:
        return _with_speaker(q.speaker, q.text, names)
    asker = names.get(q.asker or "") or {ME: "You", THEM: "They"}.get(q.asker or "", "")
    answerer = names.get(q.speaker or "") or {ME: "You", THEM: "They"}.get(q.speaker or "", "")
    if asker and answerer:
        return f"{asker} asked: {q.asked} {answerer}: {q.text}"
    return f"{q.asked} {q.text}"


def _with_speaker(speaker: str | None, text: str, names: dict[str, str] | None = None) -> str:
    """Say who spoke only where the line needs it: when it speaks in the first person ("I will
    send…"), or the speaker has a name. Otherwise the line reads as a note, not a transcript."""
    names = names or {}
    if speaker in names:
        return f"{names[speaker]}: {text}"
    named = speaker not in (None, ME, THEM)
    if not named and not _FIRST_PERSON.search(text):
        return text
    who = {ME: "You", THEM: "They"}.get(speaker or "", speaker_label(speaker))
    return f"{who}: {text}" if who else text


def findings_section(
    title: str, findings: list, by_pos: dict[int, Segment], names: dict[str, str] | None = None
) -> list[Block]:
    """An AI heading and one cited bullet per finding; nothing when there are none. An owner
    the meeting can name ("Them" in a call with one attendee) is named."""
    them = f"{speaker_label(THEM)}: "
    named = f"{names[THEM]}: " if names and THEM in names else None
    findings = [f for f in findings if f.segment in by_pos][:MAX_SECTION_ITEMS]
    if not findings:
        return []
    cites = tuple(Citation.of(by_pos[f.segment]) for f in findings)
    heading = Block(type="heading", text=title, source="ai", citations=cites, level=2)
    items = [
        Block(
            type="bullet",
            text=named + f.text[len(them) :] if named and f.text.startswith(them) else f.text,
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


def _checked(block: Block, known: set[int]) -> Block:
    """Guard the contract: an AI block cites at least one segment, and only ones that exist
    (``known``: the transcript's segment indexes)."""
    if block.source == "ai":
        if not block.citations:
            raise ValueError(f"AI block without citations: {block.text!r}")
        missing = [c.segment for c in block.citations if c.segment not in known]
        if missing:
            raise ValueError(f"AI block cites unknown segments {missing}: {block.text!r}")
    return block
