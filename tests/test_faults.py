"""Fault injection: damaged files, processes killed mid-write, a full disk, other local users.

Everything here happens to real parts: SQLite files overwritten with random bytes, command
processes killed with SIGKILL, a FLAC file cut short, a real tmpfs filled to the last byte.
Whatever goes wrong, the user gets one sentence to act on and nothing typed is lost.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from speech import concat, say, silence

from notes_app.audio.decode import check
from notes_app.cli import main
from notes_app.domain import Segment
from notes_app.store.repo import Repo


def _seg(i: int, text: str, speaker: str = "them") -> Segment:
    return Segment(i, i * 10.0, i * 10.0 + 8.0, text, speaker, 0 if speaker == "me" else 1)


# --- 7. a leading-dash word is a query word ----------------------------------------------------


def test_search_leaves_out_a_dash_word_as_its_help_says(repo):
    with_sarah = repo.create_meeting("Acme", segments=[_seg(0, "Sarah owns the pricing page")])
    without = repo.create_meeting("Sync", segments=[_seg(0, "pricing comes up again")])
    runner = CliRunner()
    res = runner.invoke(main, ["search", "pricing", "-Sarah", "--json"])
    assert res.exit_code == 0, res.output
    found = {r["meeting_id"] for r in json.loads(res.output)["results"]}
    assert found == {without} and with_sarah not in found
    # First, or among options, a dash word is still a word; a mistyped long option is named.
    res = runner.invoke(main, ["search", "-Sarah", "pricing", "--limit", "5", "--json"])
    assert {r["meeting_id"] for r in json.loads(res.output)["results"]} == {without}
    res = runner.invoke(main, ["search", "pricing", "--sinec", "2024-01-01"])
    assert res.exit_code == 2 and "--sinec" in res.output


# --- 3. kill -9 during `transcribe --save` leaves no audio behind -------------------------------


def _command(home: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "NOTES_APP_HOME": str(home), "NOTES_APP_NO_KEYRING": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "notes_app", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition, timeout: float = 120.0, what: str = "it") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def speech_file(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("fault-speech")
    words = say("We agreed the launch moves to March and Sarah owns the pricing page.", d / "a.wav")
    return concat([words, silence(1.0, d / "gap.wav"), words], d / "meeting.wav")


@pytest.mark.slow
def test_kill_during_save_leaves_audio_that_recover_removes(notes_home, speech_file, tmp_path):
    audio_dir = notes_home / "audio"
    audio_dir.mkdir()
    referenced = audio_dir / ("ab" * 16 + ".wav")
    referenced.write_bytes(b"RIFF kept")
    with Repo.open(notes_home / "notes.db") as repo:
        repo.create_meeting("kept", audio_path=str(referenced))
    # A copy an older version left when it was killed: nothing refers to it, an hour old.
    stale = audio_dir / ("cd" * 16 + ".flac")
    stale.write_bytes(b"fLaC partial")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))

    # Hold the write lock, so the save waits with its copy made and nothing committed.
    blocker = sqlite3.connect(notes_home / "notes.db", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    saving = _command(notes_home, "transcribe", str(speech_file), "--save")
    size = speech_file.stat().st_size

    def copied() -> list[Path]:
        return [p for p in audio_dir.iterdir() if p not in (referenced, stale)]

    def copy_done() -> bool:
        return any(p.stat().st_size == size for p in copied() if p.is_file())

    try:
        _wait_for(copy_done, what="the audio copy")
        time.sleep(0.5)  # now waiting for the write lock
        # The stale copy goes; a running save's copy is not a leftover.
        res = CliRunner().invoke(main, ["recover"])
        assert res.exit_code == 0, res.output
        assert "Removed 1 leftover audio file" in res.output and not stale.exists()
        assert copy_done() and saving.poll() is None
        saving.send_signal(signal.SIGKILL)
        saving.wait(timeout=30)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        if saving.poll() is None:
            saving.kill()
    assert copied(), "the kill left nothing to clean up: the scenario did not happen"

    res = CliRunner().invoke(main, ["recover"])
    assert res.exit_code == 0, res.output
    assert "Removed 1 leftover audio file" in res.output
    assert copied() == []
    assert referenced.read_bytes() == b"RIFF kept"  # a meeting's audio is never a leftover
    res = CliRunner().invoke(main, ["recover"])
    assert "Nothing to recover." in res.output


# --- 4. damaged audio: a warning with how much decoded, the true length stored -----------------


@pytest.fixture
def cli_with_model(monkeypatch, whisper_engine):
    """The command line in-process, with the session's model (loaded once)."""
    monkeypatch.setattr(
        "notes_app.transcribe.engine.engine_for",
        lambda settings, model=None, **_: (whisper_engine, model or settings.transcribe.model),
    )
    return lambda *args: CliRunner().invoke(main, list(args))


