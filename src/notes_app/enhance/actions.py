"""Action items and decisions, found in what people said.

An action item is a commitment: "I'll send the deck by Friday", "can you check the numbers",
"Sarah will draft the announcement", "we need to book the venue". Its owner is the speaker
("I"), the person asked ("can you" → whoever answers, else the other side), a named person, or
"We". Its due date is the time phrase that goes with it ("by Friday", "next week", "June 15th").

A decision is what the group settled on: "we decided …", "let's go with …", "agreed, …",
"we'll go with …".

Entry points: ``find_action_items(transcript)`` and ``find_decisions(transcript)``, each
returning ``Finding``s in meeting order, deduplicated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from notes_app.domain import ME, THEM, Segment, Transcript
from notes_app.enhance.text import clean_speech, sentences, shorten, terms

ACTION_VERBS = (
    "send share write draft prepare check contact call email mail follow set schedule book "
    "review update fix look finish submit organise organize invite ask talk reach circulate "
    "create make put add run test ship release deploy move merge sign fill register read "
    "compile collect find get do handle take start implement confirm announce present "
    "document publish upload forward arrange plan investigate sort cover double clean "
    "finalise finalize prepare translate build"
).split()
_VERB = r"(?:" + "|".join(ACTION_VERBS) + r")\w*"
_NAME = r"(?:\[[A-Z]+\d*\]|[A-Z][a-z]+)"

# (pattern, owner rule): "self" = the speaker, "other" = the person asked, "we", or "name".
_COMMITMENTS = [
    (re.compile(r"\b(?:I'll|I will|I'm going to|I am going to|I can|let me)\s+(?:also\s+)?"
                r"(?P<what>" + _VERB + r"\b.*)", re.I), "self"),
    (re.compile(r"\b(?:we'll|we will|we're going to|we are going to|we need to|we should|"
                r"we have to|let's)\s+(?:also\s+)?(?P<what>" + _VERB + r"\b.*)", re.I), "we"),
    (re.compile(r"\b(?:can|could|would) you(?: please)?\s+(?P<what>" + _VERB + r"\b.*)", re.I),
     "other"),
    (re.compile(r"\bplease\s+(?P<what>" + _VERB + r"\b.*)", re.I), "other"),
    (re.compile(r"(?P<name>" + _NAME + r")\s+(?:will|is going to|'ll|can)\s+(?:also\s+)?"
                r"(?P<what>" + _VERB + r"\b.*)"), "name"),
]  # fmt: skip

_DECISIONS = re.compile(
    r"\b(?:we(?:'ve| have)? decided|we decide|decided to|decision is|let's go with|let's go for|"
    r"we'll go with|we will go with|we're going with|we are going with|we agreed|(?:it's |is )?"
    r"agreed|we settled on|settled on|final answer is|let's stick with|we'll stick with)\b",
    re.I,
)

_DUE = re.compile(
    r"\b(?:(?:by|before|until|on|this|next|end of(?: the)?|until)\s+)?"
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|today|"
    r"(?:the )?end of (?:the )?(?:day|week|month|quarter|year|sprint)|eod|eow|"
    r"next (?:week|month|quarter|sprint|meeting|time)|this (?:week|month|afternoon|evening)|"
    r"(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december) \d{1,2}(?:st|nd|rd|th)?|\d{1,2}(?:st|nd|rd|th)? (?:of )?(?:january|february|"
    r"march|april|may|june|july|august|september|october|november|december)|"
    r"in (?:a|one|two|three|four|\d+) (?:days?|weeks?|months?)|q[1-4])\b",
    re.I,
)


@dataclass(frozen=True)
class Finding:
    """An action item or decision; ``segment`` is the position of the segment it was said in."""

    text: str
    segment: int
    owner: str | None = None
    due: str | None = None


def find_action_items(transcript: Transcript) -> list[Finding]:
    segs = transcript.segments
    found = []
    for k, seg in enumerate(segs):
        for sentence in sentences(clean_speech(seg.text)):
            item = _commitment(sentence, seg, k, _next_speaker(segs, k))
            if item:
                found.append(item)
    return dedupe(found)


def find_decisions(transcript: Transcript) -> list[Finding]:
    found = []
    for pos, seg in enumerate(transcript.segments):
        for sentence in sentences(clean_speech(seg.text)):
            if _DECISIONS.search(sentence) and len(terms(sentence)) >= 2:
                text = shorten(_strip_end(sentence), 30)
                found.append(Finding(_with_speaker(seg, text), pos))
    return dedupe(found)


def _commitment(sentence: str, seg: Segment, pos: int, answerer: str | None) -> Finding | None:
    if sentence.rstrip().endswith("?") and not re.search(
        r"\b(can|could|would) you\b", sentence, re.I
    ):
        return None  # "shall we send it?" is not yet a commitment
    for pattern, rule in _COMMITMENTS:
        m = pattern.search(sentence)
        if not m:
            continue
        what = _strip_end(m.group("what"))
        if len(terms(what)) < 2:
            continue  # "I can do that" says too little to act on
        owner = _owner(rule, m, seg, answerer)
        due_match = _DUE.search(what)
        due = due_match.group(0) if due_match else None
        text = f"{owner}: {shorten(what, 24)}"
        return Finding(text, pos, owner, due)
    return None


def _owner(rule: str, m: re.Match, seg: Segment, answerer: str | None) -> str:
    if rule == "self":
        return speaker_label(seg.speaker) or "Speaker"
    if rule == "other":
        return answerer or (
            "Them" if seg.speaker == ME else "You" if seg.speaker == THEM else "Them"
        )
    if rule == "name":
        return m.group("name")
    return "We"


def _next_speaker(segs: tuple[Segment, ...], k: int) -> str | None:
    """Who answers a request: the next segment by a different, known speaker."""
    here = segs[k].speaker
    for seg in segs[k + 1 : k + 4]:
        if seg.speaker and seg.speaker != here:
            return speaker_label(seg.speaker)
    return None


def speaker_label(speaker: str | None) -> str | None:
    """How a speaker is named in the notes: "You" for me, "Them" for the other side."""
    if speaker == ME:
        return "You"
    if speaker == THEM:
        return "Them"
    return speaker or None


def _with_speaker(seg: Segment, text: str) -> str:
    who = speaker_label(seg.speaker)
    return f"{who}: {text}" if who else text


def _strip_end(text: str) -> str:
    return text.strip().rstrip(".!?,;").strip()


def dedupe(findings: list[Finding], threshold: float = 0.6) -> list[Finding]:
    """Drop findings whose words mostly repeat an earlier one (people say things twice)."""
    kept: list[tuple[Finding, set[str]]] = []
    for f in findings:
        words = set(terms(f.text))
        if any(_overlap(words, seen) >= threshold for _, seen in kept):
            continue
        kept.append((f, words))
    return [f for f, _ in kept]


def _overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(min(len(a), len(b)), 1)
