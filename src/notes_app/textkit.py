"""Words as every stage compares them: stop words, a light stemmer, BM25 scoring, the words
that are never a person's name, and what the two sides of a call are called.

At the bottom of the stage order: every stage may import it; of ours it imports only domain.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from notes_app.domain import ME, THEM

# Function words, fillers and talk that carries no topic, in notes and in speech alike.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each few for from further had hadn't has hasn't have haven't
    having he he'd he'll he's her here here's hers herself him himself his how how's i i'd i'll
    i'm i've if in into is isn't it it's its itself just let's me more most mustn't my myself no
    nor not of off on once only or other ought our ours ourselves out over own same shan't she
    she'd she'll she's should shouldn't so some such than that that's the their theirs them
    themselves then there there's these they they'd they'll they're they've this those through to
    too under until up very was wasn't we we'd we'll we're we've were weren't what what's when
    when's where where's which while who who's whom why why's with won't would wouldn't you you'd
    you'll you're you've your yours yourself yourselves yes yeah yep ok okay oh um uh uhm erm eh
    hm hmm mm mhm ah like well right so really actually basically just maybe think know mean
    guess got get gets go going gonna wanna thing things something anything lot lots kind sort
    will shall may might must one two also there's thats dont im ive youre gonna said say says
    saying want need able sure good yes no now then still even already much many way""".split()
)

# Question boilerplate: "what did X say about Y" is about Y. Dropping these is most of what
# makes recall work for questions (and what makes a meeting's top terms say something).
QUESTION_WORDS = frozenset(
    """us let else ever done thought tell told discuss discussed discussion talk talked talking
    meeting meetings mention mentioned summarize summary opinion opinions whether everything group
    team decide decided decision give gave question questions answer answers regarding""".split()
)

# What a word tokeniser leaves of a contraction ("didn't" -> "didn", "t"; "we'll" -> "we", "ll").
# Not "won" or "don": those are words and names as well.
CONTRACTION_PARTS = frozenset(
    "didn doesn isn wasn aren weren wouldn couldn shouldn hasn haven hadn mustn needn shan "
    "ll ve re t s d m".split()
)

QUERY_STOPWORDS = STOPWORDS | QUESTION_WORDS | CONTRACTION_PARTS

# Words that open a label or a stage direction rather than a speaker's name: "Note: …",
# "(Laughter)". Pronouns are not among them: "You:" and "Them:" can label a speaker.
LABEL_WORDS = frozenset(
    """action actions agenda answer applause attendees background budget conclusion context
    coughs crosstalk date deadline decision decisions due edit email example fyi fwd goal goals
    http https idea ideas important inaudible issue item laughs laughter link location mailto
    meeting minutes music nb next noise note notes option outcome owner part pause phone point
    problem ps p.s. question recap re reminder result results risk risks section sighs silence
    solution source status step subject summary tel the time tip title todo to-do topic total
    transcript unintelligible update updates url warning when where""".split()
)

# Capitalised words in a sentence that are never a person's name: labels, words that open a
# sentence ("Please send …", "We agreed …") and what models like to add ("TBD", "AI").
NOT_NAMES = LABEL_WORDS | frozenset(
    """please hi hello hey guys everyone everybody team and but so then now also could can would
    he she it this that there they we you i nobody somebody someone i'm i'll i've i'd ai ok okay
    tbd n/a q&a faq me us a an""".split()
)


def speaker_label(speaker: str | None, names: Mapping[str, str] | None = None) -> str | None:
    """How a speaker is named in the notes: "You" for me (the mic), "Them" for the other side
    (the system audio); a name as it is; None when unknown. ``names`` says who a side is where
    the meeting knows (``speaker_names``): "Sarah" for "them" in a call with her alone."""
    if names and speaker and speaker in names:
        return names[speaker]
    if speaker == ME:
        return "You"
    if speaker == THEM:
        return "Them"
    return speaker or None


def speaker_names(attendees: Sequence[str]) -> dict[str, str]:
    """Who a side of the call is, where the meeting says: "them" → the one other attendee's
    name when the meeting had exactly one (with more, nobody knows who spoke when)."""
    people = [a.strip() for a in attendees if a and a.strip()]
    return {THEM: people[0]} if len(people) == 1 else {}


def stem(word: str) -> str:
    """A light suffix stripper: enough to meet "reviews"/"review", "planning"/"plan"."""
    w = word
    if len(w) <= 3 or not w.isalpha():
        return w
    for suffix, repl, min_len in (
        ("ies", "y", 5),
        ("sses", "ss", 5),
        ("ness", "", 7),
        ("ments", "", 8),
        ("ment", "", 7),
        ("ings", "", 6),
        ("ing", "", 6),
        ("edly", "", 7),
        ("ed", "", 5),
        ("ly", "", 6),
        ("es", "", 6),
        ("s", "", 4),
    ):
        if w.endswith(suffix) and len(w) >= min_len:
            if suffix == "s" and w.endswith(("ss", "us", "is")):
                return w
            w = w[: len(w) - len(suffix)] + repl
            break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
        w = w[:-1]  # "planned" -> "plann" -> "plan"
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]  # "price" and "pricing" both become "pric"
    return w


# --- BM25 ---------------------------------------------------------------------------------------

K1, B = 1.2, 0.75


def bm25_idf(docs: int, with_term: int) -> float:
    """How rare a term is among ``docs`` documents, ``with_term`` of which hold it."""
    return math.log(1 + (docs - with_term + 0.5) / (with_term + 0.5))


def bm25_norm(length: Any, avg_length: float) -> Any:
    """The length normalisation of a document (or, given an array, of each)."""
    return K1 * (1 - B + B * length / avg_length)


def bm25_weight(idf: float, tf: Any, norm: Any) -> Any:
    """One term's contribution to a document's score (arrays work too)."""
    return idf * tf * (K1 + 1) / (tf + norm)


def bm25(query: Collection[str], docs: Sequence[Sequence[str]]) -> list[float]:
    """The BM25 score of each document (a list of terms) for ``query``; any term counts."""
    n = len(docs)
    if n == 0:
        return []
    avg = sum(len(d) for d in docs) / n or 1.0
    df = Counter(t for d in docs for t in set(d) if t in query)
    idf = {t: bm25_idf(n, df[t]) for t in set(query)}
    out = []
    for d in docs:
        tf = Counter(d)
        norm = bm25_norm(len(d), avg)
        out.append(sum(bm25_weight(idf[t], tf[t], norm) for t in idf if tf[t]))
    return out
