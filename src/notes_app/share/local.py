"""A share server on 127.0.0.1, run by the app itself when no share server is configured.

``notes-app share`` calls ``ensure_local_server``: it reuses the server while it answers and
proves it holds this app's token (another local user's program may have taken the port after
our server stopped: it gets nothing, and a server of ours starts on another port), else starts
``notes-app serve`` as a background process with its data under ``home/share-server``. Links it
makes work on this machine only. The API token is created once and kept in that folder (which
only this user can open); the port is remembered so earlier links keep working after a restart.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from notes_app.errors import ShareError
from notes_app.share.client import ShareClient
from notes_app.share.snapshots import SnapshotStore

LOCAL_DIR = "share-server"
DEFAULT_PORT = 8765
HOST = "127.0.0.1"
TOKEN_FILE = "local-token"
STATE_FILE = "server.json"
LOG_FILE = "server.log"


@dataclass(frozen=True)
class LocalServer:
    url: str
    token: str
    pid: int | None
    started: bool  # True if this call started it


def local_dir(home: Path) -> Path:
    return Path(home) / LOCAL_DIR


def ensure_local_server(
    home: Path, *, python: str = sys.executable, wait_seconds: float = 20.0
) -> LocalServer:
    """The running local server, started first if it is not answering."""
    data = local_dir(home)
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    data.chmod(0o700)  # made 0755 by earlier versions
    token = _local_token(data)
    state = _read_state(data)
    if state and is_share_server(_url(state["port"]), token):
        return LocalServer(_url(state["port"]), token, state.get("pid"), started=False)
    port = _pick_port(state.get("port") if state else None)
    pid = _spawn(data, port, python)
    _write_state(data, {"pid": pid, "port": port})
    _wait_until_up(data, _url(port), pid, token, wait_seconds)
    return LocalServer(_url(port), token, pid, started=True)


def stop_local_server(home: Path) -> bool:
    """Stop the local server if this app started one; True if one was stopped."""
    data = local_dir(home)
    state = _read_state(data)
    if not state or not state.get("pid"):
        return False
    (data / STATE_FILE).unlink(missing_ok=True)
    try:
        os.kill(int(state["pid"]), signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def is_share_server(url: str, token: str) -> bool:
    """Whether our share server answers at ``url``: it must prove it holds ``token``'s hash
    (nothing is sent to a program that cannot)."""
    try:
        with ShareClient(url, token, timeout=2.0) as client:
            client.verify()
    except ShareError:
        return False
    return True


def _url(port: int) -> str:
    return f"http://{HOST}:{int(port)}"


def _local_token(data: Path) -> str:
    path = data / TOKEN_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    store = SnapshotStore(data, clock=time.time)
    try:
        token = store.create_token("this computer")
    finally:
        store.close()
    # Created readable by this user only: the token lets anyone publish on this server.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token + "\n")
    return token


def _read_state(data: Path) -> dict | None:
    try:
        state = json.loads((data / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and isinstance(state.get("port"), int) else None


def _write_state(data: Path, state: dict) -> None:
    tmp = data / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, data / STATE_FILE)


def _pick_port(previous: int | None) -> int:
    """The port used before (links carry it), else the default, else any free one."""
    for port in (previous, DEFAULT_PORT):
        if port and _port_free(port):
            return port
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def _spawn(data: Path, port: int, python: str) -> int:
    cmd = [python, "-m", "notes_app", "serve", "--host", HOST, "--port", str(port)]
    cmd += ["--data", str(data)]
    log = open(data / LOG_FILE, "ab")  # noqa: SIM115 - handed to the child, which outlives us
    try:
        process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # keeps serving after this command exits
        )
    except OSError as e:
        raise ShareError(f"Could not start the local share server ({e.strerror}).") from None
    finally:
        log.close()
    return process.pid


def _wait_until_up(data: Path, url: str, pid: int, token: str, wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if is_share_server(url, token):
            return
        if not _alive(pid):
            break
        time.sleep(0.2)
    tail = _log_tail(data / LOG_FILE)
    raise ShareError(
        f"The local share server did not start at {url}. Its log ({data / LOG_FILE}) ends: {tail}"
    )


def _alive(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)  # reaps it if it was our child and has exited
        return finished == 0
    except ChildProcessError:
        return True  # not our child: assume alive and let the deadline decide
    except OSError:
        return False


def _log_tail(path: Path, lines: int = 3) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:]) or "(empty)"
