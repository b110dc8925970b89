"""Start-up time of the desktop window and its CPU use once idle. Targets: first paint ≤ 0.6 s
and ≤ 3× a bare Qt window with 200 meetings, the same with 2,000, and ~0% CPU once idle.

Each run launches a fresh ``python -m notes_app gui`` — the real entry point, on a data folder
holding ``--meetings`` meetings with notes and transcripts — on its own X server (Xvfb), or
offscreen when Xvfb is missing. A small wrapper around the entry point prints the moment the
main window first paints; the time from launch to that moment is the start-up time. The
process is then left alone: its CPU time (from /proc/<pid>/stat) is read over the ``--settle``
seconds after the paint (work queued for just after showing) and over the ``--idle`` seconds
after that. The user is a returning one (the first-run welcome, which tests the microphone with
live levels, was seen) unless ``--first-run``.

For scale on a noisy machine, the same is measured for a bare Qt window (import PySide6, one
empty QMainWindow): the ratio says what the app adds on top of Qt itself.

Python's bytecode is cached for the launches, as an installed app has it (pip compiles the
package when it installs it, the bundle ships it compiled, an editable checkout writes it at the
first import): a private PYTHONPYCACHEPREFIX in the temporary folder, filled by a first launch
that is not counted. A shell with PYTHONDONTWRITEBYTECODE set would compile every one of the
app's modules at every launch (PySide6's are compiled in site-packages either way); that figure
is printed too, as "without cached bytecode".

Where the time goes: one more launch, not counted in the median, times each step from inside
(the imports in the order the entry point makes them, the QApplication and its style sheet, the
database open with its migrations, the window's construction with the meeting list's first
query and model and the first meeting shown, then show to paint), and ``-X importtime`` sums
the imports by package.

    python benchmarks/startup.py [--meetings 200] [--runs 3] [--idle 10] [--first-run] [--offscreen]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

TARGET_SECONDS = 0.6
TARGET_RATIO = 3.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# An event filter that prints when the window it watches first paints (used by both probes).
FIRST_PAINT = """
import sys, time
from PySide6.QtCore import QEvent, QObject

