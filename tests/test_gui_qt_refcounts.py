"""The Qt binding the window runs on keeps Python's reference counts: PySide6 6.12.0 on
Python 3.11 dropped one reference to None or True on every void call and signal emit, so a
recording in the window (about 20 emits and updates a second) aborted after a few minutes."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import sys
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
class Levels(QObject):
    level = Signal(int, float)
levels = Levels()
levels.level.connect(lambda *a: None)
label = QLabel("x")
none0, true0 = sys.getrefcount(None), sys.getrefcount(True)
for _ in range(20000):  # about 17 minutes of a recording's updates
    label.update()
    label.setText("y")
    levels.level.emit(0, 0.1)
print(sys.getrefcount(None) - none0, sys.getrefcount(True) - true0)
"""


def test_many_qt_calls_and_signal_emits_leave_reference_counts_alone():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]  # 6.12.0 aborts: none_dealloc
    none_drift, true_drift = (int(x) for x in done.stdout.split())
    assert abs(none_drift) < 1000 and abs(true_drift) < 1000, done.stdout
