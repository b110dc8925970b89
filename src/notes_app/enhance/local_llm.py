"""A language model on this computer: find a running server, list its models, pull one.

``find_local_servers`` asks the usual local ports with short timeouts, all at once: Ollama's own
API (``/api/tags`` on 11434), and the OpenAI-compatible ``/v1/models`` of llama.cpp's server
(8080), LM Studio (1234), vLLM and llama-cpp-python (8000) and a development server (18080).
``pull_model`` fetches a model through Ollama's ``POST /api/pull``, reporting its streamed
progress. Nothing here is needed to use the app: enhancement works offline without a model.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from notes_app.errors import LLMError

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
OLLAMA_PORTS: tuple[int, ...] = (11434,)
# llama.cpp's llama-server, LM Studio, vLLM / llama-cpp-python, a development server
OPENAI_PORTS: tuple[int, ...] = (8080, 1234, 8000, 18080)
PROBE_TIMEOUT = 2.0  # seconds: a local server answers in milliseconds, unless it is busy generating

# A small instruct model that runs on a laptop's CPU and follows JSON instructions well enough.
RECOMMENDED_MODEL = "qwen2.5:3b"
RECOMMENDED_SIZE = "about 1.9 GB"

_OWNERS = {"llamacpp": "llama.cpp", "vllm": "vLLM", "organization_owner": "LM Studio"}
_PORT_NAMES = {8080: "llama.cpp", 1234: "LM Studio", 8000: "vLLM or llama-cpp-python"}


@dataclass(frozen=True)
class LocalServer:
    kind: str  # "ollama" or "openai" (any OpenAI-compatible server)
    name: str  # for people: "Ollama", "llama.cpp", "LM Studio", …
    base_url: str  # the value for llm.base_url (ends in /v1)
    models: tuple[str, ...]

    @property
    def chat_models(self) -> tuple[str, ...]:
        """The models that can chat (embedding models left out)."""
        return tuple(m for m in self.models if "embed" not in m.lower())

    @property
    def root(self) -> str:
        return self.base_url.removesuffix("/v1")

    def suggested_model(self, current: str = "") -> str:
        """The model to configure: the current one when the server has it, else its first."""
        if current and current in self.models:
            return current
        return (self.chat_models or self.models or ("",))[0]

    def config_lines(self, model: str = "") -> list[str]:
        """The exact commands that point the app at this server."""
        model = model or self.suggested_model() or RECOMMENDED_MODEL
        return [
            f"notes-app config set llm.base_url {self.base_url}",
            f"notes-app config set llm.model {model}",
        ]

    def describe(self) -> str:
        if self.models:
            shown = ", ".join(self.models[:8]) + (" …" if len(self.models) > 8 else "")
            what = f"{len(self.models)} model(s): {shown}"
        else:
            what = "no models yet"
        return f"{self.name} at {self.base_url} ({what})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "base_url": self.base_url,
            "models": list(self.models),
        }


@dataclass(frozen=True)
class PullProgress:
    """One line of Ollama's pull progress."""

    status: str  # "pulling manifest", "pulling 6a0746a1ec1a", "verifying sha256 digest", …
    completed: int | None = None  # bytes of the current layer
    total: int | None = None

    @property
    def fraction(self) -> float | None:
        if self.total and self.completed is not None:
            return min(self.completed / self.total, 1.0)
        return None


def find_local_servers(
    *,
    host: str = HOST,
    ollama_ports: Sequence[int] | None = None,
    openai_ports: Sequence[int] | None = None,
    timeout: float = PROBE_TIMEOUT,
) -> list[LocalServer]:
    """The model servers answering on this computer, Ollama first; empty when there are none."""
    import httpx

    ollama = OLLAMA_PORTS if ollama_ports is None else tuple(ollama_ports)
    openai_like = OPENAI_PORTS if openai_ports is None else tuple(openai_ports)
    probes: list[tuple[Callable[..., LocalServer | None], int]] = [
        *((_probe_ollama, p) for p in ollama),
        *((_probe_openai, p) for p in openai_like),
    ]
    if not probes:
        return []
    with httpx.Client(timeout=timeout) as http, ThreadPoolExecutor(len(probes)) as pool:
        found = pool.map(lambda probe: probe[0](http, host, probe[1]), probes)
        return [server for server in found if server is not None]


