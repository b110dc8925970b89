"""Share links: `serve` runs a share server; `share`, `shares` and `unshare` use one."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import click

from notes_app.cli.common import get_app, json_option, print_json
from notes_app.clock import now_iso
from notes_app.errors import ShareError
from notes_app.share.answer import answerer_for
from notes_app.share.local import local_dir
from notes_app.share.model import DEFAULT_EXPIRES, ShareOptions
from notes_app.share.server import Limits, create_app
from notes_app.share.snapshots import SnapshotStore
from notes_app.store.shares import ShareRecord


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
    help="Folder for the server's own database (default: share-server/ in the data folder).",
)
@click.option(
    "--create-token",
    "token_name",
    metavar="NAME",
    help="Create an API token for a publisher, print it, and exit.",
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
    help="Questions one client may ask per minute (one link: six times that, for everyone).",
)
def serve_cmd(
    host: str,
    port: int,
    public_url: str | None,
    data: Path | None,
    token_name: str | None,
    trusted_proxy: str | None,
    asks_per_minute: int,
) -> None:
    """Serve share links: the publish API and the recipients' pages."""
    app = get_app()
    data = data or local_dir(app.settings.home)
    store = SnapshotStore(data, clock=time.time)
    if token_name is not None:
        token = store.create_token(token_name)
        store.close()
        click.echo(f"API token {token_name!r} created; it is shown only now. Token: {token}")
        return
    _check_port(host, port)
    import uvicorn

    limits = Limits(asks_per_client=asks_per_minute, asks_per_share=6 * asks_per_minute)
    answerer = answerer_for(app.settings.llm)
    asgi = create_app(store, public_url=public_url, answerer=answerer, limits=limits)
    shown = public_url or f"http://{host}:{port}"
    click.echo(f"Serving share links at {shown} (data in {data}). Ctrl+C stops.", err=True)
    uvicorn.run(
        asgi,
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        proxy_headers=bool(trusted_proxy),
        forwarded_allow_ips=trusted_proxy,
    )


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
