"""Folders and tags: `notes-app move`, `tag`, `folders`, and --folder on list, search, ask and
export, over a real SQLite store (and one upgraded from before folders existed)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from notes_app.cli import main
from notes_app.domain import Segment
from notes_app.errors import NotesAppError
from notes_app.store.db import migrations, open_db
from notes_app.store.repo import Repo


def _meeting(repo, title, day, words, notes=""):
    segments = [Segment(0, 0.0, 6.0, words, "them"), Segment(1, 6.0, 12.0, "Thanks.", "me")]
    return repo.create_meeting(
        title, started_at=f"{day}T12:00:00+00:00", notes=notes, segments=segments
    )


@pytest.fixture
def three(app):
    repo = app.repo
    acme = _meeting(repo, "Acme renewal", "2025-03-04", "Acme wants a discount on pricing")
    globex = _meeting(repo, "Globex kickoff", "2025-03-05", "Globex pricing starts in April")
    standup = _meeting(repo, "Standup", "2025-03-06", "The pricing page deploy is done")
    app.move_meeting(acme, "Clients/Acme")
    app.move_meeting(globex, " clients / Globex ")
    return {"acme": acme, "globex": globex, "standup": standup}


def run(*args):
    result = CliRunner().invoke(main, list(args))
    return result


def test_a_folder_picks_the_folders_inside_it_in_any_case(app, three):
    assert app.repo.get_meeting(three["globex"]).folder == "clients/Globex"  # tidied, as typed
    ids = lambda folder: [m.id for m in app.meetings(folder=folder)]  # noqa: E731
    assert ids("Clients") == [three["globex"], three["acme"]]
    assert ids("CLIENTS/acme") == [three["acme"]]
    assert ids("Clients/Ac") == []  # a folder's name, not the start of one
    assert ids("/") == [three["standup"]]  # in no folder
    assert ids(None) == [three["standup"], three["globex"], three["acme"]]
    assert app.folders() == [("Clients/Acme", 1), ("clients/Globex", 1)]
    moved = app.move_meeting(three["acme"], "/")
    assert moved.folder is None and ids("Clients") == [three["globex"]]


def test_bad_folder_and_tag_names_are_refused_with_a_sentence(app, three):
    for bad in ("Clients/../x", "a\tb/c\x01"):
        with pytest.raises(NotesAppError, match="cannot be a folder name"):
            app.move_meeting(three["acme"], bad)
    with pytest.raises(NotesAppError, match="at most 200 characters"):
        app.move_meeting(three["acme"], "x" * 201)
    with pytest.raises(NotesAppError, match="cannot be a tag"):
        app.tag_meeting(three["acme"], ["a,b"])
    assert app.repo.get_meeting(three["acme"]).folder == "Clients/Acme"  # nothing changed


def test_tags_are_words_added_and_removed(app, three):
    m = app.tag_meeting(three["acme"], ["#Pricing", "Q3 planning", "pricing"])
    assert m.tags == ("pricing", "q3-planning")
    m = app.tag_meeting(three["acme"], ["renewal"], remove=["PRICING"])
    assert m.tags == ("q3-planning", "renewal")
    assert app.repo.get_meeting(three["acme"]).to_dict()["tags"] == ["q3-planning", "renewal"]


def test_a_database_from_before_folders_keeps_its_meetings(tmp_path):
    path = tmp_path / "old.db"
    db = open_db(path, apply=False)
    migrations.apply(db, stop_before="m007_folders_tags")
    old = Repo(db)
    mid = _meeting(old, "Old call", "2024-01-02", "We shipped it")
    old.close()
    with Repo.open(path) as repo:  # upgraded on open
        meeting = repo.get_meeting(mid)
        assert (meeting.title, meeting.folder, meeting.tags) == ("Old call", None, ())
        assert repo.move_meeting(mid, "Archive").folder == "Archive"
        assert [m.id for m in repo.list_meetings(folder="archive")] == [mid]


def test_move_tag_folders_and_list_on_the_command_line(app, three):
    res = run("move", str(three["standup"]), "Team")
    assert res.exit_code == 0, res.output
    assert res.output == f"Meeting {three['standup']} “Standup” is in the folder Team.\n"
    assert run("tag", str(three["standup"]), "daily").exit_code == 0
    listed = run("list", "--folder", "team")
    assert listed.exit_code == 0
    assert listed.output.rstrip().endswith("Standup  [Team] #daily")
    assert "Acme" not in listed.output
    data = json.loads(run("list", "--folder", "clients", "--json").output)
    assert [m["folder"] for m in data["meetings"]] == ["clients/Globex", "Clients/Acme"]
    assert run("list", "--tag", "daily").output.count("\n") == 1
    assert "No meetings there" in run("list", "--folder", "Nowhere").output
    folders = run("folders").output.splitlines()
    assert [line.split(maxsplit=1) for line in folders] == [
        ["1", "Clients/Acme"],
        ["1", "clients/Globex"],
        ["1", "Team"],
    ]
    missing = run("move", "999", "Team")
    assert missing.exit_code == 1 and "No meeting with id 999" in missing.output


def test_search_and_ask_stay_inside_a_folder(app, three):
    everywhere = json.loads(run("search", "pricing", "--json").output)["results"]
    assert {r["meeting_id"] for r in everywhere} == set(three.values())
    inside = json.loads(run("search", "pricing", "--folder", "Clients", "--json").output)
    assert {r["meeting_id"] for r in inside["results"]} == {three["acme"], three["globex"]}
    acme = json.loads(run("search", "pricing", "--folder", "clients/acme", "--json").output)
    assert {r["meeting_id"] for r in acme["results"]} == {three["acme"]}

    res = run("ask", "--folder", "Clients/Globex", "--offline", "--json", "when", "does", "pricing")
    assert res.exit_code == 0, res.output
    answer = json.loads(res.output)
    assert answer["citations"]
    assert {c["meeting_id"] for c in answer["citations"]} == {three["globex"]}
    assert "April" in answer["answer"]


def test_export_a_folder_writes_one_file_per_enhanced_meeting(app, three, tmp_path):
    app.enhance_meeting(three["acme"], mode="offline")
    twin = _meeting(app.repo, "Acme renewal", "2025-03-04", "Acme asks again about pricing")
    app.move_meeting(twin, "Clients/Acme")
    app.enhance_meeting(twin, mode="offline")
    out = tmp_path / "export"
    res = run("export", "--folder", "clients", "-o", str(out))
    assert res.exit_code == 0, res.output
    names = sorted(p.name for p in out.iterdir())
    assert names == ["2025-03-04 Acme renewal (2).md", "2025-03-04 Acme renewal.md"]
    first = (out / "2025-03-04 Acme renewal (2).md").read_text(encoding="utf-8")
    assert first.startswith("# Acme renewal") and "[00:00]" in first
    assert f"Skipped meeting {three['globex']} “Globex kickoff”: not enhanced yet" in res.output
    # html too, and the one-meeting form still refuses a folder as its file
    assert (
        run("export", "--folder", "Clients/Acme", "--format", "html", "-o", str(out)).exit_code == 0
    )
    assert (out / "2025-03-04 Acme renewal.html").read_text().startswith("<!doctype html>")
    refused = run("export", str(three["acme"]), "-o", str(out))
    assert refused.exit_code == 1 and "is a folder" in refused.output
    nowhere = run("export", "--folder", "Nowhere", "-o", str(out))
    assert nowhere.exit_code == 1 and "No meetings in the folder “Nowhere”" in nowhere.output
