"""Real speech for tests, made on the spot with espeak-ng and sox (no recordings in the repo)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed; .ci/run installs it (apt-get install {tool}).")
    return path


def say(text: str, out: Path, *, voice: str = "en-us", speed: int = 150, rate: int = 16000) -> Path:
    """Speak ``text`` into a mono WAV at ``rate`` Hz."""
    raw = out.with_suffix(".raw.wav")
    subprocess.run(
        [need("espeak-ng"), "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True
    )
    subprocess.run(
        [need("sox"), str(raw), "-r", str(rate), "-c", "1", "-b", "16", str(out)], check=True
    )
    raw.unlink()
    return out


def silence(seconds: float, out: Path, *, rate: int = 16000) -> Path:
    subprocess.run(
        [
            need("sox"),
            "-n",
            "-r",
            str(rate),
            "-c",
            "1",
            "-b",
            "16",
            str(out),
            "trim",
            "0",
            str(seconds),
        ],
        check=True,
    )
    return out


def concat(parts: list[Path], out: Path) -> Path:
    subprocess.run([need("sox"), *map(str, parts), str(out)], check=True)
    return out


def stereo(left: Path, right: Path, out: Path) -> Path:
    """Two mono files → one stereo file (left = me, right = them); the shorter is padded."""
    subprocess.run([need("sox"), "-M", str(left), str(right), str(out)], check=True)
    return out
