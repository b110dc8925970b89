"""The Markdown vault: each enhanced meeting as a file in a folder read elsewhere (an Obsidian
vault), named ``YYYY-MM-DD Title.md``.

The file opens with YAML front matter (date, time, duration, attendees, folder, tags, meeting
id); the user's lines follow as typed, AI lines sit in ``<span class="ai">`` (a CSS snippet
makes them grey; in plain text the tag still tells them apart), each citation as ``[mm:ss]``.

A file is replaced only while it still holds exactly what was last written to it: the SHA-256 of
each written file is kept in ``vault.json`` in the data folder. A file the user edited in the
vault is left as it is; the new notes go to ``… (2).md`` beside it, and the result says so. A
file keeps its name when the meeting's title changes, so links to it keep working.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from notes_app.clock import clock, local_time
from notes_app.domain import Block, EnhancedNotes, Meeting
from notes_app.errors import StorageError
from notes_app.private import FILE_MODE, write_atomic
from notes_app.usecases.filenames import meeting_stem, numbered

log = logging.getLogger(__name__)

INDEX_FILE = "vault.json"
SUFFIX = ".md"

# What happened to a meeting's file.
NEW = "new"  # written where there was none
UPDATED = "updated"  # replaced: it held what was written last time
UNCHANGED = "unchanged"  # it already holds these notes
BESIDE_EDIT = "beside_edit"  # the user edited it there: the new notes went beside it


@dataclass(frozen=True)
class VaultWrite:
    meeting_id: int
    path: Path
    status: str  # NEW, UPDATED, UNCHANGED or BESIDE_EDIT
    # The file left as it is beside the one written: edited in the vault (BESIDE_EDIT), or a
    # file of that name this app did not write (NEW).
    kept: Path | None = None

    @property
    def message(self) -> str:
        if self.status == BESIDE_EDIT and self.kept is not None:
            return (
                f"“{self.kept.name}” was edited in the vault, so it was left as it is; "
                f"the new notes are in “{self.path.name}”."
            )
        if self.kept is not None:
            return (
                f"“{self.kept.name}” in the vault was not written by notes-app, so it was left "
                f"as it is; the notes are in “{self.path.name}”."
            )
        verb = {NEW: "Wrote", UPDATED: "Updated", UNCHANGED: "Unchanged:"}[self.status]
        return f"{verb} {self.path}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "meeting_id": self.meeting_id,
            "path": str(self.path),
            "status": self.status,
            "kept": str(self.kept) if self.kept else None,
        }


# --- the file's text -----------------------------------------------------------------------------


def vault_markdown(meeting: Meeting, notes: EnhancedNotes) -> str:
    """The meeting's file: front matter, the title, then the notes block by block."""
    lines = ["---", *_front_matter(meeting, notes), "---", "", f"# {meeting.title}", ""]
    for i, block in enumerate(notes.blocks):
        if block.source == "user":
            if block.type == "heading":
                lines += ["", _prefix(block) + block.text, ""]
            else:  # a line the call said again cites where
                cited = " ".join(f"[{clock(c.start)}]" for c in block.citations)
                lines.append(f"{_prefix(block)}{block.text} {cited}".rstrip())
            continue
        text = f'<span class="ai">{_escape(block.text)}</span>'
        cites = " ".join(f"[{clock(c.start)}]" for c in block.citations)
        flag = " ⚠ unverified" if not block.verified else ""
        if block.type == "heading":  # a section the AI added, such as the action items
            lines += ["", f"{_prefix(block)}{text}", ""]
            continue
        lead = _prefix(block) if block.type == "bullet" else "- "
        lines.append(f"{_indent_under(block, notes.blocks, i)}{lead}{text} {cites}{flag}".rstrip())
    body = "\n".join(lines)
    while "\n\n\n" in body:
        body = body.replace("\n\n\n", "\n\n")
    return body.rstrip() + "\n"


def _front_matter(meeting: Meeting, notes: EnhancedNotes) -> list[str]:
    when = local_time(meeting.started_at)
    out = [f"title: {_yaml(meeting.title)}"]
    if when:
        out += [f"date: {when:%Y-%m-%d}", f'time: "{when:%H:%M}"']
    if meeting.duration:
        out.append(f"duration: {_yaml(_duration(meeting.duration))}")
    out += _yaml_list("attendees", meeting.attendees)
    if meeting.folder:
        out.append(f"folder: {_yaml(meeting.folder)}")
    out += _yaml_list("tags", meeting.tags)
    out.append(f"meeting_id: {meeting.id}")
    if notes.version:
        out.append(f"notes_version: {notes.version}")
    return out


def _yaml(text: str) -> str:
    # A JSON string is a YAML double-quoted scalar: nothing in a title can break out of it.
    return json.dumps(text, ensure_ascii=False)


def _yaml_list(key: str, items: tuple[str, ...]) -> list[str]:
    if not items:
        return []
    return [f"{key}:", *(f"  - {_yaml(item)}" for item in items)]


def _duration(seconds: float) -> str:
    minutes = max(round(seconds / 60), 1)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _prefix(block: Block) -> str:
    if block.type == "heading":
        return "#" * max(1, min(block.level, 6)) + " "  # as typed
    if block.type == "bullet":
        return "  " * max(block.level - 1, 0) + (block.marker or "-") + " "
    return ""


