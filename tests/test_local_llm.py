"""Finding a model server on this computer, pulling a model through Ollama, and what `doctor`
says about both, against real HTTP servers on 127.0.0.1 (a scripted Ollama API and a scripted
OpenAI-compatible server)."""

from __future__ import annotations

import json
import socket
import time

import pytest
from click.testing import CliRunner
from llm_server import Reply, ScriptedLLMServer
from ollama_server import ScriptedOllama

from notes_app.cli import main
from notes_app.enhance import local_llm
from notes_app.enhance.local_llm import LocalServer, find_local_servers, pull_model
from notes_app.errors import LLMError


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def silent_port():
    """A port that accepts connections and never answers (a hung process)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    yield s.getsockname()[1]
    s.close()


def port_of(server: ScriptedLLMServer) -> int:
    return int(server.base_url.split(":")[2].split("/")[0])


@pytest.fixture
def only_these_ports(monkeypatch):
    """Point discovery at the given ports instead of the well-known ones."""

    def use(ollama=(), openai=()):
        monkeypatch.setattr(local_llm, "OLLAMA_PORTS", tuple(ollama))
        monkeypatch.setattr(local_llm, "OPENAI_PORTS", tuple(openai))

    return use


def test_finds_ollama_and_an_openai_compatible_server_and_skips_the_rest(silent_port):
    with (
        ScriptedOllama(installed=["llama3.2:1b", "nomic-embed-text"]) as ollama,
        ScriptedLLMServer(models=["local"]) as llama,
    ):
        started = time.monotonic()
        found = find_local_servers(
            ollama_ports=[ollama.port, closed_port()],
            openai_ports=[closed_port(), port_of(llama), silent_port, ollama.port],
            timeout=0.5,
        )
        took = time.monotonic() - started
    kinds = [(s.kind, s.base_url) for s in found]
    assert kinds == [
        ("ollama", ollama.base_url),
        ("openai", llama.base_url),
        ("openai", ollama.base_url),  # Ollama's own /v1/models answers too
    ]
    assert found[0].models == ("llama3.2:1b", "nomic-embed-text")
    assert found[0].chat_models == ("llama3.2:1b",)
    assert found[1].models == ("local",)
    assert took < 2.0  # probed at once, the silent port given up after its short timeout


def test_nothing_running_is_an_empty_list():
    assert find_local_servers(ollama_ports=[closed_port()], openai_ports=[closed_port()]) == []


def test_config_lines_name_the_server_and_a_chat_model():
    server = LocalServer(
        "ollama", "Ollama", "http://127.0.0.1:11434/v1", ("nomic-embed-text", "qwen2.5:3b")
    )
    assert server.suggested_model() == "qwen2.5:3b"
    assert server.suggested_model("nomic-embed-text") == "nomic-embed-text"  # the user's choice
    assert server.config_lines() == [
        "notes-app config set llm.base_url http://127.0.0.1:11434/v1",
        "notes-app config set llm.model qwen2.5:3b",
    ]


def test_pull_reports_progress_and_the_model_is_then_listed():
    with ScriptedOllama(available={"qwen2.5:3b": 4_000}) as ollama:
        (server,) = find_local_servers(ollama_ports=[ollama.port], openai_ports=[])
        assert server.models == ()
        seen = []
        assert pull_model(server, "qwen2.5:3b", on_progress=seen.append) == "qwen2.5:3b"
        (after,) = find_local_servers(ollama_ports=[ollama.port], openai_ports=[])
        pulls = [body for method, path, body in ollama.requests if path == "/api/pull"]
    assert after.models == ("qwen2.5:3b",)
    assert pulls == [{"model": "qwen2.5:3b", "stream": True}]
    fractions = [p.fraction for p in seen if p.fraction is not None]
    assert fractions == [0.25, 0.5, 1.0]
    assert seen[0].status == "pulling manifest" and seen[-1].status == "success"


def test_pulling_an_unknown_model_says_what_ollama_said():
    with ScriptedOllama() as ollama:
        with pytest.raises(LLMError) as err:
            pull_model(f"http://127.0.0.1:{ollama.port}", "no-such-model")
    assert "'no-such-model'" in str(err.value) and "file does not exist" in str(err.value)


def test_a_pull_that_stalls_is_given_up():
    with ScriptedOllama(available={"m": 100}, step_delay=5.0) as ollama:
        started = time.monotonic()
        with pytest.raises(LLMError, match="stopped sending progress"):
            pull_model(f"http://127.0.0.1:{ollama.port}", "m", stall_timeout=0.5)
        assert time.monotonic() - started < 3


def test_pull_needs_ollama():
    server = LocalServer("openai", "llama.cpp", "http://127.0.0.1:8080/v1", ("local",))
    with pytest.raises(LLMError, match="cannot fetch models"):
        pull_model(server, "qwen2.5:3b")
    with pytest.raises(LLMError, match="ollama serve"):
        pull_model(f"http://127.0.0.1:{closed_port()}", "qwen2.5:3b")


# --- doctor ---------------------------------------------------------------------------------------


def doctor(*args: str):
    return CliRunner().invoke(main, ["doctor", *args])


def test_doctor_reports_a_local_ollama_and_the_exact_commands(notes_home, only_these_ports):
    with ScriptedOllama(installed=["llama3.2:1b"]) as ollama:
        only_these_ports(ollama=[ollama.port])
        result = doctor()
    assert result.exit_code == 0, result.output
    assert f"local model server: Ollama at {ollama.base_url} (1 model(s): llama3.2:1b)" in (
        result.output
    )
    assert f"  notes-app config set llm.base_url {ollama.base_url}\n" in result.output
    assert "  notes-app config set llm.model llama3.2:1b\n" in result.output


def test_doctor_with_nothing_running_says_how_to_get_a_local_model(notes_home, only_these_ports):
    only_these_ports(ollama=[closed_port()], openai=[closed_port()])
    result = doctor()
    assert result.exit_code == 0
    assert "local model server: none running" in result.output
    assert "`notes-app doctor --pull`" in result.output


def test_doctor_pull_fetches_the_recommended_model_with_progress(notes_home, only_these_ports):
    with ScriptedOllama(available={local_llm.RECOMMENDED_MODEL: 2_000_000_000}) as ollama:
        only_these_ports(ollama=[ollama.port])
        empty = doctor("--json")
        result = doctor("--pull")
    data = json.loads(empty.stdout)
    assert data["local_servers"][0]["models"] == []
    assert "notes-app doctor --pull" in " ".join(data["advice"])
    assert result.exit_code == 0, result.output
    assert f"Pulling {local_llm.RECOMMENDED_MODEL}" in result.stderr
    assert "50% of 2,000 MB" in result.stderr and "success" in result.stderr
    assert f"notes-app config set llm.model {local_llm.RECOMMENDED_MODEL}" in result.stdout
    assert f"Ollama at {ollama.base_url} (1 model(s)" in result.stdout


def test_doctor_pull_without_ollama_is_a_clear_error(notes_home, only_these_ports):
    only_these_ports(ollama=[closed_port()])
    result = doctor("--pull", "llama3.2:1b")
    assert result.exit_code == 1
    assert "No Ollama is running" in result.stderr and "Traceback" not in result.output


@pytest.fixture
def endpoint(monkeypatch, notes_home, only_these_ports):
    only_these_ports()
    with ScriptedLLMServer(reject_response_format=("json_schema",), reject_status=500) as server:
        monkeypatch.setenv("NOTES_APP_LLM_BASE_URL", server.base_url)
        monkeypatch.setenv("NOTES_APP_LLM_MODEL", "test-model")
        monkeypatch.setenv("NOTES_APP_LLM_MAX_RETRIES", "0")
        yield server


def test_doctor_says_which_structured_output_the_endpoint_takes(endpoint):
    endpoint.queue(Reply.text("OK"), Reply.json({"ok": True}))
    result = doctor()
    assert result.exit_code == 0, result.output
    assert "ok   model answers: 'OK'" in result.output
    assert "structured output: JSON mode (the server turned down a JSON schema)" in result.output


@pytest.mark.parametrize(
    "reply",
    [Reply.raw("<html><body>It works!</body></html>", "text/html"), Reply.raw('{"choi')],
    ids=["html", "truncated json"],
)
def test_doctor_with_a_reply_that_is_not_a_completion_fails_in_one_line(endpoint, reply):
    endpoint.queue(reply)
    result = doctor()
    assert result.exit_code == 1
    assert "FAIL model answers: The LLM endpoint" in result.output
    assert "not a chat completion" in result.output
    assert (
        "Traceback" not in result.output
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    )
