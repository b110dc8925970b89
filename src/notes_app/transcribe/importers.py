"""Read transcripts made elsewhere: WebVTT (Zoom, Teams, Meet), SRT, the app's JSON, plain text.

``load_transcript(path)`` picks the reader from the file's extension. The ``parse_*`` functions
are pure: text in, ``Transcript`` out, or a ``TranscriptFormatError`` naming the file and the
1-based line that is wrong. Segments come out numbered 0..n-1 in time order (for plain text,
in line order: segment ``i`` is the ``i``-th non-blank line).
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from notes_app.domain import Segment, Transcript, renumber
from notes_app.errors import TranscriptFormatError
from notes_app.textkit import LABEL_WORDS as _NOT_NAMES

TIMING_EXAMPLE = {
    "vtt": "00:00:01.000 --> 00:00:04.000",
    "srt": "00:00:01,000 --> 00:00:04,000",
}
NO_SPEECH = "no speech found; the file has no cues or utterances"

# Plain text carries no times: each line lasts as long as it takes to say it, at about this rate.
CHARS_PER_SECOND = 15.0
MIN_UTTERANCE_SECONDS = 0.5

_TIMESTAMP = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{1,3})")
_TIMING = re.compile(r"^\s*(\S+)\s*-->\s*(\S+)(?:\s+.*)?$")
_LOOKS_LIKE_TIMING = re.compile(r"^\s*\d+:\d")
_TAG = re.compile(r"<[^>]*>")
_ASS_TAG = re.compile(r"\{\\[^}]*\}")  # SRT files made from ASS subtitles carry {\an8} etc.
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]*)>")
_BLOCK_KEYWORDS = ("NOTE", "STYLE", "REGION")

# --- speaker names in front of text ------------------------------------------------------------

_NAME_WORD = r"[^\W_][\w.'’\-]*"
_NAME = rf"[^\W\d_][\w.'’\-]*(?: {_NAME_WORD}){{0,2}}"
_COLON_PREFIX = re.compile(rf"^({_NAME}):(?:\s+|$)(.*)$", re.DOTALL)
_PAREN_PREFIX = re.compile(rf"^\(({_NAME})\)(?:\s+|$)(.*)$", re.DOTALL)
_MAX_NAME_CHARS = 30
# Lowercase words allowed inside a name ("Ludwig van Beethoven").
_NAME_PARTICLES = {"van", "von", "de", "da", "del", "der", "di", "du", "la", "le", "bin", "al"}
_PERIOD_LABEL = re.compile(r"^(Q[1-4]|H[12]|FY\d*)$", re.IGNORECASE)  # "Q3: revenue up"


def _is_name(name: str) -> bool:
    words = name.split(" ")
    if len(name) > _MAX_NAME_CHARS or words[0].lower() in _NOT_NAMES:
        return False
    if name in ("me", "them"):
        return True
    if _PERIOD_LABEL.match(words[0]) or not words[0][0].isupper():
        return False
    return all(w[0].isupper() or w.isdigit() or w in _NAME_PARTICLES for w in words[1:])


# Display names as meeting apps show them: "dana.w@acme.com", "Dana Whitfield (she/her)".
_LOOSE_PREFIX = re.compile(r"^([^\W\d_][^:]{0,39}?):\s+\S", re.DOTALL)
_LOOSE_MAX_WORDS = 5


def recurring_names(texts: Iterable[str]) -> frozenset[str]:
    """Prefixes that look like display names and start at least two lines or cues.

    A Zoom export puts the speaker's display name before every cue, whatever it looks like;
    a one-off "so basically: ..." is not a name, so only a prefix seen twice counts.
    """
    counts: dict[str, int] = {}
    for text in texts:
        m = _LOOSE_PREFIX.match(text)
        if m and _is_display_name(m.group(1)):
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return frozenset(name for name, n in counts.items() if n >= 2)


def _is_display_name(name: str) -> bool:
    words = name.split()
    return (
        name == name.strip()
        and len(words) <= _LOOSE_MAX_WORDS
        and words[0].lower() not in _NOT_NAMES
        and not _PERIOD_LABEL.match(words[0])
        and "//" not in name
    )


def split_speaker(
    text: str, *, parenthesised: bool = False, known: frozenset[str] = frozenset()
) -> tuple[str | None, str]:
    """``"Ann Lee: hello"`` → ``("Ann Lee", "hello")``; ``(Name) text`` too when asked.

    Only a short, capitalised name counts, or one in ``known`` (see ``recurring_names``), so
    "Note: ...", "10:30 we start" and URLs stay text.
    """
    patterns = (_COLON_PREFIX, _PAREN_PREFIX) if parenthesised else (_COLON_PREFIX,)
    for pattern in patterns:
        m = pattern.match(text)
        if m and _is_name(m.group(1)):
            return m.group(1), m.group(2).strip()
    name, colon, rest = text.partition(":")
    if colon and name in known and rest[:1].isspace():
        return name, rest.strip()
    return None, text


# --- loading ------------------------------------------------------------------------------------


def load_transcript(path: Path) -> Transcript:
    """Read a .vtt, .srt, .json or .txt transcript; raise TranscriptFormatError if malformed."""
    path = Path(path)
    parser = PARSERS.get(path.suffix.lower())
    if parser is None:
        kinds = ", ".join(PARSERS)
        shown = path.suffix or "(no extension)"
        raise TranscriptFormatError(
            path, None, f"unsupported file type {shown}; supported kinds are {kinds}"
        )
    return parser(read_text(path), path)


def read_text(path: Path) -> str:
    """The file's text: UTF-8 (with or without BOM) or UTF-16 with a BOM. No guessing beyond."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TranscriptFormatError(path, None, "the file does not exist") from None
    except IsADirectoryError:
        raise TranscriptFormatError(path, None, "this is a folder, not a file") from None
    except OSError as e:
        raise TranscriptFormatError(path, None, f"the file cannot be read ({e.strerror})") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise TranscriptFormatError(path, None, "the UTF-16 text is damaged") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        if b"\x00" in data[:4096]:
            problem = "this is binary data, not a text transcript"
        else:
            problem = "the text is not UTF-8; save the file as UTF-8 and import it again"
        raise TranscriptFormatError(path, line, problem) from None


