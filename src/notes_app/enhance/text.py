"""Text helpers shared by grounding and the offline enhancer.

- ``terms(text)``: the words that carry meaning (lower-case, stop words dropped, lightly
  stemmed) plus quantity keys from ``numbers.normalise_quantities`` — what lexical matching
  compares.
- ``clean_speech(text)``: spoken text without fillers ("um", "you know"), stutters ("the the")
  and false starts ("wh-"), so it reads like a note.
- ``sentences(text)`` / ``clauses(text)``: split spoken text for trimming to what is relevant.
"""

from __future__ import annotations

import re
from functools import lru_cache

from notes_app.enhance.numbers import normalise_quantities
from notes_app.textkit import STOPWORDS, stem  # their home; still importable from here

FILLER_WORDS = ("um", "uh", "uhm", "umm", "erm", "eh", "ehm", "hm", "hmm", "mm", "mhm", "ah")
FILLER_PHRASES = ("you know", "i mean", "sort of", "kind of")

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# "18", "2m" (of "4.2M"), "3rd", "9am": numbers, which the quantity keys stand for instead.
_NUMBER_TOKEN = re.compile(r"^\d+(?:k|m|mm|bn|b|st|nd|rd|th|s|am|pm|x)?$")
_TAG = re.compile(r"<[^>]{1,40}/?>")


def words(text: str) -> list[str]:
    return _TOKEN.findall(_TAG.sub(" ", text.lower()).replace("’", "'"))


# Abbreviations people type for days and months ("pricing → Sarah, Fri"); "sat", "sun",
# "mar" and "may" are left alone because they are also ordinary words.
ABBREVIATIONS = {
    "mon": "monday", "tue": "tuesday", "tues": "tuesday", "wed": "wednesday",
    "thu": "thursday", "thur": "thursday", "thurs": "thursday", "fri": "friday",
    "jan": "january", "feb": "february", "apr": "april", "jun": "june", "jul": "july",
    "aug": "august", "sep": "september", "sept": "september", "oct": "october",
    "nov": "november", "dec": "december",
}  # fmt: skip


def terms(text: str) -> list[str]:
    """Meaningful terms of ``text``: stemmed content words, then quantity keys."""
    return list(_terms(text))


@lru_cache(maxsize=1 << 16)  # the same lines and passages are read again and again
def _terms(text: str) -> tuple[str, ...]:
    out = [
        stem(ABBREVIATIONS.get(w, w))
        for w in words(text)
        if w not in STOPWORDS and len(w) > 1 and not _NUMBER_TOKEN.match(w)
    ]
    out.extend(sorted(normalise_quantities(text)))
    return tuple(out)


def is_quantity(term: str) -> bool:
    return ":" in term


# --- cleaning spoken text -----------------------------------------------------------------------

_FILLER_RE = re.compile(
    r",?\s*(?<![\w'-])(?:" + "|".join(FILLER_WORDS) + r")(?![\w'-]),?", re.IGNORECASE
)
_PHRASE_RE = re.compile(r",?\s*\b(?:" + "|".join(FILLER_PHRASES) + r")\b,?(?=\s|$)", re.IGNORECASE)
_FALSE_START = re.compile(r"(?<![\w-])\w{1,4}-,?(?=[\s.]|$)")
_REPEAT = re.compile(r"\b(\w+(?:\s\w+){0,2})(?:[,\s]+\1\b)+", re.IGNORECASE)


# How replies open before they say anything: "Sure,", "I agree,", "Yes, so", "Good question."
# Taken off the front of a line when more follows; "No" stays, it carries meaning.
_ACKNOWLEDGEMENT = re.compile(
    r"^(?:(?:(?:and|so|but|ok|okay|yeah|yes|yep|well|like|right)\b[,.!\s]*)"  # connectives
    r"|(?:(?:sure|absolutely|exactly|great|good|nice|excellent|wonderful|awesome|brilliant|"
    r"lovely|alright|all right|of course|definitely|totally|perfect|cool|fine|oh|ah|"
    r"i agree|i see|i think so|got it|makes sense|that makes sense|sounds good|"
    r"good question|great question|that's a good (?:question|point)|fair enough|thanks|thank you"
    r")\s*[,.!]+\s*))+(?=\S)",  # the rest only as a reply of their own: "Good." not "Good luck"
    re.IGNORECASE,
)


# Greetings and thanks that open a call or a turn: "Hi Sarah, thanks for joining."
_GREETING = re.compile(
    r"^(?:(?:hi|hello|hey|good (?:morning|afternoon|evening))\b[^.!?]{0,30}[.!?,]\s*"
    r"|(?:thanks|thank you)(?: \w+)? for (?:joining|coming|making (?:the )?time)"
    r"[^.!?]{0,30}[.!?]\s*"
    r"|(?:thanks|thank you),? (?:everyone|all|both)[.!?]\s*)+(?=\S)",
    re.IGNORECASE,
)


def clean_speech(text: str) -> str:
    """Spoken text as a reader would want it: no fillers, stutters or false starts."""
    t = _TAG.sub(" ", text)
    t = _FALSE_START.sub(" ", t)
    t = _FILLER_RE.sub(" ", t)
    t = _PHRASE_RE.sub("", t)
    for _ in range(2):  # "I, I, I would" needs two passes after fillers are gone
        t = _REPEAT.sub(r"\1", t)
    t = re.sub(r"\s+([,.;:!?])", r"\1", t)
    t = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", t)
    t = re.sub(r"\s{2,}", " ", t).strip(" ,;-")
    t = _GREETING.sub("", t.lstrip(" ,.;:!-"))
    t = _ACKNOWLEDGEMENT.sub("", t.lstrip(" ,.;:!-"))
    t = t.strip(" ,;-")
    if not re.search(r"\w", t):
        return ""
    return t[:1].upper() + t[1:]


def sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'\[(])", text.strip())
    return [p.strip() for p in parts if p.strip()]


_CLAUSE_BREAK = re.compile(r"(?<=[,;:])\s+|\s+(?=\b(?:but|because|so that|although|whereas)\b)")
# Recognised speech often has no commas: "About 350,000 a month with the cash in the bank that
# gives us 20 months of runway." Finer pieces also break before the words that join a second
# clause or a second fact on.
_FINE_BREAK = re.compile(
    r"(?<=[,;:])\s+|\s+(?=\b(?:but|because|so that|although|whereas|which|while|since|with|and)\b)"
)


def clauses(sentence: str, fine: bool = False) -> list[str]:
    """Split a long sentence at commas/semicolons and conjunctions into readable pieces
    (``fine``: also before "and", "with", "which", "while", "since")."""
    parts = (_FINE_BREAK if fine else _CLAUSE_BREAK).split(sentence)
    return [p.strip(" ,;") for p in parts if p.strip(" ,;")]


def shorten(text: str, max_words: int = 32) -> str:
    """At most ``max_words`` words, cut at a word boundary with an ellipsis."""
    ws = text.split()
    if len(ws) <= max_words:
        return text
    return " ".join(ws[:max_words]).rstrip(",;:") + "…"
