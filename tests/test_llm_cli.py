"""`notes-app enhance --llm/--offline/--template/--fallback`, `doctor` and `templates` against a
real HTTP server on 127.0.0.1; the API key never shows in any output."""

from __future__ import annotations

import io
import json
import os
import socket

import pytest
from click.testing import CliRunner
from llm_fixtures import GOOD_LINES, NOTES, SEGMENTS, items_reply
from llm_server import Reply, ScriptedLLMServer, llm_server  # noqa: F401

from notes_app.cli import main
from notes_app.cli.llm import StreamPreview
from notes_app.config import save_setting
from notes_app.domain import Block

KEY = "sk-test-SECRET-1234"


@pytest.fixture
def configured(llm_server, monkeypatch, notes_home):  # noqa: F811
    """The LLM configured through the environment, as a user of a hosted endpoint would;
    no retries, so failure tests do not wait out the back-off."""
    save_setting(notes_home, "llm.max_retries", "0")
    monkeypatch.setenv("NOTES_APP_LLM_BASE_URL", llm_server.base_url)
    monkeypatch.setenv("NOTES_APP_LLM_MODEL", "test-model")
    monkeypatch.setenv("NOTES_APP_LLM_API_KEY", KEY)
    return llm_server


def cli(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert KEY not in result.output and KEY not in result.stderr
    return result


def stored_meeting(repo) -> int:
    return repo.create_meeting("Acme renewal", notes=NOTES, segments=SEGMENTS, attendees=("Priya",))


def test_enhance_uses_the_configured_llm_and_stores_a_version(configured, repo):
    mid = stored_meeting(repo)
    configured.queue(items_reply(GOOD_LINES))
    result = cli("enhance", str(mid), "--json")

    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["mode"] == "llm" and data["model"] == "test-model" and data["version"] == 1
    assert data["template"] == "general"
    stored = repo.get_enhanced(mid)
    assert stored.mode == "llm" and len(stored.blocks) == len(data["blocks"])
    assert [b.text for b in stored.blocks if b.source == "user"] == [
        "Pricing",
        "annual discount",
        "launch timing",
    ]
    assert all(b.citations for b in stored.blocks if b.source == "ai")
    prompt = configured.chat_requests[0].prompt
    assert "Meeting: Acme renewal" in prompt and "Attendees: Priya" in prompt


def test_enhance_text_output_says_it_was_the_llm(configured, repo):
    mid = stored_meeting(repo)
    configured.queue(items_reply(GOOD_LINES))
    result = cli("enhance", str(mid), "--template", "standup")
    assert result.exit_code == 0, result.stderr
    assert "LLM test-model" in result.stdout and "annual discount" in result.stdout
    assert "Blockers" in configured.chat_requests[0].prompt
    assert repo.get_enhanced(mid).template == "standup"


def test_offline_flag_skips_the_configured_llm(configured, repo):
    mid = stored_meeting(repo)
    result = cli("enhance", str(mid), "--offline", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["mode"] == "offline"
    assert configured.chat_requests == []


def test_llm_flag_without_an_endpoint_says_how_to_set_one(repo):
    mid = stored_meeting(repo)
    result = cli("enhance", str(mid), "--llm")
    assert result.exit_code == 1
    assert "notes-app config set llm.base_url" in result.stderr
    assert repo.list_enhanced(mid) == []


@pytest.mark.parametrize(
    "reply",
    [Reply.error(500, f"upstream failed for key {KEY}"), Reply.error(404, "no such model")],
)
def test_a_failure_stores_nothing_and_leaves_notes_and_transcript(configured, repo, reply):
    mid = stored_meeting(repo)
    configured.queue(reply, reply, reply, reply)
    result = cli("enhance", str(mid))

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and configured.base_url in result.stderr
    assert repo.list_enhanced(mid) == []
    assert repo.get_meeting(mid).notes == NOTES
    assert repo.get_transcript(mid).segments == SEGMENTS


def test_lines_that_fail_the_checks_keep_the_offline_text_and_the_cli_says_so(configured, repo):
    mid = stored_meeting(repo)
    lines = ["Them offered 40 percent.", *GOOD_LINES[1:]]
    configured.queue(*(items_reply([line]) for line in lines))  # one note per request
    result = cli("enhance", str(mid), "--json")

    assert result.exit_code == 0, result.stderr
    assert "1 of 3 AI lines kept the offline text" in result.stderr
    assert json.loads(result.stdout)["mode"] == "llm"
    assert "40 percent" not in result.stdout


def test_fallback_offline_stores_offline_notes_and_says_so(configured, repo):
    mid = stored_meeting(repo)
    configured.queue(*[Reply.error(500)] * 4)
    result = cli("enhance", str(mid), "--fallback", "offline", "--json")

    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["mode"] == "offline" and data["model"].startswith("offline (LLM failed")
    assert "The LLM failed, so these are offline notes" in result.stderr
    assert repo.get_enhanced(mid).mode == "offline"


# --- doctor ---


def test_doctor_without_an_llm_says_enhancement_runs_offline():
    result = cli("doctor")
    assert result.exit_code == 0
    assert "No LLM configured: enhancement runs offline" in result.output
    assert "whisper model" in result.output and "data folder" in result.output


def test_doctor_with_a_working_endpoint(configured):
    configured.queue(Reply.text("OK"))
    result = cli("doctor", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] and data["llm_configured"]
    names = [c["check"] for c in data["checks"]]
    assert names[-4:] == [
        "endpoint reachable",
        "model exists",
        "model answers",
        "structured output",
    ]
    assert configured.chat_requests[0].prompt == "Reply with the single word OK."


def test_doctor_names_the_models_when_the_model_is_unknown(configured, monkeypatch):
    configured.models = ["llama3.1", "qwen2.5"]
    result = cli("doctor")
    assert result.exit_code == 1
    assert "FAIL model exists" in result.output and "llama3.1, qwen2.5" in result.output
    assert "notes-app config set llm.model" in result.output


def test_doctor_when_the_server_is_down(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("NOTES_APP_LLM_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("NOTES_APP_LLM_MODEL", "m")
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    result = cli("doctor")
    assert result.exit_code == 1
    assert "FAIL endpoint reachable" in result.output and "ollama serve" in result.output


def test_doctor_with_a_wrong_key(monkeypatch):
    with ScriptedLLMServer(api_key="the-right-key") as server:
        monkeypatch.setenv("NOTES_APP_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("NOTES_APP_LLM_MODEL", "test-model")
        monkeypatch.setenv("NOTES_APP_LLM_API_KEY", KEY)
        result = cli("doctor")
    assert result.exit_code == 1
    assert "401" in result.output and "notes-app config set llm.api_key" in result.output
    assert "the-right-key" not in result.output


# --- templates ---


def test_templates_lists_builtins_and_the_users_own(notes_home):
    folder = notes_home / "templates"
    folder.mkdir()
    (folder / "board.md").write_text("# Board meeting\nFor board meetings.\n", encoding="utf-8")
    result = cli("templates", "--json")
    assert result.exit_code == 0
    names = {t["name"]: t for t in json.loads(result.stdout)["templates"]}
    assert {
        "general",
        "one-on-one",
        "standup",
        "sales-call",
        "interview",
        "project-sync",
        "board",
    } <= set(names)
    assert names["board"]["builtin"] is False and names["sales-call"]["sections"]
    text = cli("templates").output
    assert "board" in text and "(yours)" in text


# --- the streamed preview ---


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_stream_preview_shows_blocks_then_erases_them_on_a_terminal():
    out = _Terminal()
    preview = StreamPreview(out)
    preview(Block("heading", "Pricing", "user", 1))
    preview(Block("bullet", "15% discount", "ai", 1))
    assert "Pricing" in out.getvalue() and "15% discount" in out.getvalue()
    preview.erase()
    assert out.getvalue().endswith("\x1b[2F\x1b[J")


def test_stream_preview_leaves_plain_output_alone():
    out = io.StringIO()
    preview = StreamPreview(out)
    preview(Block("bullet", "a line", "user", 1))
    preview.erase()
    assert "\x1b[" not in out.getvalue()


def test_no_llm_variables_leak_from_the_environment():
    assert "NOTES_APP_LLM_BASE_URL" not in os.environ