def _lines(text: str) -> list[str]:
    # Not str.splitlines(): it also breaks on form feeds and U+2028, which editors don't count.
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


@dataclass(frozen=True)
class _Block:
    first_line: int  # 1-based line number of lines[0]
    lines: tuple[str, ...]


def _blocks(lines: list[str], start: int = 0) -> list[_Block]:
    """Runs of non-blank lines, each with the 1-based number of its first line."""
    blocks: list[_Block] = []
    current: list[str] = []
    for number, line in enumerate(lines[start:], start=start + 1):
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(_Block(number - len(current), tuple(current)))
            current = []
    if current:
        blocks.append(_Block(len(lines) - len(current) + 1, tuple(current)))
    return blocks


def _finish(segments: list[Segment], path: Path, language: str | None = None) -> Transcript:
    if not segments:
        raise TranscriptFormatError(path, None, NO_SPEECH)
    return Transcript(segments=renumber(segments), language=language)


# --- timings ------------------------------------------------------------------------------------


def _seconds(stamp: str) -> float | None:
    m = _TIMESTAMP.fullmatch(stamp)
    if not m:
        return None
    hours, minutes, secs, frac = m.groups()
    if int(minutes) >= 60 or int(secs) >= 60:
        return None
    whole = int(hours or 0) * 3600 + int(minutes) * 60 + int(secs)
    return round(whole + int(frac.ljust(3, "0")) / 1000, 3)


def _timing(line: str, number: int, path: Path, kind: str) -> tuple[float, float]:
    """Parse ``start --> end [settings]``; the error quotes the expected shape."""
    example = TIMING_EXAMPLE[kind]
    m = _TIMING.match(line)
    if not m:
        raise TranscriptFormatError(
            path, number, f"expected a timing line like {example}, found {line.strip()!r}"
        )
    start, end = _seconds(m.group(1)), _seconds(m.group(2))
    if start is None or end is None:
        bad = m.group(1) if start is None else m.group(2)
        raise TranscriptFormatError(
            path, number, f"{bad!r} is not a time; expected a timing line like {example}"
        )
    if end < start:
        raise TranscriptFormatError(
            path, number, f"the cue ends ({m.group(2)}) before it starts ({m.group(1)})"
        )
    return start, end


def _cue_timing(block: _Block, path: Path, kind: str) -> tuple[float, float, int]:
    """Timing of a cue whose first line may be an identifier; returns (start, end, text_from)."""
    lines = block.lines
    if "-->" in lines[0] or _LOOKS_LIKE_TIMING.match(lines[0]) or len(lines) == 1:
        return (*_timing(lines[0], block.first_line, path, kind), 1)
    return (*_timing(lines[1], block.first_line + 1, path, kind), 2)


def _check_no_timing_in_text(block: _Block, text_from: int, path: Path) -> None:
    for offset, line in enumerate(block.lines[text_from:], start=text_from):
        if "-->" in line:
            raise TranscriptFormatError(
                path,
                block.first_line + offset,
                "a timing line inside a cue's text; is a blank line missing before it?",
            )


