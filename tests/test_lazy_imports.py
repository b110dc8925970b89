"""Start-up stays light: importing the command line and the window does not import ``openai``.

``openai`` takes a good part of a second to import; it is loaded only when an LLM is used.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


def modules_after(*names: str) -> set[str]:
    code = "import sys\n" + "".join(f"import {n}\n" for n in names) + "print(*sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(out.stdout.split())


def test_the_cli_and_the_window_start_without_openai():
    pytest.importorskip("PySide6")
    loaded = modules_after("notes_app.cli", "notes_app.gui.main_window", "notes_app.gui.app")
    assert "notes_app.cli.enhance" in loaded  # the LLM commands are there, just not openai
    assert "openai" not in loaded


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
