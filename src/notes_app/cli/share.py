"""Share links: `serve` runs a share server; `share`, `shares` and `unshare` use one."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import click

from notes_app.cli.common import get_app, json_option, print_json
from notes_app.clock import now_iso
from notes_app.errors import ShareError
from notes_app.share.model import DEFAULT_EXPIRES, ShareOptions, parse_expiry
from notes_app.share.server import Limits, allowed_hosts, is_loopback
from notes_app.share.snapshots import SnapshotStore, is_database_url, redact
from notes_app.store.shares import ShareRecord

if TYPE_CHECKING:
    import uvicorn

DATABASE_ENV = "NOTES_APP_SHARE_DATABASE"


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8765, show_default=True)
@click.option(
    "--public-url",
    metavar="URL",
    help="The address recipients open, e.g. https://notes.example.com (default: this request's).",
)
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the server's own SQLite database (default: share-server/ in the data folder).",
)
@click.option(
    "--database",
    metavar="URL",
    envvar=DATABASE_ENV,
    help=f"A PostgreSQL database instead of the SQLite file: postgresql://USER@HOST/DATABASE "
    f"(or set {DATABASE_ENV}, which keeps a password out of the process list).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Server processes answering at once; they share the database, its limits and jobs.",
)
@click.option(
    "--create-token",
    "token_name",
    metavar="NAME",
    help="Create an API token for a publisher, print it, and exit.",
)
@click.option(
    "--expires",
    "token_expires",
    metavar="WHEN",
    help="With --create-token: the token stops working after this long (90d, 12h; default never).",
)
@click.option("--list-tokens", is_flag=True, help="List the API tokens and exit.")
@click.option(
    "--revoke-token",
    "revoke_name",
    metavar="NAME",
    help="Revoke the API token(s) called NAME and exit: they can no longer publish or revoke.",
)
@click.option(
    "--revoke-links",
    is_flag=True,
    help="With --revoke-token: also take down every live link those tokens published.",
)
@click.option(
    "--trusted-proxy",
    metavar="IP",
    help="A reverse proxy in front of this server whose X-Forwarded-For is believed.",
)
@click.option(
    "--asks-per-minute",
    type=click.IntRange(1, 100_000),
    default=Limits.asks_per_client,
    show_default=True,
    help="Questions one client may ask about one link per minute (over all links: 3 times that).",
)
def serve_cmd(
    host: str,
    port: int,
    public_url: str | None,
    data: Path | None,
    database: str | None,
    workers: int,
    token_name: str | None,
    token_expires: str | None,
    list_tokens: bool,
    revoke_name: str | None,
    revoke_links: bool,
    trusted_proxy: str | None,
    asks_per_minute: int,
) -> None:
    """Serve share links: the publish API and the recipients' pages."""
    # Imported here: the HTTP client stack takes a good part of a second to import, and every
    # other command would pay for it (the command line loads every area to find one).
    from notes_app.share.hosting import ENV_VAR, FACTORY, HostConfig
    from notes_app.share.local import local_dir

    if data is not None and _from_environment("database"):
        database = None  # --data on the command line wins over NOTES_APP_SHARE_DATABASE
    location, shown_data = _location(data, database)
    if token_name is not None or list_tokens or revoke_name is not None:
        lifetime = _token_lifetime(token_expires)  # a typo fails before the store is opened
        store = SnapshotStore(location or local_dir(get_app().settings.home), clock=time.time)
        try:
            if token_name is not None:
                _create_token(store, token_name, lifetime)
            elif list_tokens:
                _list_tokens(store)
            else:
                _revoke_token(store, str(revoke_name), revoke_links)
        finally:
            store.close()
        return
    if not public_url and not is_loopback(host):
        raise ShareError(
            f"Listening on {host} needs the address recipients will open: add --public-url, "
            f"e.g. --public-url https://notes.example.com or http://THIS-MACHINE:{port}."
        )
    if location is None:
        location = str(local_dir(get_app().settings.home))
        shown_data = f"data in {location}"
    # Opened here once: the schema is migrated and what expired while stopped is purged before
    # any worker starts (and a wrong --database fails with one clear line).
    SnapshotStore(location, clock=time.time).close()
    _check_port(host, port)
    import uvicorn

    config = HostConfig(
        location, public_url, tuple(allowed_hosts(public_url, host)), asks_per_minute
    )
    os.environ[ENV_VAR] = config.to_env()  # each worker builds its app from it (hosting.py)
    shown = public_url or f"http://{host}:{port}"
    processes = f", {workers} workers" if workers > 1 else ""
    click.echo(f"Serving share links at {shown} ({shown_data}{processes}). Ctrl+C stops.", err=True)
    uvicorn_config = uvicorn.Config(
        FACTORY,
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        proxy_headers=bool(trusted_proxy),
        forwarded_allow_ips=trusted_proxy,
    )
    if workers == 1:
        server = uvicorn.Server(uvicorn_config)
        server.run()
        if not server.started:
            raise SystemExit(3)  # uvicorn has said why (the app or its lifespan failed)
        return
    from uvicorn.supervisors import Multiprocess

    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(uvicorn_config, sockets=[listening_socket(uvicorn_config)]).run()


