"""How offline enhancement scales with the size of the notes: seconds and peak memory.

A synthetic hour-long call (900 segments, four speakers, numbers, questions and answers) and
notes of 0.5, 1 and 5 MB written from it (headings every 20 lines, bullets naming what was
said, amounts, owners), enhanced offline through ``App.enhance`` as the window and the command
line do. Each size runs in a process of its own, so its peak memory is its own: "peak MB" is
the resident set's high-water mark minus what the process held before enhancing.
"progress" counts the Progress events the caller received.

    python benchmarks/enhance_scale.py [--sizes 0.5 1 5] [--segments 900]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

NAMES = ["me", "them", "Dana", "Ravi"]
TOPICS = [
    "pricing page launch",
    "hiring plan for support",
    "quarterly budget review",
    "customer churn in europe",
    "security audit findings",
    "mobile release schedule",
    "partner integration api",
    "marketing campaign assets",
]
FILLER = (
    "we think the next step is to check with the team and then agree on the owner and the date "
    "because last time it slipped and nobody followed up on the open questions"
).split()


def make_transcript(segments: int, seed: int = 7):
    from notes_app.domain import Segment, Transcript

    rng = random.Random(seed)
    out, t = [], 0.0
    for i in range(segments):
        topic = TOPICS[(i // 40) % len(TOPICS)].split()
        words = rng.sample(FILLER, 9) + rng.sample(topic, 2)
        rng.shuffle(words)
        if i % 7 == 0:
            words += [f"{rng.randint(2, 99)}.{rng.randint(1, 9)}", "million"]
        text = " ".join(words).capitalize() + ("?" if i % 11 == 0 else ".")
        length = 2.0 + len(words) * 0.3
        speaker = NAMES[rng.randrange(len(NAMES))]
        out.append(Segment(i, t, t + length, text, speaker, 0 if speaker == "me" else 1))
        t += length + 0.4
    return Transcript(segments=tuple(out), language="en")


def make_notes(size_bytes: int, transcript, seed: int = 11) -> str:
    rng = random.Random(seed)
    segs = transcript.segments
    lines: list[str] = []
    total, n = 0, 0
    while total < size_bytes:
        if n % 20 == 0:
            line = f"## {TOPICS[(n // 20) % len(TOPICS)].title()} {n // 20}"
        else:
            seg = segs[rng.randrange(len(segs))]
            words = [w.strip(".,?").lower() for w in seg.text.split()]
            picked = " ".join(rng.sample(words, min(4, len(words))))
            extra = rng.choice(["", " → Dana", " 4.2M", " by Friday", " ?"])
            line = f"- {picked}{extra}"
        lines.append(line)
        total += len(line) + 1
        n += 1
    return "\n".join(lines) + "\n"


def run_one(megabytes: float, segments: int) -> dict:
    from notes_app.app import App
    from notes_app.config import Settings
    from notes_app.domain import Meeting
    from notes_app.events import Progress

    transcript = make_transcript(segments)
    notes = make_notes(int(megabytes * 1_000_000), transcript)
    meeting = Meeting(
        id=1,
        title="Scale",
        started_at=None,
        ended_at=None,
        duration=None,
        language="en",
        audio_path=None,
        status="done",
        attendees=(),
        notes=notes,
    )
    app = App(Settings(home=Path("/nonexistent-enhance-scale")))
    events = []
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    enhanced = app.enhance(meeting, transcript, mode="offline", on_event=lambda e: events.append(e))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "mb": megabytes,
        "lines": notes.count("\n"),
        "segments": segments,
        "seconds": round(seconds, 2),
        "peak_mb": round((peak - before) / 1024, 1),
        "blocks": len(enhanced.blocks),
        "progress": sum(isinstance(e, Progress) for e in events),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.5, 1.0, 5.0])
    parser.add_argument("--segments", type=int, default=900)
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.segments)))
        return 0
    print(f"{'notes MB':>8} {'lines':>8} {'seconds':>8} {'peak MB':>8} {'s/MB':>6} {'progress':>8}")
    for size in args.sizes:
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(size), "--segments", str(args.segments)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(f"{size:>8} failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(done.stdout)
        print(
            f"{r['mb']:>8} {r['lines']:>8} {r['seconds']:>8} {r['peak_mb']:>8} "
            f"{r['seconds'] / r['mb']:>6.1f} {r['progress']:>8}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
