"""`notes-app share / shares / unshare / serve` against real servers on 127.0.0.1."""

from __future__ import annotations

import re

import httpx
import pytest
import test_share_helpers
from click.testing import CliRunner
from test_share_helpers import BLOCKS, SEGMENTS

from notes_app.cli import main
from notes_app.domain import EnhancedNotes
from notes_app.errors import ShareError
from notes_app.share.answer import answerer_for
from notes_app.share.client import ShareClient
from notes_app.share.local import ensure_local_server, local_dir, stop_local_server
from notes_app.share.model import ShareOptions, Snapshot
from notes_app.share.snapshots import SnapshotStore, hash_token

share_server = test_share_helpers.share_server  # the fixture: uvicorn on 127.0.0.1


def _meeting(repo, enhanced=True) -> int:
    mid = repo.create_meeting(
        "Launch planning", attendees=["Sarah", "Tom"], notes="march 3?", segments=SEGMENTS
    )
    if enhanced:
        repo.add_enhanced(EnhancedNotes(mid, "offline", BLOCKS))
    return mid


def _run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def configured(share_server, monkeypatch):
    monkeypatch.setenv("NOTES_APP_SHARE_URL", share_server.url)
    monkeypatch.setenv("NOTES_APP_SHARE_TOKEN", share_server.token)
    return share_server


def test_share_list_unshare_with_a_configured_server(configured, repo):
    mid = _meeting(repo)
    result = _run("share", str(mid), "--transcript", "--expires", "7d")
    assert result.exit_code == 0, result.output
    url = result.stdout.strip().splitlines()[0]
    assert url.startswith(configured.url + "/s/")
    assert "only on this computer" not in result.output
    page = httpx.get(url)
    assert page.status_code == 200 and "Launch planning" in page.text
    assert "Marketing wants the launch" in page.text  # --transcript shared the quotes

    share_id = url.rsplit("/", 1)[1]
    listed = _run("shares")
    assert share_id in listed.stdout and f"meeting {mid}: Launch planning" in listed.stdout
    assert "expires" in listed.stdout

    result = _run("unshare", share_id)
    assert result.exit_code == 0 and "Revoked" in result.stdout
    assert httpx.get(url).status_code == 404
    assert "[revoked]" in _run("shares").stdout
    again = _run("unshare", share_id)
    assert again.exit_code == 0 and "no longer served" in again.stdout


def test_share_json_and_options(configured, repo):
    mid = _meeting(repo)
    result = _run("share", str(mid), "--no-questions", "--expires", "never", "--json")
    assert result.exit_code == 0, result.output
    import json

    data = json.loads(result.stdout)
    assert data["allow_questions"] is False and data["expires_at"] is None
    assert data["include_transcript"] is False and data["status"] == "active"
    page = httpx.get(data["url"]).text
    assert "Ask about this meeting" not in page and "Marketing wants" not in page


def test_share_needs_enhanced_notes(configured, repo):
    mid = _meeting(repo, enhanced=False)
    result = CliRunner().invoke(main, ["share", str(mid)])
    assert result.exit_code == 1
    assert f"notes-app enhance {mid}" in result.stderr
    assert _run("shares").stdout.startswith("No share links yet")


def test_bad_expiry_and_missing_token_are_clear_errors(share_server, repo, monkeypatch):
    mid = _meeting(repo)
    monkeypatch.setenv("NOTES_APP_SHARE_URL", share_server.url)
    result = CliRunner().invoke(main, ["share", str(mid)])
    assert result.exit_code == 1 and "share.token" in result.stderr
    monkeypatch.setenv("NOTES_APP_SHARE_TOKEN", "wrong")
    result = CliRunner().invoke(main, ["share", str(mid)])
    assert result.exit_code == 1 and "refused the token" in result.stderr
    monkeypatch.setenv("NOTES_APP_SHARE_TOKEN", share_server.token)
    result = CliRunner().invoke(main, ["share", str(mid), "--expires", "soon"])
    assert result.exit_code == 1 and "7d" in result.stderr
    assert share_server.store.list_for(share_server.token) == []  # nothing was published


