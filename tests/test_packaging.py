"""The wheel carries everything the app reads at run time (resources/ included).

Builds the wheel, installs it into a fresh virtual environment (its dependencies come from this
interpreter's site-packages, so nothing is downloaded) and runs `notes-app demo` from outside the
source tree: the README's first command, as a new user would run it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_in_fresh_venv_runs_demo(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
    )
    wheel = next(dist.glob("notes_app-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, system_site_packages=True, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True)

    run_dir = tmp_path / "elsewhere"
    run_dir.mkdir()
    env = {**os.environ, "NOTES_APP_HOME": str(tmp_path / "home"), "NOTES_APP_NO_KEYRING": "1"}
    where = subprocess.run(
        [
            py,
            "-c",
            "import notes_app, notes_app.resources as r; print(notes_app.__file__);"
            "print(r.__file__)",
        ],
        cwd=run_dir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert str(env_dir) in where and str(ROOT / "src") not in where

    demo = subprocess.run(
        [env_dir / "bin" / "notes-app", "demo"],
        cwd=run_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert demo.returncode == 0, demo.stderr
    out = demo.stdout
    assert "- 4.2M" in out  # the user's own line, verbatim
    assert "million" in out.lower()  # the transcript context the AI added under it
    assert "[00:" in out  # citations as timestamps
    assert "Stored as meeting 1" in out
