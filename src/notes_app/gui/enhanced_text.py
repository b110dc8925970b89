"""Enhanced notes as editable text and back, keeping what the user did not touch.

Editing enhanced notes saves a new version. Lines the user left alone keep their block (source,
citations, verification); changed or new lines become the user's own words.
"""

from __future__ import annotations

from notes_app.domain import Block
from notes_app.enhance.notes_parse import parse_line as parse_note_line


def block_line(block: Block) -> str:
    if block.type == "heading":
        return "#" * max(1, min(block.level, 6)) + " " + block.text
    if block.type == "bullet":
        return "  " * max(block.level - 1, 0) + (block.marker or "-") + " " + block.text
    return block.text


def blocks_to_text(blocks: tuple[Block, ...]) -> str:
    return "\n".join(block_line(b) for b in blocks)


def parse_line(line: str) -> Block:
    """A line the user typed, as a user block (read with the notes' own grammar)."""
    ln = parse_note_line(line)
    return Block(ln.kind, ln.text, "user", level=ln.level, marker=ln.marker)


def text_to_blocks(text: str, previous: tuple[Block, ...]) -> tuple[Block, ...]:
    """Blocks for edited text: unchanged lines reuse their old block, in order of appearance."""
    unused: dict[str, list[Block]] = {}
    for b in previous:
        unused.setdefault(block_line(b), []).append(b)
    out: list[Block] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        same = unused.get(line)
        out.append(same.pop(0) if same else parse_line(line))
    return tuple(out)
