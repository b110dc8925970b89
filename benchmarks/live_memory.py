"""Memory over a long meeting: two hours of audio fed at accelerated speed.

A 30-second exchange (one sentence each side, then quiet) is repeated for the whole length and
fed through the full live path (capture seam, MeetingSession, spool, VAD, Whisper, SQLite).
Prints resident memory at the start, every 20 minutes of meeting time, and at the end; it
must not grow with the meeting's length.

    python benchmarks/live_memory.py [--hours 2] [--speed 40]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from faster_whisper import decode_audio  # noqa: E402
from speech import say  # noqa: E402

from notes_app.app import App  # noqa: E402
from notes_app.audio.capture import Capture, FileInputModule  # noqa: E402
from notes_app.audio.devices import InputDevice  # noqa: E402
from notes_app.domain import CHANNEL_ME, CHANNEL_THEM  # noqa: E402
from notes_app.session import MeetingSession  # noqa: E402
from notes_app.transcribe.engine import WhisperEngine  # noqa: E402
from notes_app.transcribe.models import default_project_dir, resolve_model  # noqa: E402

RATE = 16000
CYCLE = 30.0


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class LoopedTrack:
    """One cycle repeated ``repeats`` times, sliced on demand: the benchmark itself must not
    hold two hours of audio, or its own memory would hide the session's."""

    def __init__(self, cycle: np.ndarray, repeats: int):
        self.cycle, self.total = cycle, len(cycle) * repeats

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, part: slice) -> np.ndarray:
        first, last = part.start, min(part.stop, self.total)
        idx = np.arange(first, max(last, first)) % len(self.cycle)
        return self.cycle[idx]


def tracks(folder: Path, hours: float) -> dict[str, LoopedTrack]:
    me = decode_audio(str(say("Let us go over the action items again.", folder / "me.wav")))
    them = decode_audio(str(say("The budget review moves to Thursday.", folder / "them.wav")))
    cycle = int(CYCLE * RATE)
    left, right = np.zeros(cycle, np.float32), np.zeros(cycle, np.float32)
    left[RATE : RATE + len(me)] = me
    right[12 * RATE : 12 * RATE + len(them)] = them
    repeats = int(hours * 3600 / CYCLE)
    return {"me": LoopedTrack(left, repeats), "them": LoopedTrack(right, repeats)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--speed", type=float, default=20.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="live-memory-"))
    os.environ.setdefault("NOTES_APP_HOME", str(folder / "home"))
    app = App.load()
    engine = WhisperEngine(
        resolve_model(
            "tiny.en", project_dir=default_project_dir(), home_models_dir=app.settings.models_dir
        )
    ).load()
    sources = tracks(folder, args.hours)
    length = len(sources["me"]) / RATE
    fake = FileInputModule({name: np.zeros(1, np.float32) for name in sources}, speed=args.speed)
    fake.sources.update(sources)
    devices = {
        CHANNEL_ME: InputDevice("me", "me", "mic", open_device="me"),
        CHANNEL_THEM: InputDevice("them", "them", "monitor", open_device="them"),
    }
    capture = Capture(fake, devices, clock=fake.clock)
    session = MeetingSession(
        app.repo, engine, capture, audio_dir=app.settings.audio_dir, language="en"
    )
    session.start("Memory benchmark")
    time.sleep(1.0)
    start_mb = rss_mb()
    print(f"start: {start_mb:.0f} MB (model loaded, recording)")
    mark = 20 * 60.0
    while session.seconds < length - 5:
        time.sleep(0.5)
        if session.seconds >= mark:
            print(
                f"  {session.seconds / 60:5.0f} min of meeting: {rss_mb():.0f} MB, "
                f"transcript {session.backlog:.0f} s behind"
            )
            mark += 20 * 60.0
    end_mb = rss_mb()
    meeting = session.stop()
    segments = app.repo.segment_count(meeting.id)
    print(
        f"end:   {end_mb:.0f} MB after {length / 3600:.1f} h of audio "
        f"({segments} segments); growth {end_mb - start_mb:+.0f} MB"
    )


if __name__ == "__main__":
    main()
