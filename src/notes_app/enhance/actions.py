"""Action items and decisions, found in what people said.

An action item is a commitment: "I'll send the deck by Friday", "can you check the numbers",
"Sarah will draft the announcement", "we need to book the venue". Its owner is the speaker
("I"), the person asked ("can you" → whoever answers, else the other side), a named person, or
"We". Its due date is the time phrase that goes with it ("by Friday", "next week", "June 15th").

Not every "let's …" is a commitment: meeting flow ("let's start with the numbers", "let's move
on to pricing", "we'll talk about that") is how people steer a call, not work to be done. A
request ("can you …", "please …") is owned by the person asked, and when that person accepts
("Yes, I will talk to finance on Monday") request and promise are one action item, worded as
the promise (it is the owner's own words, and usually carries the due date), citing both.

On long, many-party meetings most "I'll …" and "we should …" are talk, not tasks, so a
candidate must read like a task to be kept: fillers and dangling clause ends are trimmed ("…
with like other" → "…"), what is left needs an object of at least two content words ("add it
to my calendar" and "get quickly to the project" say too little), a "We" item needs a
deliverable or a time, and "let me …" is done during the meeting unless it has a time. A
request's owner is the person addressed ("[PERSON7], could you …"), else whoever answers yes,
else the next other speaker. At most ``MAX_ACTION_ITEMS`` are kept, the most concrete first
(a due date, a named owner, a deliverable), then shown in meeting order.

A decision is what the group settled on: "we decided …", "let's go with …", "agreed, …",
"we'll go with …".

Entry points: ``find_action_items(transcript)`` and ``find_decisions(transcript)``, each
returning ``Finding``s in meeting order, deduplicated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from notes_app.domain import ME, THEM, Segment, Transcript
from notes_app.enhance.action_wording import has_deliverable, says_enough, trim_task
from notes_app.enhance.text import STOPWORDS, clean_speech, sentences, shorten, terms
from notes_app.textkit import NOT_NAMES as _NOT_NAMES
from notes_app.textkit import speaker_label  # its home; prompts and offline import it from here

ACTION_VERBS = (
    "send share write draft prepare check contact call email mail follow set schedule book "
    "review update fix look finish submit organise organize invite ask talk reach circulate "
    "create make put add run test ship release deploy move merge sign fill register read "
    "compile collect find get do handle take start implement confirm announce present "
    "document publish upload forward arrange plan investigate sort cover double clean "
    "finalise finalize prepare translate build discuss"
).split()
_VERB = r"(?:" + "|".join(ACTION_VERBS) + r")\w*"
_NAME = r"(?:\[[A-Z]+\d*\]|[A-Z][a-z]+)"
_LEAD = r"(?:(?:also|then|just|quickly|maybe|try(?:ing)? to)\s+)*"  # "I'll also try to send"

# (pattern, owner rule): "self" = the speaker, "other" = the person asked, "we", or "name".
_COMMITMENTS = [
    (re.compile(r"\b(?:I'll|I will|I'm going to|I am going to|I can|let me)\s+" + _LEAD
                + r"(?P<what>" + _VERB + r"\b.*)", re.I), "self"),
    (re.compile(r"\b(?:we'll|we will|we're going to|we are going to|we need to|we should|"
                r"we have to|let's)\s+" + _LEAD + r"(?P<what>" + _VERB + r"\b.*)", re.I), "we"),
    (re.compile(r"\b(?:can|could|would) you(?: please)?\s+" + _LEAD + r"(?P<what>" + _VERB
                + r"\b.*)", re.I), "other"),
    (re.compile(r"\bplease\s+" + _LEAD + r"(?P<what>" + _VERB + r"\b.*)", re.I), "other"),
    (re.compile(r"(?P<name>" + _NAME + r")\s+(?:will|is going to|'ll|can)\s+" + _LEAD
                + r"(?P<what>" + _VERB + r"\b.*)"), "name"),
]  # fmt: skip

# Phrases that steer the meeting itself; never an action item.
_FLOW = re.compile(
    r"^(?:(?:get |kick )?start(?:ed)?(?: off)?(?: (?:with|by|on)\b|$)|begin(?: (?:with|by)\b|$)|"
    r"kick off\b|get started\b|get going\b|move on\b|moving on\b|move (?:on )?to (?:the )?next\b|"
    r"go on\b|continue(?: with)?\b|turn to\b|switch to\b|come back to\b|get back to\b|"
    r"wrap (?:up|things up|it up)\b|finish up\b|recap\b|close (?:the|this) (?:call|meeting)\b)",
    re.I,
)
# A sentence that moves the meeting to a topic ("Let's start with the numbers", "Next topic is
# pricing", "Moving on to hiring"): it says where a topic was raised, not what about it.
TRANSITION = re.compile(
    r"^\W*(?:(?:so|okay|ok|now|alright|all right|right|and|then|well)\W+)*"
    r"(?:(?:let'?s|let us|we(?:'ll| will| can| should)?|i(?:'d| would)? like to|i want to)\s+)?"
    r"(?:" + _FLOW.pattern[1:] + r"|(?:the )?next (?:topic|item|point|thing|one|up)\b|"
    r"(?:the )?(?:first|last|final) (?:topic|item|point)\b|on to\b|onto\b)",
    re.I,
)
# Steering phrases that become follow-ups only with a time ("let's discuss it on Monday").
_FLOW_UNLESS_DUE = re.compile(
    r"^(?:talk about|discuss|look at|go (?:through|over)|take a look at|review the agenda)\b", re.I
)
_WH_QUESTION = re.compile(r"^\W*(?:what|which|how|why|when|where|who|whose)\b", re.I)
_CAN_DO = re.compile(r"\b(?:can|could)\s+(?:\w+\s+)?do\b", re.I)
_ACCEPT = re.compile(
    r"^\W*(?:yes|yeah|yep|sure|ok|okay|of course|absolutely|will do|no problem)\b", re.I
)
REPLY_WINDOW = 3  # segments after a request in which its answer is looked for
MAX_ACTION_ITEMS = 8  # a long meeting's list stays readable; the most concrete are kept
_PROMISE = re.compile(r"\bI(?:'ll| will| can| am going to|'m going to)\b", re.I)

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
    """An action item or decision; ``segment`` is the position of the segment it was said in.

    ``also`` holds the positions of other segments that belong to it (the request a promise
    answers); ``rule`` says how an action item was found: "self", "we", "other" (a request),
    or "name".
    """

    text: str
    segment: int
    owner: str | None = None
    due: str | None = None
    also: tuple[int, ...] = ()
    rule: str | None = None
    what: str = ""

    @property
    def segments(self) -> tuple[int, ...]:
        """Every segment the finding cites, in time order."""
        return tuple(sorted({self.segment, *self.also}))


def find_action_items(transcript: Transcript) -> list[Finding]:
    segs = transcript.segments
    speakers = frozenset(s.speaker for s in segs if s.speaker and s.speaker not in (ME, THEM))
    found = []
    for k, seg in enumerate(segs):
        for sentence in sentences(clean_speech(seg.text)):
            item = _commitment(sentence, seg, k, _answerer(segs, k, speakers), speakers)
            if item:
                found.append(item)
    return most_concrete(dedupe(merge_accepted_requests(found, segs)))


def most_concrete(findings: list[Finding], limit: int = MAX_ACTION_ITEMS) -> list[Finding]:
    """At most ``limit`` items, those with a due date, a named owner and a deliverable first;
    returned in meeting order."""
    ranked = sorted(enumerate(findings), key=lambda pair: (-_concreteness(pair[1]), pair[0]))
    return [f for _, f in sorted(ranked[:limit], key=lambda pair: pair[0])]


def _concreteness(f: Finding) -> int:
    return (
        2 * (f.due is not None)
        + (f.owner not in (None, "We"))
        + (f.rule == "name" or bool(f.also))
        + has_deliverable(f.what)
    )


def merge_accepted_requests(findings: list[Finding], segs: tuple[Segment, ...]) -> list[Finding]:
    """A request followed by the asked person's promise is one action: keep the promise's
    words (the owner's own, usually with the due date), the request's due date if the promise
    has none, and cite both."""
    out: list[Finding] = []
    merged: set[int] = set()  # ids of promises already folded into a request
    for f in findings:
        if id(f) in merged:
            continue
        if f.rule != "other":
            out.append(f)
            continue
        reply = _accepting_reply(f, findings, segs)
        if reply is None:
            out.append(f)
            continue
        merged.add(id(reply))
        text, due = reply.text, reply.due
        if due is None and f.due:
            text, due = f"{text} ({f.due})", f.due
        out.append(
            Finding(text, reply.segment, reply.owner, due, (f.segment,), reply.rule, reply.what)
        )
    return out


def _accepting_reply(
    request: Finding, findings: list[Finding], segs: tuple[Segment, ...]
) -> Finding | None:
    """The promise that answers ``request``: said soon after, by someone other than the asker,
    as "I will …", and about the same thing (shared words) or opening with a yes."""
    asker = segs[request.segment].speaker
    asked = set(terms(request.what))
    for f in findings:
        if not request.segment < f.segment <= request.segment + REPLY_WINDOW:
            continue
        if f.rule != "self" or segs[f.segment].speaker == asker:
            continue
        if request.owner and f.owner != request.owner:
            continue
        if asked & set(terms(f.what)) or _ACCEPT.match(segs[f.segment].text):
            return f
    return None


def find_decisions(transcript: Transcript) -> list[Finding]:
    found = []
    for pos, seg in enumerate(transcript.segments):
        for sentence in sentences(clean_speech(seg.text)):
            if _DECISIONS.search(sentence) and len(terms(sentence)) >= 2:
                text = shorten(_strip_end(sentence), 30)
                found.append(Finding(_with_speaker(seg, text), pos))
    return dedupe(found)


def _commitment(
    sentence: str, seg: Segment, pos: int, answerer: str | None, speakers: frozenset[str]
) -> Finding | None:
    if sentence.rstrip().endswith("?") and not re.search(
        r"\b(can|could|would) you\b", sentence, re.I
    ):
        return None  # "shall we send it?" is not yet a commitment
    if _WH_QUESTION.match(sentence) and sentence.rstrip().endswith("?"):
        return None  # "What discount can you do?" asks for an answer, not for a task
    for pattern, rule in _COMMITMENTS:
        m = pattern.search(sentence)
        if not m or re.search(r"\bwhat\W*$", sentence[: m.start()], re.I):
            continue  # "what I can do is …" introduces an idea, not a promise
        if rule == "name" and not _is_name(m.group("name")):
            continue  # "It will take a while" names nobody
        said = _strip_end(m.group("what"))
        due_match = _DUE.search(said)
        due = due_match.group(0) if due_match else None
        if _FLOW.match(said) or (due is None and _FLOW_UNLESS_DUE.match(said)):
            return None  # "let's start with the numbers" steers the meeting
        if due is None and sentence[m.start() :].lower().startswith("let me"):
            continue  # "let me check [PROJECT2]" is done during the call
        if _CAN_DO.search(sentence[m.start() :]) and said.lower().startswith("do "):
            continue  # "I can do twelve percent", "we can do Tuesday": an offer, not a task
        what = trim_task(said)
        if due and due not in what:
            what = f"{what} {due}"
        if not says_enough(what, speakers):
            continue  # "I can do that", "add it to my calendar" say too little to act on
        if rule == "we" and due is None and not has_deliverable(what):
            continue  # "we should make it simpler" is a wish, not a task
        owner = _owner(rule, m, sentence, seg, answerer)
        text = f"{owner}: {shorten(what, 24)}"
        return Finding(text, pos, owner, due, rule=rule, what=what)
    return None


def _owner(rule: str, m: re.Match, sentence: str, seg: Segment, answerer: str | None) -> str:
    if rule == "self":
        return speaker_label(seg.speaker) or "Speaker"
    if rule == "other":
        return (
            _addressee(sentence, m.start(), seg.speaker)
            or answerer
            or ("Them" if seg.speaker == ME else "You" if seg.speaker == THEM else "Them")
        )
    if rule == "name":
        return _plain_name(m.group("name"))
    return "We"


def _addressee(sentence: str, request_at: int, asker: str | None) -> str | None:
    """The person a request is addressed to: "[PERSON7], could you …", "Priya, please …",
    "please send it, Priya"."""
    before = re.search(r"(" + _NAME + r")\W*$", sentence[:request_at])
    after = re.search(r",\s*(" + _NAME + r")\W*$", sentence[request_at:])
    for m in (before, after):
        if m and _is_name(m.group(1)) and _plain_name(m.group(1)) != asker:
            return _plain_name(m.group(1))
    return None


def _answerer(segs: tuple[Segment, ...], k: int, speakers: frozenset[str]) -> str | None:
    """Who takes on a request: the first other speaker who accepts it ("yes", "sure", "I'll
    …") within the reply window; else, among named speakers, whom the asker was just talking
    to or about; else the next other speaker."""
    here = segs[k].speaker
    others = [s for s in segs[k + 1 : k + 1 + REPLY_WINDOW] if s.speaker and s.speaker != here]
    for seg in others:
        if _ACCEPT.match(seg.text) or _PROMISE.search(seg.text):
            return speaker_label(seg.speaker)
    if here in speakers:
        recent = _talking_to(segs, k, speakers)
        if recent:
            return recent
    return speaker_label(others[0].speaker) if others else None


def _talking_to(segs: tuple[Segment, ...], k: int, speakers: frozenset[str]) -> str | None:
    """Going back from a request: the last person the asker named ("as soon as [PERSON7] has
    the evaluations … please create …"), or the person who spoke just before (a request
    answers what they said)."""
    here = segs[k].speaker
    for seg in reversed(segs[max(0, k - REPLY_WINDOW) : k + 1]):
        if seg.speaker != here:
            return speaker_label(seg.speaker) if seg.speaker in speakers else None
        named = [
            _plain_name(n)
            for n in re.findall(_NAME, seg.text)
            if _plain_name(n) in speakers - {here} or n.startswith("[PERSON")
        ]
        if named:
            return named[-1]
    return None


def _is_name(word: str) -> bool:
    return word.startswith("[") or word.lower() not in _NOT_NAMES | STOPWORDS


def _plain_name(word: str) -> str:
    """A name as the transcript labels its speaker: "[PERSON7]" → "PERSON7"."""
    return word.strip("[]")


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
