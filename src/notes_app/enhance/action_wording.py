"""Is a spoken commitment worded like a task? Trim it to one, or say it is not one.

Spoken tasks trail off ("prepare for the Wednesday call with, like, other"), carry fillers
("get us also some of the delay scores") and run on into the next thought ("take a record
here, so [PERSON7] will do this"). ``trim_task`` keeps the task and drops the rest;
``says_enough`` asks for a verb with an object of at least two content words, so "add it to my
calendar" or "get quickly to the project" are not tasks; ``has_deliverable`` tells a thing one
can hand over (a paper, a list, the slides) from a vague plan.
"""

from __future__ import annotations

import re

from notes_app.enhance.text import is_quantity, stem, terms

# A new thought starts here: after a comma, a discourse marker or a new subject
# ("…, so [PERSON7] will", "…, or we should", "…and maybe we can", "…actually it is more").
_CLAUSE_BREAK = re.compile(
    r"(?:,\s*(?:so|but|or|if|whether|which|because|yeah|and)\b|"
    r"\s+(?:so|but|because|although|whereas|and then|and maybe)\b|"
    r"\s+(?:if|then|when) (?:we|you|I|they|he|she|it)\b|\s+and (?:should|will|would|can|must)\b|"
    r"\s+(?:I|we|you|they)'(?:ll|re|m)\b|"
    r"\s+(?:or|and) (?:we|you|I|they|whose|who|maybe)\b|"
    r"\s+actually (?:it|this|that|we|you|I|they)\b|"
    r"\s+(?:we|you|I|they) (?:will|can|could|should|would|have|need|are|were|must)\b)",
    re.I,
)
# Words that carry nothing inside a task; "like" stays after "look/feel/seem".
_INLINE_FILLER = re.compile(
    r"(?<!look )(?<!feel )(?<!seem )\b(?:like|actually|basically|anyway|really|just|also|"
    r"maybe|probably|you know|I mean|I think|I guess|kind of|sort of)\b,?\s*",
    re.I,
)
# A task does not end on these: they promise words that never came.
_DANGLING = frozenset(
    """a an the and or but so to of for with about on in at by from as into onto if that this
    these those which whose who whom like other others more is are was were be it's its some any
    my your our their his her you we i they then also maybe very really actually anyway yeah yes
    okay ok well where when what how because than whether not""".split()
)
# "do, open, make open access to …": the speaker restarted the verb; keep the last try.
_FALSE_START_VERBS = re.compile(r"^(?:\w+,\s+)+(?=\w+\s)")
_PERSON = re.compile(r"\[PERSON\d*\]")

# Objects too vague to act on ("the project", "my calendar", "somehow"), adverbs included.
VAGUE = frozenset(
    stem(w)
    for w in """project part calendar record note notes time somehow someone somebody anyone
    anybody everybody everyone everything anyway people work stuff bit point idea question mind
    look quick quickly directly immediately finally hopefully definitely probably possibly
    actual actually basically certainly soon first last next fine""".split()
)
# Verbs whose object may be a person alone: "contact [PERSON5]" is a task.
_CONTACT_VERBS = ("contact", "email", "mail", "call", "ask", "invite", "talk", "write", "reach")

# Things one can hand over or hold: what makes a "We …" plan concrete.
DELIVERABLES = frozenset(
    stem(w)
    for w in """paper article book chapter document doc email mail draft report slides slide deck
    website webpage page link list proposal quote questionnaire budget contract demo test script
    tool venue invitation agenda minutes summary table tables scores results deliverable abstract
    form file files data dataset release version code model presentation poster invoice ticket
    announcement workshop committee reference references letter checklist notes
    review reviews submission survey schedule""".split()
)


def trim_task(what: str) -> str:
    """The task without the clause it runs on into, fillers or a dangling last word."""
    what = _CLAUSE_BREAK.split(what, maxsplit=1)[0]
    what = _FALSE_START_VERBS.sub("", what)
    what = _INLINE_FILLER.sub("", what)
    ws = re.sub(r"\s*,\s*(?=,|$)", "", what).split()
    while ws and ws[-1].lower().strip(",;:-…") in _DANGLING | {""}:
        ws.pop()
    return " ".join(ws).strip(" ,;:-…")


def says_enough(what: str, speakers: frozenset[str] = frozenset()) -> bool:
    """A verb and an object of at least two content words (people aside),
    or a contact verb and the person to contact."""
    verb, _, rest = what.partition(" ")
    names = _PERSON.findall(rest) + [s for s in speakers if re.search(rf"\b{re.escape(s)}\b", rest)]
    for name in names:
        rest = rest.replace(name, " ")
    content = [t for t in terms(rest) if t not in VAGUE and not is_quantity(t)]
    if len(content) >= 2:
        return True
    # "ask [PERSON5]" is a task, "ask you [PERSON4] and [PERSON2]" announces one.
    addressed_to_listener = re.match(r"(?:to\s+)?you\b", rest.strip(), re.I)
    return bool(names) and verb.lower().startswith(_CONTACT_VERBS) and not addressed_to_listener


def has_deliverable(what: str) -> bool:
    """Whether the object (not the verb: "call it …") names a thing to hand over."""
    return any(t in DELIVERABLES for t in terms(what.partition(" ")[2]))
