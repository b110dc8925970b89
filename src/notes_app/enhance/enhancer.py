"""Enhancement with a choice of engine: an LLM, the offline enhancer, or whichever is available.

``enhance`` is what the CLI and the window call. In LLM mode it builds the prompt, streams the
reply (handing each block to ``on_block`` as soon as it is complete), checks the reply (see
``checks``), and returns the same ``EnhancedNotes`` contract as the offline enhancer. A
transcript too long for the model's context is split into parts that are enhanced one by one
and merged: nothing is cut silently. It never stores anything; the caller stores the result,
so a failure leaves nothing half-written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from notes_app.domain import Block, EnhancedNotes, Meeting, Segment, Transcript
from notes_app.enhance import checks, prompts
from notes_app.enhance.lenient_json import JSONNotFound, loads_lenient, scan_array_objects
from notes_app.enhance.llm import ChatReply, LLMClient
from notes_app.enhance.notes_parse import agenda_line_numbers
from notes_app.enhance.templates import Template, load_template
from notes_app.errors import ConfigError, LLMError

MODES = ("auto", "llm", "offline")
FALLBACKS = (None, "offline")
# Share of the context kept free for the reply: it repeats every note line and adds to them.
OUTPUT_SHARE = 1 / 3

OnBlock = Callable[[Block], None]
OnProgress = Callable[..., None]
OnChecked = Callable[[checks.CheckedReply], None]


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
    notes: str,
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
) -> EnhancedNotes:
    """Enhance ``notes`` with ``transcript``. See the module doc; raises LLMError on failure
    unless ``fallback="offline"``, which returns the offline result labelled as a fallback."""
    if fallback not in FALLBACKS:
        raise ConfigError(f"Unknown fallback {fallback!r}: the only fallback is 'offline'.")
    chosen = choose_mode(mode, llm_settings)
    if not agenda_lines and meeting is not None:
        agenda_lines = agenda_line_numbers(notes, meeting.agenda)
    if chosen == "offline":
        return _offline(transcript, notes, meeting)
    tmpl = template if isinstance(template, Template) else load_template(template, templates_dir)
    try:
        llm = client or LLMClient.from_settings(llm_settings)
        return enhance_with_llm(
            llm,
            transcript,
            notes,
            template=tmpl,
            context_tokens=int(llm_settings.context_tokens),
            on_block=on_block,
            on_progress=on_progress,
            meeting=meeting,
            agenda_lines=agenda_lines,
            on_checked=on_checked,
        )
    except LLMError as e:
        if fallback != "offline":
            raise
        result = _offline(transcript, notes, meeting)
        return replace(result, model=f"offline (LLM failed: {_first_sentence(str(e))})")


def _offline(transcript: Transcript, notes: str, meeting: Meeting | None) -> EnhancedNotes:
    from notes_app.enhance.offline import enhance_offline

    return enhance_offline(
        transcript,
        notes,
        meeting_id=meeting.id if meeting else None,
        title=meeting.title if meeting else None,
    )


def _first_sentence(message: str, limit: int = 160) -> str:
    head = message.split(". ")[0].rstrip(".")
    return head if len(head) <= limit else head[: limit - 1] + "…"


# --- the LLM path --------------------------------------------------------------------------------


def enhance_with_llm(
    llm: LLMClient,
    transcript: Transcript,
    notes: str,
    *,
    template: Template,
    context_tokens: int,
    on_block: OnBlock | None = None,
    on_progress: OnProgress | None = None,
    meeting: Meeting | None = None,
    agenda_lines: Iterable[int] = (),
    on_checked: OnChecked | None = None,
) -> EnhancedNotes:
    """Enhance with ``llm``; ``on_checked`` sees what the checks repaired in each reply."""
    agenda = tuple(agenda_lines)
    parts = split_transcript(transcript, notes, template, context_tokens, meeting, agenda)
    replies: list[checks.CheckedReply] = []
    for part in parts:
        if on_progress:
            on_progress(part.number - 1, part.total)
        messages = prompts.build_messages(
            notes, part, template, meeting=meeting, agenda_lines=agenda
        )
        # Streaming blocks one by one only makes sense when one reply is the whole result.
        stream_to = on_block if part.total == 1 else None
        raw_blocks = _ask(llm, messages, notes, part.segments, stream_to)
        replies.append(checks.check_reply(raw_blocks, notes, part.segments))
        if on_checked:
            on_checked(replies[-1])
    if on_progress:
        on_progress(len(parts), len(parts))
    return EnhancedNotes(
        meeting_id=meeting.id if meeting else None,
        mode="llm",
        blocks=checks.assemble(notes, replies),
        model=llm.model,
        template=template.name,
    )


def _ask(
    llm: LLMClient,
    messages: list[dict[str, str]],
    notes: str,
    segments: Sequence[Segment],
    on_block: OnBlock | None,
) -> tuple[dict[str, Any], ...]:
    """One request; returns the reply's raw blocks, complete, or raises LLMError."""
    feeder = _BlockFeeder(notes, segments, on_block) if on_block else None
    reply = llm.chat(messages, schema=prompts.REPLY_SCHEMA, on_text=feeder.feed if feeder else None)
    return parse_reply_blocks(llm, reply)


