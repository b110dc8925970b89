"""Live transcription latency: a scripted two-sided conversation played in real time.

The conversation goes through the same capture path as a call (a file-backed sounddevice
stand-in, real time), MeetingSession, VAD and Whisper. For each utterance: the time from the
end of its speech to its committed text. Prints p50/p95 latency, average CPU (share of the
whole machine) and peak memory. Targets on 2 cores with tiny.en: p50 <= 1.5 s, p95 <= 3 s,
CPU <= 30 %, memory <= 600 MB.

``--load N`` runs N busy processes beside it (each spins one core) for the whole conversation,
as when a build or a browser takes the CPU during a call: the transcript should then degrade
(greedy, no context, "catching up") instead of queueing. Target with one busy core: p95 <= 2 s.

    python benchmarks/live_latency.py [--model tiny.en] [--load 1]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
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
from notes_app.session import MeetingSession, SessionListener  # noqa: E402
from notes_app.transcribe.engine import WhisperEngine  # noqa: E402
from notes_app.transcribe.models import default_project_dir, resolve_model  # noqa: E402

RATE = 16000
SCRIPT = [
    (CHANNEL_THEM, "Good morning, thanks for joining the planning call."),
    (CHANNEL_ME, "Morning. Shall we start with the budget?"),
    (CHANNEL_THEM, "Yes, the quarterly budget was approved yesterday."),
    (CHANNEL_ME, "Great, then we can hire two more engineers."),
    (CHANNEL_THEM, "The new release should ship on Friday."),
    (CHANNEL_ME, "I will write the release notes tonight."),
    (CHANNEL_THEM, "Please send the draft to the whole team."),
    (CHANNEL_ME, "Will do. Anything else for today?"),
    (CHANNEL_THEM, "No, that is all. Talk to you next week."),
    (CHANNEL_ME, "Thanks, bye everyone."),
]
TURN_GAP = 1.2


def build_conversation(folder: Path) -> tuple[dict[str, np.ndarray], list[tuple[int, float]]]:
    """Two channel tracks and the (channel, end second) of every utterance."""
    tracks = {CHANNEL_ME: [], CHANNEL_THEM: []}
    ends, t = [], 1.0
    for i, (channel, text) in enumerate(SCRIPT):
        voice = decode_audio(str(say(text, folder / f"{i}.wav")))
        start = int(t * RATE)
        for ch in tracks:
            track = tracks[ch]
            pad = start - sum(map(len, track))
            track.append(np.zeros(pad, np.float32))
            track.append(voice if ch == channel else np.zeros(len(voice), np.float32))
        t += len(voice) / RATE
        ends.append((channel, t))
        t += TURN_GAP
    sources = {
        f"ch{ch}": np.concatenate(parts + [np.zeros(3 * RATE, np.float32)])
        for ch, parts in tracks.items()
    }
    return sources, ends


def busy_processes(count: int) -> list[subprocess.Popen]:
    """``count`` processes that each keep one core busy until killed."""
    spin = "while True:\n    pass\n"
    return [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(count)]


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="tiny.en")
    parser.add_argument("--load", type=int, default=0, help="busy processes beside it")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="live-latency-"))
    os.environ.setdefault("NOTES_APP_HOME", str(folder / "home"))
    sources, ends = build_conversation(folder)
    app = App.load()
    model = resolve_model(
        args.model, project_dir=default_project_dir(), home_models_dir=app.settings.models_dir
    )
    engine = WhisperEngine(model).load()
    fake = FileInputModule(sources)
    devices = {
        ch: InputDevice(f"ch{ch}", f"ch{ch}", "mic", open_device=f"ch{ch}")
        for ch in (CHANNEL_ME, CHANNEL_THEM)
    }
    capture = Capture(fake, devices, clock=fake.clock)
    latencies: list[float] = []
    pending = list(ends)

    catching_up: list[tuple[float, bool]] = []

    class Listener(SessionListener):
        def on_segment(self, seg) -> None:
            on_segment(seg)

        def on_catching_up(self, behind: bool) -> None:
            at = capture.clock() - capture.t0
            catching_up.append((at, behind))
            print(f"  [{at:5.1f} s] " + ("catching up" if behind else "caught up"))

    def on_segment(seg) -> None:
        heard = capture.clock() - capture.t0
        # The scripted utterance this text belongs to: same side, ending nearest its end.
        mine = [e for e in pending if e[0] == seg.channel]
        if mine:
            match = min(mine, key=lambda e: abs(e[1] - seg.end))
            if abs(match[1] - seg.end) < 2.0:
                pending.remove(match)
                latencies.append(heard - match[1])
        print(f"  {seg.speaker:>4} {seg.text}")

    session = MeetingSession(
        app.repo,
        engine,
        capture,
        audio_dir=app.settings.audio_dir,
        language="en",
        listener=Listener(),
    )
    length = len(next(iter(sources.values()))) / RATE
    load = busy_processes(args.load)
    try:
        cpu0, wall0 = cpu_seconds(), time.monotonic()
        session.start("Latency benchmark")
        time.sleep(length)
        cpu, wall = cpu_seconds() - cpu0, time.monotonic() - wall0
        session.stop()
    finally:
        for proc in load:
            proc.kill()
            proc.wait()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cores = os.cpu_count() or 1
    lat = np.array(latencies)
    busy = f", {args.load} busy process{'es' if args.load != 1 else ''} beside it"
    print(
        f"utterances: {len(SCRIPT)}, committed and matched: {len(lat)}{busy if args.load else ''}"
    )
    if not len(lat):
        raise SystemExit("No utterance was committed in time; nothing to measure.")
    print(
        f"latency end-of-speech -> committed: p50 {np.percentile(lat, 50):.2f} s, "
        f"p95 {np.percentile(lat, 95):.2f} s, max {lat.max():.2f} s"
    )
    print(
        f"average CPU: {100 * cpu / wall / cores:.1f} % of {cores} cores "
        f"({100 * cpu / wall:.1f} % of one core) over {wall:.0f} s of meeting"
    )
    print(f"peak memory (max RSS): {peak_mb:.0f} MB")
    spells = sum(1 for _, behind in catching_up if behind)
    print(f"catching up (greedy, no context): {spells} time{'s' if spells != 1 else ''}")
    target = 2.0 if args.load else 3.0
    verdict = "meets" if np.percentile(lat, 95) <= target else "misses"
    print(f"p95 {verdict} the {target:.0f} s target")


if __name__ == "__main__":
    main()
