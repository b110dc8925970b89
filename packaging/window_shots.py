"""Offscreen pictures of each part of the window (dialogs included), to review the look.

Runs with Qt's offscreen platform in a throwaway data folder; nothing touches the user's data.
(``screenshots.py`` takes the real full-screen pictures for the README under Xvfb.)

    python packaging/window_shots.py OUT_DIR [NAME ...]

Names: enhanced, search, ask, share, welcome, settings, streaming (default: all).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

SEGMENTS = [
    ("them", "Thanks for joining, let's go through the launch plan."),
    ("me", "Where are we on the beta sign-ups?"),
    ("them", "We have about four hundred sign-ups from the newsletter."),
    ("them", "Marketing wants to move the launch to the twelfth of March."),
    ("me", "That works if QA finishes the regression pass by the fifth."),
    ("them", "Dana will own the regression pass and report on Friday."),
    ("me", "Good. Pricing next: do we keep the annual discount?"),
    ("them", "Yes, twenty percent off for annual plans, but only until the launch."),
]
NOTES = (
    "# Launch\n- beta signups\n- launch date moved\n- QA regression\n\n# Pricing\n- annual discount"
)


def demo(app) -> int:
    from notes_app.domain import Segment

    segs = [
        Segment(i, i * 7.0, i * 7 + 6.0, text, who, 0 if who == "me" else 1)
        for i, (who, text) in enumerate(SEGMENTS)
    ]
    app.repo.create_meeting(
        "Hiring sync", started_at="2024-03-04T09:00:00+00:00", duration=1260, notes="- backend"
    )
    import wave

    audio = Path(app.settings.home) / "demo.wav"
    with wave.open(str(audio), "wb") as f:
        f.setnchannels(2)
        f.setsampwidth(2)
        f.setframerate(16000)
        f.writeframes(b"\0\0\0\0" * 16000)
    return app.repo.create_meeting(
        "Launch planning",
        audio_path=str(audio),
        started_at="2024-03-05T14:00:00+00:00",
        duration=3120,
        attendees=["Dana", "Sam", "Priya"],
        notes=NOTES,
        segments=segs,
    )


def demo_devices():
    """Two 'devices' playing a steady tone through the real capture code."""
    import numpy as np

    from notes_app.audio.capture import FileInputModule
    from notes_app.audio.devices import DeviceChoice, InputDevice

    t = np.arange(16000 * 60) / 16000
    voice = 0.2 * np.sin(2 * np.pi * 220 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 1.5 * t))
    sd = FileInputModule({"mic": voice.astype(np.float32), "call": (0.4 * voice).astype("f4")})
    choice = DeviceChoice(
        InputDevice("mic", "Built-in microphone", "mic", open_device="mic"),
        InputDevice("call", "Speakers (monitor)", "monitor", open_device="call"),
    )

    class Finder:
        def choose(self, mic="", system=""):
            return choice

    return lambda: (sd, Finder())


def shoot(out: Path, names: list[str]) -> None:
    from notes_app.app import App
    from notes_app.enhance.offline import enhance_offline
    from notes_app.gui.app import qt_app
    from notes_app.gui.main_window import MainWindow

    qapp = qt_app()
    app = App.load()
    mid = demo(app)
    meeting = app.repo.get_meeting(mid)
    notes = enhance_offline(
        app.repo.get_transcript(mid), NOTES, meeting_id=mid, title=meeting.title
    )
    app.repo.add_enhanced(notes)
    win = MainWindow(app, tray=False)
    win.resize(1180, 760)
    win.show()
    win.refresh_meetings()
    win.open_meeting(mid)

    def settle(ms: int = 400) -> None:
        from PySide6.QtCore import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()
        qapp.processEvents()

    def save(widget, name: str) -> None:
        path = out / f"{name}.png"
        widget.grab().save(str(path))
        print(path)

    settle()
    if "enhanced" in names:
        win.view.open_citation(5)
        settle()
        save(win, "enhanced")
    if "streaming" in names:
        win.view.set_busy(True, "Enhancing…")
        win.view.show_streaming(list(notes.blocks[:5]))
        settle()
        save(win, "streaming")
        win.view.set_busy(False)
        win.view.set_enhanced(notes)
    if "search" in names:
        win.sidebar.search.setText("regression")
        settle(800)
        save(win, "search")
        win.sidebar.search.clear()
    if "ask" in names:
        win.searching.open_ask()
        win.ask_panel.question.setText("who owns the regression pass?")
        win.ask_panel.ask()
        settle(1500)
        save(win.ask_panel, "ask")
        win.ask_panel.close()
    if "share" in names:
        from notes_app.share.local import stop_local_server

        win.sharing.share()
        win.sharing.dialog.publish()
        settle(6000)
        save(win.sharing.dialog, "share")
        win.sharing.dialog.close()
        stop_local_server(app.settings.home)
    if "welcome" in names:
        win.offer_welcome(devices=demo_devices())
        settle(3000)
        save(win.welcome, "welcome")
        win.welcome.reject()
    if "settings" in names:
        from notes_app.gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(app.settings, win, devices=demo_devices())
        dialog.show()
        dialog.toggle_level_test()
        settle(2500)
        save(dialog, "settings")
        dialog.reject()
    extra = getattr(sys.modules[__name__], "EXTRA_SHOTS", {})
    for name, fn in extra.items():
        if name in names:
            fn(win, settle, save)
    win.close()
    app.close()


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    out.mkdir(parents=True, exist_ok=True)
    names = sys.argv[2:] or [
        "enhanced", "search", "ask", "share", "welcome", "settings", "streaming"
    ]  # fmt: skip
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["NOTES_APP_NO_KEYRING"] = "1"
    with tempfile.TemporaryDirectory() as home:
        os.environ["NOTES_APP_HOME"] = home
        shoot(out, names)


EXTRA_SHOTS: dict = {}

if __name__ == "__main__":
    main()
