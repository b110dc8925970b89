"""Search latency on a store holding 1,000 hours of meetings.

The store is built by recombining the real QMSum transcripts (../shared/eval-data) into
meetings with varied titles, dates and speakers, inserted through the repository so the search
triggers do the indexing, as in use. It is cached under /tmp, so reruns only measure.

    python benchmarks/search_scale.py [--hours 1000] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from notes_app.domain import Segment
from notes_app.store.db import open_db
from notes_app.store.repo import Repo
from notes_app.store.search import Filters, search

EVAL_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "eval-data"
DATA = EVAL_DATA / "meetings" / "qmsum-val"
SECONDS_PER_WORD = 0.4  # about 150 spoken words a minute
NAMES = ["Ana", "Ben", "Chen", "Dana", "Eli", "Fatima", "Gus", "Hana", "Ivan", "Jo", "Kofi", "Lee"]

QUERIES = [
    ("one word", "budget", Filters()),
    ("two words", "remote control", Filters()),
    ("phrase", '"speech recognition"', Filters()),
    ("prefix", "microph", Filters()),
    ("rare word", "kangaroo", Filters()),
    ("exclusion", "design -button", Filters()),
    ("since filter", "budget", Filters(since="2025-06-01")),
    ("meeting filter", "remote control", Filters(meeting_id=7)),
    ("speaker filter", "budget", Filters(speaker="me")),
    ("date range", "interface", Filters(since="2025-03-01", until="2025-04-01")),
]


def load_sources() -> list[dict]:
    files = sorted(DATA.glob("*.json"))
    if not files:
        sys.exit(f"No QMSum data at {DATA.resolve()}: this benchmark needs ../shared/eval-data.")
    return [json.loads(f.read_text(encoding="utf-8")) for f in files]


def synth_meeting(rng: random.Random, src: dict) -> tuple[str, list[Segment], float]:
    """About an hour of talk: stretches of one real meeting, with its speakers renamed."""
    turns = src["meeting_transcripts"]
    cast = {s: rng.choice(NAMES) for s in {t["speaker"] for t in turns}}
    cast[rng.choice(list(cast))] = "me"
    segs, clock, target = [], 0.0, rng.uniform(1800, 5400)
    while clock < target:
        start = rng.randrange(len(turns))
        for t in turns[start : start + rng.randint(20, 120)]:
            length = max(1.0, len(t["content"].split()) * SECONDS_PER_WORD)
            segs.append(Segment(len(segs), clock, clock + length, t["content"], cast[t["speaker"]]))
            clock += length
    topics = [x["topic"] for x in src.get("topic_list", []) if x.get("topic")] or ["Sync"]
    return rng.choice(topics).capitalize(), segs, clock


def build(path: Path, hours: float) -> None:
    rng = random.Random(7)
    sources = load_sources()
    repo = Repo.open(path)
    start = datetime(2024, 1, 1, 9, tzinfo=timezone.utc)
    done, count, t0 = 0.0, 0, time.perf_counter()
    while done < hours * 3600:
        with repo.transaction():  # many meetings per commit: indexing, not fsync, is the cost
            for _ in range(25):
                title, segs, length = synth_meeting(rng, rng.choice(sources))
                when = start + timedelta(hours=rng.uniform(0, 24 * 730))
                repo.create_meeting(
                    title,
                    started_at=when.isoformat(timespec="seconds"),
                    duration=length,
                    notes=f"{title}: follow up",
                    segments=segs,
                )
                done += length
                count += 1
        print(f"\rbuilding: {done / 3600:7.0f} h, {count} meetings", end="", file=sys.stderr)
    print(f"\nbuilt {count} meetings in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    repo.db.execute("INSERT INTO search_index(search_index) VALUES ('optimize')")
    repo.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hours", type=float, default=1000)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    path = Path(f"/tmp/notes_app_search_scale_{int(args.hours)}h.db")
    if args.rebuild or not path.exists():
        for p in path.parent.glob(path.name + "*"):
            p.unlink()
        build(path, args.hours)
    db = open_db(path)
    hours = db.execute("SELECT sum(duration) / 3600 FROM meetings").fetchone()[0]
    segs = db.execute("SELECT count(*) FROM segments").fetchone()[0]
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6
    print(f"store: {hours:.0f} hours, {segs:,} segments, {size:,.0f} MB ({path})")
    print(f"{'query':<16}{'text':<24}{'p50 ms':>8}{'p95 ms':>8}{'hits':>6}")
    every: list[float] = []
    for label, text, filters in QUERIES:
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            results = search(db, text, filters, limit=20)
            times.append(1000 * (time.perf_counter() - t0))
        every += times
        p50, p95 = statistics.median(times), statistics.quantiles(times, n=20)[-1]
        print(f"{label:<16}{text:<24}{p50:>8.1f}{p95:>8.1f}{len(results):>6}")
    p95_all = statistics.quantiles(every, n=20)[-1]
    print(
        f"all queries: p50 {statistics.median(every):.1f} ms, p95 {p95_all:.1f} ms "
        "(target p95 <= 50 ms)"
    )


if __name__ == "__main__":
    main()
