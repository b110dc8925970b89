"""Reading JSON out of what a language model actually writes.

Models wrap JSON in code fences, put a sentence before it, leave trailing commas, or stop in the
middle of an array when they run out of tokens. ``loads_lenient`` copes with the first three;
``scan_array_objects`` recovers every *complete* object of an array (also while a reply is still
streaming in) and says whether the array was closed, so the caller can tell a cut-off reply
from a finished one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)(?:```|$)", re.DOTALL)
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


class JSONNotFound(ValueError):
    """The text holds no JSON value that could be read."""


def strip_fences(text: str) -> str:
    """The inside of the first code fence, or the text itself when there is none."""
    m = _FENCE.search(text)
    return m.group(1) if m else text


def _structure(text: str, start: int = 0):
    """(position, character) of every character of ``text`` from ``start`` that is JSON
    structure, i.e. outside a quoted string (a string's opening quote counts, its body not)."""
    in_string = escaped = False
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        yield i, ch


def _without_trailing_commas(text: str) -> str:
    # Only outside strings: a comma before } inside a quoted sentence must stay.
    drop = {i for i, ch in _structure(text) if ch == "," and _TRAILING_COMMA.match(text, i)}
    return "".join(ch for i, ch in enumerate(text) if i not in drop)


def loads_lenient(text: str) -> Any:
    """Parse the first JSON object or array in ``text``; raise JSONNotFound if there is none."""
    body = strip_fences(text)
    start = _first_open(body)
    if start < 0:
        raise JSONNotFound("no JSON object or array in the reply")
    candidate = _without_trailing_commas(body[start:])
    try:
        value, _ = json.JSONDecoder().raw_decode(candidate)
    except json.JSONDecodeError as e:
        raise JSONNotFound(f"invalid JSON ({e.msg} at character {e.pos})") from None
    return value


def _first_open(text: str) -> int:
    positions = [p for p in (text.find("{"), text.find("[")) if p >= 0]
    return min(positions) if positions else -1


@dataclass(frozen=True)
class ScannedArray:
    objects: tuple[dict[str, Any], ...]
    found: bool  # an array was found at all
    closed: bool  # its closing bracket was seen: the reply was not cut off inside it


def scan_array_objects(text: str, key: str) -> ScannedArray:
    """The complete objects of the array under ``"key"`` (or of the first array) in ``text``.

    Works on a prefix of a reply, so it serves both streaming (call it again as text arrives)
    and recovery of a truncated reply. Objects that do not parse even leniently are skipped.
    """
    body = strip_fences(text)
    start = _array_start(body, key)
    if start < 0:
        return ScannedArray((), False, False)
    objects: list[dict[str, Any]] = []
    depth = 0
    obj_start = -1
    for i, ch in _structure(body, start + 1):
        if ch in "{[":
            if depth == 0:
                obj_start = i
            depth += 1
        elif ch in "}]":
            if depth == 0:
                return ScannedArray(tuple(objects), True, True)  # the array's own "]"
            depth -= 1
            if depth == 0 and ch == "}":
                parsed = _parse_object(body[obj_start : i + 1])
                if parsed is not None:
                    objects.append(parsed)
    return ScannedArray(tuple(objects), True, False)


def _array_start(body: str, key: str) -> int:
    m = re.search(r'"' + re.escape(key) + r'"\s*:\s*\[', body)
    if m:
        return m.end() - 1
    stripped = body.lstrip()
    # A bare array reply: [ {...}, ... ]
    if stripped.startswith("["):
        return body.index("[")
    return -1


def _parse_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(_without_trailing_commas(text))
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
