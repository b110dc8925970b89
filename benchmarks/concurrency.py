"""Parallel writers on one database: how many commands fail (the target is 0).

Each round runs two `notes-app import` and one `notes-app enhance` at the same time against one
data folder, the way a window and a terminal (or two terminals) write at once. Every command is
a real process with its own connection; a failure is any non-zero exit.

    python benchmarks/concurrency.py [--rounds 10] [--imports 2] [--enhances 1] [--lines 400]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NAMES = ["Ana", "Ben", "Chen", "Dana"]
WORDS = "budget launch pricing page hiring plan review the we next week owner draft ship".split()


def transcript(lines: int) -> str:
    """A plain-text transcript, one "Name: words" utterance a line."""
    out = []
    for i in range(lines):
        words = " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(12))
        out.append(f"{NAMES[i % len(NAMES)]}: {words} {i}.")
    return "\n".join(out) + "\n"


def command(home: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "NOTES_APP_HOME": str(home), "NOTES_APP_NO_KEYRING": "1"}
    for var in ("NOTES_APP_LLM_BASE_URL", "OPENAI_API_KEY", "NOTES_APP_LLM_API_KEY"):
        env.pop(var, None)
    return subprocess.Popen(
        [sys.executable, "-m", "notes_app", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=600)
    return proc.returncode, out, err


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--imports", type=int, default=2, help="parallel imports a round")
    parser.add_argument("--enhances", type=int, default=1, help="parallel enhances a round")
    parser.add_argument("--lines", type=int, default=400, help="utterances per transcript")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        source = Path(tmp) / "meeting.txt"
        source.write_text(transcript(args.lines), encoding="utf-8")
        notes = Path(tmp) / "notes.md"
        notes.write_text("# Budget\n- pricing page\n- hiring plan\n", encoding="utf-8")

        code, out, err = finish(command(home, "import", str(source), "--notes", str(notes)))
        if code != 0:
            print(f"setup failed: {err.strip()}")
            return 1
        meeting_id = out.strip().split()[-1]

        failures: list[str] = []
        commands = 0
        started = time.perf_counter()
        for r in range(args.rounds):
            running = [command(home, "import", str(source)) for _ in range(args.imports)]
            running += [
                command(home, "enhance", meeting_id, "--offline") for _ in range(args.enhances)
            ]
            for proc in running:
                code, _, err = finish(proc)
                commands += 1
                if code != 0:
                    failures.append(f"round {r}: {' '.join(proc.args[3:])}: {err.strip()}")
        elapsed = time.perf_counter() - started

    for line in failures:
        print(line)
    print(f"writers at once: {args.imports + args.enhances}, rounds: {args.rounds}")
    print(f"commands: {commands}, seconds: {elapsed:.1f}")
    print(f"failures: {len(failures)} (target 0)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
