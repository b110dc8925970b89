"""Helpers shared by the command modules."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from notes_app.app import App
from notes_app.events import Event, Progress


def get_app(ctx: click.Context | None = None) -> App:
    """The App for this invocation, built once at the root and closed when the command ends."""
    ctx = ctx or click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = App.load()
        root.call_on_close(root.obj.close)
    return root.obj


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


@contextmanager
def progress_bar(label: str, total: float, *, unit: str = "s") -> Iterator[Callable[..., None]]:
    """A progress bar on stderr; yields ``update(done, total=None)`` for an ``on_progress``.

    Shown only on a terminal, so piped output and --json stay clean.
    """
    if not sys.stderr.isatty():
        yield lambda done, total=None: None
        return
    with click.progressbar(
        length=max(int(total), 1), label=label, file=sys.stderr, show_eta=True
    ) as bar:
        state = {"pos": 0}

        def update(done: float, total: float | None = None) -> None:
            if total:
                bar.length = max(int(total), 1)
            step = int(done) - state["pos"]
            if step > 0:
                bar.update(step)
                state["pos"] += step

        yield update


def progress_events(update: Callable[..., None]) -> Callable[[Event], None]:
    """An ``on_event`` moving a progress bar's ``update(done, total)`` on each Progress."""

    def on_event(event: Event) -> None:
        if isinstance(event, Progress):
            update(event.done, event.total)

    return on_event