@pytest.mark.slow
@pytest.mark.parametrize("cut", ["30 KB", "half"])
def test_a_cut_flac_is_stored_with_its_true_length_and_a_warning(
    cli_with_model, speech_file, tmp_path, app, cut
):
    whole = tmp_path / "whole.flac"
    subprocess.run(["sox", *[str(speech_file)] * 4, str(whole)], check=True)  # about 30 s
    data = whole.read_bytes()
    damaged = tmp_path / "meeting.flac"
    damaged.write_bytes(data[: 30_000 if cut == "30 KB" else len(data) // 2])

    res = cli_with_model("transcribe", str(damaged), "--save", "--json")
    assert res.exit_code == 0, res.output
    assert "cut short" in res.output, res.output
    warning = next(line for line in res.output.splitlines() if "cut short" in line)
    decoded = float(warning.split("only ")[1].split(" s")[0])
    header = float(warning.split("of its ")[1].split(" s")[0])
    assert header > 25 and decoded < (5 if cut == "30 KB" else 0.6 * header)
    meeting_id = json.loads(res.output[res.output.index("{") :])["meeting_id"]
    meeting = app.repo.get_meeting(meeting_id)
    assert meeting.duration == pytest.approx(decoded, abs=0.1)  # not the header's length
    for s in app.repo.get_transcript(meeting_id).segments:
        assert s.end <= decoded + 0.5

    intact = check(whole)  # the whole file: no warning
    assert intact.warning(whole) is None and intact.duration == pytest.approx(header, abs=0.05)


# --- 6. the data folder is the user's alone ------------------------------------------------------


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.fixture
def generous_umask():
    """Files as an earlier version made them: readable by every local user."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_an_existing_data_folder_is_made_private_on_open(notes_home, generous_umask, tmp_path):
    # As an earlier version left it: folder 0755, database and its WAL files, settings, audio
    # and logs 0644 (made with plain sqlite3 and open(), as that version did).
    notes_home.chmod(0o755)
    old = sqlite3.connect(notes_home / "notes.db")
    old.execute("PRAGMA journal_mode=WAL")
    old.execute("CREATE TABLE early (x)")
    old.commit()
    (notes_home / "settings.toml").write_text('[llm]\nmodel = "m"\n')
    (notes_home / "audio").mkdir()
    (notes_home / "audio" / "meeting-1.flac").write_bytes(b"fLaC")
    (notes_home / "logs").mkdir()
    (notes_home / "logs" / "notes-app.log").write_text("earlier\n")
    assert _mode(notes_home / "notes.db-wal") == 0o644  # the starting point is really open

    res = CliRunner().invoke(main, ["list"])
    assert res.exit_code == 0, res.output
    old.close()
    assert _mode(notes_home) == 0o700
    for name in ("notes.db", "settings.toml", "audio/meeting-1.flac", "logs/notes-app.log"):
        assert _mode(notes_home / name) == 0o600, name
    for name in ("audio", "logs"):
        assert _mode(notes_home / name) == 0o700, name
    # WAL files made from now on take the database's mode.
    with Repo.open(notes_home / "notes.db") as repo:
        repo.create_meeting("new")
        assert _mode(notes_home / "notes.db-wal") == 0o600
        assert _mode(notes_home / "notes.db-shm") == 0o600


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_a_new_data_folder_and_its_files_are_private(tmp_path, monkeypatch, generous_umask):
    home = tmp_path / "fresh" / "notes-app"
    monkeypatch.setenv("NOTES_APP_HOME", str(home))
    transcript = tmp_path / "call.txt"
    transcript.write_text("Ana: the budget is approved.\nBen: good, ship it.\n")
    runner = CliRunner()
    assert runner.invoke(main, ["import", str(transcript)]).exit_code == 0
    assert runner.invoke(main, ["config", "set", "llm.model", "m"]).exit_code == 0
    assert _mode(home) == 0o700
    for name in ("notes.db", "settings.toml", "logs/notes-app.log"):
        assert _mode(home / name) == 0o600, name
    assert not list(home.glob("*.tmp"))


def test_an_api_key_stored_without_a_keyring_says_so(notes_home):
    # The tests run without a keyring (NOTES_APP_NO_KEYRING), as a machine without one does.
    res = CliRunner().invoke(main, ["config", "set", "llm.api_key", "sk-test-1234567890"])
    assert res.exit_code == 0, res.output
    assert "no keyring" in res.output.lower() and "settings.toml" in res.output
    assert "sk-test-1234567890" not in res.output
    assert "sk-test-1234567890" in (notes_home / "settings.toml").read_text()
    res = CliRunner().invoke(main, ["config", "set", "llm.model", "m"])  # not a secret: quiet
    assert "keyring" not in res.output.lower()


# --- 5. a full disk: notes can always be read ----------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A real 4 MB filesystem (tmpfs), to be filled to the last byte."""
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    """Write zeros until the filesystem refuses another byte."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (1 << 16, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * chunk)
            except OSError:
                pass
    finally:
        os.close(fd)
    assert os.statvfs(disk).f_bavail == 0
    return filler


def test_a_full_disk_still_lets_notes_be_read(small_disk, monkeypatch, tmp_path):
    home = small_disk / "home"
    monkeypatch.setenv("NOTES_APP_HOME", str(home))
    transcript = tmp_path / "call.txt"
    transcript.write_text(
        "Ana: the budget for the offsite is approved.\n"
        "Ben: Sarah owns the pricing page and ships it on Friday.\n"
    )
    notes = tmp_path / "notes.md"
    notes.write_text("# Offsite\n- budget approved\n- pricing page → Sarah\n")
    runner = CliRunner()
    res = runner.invoke(main, ["import", str(transcript), "--notes", str(notes)])
    assert res.exit_code == 0, res.output
    meeting_id = res.stdout.strip()
    assert runner.invoke(main, ["enhance", meeting_id, "--offline"]).exit_code == 0
    filler = _fill(small_disk)

    for args, expect in (
        (["list"], "Call"),
        (["search", "pricing"], "Sarah owns the pricing page"),
        (["show", meeting_id], "budget approved"),
        (["show", meeting_id, "--raw"], "ships it on Friday"),
        (["ask", meeting_id, "who owns the pricing page", "--offline"], "Sarah"),
    ):
        out, err = _command(home, *args).communicate(timeout=300)  # each its own process
        assert expect in out.replace("[", "").replace("]", ""), (args, out, err)
        assert "disk I/O error" not in err and "Traceback" not in err, (args, err)
        assert "read-only" in err, (args, err)

    with Repo.open(home / "notes.db") as repo:  # the window can say so too
        assert repo.read_only and "full" in repo.read_only
        assert repo.get_meeting(int(meeting_id)).title == "Call"
    # Writing says why it cannot, and leaves nothing half-made behind.
    res = runner.invoke(main, ["import", str(transcript)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "full" in res.output and "read-only" in res.output
    res = runner.invoke(main, ["config", "set", "llm.model", "a-model-name"])
    assert res.exit_code == 1 and "Could not write settings" in res.output
    assert sorted(p.name for p in home.iterdir() if p.name.endswith(".tmp")) == []

    filler.unlink()  # space again: writing works again, nothing was lost
    res = runner.invoke(main, ["import", str(transcript)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["list", "--json"])
    assert len(json.loads(res.output)["meetings"]) == 2


# --- 2. a damaged database: one sentence, no more writes, doctor and repair ----------------------

NAMES = ["Ana", "Ben", "Chen"]
WORDS = "budget launch pricing page hiring plan review the we next week owner draft ship".split()


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def six_meetings(notes_home, tmp_path) -> dict[int, str]:
    """Six imported meetings of 120 lines with notes, one enhanced; {id: notes as typed}."""
    runner = CliRunner()
    typed = {}
    for n in range(1, 7):
        lines = [
            f"{NAMES[i % 3]}: "
            + " ".join(WORDS[(i * 5 + k) % len(WORDS)] for k in range(10))
            + f" {n}-{i}."
            for i in range(120)
        ]
        transcript = tmp_path / f"call-{n}.txt"
        transcript.write_text("\n".join(lines) + "\n")
        notes = tmp_path / f"notes-{n}.md"
        notes.write_text(f"# Call {n}\n- budget for round {n}\n- pricing page → Ben\n")
        res = runner.invoke(main, ["import", str(transcript), "--notes", str(notes)])
        assert res.exit_code == 0, res.output
        typed[int(res.stdout.strip())] = notes.read_text()
    assert runner.invoke(main, ["enhance", "2", "--offline"]).exit_code == 0
    assert not (notes_home / "notes.db-wal").exists()  # all closed and checkpointed
    return typed


def _dd(db: Path, tmp_path: Path, *, seek: int, count: int, seed: int = 13) -> None:
    """Overwrite ``count`` 4 KB pages from page index ``seek`` with random bytes, as dd does."""
    import random

    noise = tmp_path / f"noise-{seed}"
    noise.write_bytes(random.Random(seed).randbytes(4096 * count))
    subprocess.run(
        ["dd", f"if={noise}", f"of={db}", "bs=4096", f"seek={seek}", f"count={count}",
         "conv=notrunc"],
        check=True,
        capture_output=True,
    )  # fmt: skip


def test_a_damaged_database_is_one_sentence_and_never_written(notes_home, six_meetings, tmp_path):
    db = notes_home / "notes.db"
    _dd(db, tmp_path, seek=3, count=4)  # the meetings, notes and transcript tables' roots
    damaged = _sha(db)
    runner = CliRunner()
    for args in (
        ["list"],
        ["search", "budget"],
        ["show", "2"],
        ["ask", "2", "what about pricing", "--offline"],
        ["import", str(tmp_path / "call-1.txt")],
        ["delete", "3", "--yes"],
    ):
        res = runner.invoke(main, args)
        assert res.exit_code == 1, (args, res.output)
        assert "Traceback" not in res.output and res.exception.__class__ is SystemExit
        assert "is damaged" in res.output and "notes-app repair" in res.output, res.output
        assert _sha(db) == damaged, f"{args} wrote into the damaged file"

    res = runner.invoke(main, ["doctor"])
    assert res.exit_code == 1
    assert "FAIL database" in res.output and "notes-app repair" in res.output

    res = runner.invoke(main, ["repair"])
    assert res.exit_code == 0, res.output
    assert "Saved what could be read" in res.output
    kept = list(notes_home.glob("notes-damaged-*.db"))
    assert len(kept) == 1 and _sha(kept[0]) == damaged  # the old file, kept as it was
    # Everything typed came through: every meeting, its notes as typed, its transcript.
    res = runner.invoke(main, ["list", "--json"])
    assert res.exit_code == 0, res.output
    assert {m["id"] for m in json.loads(res.output)["meetings"]} == set(six_meetings)
    with Repo.open(db) as repo:
        for mid, notes in six_meetings.items():
            assert repo.get_meeting(mid).notes == notes
            segments = repo.get_transcript(mid).segments
            assert len(segments) == 120 and segments[7].text.endswith(f" {mid}-7.")
        assert repo.get_enhanced(2) is not None
    res = runner.invoke(main, ["search", "budget", "round", "--json"])
    assert {r["meeting_id"] for r in json.loads(res.output)["results"]} == set(six_meetings)
    assert runner.invoke(main, ["doctor"]).output.count("FAIL database") == 0
    res = runner.invoke(main, ["import", str(tmp_path / "call-1.txt")])  # writing works again
    assert res.exit_code == 0, res.output


def test_damage_no_read_met_still_stops_the_first_write(notes_home, six_meetings, tmp_path):
    from notes_app.store.pages import PageFile

    db = notes_home / "notes.db"
    with PageFile(db) as pages:
        root = next(e.rootpage for e in pages.schema() if e.name == "segments")
        first_leaf = min(pages.tree(root)[0])  # meeting 1's first transcript lines
    _dd(db, tmp_path, seek=first_leaf - 1, count=1)
    before = _sha(db)
    runner = CliRunner()
    assert runner.invoke(main, ["list"]).exit_code == 0  # reads that miss the damage work
    importing = _command(notes_home, "import", str(tmp_path / "call-2.txt"))  # a new process
    _, err = importing.communicate(timeout=120)
    assert importing.returncode == 1 and "is damaged" in err and "Traceback" not in err, err
    assert _sha(db) == before
    res = runner.invoke(main, ["repair", "--json"])
    assert res.exit_code == 0, res.output
    report = json.loads(res.output)
    # The lines on the damaged page come back from the search index, which holds them too.
    assert 0 < report["from_index"]["segments"] < 120 and report["lost"] == 0
    with Repo.open(db) as repo:
        for mid in six_meetings:
            segments = repo.get_transcript(mid).segments
            assert [s.text.split()[-1] for s in segments] == [f"{mid}-{i}." for i in range(120)]
            assert repo.get_meeting(mid).notes == six_meetings[mid]


def test_repair_of_a_sound_database_rebuilds_its_search_index(notes_home, six_meetings):
    with Repo.open(notes_home / "notes.db") as repo:  # the index loses a meeting's rows
        repo.db.execute("DELETE FROM search_docs WHERE meeting_id = 4")
        repo.db.conn.commit()
    runner = CliRunner()
    found = lambda: {  # noqa: E731
        r["meeting_id"]
        for r in json.loads(runner.invoke(main, ["search", "round", "--json"]).output)["results"]
    }
    assert 4 not in found()
    res = runner.invoke(main, ["repair"])
    assert res.exit_code == 0 and "sound" in res.output
    assert found() == set(six_meetings)
    assert not list(notes_home.glob("notes-damaged-*"))


def test_repair_reads_what_was_committed_to_the_write_ahead_log(notes_home, six_meetings, tmp_path):
    """A crash left commits in notes.db-wal that never reached notes.db, and notes.db is then
    damaged: the salvage takes each page's last committed copy from the log."""
    import shutil

    db = notes_home / "notes.db"
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    writer = sqlite3.connect(db)
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # nothing reaches notes.db
    with Repo.open(db) as repo:
        repo.db.conn.execute("PRAGMA wal_autocheckpoint = 0")
        late = repo.create_meeting("Only in the log", notes="- typed just before the crash")
        repo.set_notes(1, "- meeting one's notes, edited last")
        for suffix in ("", "-wal"):  # the files as a kill -9 leaves them
            shutil.copyfile(f"{db}{suffix}", crashed / f"notes.db{suffix}")
    writer.close()
    assert (crashed / "notes.db-wal").stat().st_size > 0
    for path in notes_home.glob("notes.db*"):
        path.unlink()
    for path in crashed.iterdir():
        shutil.copyfile(path, notes_home / path.name)
    _dd(db, tmp_path, seek=3, count=4)

    res = CliRunner().invoke(main, ["repair", "--json"])
    assert res.exit_code == 0, res.output
    with Repo.open(db) as repo:
        assert repo.get_meeting(late).notes == "- typed just before the crash"
        assert repo.get_meeting(1).notes == "- meeting one's notes, edited last"
        assert {m.id for m in repo.list_meetings()} == {*six_meetings, late}
