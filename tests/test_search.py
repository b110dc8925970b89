"""Search across meetings: ranking, snippets, query syntax, filters, and the index kept in sync."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from notes_app.cli import main
from notes_app.domain import Block, Citation, EnhancedNotes, Segment
from notes_app.store import search as search_module
from notes_app.store.search import Filters, build_match, parse_query, search


def _seg(i, text, speaker="them"):
    return Segment(i, i * 10.0, i * 10.0 + 8.0, text, speaker, 0 if speaker == "me" else 1)


@pytest.fixture
def meetings(repo):
    """Three meetings whose words overlap on purpose."""
    acme = repo.create_meeting(
        "Acme pricing review",
        started_at="2024-03-04T10:00:00+00:00",
        notes="discount for Acme?\nSarah owns the contract",
        segments=[
            _seg(0, "Let's start with the roadmap for next quarter", "me"),
            _seg(1, "Acme asked for a ten percent discount on pricing"),
            _seg(2, "We promised an answer by Friday", "me"),
        ],
    )
    sync = repo.create_meeting(
        "Weekly sync",
        started_at="2024-03-11T10:00:00+00:00",
        segments=[
            _seg(0, "The budget for the offsite is approved", "Dana"),
            _seg(1, "Someone mentioned pricing in passing", "me"),
        ],
    )
    old = repo.create_meeting(
        "Kickoff",
        started_at="2023-12-01T09:00:00+00:00",
        segments=[_seg(0, "Pricing pages need a redesign and a new budget")],
    )
    return {"acme": acme, "sync": sync, "old": old}


def test_title_hit_ranks_above_transcript_hits(repo, meetings):
    results = search(repo.db, "pricing")
    assert results[0].kind == "title" and results[0].meeting_id == meetings["acme"]
    kinds = [r.kind for r in results]
    assert kinds.count("transcript") == 3
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_notes_outrank_transcript_for_the_same_word(repo, meetings):
    results = search(repo.db, "contract OR sarah")  # "OR" is just a word; all must match
    assert results == []
    results = search(repo.db, "sarah contract")
    assert [(r.kind, r.meeting_id) for r in results] == [("notes", meetings["acme"])]
    repo.add_segments(meetings["sync"], [_seg(5, "Sarah sent the contract over")])
    results = search(repo.db, "sarah contract")
    assert [r.kind for r in results] == ["notes", "transcript"]


def test_recency_breaks_ties(repo):
    first = repo.create_meeting("Standup", started_at="2024-01-01T09:00:00+00:00")
    second = repo.create_meeting("Standup", started_at="2024-02-01T09:00:00+00:00")
    results = search(repo.db, "standup")
    assert [r.meeting_id for r in results] == [second, first]


def test_transcript_hit_points_at_segment_and_time(repo, meetings):
    (hit,) = search(repo.db, "friday")
    assert (hit.meeting_id, hit.kind, hit.segment, hit.start) == (
        meetings["acme"],
        "transcript",
        2,
        20.0,
    )
    assert hit.marked() == "We promised an answer by [Friday]"
    assert hit.to_dict()["snippet"] == "We promised an answer by [Friday]"


def test_snippet_highlights_stemmed_and_prefix_matches(repo, meetings):
    (hit,) = search(repo.db, "promise answ")  # porter stemming + prefix on the last word
    assert hit.marked("<b>", "</b>") == "We <b>promised</b> an <b>answer</b> by Friday"


def test_exact_phrase_and_exclusion(repo, meetings):
    assert [r.segment for r in search(repo.db, '"ten percent discount"')] == [1]
    assert search(repo.db, '"discount ten percent"') == []
    hits = search(repo.db, "budget")
    assert {r.meeting_id for r in hits} == {meetings["sync"], meetings["old"]}
    hits = search(repo.db, "budget -redesign")
    assert [r.meeting_id for r in hits] == [meetings["sync"]]
    hits = search(repo.db, 'pricing -"in passing"')
    assert meetings["sync"] not in {r.meeting_id for r in hits}


def test_filters_since_until_meeting_speaker(repo, meetings):
    assert {r.meeting_id for r in search(repo.db, "pricing", Filters(since="2024-03-05"))} == {
        meetings["sync"]
    }
    assert {r.meeting_id for r in search(repo.db, "pricing", Filters(until="2024-01-01"))} == {
        meetings["old"]
    }
    only = search(repo.db, "pricing", Filters(meeting_id=meetings["acme"]))
    assert {r.meeting_id for r in only} == {meetings["acme"]} and len(only) == 2
    mine = search(repo.db, "pricing", Filters(speaker="me"))
    assert [(r.meeting_id, r.segment, r.speaker) for r in mine] == [(meetings["sync"], 1, "me")]
    assert [r.speaker for r in search(repo.db, "budget", Filters(speaker="dana"))] == ["Dana"]


def test_limit(repo, meetings):
    assert len(search(repo.db, "pricing", limit=2)) == 2


# --- the index follows every write ---------------------------------------------------------


def test_notes_edit_is_searchable_and_old_text_is_gone(repo, meetings):
    repo.set_notes(meetings["sync"], "follow up with Zoltan")
    assert [r.kind for r in search(repo.db, "zoltan")] == ["notes"]
    repo.set_notes(meetings["sync"], "nothing here")
    assert search(repo.db, "zoltan") == []


def test_title_rename(repo, meetings):
    repo.update_meeting(meetings["old"], title="Quarterly planning")
    assert [r.meeting_id for r in search(repo.db, "quarterly")] == [meetings["old"]]
    assert search(repo.db, "kickoff") == []


def test_latest_enhanced_version_is_indexed(repo, meetings):
    mid = meetings["acme"]
    v1 = (Block("bullet", "Acme wants a walrus discount", "ai", 1, (Citation(1, 10, 18),)),)
    v2 = (Block("bullet", "Acme wants a narwhal discount", "ai", 1, (Citation(1, 10, 18),)),)
    repo.add_enhanced(EnhancedNotes(mid, "offline", v1))
    assert [r.kind for r in search(repo.db, "walrus")] == ["enhanced"]
    repo.add_enhanced(EnhancedNotes(mid, "offline", v2))
    assert search(repo.db, "walrus") == []
    assert [r.kind for r in search(repo.db, "narwhal")] == ["enhanced"]


def test_segments_add_and_replace(repo, meetings):
    mid = meetings["sync"]
    repo.add_segments(mid, [_seg(2, "the giraffe budget is late")])
    assert [r.segment for r in search(repo.db, "giraffe")] == [2]
    repo.replace_segments(mid, [_seg(0, "only the okapi remains")])
    assert search(repo.db, "giraffe") == [] and search(repo.db, "offsite") == []
    assert [r.segment for r in search(repo.db, "okapi")] == [0]


def test_meeting_delete_removes_everything_from_the_index(repo, meetings):
    repo.add_enhanced(
        EnhancedNotes(meetings["acme"], "offline", (Block("paragraph", "x", "user"),))
    )
    repo.delete_meeting(meetings["acme"])
    assert all(r.meeting_id != meetings["acme"] for r in search(repo.db, "pricing"))
    assert search(repo.db, "acme") == []
    left = repo.db.execute(
        "SELECT count(*) FROM search_docs WHERE meeting_id = ?", [meetings["acme"]]
    ).fetchone()[0]
    assert left == 0
    # The FTS index itself agrees with its content table.
    repo.db.execute("INSERT INTO search_index(search_index) VALUES ('integrity-check')")


# --- hostile input -------------------------------------------------------------------------

HOSTILE = [
    '"',
    '"""',
    "a OR",
    "OR",
    "NEAR(",
    "NEAR(pricing acme, 2)",
    "title:x",
    "transcript:pricing",
    "*",
    "pric*",
    "^pricing",
    "(pricing",
    "pricing)",
    "'; DROP TABLE meetings;--",
    "-",
    "--",
    "-pricing",
    "AND NOT",
    "ünïcödé 日本語 🙂",
    "\x00\x01",
    "pricing " * 3000,
]


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_raise_and_are_not_syntax(repo, meetings, query):
    results = search(repo.db, query)
    assert isinstance(results, list)
    assert repo.db.execute("SELECT count(*) FROM meetings").fetchone()[0] == 3


