"""Enhancement with a choice of engine: an LLM, the offline enhancer, or whichever is available.

``enhance`` is what the command line and the window call. The LLM mode is evidence-first:

1. the offline enhancer runs first and picks, for every note line, the transcript segments that
   ground it (and the segments behind its action items and decisions);
2. each note line that got context becomes a task: the note plus its evidence (those segments,
   in full, with who said them, and the question just before them when another speaker asked
   one); a few tasks go to the model per request, which writes one line of context per note;
3. each line is checked (``checks``): one that brings a number, name or date its evidence does
   not contain keeps the offline text, and so does every line of a reply that failed the checks
   beyond ``checks.GUARD_THRESHOLD``; the user is told in one line how many fell back.

The user's lines are copied from the notes, never from the model, so they stay verbatim and in
order; an AI line cites its evidence, so citations are right by construction; lines with no
offline context get none; action items and decisions come after all of the user's lines.
Lines stream to ``on_block`` in order as they are written. Nothing is stored here: the caller
stores the result, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from notes_app.domain import (
    THEM,
    Block,
    Citation,
    EnhancedNotes,
    Meeting,
    Segment,
    Transcript,
)
from notes_app.enhance import checks, prompts
from notes_app.enhance.lenient_json import JSONNotFound, loads_lenient, scan_array_objects
from notes_app.enhance.llm import ChatReply, LLMClient
from notes_app.enhance.notes_parse import (
    NoteLine,
    agenda_line_numbers,
    is_section_label,
    parse_notes,
    section_context,
)
from notes_app.enhance.offline import enhance_offline, user_block
from notes_app.enhance.templates import Template, load_template
from notes_app.errors import ConfigError, LLMError
from notes_app.textkit import speaker_names

log = logging.getLogger(__name__)

MODES = ("auto", "llm", "offline")
FALLBACKS = (None, "offline")
# Notes per request, and the prompt size a batch stays under. One note per request: given
# several, a small local model (Qwen2.5 1.5B on llama.cpp) carried one note's facts into another
# note's line and failed the checks on 13 of 13 lines of the demo meeting; one at a time it
# wrote 8 of 13, and the server reuses the shared system prompt, so each request stays short.
BATCH_SIZE = 1
BATCH_PROMPT_TOKENS = 1100
_SECTION_KINDS = {"action items": prompts.ACTION, "decisions": prompts.DECISION}

OnBlock = Callable[[Block], None]
OnProgress = Callable[..., None]


@dataclass(frozen=True)
class BatchReport:
    """What became of one request's lines (for ``on_checked``, benchmarks and logs)."""

    number: int
    lines: int  # tasks in the request
    written: int  # lines whose model text was kept
    reasons: tuple[str, ...] = ()  # why the others kept the offline text
    guard_tripped: bool = False

    @property
    def fell_back(self) -> int:
        return self.lines - self.written


OnChecked = Callable[[BatchReport], None]


def llm_configured(llm_settings: Any) -> bool:
    return bool(llm_settings.base_url and llm_settings.model)


def choose_mode(mode: str | None, llm_settings: Any) -> str:
    """Return "llm" or "offline": ``auto`` means the LLM when one is configured."""
    mode = (mode or "auto").lower()
    if mode not in MODES:
        raise ConfigError(f"Unknown enhancement mode {mode!r}: use auto, llm or offline.")
    if mode == "auto":
        return "llm" if llm_configured(llm_settings) else "offline"
    return mode


