"""Fault injection: damaged files, processes killed mid-write, a full disk, other local users.

Everything here happens to real parts: SQLite files overwritten with random bytes, command
processes killed with SIGKILL, a FLAC file cut short, a real tmpfs filled to the last byte.
Whatever goes wrong, the user gets one sentence to act on and nothing typed is lost.
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from notes_app.cli import main
from notes_app.domain import Segment


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