def test_unknown_share_id(repo):
    result = CliRunner().invoke(main, ["unshare", "nope"])
    assert result.exit_code == 1 and "notes-app shares" in result.stderr


def test_create_token_prints_it_last_and_stores_a_hash(tmp_path):
    data = tmp_path / "srv"
    result = _run("serve", "--create-token", "laptop", "--data", str(data))
    assert result.exit_code == 0
    token = result.stdout.split()[-1]
    assert len(token) >= 40
    store = SnapshotStore(data, clock=lambda: 0.0)
    assert store.token_known(token)
    hashes = [r[0] for r in store.backend.rows("select hash from tokens")]
    assert hashes == [hash_token(token)]
    assert token.encode() not in (data / "shares.db").read_bytes()
    store.close()


def test_serve_refuses_a_busy_port(share_server):
    port = share_server.url.rsplit(":", 1)[1]
    result = CliRunner().invoke(main, ["serve", "--port", port])
    assert result.exit_code == 1 and "--port" in result.stderr


def test_no_server_configured_runs_one_on_this_machine(repo, notes_home):
    mid = _meeting(repo)
    try:
        result = _run("share", str(mid))
        assert result.exit_code == 0, result.output
        url = result.stdout.strip().splitlines()[0]
        assert re.match(r"http://127\.0\.0\.1:\d+/s/[\w-]{22,}$", url)
        assert "only on this computer" in result.stderr
        assert "export" in result.stderr
        assert httpx.get(url).status_code == 200

        state = (local_dir(notes_home) / "server.json").read_text()
        again = _run("share", str(mid))
        assert again.exit_code == 0
        assert (local_dir(notes_home) / "server.json").read_text() == state  # reused, not restarted
        assert ensure_local_server(notes_home).started is False
        token_file = local_dir(notes_home) / "local-token"
        assert token_file.stat().st_mode & 0o077 == 0  # only this user can read the token

        share_id = url.rsplit("/", 1)[1]
        assert "(this computer only)" in _run("shares").stdout
        assert _run("unshare", share_id).exit_code == 0
        assert httpx.get(url).status_code == 404
    finally:
        stop_local_server(notes_home)


def test_llm_answers_when_the_server_has_one():
    from llm_fixtures import llm_settings
    from llm_server import Reply, ScriptedLLMServer

    snapshot = Snapshot("Launch planning", None, (), BLOCKS, SEGMENTS)
    with ScriptedLLMServer(models=["test-model"]) as llm:
        llm.queue(Reply.text("Sarah owns the pricing page [1]."))
        answer = answerer_for(llm_settings(llm.base_url))(snapshot, "Who owns pricing?")
        assert "pricing page" in llm.requests[0].prompt  # the shared passages were sent
    data = answer.to_dict()
    assert data["mode"] == "llm" and data["answer"] == "Sarah owns the pricing page [1]."
    assert len(data["citations"]) == 1 and "Sarah" in data["citations"][0]["quote"]


def test_deleting_a_meeting_revokes_its_links_first(configured, repo):
    mid = _meeting(repo)
    url = _run("share", str(mid)).stdout.strip().splitlines()[0]
    assert httpx.get(url).status_code == 200
    result = _run("delete", str(mid), "--yes")
    assert result.exit_code == 0 and "revoked 1 share link" in result.stdout
    assert httpx.get(url).status_code == 404
    assert repo.list_meetings() == []
    # The server's copy went with it: no content row, and the words are not in its files.
    store = configured.store
    assert store.backend.rows("SELECT count(*) FROM share_content")[0][0] == 0
    if store.path is not None:  # SQLite zeroes what it deletes (PostgreSQL: see postgres.py)
        on_disk = b"".join(p.read_bytes() for p in store.path.parent.glob("shares.db*"))
        assert b"pricing page" not in on_disk and b"Launch planning" not in on_disk


