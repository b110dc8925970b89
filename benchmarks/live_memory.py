"""Memory over a long meeting: hours of audio through the full live path, at accelerated speed.

A 30-second exchange (one sentence each side, then quiet) is repeated for the whole length and
fed through the capture seam, MeetingSession, the spool, VAD, Whisper (the bundled tiny.en) and
SQLite; with ``--window`` through the real window too (offscreen), whose live transcript grows
with the meeting. Targets: growth <= 30 MB over 2 hours and <= 60 MB over 6, peak <= 450 MB.

Pacing: the meeting plays at up to ``--speed`` times real time, but its clock waits while the
transcript is more than ``--max-behind`` seconds behind, as a real meeting's transcript keeps up
(without that, a machine slower than the speed asked for measures a backlog, not the meeting).
``--max-behind 0`` never waits: the transcript falls as far behind as the machine makes it, and
what stays bounded is the waiting audio kept in memory (the rest is read back from the spool).

Resident memory swings by some 50 MB while Whisper decodes (its working buffers), so each
20 minutes of meeting prints the lowest RSS (between utterances) and the highest. The first five
minutes warm up (the first decodes allocate the model's buffers); growth is the change in the
lowest RSS from minutes 5-10 to the last stretch, peak the highest RSS ever (VmHWM). The
breakdown says where memory is: the Python heap by file (``--trace``, tracemalloc: slower),
malloc in use and held free, the audio each stage holds, SQLite's heap, the window's transcript.

    python benchmarks/live_memory.py [--hours 2] [--speed 40] [--max-behind 4] [--window]
    python benchmarks/live_memory.py --hours 6 --speed 60        # the six-hour target
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from faster_whisper import decode_audio  # noqa: E402
from speech import say  # noqa: E402

from notes_app.app import App  # noqa: E402
from notes_app.audio.capture import Capture  # noqa: E402
from notes_app.audio.devices import InputDevice  # noqa: E402
from notes_app.domain import CHANNEL_ME, CHANNEL_THEM  # noqa: E402
from notes_app.session import MeetingSession, SessionListener  # noqa: E402
from notes_app.store.repo import Repo  # noqa: E402
from notes_app.transcribe.engine import WhisperEngine  # noqa: E402
from notes_app.transcribe.models import default_project_dir, resolve_model  # noqa: E402

RATE = 16000
CYCLE = 30.0
MARK_EVERY = 20 * 60.0  # meeting seconds between report lines
WARM_UP = 5 * 60.0  # the first decodes allocate what the rest reuse
MB = 1024 * 1024


def proc_status(field: str) -> float:
    """A /proc/self/status memory figure (VmRSS, VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _libc_mallinfo():
    try:
        fn = ctypes.CDLL("libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return None
    fn.restype = _MallInfo2
    return fn


def _sqlite_memory():
    try:
        fn = ctypes.CDLL("libsqlite3.so.0").sqlite3_memory_used
    except (OSError, AttributeError):
        return None
    fn.restype = ctypes.c_int64
    return fn


MALLINFO = _libc_mallinfo()
SQLITE_MEMORY = _sqlite_memory()


class LoopedTrack:
    """One cycle repeated ``repeats`` times, sliced on demand: the benchmark itself must not
    hold hours of audio, or its own memory would hide the session's."""

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


class PacedInput:
    """A stand-in for the sounddevice module: plays tracks at up to ``speed`` times real time
    on a meeting clock that stands still while ``wait()`` says so."""

    def __init__(self, sources, *, speed: float, wait=lambda: False):
        self.sources, self.speed, self.wait = sources, speed, wait
        self.now = 0.0  # meeting seconds
        self.waited = 0.0  # wall seconds the clock stood still
        self._tick = threading.Condition()
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True, name="meeting-clock").start()

    def clock(self) -> float:
        return self.now

    def close(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        last = time.monotonic()
        while not self._stop.wait(0.01):
            wall = time.monotonic()
            if self.wait():
                self.waited += wall - last
            else:
                with self._tick:
                    self.now += (wall - last) * self.speed
                    self._tick.notify_all()
            last = wall

    def InputStream(self, *, device, samplerate, blocksize, callback, **_):  # noqa: N802
        return _PacedStream(self, self.sources[device], int(samplerate), blocksize, callback)


class _PacedStream:
    def __init__(self, clock: PacedInput, samples, rate: int, blocksize: int, callback):
        self.clock, self.samples, self.rate = clock, samples, rate
        self.blocksize, self.callback = blocksize, callback
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="paced-input")

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        sent = 0
        while not self._stop.is_set():
            due = (sent + self.blocksize) / self.rate
            with self.clock._tick:
                while self.clock.now < due and not self._stop.is_set():
                    self.clock._tick.wait(0.1)
            block = self.samples[sent : sent + self.blocksize]
            if len(block) < self.blocksize:
                block = np.concatenate([block, np.zeros(self.blocksize - len(block), np.float32)])
            self.callback(block.reshape(-1, 1), self.blocksize, None, None)
            sent += self.blocksize

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join()

    close = stop


class Sampler:
    """RSS every quarter second; the lowest and highest of each stretch of meeting."""

    def __init__(self):
        self.low, self.high = float("inf"), 0.0

    def sample(self) -> None:
        rss = proc_status("VmRSS")
        self.low, self.high = min(self.low, rss), max(self.high, rss)

    def take(self) -> tuple[float, float]:
        out = (self.low, self.high)
        self.low, self.high = float("inf"), 0.0
        return out


def stage_figures(session: MeetingSession) -> dict[str, str]:
    """What each stage holds right now."""
    t = session._transcriber
    out: dict[str, str] = {}
    if MALLINFO is not None:
        m = MALLINFO()
        out["malloc"] = f"{m.uordblks / MB:.0f} MB in use, {m.fordblks / MB:.0f} MB held free"
    if tracemalloc.is_tracing():
        out["python heap"] = f"{tracemalloc.get_traced_memory()[0] / MB:.1f} MB"
    if t is not None:
        with t._lock:
            waiting = [u for u in t._ready]
            queued = t._queued
        kept = sum(len(u.audio) for u in waiting if u.audio is not None)
        out["waiting audio"] = (
            f"{len(waiting)} utterances, {kept / RATE:.0f} s in memory "
            f"({kept * 4 / MB:.1f} MB), {getattr(t, 'read_back', 0)} read back from the spool; "
            f"{queued / RATE:.1f} s queued before VAD"
        )
        vad = sum(len(d.buf) for d in t.detectors.values())
        ring = sum(r.size for r in t.recent.values())
        out["VAD and echo buffers"] = f"{vad * 4 / 1024:.0f} KB + {ring * 4 / MB:.1f} MB ring"
        context = sum(len(text) for _, text in t._last_text.values())
        out["context and echo text"] = (
            f"{context} chars carried, {len(t.recent_text)} recent segments, "
            f"{len(t.latencies)} latencies"
        )
    spool = session._spool
    if spool is not None:
        pending = sum(spool._pending_len.values())
        out["spool"] = (
            f"{spool.frames * 4 / MB:.0f} MB on disk, {pending * 4 / 1024:.0f} KB waiting to be "
            "written"
        )
    out["vocabulary"] = f"{len(session.vocabulary.terms())} terms"
    saved = session.committed  # a list of them before they were only counted
    kept = f", {len(saved)} kept in memory" if isinstance(saved, list) else ""
    saved = saved if isinstance(saved, int) else len(saved)
    out["segments"] = f"{saved} saved{kept}, {len(session._unsaved)} unsaved in memory"
    if SQLITE_MEMORY is not None:
        out["SQLite heap"] = f"{SQLITE_MEMORY() / MB:.1f} MB (all connections)"
    return out


def heap_growth(first: tracemalloc.Snapshot, top: int = 6) -> list[str]:
    now = tracemalloc.take_snapshot()
    stats = now.compare_to(first, "filename")
    return [
        f"{s.size_diff / 1024:+8.0f} KB  {s.traceback[0].filename.split('site-packages/')[-1]}"
        for s in stats[:top]
    ]


def engine_for(app: App) -> WhisperEngine:
    model = resolve_model(
        "tiny.en", project_dir=default_project_dir(), home_models_dir=app.settings.models_dir
    )
    return WhisperEngine(model).load()


def make_session(app_repo: Repo, engine, fake: PacedInput, settings, listener) -> MeetingSession:
    devices = {
        CHANNEL_ME: InputDevice("me", "me", "mic", open_device="me"),
        CHANNEL_THEM: InputDevice("them", "them", "monitor", open_device="them"),
    }
    capture = Capture(fake, devices, clock=fake.clock)
    # The spool is written as in any meeting; not keeping it spares a FLAC encode of hours.
    return MeetingSession(
        app_repo,
        engine,
        capture,
        audio_dir=settings.audio_dir,
        language="en",
        listener=listener,
        keep_audio=False,
    )


class Run:
    """The meeting's progress, sampled and reported (called every quarter second)."""

    def __init__(self, args, length: float):
        self.args, self.length = args, length
        self.fake: PacedInput | None = None
        self.sampler = Sampler()
        self.session: MeetingSession | None = None
        self.lows: list[float] = []
        self.marks = [WARM_UP, 2 * WARM_UP]
        self.began = time.monotonic()
        self.first_heap = None

    def tick(self) -> bool:
        """Sample; print a line at each mark; True once the meeting has been played."""
        self.sampler.sample()
        session = self.session
        if session is None or session._spool is None:
            return False
        seconds = session.seconds
        if self.marks and seconds >= self.marks[0]:
            if self.marks[0] == WARM_UP:
                low, high = self.sampler.take()
                print(f"first 5 min (warming up): RSS {low:.0f}-{high:.0f} MB", flush=True)
                if self.args.trace:
                    self.first_heap = tracemalloc.take_snapshot()
            else:
                self.report(f"{seconds / 60:4.0f} min", session)
            self.marks.pop(0)
            if not self.marks and seconds < self.length - 5:
                self.marks.append((seconds // MARK_EVERY + 1) * MARK_EVERY)
        return seconds >= self.length - 5

    def report(self, label: str, session: MeetingSession) -> None:
        self.sampler.sample()  # at least one sample in the stretch
        low, high = self.sampler.take()
        self.lows.append(low)
        wall = time.monotonic() - self.began
        print(
            f"{label}: RSS {low:.0f}-{high:.0f} MB, transcript {session.backlog:.0f} s behind, "
            f"{wall / 60:.1f} min of wall time",
            flush=True,
        )

    def finish(self, session: MeetingSession) -> None:
        self.report("end", session)
        print("where the memory is, at the end of the meeting:")
        for name, figure in stage_figures(session).items():
            print(f"  {name:22s} {figure}")
        if self.first_heap is not None:
            print("  python heap growth since minute 5, by file:")
            for line in heap_growth(self.first_heap):
                print("    " + line)

    def summary(self, segments: int, window: str = "") -> None:
        growth = self.lows[-1] - self.lows[0]
        hours = self.length / 3600
        wall = time.monotonic() - self.began
        effective = self.length / wall
        target = 30.0 if hours <= 2 else 60.0
        peak = proc_status("VmHWM")
        print(
            f"{hours:.1f} h of meeting, {segments} segments, in {wall / 60:.1f} min "
            f"(played at up to {self.args.speed:g}×, {effective:.0f}× on average; the clock "
            f"waited {self.fake.waited if self.fake else 0:.0f} s for the transcript)"
        )
        if window:
            print(window)
        print(
            f"growth (lowest RSS, minutes 5-10 to the last stretch): {growth:+.0f} MB "
            f"(target <= {target:.0f} MB); peak RSS {peak:.0f} MB (target <= 450 MB)"
        )
        met = growth <= target and peak <= 450
        print(f"memory {'meets' if met else 'misses'} the targets")


def run_plain(args, app: App, engine, fake: PacedInput, run: Run) -> None:
    session = make_session(app.repo, engine, fake, app.settings, SessionListener())
    run.session = session
    session.start("Memory benchmark")
    while not run.tick():
        time.sleep(0.25)
    run.finish(session)
    meeting = session.stop()
    run.summary(app.repo.segment_count(meeting.id))


def run_in_window(args, app: App, engine, fake: PacedInput, run: Run) -> None:
    """The same meeting recorded from the window: its live transcript is part of the figure."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer

    from notes_app.gui.app import qt_app
    from notes_app.gui.main_window import MainWindow

    qapp = qt_app()
    app.settings.enhance.auto_after_stop = False
    app.settings.detect.enabled = False

    def factory(settings, bridge):
        return make_session(Repo.open(settings.db_path), engine, fake, settings, bridge)

    win = MainWindow(app, tray=False, session_factory=factory)
    win.show()
    win.recording.start()
    done: dict[str, object] = {}

    def poll() -> None:
        run.session = win.recorder.session
        if run.tick() and "meeting" not in done:
            done["meeting"] = True
            view = win.view.transcript_panel.view
            run.finish(run.session)
            done["window"] = (
                f"window: {len(win.view.transcript.segments)} segments shown, transcript "
                f"document {view.document().characterCount() / 1024:.0f} K characters in "
                f"{view.document().blockCount()} blocks"
            )
            win.recorder.stopped.connect(lambda m: (done.update(id=m.id), qapp.quit()))
            win.recorder.failed.connect(lambda e: (print(f"stop failed: {e}"), qapp.quit()))
            win.recording.stop()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(250)
    qapp.exec()
    timer.stop()
    run.summary(app.repo.segment_count(int(done["id"])), str(done["window"]))
    win.recorder.close_when_stopped = False
    win.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--speed", type=float, default=40.0, help="at most this × real time")
    parser.add_argument(
        "--max-behind",
        type=float,
        default=4.0,
        help="seconds the transcript may fall behind before the meeting clock waits (0: never)",
    )
    parser.add_argument("--window", action="store_true", help="record from the window")
    parser.add_argument("--trace", action="store_true", help="Python heap by file (slower)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="live-memory-"))
    os.environ.setdefault("NOTES_APP_HOME", str(folder / "home"))
    if args.trace:
        tracemalloc.start()
    app = App.load()
    engine = engine_for(app)
    sources = tracks(folder, args.hours)
    length = len(sources["me"]) / RATE
    held = {"waiting": False}
    run = Run(args, length)

    def transcript_behind() -> bool:
        session = run.session
        if not args.max_behind or session is None or session._transcriber is None:
            return False
        behind = session.backlog
        # Wait until it is half caught up, so the clock does not stutter at the limit.
        limit = args.max_behind / 2 if held["waiting"] else args.max_behind
        held["waiting"] = behind > limit
        return held["waiting"]

    fake = run.fake = PacedInput(sources, speed=args.speed, wait=transcript_behind)
    pacing = (
        f"the clock waits past {args.max_behind:g} s behind" if args.max_behind else "never waits"
    )
    where = ", in the window" if args.window else ""
    print(
        f"{args.hours:g} h of meeting at up to {args.speed:g}× real time ({pacing}{where}); "
        f"model loaded: {proc_status('VmRSS'):.0f} MB"
    )
    if args.window:
        run_in_window(args, app, engine, fake, run)
    else:
        run_plain(args, app, engine, fake, run)
    fake.close()


if __name__ == "__main__":
    main()