def _indent_under(block: Block, blocks: tuple[Block, ...], i: int) -> str:
    """An AI line expanding a user's bullet sits one level under it."""
    if block.note_line is None:
        return ""
    for prev in reversed(blocks[:i]):
        if prev.source == "user" and prev.note_line == block.note_line:
            if prev.type == "bullet":
                return "  " * max(prev.level, 1)
            return ""
    return ""


_MARKDOWN = re.compile(r"([\\`*_\[\]|])")


def _escape(text: str) -> str:
    """AI text as literal text inside its span: no HTML, no Markdown emphasis or links."""
    return _MARKDOWN.sub(r"\\\1", html.escape(text, quote=False))


# --- writing -------------------------------------------------------------------------------------

_lock = threading.Lock()  # one write at a time in this process: the index is read, then written


def write_meeting(
    vault: Path, index_path: Path, meeting: Meeting, notes: EnhancedNotes
) -> VaultWrite:
    """The meeting's file written (or left alone) in ``vault`` as the module docstring says."""
    text = vault_markdown(meeting, notes)
    data = text.encode("utf-8")
    with _lock:
        _make_folder(vault)
        index = _read_index(index_path)
        records = index.setdefault(_key(vault), {})
        record = records.get(str(meeting.id))
        result = _place(vault, meeting, data, record)
        if result.status != UNCHANGED:
            _write_atomic(result.path, data)
        records[str(meeting.id)] = {
            "file": result.path.name,
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        _write_index(index_path, index)
    return result


def _place(vault: Path, meeting: Meeting, data: bytes, record: dict[str, str] | None) -> VaultWrite:
    """Where the new text goes, and why."""
    stem = meeting_stem(meeting)
    if record:
        last = vault / record["file"]
        held = _read_bytes(last)
        if held is not None:
            if hashlib.sha256(held).hexdigest() != record["sha256"]:
                beside = _free(vault, _stem_of(last), start=2)
                return VaultWrite(meeting.id, beside, BESIDE_EDIT, kept=last)
            status = UNCHANGED if held == data else UPDATED
            return VaultWrite(meeting.id, last, status)
    target = numbered(vault, stem, SUFFIX, 1)
    held = _read_bytes(target)
    if held == data:
        return VaultWrite(meeting.id, target, UNCHANGED)  # written before the index was lost
    if held is None:
        return VaultWrite(meeting.id, target, NEW)
    return VaultWrite(meeting.id, _free(vault, stem, start=2), NEW, kept=target)


def _stem_of(path: Path) -> str:
    """``2025-03-04 Acme`` for ``2025-03-04 Acme (2).md``: the name a new copy numbers from."""
    return re.sub(r" \(\d+\)$", "", path.stem)


def _free(vault: Path, stem: str, *, start: int) -> Path:
    n = start
    while numbered(vault, stem, SUFFIX, n).exists():
        n += 1
    return numbered(vault, stem, SUFFIX, n)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise StorageError(f"Could not read {path} in the vault: {e.strerror}.") from None


def _make_folder(vault: Path) -> None:
    try:
        vault.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StorageError(
            f"Could not make the vault folder {vault}: {e.strerror}. Choose another with "
            "`notes-app config set notes.vault FOLDER`."
        ) from None
    if not vault.is_dir():
        raise StorageError(
            f"The vault {vault} is not a folder. Choose a folder with "
            "`notes-app config set notes.vault FOLDER`."
        )


def _write_atomic(path: Path, data: bytes, *, mode: int = 0o666, failed: str = "") -> None:
    """``data`` at ``path``, never half-written: through a hidden file renamed over it.
    ``failed`` is the sentence for a write that fails (``{path}`` and ``{why}`` filled in)."""
    hidden = path.with_name(f".{path.name}.notes-app-tmp")  # a vault app does not list it
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data, mode=mode, tmp=hidden)
    except OSError as e:
        sentence = failed or (
            "Could not write {name} to the vault {folder}: {why}. Free disk space or check the "
            "folder's permissions; the notes themselves are saved."
        )
        raise StorageError(
            sentence.format(path=path, name=path.name, folder=path.parent, why=e.strerror)
        ) from None


# --- the record of what was written ---------------------------------------------------------------


def _key(vault: Path) -> str:
    return str(vault.resolve())


def _read_index(path: Path) -> dict[str, dict[str, dict[str, str]]]:
    """The record of written files, by vault and meeting id; a damaged one counts as empty
    (then a file found unchanged is recognised, and any other is kept and written beside)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        log.warning(
            "The vault record %s could not be read; starting a new one", path, exc_info=True
        )
        return {}
    vaults = data.get("vaults") if isinstance(data, dict) else None
    return vaults if isinstance(vaults, dict) else {}


def _write_index(path: Path, vaults: dict[str, Any]) -> None:
    data = json.dumps({"version": 1, "vaults": vaults}, indent=1, ensure_ascii=False)
    _write_atomic(
        path,
        data.encode("utf-8"),
        mode=FILE_MODE,
        failed="Could not keep the record of the vault's files in {path}: {why}. Free disk "
        "space; the vault's files are written.",
    )