def _get_json(http: Any, url: str) -> Any:
    import httpx

    try:
        response = http.get(url)
        return response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None  # nothing there, or not a model server: both mean "not found"


def _probe_ollama(http: Any, host: str, port: int) -> LocalServer | None:
    data = _get_json(http, f"http://{host}:{port}/api/tags")
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        return None
    names = tuple(
        str(m.get("name") or m.get("model"))
        for m in data["models"]
        if isinstance(m, dict) and (m.get("name") or m.get("model"))
    )
    return LocalServer("ollama", "Ollama", f"http://{host}:{port}/v1", names)


def _probe_openai(http: Any, host: str, port: int) -> LocalServer | None:
    data = _get_json(http, f"http://{host}:{port}/v1/models")
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        return None
    rows = [m for m in data["data"] if isinstance(m, dict) and m.get("id")]
    owners = {str(m.get("owned_by", "")).lower() for m in rows}
    name = next((_OWNERS[o] for o in owners if o in _OWNERS), None)
    name = name or _PORT_NAMES.get(port, "OpenAI-compatible server")
    models = tuple(str(m["id"]) for m in rows)
    return LocalServer("openai", name, f"http://{host}:{port}/v1", models)


def pull_model(
    server: LocalServer | str,
    model: str = RECOMMENDED_MODEL,
    *,
    on_progress: Callable[[PullProgress], None] | None = None,
    stall_timeout: float = 120.0,
) -> str:
    """Fetch ``model`` into the Ollama at ``server`` (a LocalServer or its root URL), passing
    each progress line to ``on_progress``; returns the model name when Ollama says success.

    A pull takes minutes, so there is no total deadline; ``stall_timeout`` is how long Ollama
    may say nothing at all before the pull is given up.
    """
    import httpx

    root = server.root if isinstance(server, LocalServer) else str(server).removesuffix("/v1")
    if isinstance(server, LocalServer) and server.kind != "ollama":
        raise LLMError(
            f"{server.name} at {server.base_url} cannot fetch models for you: download a GGUF "
            "model in its own way, or install Ollama (https://ollama.com) and run `ollama serve`."
        )
    timeout = httpx.Timeout(stall_timeout, connect=5.0)
    last = PullProgress("starting")
    try:
        with httpx.stream(
            "POST", f"{root}/api/pull", json={"model": model, "stream": True}, timeout=timeout
        ) as response:
            if response.status_code != 200:
                response.read()
                raise LLMError(
                    f"Ollama at {root} would not pull {model!r} (HTTP {response.status_code}: "
                    f"{_error_text(response.text)}). Check the name on ollama.com/library."
                )
            for line in response.iter_lines():
                if not line.strip():
                    continue
                last = _progress_line(line, root, model)
                if on_progress:
                    on_progress(last)
    except httpx.TimeoutException:
        raise LLMError(
            f"Ollama at {root} stopped sending progress while pulling {model!r} "
            f"(nothing for {stall_timeout:g} s). Try again; a pull resumes where it stopped."
        ) from None
    except httpx.HTTPError as e:
        raise LLMError(
            f"Cannot pull {model!r} from Ollama at {root} ({type(e).__name__}). Is it running "
            "(`ollama serve`)?"
        ) from None
    if last.status != "success":
        raise LLMError(
            f"Ollama at {root} stopped pulling {model!r} at {last.status!r} without saying it "
            "succeeded. Try again; a pull resumes where it stopped."
        )
    return model


def _progress_line(line: str, root: str, model: str) -> PullProgress:
    try:
        data = json.loads(line)
    except ValueError:
        raise LLMError(
            f"Ollama at {root} answered the pull of {model!r} with something that is not its "
            f"progress ({line[:60]!r}). Is {root} really Ollama?"
        ) from None
    if not isinstance(data, dict):
        data = {}
    if data.get("error"):
        raise LLMError(
            f"Ollama at {root} could not pull {model!r}: {data['error']}. Check the name on "
            "ollama.com/library, and that this computer can reach the internet."
        )
    total = data.get("total")
    completed = data.get("completed")
    return PullProgress(
        str(data.get("status", "")),
        int(completed) if isinstance(completed, (int, float)) else None,
        int(total) if isinstance(total, (int, float)) else None,
    )


def _error_text(body: str) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body[:120] or "no details"
    return str(data.get("error") if isinstance(data, dict) else data)[:120]
