"""Commands about the language model: `doctor` (is the endpoint usable?) and `templates`."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

import click

from notes_app.cli.common import get_app, json_option, print_json
from notes_app.domain import Block, EnhancedNotes
from notes_app.enhance.enhancer import llm_configured
from notes_app.enhance.llm import LLMClient
from notes_app.enhance.templates import list_templates
from notes_app.errors import LLMError, NotesAppError
from notes_app.events import BlockWritten, Event, Progress
from notes_app.logs import log_file
from notes_app.store.repair import check_database


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str  # what was found, or what to do about it

    def to_dict(self) -> dict[str, object]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail}


def _data_checks(settings) -> list[Check]:
    home = settings.home
    writable = home.is_dir() and os.access(home, os.W_OK)
    folder = Check(
        "data folder",
        writable or not home.exists(),
        f"{home}"
        if writable
        else (
            f"{home} (created on first use)"
            if not home.exists()
            else f"{home} is not writable: fix its permissions or set NOTES_APP_HOME"
        ),
    )
    whisper = Check(
        "whisper model",
        True,
        f"{settings.transcribe.model} (change with `notes-app config set transcribe.model NAME`)",
    )
    health = check_database(settings.db_path)
    database = Check("database", health.ok, health.advice(settings.db_path))
    return [folder, database, whisper, Check("log file", True, str(log_file(home)))]


def _llm_checks(llm_settings, client: LLMClient | None = None, home=None) -> list[Check]:
    """Reachable, model listed, answers a tiny prompt, gives JSON; stop at the first failure."""
    endpoint = llm_settings.base_url
    try:
        llm = client or LLMClient.from_settings(llm_settings, home=home)
    except LLMError as e:
        return [Check("llm settings", False, str(e))]
    checks = []
    try:
        models = llm.list_models()
        checks.append(Check("endpoint reachable", True, f"{endpoint} ({len(models)} models)"))
        if llm.model not in models:
            shown = ", ".join(models[:20]) or "none"
            checks.append(
                Check(
                    "model exists",
                    False,
                    f"{llm.model!r} is not among the "
                    f"models the server has ({shown}). Choose one with "
                    "`notes-app config set llm.model NAME`.",
                )
            )
            return checks
        checks.append(Check("model exists", True, llm.model))
    except LLMError as e:
        if "no model list" not in str(e):
            return [*checks, Check("endpoint reachable", False, str(e))]
        # Some servers have no /models; the tiny prompt below still tells whether all is well.
        checks.append(Check("model list", True, "the server does not list models; skipped"))
    try:
        reply = llm.chat(
            [{"role": "user", "content": "Reply with the single word OK."}],
            max_tokens=8,
            temperature=0,
        )
        checks.append(Check("model answers", True, repr(reply.text.strip()[:40])))
    except LLMError as e:
        checks.append(Check("model answers", False, str(e)))
        return checks
    checks.append(_json_check(llm))
    return checks


_FORMAT_NAMES = {
    "json_schema": "a JSON schema",
    "json_object": "JSON mode (the server turned down a JSON schema)",
    "text": "plain text with JSON asked for in the prompt (the server has no JSON mode)",
}


def _json_check(llm: LLMClient) -> Check:
    """One small JSON request, to learn (and remember) which structured output the server takes."""
    schema = {
        "type": "object",
        "properties": {"ok": {"type": "boolean"}},
        "required": ["ok"],
    }
    try:
        llm.chat_json(
            [
                {
                    "role": "user",
                    "content": 'Reply with the JSON object {"ok": true} and nothing else.',
                }
            ],
            schema=schema,
            max_tokens=16,
        )
    except LLMError as e:
        return Check("structured output", False, str(e))
    return Check("structured output", True, _FORMAT_NAMES[llm.accepted_format])


def _local_check(settings) -> tuple[Check, list]:
    """Model servers running on this computer, with the commands that would use one."""
    from notes_app.enhance import local_llm

    servers = local_llm.find_local_servers()
    if not servers:
        return (
            Check(
                "local model server",
                True,
                "none running on this computer. For a private local model: install Ollama "
                "(https://ollama.com), run `ollama serve`, then `notes-app doctor --pull`.",
            ),
            servers,
        )
    return Check("local model server", True, "; ".join(s.describe() for s in servers)), servers


def _advice(settings, servers: list) -> list[str]:
    """What to type to use a server found on this computer (none when it is already in use)."""
    from notes_app.enhance import local_llm

    lines: list[str] = []
    for server in servers:
        if settings.llm.base_url.rstrip("/") == server.base_url and (
            settings.llm.model in server.models
        ):
            return []  # configured and present: nothing to suggest
    for server in servers[:1]:
        if server.chat_models:
            lines.append(f"To use {server.name} at {server.base_url}:")
            lines += [f"  {c}" for c in server.config_lines(server.suggested_model())]
        elif server.kind == "ollama":
            lines.append(
                f"{server.name} has no chat model yet. Fetch the recommended one "
                f"({local_llm.RECOMMENDED_MODEL}, {local_llm.RECOMMENDED_SIZE}) with "
                "`notes-app doctor --pull`, then:"
            )
            lines += [f"  {c}" for c in server.config_lines(local_llm.RECOMMENDED_MODEL)]
    return lines


def _pull(model: str) -> None:
    """Fetch ``model`` through the Ollama on this computer, with a progress line."""
    from notes_app.enhance import local_llm

    ollama = [s for s in local_llm.find_local_servers() if s.kind == "ollama"]
    if not ollama:
        raise LLMError(
            "No Ollama is running on this computer, so there is nothing to pull a model into. "
            "Install it from https://ollama.com and run `ollama serve`, then try again."
        )
    server = ollama[0]
    click.echo(f"Pulling {model} into {server.name} at {server.root}…", err=True)
    shown = [""]

    def show(p) -> None:
        text = p.status
        if p.fraction is not None:
            text += f" {p.fraction:4.0%} of {p.total / 1e6:,.0f} MB"
        if text != shown[0]:
            shown[0] = text
            click.echo(f"  {text}", err=True)

    local_llm.pull_model(server, model, on_progress=show)
    click.echo(f"Pulled {model}. To use it:", err=True)
    for line in server.config_lines(model):
        click.echo(f"  {line}")


@click.command("doctor")
@json_option
@click.option(
    "--pull",
    "pull",
    is_flag=False,
    flag_value="recommended",
    default=None,
    metavar="[MODEL]",
    help="Fetch a model into the Ollama on this computer (default: a small recommended one).",
)
def doctor_cmd(as_json: bool, pull: str | None) -> None:
    """Check the setup: data folder, Whisper model, the LLM endpoint if one is configured, and
    model servers running on this computer."""
    settings = get_app().settings
    if pull:
        from notes_app.enhance.local_llm import RECOMMENDED_MODEL

        _pull(RECOMMENDED_MODEL if pull == "recommended" else pull)
    results = _data_checks(settings)
    local, servers = _local_check(settings)
    results.append(local)
    configured = llm_configured(settings.llm)
    if configured or settings.llm.base_url or settings.llm.model:
        results += _llm_checks(settings.llm, home=settings.home)
    failed = [c for c in results if not c.ok]
    advice = _advice(settings, servers) if (failed or not configured) else []
    if as_json:
        print_json(
            {
                "llm_configured": configured,
                "checks": [c.to_dict() for c in results],
                "local_servers": [s.to_dict() for s in servers],
                "advice": advice,
                "ok": not failed,
            }
        )
    else:
        for c in results:
            mark = click.style("ok  ", fg="green") if c.ok else click.style("FAIL", fg="red")
            click.echo(f"{mark} {c.name}: {c.detail}")
        if not configured and not failed:
            example = (
                ""
                if advice
                else " To use one, e.g. Ollama: "
                "`notes-app config set llm.base_url http://localhost:11434/v1` and "
                "`notes-app config set llm.model llama3.1`."
            )
            click.echo(f"No LLM configured: enhancement runs offline.{example}")
        for line in advice:
            click.echo(line)
    if failed:
        raise NotesAppError(f"{len(failed)} check(s) failed: {failed[0].name}. See above.")


@click.command("templates")
@json_option
def templates_cmd(as_json: bool) -> None:
    """List note templates (use one with `notes-app enhance ID --template NAME`)."""
    folder = get_app().settings.templates_dir
    templates = list_templates(folder)
    if as_json:
        print_json(
            {
                "templates": [
                    {
                        "name": t.name,
                        "title": t.title,
                        "description": t.description,
                        "sections": list(t.sections),
                        "builtin": t.builtin,
                    }
                    for t in templates
                ],
                "folder": str(folder),
            }
        )
        return
    width = max(len(t.name) for t in templates)
    for t in templates:
        mine = "" if t.builtin else " (yours)"
        click.echo(f"{t.name:<{width}}  {t.title}{mine}: {t.description}")
    click.echo(f"\nAdd your own as Markdown files in {folder}.", err=True)


# --- what `notes-app enhance` uses to pick and run an engine ------------------------------------


def enhance_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--llm / --offline / --template / --fallback for a command that enhances notes."""
    options = [
        click.option("--llm", "mode", flag_value="llm", help="Use the configured LLM endpoint."),
        click.option(
            "--offline", "mode", flag_value="offline", help="Use the offline enhancer (no LLM)."
        ),
        click.option("--template", help="Note template, e.g. one-on-one (`notes-app templates`)."),
        click.option(
            "--fallback",
            type=click.Choice(["offline"]),
            help="If the LLM fails, produce offline notes instead of stopping with an error.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def fallback_notice(notes: EnhancedNotes) -> str | None:
    """The line telling the user an LLM failure was replaced by offline notes, if it was, or
    how many of the model's lines kept the offline text."""
    if notes.mode == "offline" and (notes.model or "").startswith("offline (LLM failed"):
        return f"The LLM failed, so these are offline notes: {notes.model[len('offline (') : -1]}."
    return notes.notice


class StreamPreview:
    """Shows blocks as the model writes them, then erases them on a terminal so the checked
    notes printed afterwards replace the preview instead of repeating it."""

    def __init__(self, out: IO[str] | None = None):
        self.out = out or sys.stderr
        self.rows = 0  # terminal rows written, wrapped lines included, for erase()

    def __call__(self, block: Block) -> None:
        marker = "- " if block.type == "bullet" else "# " if block.type == "heading" else ""
        indent = "  " if block.source == "ai" and block.note_line is not None else ""
        self._line(f"{indent}{marker}{block.text}", dim=block.source == "ai")

    def progress(self, done: int, total: int | None = None) -> None:
        """Long meetings go in parts; say which one is being written."""
        if total and total > 1 and done < total:
            self._line(f"Enhancing part {done + 1} of {total}…", dim=True)

    def on_event(self, event: Event) -> None:
        if isinstance(event, BlockWritten):
            self(event.block)
        elif isinstance(event, Progress):
            self.progress(int(event.done), int(event.total) if event.total else None)

    def _line(self, text: str, *, dim: bool) -> None:
        click.echo(click.style(text, dim=dim), file=self.out)  # styles only on a terminal
        width = max(shutil.get_terminal_size().columns, 1)
        self.rows += max(1, -(-len(text) // width))

    def erase(self) -> None:
        if self.rows and self.out.isatty():
            self.out.write(f"\x1b[{self.rows}F\x1b[J")  # up to the first row, clear below
            self.out.flush()
        self.rows = 0


COMMANDS = [doctor_cmd, templates_cmd]