def parse_reply_blocks(llm: LLMClient, reply: ChatReply) -> tuple[dict[str, Any], ...]:
    scanned = scan_array_objects(reply.text, "blocks")
    if not scanned.found:
        try:
            value = loads_lenient(reply.text)
        except JSONNotFound as e:
            raise llm.unusable_reply(str(e), reply) from None
        raise llm.unusable_reply(f"JSON without a list of blocks: {str(value)[:60]!r}", reply)
    if not scanned.closed or reply.finish_reason == "length":
        raise llm.unusable_reply(
            f"the reply stops after {len(scanned.objects)} complete blocks", reply
        )
    return scanned.objects


class _BlockFeeder:
    """Turns streamed text into blocks: each complete one goes to ``on_block`` once."""

    def __init__(self, notes: str, segments: Sequence[Segment], on_block: OnBlock):
        self.notes = notes
        self.segments = segments
        self.on_block = on_block
        self.text = ""
        self.sent = 0

    def feed(self, piece: str) -> None:
        self.text += piece
        if "}" not in piece:
            return  # no block can have been completed by this piece
        objects = scan_array_objects(self.text, "blocks").objects
        for raw in objects[self.sent :]:
            self.on_block(checks.to_stream_block(raw, self.notes, self.segments))
        self.sent = len(objects)


# --- long meetings -------------------------------------------------------------------------------


def split_transcript(
    transcript: Transcript,
    notes: str,
    template: Template,
    context_tokens: int,
    meeting: Meeting | None = None,
    agenda_lines: Sequence[int] = (),
) -> list[prompts.TranscriptPart]:
    """The transcript in as few parts as fit the context with the prompt and room to reply."""
    empty = prompts.TranscriptPart(segments=(), number=1, total=2)  # header as when split
    fixed = sum(
        prompts.estimate_tokens(m["content"])
        for m in prompts.build_messages(
            notes, empty, template, meeting=meeting, agenda_lines=agenda_lines
        )
    )
    budget = int(context_tokens * (1 - OUTPUT_SHARE)) - fixed
    segments = transcript.segments
    sizes = [prompts.estimate_tokens(prompts.segment_line(s) + "\n") for s in segments]
    if segments and budget < max(sizes):
        raise LLMError(
            f"The notes and instructions alone take about {fixed} tokens, too many for the "
            f"configured context of {context_tokens} tokens. Raise it with "
            "`notes-app config set llm.context_tokens 32768` (if the model allows), or use "
            "--offline."
        )
    groups: list[list[Segment]] = [[]]
    used = 0
    for seg, size in zip(segments, sizes, strict=True):
        if groups[-1] and used + size > budget:
            groups.append([])
            used = 0
        groups[-1].append(seg)
        used += size
    total = len(groups)
    return [prompts.TranscriptPart(tuple(g), i, total) for i, g in enumerate(groups, start=1)]