def listening_socket(config: uvicorn.Config) -> socket.socket:
    """The socket the workers share, marked TCP so each connection they accept gets
    TCP_NODELAY: uvicorn's own (``Config.bind_socket``) says protocol 0, asyncio then leaves
    Nagle's algorithm on, and every request after the first on a kept-alive connection waits
    some 40 ms for a delayed ACK (uvicorn issue #3149)."""
    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto != socket.IPPROTO_TCP:
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        sock.set_inheritable(True)
    return sock


def _from_environment(name: str) -> bool:
    source = click.get_current_context().get_parameter_source(name)
    return source is click.core.ParameterSource.ENVIRONMENT


def _location(data: Path | None, database: str | None) -> tuple[str | None, str]:
    """Where the store is (None: the default data folder) and how to say so."""
    if database is not None and data is not None:
        raise ShareError(
            "Give either --data DIR (a SQLite file) or --database postgresql://…, not both."
        )
    if database is not None:
        if not is_database_url(database):
            raise ShareError(
                f"--database takes a PostgreSQL URL like postgresql://USER@HOST/DATABASE, not "
                f"{redact(database)!r}; for a SQLite file use --data DIR."
            )
        return database, f"database {redact(database)}"
    if data is not None:
        return str(data), f"data in {data}"
    return None, ""


def _token_lifetime(text: str | None) -> float | None:
    if text is None or text.strip().lower() == "never":
        return None
    try:
        return parse_expiry(text)
    except ShareError:
        raise ShareError(
            f"Cannot read the token expiry {text!r}: use days or hours like 90d or 12h, or never."
        ) from None


def _create_token(store: SnapshotStore, name: str, lifetime: float | None) -> None:
    token = store.create_token(name, lifetime=lifetime)
    until = "" if lifetime is None else f", expires {_day(time.time() + lifetime)}"
    click.echo(f"API token {name!r} created{until}; it is shown only now. Token: {token}")


def _list_tokens(store: SnapshotStore) -> None:
    tokens = store.list_tokens()
    if not tokens:
        click.echo("No API tokens yet. Create one with `notes-app serve --create-token NAME`.")
        return
    now = time.time()
    click.echo(f"{'NAME':20} {'CREATED':10}  {'STATUS':26} LINKS")
    for t in tokens:
        status = t.status(now)
        if status == "active" and t.expires_at is not None:
            status = f"active, expires {_day(t.expires_at)}"
        elif status == "revoked":
            status = f"revoked {_day(t.revoked_at or now)}"
        links = f"{t.live_shares} live link{'s' if t.live_shares != 1 else ''}"
        click.echo(f"{t.name:20} {_day(t.created_at):10}  {status:26} {links}")


