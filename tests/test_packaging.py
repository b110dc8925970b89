"""The wheel carries everything the app reads at run time (resources/ included).

Builds the wheel, installs it into a fresh virtual environment and runs `notes-app demo` from
outside the source tree: the README's first command, as a new user would run it. The dependencies
come from the environment running the tests (nothing is downloaded): its site-packages folders are
listed in a .pth file of the new environment. That works whether the tests run in a virtualenv
(its packages are not the base interpreter's "system" site-packages) or in a plain interpreter.
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
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    _see_our_packages(py)
    # --force-reinstall: the running environment may list notes-app too (an editable install);
    # the wheel goes into the new environment regardless, ahead of it on the path.
    subprocess.run(
        [py, "-m", "pip", "install", "-q", "--no-deps", "--force-reinstall", str(wheel)],
        check=True,
    )

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


def _see_our_packages(py: Path) -> None:
    """Make the running environment's packages importable in the venv at ``py``, after its own.

    Plain folder lines in a .pth file: the running environment's own .pth files (an editable
    install of this project among them) are not processed, so notes_app comes from the wheel.
    """
    site_dir = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = [
        p
        for p in dict.fromkeys(sys.path)
        if p and Path(p).name in ("site-packages", "dist-packages") and Path(p).is_dir()
    ]
    assert ours, f"no site-packages on {sys.path}"
    (Path(site_dir) / "zz_test_deps.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