def enhance(
    transcript: Transcript,
    notes: str | Sequence[NoteLine],
    *,
    llm_settings: Any,
    mode: str | None = "auto",
    template: Template | str | None = None,
    templates_dir: Any = None,
    fallback: str | None = None,
    on_block: OnBlock | None = None,
    on_progress: OnProgress | None = None,
    meeting: Meeting | None = None,
    agenda_lines: Iterable[int] = (),
    client: LLMClient | None = None,
    on_checked: OnChecked | None = None,
    batch_size: int | None = None,
) -> EnhancedNotes:
    """Enhance ``notes`` (the text as typed, or its parsed lines) with ``transcript``.

    See the module doc. Raises LLMError on failure unless ``fallback="offline"``, which returns
    the offline result labelled as a fallback.
    """
    if fallback not in FALLBACKS:
        raise ConfigError(f"Unknown fallback {fallback!r}: the only fallback is 'offline'.")
    chosen = choose_mode(mode, llm_settings)
    lines, text = _note_lines(notes)
    tmpl = None
    if chosen == "llm":
        tmpl = (
            template if isinstance(template, Template) else load_template(template, templates_dir)
        )
    # Progress is the offline pass's when it is the result, else the model's requests'.
    offline = _offline(transcript, lines, meeting, on_progress if tmpl is None else None)
    if tmpl is None:
        return offline
    if not agenda_lines and meeting is not None:
        agenda_lines = agenda_line_numbers(text, meeting.agenda)
    try:
        llm = client or LLMClient.from_settings(llm_settings)
        return enhance_with_llm(
            llm,
            transcript,
            lines,
            offline,
            template=tmpl,
            on_block=on_block,
            on_progress=on_progress,
            meeting=meeting,
            agenda_lines=agenda_lines,
            on_checked=on_checked,
            batch_size=batch_size,
        )
    except LLMError as e:
        if fallback != "offline":
            raise
        log.warning("LLM enhancement failed; falling back to offline notes", exc_info=True)
        return replace(offline, model=f"offline (LLM failed: {_first_sentence(str(e))})")


def _note_lines(notes: str | Sequence[NoteLine]) -> tuple[list[NoteLine], str]:
    """Parse once: the note lines, and the text they stand for (for the offline enhancer)."""
    if isinstance(notes, str):
        return parse_notes(notes), notes
    lines = list(notes)
    rows = [""] * max((ln.line for ln in lines), default=0)
    for ln in lines:
        rows[ln.line - 1] = ln.raw or ln.text
    return lines, "\n".join(rows) + ("\n" if rows else "")


def _offline(
    transcript: Transcript,
    lines: Sequence[NoteLine],
    meeting: Meeting | None,
    on_progress: OnProgress | None = None,
) -> EnhancedNotes:
    return enhance_offline(
        transcript,
        lines,
        meeting_id=meeting.id if meeting else None,
        title=meeting.title if meeting else None,
        attendees=meeting.attendees if meeting else (),
        on_progress=on_progress,
    )


def _first_sentence(message: str, limit: int = 160) -> str:
    head = message.split(". ")[0].rstrip(".")
    return head if len(head) <= limit else head[: limit - 1] + "…"


# --- the plan: what the offline notes leave for the model to write --------------------------------


@dataclass
class _Slot:
    """One place in the final notes: a fixed block (a user line, a section title) or a task
    whose lines are the model's when it passes the checks, else the offline ones."""

    fixed: Block | None = None
    task: prompts.Task | None = None
    offline: tuple[Block, ...] = ()
    level: int = 1
    note_line: int | None = None
    written: tuple[Block, ...] | None = None  # set once the task is decided

    @property
    def blocks(self) -> tuple[Block, ...]:
        if self.fixed is not None:
            return (self.fixed,)
        return self.written if self.written is not None else self.offline


def plan(
    transcript: Transcript,
    lines: Sequence[NoteLine],
    offline: EnhancedNotes,
    agenda_lines: Iterable[int] = (),
) -> list[_Slot]:
    """The final notes as slots: each user line in order, the task for its context under it,
    then the offline notes' own sections (action items, decisions, topics) with a task per
    item. Lines the offline enhancer gave no context get no task."""
    under: dict[int, list[Block]] = {}
    trailing: list[Block] = []
    said: dict[int, Block] = {}  # user lines the call said again, citing where
    for block in offline.blocks:
        if block.source != "ai":
            if block.note_line is not None and block.citations:
                said[block.note_line] = block
            continue
        if block.note_line is not None:
            under.setdefault(block.note_line, []).append(block)
        else:
            trailing.append(block)
    segs = _SegmentLookup(transcript)
    sections = section_context(list(lines))
    agenda = set(agenda_lines)
    slots: list[_Slot] = []
    for ln in lines:
        slots.append(_Slot(fixed=said.get(ln.line) or user_block(ln)))
        found = under.get(ln.line)
        if not found:
            continue
        if is_section_label(ln):
            # A heading's context only says where its topic was raised: the offline quote is
            # that already, and a request per heading would cost the user seconds for nothing.
            slots.extend(_Slot(fixed=b) for b in found)
            continue
        evidence = segs.evidence(found)
        task = prompts.Task(
            len(slots),
            prompts.NOTE,
            ln.text,
            evidence,
            sections.get(ln.line, ""),
            ln.line in agenda,
        )
        slots.append(
            _Slot(task=task, offline=tuple(found), level=found[0].level, note_line=ln.line)
        )
    kind = prompts.SUMMARY
    for block in trailing:
        if block.type == "heading":
            slots.append(_Slot(fixed=block))
            kind = _SECTION_KINDS.get(block.text.strip().lower(), prompts.SUMMARY)
            continue
        task = prompts.Task(len(slots), kind, block.text, segs.evidence([block]))
        slots.append(_Slot(task=task, offline=(block,), level=block.level))
    return slots


