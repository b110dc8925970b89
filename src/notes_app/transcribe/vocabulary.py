"""The words a meeting is likely to use, taught to the recogniser before it listens.

What the user typed (the notes, the meeting's title and attendees) and their own glossary
(setting ``transcribe.vocabulary``) name the people, products, acronyms and figures the call is
about, which are exactly the words a small Whisper model mishears ("Raghunathan" as "Ragtas in").
They are handed to faster-whisper as ``hotwords``: text placed in the decoder's prompt for every
30-second window. (``initial_prompt`` helps as much on the first window, but faster-whisper
drops it after that unless earlier text is fed back, which we do not do, see engine.py.)

Whisper's prompt holds at most 223 tokens, so terms are ranked and cut to fit: the glossary
first (the user asked for those), then names, acronyms and figures, then other uncommon words,
most frequent first. Stop words and short common words are never worth their tokens.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

# faster-whisper keeps hotwords to max_length // 2 - 1 = 223 tokens; the estimate aims below.
HOTWORDS_TOKENS = 223
TOKEN_BUDGET = 210
LABEL = "Glossary:"

STOP_WORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing done down during each
    few for from further get got had has have having he her here hers him his how i if in into
    is it its itself just let like may me might more most must my no nor not now of off on once
    only or other our ours out over own please same shall she should so some such than that the
    their them then there these they this those through to too under until up upon us very was
    we were what when where which while who whom why will with would yes yet you your yours
    ok okay yeah well sure maybe really thing things stuff lot lots one two three next last
    new good great need needs want wants make makes made take takes today tomorrow yesterday
    week weeks month months year years day days time meeting call notes note todo re via per
    etc vs""".split()
)

# A word: letters/digits with inner apostrophes, dots, hyphens, ampersands ("O'Neil", "4.2M",
# "e-mail", "AT&T"); a figure may start with a currency sign and end with a percent sign.
_WORD = re.compile(r"[$€£]?[\w][\w'’.&-]*[\w%]|[$€£]?\d%?|\w")
_SENTENCE_START = re.compile(r"(^|[.!?\n]\s*|^\s*(?:[-*+#>]+|\d+[.)])\s+)$")


def approx_tokens(text: str) -> int:
    """A generous estimate of Whisper's token count (its BPE rarely uses more than this)."""
    count = 0
    for word in re.findall(r"\w+|[^\w\s]", text):
        count += 1 if len(word) <= 4 and word.isalpha() else 1 + len(word) // 3
    return count


def _is_special(word: str, at_start: bool) -> bool:
    """A name, an acronym, a product or a figure: the words a recogniser needs told."""
    letters = [c for c in word if c.isalpha()]
    if any(c.isdigit() for c in word):
        return bool(letters) or len(word) > 2 or not word.isdigit()  # "4.2M", "Q3", "18%"
    if len(letters) >= 2 and all(c.isupper() for c in letters):
        return True  # API, SSO, OKR
    if any(c.isupper() for c in word[1:]):
        return True  # iOS, OpenAI, McKenzie
    return word[0].isupper() and not at_start


def _words(text: str) -> list[tuple[str, bool, int, int]]:
    """(word, at the start of a sentence or line, start, end) for every word in ``text``."""
    found = []
    for match in _WORD.finditer(text):
        word = match.group().strip(".'’-")
        if not word:
            continue
        before = text[max(0, match.start() - 12) : match.start()]
        at_start = bool(_SENTENCE_START.search(before)) or match.start() == 0
        first = match.start() + match.group().index(word)
        found.append((word, at_start, first, first + len(word)))
    return found


def _capitalised(word: str) -> bool:
    return word[:1].isupper() and word.lower() not in STOP_WORDS


def _phrases(text: str) -> list[tuple[str, bool]]:
    """Words, with runs of capitalised words joined ("Priya Raghunathan"): such a run is a name
    even at the start of a line, where a single capitalised word may just be the first word."""
    words = _words(text)
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(words):
        j = i
        while (
            j + 1 < len(words)
            and _capitalised(words[j][0])
            and _capitalised(words[j + 1][0])
            and text[words[j][3] : words[j + 1][2]] == " "
        ):
            j += 1
        if j > i:
            out.append((text[words[i][2] : words[j][3]], False))
        else:
            out.append((words[i][0], words[i][1]))
        i = j + 1
    return out