def test_a_link_that_cannot_be_revoked_keeps_the_meeting(configured, repo):
    mid = _meeting(repo)
    assert _run("share", str(mid)).exit_code == 0
    # The server the link lives on has gone away (nothing listens on port 9).
    repo.db.execute("UPDATE share_links SET server_url = 'http://127.0.0.1:9'")
    repo.db.conn.commit()
    result = CliRunner().invoke(main, ["delete", str(mid), "--yes"])
    assert result.exit_code == 1 and "was not deleted" in result.output
    assert repo.get_meeting(mid).title == "Launch planning"


def _tokens_lines(data) -> list[str]:
    result = _run("serve", "--list-tokens", "--data", str(data))
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()


def test_tokens_are_listed_revoked_and_can_expire(tmp_path):
    import time

    from test_share_helpers import publish, sample_snapshot, serve_in_thread

    from notes_app.share.server import create_app

    data = tmp_path / "srv"
    laptop = _run("serve", "--create-token", "laptop", "--data", str(data)).stdout.split()[-1]
    made = _run("serve", "--create-token", "ci", "--expires", "90d", "--data", str(data))
    assert made.exit_code == 0 and "expires" in made.stdout
    ci = made.stdout.split()[-1]
    again = CliRunner().invoke(main, ["serve", "--create-token", "laptop", "--data", str(data)])
    assert again.exit_code == 1 and "--revoke-token" in again.stderr

    store = SnapshotStore(data, clock=time.time)
    with serve_in_thread(create_app(store)) as url:
        server = test_share_helpers.RunningServer(url, laptop, store, None)
        first, second = publish(server, sample_snapshot()), publish(server, sample_snapshot())
        lines = _tokens_lines(data)
        assert len(lines) == 3  # a header and one line per token
        laptop_line = next(line for line in lines if line.startswith("laptop"))
        assert "active" in laptop_line and "2 live links" in laptop_line
        ci_line = next(line for line in lines if line.startswith("ci"))
        assert "expires" in ci_line and "0 live links" in ci_line
        assert laptop not in "\n".join(lines) and hash_token(laptop) not in "\n".join(lines)

        revoked = _run("serve", "--revoke-token", "laptop", "--data", str(data))
        assert revoked.exit_code == 0 and "2 live links" in revoked.stdout
        assert "--revoke-links" in revoked.stdout
        r = httpx.post(url + "/api/shares", json=sample_snapshot().to_dict(),
                       headers={"Authorization": f"Bearer {laptop}"})  # fmt: skip
        assert r.status_code == 401 and "revoked" in r.json()["error"]
        assert httpx.get(first["url"]).status_code == 200  # its links stay unless asked
        with pytest.raises(ShareError, match="refused the token. This API token was revoked"):
            ShareClient(url, laptop).publish(sample_snapshot(), ShareOptions())
        assert "revoked" in next(line for line in _tokens_lines(data) if line.startswith("laptop"))

        other = _run("serve", "--create-token", "laptop", "--data", str(data)).stdout.split()[-1]
        server.token = other
        third = publish(server, sample_snapshot())
        gone = _run("serve", "--revoke-token", "laptop", "--revoke-links", "--data", str(data))
        assert gone.exit_code == 0 and "1 live link" in gone.stdout
        assert httpx.get(third["url"]).status_code == 404
        assert httpx.get(second["url"]).status_code == 200  # the first laptop token's stay

        unknown = CliRunner().invoke(
            main, ["serve", "--revoke-token", "nobody", "--data", str(data)]
        )
        assert unknown.exit_code == 1 and "--list-tokens" in unknown.stderr
    store.close()
    later = SnapshotStore(data, clock=lambda: time.time() + 91 * 86400)
    assert later.token_state(ci) == "expired"
    assert SnapshotStore(data, clock=time.time).token_state(ci) == "valid"
    later.close()


def test_token_expiry_is_checked_before_anything_is_written(tmp_path):
    data = tmp_path / "srv"
    result = CliRunner().invoke(
        main, ["serve", "--create-token", "x", "--expires", "soon", "--data", str(data)]
    )
    assert result.exit_code == 1 and "90d" in result.stderr
    assert _tokens_lines(data)[-1].startswith("No API tokens")


def test_serve_on_a_public_address_needs_its_public_url(tmp_path):
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--data", str(tmp_path)])
    assert result.exit_code == 1 and "--public-url" in result.stderr