class _SegmentLookup:
    def __init__(self, transcript: Transcript):
        self.ordered = transcript.segments
        self.position = {s.index: i for i, s in enumerate(self.ordered)}

    def evidence(self, blocks: Sequence[Block]) -> tuple[Segment, ...]:
        """The segments the blocks cite, in order, plus the question just before the first one
        when another speaker asked it (the answer alone often does not say what was asked)."""
        cited = sorted(
            {
                self.position[c.segment]
                for b in blocks
                for c in b.citations
                if c.segment in self.position
            }
        )
        if not cited:
            return ()
        first = cited[0]
        if first > 0:
            before, answer = self.ordered[first - 1], self.ordered[first]
            if before.text.rstrip().endswith("?") and before.speaker != answer.speaker:
                cited.insert(0, first - 1)
        return tuple(self.ordered[i] for i in cited)


# --- the LLM path --------------------------------------------------------------------------------


def enhance_with_llm(
    llm: LLMClient,
    transcript: Transcript,
    lines: Sequence[NoteLine],
    offline: EnhancedNotes,
    *,
    template: Template,
    on_block: OnBlock | None = None,
    on_progress: OnProgress | None = None,
    meeting: Meeting | None = None,
    agenda_lines: Iterable[int] = (),
    on_checked: OnChecked | None = None,
    batch_size: int | None = None,
) -> EnhancedNotes:
    """Rewrite the offline notes' context lines with ``llm``, batch by batch (module doc)."""
    slots = plan(_named_speakers(transcript, meeting), lines, offline, agenda_lines)
    tasks = [s.task for s in slots if s.task is not None]
    stream = _Stream(slots, on_block)
    people = {s.speaker for s in transcript.segments if s.speaker}
    if meeting is not None:
        people.update(meeting.attendees)
    writer = _Writer(llm, template, meeting, people, stream)
    batches = make_batches(tasks, template, batch_size or BATCH_SIZE)
    reports: list[BatchReport] = []
    stream.flush()
    for number, batch in enumerate(batches, start=1):
        if on_progress:
            on_progress(number - 1, len(batches))
        report = writer.run(number, batch)
        reports.append(report)
        log.info(
            "Batch %d: %d of %d lines written%s",
            number,
            report.written,
            report.lines,
            " (quality guard tripped)" if report.guard_tripped else "",
        )
        if on_checked:
            on_checked(report)
    if on_progress:
        on_progress(len(batches), len(batches))
    stream.flush()
    return EnhancedNotes(
        meeting_id=offline.meeting_id,
        mode="llm",
        blocks=tuple(b for s in slots for b in s.blocks),
        model=llm.model,
        template=template.name,
        notice=fallback_notice(reports),
    )


def _named_speakers(transcript: Transcript, meeting: Meeting | None) -> Transcript:
    """In a call with one other attendee, "them" is that person: the model can say "Sarah
    reported…" and the checks know the name from the evidence."""
    name = speaker_names(meeting.attendees).get(THEM) if meeting else None
    if name is None:
        return transcript
    return replace(
        transcript,
        segments=tuple(
            replace(s, speaker=name) if s.speaker == THEM else s for s in transcript.segments
        ),
    )


def fallback_notice(reports: Sequence[BatchReport]) -> str | None:
    """One line telling the user how many lines kept the offline text, when any did."""
    total = sum(r.lines for r in reports)
    fell = sum(r.fell_back for r in reports)
    if not fell:
        return None
    guarded = sum(r.guard_tripped for r in reports)
    why = (
        f"; {guarded} of {len(reports)} replies failed the checks as a whole"
        if guarded
        else ": the model's line was missing or named something its evidence does not say"
    )
    return f"{fell} of {total} AI lines kept the offline text{why}."