def _terms_of(text: str) -> tuple[list[str], list[str]]:
    """Special words (names, acronyms, figures) and other uncommon words, each by frequency."""
    special: Counter[str] = Counter()
    plain: Counter[str] = Counter()
    forms: dict[str, str] = {}  # a plain word as typed: lower case if it ever was
    for word, at_start in _phrases(text):
        low = word.lower()
        if low in STOP_WORDS:
            continue
        if _is_special(word, at_start):
            special[word] += 1
        elif len(word) >= 4 and word.isalpha():
            plain[low] += 1
            if low not in forms or word == low:
                forms[low] = word
    # A capitalised word also seen in lower case is an ordinary word at a line's start.
    for word in [w for w in special if w[:1].isupper() and w[1:].islower()]:
        if word.lower() in plain:
            plain[word.lower()] += special.pop(word)
            forms[word.lower()] = word.lower()
    order = lambda counts: sorted(counts, key=lambda w: (-counts[w], -len(w)))  # noqa: E731
    return order(special), [forms[w] for w in order(plain)]


def build_vocabulary(
    *,
    notes: str = "",
    title: str = "",
    attendees: Iterable[str] = (),
    glossary: Iterable[str] | str = (),
    budget: int = TOKEN_BUDGET,
    count_tokens: Callable[[str], int] = approx_tokens,
) -> tuple[str, ...]:
    """The meeting's terms, most useful first, as many as fit in ``budget`` prompt tokens."""
    if isinstance(glossary, str):  # "a, b; c" from a settings file or the command line
        glossary = re.split(r"[,;\n]", glossary)
    ranked: list[str] = [g.strip() for g in glossary]
    ranked += [a.strip() for a in attendees]
    title_special, title_plain = _terms_of(title)
    notes_special, notes_plain = _terms_of(notes)
    ranked += title_special + notes_special + title_plain + notes_plain
    chosen: list[str] = []
    seen: set[str] = set()
    used = count_tokens(LABEL)
    for term in ranked:
        key = term.lower()
        if not term or key in seen or key in STOP_WORDS:
            continue
        cost = count_tokens(" " + term + ",")
        if used + cost > budget:
            continue  # a shorter term further down may still fit
        seen.add(key)
        chosen.append(term)
        used += cost
    return tuple(chosen)


def hotwords_text(terms: Sequence[str]) -> str | None:
    """What faster-whisper gets as ``hotwords``; None when there is nothing to teach."""
    terms = [t for t in terms if t.strip()]
    return f"{LABEL} {', '.join(terms)}." if terms else None


class LiveVocabulary:
    """The terms for a recording in progress, rebuilt when the notes change.

    ``set_meeting`` and ``set_notes`` may be called from any thread (the user types on the GUI
    thread); ``terms()`` is read by the transcriber before each utterance and only rebuilds when
    something changed.
    """

    def __init__(self, glossary: Iterable[str] | str = (), *, budget: int = TOKEN_BUDGET):
        self.glossary = glossary if isinstance(glossary, str) else tuple(glossary)
        self.budget = budget
        self._title = ""
        self._attendees: tuple[str, ...] = ()
        self._notes = ""
        self._terms: tuple[str, ...] | None = None
        self._lock = threading.Lock()

    def set_meeting(self, title: str, attendees: Iterable[str] = (), notes: str = "") -> None:
        meeting = (title, tuple(attendees), notes)
        with self._lock:
            if meeting != (self._title, self._attendees, self._notes):
                self._title, self._attendees, self._notes = meeting
                self._terms = None

    def set_notes(self, notes: str) -> None:
        with self._lock:
            if notes != self._notes:
                self._notes, self._terms = notes, None

    def terms(self) -> tuple[str, ...]:
        with self._lock:
            if self._terms is None:
                self._terms = build_vocabulary(
                    notes=self._notes,
                    title=self._title,
                    attendees=self._attendees,
                    glossary=self.glossary,
                    budget=self.budget,
                )
            return self._terms
