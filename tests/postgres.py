"""A real PostgreSQL server for the tests (and benchmarks): Debian's ``postgresql`` binaries,
``initdb`` into a temporary folder, listening on a Unix socket in that folder and nowhere else.

PostgreSQL refuses to run as root, so under root the server runs as the ``postgres`` system
user the Debian package creates (else ``nobody``), in a folder that user owns. One server per
test session (``postgres_server``); each test gets a database of its own (``postgres_url``).
Tests skip, saying why, only when the binaries are not installed.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

MISSING = (
    "PostgreSQL is not installed (no initdb/postgres binaries found): "
    "`apt-get install postgresql` runs these tests against it too"
)
USER = "notes"  # the database superuser initdb creates


def bin_dir() -> Path | None:
    """Where initdb and postgres are: on the PATH, or Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return Path(found).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    return Path(versions[-1]).parent if versions else None


def _run_as() -> pwd.struct_passwd | None:
    """The account the server runs as: ours, unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("Running as root with neither a postgres nor a nobody account.")


def _reachable_temp_root() -> str:
    """A temporary folder another account can reach (root's may be 0700)."""
    for root in (tempfile.gettempdir(), "/var/tmp", "/dev/shm"):
        path = Path(root).resolve()
        if all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents)):
            return str(path)
    raise RuntimeError("No temporary folder the postgres account can reach.")


class TempPostgres:
    """A throwaway PostgreSQL cluster. ``durable=False`` (tests) skips fsync for speed."""

    def __init__(self, binaries: Path, *, durable: bool = False):
        self.bin = binaries
        self.durable = durable
        self.account = _run_as()
        root = _reachable_temp_root() if self.account else None
        self.folder = Path(tempfile.mkdtemp(prefix="notes-app-pg-", dir=root))
        self.socket_dir = self.folder  # short: a socket path must fit in 107 bytes
        self.process: subprocess.Popen | None = None
        self._names = itertools.count(1)

    def _as_owner(self) -> dict:
        kwargs: dict = {"cwd": self.folder}
        if self.account is not None:
            kwargs.update(user=self.account.pw_uid, group=self.account.pw_gid, extra_groups=[])
        return kwargs

    def start(self) -> TempPostgres:
        if self.account is not None:
            os.chown(self.folder, self.account.pw_uid, self.account.pw_gid)
        subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.folder / "data"), "-A", "trust", "-U", USER,
             "-E", "UTF8", "--no-locale", "--no-instructions",
             *([] if self.durable else ["--no-sync"])],
            check=True, capture_output=True, **self._as_owner(),
        )  # fmt: skip
        return self.resume()

    def resume(self) -> TempPostgres:
        """Start the server on the cluster made by ``start`` (again, after ``halt``)."""
        data = self.folder / "data"
        settings = ["listen_addresses=", f"unix_socket_directories={self.socket_dir}"]
        settings += ["max_connections=200", "log_min_messages=warning"]
        if not self.durable:
            settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
        command = [str(self.bin / "postgres"), "-D", str(data)]
        for setting in settings:
            command += ["-c", setting]
        log = open(self.folder / "server.log", "wb")  # noqa: SIM115 - the server's, closed by it
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, **self._as_owner()
        )
        log.close()
        self._wait_until_up()
        return self

    def _wait_until_up(self, seconds: float = 30) -> None:
        import psycopg

        deadline = time.monotonic() + seconds
        while True:
            try:
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                assert self.process is not None
                if self.process.poll() is not None or time.monotonic() > deadline:
                    log = (self.folder / "server.log").read_text(errors="replace")
                    raise RuntimeError(f"PostgreSQL did not start: {log[-1000:]}") from None
                time.sleep(0.05)

    def url(self, database: str) -> str:
        return f"postgresql:///{database}?host={self.socket_dir}&user={USER}"

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg

        name = f"test_{next(self._names)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def pids(self) -> list[int]:
        """The server's processes (the postmaster and its children), for CPU accounting."""
        if self.process is None:
            return []
        found = [self.process.pid]
        for task in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            found += [int(pid) for pid in task.read_text().split()]
        return found

    def halt(self) -> None:
        """Stop the server and keep its data (``resume`` starts it again)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown: clients are let go
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    binaries = bin_dir()
    if binaries is None:
        pytest.skip(MISSING)
    server = TempPostgres(binaries).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh database on the session's PostgreSQL server."""
    return postgres_server.create_database()