def make_batches(
    tasks: Sequence[prompts.Task], template: Template, batch_size: int = BATCH_SIZE
) -> list[list[prompts.Task]]:
    """Tasks in order, a few per request, each request's prompt kept near BATCH_PROMPT_TOKENS."""
    fixed = prompts.estimate_tokens(prompts.system_prompt(template))
    batches: list[list[prompts.Task]] = []
    used = 0
    for task in tasks:
        size = prompts.estimate_tokens(prompts.task_block(1, task)) + 2
        full = batches and (
            len(batches[-1]) >= batch_size or fixed + used + size > BATCH_PROMPT_TOKENS
        )
        if not batches or full:
            batches.append([])
            used = 0
        batches[-1].append(task)
        used += size
    return batches


@dataclass
class _Writer:
    """Sends batches to the model and decides each task's lines."""

    llm: LLMClient
    template: Template
    meeting: Meeting | None
    people: set[str]
    stream: _Stream
    by_key: dict[int, _Slot] = field(init=False)
    who: set[str] = field(init=False)
    streaming: bool = True
    said: list[set[str]] = field(default_factory=list)  # words of the lines accepted so far

    def __post_init__(self) -> None:
        self.by_key = {s.task.key: s for s in self.stream.slots if s.task is not None}
        # Words that say who spoke, not what: the meeting's people and the two sides.
        self.who = {w for person in self.people for w in _words(person)} | _SIDES

    def run(self, number: int, batch: Sequence[prompts.Task]) -> BatchReport:
        verdicts = self._ask(batch)
        tripped = checks.guard_tripped([v for v, _ in verdicts.values()])
        reasons = []
        written = 0
        for task in batch:
            verdict, block = verdicts.get(task.key, (checks.Verdict.failed("no line"), None))
            slot = self.by_key[task.key]
            if verdict.ok and block is not None and not tripped:
                slot.written = (block,)
                self.said.append(_words(block.text))
                written += 1
            else:
                slot.written = slot.offline
                reasons.append(verdict.reason if not verdict.ok else "quality guard")
        self.stream.flush()
        return BatchReport(number, len(batch), written, tuple(reasons), tripped)

    def _ask(self, batch: Sequence[prompts.Task]) -> dict[int, tuple[checks.Verdict, Block | None]]:
        """The model's lines for ``batch``, checked; on a context overflow, in halves."""
        decided: dict[int, tuple[checks.Verdict, Block | None]] = {}
        streaming = self.stream.on and self.streaming
        feeder = _ItemFeeder(batch, self._decide, decided, self.stream) if streaming else None
        messages = prompts.build_messages(batch, self.template, self.meeting)
        try:
            reply = self._chat(messages, len(batch), feeder)
            if feeder is not None and not reply.text.strip() and reply.finish_reason is None:
                # Some servers (llama-cpp-python behind a newer Starlette) end a stream at once,
                # empty: ask again without streaming, and stop streaming for this run.
                log.warning(
                    "%s ended a streamed reply empty; asking without streaming", self.llm.model
                )
                self.streaming = False
                reply = self._chat(messages, len(batch), None)
        except LLMError as e:
            if not _context_overflow(e) or len(batch) == 1:
                raise
            half = len(batch) // 2
            log.info("Context overflow on %d notes; retrying in halves", len(batch))
            return self._ask(batch[:half]) | self._ask(batch[half:])
        for task, raw in zip_items(batch, reply).items():
            if task.key not in decided:
                decided[task.key] = self._decide(task, raw)
        return decided

    def _chat(
        self, messages: list[dict[str, str]], n: int, feeder: _ItemFeeder | None
    ) -> ChatReply:
        return self.llm.chat(
            messages,
            schema=prompts.REPLY_SCHEMA,
            on_text=feeder.feed if feeder else None,
            max_tokens=prompts.reply_tokens(n),
            temperature=0.1,
        )

    def _decide(self, task: prompts.Task, raw: Any) -> tuple[checks.Verdict, Block | None]:
        text = checks.clean_context(raw)
        if text is None:
            return checks.Verdict.failed("no context from the model"), None
        same = " ".join(text.lower().split()) == " ".join(task.text.lower().split())
        if same and task.kind == prompts.NOTE:
            return checks.Verdict.failed("repeats the note"), None
        if task.kind == prompts.NOTE and not _words(text) - _words(task.text) - self.who:
            # "Jade Morgan: TikTok" under "? TikTok": who said it, and the note again.
            return checks.Verdict.failed("adds nothing to the note"), None
        if any(_alike(_words(text), earlier) for earlier in self.said):
            # Two notes on one sentence ("4.2M", "18%") got the same line: the offline text
            # shows each note its own clause instead.
            return checks.Verdict.failed("repeats another note's line"), None
        # The meeting's title and attendees were in the prompt: "Q2" from "Q2 review" is fair.
        known = "\n".join([task.text, prompts.meeting_header(self.meeting)])
        verdict = checks.check_context(text, task.evidence, known, self.people)
        slot = self.by_key[task.key]
        if verdict.ok and task.kind == prompts.NOTE:
            grounded = " ".join(b.text for b in slot.offline)
            verdict = checks.keeps_figures(text, grounded)
        block = Block(
            type="bullet",
            text=text,
            source="ai",
            note_line=slot.note_line,
            citations=tuple(Citation.of(s) for s in task.evidence),
            level=slot.level,
        )
        return verdict, block


