"""Several workers on one database: the share server with `--workers N`, on PostgreSQL and SQLite.

What the workers must agree on lives in the database: a client's rate limits, which worker runs
a job, whether a share is live. Two apps on one database (each its own store and caches, as two
worker processes have) stand in for workers where a test moves the clock; the real command
with `--workers 2` runs as a subprocess. The rest of the share suite runs on both backends too
(the ``share_server`` fixture is parametrised).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import test_share_helpers
from click.testing import CliRunner
from postgres import TempPostgres, bin_dir
from test_share_helpers import MovableClock, RunningServer, publish, sample_snapshot

from notes_app.cli import main
from notes_app.share.ratelimit import Rate
from notes_app.share.server import Limits, create_app
from notes_app.share.snapshots import SnapshotStore

new_location = test_share_helpers.new_location  # a SQLite folder or a PostgreSQL database


class Workers:
    """Two apps on one database, served on two ports, sharing one movable clock."""

    def __init__(self, location, limits: Limits | None = None):
        self.clock = MovableClock()
        self.stores = [SnapshotStore(location, clock=self.clock) for _ in range(2)]
        self.apps = [create_app(s, clock=self.clock, limits=limits) for s in self.stores]
        self.token = self.stores[0].create_token("tests")
        self._serving = [test_share_helpers.serve_in_thread(app) for app in self.apps]
        self.urls = [serving.__enter__() for serving in self._serving]

    def server(self, n: int) -> RunningServer:
        return RunningServer(self.urls[n], self.token, self.stores[n], self.clock, self.apps[n])

    def on(self, n: int, url: str) -> str:
        """``url`` (made by either worker) as served by worker ``n``."""
        for base in self.urls:
            url = url.replace(base, self.urls[n])
        return url

    def close(self) -> None:
        for serving in self._serving:
            serving.__exit__(None, None, None)
        for store in self.stores:
            store.close()


@pytest.fixture
def workers(new_location):
    running = Workers(new_location(), Limits(asks_per_client=4, asks_per_client_all=10))
    yield running
    running.close()


def _ask(url: str, ip: str = "198.51.100.1") -> int:
    r = httpx.post(url + "/ask", json={"question": "launch?"}, headers={"X-Forwarded-For": ip})
    return r.status_code


def test_rate_limits_are_counted_over_all_workers(workers):
    links = [publish(workers.server(n % 2), sample_snapshot())["url"] for n in range(3)]
    codes = [_ask(workers.on(n % 2, links[0])) for n in range(6)]
    assert codes == [200] * 4 + [429] * 2  # 4 per link: each worker alone would allow 4 more
    assert [_ask(workers.on(n % 2, links[1])) for n in range(4)] == [200] * 4
    codes = [_ask(workers.on(n % 2, links[2])) for n in range(4)]
    assert codes == [200] * 2 + [429] * 2  # 10 over all links, whichever worker counted them
    assert _ask(workers.on(1, links[2]), "198.51.100.2") == 200  # someone else
    workers.clock.advance(60)
    assert _ask(workers.on(0, links[0])) == 200


def test_a_share_revoked_on_one_worker_is_gone_from_the_others_memory(workers):
    shared = publish(workers.server(0), sample_snapshot(), include_transcript=True)
    kept = publish(workers.server(0), sample_snapshot())
    for n in (0, 1):
        assert httpx.get(workers.on(n, kept["url"])).status_code == 200
        assert httpx.get(workers.on(n, shared["url"])).status_code == 200  # cached by both
    other = workers.apps[1].server
    assert shared["id"] in other.pages.keys() and shared["id"] in workers.stores[1].parsed_ids()
    auth = {"Authorization": f"Bearer {workers.token}"}
    assert httpx.delete(f"{workers.urls[0]}/api/shares/{shared['id']}", headers=auth).is_success
    assert shared["id"] in other.pages.keys()  # worker 1 has not heard yet...
    other.sweep_caches()  # ...until its next look at the store, once a minute
    assert other.pages.keys() == [kept["id"]] and workers.stores[1].parsed_ids() == [kept["id"]]
    # Nor is it ever served from a cache meanwhile: liveness is read on every request.
    again = publish(workers.server(0), sample_snapshot())
    assert httpx.get(workers.on(1, again["url"])).status_code == 200
    httpx.delete(f"{workers.urls[0]}/api/shares/{again['id']}", headers=auth)
    assert httpx.get(workers.on(1, again["url"])).status_code == 404
    assert again["id"] not in other.pages.keys()  # and the 404 dropped what it kept


def test_the_purge_runs_on_one_worker_each_time_it_is_due(workers):
    word = "Vexhollow"
    publish(workers.server(0), sample_snapshot(title=word), expires="1h")
    for _ in range(3):
        for url in workers.urls:
            assert httpx.get(url + "/healthz").status_code == 200
    ran = [app.server.jobs_run.count("purge") for app in workers.apps]
    assert sum(ran) == 1, ran  # the first request claimed it; the other worker saw it was done
    workers.clock.advance(3600 + 1)
    for url in reversed(workers.urls):
        assert httpx.get(url + "/healthz").status_code == 200
    ran = [app.server.jobs_run.count("purge") for app in workers.apps]
    assert sum(ran) == 2 and ran[1] == 1, ran  # worker 1 asked first this time
    rows = workers.stores[0].backend.rows("SELECT count(*) FROM share_content")
    assert rows[0][0] == 0


def _at_once(calls: list) -> list:
    """Run the calls in threads released together; their results in order."""
    results: list = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(n: int) -> None:
        start.wait()
        results[n] = calls[n]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_questions_and_claims_are_counted_exactly(new_location):
    location = new_location()
    clock = MovableClock()
    stores = [SnapshotStore(location, clock=clock) for _ in range(3)]
    try:
        rate = Rate(6, 60)
        takes = [lambda s=s: s.take([("link x client", rate), ("all client", Rate(50, 60))])
                 for s in stores for _ in range(6)]  # fmt: skip
        assert _at_once(takes).count(None) == 6
        claims = [lambda s=s: s.claim_job("purge", 3600)[0] for s in stores for _ in range(4)]
        assert _at_once(claims).count(True) == 1
        clock.advance(3600)
        assert _at_once(claims).count(True) == 1
    finally:
        for store in stores:
            store.close()


def test_both_backends_get_the_same_schema(tmp_path, postgres_url):
    sqlite_store = SnapshotStore(tmp_path / "srv", clock=time.time)
    pg_store = SnapshotStore(postgres_url, clock=time.time)
    try:
        lite: dict[str, list[str]] = {}
        tables = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%'"
        for (table,) in sqlite_store.backend.rows(tables + " ESCAPE '\\'"):
            lite[table] = [r[1] for r in sqlite_store.backend.rows(f"PRAGMA table_info({table})")]
        pg: dict[str, list[str]] = {}
        for table, column, kind in pg_store.backend.rows(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'public' AND table_name <> 'share_migrations'"
            " ORDER BY table_name, ordinal_position"
        ):
            pg.setdefault(table, []).append(column)
            if column.endswith("_at") or column in ("due", "next_run"):
                assert kind == "double precision", (table, column)  # not PostgreSQL's float4
        assert lite == pg
        assert set(pg) == {"tokens", "shares", "share_content", "rate_limits", "jobs"}
    finally:
        sqlite_store.close()
        pg_store.close()


def test_a_title_with_a_nul_is_stored_on_both(new_location):
    """PostgreSQL's text cannot hold U+0000; the store never hands it one."""
    store = SnapshotStore(new_location(), clock=time.time)
    try:
        token = store.create_token("tests")
        from notes_app.share.model import ShareOptions

        shared = store.publish(token, sample_snapshot(title="Q3\x00plan"), ShareOptions())
        assert store.list_for(token)[0].title == "Q3\ufffdplan"
        assert store.snapshot(shared.id) is not None
    finally:
        store.close()


