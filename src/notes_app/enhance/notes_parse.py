"""The user's notes as typed, read as lines with their Markdown-ish structure.

Headings are ``#``/``##`` lines or a short line ending with ``:``; bullets start with ``-``,
``*``, ``•``, ``+`` or ``1.``/``1)``, nested by indentation (two spaces or a tab per level) or by
doubled dashes (``--`` is a sub-bullet, as people type in plain text). Blank lines are
skipped but line numbers stay those of the file (1-based), so a block can point back at the
line it came from.

As in CommonMark, ``*``, ``+`` and ordered markers need a following space: ``4.2M``, ``3.5%``,
``1)x`` and ``*bold*`` are text, not list items. A dash needs a space only before a digit
(``-5%``); ``-Added:`` and ``--note`` are the plain-text bullets people type. An ordered
marker is kept (``marker``) so the line shows its number everywhere it is rendered.

This is the one grammar for note lines: the enhancer, the editor's highlighting and the
enhanced view's editing all read lines through it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

_HEADING = re.compile(r"^\s{0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_BULLET = re.compile(
    r"^([ \t]*)(?:"
    r"(-{1,4})(?:[ \t]+|(?=[^\s\d.,-]))"  # "- a", "--a"; not "-5%"
    r"|([•‣◦▪])[ \t]*"  # a bullet glyph is never text
    r"|([*+])[ \t]+"  # "* a"; not "*bold*"
    r"|(\d{1,9}[.)])[ \t]"  # "1. a"; not "4.2M" or "1)x"
    r")([ \t]*\S.*)$"  # (an ordered item's further spaces are text: "1.  a" shows as typed)
)
# A label line such as "Pricing:" — short, so a sentence that happens to end in ':' stays text.
_LABEL_MAX_WORDS = 6
# Lines that describe the meeting rather than what was said in it: nothing to ground.
_METADATA = re.compile(
    r"^\s*(?:date|time|when|where|location|attendees|participants|present(?: at the meeting)?|"
    r"absent|minutes(?: \w+)*(?: by)?|minutes wr\w*|note ?taker|scribe|"
    r"(?:meeting )?purpose(?: of (?:the )?meeting)?)\s*:",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class NoteLine:
    """One non-blank line of notes.

    ``text`` is what the user typed without the list or heading marker (so a renderer can put
    the marker back); ``raw`` is the line exactly as typed. ``kind`` is "heading", "bullet" or
    "paragraph"; ``level`` is the heading level or bullet depth (1 = top level).
    """

    line: int
    text: str
    kind: str
    level: int = 1
    raw: str = ""
    metadata: bool = False  # "Date: …", "Attendees: …": about the meeting, not from it
    marker: str = ""  # an ordered list's "1." or "2)", shown with the text; "" otherwise

    @property
    def is_heading(self) -> bool:
        return self.kind == "heading"


def parse_notes(notes: str) -> list[NoteLine]:
    """Every non-blank line of ``notes`` with its kind, level and 1-based line number."""
    out: list[NoteLine] = []
    for number, raw in enumerate(notes.splitlines(), start=1):
        if raw.strip():
            out.append(_parse_line(number, raw.rstrip("\r\n")))
    return out


def _parse_line(number: int, raw: str) -> NoteLine:
    meta = bool(_METADATA.match(raw))
    m = _HEADING.match(raw)
    if m and m.group(2):
        return NoteLine(number, m.group(2), "heading", len(m.group(1)), raw, meta)
    m = _BULLET.match(raw)
    if m:
        indent, dashes, _glyph, _star, ordinal, text = m.groups()
        depth = _indent_depth(indent) + (len(dashes) - 1 if dashes else 0)
        return NoteLine(number, text.rstrip(), "bullet", depth + 1, raw, meta, ordinal or "")
    text = raw.strip()
    if _is_label(text):
        return NoteLine(number, text, "heading", 2, raw, meta)
    return NoteLine(number, text, "paragraph", 1, raw, meta)


def parse_line(raw: str, number: int = 1) -> NoteLine:
    """One line as typed (the editor and the enhanced view's editing use this too)."""
    return _parse_line(number, raw.rstrip("\r\n"))


def note_line_text(line: NoteLine) -> str:
    """What the reader sees of a line: its text, with an ordered marker when it has one."""
    return f"{line.marker} {line.text}" if line.marker else line.text


def _indent_depth(indent: str) -> int:
    width = sum(4 if ch == "\t" else 1 for ch in indent)
    return width // 2


def _is_label(text: str) -> bool:
    return text.endswith(":") and len(text.split()) <= _LABEL_MAX_WORDS


def is_section_label(line: NoteLine) -> bool:
    """A heading, or a bullet that only names a section ("- Next steps:"): no context of its own."""
    return line.is_heading or (line.kind == "bullet" and _is_label(line.text))


def section_context(lines: list[NoteLine]) -> dict[int, str]:
    """For each line, the text of the section labels it sits under (topic words for grounding)."""
    context: dict[int, str] = {}
    stack: list[tuple[int, str]] = []  # (rank, text); headings rank above bullet labels
    for ln in lines:
        rank = _rank(ln)
        if is_section_label(ln):
            while stack and stack[-1][0] >= rank:
                stack.pop()
            stack.append((rank, ln.text.rstrip(":")))
            continue
        while stack and stack[-1][0] >= rank:
            stack.pop()
        context[ln.line] = " ".join(t for _, t in stack)
    return context


def _rank(ln: NoteLine) -> int:
    # Headings outrank bullets; within each, a smaller level is a bigger section.
    return ln.level if ln.is_heading else 10 + ln.level


def agenda_line_numbers(notes: str, agenda: str | None) -> tuple[int, ...]:
    """The 1-based lines of ``notes`` that were already typed before the recording started.

    ``agenda`` is the notes as they stood at that moment; a line counts when the same text is
    still there (edits during the call make a line the user's own again).
    """
    if not agenda:
        return ()
    before = Counter(line.strip() for line in agenda.splitlines() if line.strip())
    found = []
    for number, line in enumerate(notes.splitlines(), start=1):
        key = line.strip()
        if key and before[key] > 0:
            before[key] -= 1
            found.append(number)
    return tuple(found)
