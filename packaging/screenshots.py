"""Real screenshots of the window, for the README and docs/.

Starts its own X server (Xvfb) and, in a throwaway data folder, builds the demo meeting the way
`notes-app demo` does (the bundled sample call transcribed with the bundled model, enhanced
offline). Then it opens the real window on that display (QT_QPA_PLATFORM=xcb) and drives it:

- ``recording``: a new meeting recorded through the real capture code, its "devices" playing the
  sample call (left channel = the mic, right = the call); notes are typed as the call goes on and
  the screen is taken while the live transcript fills in;
- ``enhanced``: the demo meeting's enhanced notes with a citation opened;
- ``enhanced-dark``: the same in the dark theme;
- ``narrow``: the window at 640 px, as it sits beside a call (one column, the transcript under
  the notes, opened at the citation).

Each picture is the whole X screen, as a user would see it (no window manager, so no frame),
except ``narrow``, which is the window alone.

    python packaging/screenshots.py [--out docs] [--size 1400x900] [--speed 1.5] [NAME ...]

Needs Xvfb (Debian: xvfb). Nothing touches the user's own data.
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NAMES = ("recording", "enhanced", "enhanced-dark", "narrow")
NARROW = (640, 800)  # the narrowest window (gui/columns.py MIN_WIDTH), as tall as a laptop's
INSIDE = "NOTES_APP_SCREENSHOTS_INSIDE"  # set on the child process that runs the window
MAX_BYTES = 200_000  # README images stay small
# (audio seconds, line typed): the sample notes, written as the call reaches each point.
TYPED = [
    (1.0, "## Numbers"),
    (11.0, "- 4.2M"),
    (13.0, "- 18%"),
    (24.0, "- 12 new accounts, churn 3%"),
    (31.0, "## Pricing"),
    (41.0, "- annual plan, 20% discount"),
    (49.0, "- pricing → Sarah, Fri"),
]
SHOT_AT = 52.0  # audio seconds into the call when the recording picture is taken


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(NAMES)}")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs")
    p.add_argument("--size", default="1400x900", help="screen size, WIDTHxHEIGHT")
    p.add_argument("--speed", type=float, default=1.5, help="sample call playback speed")
    args = p.parse_args(argv)
    unknown = set(args.names) - set(NAMES)
    if unknown:
        p.error(f"unknown picture(s): {', '.join(sorted(unknown))}; choose from {', '.join(NAMES)}")
    args.names = args.names or list(NAMES)
    return args


# --- outside: the X server and the child process ---------------------------------------------


def start_xvfb(size: str) -> tuple[subprocess.Popen, str]:
    """An Xvfb on a free display (it picks the number itself and tells us through a pipe)."""
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    if not number:
        xvfb.kill()
        sys.exit("Xvfb did not start; install it (Debian: apt-get install xvfb).")
    return xvfb, f":{number}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if os.environ.get(INSIDE):
        return shoot(args)
    args.out.mkdir(parents=True, exist_ok=True)
    xvfb, display = start_xvfb(args.size)
    try:
        with tempfile.TemporaryDirectory(prefix="notes-shots-") as home:
            env = dict(
                os.environ,
                DISPLAY=display,
                QT_QPA_PLATFORM="xcb",
                NOTES_APP_HOME=home,
                NOTES_APP_NO_KEYRING="1",
                **{INSIDE: "1"},
            )
            for var in ("NOTES_APP_LLM_BASE_URL", "OPENAI_API_KEY", "WAYLAND_DISPLAY"):
                env.pop(var, None)
            print(f"Xvfb on {display}, data folder {home}", file=sys.stderr)
            child = [sys.executable, __file__, "--out", str(args.out.resolve())]
            child += ["--size", args.size, "--speed", str(args.speed), *args.names]
            return subprocess.run(child, env=env).returncode
    finally:
        xvfb.terminate()
        xvfb.wait(10)


# --- inside: the demo meeting, the window, the pictures ---------------------------------------


def build_demo_meeting(app) -> int:
    """The sample call transcribed, stored and enhanced offline, as `notes-app demo` does."""
    whisper = app.whisper()
    print(f"Transcribing the sample with {whisper.model}…", file=sys.stderr)
    return app.demo(whisper).meeting_id


def sample_session_factory(speed: float):
    """Sessions whose mic and call 'devices' play the sample's two channels in real time
    (times ``speed``) through the real capture code: capture.FileInputModule, as the GUI tests do.
    """
    from importlib import resources

    from notes_app.app import App
    from notes_app.audio.capture import Capture, FileInputModule
    from notes_app.audio.decode import decode
    from notes_app.audio.devices import InputDevice
    from notes_app.domain import CHANNEL_ME, CHANNEL_THEM
    from notes_app.session import MeetingSession

    with resources.as_file(resources.files("notes_app.resources") / "sample/meeting.ogg") as f:
        me, them = decode(f).channels

    def factory(settings, bridge):
        sd = FileInputModule({"mic": me, "call": them}, speed=speed)
        devices = {
            CHANNEL_ME: InputDevice("mic", "Sample mic", "mic", open_device="mic"),
            CHANNEL_THEM: InputDevice("call", "Sample call", "monitor", open_device="call"),
        }
        # As App.record_session wires it (this worker thread's own connection, the engine and
        # its language), with the sample playing as the devices.
        app = App(settings)
        whisper = app.whisper(live=True)  # greedy: keeps up at --speed on a small machine
        return MeetingSession(
            app.repo,
            whisper.engine.load(),
            Capture(sd, devices, clock=sd.clock),
            audio_dir=settings.audio_dir,
            language=whisper.language,
            keep_audio=False,
            listener=bridge,
            glossary=settings.transcribe.vocabulary,
        )

    return factory


class Driver:
    """Waits on the event loop and saves the whole screen."""

    def __init__(self, qapp, out: Path):
        self.qapp, self.out = qapp, out

    def settle(self, ms: int = 300) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def wait_until(self, done, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if time.monotonic() > deadline:
                raise SystemExit(f"Timed out waiting for {what}.")
            self.settle(50)

    def save(self, name: str, widget=None) -> Path:
        """The X screen's root window (or just ``widget``'s part of it) as a PNG at Qt's
        strongest compression; over MAX_BYTES, as 256 colours (a flat UI's own colours: the
        text's anti-aliasing survives)."""
        self.settle(400)  # let the last paint reach the X server
        screen = self.qapp.primaryScreen()
        if widget is None:
            image = screen.grabWindow(0).toImage()
        else:
            at = widget.geometry()  # no window manager: the frame is the window
            image = screen.grabWindow(0, at.x(), at.y(), at.width(), at.height()).toImage()
        path = self.out / f"screenshot-{name}.png"
        if not image.save(str(path), "PNG", 0):
            raise SystemExit(f"Could not write {path}.")
        if path.stat().st_size > MAX_BYTES:
            image = most_common_colours(image)
            image.save(str(path), "PNG", 0)
        size = path.stat().st_size
        note = "" if size <= MAX_BYTES else f"  (over {MAX_BYTES // 1000} KB: try a smaller --size)"
        print(f"{path}  {image.width()}x{image.height()}  {size // 1000} KB{note}")
        return path


def most_common_colours(image, count: int = 256):
    """``image`` in 8-bit colour, its palette the ``count`` colours it uses most."""
    import numpy as np
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    rgb = image.convertToFormat(QImage.Format.Format_RGB32)  # 4 bytes a pixel, rows unpadded
    pixels = np.frombuffer(rgb.constBits(), np.uint32, count=rgb.width() * rgb.height())
    colours, uses = np.unique(pixels, return_counts=True)
    palette = [int(c) for c in colours[np.argsort(uses)[::-1][:count]]]
    # Each pixel takes the nearest palette colour; dithering would speckle the flat areas.
    return rgb.convertToFormat(
        QImage.Format.Format_Indexed8, palette, Qt.ImageConversionFlag.ThresholdDither
    )


def type_text(widget, text: str) -> None:
    """Key presses carrying each character (QTest.keyClicks knows only ASCII keys: no "→")."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for ch in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, ch)
            QApplication.sendEvent(widget, event)


def shoot_recording(win, drive: Driver) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    win.toggle_recording()  # as Ctrl+R does: a new meeting, recording
    drive.wait_until(lambda: win.recorder.recording or win.error_boxes, 60, "the recording")
    if win.error_boxes:
        raise SystemExit(f"Recording failed: {win.error_boxes[0].text()}")
    # Named once it runs: a title typed into a fresh meeting before Start does not carry over.
    win.view.title.selectAll()
    type_text(win.view.title, "Q2 review with Sarah")
    type_text(win.view.attendees, "Sarah")
    editor = win.view.editor
    editor.setFocus()
    for at, line in TYPED:
        drive.wait_until(lambda at=at: win.recorder.seconds >= at, 120, f"{at:.0f} s of audio")
        if editor.toPlainText():  # a plain line break: each TYPED line carries its own marker
            QTest.keyClick(editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
        type_text(editor, line)
    drive.wait_until(lambda: win.recorder.seconds >= SHOT_AT, 120, "the picture's moment")
    panel = win.view.transcript_panel.view
    drive.wait_until(lambda: panel.segment_count() >= 4, 60, "transcript lines")
    # Best with a line still being spoken (tentative, in a lighter style); not worth a stall.
    drive.wait_until(lambda: panel.tentative_text() or win.recorder.seconds > SHOT_AT + 8, 30, "")
    drive.save("recording")
    print(f"  {panel.segment_count()} transcript lines at {win.recorder.seconds:.0f} s")
    win.toggle_recording()
    drive.wait_until(lambda: not win.recorder.recording and not win.recorder.busy, 180, "stop")


def shoot_enhanced(
    win, drive: Driver, meeting_id: int, name: str = "enhanced", widget=None
) -> None:
    win.open_meeting(meeting_id)
    enhanced = win.view.enhanced
    cited = [c.segment for b in enhanced.blocks if b.source == "ai" for c in b.citations]
    # Open a citation, as a click on its chip does: the quote shows and the transcript jumps.
    win.view.open_citation(cited[min(2, len(cited) - 1)])
    drive.save(name, widget)


def shoot_dark(win, drive: Driver, meeting_id: int) -> None:
    from notes_app.gui import theme

    theme.apply(drive.qapp, dark=True)
    try:
        win.view.meeting = None  # drawn afresh in the dark colours
        shoot_enhanced(win, drive, meeting_id, name="enhanced-dark")
    finally:
        theme.apply(drive.qapp, dark=False)
        win.view.meeting = None


def shoot_narrow(win, drive: Driver, meeting_id: int) -> None:
    screen = drive.qapp.primaryScreen().geometry()
    win.setGeometry(0, 0, *NARROW)
    drive.wait_until(lambda: win.columns.single, 10, "the one-column layout")
    win.view.meeting = None
    shoot_enhanced(win, drive, meeting_id, name="narrow", widget=win)
    win.setGeometry(screen)


def shoot(args: argparse.Namespace) -> int:
    from notes_app.app import App
    from notes_app.gui.app import qt_app
    from notes_app.gui.main_window import MainWindow

    app = App.load()
    app.settings.enhance.auto_after_stop = False
    app.settings.detect.enabled = False  # no "take notes?" prompt over the pictures
    demo_id = build_demo_meeting(app)
    qapp = qt_app()
    win = MainWindow(app, session_factory=sample_session_factory(args.speed), tray=False)
    win.setGeometry(qapp.primaryScreen().geometry())
    win.show()
    win.raise_()
    win.activateWindow()
    drive = Driver(qapp, args.out)
    drive.settle(500)
    if "recording" in args.names:
        shoot_recording(win, drive)
    if "enhanced" in args.names:
        shoot_enhanced(win, drive, demo_id)
    if "enhanced-dark" in args.names:
        shoot_dark(win, drive, demo_id)
    if "narrow" in args.names:
        shoot_narrow(win, drive, demo_id)
    win.close()
    app.close()
    # Tear the window down while Qt still runs: left to interpreter shutdown after a recording,
    # the collector tripped a refcount error in a C extension ("bool_dealloc") and aborted.
    win.deleteLater()
    del win
    drive.settle(200)
    gc.collect()
    return 0


if __name__ == "__main__":
    sys.exit(main())
