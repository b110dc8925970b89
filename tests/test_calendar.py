"""The calendar: an ICS served by a real HTTP server on 127.0.0.1 (and an .ics file), read with
icalendar and recurring-ical-events: recurrences, a time zone, an excluded and a cancelled
instance, a moved one; the cache; clear errors; a recording near an event takes its name."""

from __future__ import annotations

import json
import os
import stat
import threading
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from notes_app.calendars.ics import CalendarError
from notes_app.calendars.sources import Calendars, source_text
from notes_app.cli import main

TOKYO = ZoneInfo("Asia/Tokyo")
SECRET = "/calendar/ical/private-5f1e2d3c4b/basic.ics"


def _utc(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _tokyo(day: date, hour: int) -> str:
    return f"{day:%Y%m%d}T{hour:02d}0000"


def make_ics(now: datetime) -> tuple[bytes, dict]:
    """A calendar around ``now``: what it holds, and what a reader should find in it."""
    soon = now.replace(second=0, microsecond=0) + timedelta(minutes=5)
    first = now.astimezone(TOKYO).date() + timedelta(days=1)
    days = [first + timedelta(days=i) for i in range(5)]
    offsite = now.astimezone().date() + timedelta(days=2)
    text = f"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//notes-app tests//EN
X-WR-CALNAME:Work
BEGIN:VEVENT
UID:acme-1
SUMMARY:Acme pricing with Sarah
DTSTART:{_utc(soon)}
DTEND:{_utc(soon + timedelta(minutes=30))}
ATTENDEE;CN=Sarah Chen;ROLE=REQ-PARTICIPANT:mailto:sarah@acme.example
ATTENDEE:mailto:tom@acme.example
ATTENDEE;CUTYPE=ROOM;CN=Room Fuji:mailto:fuji@rooms.example
END:VEVENT
BEGIN:VEVENT
UID:standup-1
SUMMARY:Team standup
DTSTART;TZID=Asia/Tokyo:{_tokyo(days[0], 9)}
DTEND;TZID=Asia/Tokyo:{_tokyo(days[0], 9)[:-4]}1500
RRULE:FREQ=DAILY;COUNT=5
EXDATE;TZID=Asia/Tokyo:{_tokyo(days[1], 9)}
END:VEVENT
BEGIN:VEVENT
UID:standup-1
RECURRENCE-ID;TZID=Asia/Tokyo:{_tokyo(days[2], 9)}
SUMMARY:Team standup
STATUS:CANCELLED
DTSTART;TZID=Asia/Tokyo:{_tokyo(days[2], 9)}
DTEND;TZID=Asia/Tokyo:{_tokyo(days[2], 9)[:-4]}1500
END:VEVENT
BEGIN:VEVENT
UID:standup-1
RECURRENCE-ID;TZID=Asia/Tokyo:{_tokyo(days[3], 9)}
SUMMARY:Team standup (moved)
DTSTART;TZID=Asia/Tokyo:{_tokyo(days[3], 10)}
DTEND;TZID=Asia/Tokyo:{_tokyo(days[3], 10)[:-4]}1500
END:VEVENT
BEGIN:VEVENT
UID:offsite-1
SUMMARY:Offsite
DTSTART;VALUE=DATE:{offsite:%Y%m%d}
DTEND;VALUE=DATE:{offsite + timedelta(days=1):%Y%m%d}
END:VEVENT
BEGIN:VEVENT
UID:dropped-1
SUMMARY:Dropped review
STATUS:CANCELLED
DTSTART:{_utc(soon + timedelta(hours=3))}
DTEND:{_utc(soon + timedelta(hours=4))}
END:VEVENT
BEGIN:VEVENT
UID:later-1
SUMMARY:Quarterly planning
DTSTART:{_utc(now + timedelta(days=40))}
DTEND:{_utc(now + timedelta(days=40, hours=1))}
END:VEVENT
END:VCALENDAR
"""
    standups = [
        datetime(d.year, d.month, d.day, h, 0, tzinfo=TOKYO)
        for d, h in ((days[0], 9), (days[3], 10), (days[4], 9))
    ]
    expected = {"soon": soon, "standups": standups, "offsite": offsite}
    return text.replace("\n", "\r\n").encode(), expected


class Server:
    """A real HTTP server on 127.0.0.1 serving the calendar at its secret path."""

    def __init__(self, body: bytes):
        self.body = body
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server name
                if self.path == SECRET:
                    outer.hits += 1
                    self._send(200, "text/calendar", outer.body)
                elif self.path == "/login":
                    self._send(200, "text/html", b"<!DOCTYPE html><html>Sign in</html>")
                else:
                    self._send(404, "text/plain", b"no such calendar")

            def _send(self, code, kind, body):
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = SECRET) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def served():
    body, expected = make_ics(datetime.now(timezone.utc))
    server = Server(body)
    yield server, expected
    server.stop()


def run(*args):
    return CliRunner().invoke(main, list(args))


def listed(days: int = 7) -> dict:
    res = run("calendar", "--days", str(days), "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_added_address_lists_today_and_upcoming_events(served, notes_home):
    server, expected = served
    res = run("calendar", "add", server.url())
    assert res.exit_code == 0, res.output
    assert "Added “Work” (http://127.0.0.1/…)" in res.output
    assert "private-5f1e2d3c4b" not in res.output  # the secret part of the address is not shown
    assert "4 event(s) in the coming week" in res.output  # Acme and three standups
    kept = notes_home / "calendars.json"
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o600  # the address is a secret
    assert SECRET in kept.read_text()

    events = listed()["events"]
    titles = [e["title"] for e in events]
    assert "Dropped review" not in titles and "Quarterly planning" not in titles
    acme = next(e for e in events if e["title"] == "Acme pricing with Sarah")
    assert datetime.fromisoformat(acme["start"]) == expected["soon"]
    assert acme["attendees"] == ["Sarah Chen", "tom@acme.example"]  # no room
    standups = [
        datetime.fromisoformat(e["start"]) for e in events if e["title"].startswith("Team standup")
    ]
    assert standups == expected["standups"]  # 2nd excluded, 3rd cancelled, 4th moved to 10:00
    assert [e["title"] for e in events if e["title"].startswith("Team")][1] == (
        "Team standup (moved)"
    )
    offsite = next(e for e in events if e["title"] == "Offsite")
    assert offsite["all_day"] and offsite["start"].startswith(expected["offsite"].isoformat())
    assert "Quarterly planning" in [e["title"] for e in listed(60)["events"]]

    text = run("calendar")
    assert text.exit_code == 0
    soon = expected["soon"].astimezone()
    assert f"{soon:%H:%M}–" in text.output
    assert "Acme pricing with Sarah · Sarah Chen, tom@acme.example" in text.output
    assert "all day      Offsite" in text.output
    sources = run("calendar", "sources")
    assert " Work  (http://127.0.0.1/…, fetched " in sources.output


def test_the_fetched_calendar_is_cached_and_used_when_the_address_fails(served, notes_home):
    server, expected = served
    assert run("calendar", "add", server.url()).exit_code == 0
    assert server.hits == 1
    listed()
    listed()
    assert server.hits == 1  # fresh for 15 minutes: read from the cache

    kept = notes_home / "calendars.json"
    data = json.loads(kept.read_text())
    hour_ago = datetime.now(timezone.utc) - timedelta(hours=1)
    data["sources"][0]["fetched_at"] = hour_ago.isoformat(timespec="seconds")
    kept.write_text(json.dumps(data))
    server.stop()
    res = run("calendar", "--json")
    assert res.exit_code == 0, res.output
    assert "Acme pricing with Sarah" in [e["title"] for e in json.loads(res.stdout)["events"]]
    assert "Could not fetch the calendar at http://127.0.0.1/…" in res.stderr
    assert "Showing the copy fetched 1 h ago." in res.stderr
    assert "WARNING" not in res.stderr  # said once, as a sentence; the log keeps the rest


def test_a_wrong_address_or_file_is_a_clear_error_and_nothing_is_added(served, tmp_path):
    server, _ = served
    missing = run("calendar", "add", server.url("/calendar/ical/wrong/basic.ics"))
    assert missing.exit_code == 1
    assert "answered 404 (Not Found). Check the address" in missing.output
    page = run("calendar", "add", server.url("/login"))
    assert page.exit_code == 1 and "is not a calendar (it holds a web page)" in page.output
    closed = run("calendar", "add", "http://127.0.0.1:9/cal.ics")
    assert closed.exit_code == 1 and "Could not fetch the calendar at" in closed.output
    nofile = run("calendar", "add", str(tmp_path / "nope.ics"))
    assert nofile.exit_code == 1 and "There is no calendar file at" in nofile.output
    assert "Traceback" not in missing.output + page.output + closed.output + nofile.output
    assert "No calendars yet" in run("calendar").output
    assert run("calendar", "add", server.url()).exit_code == 0
    again = run("calendar", "add", server.url())
    assert again.exit_code == 1 and "already added" in again.output


def test_an_ics_file_and_removing_calendars(served, tmp_path):
    _, expected = served
    body, _ = make_ics(datetime.now(timezone.utc))
    path = tmp_path / "holidays.ics"
    path.write_bytes(body.replace(b"X-WR-CALNAME:Work", b"X-WR-CALNAME:Home"))
    res = run("calendar", "add", str(path))
    assert res.exit_code == 0, res.output
    assert f"Added “Home” ({path})" in res.output
    assert len([e for e in listed()["events"] if e["title"] == "Offsite"]) == 1
    assert run("calendar", "remove", "1").output == f"Removed “Home” ({path}).\n"
    assert run("calendar", "--json").stdout.strip() == '{\n  "events": [],\n  "problems": []\n}'
    assert source_text("webcal://calendar.example/x.ics") == (
        "https://calendar.example/x.ics",
        True,
    )


def test_a_meeting_started_near_an_event_takes_its_title_and_attendees(served, app):
    server, expected = served
    Calendars(app.settings.home).add(server.url())
    soon = expected["soon"]
    near = app.repo.create_meeting(
        "Meeting 10:02", started_at=(soon - timedelta(minutes=3)).isoformat(), status="recording"
    )
    event = app.name_from_calendar(near)
    assert event is not None and event.title == "Acme pricing with Sarah"
    named = app.repo.get_meeting(near)
    assert named.title == "Acme pricing with Sarah"
    assert named.attendees == ("Sarah Chen", "tom@acme.example")

    titled = app.repo.create_meeting(
        "Budget call", started_at=(soon + timedelta(minutes=9)).isoformat(), attendees=["Ann"]
    )
    assert app.name_from_calendar(titled, keep_title=True) is not None
    kept = app.repo.get_meeting(titled)
    assert kept.title == "Budget call"
    assert kept.attendees == ("Ann", "Sarah Chen", "tom@acme.example")

    far = app.repo.create_meeting("Later", started_at=(soon + timedelta(minutes=11)).isoformat())
    assert app.name_from_calendar(far) is None
    assert app.repo.get_meeting(far).title == "Later"


@pytest.mark.slow
def test_recording_near_an_event_is_named_from_the_calendar(pulse, served, notes_home):
    import subprocess
    import sys

    server, _ = served
    assert run("calendar", "add", server.url()).exit_code == 0
    proc = subprocess.run(
        [sys.executable, "-m", "notes_app", "record", "--json", "--duration", "2"],
        capture_output=True,
        text=True,
        timeout=180,
        env=os.environ.copy(),
    )
    assert proc.returncode == 0, proc.stderr
    said = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    assert said[0]["event"] == "started"
    calendar = next(e for e in said if e["event"] == "calendar")
    assert calendar["title"] == "Acme pricing with Sarah"
    meetings = json.loads(run("list", "--json").stdout)["meetings"]
    assert meetings[0]["title"] == "Acme pricing with Sarah"
    assert meetings[0]["attendees"] == ["Sarah Chen", "tom@acme.example"]


def test_adding_a_file_that_is_not_there_says_so_and_adds_nothing(tmp_path):
    calendars = Calendars(tmp_path)
    with pytest.raises(CalendarError, match="There is no calendar file at .*team.ics"):
        calendars.add(str(tmp_path / "team.ics"))
    assert calendars.sources() == []