def test_operators_are_plain_words(repo, meetings):
    # NEAR( and column filters would change the meaning if passed through; as words they
    # simply need to occur, so nothing matches.
    assert search(repo.db, "NEAR(pricing acme)") == []
    assert search(repo.db, "title:pricing") == []
    assert search(repo.db, "pricing*") != []  # a star is punctuation; the word still matches


def test_match_expression_quotes_every_term():
    q = parse_query('acme "by friday" -budget pri')
    assert q.include == ("acme", "by friday", "pri") and q.exclude == ("budget",)
    assert build_match(q) == '("acme" AND "by friday" AND "pri"*) NOT ("budget")'
    assert build_match(parse_query("acme pricing"), any_term=True) == '"acme" OR "pricing"*'
    assert build_match(parse_query("-only -exclusions")) is None


# --- command line --------------------------------------------------------------------------


def test_cli_json_and_text(repo, meetings):
    runner = CliRunner()
    out = runner.invoke(main, ["search", "friday", "--json"])
    assert out.exit_code == 0, out.output
    (r,) = json.loads(out.output)["results"]
    assert set(r) == {"meeting_id", "title", "kind", "segment", "start", "snippet", "score"}
    assert r["segment"] == 2 and r["start"] == 20.0 and "[Friday]" in r["snippet"]
    text = runner.invoke(main, ["search", "pricing", "--since", "2024-03-05"]).output
    assert "Weekly sync" in text and "Acme" not in text and "[00:10]" in text