class FirstPaint(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            print("PAINTED", time.monotonic(), time.process_time(), flush=True)
            obj.removeEventFilter(self)
        return False
"""

# Runs the real entry point; the filter on the main window reports its first paint.
APP_PROBE = (
    FIRST_PAINT
    + """
from notes_app.gui import main_window

_init = main_window.MainWindow.__init__
def init(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self._first_paint = FirstPaint(self)
    self.installEventFilter(self._first_paint)
main_window.MainWindow.__init__ = init

import runpy
sys.argv = ["notes-app", "gui"]
runpy.run_module("notes_app", run_name="__main__", alter_sys=True)
"""
)

# The steps timed from inside: (object in the probe, its function, what it does).
TIMED = [
    ("gui_app", "qt_app", "QApplication, style sheet and icon"),
    ("theme", "apply", "  of which the style sheet"),
    ("repo", "open_db", "database open and migrations"),
    ("main_window.MainWindow", "__init__", "window built"),
    ("sidebar.Sidebar", "show_pages", "  of which the meeting list: first page and model"),
    ("meeting_view.MeetingView", "show_meeting", "  of which the latest meeting shown"),
]

# Libraries the window needs only for later work (a recording, an LLM, sharing, a migration).
HEAVY = [
    "numpy", "sqlite_utils", "faster_whisper", "ctranslate2", "onnxruntime", "av", "sounddevice",
    "openai", "httpx", "keyring", "icalendar", "notes_app.session", "notes_app.gui.overview",
]  # fmt: skip

# The same launch, timing each step from inside; imports first, in the entry point's order.
BREAKDOWN_PROBE = (
    """
import sys, time
T0 = time.monotonic()
print("STEP", "python started", T0, time.process_time(), flush=True)
def step(name):
    print("STEP", name, time.monotonic(), time.process_time(), flush=True)
import PySide6.QtWidgets
step("import PySide6 (Qt)")
import notes_app.cli
step("import the command line")
import notes_app.gui.app
step("import the app core (settings, the store)")
import notes_app.gui.main_window
step("import the window's modules")
"""
    + FIRST_PAINT
    + """
import functools
from notes_app.gui import app as gui_app, main_window, meeting_view, sidebar, theme
from notes_app.store import repo

def timed(owner, name, label):
    original = getattr(owner, name)
    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        began = time.monotonic()
        try:
            return original(*args, **kwargs)
        finally:
            print("SPENT", label, time.monotonic() - began, flush=True)
    setattr(owner, name, wrapper)

TIMED = """
    + repr(TIMED)
    + """

for owner, name, label in TIMED:
    timed(eval(owner), name, label)

class Loaded(QObject):
    # At the first paint: which of the libraries only later work needs are loaded already.
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            obj.removeEventFilter(self)
            heavy = [m for m in """
    + repr(HEAVY)
    + """ if m in sys.modules]
            print("LOADED", len(sys.modules), *heavy, flush=True)
        return False

_init = main_window.MainWindow.__init__
def init(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self._first_paint = FirstPaint(self)
    self.installEventFilter(self._first_paint)
    self._loaded = Loaded(self)  # installed last, so it runs first: before PAINTED is read
    self.installEventFilter(self._loaded)
main_window.MainWindow.__init__ = init

import runpy
sys.argv = ["notes-app", "gui"]
runpy.run_module("notes_app", run_name="__main__", alter_sys=True)
"""
)

# The floor: what any PySide6 window costs on this machine.
BARE_PROBE = (
    FIRST_PAINT
    + """
from PySide6.QtWidgets import QApplication, QMainWindow

qapp = QApplication(sys.argv[:1])
win = QMainWindow()
win.resize(1180, 760)
first_paint = FirstPaint(win)
win.installEventFilter(first_paint)
win.show()
qapp.exec()
"""
)


def fill_store(home: Path, meetings: int, *, welcomed: bool) -> None:
    """``meetings`` finished meetings over the past months, each with notes and a transcript."""
    from notes_app.app import App
    from notes_app.domain import Segment

    app = App.load(home)
    if welcomed:
        try:
            from notes_app.gui.welcome import marker_path
        except ImportError:  # a build without the welcome
            pass
        else:
            marker_path(app.settings).touch()
    start = datetime.now(timezone.utc) - timedelta(days=meetings)
    for n in range(meetings):
        when = start + timedelta(days=n, hours=n % 8)
        segments = [
            Segment(i, i * 6.0, i * 6 + 5.0, f"Point {i} of meeting {n}: budget, hiring, launch.",
                    "me" if i % 3 == 0 else "them", 0 if i % 3 == 0 else 1)
            for i in range(60)
        ]  # fmt: skip
        app.repo.create_meeting(
            f"Weekly sync {n}",
            started_at=when.isoformat(timespec="seconds"),
            duration=360.0,
            attendees=["Dana", "Sam"],
            notes="# Agenda\n- budget\n- hiring\n- launch date",
            segments=segments,
        )
    app.close()


def start_xvfb() -> tuple[subprocess.Popen, str]:
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    if not number:
        xvfb.kill()
        raise SystemExit("Xvfb did not start; run with --offscreen.")
    return xvfb, f":{number}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)


def launch(
    probe: str, env: dict[str, str], settle: float, idle: float
) -> tuple[float, float, float, float]:
    """Seconds to first paint, CPU seconds used by then, and the CPU share (of one core) over
    the ``settle`` seconds after it and over the ``idle`` seconds after those."""
    began = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-c", probe], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        for line in proc.stdout:
            if line.startswith("PAINTED"):
                painted = float(line.split()[1])
                break
        else:
            raise SystemExit(f"The window never painted (exit code {proc.wait()}).")
        startup_cpu = cpu_seconds(proc.pid)
        time.sleep(settle)
        settled_cpu = cpu_seconds(proc.pid)
        time.sleep(idle)
        idle_cpu = cpu_seconds(proc.pid) - settled_cpu
        if proc.poll() is not None:
            raise SystemExit(f"The app exited while idle (exit code {proc.returncode}).")
    finally:
        proc.terminate()
        proc.wait(10)
    settle_share = (settled_cpu - startup_cpu) / settle if settle else 0.0
    return painted - began, startup_cpu, settle_share, idle_cpu / idle


def with_bytecode(env: dict[str, str], cache: Path) -> dict[str, str]:
    """``env`` with Python's bytecode written to and read from ``cache``."""
    cached = dict(env, PYTHONPYCACHEPREFIX=str(cache))
    cached.pop("PYTHONDONTWRITEBYTECODE", None)
    return cached


def breakdown(env: dict[str, str]) -> list[str]:
    """One instrumented launch: each step's time, then the imports by package (lines to print)."""
    began = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-X", "importtime", "-c", BREAKDOWN_PROBE],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    steps, spent, last, last_cpu = [], [], began, 0.0
    loaded = ""
    try:
        for line in proc.stdout:
            kind, _, rest = line.partition(" ")
            if kind in ("STEP", "PAINTED"):
                name, at, cpu = rest.rsplit(" ", 2) if kind == "STEP" else ("", *rest.split())
                name = name or "App.load, the window, show and first paint"
                steps.append((name, float(at) - last, float(cpu) - last_cpu))
                last, last_cpu = float(at), float(cpu)
                if kind == "PAINTED":
                    break
            elif kind == "LOADED":
                count, _, heavy = rest.strip().partition(" ")
                loaded = f"{count} modules loaded at the first paint; of the heavy ones: " + (
                    heavy or "none"
                )
            elif kind == "SPENT":
                name, seconds = rest.rsplit(" ", 1)
                spent.append((name, float(seconds)))
    finally:
        proc.terminate()
        _, errors = proc.communicate(timeout=10)
    lines = [
        "where the time goes (one instrumented launch; -X importtime slows imports a little), "
        "wall time (CPU time):"
    ]
    for name, seconds, cpu in steps:
        lines.append(f"  {1000 * seconds:6.0f} ms ({1000 * cpu:4.0f})  {name}")
    order = [label for _, _, label in TIMED]
    for name, seconds in sorted(spent, key=lambda item: order.index(item[0])):
        lines.append(f"  {1000 * seconds:6.0f} ms         {name}")
    by_package: dict[str, int] = {}
    for line in errors.splitlines():
        if line.startswith("import time:") and "self [us]" not in line:
            self_us, _, name = line.split(":", 1)[1].split("|")
            by_package[package_of(name.strip())] = by_package.get(
                package_of(name.strip()), 0
            ) + int(self_us)
    total = sum(by_package.values())
    lines.append(loaded)
    lines.append(f"imports by package ({total / 1000:.0f} ms in all):")
    for name, us in sorted(by_package.items(), key=lambda kv: -kv[1])[:12]:
        lines.append(f"  {us / 1000:6.0f} ms  {name}")
    return lines


def package_of(module: str) -> str:
    """notes_app.gui.sidebar -> notes_app.gui; numpy._core.x -> numpy; shiboken -> PySide6."""
    parts = module.split(".")
    if parts[0] == "notes_app":
        return ".".join(parts[:2])
    if parts[0] in ("shiboken6", "shibokensupport"):
        return "PySide6"
    return parts[0]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--meetings", type=int, default=200)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--settle", type=float, default=2.0, help="seconds after the first paint")
    p.add_argument("--idle", type=float, default=10.0, help="seconds of idle to measure")
    p.add_argument("--first-run", action="store_true", help="with the first-run welcome")
    p.add_argument("--offscreen", action="store_true", help="no X server (Qt offscreen)")
    p.add_argument("--no-breakdown", action="store_true", help="skip the instrumented launch")
    args = p.parse_args()

    xvfb = None
    with tempfile.TemporaryDirectory(prefix="notes-startup-") as home:
        fill_store(Path(home), args.meetings, welcomed=not args.first_run)
        env = dict(os.environ, NOTES_APP_HOME=home, NOTES_APP_NO_KEYRING="1")
        compiling = dict(env, PYTHONDONTWRITEBYTECODE="1")
        compiling.pop("PYTHONPYCACHEPREFIX", None)
        env = with_bytecode(env, Path(home) / "pycache")
        if args.offscreen or shutil.which("Xvfb") is None:
            screen = {"QT_QPA_PLATFORM": "offscreen"}
            where = "offscreen"
        else:
            xvfb, display = start_xvfb()
            screen = {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
            where = f"Xvfb {display}"
        for e in (env, compiling):
            e.update(screen)
            e.pop("WAYLAND_DISPLAY", None)
        try:
            user = "first run (welcome shown)" if args.first_run else "returning user"
            print(
                f"{args.meetings} meetings, {user}, {where}, {args.runs} runs, "
                f"{os.cpu_count()} CPUs"
            )
            launch(BARE_PROBE, env, 0, 0.1)  # warm the file cache for both
            launch(APP_PROBE, env, 0, 0.1)  # and write the app's bytecode
            bare_runs = [launch(BARE_PROBE, env, 0, 0.1) for _ in range(args.runs)]
            runs = [launch(APP_PROBE, env, args.settle, args.idle) for _ in range(args.runs)]
            compiled = [launch(APP_PROBE, compiling, 0, 0.1)[0] for _ in range(args.runs)]
            details = [] if args.no_breakdown else breakdown(env)
        finally:
            if xvfb is not None:
                xvfb.terminate()
                xvfb.wait(10)

    bare = [r[0] for r in bare_runs]
    shown = [r[0] for r in runs]
    settling = [r[2] for r in runs]
    idle = [r[3] for r in runs]
    median = statistics.median(shown)
    print(
        f"bare Qt window, launch to first paint: median {statistics.median(bare):.2f} s "
        f"(CPU by then {statistics.median(r[1] for r in bare_runs):.2f} s)"
    )
    print(
        f"notes-app gui, launch to first paint:  median {median:.2f} s "
        f"(min {min(shown):.2f}, max {max(shown):.2f}); "
        f"{median / statistics.median(bare):.1f}× a bare Qt window"
    )
    cpu, bare_cpu = (statistics.median(r[1] for r in rs) for rs in (runs, bare_runs))
    print(
        f"CPU used by then: median {cpu:.2f} s, {cpu / bare_cpu:.1f}× a bare Qt window's "
        "(the figure a busy machine disturbs least)"
    )
    print(
        f"CPU over the {args.settle:.0f} s after the first paint: "
        f"median {100 * statistics.median(settling):.1f}% of one core"
    )
    print(
        f"idle CPU over the {args.idle:.0f} s after that: "
        f"median {100 * statistics.median(idle):.2f}% of one core (max {100 * max(idle):.2f}%)"
    )
    print(
        f"without cached bytecode (every module compiled at launch): median "
        f"{statistics.median(compiled):.2f} s, "
        f"{statistics.median(compiled) / statistics.median(bare):.1f}× a bare Qt window"
    )
    ratio = median / statistics.median(bare)
    verdict = "meets" if median <= TARGET_SECONDS and ratio <= TARGET_RATIO else "misses"
    print(
        f"start-up {verdict} the target ({TARGET_SECONDS:.1f} s and {TARGET_RATIO:.0f}× a bare "
        "Qt window)"
    )
    print("\n".join(details))


if __name__ == "__main__":
    main()