def _revoke_token(store: SnapshotStore, name: str, with_links: bool) -> None:
    live = sum(t.live_shares for t in store.list_tokens() if t.name == name and not t.revoked_at)
    tokens, links = store.revoke_token(name, with_links=with_links)
    if not tokens:
        raise ShareError(
            f"No active API token is called {name!r}. See them with `notes-app serve "
            "--list-tokens`."
        )
    click.echo(f"Revoked API token {name!r}: it can no longer publish, list or revoke.")
    plural = "s" if (links or live) != 1 else ""
    if with_links:
        click.echo(f"Took down its {links} live link{plural}.")
    elif live:
        click.echo(
            f"Its {live} live link{plural} stay up until they expire; add --revoke-links "
            "to take them down now."
        )


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d")


def _check_port(host: str, port: int) -> None:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError as e:
            raise ShareError(
                f"Cannot listen on {host}:{port} ({e.strerror}). Pick another with --port."
            ) from None


@click.command("share")
@click.argument("meeting_id", type=int)
@click.option("--transcript", is_flag=True, help="Also share the transcript behind citations.")
@click.option(
    "--expires", default=DEFAULT_EXPIRES, show_default=True, help="7d, 30d, 12h, or never."
)
@click.option("--no-questions", is_flag=True, help="No 'Ask about this meeting' box.")
@json_option
def share_cmd(
    meeting_id: int, transcript: bool, expires: str, no_questions: bool, as_json: bool
) -> None:
    """Publish a meeting's latest enhanced notes as a private link and print it."""
    app = get_app()
    options = ShareOptions(
        include_transcript=transcript, expires=expires, allow_questions=not no_questions
    )
    record = app.share(meeting_id, options)
    if as_json:
        print_json(record.to_dict())
        return
    click.echo(record.url)
    expiry = f"expires {record.expires_at}" if record.expires_at else "never expires"
    extras = [expiry, "with transcript" if transcript else "notes only"]
    extras.append("questions off" if no_questions else "recipients can ask questions")
    click.echo(f"Shared {record.title!r}: {', '.join(extras)}.", err=True)
    click.echo(f"Revoke it any time with `notes-app unshare {record.id}`.", err=True)
    if record.local:
        click.echo(
            "This link works only on this computer: no share server is set, so the app serves "
            "it on 127.0.0.1. To share with others, set `share.server_url` and `share.token`, "
            f"or send a file: `notes-app export {meeting_id} --format html -o notes.html`.",
            err=True,
        )


@click.command("shares")
@click.option("--meeting", "meeting_id", type=int, help="Only links to this meeting.")
@json_option
def shares_cmd(meeting_id: int | None, as_json: bool) -> None:
    """List the share links you published."""
    app = get_app()
    records = app.shares(meeting_id)
    if as_json:
        print_json({"shares": [r.to_dict() for r in records]})
        return
    if not records:
        click.echo("No share links yet. Publish one with `notes-app share MEETING_ID`.")
        return
    now = now_iso()
    for r in records:
        click.echo(_record_line(r, now))


def _record_line(r: ShareRecord, now: str) -> str:
    status = r.status(now)
    if status == "active":
        status = f"expires {r.expires_at[:10]}" if r.expires_at else "never expires"
    where = "  (this computer only)" if r.local else ""
    meeting = f"meeting {r.meeting_id}" if r.meeting_id is not None else "deleted meeting"
    return f"{r.id}  {meeting}: {r.title}\n    {r.url}  [{status}]{where}"


@click.command("unshare")
@click.argument("share_id")
def unshare_cmd(share_id: str) -> None:
    """Revoke a share link at once: it answers 404 from now on."""
    app = get_app()
    record, found = app.unshare(share_id)
    if found:
        click.echo(f"Revoked {record.url}")
    else:
        click.echo(
            f"The server no longer served {record.url} (expired or already revoked); "
            "it is marked revoked."
        )


COMMANDS = [serve_cmd, share_cmd, shares_cmd, unshare_cmd]
