"""How many recipients can one share server serve at once?

Starts `notes-app serve` (uvicorn) in a subprocess on 127.0.0.1 with a fresh data folder,
publishes one meeting (~40 note lines, 120 transcript segments, transcript shared), then runs
concurrent readers (keep-alive connections, like browsers) against its page for --seconds,
flat out and then paced at --rate, and prints requests per second, p50/p95/p99 latency, errors
and the server's CPU time per request.
A shorter run then asks questions from a few clients (rate limits raised for the run) and
prints the same figures.

Then what one token holder can make the server do with the largest shares it accepts
(20,000 transcript segments, ~3.5 MB each): the server's resident memory as --large shares
are viewed one after another (the caches are bounded by bytes, so it levels off), the longest
/healthz wait while a large page renders for the first time (rendering runs off the event
loop), the server CPU of one question on such a share, and how long a 404 takes for an
unknown id and for a revoked one (both one small lookup). Last, the rate limit's cost per
question with 100,000 and 200,000 clients remembered in the store (an index lookup and a write,
not a scan).

With --database, the same load runs twice, on 1 worker over SQLite and on --workers (4) workers
over that PostgreSQL database, and the figures are printed side by side; the server CPU counts
every worker (and PostgreSQL's own processes when it is the throwaway one). `--database
temporary` starts a throwaway PostgreSQL cluster (Debian's postgresql package, as the tests do).

Target on the project machine: ≥ 300 page requests/s at p95 ≤ 50 ms with no errors; memory
levels off below 300 MB; /healthz never waits more than 100 ms behind a render. The load
generator shares the CPU with the server, so figures on a busy machine are a lower bound.

    python benchmarks/share_load.py [--seconds 20] [--readers 50] [--rate 300] [--ask-seconds 5]
                                    [--large 12] [--database postgresql://…|temporary]
                                    [--workers 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from notes_app.domain import Block, Citation, Segment
from notes_app.share.client import ShareClient
from notes_app.share.model import ShareOptions, Snapshot
from notes_app.share.snapshots import SnapshotStore

QUESTIONS = (
    "Who owns the pricing page?",
    "When is the launch?",
    "What did they say about the budget?",
    "Which customers asked for the export feature?",
)


def sample_snapshot(topics: int = 10, segments: int = 120) -> Snapshot:
    words = ["pricing", "launch", "budget", "hiring", "export", "customers", "roadmap", "QA"]
    segs = tuple(
        Segment(
            i,
            i * 6.0,
            i * 6.0 + 5.5,
            f"We talked about {words[i % 8]} and {words[(i * 3) % 8]}; item {i} needs an owner.",
            "them" if i % 2 else "me",
        )
        for i in range(segments)
    )
    blocks: list[Block] = []
    for t in range(topics):
        blocks.append(Block("heading", f"{words[t % 8].title()} ({t})", "user", t * 4 + 1))
        for j in range(3):
            seg = segs[(t * 12 + j * 4) % segments]
            blocks.append(Block("bullet", f"{words[t % 8]} note {j}", "user", t * 4 + 2 + j))
            blocks.append(
                Block("bullet", seg.text, "ai", t * 4 + 2 + j, (Citation.of(seg),), j != 2)
            )
    return Snapshot("Quarterly planning", "2025-03-01T14:00:00+00:00", ("Ana", "Ben"),
                    tuple(blocks), segs)  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def large_snapshot(n: int, segments: int = 20_000) -> Snapshot:
    """A share at the size limits: 20,000 segments of ordinary talk, ~3.5 MB of JSON."""
    words = ["pricing", "launch", "budget", "hiring", "export", "customers", "roadmap", "QA"]
    segs = tuple(
        Segment(
            i,
            i * 3.0,
            i * 3.0 + 2.8,
            f"Share {n}: on {words[i % 8]} we agreed item {i} goes to {words[(i * 5) % 8]} "
            f"owners next week, pending the {words[(i * 3) % 8]} review.",
            "them" if i % 2 else "me",
        )
        for i in range(segments)
    )
    small = sample_snapshot()
    return Snapshot(f"Large share {n}", small.date, small.attendees, small.blocks, segs)


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def large_shares(pid: int, base: str, token: str, count: int) -> None:
    """Memory, event-loop stalls, question cost and 404 timing with the largest shares."""
    with ShareClient(base, token, timeout=120) as client:
        shared = [
            client.publish(large_snapshot(n), ShareOptions(include_transcript=True))
            for n in range(count)
        ]
    size = len(json.dumps(large_snapshot(0).to_dict()).encode()) / 1e6
    start = rss_mb(pid)
    print(f"large shares: {count} of {size:.1f} MB each; server RSS {start:.0f} MB before")
    worst_stall = 0.0
    first_views: list[float] = []
    for n, share in enumerate(shared):
        stalls: list[float] = []
        done = threading.Event()
        prober = threading.Thread(target=probe_health, args=(base, done, stalls))
        prober.start()
        began = time.perf_counter()
        assert httpx.get(share.url, timeout=120).status_code == 200
        first_views.append(time.perf_counter() - began)
        done.set()
        prober.join()
        worst_stall = max([worst_stall, *stalls])
        if n in (0, count // 2, count - 1):
            print(f"  after viewing {n + 1}: server RSS {rss_mb(pid):.0f} MB")
    first_views.sort()
    print(
        f"  first view of a large page: median {1000 * first_views[len(first_views) // 2]:.0f}"
        f" ms; longest /healthz wait meanwhile {1000 * worst_stall:.1f} ms"
    )
    # The first question on a share indexes it (words and vectors); later ones reuse that.
    for label, question in (("first", "Who owns the export?"), ("next", "When is the launch?")):
        before = cpu_seconds(pid)
        asked = httpx.post(shared[0].url + "/ask", json={"question": question}, timeout=120)
        assert asked.status_code == 200, asked.text
        print(f"  {label} question on a 20,000-segment share: "
              f"{1000 * (cpu_seconds(pid) - before):.0f} ms server CPU")  # fmt: skip
    with ShareClient(base, token) as client:
        client.revoke(shared[-1].id)
    timings = {}
    with httpx.Client() as http:
        for label, url in (("unknown", base + "/s/" + "x" * 32), ("revoked", shared[-1].url)):
            samples = []
            for _ in range(200):
                began = time.perf_counter()
                assert http.get(url).status_code == 404
                samples.append(time.perf_counter() - began)
            samples.sort()
            timings[label] = 1000 * samples[len(samples) // 2]
    print(f"  404 median: unknown {timings['unknown']:.2f} ms, revoked {timings['revoked']:.2f} ms")


def probe_health(base: str, done: threading.Event, waits: list[float]) -> None:
    """Ask /healthz every 10 ms until ``done``; each wait is recorded."""
    with httpx.Client(timeout=30) as client:
        while not done.is_set():
            began = time.perf_counter()
            client.get(base + "/healthz")
            waits.append(time.perf_counter() - began)
            time.sleep(0.01)


def rate_limit_cost(location: Path | str, label: str) -> None:
    """A question's rate-limit check (two keys, one transaction) with many clients kept."""
    from notes_app.share.ratelimit import Rate

    store = SnapshotStore(location, clock=time.time)
    rate, wide = Rate(20, 60), Rate(60, 60)
    try:
        kept = 0
        for keys in (100_000, 200_000):
            with store.backend.write() as tx:  # the clients seen in the last minute, at once
                tx.execute(
                    "WITH RECURSIVE n(i) AS (SELECT CAST(? AS INTEGER)"
                    " UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
                    " INSERT INTO rate_limits (key, due) SELECT 'seen ' || i, ? FROM n",
                    [kept, keys - 1, time.time() + 3600],
                )
            kept = keys
            began = time.perf_counter()
            for k in range(2_000):
                store.take([(f"link x flood {k}", rate), (f"all flood {k}", wide)])
            per = (time.perf_counter() - began) / 2_000
            print(f"rate limits on {label} with {keys:,} clients kept: {1e6 * per:.0f} µs per "
                  f"question, {store.rates_kept():,} kept")  # fmt: skip
    finally:
        store.close()


