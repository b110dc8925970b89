"""The calendars the user added: ICS files and private iCal addresses (Google, Outlook).

They are kept in ``calendars.json`` in the data folder, readable by the user alone (a private
address is a secret: whoever has it reads the calendar), and shown with the address's path
hidden. What an address returned is cached in ``calendar/``; it is fetched again when the copy
is older than FRESH, and when that fails the copy is used and the failure said in a sentence.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from notes_app.calendars.ics import (
    CalendarError,
    CalendarEvent,
    calendar_name,
    events_between,
    parse_calendar,
)
from notes_app.clock import parse_iso
from notes_app.errors import StorageError
from notes_app.private import private_dir, write_atomic

log = logging.getLogger(__name__)

CALENDARS_FILE = "calendars.json"
CACHE_DIR = "calendar"
FRESH = timedelta(minutes=15)
TIMEOUT = 20.0  # seconds for one fetch
MAX_BYTES = 20_000_000  # a year of a busy calendar is a few MB

Fetch = Callable[[str], bytes]
_SAID = {"file_only": True}  # the caller shows the sentence; the log keeps the traceback


@dataclass(frozen=True)
class Source:
    id: str  # stable: from the address or path
    source: str  # an http(s) address, or a file's absolute path
    name: str
    fetched_at: str | None = None  # when the address last answered (UTC ISO)

    @property
    def is_url(self) -> bool:
        return self.source.startswith(("http://", "https://"))

    @property
    def shown(self) -> str:
        """The address without its path (which holds the secret), or the file's path."""
        if not self.is_url:
            return self.source
        parts = urlsplit(self.source)
        return f"{parts.scheme}://{parts.hostname}/…"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "source": self.shown,
            "fetched_at": self.fetched_at,
        }


def source_text(text: str) -> tuple[str, bool]:
    """What the user typed as a calendar: an address (webcal:// is https://) or a file path."""
    text = text.strip()
    low = text.lower()
    if low.startswith("webcal://"):
        return "https://" + text[len("webcal://") :], True
    if low.startswith(("http://", "https://")):
        return text, True
    return str(Path(text).expanduser().resolve()), False