# --- cue text -----------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Strip markup (<i>, <c.x>, <00:00:01.000>, {\\an8}), decode entities, collapse spaces."""
    text = _ASS_TAG.sub("", _TAG.sub("", text))
    text = html.unescape(text).replace("\xa0", " ")
    return " ".join(text.split())


def _voices(raw: str) -> list[tuple[str | None, str]]:
    """Split cue text on ``<v Name>`` tags into (speaker, clean text) parts, in order."""
    parts: list[tuple[str | None, str]] = []
    tags = list(_VOICE.finditer(raw))
    if not tags or tags[0].start() > 0:
        head = raw[: tags[0].start()] if tags else raw
        parts.append((None, clean_text(head)))  # "Name: ..." is looked at once all are read
    for i, tag in enumerate(tags):
        body_end = tags[i + 1].start() if i + 1 < len(tags) else len(raw)
        name = clean_text(tag.group(1)) or None
        parts.append((name, clean_text(raw[tag.end() : body_end])))
    return [(speaker, text) for speaker, text in parts if text]


def _cue_segments(parts: list[tuple[str | None, str]], start: float, end: float) -> list[Segment]:
    """One segment per voice; a cue with several voices shares its time by text length."""
    total = sum(len(text) for _, text in parts) or 1
    segments, at = [], start
    for speaker, text in parts:
        until = round(at + (end - start) * len(text) / total, 3)
        segments.append(Segment(index=0, start=at, end=min(until, end), text=text, speaker=speaker))
        at = min(until, end)
    return segments


def _name_prefixes(segments: list[Segment]) -> list[Segment]:
    """Move a "Name: " at the start of a cue without a voice tag into its speaker."""
    known = recurring_names(s.text for s in segments if s.speaker is None)
    named = []
    for seg in segments:
        if seg.speaker is None:
            speaker, body = split_speaker(seg.text, known=known)
            seg = replace(seg, speaker=speaker, text=body or seg.text)
        named.append(seg)
    return named


# --- WebVTT ---------------------------------------------------------------------------------------


def parse_vtt(text: str, path: Path) -> Transcript:
    """WebVTT as Zoom, Teams and Meet export it (voice tags or "Name: text")."""
    lines = _lines(text.lstrip("\ufeff"))
    if not lines[0].startswith("WEBVTT") or lines[0][6:7] not in ("", " ", "\t"):
        if not text.strip():
            raise TranscriptFormatError(path, None, NO_SPEECH)
        raise TranscriptFormatError(path, 1, "expected the first line to be WEBVTT")
    header_end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    language = _header_language(lines[:header_end], path)
    segments: list[Segment] = []
    for block in _blocks(lines, header_end):
        if block.lines[0].split(maxsplit=1)[0] in _BLOCK_KEYWORDS and "-->" not in block.lines[0]:
            continue
        start, end, text_from = _cue_timing(block, path, "vtt")
        _check_no_timing_in_text(block, text_from, path)
        parts = _voices("\n".join(block.lines[text_from:]))
        segments.extend(_cue_segments(parts, start, end))
    return _finish(_name_prefixes(segments), path, language)


def _header_language(header: list[str], path: Path) -> str | None:
    language = None
    for offset, line in enumerate(header[1:], start=2):
        if "-->" in line:
            raise TranscriptFormatError(
                path, offset, "a cue right after the header; put a blank line after WEBVTT"
            )
        key, _, value = line.partition(":")
        if key.strip().lower() == "language" and value.strip():
            language = value.strip()
    return language


# --- SRT ----------------------------------------------------------------------------------------


def parse_srt(text: str, path: Path) -> Transcript:
    """SubRip: numbered blocks, ``00:00:01,000 --> 00:00:04,000``, then text lines."""
    segments: list[Segment] = []
    for block in _blocks(_lines(text.lstrip("\ufeff"))):
        first = block.lines[0].strip()
        if not first.isdigit() and "-->" not in first:
            raise TranscriptFormatError(
                path,
                block.first_line,
                f"expected a cue number or a timing line like {TIMING_EXAMPLE['srt']}",
            )
        start, end, text_from = _cue_timing(block, path, "srt")
        _check_no_timing_in_text(block, text_from, path)
        body = clean_text("\n".join(block.lines[text_from:]))
        if body:
            segments.append(Segment(index=0, start=start, end=end, text=body))
    return _finish(_name_prefixes(segments), path)


# --- JSON ---------------------------------------------------------------------------------------


