"""How time goes in meetings: hours per week, meetings per weekday, who talks, what comes up."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from notes_app.domain import ME, THEM, Segment
from notes_app.store import stats_sql
from notes_app.textkit import QUERY_STOPWORDS as STOPWORDS

if TYPE_CHECKING:  # the store hands the database in; no SQL here
    from notes_app.store.db import Database

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)  # words of letters only, 3+ long


@dataclass(frozen=True)
class TalkShare:
    meeting_id: int | None  # None: over all meetings
    title: str
    me_seconds: float
    them_seconds: float

    @property
    def me_share(self) -> float | None:
        total = self.me_seconds + self.them_seconds
        return round(self.me_seconds / total, 3) if total else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "meeting_id": self.meeting_id,
            "title": self.title,
            "me_seconds": round(self.me_seconds, 1),
            "them_seconds": round(self.them_seconds, 1),
            "me_share": self.me_share,
        }


@dataclass(frozen=True)
class Stats:
    meetings: int
    total_hours: float
    hours_per_week: tuple[tuple[str, float], ...]  # ("2024-W05", hours), oldest first
    meetings_per_weekday: tuple[tuple[str, int], ...]  # Mon..Sun
    talk: tuple[TalkShare, ...]  # per meeting with speech
    talk_overall: TalkShare
    top_people: tuple[tuple[str, int], ...]  # (name, meetings they were in)
    top_terms: tuple[tuple[str, int], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "meetings": self.meetings,
            "total_hours": self.total_hours,
            "hours_per_week": [{"week": w, "hours": h} for w, h in self.hours_per_week],
            "meetings_per_weekday": dict(self.meetings_per_weekday),
            "talk_share": {
                "overall": self.talk_overall.to_dict(),
                "meetings": [t.to_dict() for t in self.talk],
            },
            "top_people": [{"name": n, "meetings": c} for n, c in self.top_people],
            "top_terms": [{"term": t, "count": c} for t, c in self.top_terms],
        }


def compute_stats(db: Database, since: str | None = None, top: int = 10) -> Stats:
    rows = stats_sql.meeting_rows(db, since)
    weeks: dict[str, float] = {}
    weekdays: Counter[str] = Counter({d: 0 for d in WEEKDAYS})
    for r in rows:
        when = _parse(r["started_at"])
        if when is None:
            continue
        year, week, _ = when.isocalendar()
        key = f"{year}-W{week:02d}"
        weeks[key] = weeks.get(key, 0.0) + float(r["duration"] or 0) / 3600
        weekdays[WEEKDAYS[when.weekday()]] += 1
    talk, overall = _talk(db, since, {r["id"]: r["title"] for r in rows})
    return Stats(
        meetings=len(rows),
        total_hours=round(sum(weeks.values()), 2),
        hours_per_week=tuple((w, round(h, 2)) for w, h in sorted(weeks.items())),
        meetings_per_weekday=tuple((d, weekdays[d]) for d in WEEKDAYS),
        talk=talk,
        talk_overall=overall,
        top_people=_most_common(_people(db, since, rows), top),
        top_terms=_most_common(_terms(db, since), top),
    )


def talk_share(
    segments: Iterable[Segment], meeting_id: int | None = None, title: str = ""
) -> TalkShare:
    """One meeting's talk share from its transcript, counted as `compute_stats` counts it:
    the user's own channel is me, any other speaker is them, unattributed speech is left out."""
    me = them = 0.0
    for seg in segments:
        if not seg.speaker:
            continue
        seconds = max(seg.end - seg.start, 0.0)
        if _is_me(seg.speaker):
            me += seconds
        else:
            them += seconds
    return TalkShare(meeting_id, title, me, them)


def percentages(share: TalkShare) -> tuple[int, int] | None:
    """(me, them) as whole percentages that add up to 100; None when nobody spoke."""
    if share.me_share is None:
        return None
    me = round(share.me_seconds * 100 / (share.me_seconds + share.them_seconds))
    return me, 100 - me


def recent_weeks(
    hours_per_week: Iterable[tuple[str, float]], today: date, weeks: int = 8
) -> tuple[tuple[date, float], ...]:
    """The ``weeks`` ISO weeks up to the one holding ``today`` as (its Monday, hours), oldest
    first; a week without meetings is there with 0 hours, so a chart keeps its time axis."""
    hours = dict(hours_per_week)
    monday = today - timedelta(days=today.weekday())
    out = []
    for back in range(weeks - 1, -1, -1):
        start = monday - timedelta(weeks=back)
        year, week, _ = start.isocalendar()
        out.append((start, hours.get(f"{year}-W{week:02d}", 0.0)))
    return tuple(out)


def _is_me(speaker: str) -> bool:
    return speaker.lower() == ME


def _most_common(counts: Counter[str], top: int) -> tuple[tuple[str, int], ...]:
    """Highest counts first; ties alphabetical, so the report is the same on every run."""
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top])


def _parse(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None  # a hand-edited date must not break the whole report


def _talk(
    db: Database, since: str | None, titles: dict[int, str]
) -> tuple[tuple[TalkShare, ...], TalkShare]:
    """Me is the user's own channel; everyone else (them, or a named speaker) is them."""
    per: dict[int, list[float]] = {}
    for mid, speaker, seconds in stats_sql.talk_seconds(db, since):
        bucket = per.setdefault(mid, [0.0, 0.0])
        bucket[0 if _is_me(speaker) else 1] += seconds
    shares = tuple(
        TalkShare(mid, titles.get(mid, ""), me, them) for mid, (me, them) in sorted(per.items())
    )
    overall = TalkShare(
        None, "all meetings", sum(s.me_seconds for s in shares), sum(s.them_seconds for s in shares)
    )
    return shares, overall


def _people(db: Database, since: str | None, rows: list[dict]) -> Counter[str]:
    """Named speakers and attendees, counted once per meeting they were part of."""
    seen: dict[int, set[str]] = {}
    for r in rows:
        names = json.loads(r["attendees"] or "[]")
        seen.setdefault(r["id"], set()).update(n.strip() for n in names if n.strip())
    for mid, speaker, _ in stats_sql.talk_seconds(db, since):
        if speaker.lower() not in (ME, THEM):
            seen.setdefault(mid, set()).add(speaker)
    return Counter(name for names in seen.values() for name in names)


def _terms(db: Database, since: str | None) -> Counter[str]:
    counts: Counter[str] = Counter()
    for text in stats_sql.texts(db, since):
        counts.update(w for w in _WORD.findall(text.lower()) if w not in STOPWORDS)
    return counts
