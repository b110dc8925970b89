"""What kind of fact a terse note asks for, and which sentences hold one.

A note such as "launch date", "budget?" or "pricing → Sarah" names a topic and, by its words,
the kind of fact the reader wants next to it: a date, an amount, a percentage, a person who
owns something, a decision. A sentence that holds that kind of fact is the better context,
even when it shares no word with the note ("launch date" → "We are aiming for the twelfth of
March"). The cue words are ordinary English, not words of any one meeting.

Entry points: ``wanted_kinds(note) -> set[str]``, ``fact_kinds(sentence) -> set[str]``,
``is_question(text) -> bool``.
"""

from __future__ import annotations

import re

from notes_app.enhance.numbers import normalise_quantities

DATE, MONEY, PERCENT, COUNT, OWNER, DECISION = "date", "money", "pct", "n", "owner", "decision"

_CUES = {
    DATE: r"date|dates|when|deadline|due|eta|timeline|schedule\w*|launch\w*|release\w*|ship\w*|"
    r"start\w*|deliver\w*|by when|go[- ]live|kick-?off|cutover|until|next (?:call|meeting)",
    MONEY: r"price\w*|pricing|cost\w*|budget\w*|revenue\w*|spend\w*|fee\w*|salary|salaries|"
    r"comp|compensation|arr|mrr|deal|quote|invoice\w*|discount\w*|funding|raise|valuation|"
    r"\$|€|£|dollars?|euros?|k\b|m\b",
    PERCENT: r"%|percent\w*|rate|rates|churn|growth|margin\w*|conversion|retention|share|"
    r"discount\w*|increase|decrease|drop|uptime|utili[sz]ation",
    COUNT: r"how many|number of|headcount|count|hires?|seats|users|customers|accounts|"
    r"tickets|people|eng|engineers",
    OWNER: r"→|->|=>|owner|who|assign\w*|todo|to-do|action|follow[- ]?up|@\w+",
    DECISION: r"decision|decided|decide|agreed|agree|go with|chose|choose|pick\w*|vs\.?|or\b",
}
_CUE_RE = {
    kind: re.compile(rf"(?:(?<=\W)|^)(?:{pat})(?=\W|$)", re.I) for kind, pat in _CUES.items()
}

_WEEKDAYS = r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|tonight|today"
_MONTHS = r"january|february|march|april|may|june|july|august|september|october|november|december"
_DATE_WORDS = re.compile(
    rf"\b(?:{_WEEKDAYS}|{_MONTHS}|next (?:week|month|quarter|year)|end of (?:the )?\w+|"
    r"q[1-4]|(?:first|second|third|fourth) quarter|eod|eow)\b",
    re.I,
)
# "May" as a month only beside a number ("May 3", "the 3rd of May"): otherwise it is a verb.
_MAY_MONTH = re.compile(r"\b(?:\d{1,2}(?:st|nd|rd|th)?(?: of)? may|may \d{1,2})\b", re.I)


def holds_date(text: str) -> bool:
    """Does ``text`` say when: a weekday, a month, "next week", "end of the month", Q3 …"""
    found = [m.group(0).lower() for m in _DATE_WORDS.finditer(text)]
    return any(w != "may" for w in found) or bool(_MAY_MONTH.search(text))


_COMMITMENT = re.compile(
    r"\b(?:i|we|you|he|she|they)(?:'ll| will| can| am going to| are going to| is going to|"
    r"'m going to|'re going to| should| need to| have to)\b|\b(?:assign\w*|owns?|take care of|"
    r"on it|take (?:that|it|this))\b",
    re.I,
)
_DECIDED = re.compile(
    r"\b(?:let's|we'll go|go with|decided|decision|agreed|we agree|settle on|final answer|"
    r"approved|signed off|we will)\b",
    re.I,
)
_QUESTION_START = re.compile(
    r"^(?:so |and |but |okay |ok )?(?:what|when|where|who|whom|why|how|which|is|are|do|does|did|"
    r"can|could|would|will|should|have|has|any)\b",
    re.I,
)


def wanted_kinds(note: str) -> set[str]:
    """The kinds of fact a note line's words ask for (may be empty)."""
    text = f" {note} "
    kinds = {kind for kind, rx in _CUE_RE.items() if rx.search(text)}
    keys = normalise_quantities(note)
    # A note that already holds a quantity asks for what that quantity is about, not for
    # another one of the same kind; only bare cue words ask for a value.
    for key in keys:
        kinds.discard(key.split(":", 1)[0])
    if any(k.startswith(("money:", "pct:")) for k in keys):
        kinds.discard(COUNT)
    return kinds


def fact_kinds(sentence: str) -> set[str]:
    """The kinds of fact a sentence holds."""
    kinds = {key.split(":", 1)[0] for key in normalise_quantities(sentence)}
    if "q" in kinds or _DATE_WORDS.search(sentence):
        kinds.add(DATE)
    if kinds & {MONEY, PERCENT}:
        kinds.add(COUNT)
    if _COMMITMENT.search(sentence):
        kinds.add(OWNER)
    if _DECIDED.search(sentence):
        kinds.add(DECISION)
    return kinds


_TAG_QUESTION = re.compile(
    r",?\s*(?:right|yeah|yes|no|ok|okay|correct|true|isn't it|aren't they|don't you think|"
    r"wouldn't you say|you know|eh|huh)\s*\?$",
    re.I,
)


def is_question(text: str) -> bool:
    """A question, as spoken: ends with '?' or opens like one and is short. A statement with a
    tag ("we ship on Friday, right?") asks for confirmation and already holds its fact."""
    t = text.strip()
    if not t:
        return False
    if t.endswith("?"):
        return not (_TAG_QUESTION.search(t) and len(t.split()) > 4)
    return bool(_QUESTION_START.match(t)) and len(t.split()) <= 12 and not t.endswith(".")
