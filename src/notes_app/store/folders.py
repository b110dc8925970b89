"""Folders and tags of meetings: the names as stored, and the SQL that picks a folder.

A folder is a path of names joined by "/" ("Clients/Acme"); picking a folder picks the folders
inside it too, in any case ("clients" picks "Clients/Acme"). A meeting in no folder has NULL.
Tags are a JSON list of short words. Both columns are added by migration m007_folders_tags,
nullable, so rows written before it keep their shape (store/repair.py reads them back).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from notes_app.errors import NotesAppError

if TYPE_CHECKING:
    from notes_app.store.db import Database

MAX_FOLDER = 200
MAX_TAG = 60
_SPACES = re.compile(r"\s+")


def install_folders_schema(db: Database) -> None:
    """Run by migration m007_folders_tags. Never change what this creates: add a migration."""
    db.execute("ALTER TABLE meetings ADD COLUMN folder TEXT")
    db.execute("ALTER TABLE meetings ADD COLUMN tags TEXT")
    db.execute("CREATE INDEX meetings_folder ON meetings(folder COLLATE NOCASE)")


def folder_name(text: str | None) -> str | None:
    """A folder as stored: names trimmed and joined by "/", or None for "no folder" ("" or
    "/"); a NotesAppError for a name that cannot be one."""
    if text is None:
        return None
    parts = [_SPACES.sub(" ", p).strip() for p in text.replace("\\", "/").split("/")]
    parts = [p for p in parts if p]
    if not parts:
        return None
    if any(p in (".", "..") for p in parts) or any(ord(c) < 32 for p in parts for c in p):
        raise NotesAppError(
            f"“{text}” cannot be a folder name: use words, with / between a folder and the one "
            "inside it (e.g. Clients/Acme)."
        )
    name = "/".join(parts)
    if len(name) > MAX_FOLDER:
        raise NotesAppError(f"A folder name can be at most {MAX_FOLDER} characters long.")
    return name


def tag_name(text: str) -> str:
    """A tag as stored: one word (spaces become dashes, a leading # is dropped), lower case."""
    tag = _SPACES.sub("-", text.strip().lstrip("#").strip()).casefold()
    if not tag or len(tag) > MAX_TAG or any(c in tag for c in ",[]\"'") or "/" in tag:
        raise NotesAppError(
            f"“{text}” cannot be a tag: use one short word or words joined by dashes "
            "(e.g. pricing or q3-planning)."
        )
    return tag


def folder_clause(column: str, folder: str) -> tuple[str, list[Any]]:
    """SQL true for rows whose ``column`` is ``folder`` or a folder inside it (any case)."""
    name = folder_name(folder)
    if name is None:
        return f"{column} IS NULL", []
    prefix = name + "/"
    return (
        f"({column} = ? COLLATE NOCASE OR substr({column}, 1, ?) = ? COLLATE NOCASE)",
        [name, len(prefix), prefix],
    )


def tags_of(value: str | None) -> tuple[str, ...]:
    """The tags column read back."""
    return tuple(json.loads(value)) if value else ()