def start_server(location: list[str], home: Path, port: int, workers: int = 1) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "notes_app", "serve", "--port", str(port), *location]
    cmd += ["--asks-per-minute", "100000", "--workers", str(workers)]
    env = {**os.environ, "NOTES_APP_HOME": str(home)}
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server did not start: {process.stderr.read().decode()[-500:]}")


class RawGet:
    """A keep-alive HTTP/1.1 GET over asyncio streams.

    httpx costs more CPU per request than the server does, and the load generator shares the
    machine with the server, so page readers use this bare client to measure the server.
    """

    status_code = 0

    def __init__(self, url: str):
        parsed = httpx.URL(url)
        self.host, self.port, self.path = parsed.host, parsed.port, parsed.raw_path.decode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self) -> RawGet:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        request = f"GET {self.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n\r\n"
        self.writer.write(request.encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        self.status_code = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return self

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def load(
    url: str, workers: int, seconds: float, make_request, rate: float | None = None
) -> dict:
    """``workers`` clients send requests until ``seconds`` have passed: back to back, or
    paced so that together they send ``rate`` requests per second."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    async with httpx.AsyncClient(limits=limits, timeout=10) as client:

        async def worker(n: int) -> None:
            nonlocal errors
            raw = RawGet(url)  # one keep-alive connection per reader
            count = 0
            interval = workers / rate if rate else 0.0
            due = time.perf_counter() + n * interval / workers
            while time.perf_counter() < deadline:
                if rate:
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                    due += interval
                start = time.perf_counter()
                try:
                    response = await make_request(client, raw, url, n + count)
                    ok = response.status_code == 200
                except (httpx.HTTPError, OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                    raw = RawGet(url)
                latencies.append(time.perf_counter() - start)
                errors += not ok
                count += workers
            raw.close()

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(workers)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {"requests": len(latencies), "errors": errors, "seconds": elapsed, "lat": latencies}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and the processes under it so far (Linux: its
    workers, or PostgreSQL's backends); NaN elsewhere. Children that already exited count
    through their parent's cumulative fields."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    own = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime..cstime
    return own + sum(cpu_seconds(child) for child in children(pid))


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(p) for p in task.read_text().split()]
        except OSError:
            continue
    return found


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000


def report(label: str, r: dict, workers: int, server_cpu: float) -> None:
    rps = r["requests"] / r["seconds"]
    lat = r["lat"]
    print(
        f"{label}: {workers} concurrent clients, {r['seconds']:.1f} s: {r['requests']} requests, "
        f"{rps:.0f} req/s, p50 {pct(lat, 50):.1f} ms, p95 {pct(lat, 95):.1f} ms, "
        f"p99 {pct(lat, 99):.1f} ms, errors {r['errors']}; server CPU "
        f"{1000 * server_cpu / max(r['requests'], 1):.2f} ms per request "
        f"(≈{r['requests'] / server_cpu if server_cpu else float('nan'):.0f} req/s per core)"
    )


def measured(pids, url: str, workers: int, seconds: float, make_request, rate=None) -> tuple:
    """The load's result and the CPU seconds ``pids`` (a pid or several) spent meanwhile."""
    pids = [pids] if isinstance(pids, int) else pids
    before = sum(cpu_seconds(pid) for pid in pids)
    result = asyncio.run(load(url, workers, seconds, make_request, rate))
    return result, sum(cpu_seconds(pid) for pid in pids) - before


async def get_page(client: httpx.AsyncClient, raw: RawGet, url: str, i: int) -> RawGet:
    return await raw.get()


async def ask(client: httpx.AsyncClient, raw: RawGet, url: str, i: int) -> httpx.Response:
    return await client.post(url + "/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})


@contextmanager
def serving(location: list[str], store_at: Path | str, home: Path, workers: int) -> Iterator[tuple]:
    """A running `notes-app serve`, its token and one published meeting: (process, base, token,
    the share)."""
    store = SnapshotStore(store_at, clock=time.time)
    token = store.create_token(f"benchmark {time.time()}")
    store.close()
    port = free_port()
    server = start_server(location, home, port, workers)
    try:
        base = f"http://127.0.0.1:{port}"
        with ShareClient(base, token) as client:
            shared = client.publish(sample_snapshot(), ShareOptions(include_transcript=True))
        yield server, base, token, shared
    finally:
        server.terminate()
        server.wait(30)


def run_load(label: str, pids: list[int], url: str, args) -> dict[str, tuple]:
    """The three loads on one server, each printed as it ends; their figures."""
    print(f"--- {label}")
    asyncio.run(load(url, 4, 1.0, get_page))  # warm-up
    results = {}
    results["pages"] = measured(pids, url, args.readers, args.seconds, get_page)
    report("page readers, flat out", *results["pages"][:1], args.readers, results["pages"][1])
    results["paced"] = measured(pids, url, args.readers, args.seconds, get_page, args.rate)
    report(f"page readers at {args.rate:.0f} req/s", *results["paced"][:1], args.readers,
           results["paced"][1])  # fmt: skip
    results["asks"] = measured(pids, url, args.askers, args.ask_seconds, ask)
    report("questions", *results["asks"][:1], args.askers, results["asks"][1])
    return results


def side_by_side(columns: dict[str, dict[str, tuple]]) -> None:
    labels = list(columns)
    print("\n" + " " * 24 + "".join(f"{label:>34}" for label in labels))
    for key, name in (("pages", "pages, flat out"), ("paced", "pages, paced"),
                      ("asks", "questions")):  # fmt: skip
        cells, cpus = [], []
        for label in labels:
            r, cpu = columns[label][key]
            rps = r["requests"] / r["seconds"]
            cells.append(f"{rps:7.0f} req/s p95 {pct(r['lat'], 95):6.1f} ms err {r['errors']}")
            cpus.append(f"{1000 * cpu / max(r['requests'], 1):.2f} ms CPU per request")
        print(f"{name:24}" + "".join(f"{c:>34}" for c in cells))
        print(" " * 24 + "".join(f"{c:>34}" for c in cpus))


@contextmanager
def postgres_database(url: str) -> Iterator[tuple[str, list[int]]]:
    """The database to use and the PostgreSQL processes to count (only a throwaway cluster's)."""
    if url != "temporary":
        yield url, []
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from postgres import TempPostgres, bin_dir

    binaries = bin_dir()
    if binaries is None:
        raise SystemExit("No PostgreSQL binaries found: apt-get install postgresql.")
    cluster = TempPostgres(binaries, durable=True).start()
    try:
        yield cluster.create_database(), [cluster.process.pid]
    finally:
        cluster.stop()


def compare(args) -> None:
    """1 worker on SQLite beside --workers workers on PostgreSQL, the same load for each."""
    columns: dict[str, dict[str, tuple]] = {}
    print(f"{os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp, postgres_database(args.database) as (url, pg):
        data = Path(tmp) / "srv"
        configs = (
            ("SQLite, 1 worker", ["--data", str(data)], data, 1, []),
            (f"PostgreSQL, {args.workers} workers", ["--database", url], url, args.workers, pg),
        )
        for label, location, store_at, workers, extra in configs:
            home = Path(tmp) / f"home-{workers}"
            with serving(location, store_at, home, workers) as (server, base, token, shared):
                columns[label] = run_load(label, [server.pid, *extra], shared.url, args)
        side_by_side(columns)
        rate_limit_cost(data, "SQLite")
        rate_limit_cost(url, "PostgreSQL")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--rate", type=float, default=300, help="the paced run's requests/s")
    parser.add_argument("--ask-seconds", type=float, default=5)
    parser.add_argument("--askers", type=int, default=8)
    parser.add_argument("--large", type=int, default=12, help="largest-size shares to view")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="also run on this PostgreSQL database (postgresql://…, or 'temporary') and compare",
    )
    parser.add_argument("--workers", type=int, default=4, help="workers on PostgreSQL")
    args = parser.parse_args()
    if args.database:
        compare(args)
        return

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "srv"
        with serving(["--data", str(data)], data, Path(tmp) / "home", 1) as running:
            server, base, token, shared = running
            page = httpx.get(shared.url)
            print(f"page: {len(page.content) / 1024:.1f} KiB, {os.cpu_count()} CPUs")
            run_load("SQLite, 1 worker", [server.pid], shared.url, args)
            if args.large:
                large_shares(server.pid, base, token, args.large)
        rate_limit_cost(data, "SQLite")


if __name__ == "__main__":
    main()
