"""Checks on a line the model wrote from a note's evidence, so the product's promise holds
whatever the model did.

The model never writes the user's lines (they are copied from the notes) nor chooses what to
cite (citations are the evidence it was shown), so what is left to check is what it says: a
line that brings a number, amount, date or name that its evidence does not contain is
rejected, and the caller keeps the offline text for that note instead.

Entry points: ``check_context(text, evidence, note) -> Verdict`` for one line, and
``guard_tripped(verdicts)`` for the batch-level quality guard.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from notes_app.domain import Segment
from notes_app.enhance.facts import holds_date
from notes_app.enhance.numbers import normalise_quantities
from notes_app.textkit import NOT_NAMES as _NOT_NAMES

# Above this share of failed lines, a reply is not trusted at all: its lines that passed are
# replaced by the offline text too.
GUARD_THRESHOLD = 0.5
# A context line longer than this is not a line of notes (the model is retelling the meeting).
MAX_WORDS = 60

# Capitalised words, digits allowed: "Sarah", "PERSON12", "Q3" (quantities are checked apart).
_CAPITALISED = re.compile(r"\b[A-Z][A-Za-z0-9'’-]*[A-Za-z0-9]\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n)\W*$")
_WORD = re.compile(r"[a-z0-9'’]+(?:-[a-z0-9]+)*")
# How a model says it has nothing ("N/A", "none", "no context").
_NOTHING = re.compile(r"^\W*(?:n/?a|none|null|no context|nothing|not mentioned|unknown)\W*$", re.I)


@dataclass(frozen=True)
class Verdict:
    """What the checks made of one line: ``ok``, or the reason it was turned down."""

    ok: bool
    reason: str = ""

    @classmethod
    def passed(cls) -> Verdict:
        return cls(True)

    @classmethod
    def failed(cls, reason: str) -> Verdict:
        return cls(False, reason)


def evidence_text(segments: Iterable[Segment]) -> str:
    """What the evidence says, speaker names included ("Sarah said …" may cite Sarah's words)."""
    return "\n".join(f"{seg.speaker or ''}: {seg.text}" for seg in segments)


# "Sarah mentioned that revenue came at …": how a transcript is retold, not how notes read.
_RETOLD = re.compile(
    r"^(?P<who>You|They|He|She|We|[A-Z][\w'’-]*(?: [A-Z][\w'’-]*)?|The (?:speaker|team|group))"
    r" (?:also )?(?:mentioned|said|noted|stated|explained|reported|indicated|pointed out|"
    r"highlighted|shared|added|remarked|commented|told (?:the team|us|them|everyone))"
    r"(?: that)?[,:]? (?P<rest>\S.*)$"
)


def as_note(line: str) -> str:
    """A retold line worded as a note: "Sarah mentioned that revenue came at $4.2M" becomes
    "Sarah: Revenue came at $4.2M" (who said it kept, nothing else changed); "The speaker said
    that …" loses its empty subject."""
    m = _RETOLD.match(line)
    if m is None or m.group("who").lower() in _NOT_WHO:
        return line
    rest = m.group("rest")
    rest = rest[:1].upper() + rest[1:]
    who = m.group("who")
    return rest if who.startswith("The ") else f"{who}: {rest}"


_NOT_WHO = frozenset({"it", "this", "that", "there", "everyone", "nobody", "someone"})


def clean_context(text: object) -> str | None:
    """The model's line tidied (whitespace, bracketed ids, quotes, "X mentioned that"), or None
    when it says nothing."""
    if not isinstance(text, str):
        return None
    line = re.sub(r"\s*\[\d+(?:\s*,\s*\d+)*\]", "", text)  # "[1, 2]" ids it was not asked for
    line = " ".join(line.split()).strip().strip('"“”').strip()
    if not line or _NOTHING.match(line) or line.startswith("<"):
        return None  # "<one short line>" is the prompt's placeholder copied back
    if len(re.findall(r"[A-Za-z]{2,}", line)) < 2:
        return None  # "...", "-", a bare number: nothing a reader can use
    return as_note(line)


def check_context(
    text: str, evidence: Sequence[Segment], note: str = "", people: Iterable[str] = ()
) -> Verdict:
    """Does everything checkable in ``text`` appear in ``evidence`` (or the note it expands)?

    ``people`` are the meeting's speakers: one of them opening a sentence ("Marcus will send…")
    is a name to check too, where any other sentence-initial word is taken as ordinary.
    """
    if len(text.split()) > MAX_WORDS:
        return Verdict.failed(f"longer than {MAX_WORDS} words")
    sources = evidence_text(evidence) + "\n" + note
    extra = normalise_quantities(text) - normalise_quantities(sources)
    if extra:
        return Verdict.failed("a quantity not in its evidence: " + ", ".join(sorted(extra)))
    known = set(_WORD.findall(sources.lower().replace("’", "'")))
    names = names_in(text) | _people_named(text, people)
    unknown = sorted(n for n in names if not _name_known(n, known))
    if unknown:
        return Verdict.failed("a name not in its evidence: " + ", ".join(unknown))
    return Verdict.passed()


def keeps_figures(text: str, grounded: str) -> Verdict:
    """Does the model's line keep a figure (or the date) of the line the call grounds for the
    same note?

    ``grounded`` is the offline enhancer's context for the note (sentences quoted from the
    call). When it holds quantities ("18,000 a year" under "A: cheaper but no SOC 2", "70, 30"
    under "rev share 70/30") and the model's line holds none of them, the model dropped the
    fact a reader needs or wrote about another moment: its line fails. So it does when the call
    said when ("after the launch, probably next quarter") and the model's line does not."""
    found = normalise_quantities(grounded)
    if found and not normalise_quantities(text) & found:
        return Verdict.failed("drops the figures the call gave: " + ", ".join(sorted(found)))
    if holds_date(grounded) and not holds_date(text):
        return Verdict.failed("drops when, which the call said")
    return Verdict.passed()


def names_in(text: str) -> set[str]:
    """Capitalised words that are likely names or dates ("Friday", "March"): not those that
    start a sentence, unless before a colon ("Priya: send the deck" names an owner)."""
    found = set()
    for m in _CAPITALISED.finditer(text):
        word = m.group(0)
        if word.lower().replace("’", "'") in _NOT_NAMES:
            continue
        at_start = bool(_SENTENCE_START.search(text[: m.start()]))
        owner = text[m.end() : m.end() + 1] == ":"
        if not at_start or owner:
            found.add(word)
    return found


def _people_named(text: str, people: Iterable[str]) -> set[str]:
    wanted = {p.lower() for p in people if p and p.lower() not in _NOT_NAMES}
    return {m.group(0) for m in _CAPITALISED.finditer(text) if m.group(0).lower() in wanted}


def _name_known(name: str, known_words: set[str]) -> bool:
    low = name.lower().replace("’", "'")
    if low.endswith("'s"):
        low = low[:-2]  # "Priya's" is known when "Priya" was said
    if low in known_words or low + "'s" in known_words:
        return True
    # "Q3-related", "Sarah-led": every part of a hyphenated word must be known
    parts = [p for p in low.split("-") if p]
    return len(parts) > 1 and all(p in known_words for p in parts)


def guard_tripped(verdicts: Sequence[Verdict], threshold: float = GUARD_THRESHOLD) -> bool:
    """True when more than ``threshold`` of a reply's lines failed: trust none of it."""
    if not verdicts:
        return False
    failed = sum(not v.ok for v in verdicts)
    return failed / len(verdicts) > threshold
