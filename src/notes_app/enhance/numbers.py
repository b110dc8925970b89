"""Quantities in speech and in notes, reduced to one canonical form so they can meet.

People type "4.2M", "18%", "$30k", "Q3"; speech recognition writes "four point two million",
"eighteen percent", "thirty thousand dollars", "third quarter". ``normalise_quantities`` turns
either side into the same keys:

    n:4200000      a number (any amount, percentage or count)
    pct:18         a percentage
    money:30000    an amount of money
    q:3            a quarter of the year
    dur:3:week     a duration
    date:6-15      a day of a month (month-day)

Entry points: ``normalise_quantities(text) -> set[str]`` and ``spell_out_numbers(text) -> str``
(number words turned into digits, everything else kept).
"""

from __future__ import annotations

import re

UNITS = {
    "zero": 0, "oh": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
ORDINALS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}  # fmt: skip
_MONTH_NAMES = (
    "january february march april may june july august september october november december"
)
MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES.split())}
MONTH_ABBR = {m[:3]: i for m, i in MONTHS.items()} | {"sept": 9}
SUFFIX_SCALE = {"k": 1_000, "m": 1_000_000, "mm": 1_000_000, "mio": 1_000_000, "bn": 1e9, "b": 1e9}
DURATION_UNITS = ("minute", "hour", "day", "week", "month", "year", "sprint")
CURRENCY_WORDS = r"dollars?|bucks|usd|euros?|eur|pounds?|gbp"

_WORD = re.compile(r"[a-z]+(?:-[a-z]+)?|\d[\d,]*(?:\.\d+)?|\S")
_NUMBER_WORDS = set(UNITS) | set(TENS) | set(SCALES) | set(ORDINALS)


def format_number(value: float) -> str:
    """4200000.0 -> "4200000", 4.25 -> "4.25": one spelling per value."""
    if abs(value - round(value)) < 1e-9:
        return str(int(round(value)))
    return f"{value:.6f}".rstrip("0").rstrip(".")


def _word_value(words: list[str]) -> float | None:
    """The value of a run of number words ("four point two million"), or None."""
    total, current, decimals, seen = 0.0, 0.0, None, False
    for w in words:
        if w == "point":
            decimals = ""
            continue
        if decimals is not None and w in UNITS:
            decimals += str(UNITS[w])
            continue
        if decimals:
            current = float(f"{int(current)}.{decimals}")
            decimals = None
        if w in UNITS or w in ORDINALS:
            current += UNITS.get(w, ORDINALS.get(w, 0))
        elif w in TENS:
            current += TENS[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in SCALES:
            total += (current or 1) * SCALES[w]
            current = 0
        seen = True
    if decimals:
        current = float(f"{int(current)}.{decimals}")
    return total + current if seen else None


def spell_out_numbers(text: str) -> str:
    """Lower-case ``text`` with number words written as digits ("thirty thousand" -> "30000").

    Hyphenated tens ("twenty-five") and "a hundred"/"a million" are understood; "one" alone is
    kept as a word because it is far more often a pronoun than a count.
    """
    tokens = _WORD.findall(text.lower())
    out: list[str] = []
    i = 0
    while i < len(tokens):
        run, j = _number_run(tokens, i)
        if run:
            value = _word_value(run)
            after_digits = bool(out) and out[-1][:1].isdigit() and run[0] in SCALES
            if value is not None and run != ["one"] and not after_digits:
                if out and out[-1] == "a" and run[0] in SCALES:
                    out.pop()
                out.append(format_number(value))
                if run[-1] in ORDINALS:
                    out.append("th")
                i = j
                continue
        out.append(tokens[i])
        i += 1
    return " ".join(out)


def _number_run(tokens: list[str], i: int) -> tuple[list[str], int]:
    run: list[str] = []
    j = i
    while j < len(tokens):
        parts = tokens[j].split("-")
        if all(p in _NUMBER_WORDS for p in parts):
            run.extend(parts)
        elif tokens[j] == "point" and run and j + 1 < len(tokens) and tokens[j + 1] in UNITS:
            run.append("point")
        elif tokens[j] == "and" and run and j + 1 < len(tokens) and tokens[j + 1] in _NUMBER_WORDS:
            pass  # "two hundred and fifty"
        else:
            break
        j += 1
    return run, j


_NUM = r"(\d[\d,]*(?:\.\d+)?)"
_AMOUNT = re.compile(
    r"(?P<cur>[$€£])?\s?" + _NUM + r"\s?(?P<suffix>mio|mm|bn|k|m|b)?(?![a-z])"
    r"(?:\s(?P<scale>thousand|million|billion))?"
    r"(?:\s?(?P<pct>%|percent|per cent))?"
    r"(?:\s(?P<curword>" + CURRENCY_WORDS + r"))?"
)
_QUARTER = re.compile(
    r"\bq\s?([1-4])\b|\b([1-4])\s?(?:th|st|nd|rd)?\s(?:quarter)\b|\bquarter\s([1-4])\b"
)
_DURATION = re.compile(r"\b(\d+(?:\.\d+)?)\s(" + "|".join(DURATION_UNITS) + r")s?\b")
_MONTH = r"(" + "|".join(list(MONTHS) + list(MONTH_ABBR)) + r")\.?"
_DAY = r"(\d{1,2})\s?(?:st|nd|rd|th)?"
_DATE_DM = re.compile(r"\b" + _DAY + r"\s(?:of\s)?" + _MONTH + r"\b")
_DATE_MD = re.compile(r"\b" + _MONTH + r"\s(?:the\s)?" + _DAY + r"\b")


def _to_float(digits: str) -> float | None:
    # "30,000" is thirty thousand; a comma not followed by three digits is a decimal comma.
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", digits):
        digits = digits.replace(",", "")
    else:
        digits = digits.replace(",", ".")
    try:
        return float(digits)
    except ValueError:
        return None


def _canonical(text: str) -> str:
    text = spell_out_numbers(text)
    # Re-join what the tokeniser split: "$ 30 k" -> "$30 k", "18 %" stays matchable.
    return re.sub(r"([$€£]) (?=\d)", r"\1", text)


def normalise_quantities(text: str) -> set[str]:
    """Canonical keys for every quantity in ``text`` (see the module doc for the forms)."""
    canon = _canonical(text)
    keys: set[str] = set()
    for m in _AMOUNT.finditer(canon):
        value = _to_float(m.group(2))
        if value is None:
            continue
        scale = SUFFIX_SCALE.get(m.group("suffix") or "", 1) * SCALES.get(m.group("scale") or "", 1)
        value *= scale
        keys.add(f"n:{format_number(value)}")
        if m.group("pct"):
            keys.add(f"pct:{format_number(value)}")
        if m.group("cur") or m.group("curword"):
            keys.add(f"money:{format_number(value)}")
    for m in _QUARTER.finditer(canon):
        keys.add(f"q:{next(g for g in m.groups() if g)}")
    for m in _DURATION.finditer(canon):
        keys.add(f"dur:{format_number(float(m.group(1)))}:{m.group(2)}")
    for m in _DATE_DM.finditer(canon):
        keys.add(f"date:{_month(m.group(2))}-{int(m.group(1))}")
    for m in _DATE_MD.finditer(canon):
        keys.add(f"date:{_month(m.group(1))}-{int(m.group(2))}")
    return keys


def _month(name: str) -> int:
    return MONTHS.get(name, MONTH_ABBR.get(name[:4], MONTH_ABBR.get(name[:3], 0)))