# --- the real command ---------------------------------------------------------------------------


def _serve(args: list[str], home: Path) -> tuple[subprocess.Popen, str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "NOTES_APP_HOME": str(home), "NOTES_APP_NO_KEYRING": "1"}
    env.pop("NOTES_APP_SHARE_DATABASE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "notes_app", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"serve did not start: {process.stderr.read().decode()[-2000:]}")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(p) for p in task.read_text().split()]
    return found


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_serve_with_two_workers_shares_limits_and_stops_cleanly(backend, tmp_path, request):
    location = (
        ["--database", request.getfixturevalue("postgres_url")]
        if backend == "postgresql"
        else ["--data", str(tmp_path / "srv")]
    )
    made = CliRunner().invoke(main, ["serve", "--create-token", "ci", *location])
    assert made.exit_code == 0, made.output
    token = made.stdout.split()[-1]
    process, url = _serve([*location, "--workers", "2", "--asks-per-minute", "5"], tmp_path / "h")
    try:
        assert len(_children(process.pid)) >= 2  # the workers (uvicorn's supervisor above them)
        shared = publish(RunningServer(url, token, None, None), sample_snapshot())
        # A new connection each time: the kernel hands them to either worker.
        codes = [_ask(shared["url"], "203.0.113.7") for _ in range(8)]
        assert codes == [200] * 5 + [429] * 3
        pages = {httpx.get(shared["url"]).status_code for _ in range(10)}
        assert pages == {200}
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.delete(f"{url}/api/shares/{shared['id']}", headers=auth).is_success
        assert {httpx.get(shared["url"]).status_code for _ in range(10)} == {404}
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    errors = process.stderr.read().decode()
    assert code == 0 and "Traceback" not in errors, errors


def test_serve_says_what_is_wrong_with_the_database_option(tmp_path):
    both = CliRunner().invoke(
        main, ["serve", "--data", str(tmp_path), "--database", "postgresql:///x", "--list-tokens"]
    )
    assert both.exit_code == 1 and "not both" in both.stderr
    wrong = CliRunner().invoke(main, ["serve", "--database", str(tmp_path), "--list-tokens"])
    assert wrong.exit_code == 1 and "--data DIR" in wrong.stderr
    missing = tmp_path / "no-socket-here"
    unreachable = CliRunner().invoke(
        main,
        ["serve", "--database", f"postgresql://u:hunter2@/db?host={missing}", "--list-tokens"],
    )
    assert unreachable.exit_code == 1
    assert "Cannot open the share server's database" in unreachable.stderr
    assert "hunter2" not in unreachable.stderr and "u:***@" in unreachable.stderr


def test_the_database_url_may_come_from_the_environment(postgres_url, monkeypatch):
    monkeypatch.setenv("NOTES_APP_SHARE_DATABASE", postgres_url)
    made = CliRunner().invoke(main, ["serve", "--create-token", "env"])
    assert made.exit_code == 0, made.output
    store = SnapshotStore(postgres_url, clock=time.time)
    try:
        assert store.token_known(made.stdout.split()[-1])
    finally:
        store.close()


@pytest.mark.skipif(bin_dir() is None, reason="PostgreSQL is not installed")
def test_a_database_that_goes_away_is_a_503_and_comes_back():
    server = TempPostgres(bin_dir()).start()  # its own: this test stops it
    store = SnapshotStore(server.create_database(), clock=time.time)
    try:
        token = store.create_token("tests")
        with test_share_helpers.serve_in_thread(create_app(store)) as url:
            shared = publish(RunningServer(url, token, store, None), sample_snapshot())
            server.halt()
            down = httpx.get(shared["url"])
            assert down.status_code == 503 and "database" in down.json()["error"]
            assert down.headers["retry-after"] and "Traceback" not in down.text
            assert down.headers["x-content-type-options"] == "nosniff"
            server.resume()
            codes = [httpx.get(shared["url"]).status_code]
            deadline = time.monotonic() + 30
            while codes[-1] != 200 and time.monotonic() < deadline:
                time.sleep(0.2)
                codes.append(httpx.get(shared["url"]).status_code)
            assert codes[-1] == 200 and set(codes) <= {200, 503}, codes  # the pool reconnected
    finally:
        store.close()
        server.stop()


def test_the_workers_socket_is_marked_tcp_so_connections_get_nodelay():
    """uvicorn binds the workers' socket with protocol 0; asyncio then leaves Nagle's algorithm
    on for every connection and each kept-alive request waits ~40 ms for a delayed ACK."""
    import socket

    import uvicorn

    from notes_app.cli.share import listening_socket

    config = uvicorn.Config("notes_app.share.hosting:worker_app", host="127.0.0.1", port=0)
    sock = listening_socket(config)
    try:
        assert sock.proto == socket.IPPROTO_TCP and sock.get_inheritable()
        sock.listen()
        with socket.create_connection(sock.getsockname()) as client:
            accepted, _ = sock.accept()
            with accepted:
                assert client and accepted.proto == socket.IPPROTO_TCP  # asyncio sets NODELAY
    finally:
        sock.close()