def test_cli_bad_input(repo, meetings):
    runner = CliRunner()
    out = runner.invoke(main, ["search", "x", "--meeting", "999"])
    assert out.exit_code == 1 and "No meeting with id 999" in out.output
    out = runner.invoke(main, ["search", "x", "--since", "March"])
    assert out.exit_code == 2 and "'March' does not match the format '%Y-%m-%d'" in out.output
    assert runner.invoke(main, ["search", '"', "--json"]).exit_code == 0


# --- shortcuts on a bigger store give the same answer as scoring everything ----------------


def _reference(db, text, filters, limit):
    """The plain way: score every match, join each to its meeting, filter, order."""
    from notes_app.store.search import WEIGHTS, _filter_sql

    match = build_match(parse_query(text))
    where, params = _filter_sql(filters)
    weights = ", ".join(str(w) for w in WEIGHTS)
    sql = f"""
        WITH hits AS MATERIALIZED (
            SELECT rowid AS id, bm25(search_index, {weights}) AS score
            FROM search_index WHERE search_index MATCH ?)
        SELECT d.meeting_id, d.kind, d.segment FROM hits h
        JOIN search_docs d ON d.id = h.id JOIN meetings m ON m.id = d.meeting_id
        WHERE {where} ORDER BY h.score, m.started_at DESC, d.segment LIMIT ?"""
    return [tuple(r) for r in db.execute(sql, [match, *params, limit]).fetchall()]


@pytest.fixture
def crowded(repo):
    """600 hits for "rollout", most of them tied, spread over 15 meetings and 4 speakers."""
    names = ["me", "Dana", "Eli", "Jo"]
    ids = []
    for n in range(15):
        segs = [
            _seg(i, "the rollout plan" if i % 7 else "rollout rollout plan", names[(i + n) % 4])
            for i in range(40)
        ]
        ids.append(
            repo.create_meeting(
                f"Sync {n}", started_at=f"2024-{n % 12 + 1:02d}-0{n % 9 + 1}", segments=segs
            )
        )
    # Rows written later than the meeting: its index rows are no longer one contiguous run.
    repo.add_segments(ids[3], [_seg(100 + i, "late rollout note", "Eli") for i in range(5)])
    return ids


@pytest.mark.parametrize(
    "filters",
    [
        Filters(),
        Filters(speaker="jo"),
        Filters(since="2024-06-01"),
        Filters(since="2024-03-01", until="2024-03-05"),
        Filters(kinds=("notes", "enhanced", "transcript")),
        Filters(speaker="Eli", until="2024-02-01"),
    ],
)
@pytest.mark.parametrize("limit", [1, 7, 20, 150])
@pytest.mark.parametrize("first_n", [None, 1])
def test_shortcuts_rank_exactly_like_scoring_every_match(
    repo, crowded, filters, limit, first_n, monkeypatch
):
    if first_n is not None:  # start from the fewest best matches: every widening step runs
        monkeypatch.setattr(search_module, "_FIRST_N", first_n)
        monkeypatch.setattr(search_module, "_FEW_MEETINGS", 0)
    got = [
        (r.meeting_id, r.kind, r.segment) for r in search(repo.db, "rollout ", filters, limit=limit)
    ]
    assert got == _reference(repo.db, "rollout ", filters, limit)
    assert got  # every filter above keeps some hits


def test_meeting_filter_finds_rows_written_later(repo, crowded):
    hits = search(repo.db, "late rollout", Filters(meeting_id=crowded[3]), limit=50)
    assert [r.segment for r in hits] == [100, 101, 102, 103, 104]
    hits = search(repo.db, "rollout", Filters(meeting_id=crowded[3]), limit=500)
    assert {r.meeting_id for r in hits} == {crowded[3]} and len(hits) == 45
    assert [(r.meeting_id, r.kind, r.segment) for r in hits] == _reference(
        repo.db, "rollout", Filters(meeting_id=crowded[3]), 500
    )
