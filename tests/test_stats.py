"""Meeting statistics on a small hand-made store whose figures are known."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner

from notes_app.cli import main
from notes_app.domain import Segment
from notes_app.stats import compute_stats, percentages, recent_weeks, talk_share


@pytest.fixture
def store(repo):
    # Mon 2024-01-01 (ISO week 1): 1 h; Wed 2024-01-03 (week 1): 30 min; Mon 2024-01-08 (week 2).
    a = repo.create_meeting(
        "Budget",
        started_at="2024-01-01T09:00:00+00:00",
        duration=3600,
        attendees=["Dana", "Lee"],
        notes="budget budget",
        segments=[
            Segment(0, 0, 30, "the budget forecast", "me", 0),
            Segment(1, 30, 120, "budget forecast looks fine", "them", 1),
        ],
    )
    b = repo.create_meeting(
        "Hiring",
        started_at="2024-01-03T14:00:00+00:00",
        duration=1800,
        attendees=["Dana"],
        segments=[
            Segment(0, 0, 60, "we should hire", "Dana"),
            Segment(1, 60, 80, "hire two engineers", "Lee"),
        ],
    )
    c = repo.create_meeting(
        "Imported",
        started_at="2024-01-08T10:00:00+00:00",
        segments=[Segment(0, 0, 900, "forecast", None)],  # no duration: the transcript's end
    )
    return a, b, c


def test_hours_weeks_and_weekdays(repo, store):
    s = compute_stats(repo.db)
    assert s.meetings == 3 and s.total_hours == 1.75
    assert s.hours_per_week == (("2024-W01", 1.5), ("2024-W02", 0.25))
    assert dict(s.meetings_per_weekday) == {
        "Mon": 2,
        "Tue": 0,
        "Wed": 1,
        "Thu": 0,
        "Fri": 0,
        "Sat": 0,
        "Sun": 0,
    }


def test_talk_share_per_meeting_and_overall(repo, store):
    a, b, _ = store
    s = compute_stats(repo.db)
    by_id = {t.meeting_id: t for t in s.talk}
    assert (by_id[a].me_seconds, by_id[a].them_seconds, by_id[a].me_share) == (30, 90, 0.25)
    assert by_id[b].me_share == 0.0  # named speakers are the others
    assert (s.talk_overall.me_seconds, s.talk_overall.them_seconds) == (30, 170)
    assert s.talk_overall.me_share == round(30 / 200, 3)


def test_top_people_and_terms(repo, store):
    s = compute_stats(repo.db)
    assert s.top_people == (("Dana", 2), ("Lee", 2))
    terms = dict(s.top_terms)
    assert terms["budget"] == 4 and terms["forecast"] == 3 and terms["hire"] == 2
    assert "the" not in terms and "we" not in terms


def test_since_and_cli_json(repo, store):
    assert compute_stats(repo.db, "2024-01-02").meetings == 2
    out = CliRunner().invoke(main, ["stats", "--since", "2024-01-08", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["meetings"] == 1 and data["hours_per_week"] == [{"week": "2024-W02", "hours": 0.25}]
    assert data["talk_share"]["overall"]["me_share"] is None  # nobody is "me" in an import


def test_cli_text_and_empty_store(repo):
    assert "No meetings" in CliRunner().invoke(main, ["stats"]).output
    repo.create_meeting(
        "One",
        started_at="2024-02-05T10:00:00+00:00",
        duration=7200,
        segments=[Segment(0, 0, 10, "roadmap roadmap", "me", 0)],
    )
    out = CliRunner().invoke(main, ["stats"]).output
    assert "1 meetings, 2.0 hours" in out and "you 100%" in out and "roadmap (2)" in out


def test_one_meetings_talk_share_matches_the_report(repo, store):
    a, b, c = store
    by_id = {t.meeting_id: t for t in compute_stats(repo.db).talk}
    for mid in (a, b):
        share = talk_share(repo.get_transcript(mid).segments, mid, "x")
        assert (share.me_seconds, share.them_seconds) == (
            by_id[mid].me_seconds,
            by_id[mid].them_seconds,
        )
    assert percentages(talk_share(repo.get_transcript(a).segments)) == (25, 75)
    assert percentages(talk_share(repo.get_transcript(b).segments)) == (0, 100)
    # Unattributed speech (an import without speakers) says nothing about who talked.
    assert percentages(talk_share(repo.get_transcript(c).segments)) is None
    assert percentages(talk_share([])) is None


def test_percentages_add_up_to_a_hundred():
    thirds = talk_share([Segment(0, 0, 1, "a", "me"), Segment(1, 1, 3, "b", "them")])
    assert percentages(thirds) == (33, 67)
    backwards = talk_share([Segment(0, 5, 2, "clock skew", "me"), Segment(1, 0, 4, "b", "Lee")])
    assert percentages(backwards) == (0, 100)  # a negative length counts as nothing


def test_recent_weeks_fill_the_gaps_up_to_this_week():
    hours = (("2023-W52", 9.0), ("2024-W01", 1.5), ("2024-W03", 0.25))
    weeks = recent_weeks(hours, date(2024, 1, 17), weeks=4)  # a Wednesday in week 3
    assert weeks == (
        (date(2023, 12, 25), 9.0),
        (date(2024, 1, 1), 1.5),
        (date(2024, 1, 8), 0.0),
        (date(2024, 1, 15), 0.25),
    )