def parse_json(text: str, path: Path) -> Transcript:
    """The app's own format: ``{"segments": [{"index", "start", "end", "speaker", "text"}]}``."""
    if not text.strip():
        raise TranscriptFormatError(path, None, NO_SPEECH)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise TranscriptFormatError(path, e.lineno, f"not valid JSON ({e.msg})") from None
    items = data.get("segments") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise TranscriptFormatError(
            path, 1, 'expected an object like {"segments": [{"start", "end", "speaker", "text"}]}'
        )
    item_lines = _item_lines(text)
    segments = []
    for i, item in enumerate(items):
        line = item_lines[i] if i < len(item_lines) else None
        segments.append(_json_segment(item, i, path, line))
    segments.sort(key=lambda s: s.index)  # the file's own order breaks ties between equal times
    language = data.get("language") if isinstance(data, dict) else None
    return _finish(segments, path, language if isinstance(language, str) else None)


def _json_segment(item: Any, i: int, path: Path, line: int | None) -> Segment:
    def fail(problem: str) -> TranscriptFormatError:
        return TranscriptFormatError(path, line, f"segment item {i}: {problem}")

    if not isinstance(item, dict):
        raise fail('expected an object with "start", "end" and "text"')
    for key in ("start", "end", "text"):
        if key not in item:
            raise fail(f'"{key}" is missing')
    start, end = item["start"], item["end"]
    for key, value in (("start", start), ("end", end)):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            raise fail(f'"{key}" must be a number of seconds, not {value!r}')
        if value < 0:
            raise fail(f'"{key}" must not be negative')
    if end < start:
        raise fail(f'"end" ({end}) is before "start" ({start})')
    if not isinstance(item["text"], str) or not item["text"].strip():
        raise fail('"text" must be non-empty text')
    speaker = item.get("speaker")
    if speaker is not None and not isinstance(speaker, str):
        raise fail(f'"speaker" must be text or null, not {speaker!r}')
    index = item.get("index", i)
    if isinstance(index, bool) or not isinstance(index, int):
        raise fail(f'"index" must be a whole number, not {index!r}')
    channel = item.get("channel")
    if channel is not None and (isinstance(channel, bool) or not isinstance(channel, int)):
        raise fail(f'"channel" must be 0, 1 or null, not {channel!r}')
    return Segment(
        index=index,
        start=float(start),
        end=float(end),
        text=" ".join(item["text"].split()),
        speaker=(speaker.strip() or None) if speaker else None,
        channel=channel,
    )


def _item_lines(text: str) -> list[int]:
    """The 1-based line where each item of the "segments" array begins, so errors can say it.

    json.loads keeps no positions, so walk the array again with raw_decode. Best effort: an
    empty list just means errors name the item without a line.
    """
    m = re.search(r'"segments"\s*:\s*\[', text) or re.match(r"\s*\[", text)
    if not m:
        return []
    decoder, pos = json.JSONDecoder(), m.end()
    lines: list[int] = []
    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(text) or text[pos] == "]":
            return lines
        lines.append(text.count("\n", 0, pos) + 1)
        try:
            _, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError:
            return lines


# --- plain text ---------------------------------------------------------------------------------


def parse_txt(text: str, path: Path) -> Transcript:
    """One utterance per line, optionally after ``Name:`` or ``(Name)``, which carries over.

    No times in the file, so each line gets a stretch as long as it takes to say it, one
    after the other. Every non-blank line becomes exactly one segment, in line order.
    """
    segments: list[Segment] = []
    speaker: str | None = None
    clock = 0.0
    lines = [" ".join(line.split()) for line in _lines(text.lstrip("\ufeff"))]
    known = recurring_names(lines)
    for line in lines:
        if not line:
            continue
        named, utterance = split_speaker(line, parenthesised=True, known=known)
        if named:
            speaker = named
        # A lone "(PERSON1)" line still counts as one, so segment i stays line i of the file.
        utterance = utterance or line
        length = max(len(utterance) / CHARS_PER_SECOND, MIN_UTTERANCE_SECONDS)
        end = round(clock + length, 3)
        segments.append(
            Segment(index=len(segments), start=clock, end=end, text=utterance, speaker=speaker)
        )
        clock = end
    if not segments:
        raise TranscriptFormatError(path, None, NO_SPEECH)
    return Transcript(segments=tuple(segments))


PARSERS: dict[str, Callable[[str, Path], Transcript]] = {
    ".vtt": parse_vtt,
    ".srt": parse_srt,
    ".json": parse_json,
    ".txt": parse_txt,
}