class Calendars:
    """The user's calendars in the data folder ``home``; ``fetch`` reads an address (httpx by
    default), ``now`` is the clock."""

    def __init__(
        self,
        home: Path,
        *,
        fetch: Fetch | None = None,
        now: Callable[[], datetime] | None = None,
    ):
        self.home = Path(home)
        self.fetch = fetch or fetch_url
        self.now = now or (lambda: datetime.now(timezone.utc))
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self.home / CALENDARS_FILE

    def _stamp(self) -> str:
        return self.now().astimezone(timezone.utc).isoformat(timespec="seconds")

    def sources(self) -> list[Source]:
        return [Source(**s) for s in self._read().get("sources", [])]

    def add(self, text: str) -> tuple[Source, list[CalendarEvent]]:
        """Add a calendar after reading it once (so a wrong address is said now, not later);
        returns it and its events of the coming week."""
        source, is_url = source_text(text)
        sid = hashlib.sha256(source.encode()).hexdigest()[:8]
        if any(s.id == sid for s in self.sources()):
            raise CalendarError(f"That calendar is already added (as {sid}).")
        if not is_url and not Path(source).exists():
            raise CalendarError(
                f"There is no calendar file at {source}. Give the path of an .ics file, or a "
                "calendar's private iCal address (https://… or webcal://…)."
            )
        data = self.fetch(source) if is_url else _read_file(Path(source))
        where = Source(sid, source, "").shown
        calendar = parse_calendar(data, where)
        fallback = urlsplit(source).hostname or "Calendar" if is_url else Path(source).stem
        added = Source(
            sid, source, calendar_name(calendar, fallback), self._stamp() if is_url else None
        )
        if is_url:
            self._cache(added, data)
        start = self.now()
        upcoming = events_between(calendar, start, start + timedelta(days=7), name=added.name)
        with self._lock:
            stored = self._read()
            stored.setdefault("sources", []).append(added.__dict__)
            self._write(stored)
        return added, upcoming

    def remove(self, key: str) -> Source:
        """Remove a calendar by its id, or its number in the list (1, 2, …)."""
        found = self.sources()
        chosen = next((s for s in found if s.id == key), None)
        if chosen is None and key.isdigit() and 1 <= int(key) <= len(found):
            chosen = found[int(key) - 1]
        if chosen is None:
            raise CalendarError(
                f"No calendar {key!r}. `notes-app calendar sources` lists them with their ids."
            )
        with self._lock:
            stored = self._read()
            stored["sources"] = [s for s in stored.get("sources", []) if s["id"] != chosen.id]
            self._write(stored)
        with contextlib.suppress(FileNotFoundError):
            self._cache_path(chosen).unlink()
        return chosen

    def events(
        self, start: datetime, end: datetime, *, refresh: bool = True
    ) -> tuple[list[CalendarEvent], list[str]]:
        """Every calendar's events overlapping ``start``–``end``, and a sentence for each
        calendar that could not be read fresh (its cached copy is used when there is one)."""
        events: list[CalendarEvent] = []
        problems: list[str] = []
        for source in self.sources():
            try:
                data, problem = self._data(source, refresh)
                if problem:
                    problems.append(problem)
                if data is None:
                    continue
                calendar = parse_calendar(data, source.shown)
                events += events_between(calendar, start, end, name=source.name)
            except CalendarError as e:
                log.warning("Calendar %s: %s", source.id, e, exc_info=True, extra=_SAID)
                problems.append(f"{source.name}: {e}")
        return sorted(events, key=lambda e: (e.start, e.title)), problems

    # --- reading one calendar --------------------------------------------------------------------

    def _data(self, source: Source, refresh: bool) -> tuple[bytes | None, str | None]:
        """The calendar's text and, when it could not be fetched now, a sentence saying so."""
        if not source.is_url:
            return _read_file(Path(source.source)), None
        cached = self._cached(source)
        fetched = parse_iso(source.fetched_at)
        fresh = cached is not None and fetched is not None and self.now() - fetched < FRESH
        if fresh or not refresh:
            return cached, None
        try:
            data = self.fetch(source.source)
            parse_calendar(data, source.shown)  # an error page is not cached over a calendar
        except CalendarError as e:
            log.warning("Calendar %s not fetched: %s", source.id, e, exc_info=True, extra=_SAID)
            if cached is None:
                return None, f"{source.name}: {e}"
            return (
                cached,
                f"{source.name}: {e} Showing the copy fetched {_ago(fetched, self.now())}.",
            )
        self._cache(source, data)
        self._set_fetched(source)
        return data, None

    def _cache_path(self, source: Source) -> Path:
        return self.home / CACHE_DIR / f"{source.id}.ics"

    def _cached(self, source: Source) -> bytes | None:
        try:
            return self._cache_path(source).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as e:
            log.warning("The cached calendar %s cannot be read: %s", source.id, e)
            return None

    def _cache(self, source: Source, data: bytes) -> None:
        try:
            private_dir(self.home / CACHE_DIR)
            write_atomic(self._cache_path(source), data)
        except OSError as e:  # the calendar was read; only the copy for later is missing
            log.warning("The calendar %s could not be cached: %s", source.id, e)

    def _set_fetched(self, source: Source) -> None:
        with self._lock:
            stored = self._read()
            for s in stored.get("sources", []):
                if s["id"] == source.id:
                    s["fetched_at"] = self._stamp()
            self._write(stored)

    # --- calendars.json ---------------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"sources": []}
        except (OSError, ValueError) as e:
            raise StorageError(
                f"The list of calendars {self.path} cannot be read ({e}). Fix or delete it, "
                "then add the calendars again."
            ) from None
        return data if isinstance(data, dict) else {"sources": []}

    def _write(self, data: dict[str, Any]) -> None:
        try:
            private_dir(self.home)
            write_atomic(self.path, json.dumps(data, indent=1).encode("utf-8"))
        except OSError as e:
            raise StorageError(
                f"Could not save the list of calendars in {self.path}: {e.strerror}. Free disk "
                "space or check the folder's permissions."
            ) from None


def fetch_url(url: str) -> bytes:
    """The body of ``url`` (redirects followed, at most MAX_BYTES); CalendarError otherwise."""
    import httpx

    shown = Source("", url, "").shown
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=True) as client:
            with client.stream("GET", url, headers={"Accept": "text/calendar"}) as response:
                if response.status_code >= 400:
                    raise CalendarError(
                        f"The calendar address {shown} answered {response.status_code} "
                        f"({response.reason_phrase}). Check the address (copy the private "
                        "iCal address again), then add it again."
                    )
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise CalendarError(
                            f"The calendar at {shown} is larger than {MAX_BYTES // 1_000_000} MB;"
                            " export a shorter range of it."
                        )
                return bytes(body)
    except httpx.HTTPError as e:
        raise CalendarError(
            f"Could not fetch the calendar at {shown}: {type(e).__name__}"
            f"{': ' + str(e) if str(e) else ''}. Check the network and the address."
        ) from None


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CalendarError(
            f"The calendar file {path} is not there any more. Add it again from where it is "
            "now (`notes-app calendar add FILE`)."
        ) from None
    except OSError as e:
        raise CalendarError(f"The calendar file {path} cannot be read: {e.strerror}.") from None


def _ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "earlier"
    minutes = int((now - then).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min ago"
    hours = minutes // 60
    return f"{hours} h ago" if hours < 48 else f"{hours // 24} days ago"