_SIDES = frozenset({"you", "them", "they", "me"})  # "Them: TikTok" names a side, says nothing


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def _alike(a: set[str], b: set[str], share: float = 0.8) -> bool:
    """Mostly the same words (Jaccard), so one line would stand twice."""
    return bool(a and b) and len(a & b) / len(a | b) >= share


def zip_items(batch: Sequence[prompts.Task], reply: ChatReply) -> dict[prompts.Task, Any]:
    """Each task's raw context from the reply (absent when the model left it out)."""
    scanned = scan_array_objects(reply.text, "items")
    objects: Sequence[Any] = scanned.objects
    if not scanned.found:
        try:
            value = loads_lenient(reply.text)
        except JSONNotFound:
            log.warning("Unusable reply for %d notes: %r", len(batch), reply.text[:200])
            return {}
        # A single-note request is sometimes answered with the item alone.
        objects = [value] if isinstance(value, dict) and "context" in value else []
    out: dict[prompts.Task, Any] = {}
    for position, obj in enumerate(objects):
        if not isinstance(obj, dict):
            continue
        task = _task_for(batch, obj.get("note"), position)
        if task is not None and task not in out:
            out[task] = obj.get("context")
    return out


def _task_for(batch: Sequence[prompts.Task], number: Any, position: int) -> prompts.Task | None:
    """The task an item answers: by its note number (1-based in the request), else in order."""
    if isinstance(number, str) and number.strip().isdigit():
        number = int(number)
    if isinstance(number, int) and not isinstance(number, bool) and 1 <= number <= len(batch):
        return batch[number - 1]
    return batch[position] if position < len(batch) else None


def _context_overflow(e: LLMError) -> bool:
    """Did the request not fit the model's context (rather than fail for another reason)?"""
    if any("overflow" in cls.__name__.lower() for cls in type(e).__mro__):
        return True
    text = str(e).lower()
    return "context" in text and any(
        w in text for w in ("maximum context", "context length", "context window", "exceed")
    )


class _Stream:
    """Hands blocks to ``on_block`` in note order, as soon as everything before them is known."""

    def __init__(self, slots: list[_Slot], on_block: OnBlock | None):
        self.slots = slots
        self.on_block = on_block
        self.sent = 0

    @property
    def on(self) -> bool:
        return self.on_block is not None

    def flush(self) -> None:
        if self.on_block is None:
            return
        while self.sent < len(self.slots):
            slot = self.slots[self.sent]
            if slot.fixed is None and slot.written is None:
                return
            for block in slot.blocks:
                self.on_block(block)
            self.sent += 1


class _ItemFeeder:
    """Turns streamed text into items: each complete one is checked and shown at once."""

    def __init__(self, batch, decide, decided, stream: _Stream):
        self.batch = batch
        self.decide = decide
        self.decided = decided
        self.stream = stream
        self.text = ""
        self.seen = 0

    def feed(self, piece: str) -> None:
        self.text += piece
        if "}" not in piece:
            return  # no item can have been completed by this piece
        objects = scan_array_objects(self.text, "items").objects
        for position in range(self.seen, len(objects)):
            obj = objects[position]
            task = (
                _task_for(self.batch, obj.get("note"), position) if isinstance(obj, dict) else None
            )
            if task is None or task.key in self.decided:
                continue
            verdict, block = self.decide(task, obj.get("context"))
            self.decided[task.key] = (verdict, block)
            slot = self.stream.slots[task.key]
            if slot.written is None:
                # Shown now; the guard may still give the whole batch the offline text later,
                # and the returned notes (which replace what was streamed) say so.
                slot.written = (block,) if verdict.ok and block is not None else slot.offline
        self.seen = len(objects)
        self.stream.flush()
