"""A small client for any OpenAI-compatible chat endpoint (OpenAI, Ollama, LM Studio, llama.cpp
server, vLLM), wrapping the real ``openai`` client that is passed in.

What it adds, because real servers differ:

- structured output negotiated: a JSON schema, else plain JSON mode, else free text, stepping
  down whenever a rejection (HTTP 400, 422 or 500) names ``response_format``; what an endpoint
  and model accept is remembered (in memory, and in the data folder's cache when given);
- one total deadline per request, reading included: a server that trickles bytes is cut off at
  the timeout, streamed or not;
- a 200 reply that is not a chat completion (plain text, a web page, cut-off JSON) is an
  ``LLMError`` like any other failure, so ``--fallback offline`` catches it;
- a context-length rejection is a ``ContextOverflow`` (an ``LLMError``) the caller can catch to
  send less; ``count_tokens`` / ``estimate_message_tokens`` count conservatively beforehand;
- bounded retries that honour Retry-After, and one error mapper (``explain_api_error``) whose
  messages name the endpoint and say what to do. The API key is never part of any message.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notes_app.enhance.lenient_json import JSONNotFound, loads_lenient
from notes_app.errors import LLMError

if TYPE_CHECKING:
    import openai

log = logging.getLogger(__name__)

# ``openai`` itself is imported where a request is made: it takes a good part of a second to
# import, and the window and most commands start without ever talking to an LLM.
# Local servers without authentication still need *some* key for the openai client.
NO_KEY = "not-needed"

# Structured output, strongest first. A server that rejects one is asked with the next.
FORMAT_SCHEMA, FORMAT_JSON, FORMAT_TEXT = "json_schema", "json_object", "text"
_FORMATS = (FORMAT_SCHEMA, FORMAT_JSON, FORMAT_TEXT)

# Where the formats endpoints accept are remembered, under the data folder.
FORMATS_CACHE = Path("cache") / "llm-formats.json"
# Remembered for "<model> stream <format>" when a streamed reply in that format comes back
# empty (llama-cpp-python streams nothing but the role for JSON mode): ask without streaming.
NO_STREAM = "no-stream"

Messages = list[dict[str, str]]


class ContextOverflow(LLMError):
    """The prompt (plus the room asked for the reply) is more than the model's context.

    Raised instead of a plain ``LLMError`` so a caller can split its input smaller and retry.
    ``limit`` and ``requested`` are the server's figures in tokens when it gave them.
    """

    def __init__(self, message: str, *, limit: int | None = None, requested: int | None = None):
        super().__init__(message)
        self.limit = limit
        self.requested = requested


@dataclass(frozen=True)
class ChatReply:
    text: str
    finish_reason: str | None  # "length" means the model ran out of output tokens
    model: str


# --- counting tokens -----------------------------------------------------------------------------

# Tokenizers of small local models give 3.5-4.5 characters per token on English prose, fewer on
# notes and transcripts (Qwen and Llama 3 give every digit its own token: "4.2M" is 4 tokens) and
# about one token per character on scripts such as CJK. Counting a token per digit and per
# non-ASCII character and 3 other characters per token errs high (measured on Qwen2.5: the demo
# notes 71 tokens, estimated 71; 1,650 characters of meeting prose 491, estimated 624).
CHARS_PER_TOKEN = 3.0
# What a chat template adds around each message (role markers, separators), and once per
# request (a default system prompt some templates add, about 20 tokens on Qwen, and the reply's
# priming).
MESSAGE_OVERHEAD = 8
REPLY_PRIMING = 32


def estimate_tokens(text: str) -> int:
    """A token count for ``text`` that errs high (see CHARS_PER_TOKEN)."""
    single = sum(1 for ch in text if ch.isdigit() or ord(ch) > 127)
    return math.ceil((len(text) - single) / CHARS_PER_TOKEN) + single


def estimate_message_tokens(messages: Messages) -> int:
    """Tokens a chat request's messages take in the model's context, erring high."""
    return (
        sum(estimate_tokens(str(m.get("content") or "")) + MESSAGE_OVERHEAD for m in messages)
        + REPLY_PRIMING
    )


# --- remembering what an endpoint accepts ----------------------------------------------------


class FormatMemory:
    """The structured-output format each endpoint + model accepted, per process and, with a
    ``path``, in a small JSON file (a cache: losing it only costs one rejected request)."""

    MAX_AGE = 30 * 24 * 3600  # a server may be upgraded: ask for the stronger format again

    def __init__(self, path: Path | None = None):
        self.path = path
        self._known: dict[str, str] = {}
        self._lock = threading.Lock()
        self._loaded = False

    @staticmethod
    def key(endpoint: str, model: str) -> str:
        return f"{endpoint} {model}"

    def get(self, endpoint: str, model: str) -> str | None:
        with self._lock:
            self._load()
            return self._known.get(self.key(endpoint, model))

    def put(self, endpoint: str, model: str, fmt: str) -> None:
        with self._lock:
            self._load()
            key = self.key(endpoint, model)
            if self._known.get(key) == fmt:
                return
            self._known[key] = fmt
            self._save(key, fmt)

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        if self.path is None or not self.path.exists():
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            now = time.time()
            for key, entry in data.items():
                known = entry.get("format") in (*_FORMATS, NO_STREAM)
                if known and now - entry.get("at", 0) < self.MAX_AGE:
                    self._known.setdefault(key, entry["format"])
        except (OSError, ValueError, AttributeError):
            log.warning("Ignoring an unreadable cache file %s", self.path, exc_info=True)

    def _save(self, key: str, fmt: str) -> None:
        if self.path is None:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
            if not isinstance(data, dict):
                data = {}
        except (OSError, ValueError):
            data = {}
        data[key] = {"format": fmt, "at": int(time.time())}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            tmp.replace(self.path)
        except OSError:
            log.warning("Could not write the cache file %s", self.path, exc_info=True)


_PROCESS_MEMORY = FormatMemory()
_FILE_MEMORIES: dict[Path, FormatMemory] = {}


def format_memory(home: Path | None) -> FormatMemory:
    """The shared memory for a data folder (``None``: this process only)."""
    if home is None:
        return _PROCESS_MEMORY
    path = Path(home) / FORMATS_CACHE
    return _FILE_MEMORIES.setdefault(path, FormatMemory(path))


# --- the client ----------------------------------------------------------------------------------


def openai_from_settings(llm_settings: Any) -> openai.OpenAI:
    """The real client for the configured endpoint. Retries are ours, so the client's are off."""
    import openai

    if not llm_settings.base_url:
        raise LLMError(
            "No LLM endpoint is configured. Set one with "
            "`notes-app config set llm.base_url http://localhost:11434/v1` (Ollama) "
            "and `notes-app config set llm.model NAME`, or use --offline. "
            "`notes-app doctor` finds a model server running on this computer."
        )
    return openai.OpenAI(
        base_url=llm_settings.base_url,
        api_key=llm_settings.api_key or NO_KEY,
        timeout=float(llm_settings.timeout),
        max_retries=0,
    )


class _DeadlinePassed(Exception):
    """The request's total time ran out (raised in the caller's thread)."""


class LLMClient:
    """Chat with one model at one endpoint.

    ``client`` is an ``openai.OpenAI``; ``sleep`` is injected so a caller can observe waits.
    ``timeout`` is the total time one request may take, reading the reply included (default:
    the openai client's own timeout). ``memory`` remembers which structured-output format the
    endpoint accepts (``format_memory(home)`` shares it across clients and runs).
    """

    def __init__(
        self,
        client: openai.OpenAI,
        *,
        model: str,
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 60.0,
        timeout: float | None = None,
        memory: FormatMemory | None = None,
    ):
        if not model:
            raise LLMError(
                f"No model is set for the LLM endpoint {_endpoint(client)}. "
                "Choose one with `notes-app config set llm.model NAME` (`notes-app doctor` lists "
                "the models the server has)."
            )
        self.client = client
        self.model = model
        self.max_retries = max(0, int(max_retries))
        self.sleep = sleep
        self.max_wait = max_wait
        self.endpoint = _endpoint(client)
        self.timeout = float(timeout) if timeout else _client_timeout(client)
        self.memory = memory or _PROCESS_MEMORY
        self._tokenizer: str | None = None  # "" once known to be absent

    @classmethod
    def from_settings(
        cls, llm_settings: Any, *, home: Path | None = None, **kwargs: Any
    ) -> LLMClient:
        """A client for the settings; with ``home`` (the data folder) the formats the endpoint
        accepts are remembered across runs."""
        return cls(
            openai_from_settings(llm_settings),
            model=llm_settings.model,
            max_retries=llm_settings.max_retries,
            timeout=float(llm_settings.timeout),
            memory=format_memory(home),
            **kwargs,
        )

    @property
    def accepted_format(self) -> str:
        """The strongest structured-output format not (yet) turned down by this endpoint."""
        return self.memory.get(self.endpoint, self.model) or FORMAT_SCHEMA

    # --- public API -----------------------------------------------------------------------------

    def chat(
        self,
        messages: Messages,
        *,
        on_text: Callable[[str], None] | None = None,
        schema: dict[str, Any] | None = None,
        max_tokens: int | None = None,
        temperature: float = 0.2,
    ) -> ChatReply:
        """Send one chat; with ``on_text`` the reply is streamed and each piece passed to it
        (on the calling thread).

        With ``schema`` the server is asked for JSON matching it, in the strongest form it
        accepts; the reply text is returned as is (see ``chat_json`` to parse it). Raises
        ``ContextOverflow`` when the server says the request is too long for its context, and
        ``LLMError`` for every other failure.
        """
        import openai

        while True:
            fmt = self.accepted_format if schema is not None else FORMAT_TEXT
            params = self._params(messages, fmt, schema, max_tokens, temperature)
            stream_key = f"{self.model} stream {fmt}"
            streamed = on_text is not None and (
                fmt == FORMAT_TEXT or self.memory.get(self.endpoint, stream_key) != NO_STREAM
            )
            try:
                reply = self._with_retries(params, on_text if streamed else None)
                if streamed and fmt != FORMAT_TEXT and not reply.text and not reply.finish_reason:
                    # A stream that ended without text or a reason: the server cannot stream
                    # this format. Ask again without streaming; remember it.
                    log.info(
                        "%s sent an empty %s stream; asking without streaming", self.endpoint, fmt
                    )
                    self.memory.put(self.endpoint, stream_key, NO_STREAM)
                    streamed = False
                    reply = self._with_retries(params, None)
                if on_text is not None and not streamed and reply.text:
                    on_text(reply.text)  # the caller still sees the text, in one piece
                return reply
            except openai.APIStatusError as e:
                if fmt != FORMAT_TEXT and _about_format(e):
                    lower = _FORMATS[_FORMATS.index(fmt) + 1]
                    log.info(
                        "%s turned down response_format %s; trying %s", self.endpoint, fmt, lower
                    )
                    self.memory.put(self.endpoint, self.model, lower)
                    continue
                raise self._explain(e) from None
            except openai.APIError as e:
                raise self._explain(e) from None
            except _DeadlinePassed:
                raise timeout_error(self.endpoint, self.timeout) from None

    def chat_json(
        self,
        messages: Messages,
        *,
        schema: dict[str, Any] | None = None,
        on_text: Callable[[str], None] | None = None,
        max_tokens: int | None = None,
    ) -> Any:
        """Chat and read the reply as JSON (tolerating fences, prose and trailing commas)."""
        reply = self.chat(
            messages, on_text=on_text, schema=schema or {"type": "object"}, max_tokens=max_tokens
        )
        try:
            return loads_lenient(reply.text)
        except JSONNotFound as e:
            raise self.unusable_reply(str(e), reply) from None

    def list_models(self) -> list[str]:
        """The model ids the server offers (GET /v1/models)."""
        import openai

        try:
            return _within(
                self.timeout, lambda: sorted(str(m.id) for m in self.client.models.list())
            )
        except _DeadlinePassed:
            raise timeout_error(self.endpoint, self.timeout) from None
        except openai.APIError as e:
            raise self._explain(e, listing=True) from None
        except (AttributeError, TypeError, ValueError) as e:  # a 200 that is no model list
            log.debug("unreadable model list from %s", self.endpoint, exc_info=True)
            raise not_a_completion(self.endpoint, f"no model list: {e}") from None

    def count_tokens(self, messages: Messages) -> int:
        """Tokens ``messages`` take, counted by the server's tokenizer when it has one
        (llama.cpp: /tokenize, llama-cpp-python: /extras/tokenize), else estimated high."""
        text = "\n".join(str(m.get("content") or "") for m in messages)
        counted = self._server_count(text)
        if counted is None:
            return estimate_message_tokens(messages)
        return counted + MESSAGE_OVERHEAD * len(messages) + REPLY_PRIMING

    def unusable_reply(self, problem: str, reply: ChatReply | None = None) -> LLMError:
        cut = (
            " It was cut off: the model ran out of output tokens."
            if reply and (reply.finish_reason == "length")
            else ""
        )
        return LLMError(
            f"The model {self.model!r} at {self.endpoint} gave a reply that cannot be used "
            f"({problem}).{cut} Try again, choose a stronger model with "
            "`notes-app config set llm.model NAME`, or use --fallback offline. "
            "Your notes and transcript are unchanged."
        )

    # --- the request, with retries ----------------------------------------------------------

    def _params(
        self,
        messages: Messages,
        fmt: str,
        schema: dict[str, Any] | None,
        max_tokens: int | None,
        temperature: float,
    ) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": temperature,
        }
        if max_tokens:
            params["max_tokens"] = max_tokens
        if fmt == FORMAT_SCHEMA:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": schema},
            }
        elif fmt == FORMAT_JSON:
            params["response_format"] = {"type": "json_object"}
        return params

    def _with_retries(
        self, params: dict[str, Any], on_text: Callable[[str], None] | None
    ) -> ChatReply:
        import openai

        attempt = 0
        while True:
            try:
                return self._once(params, on_text)
            except (openai.RateLimitError, openai.InternalServerError) as e:
                # A rejected format or an over-long prompt fails the same way every time.
                final = _about_format(e) or _context_figures(e) is not None
                if final or attempt >= self.max_retries:
                    raise
                self.sleep(self._wait(e, attempt))
                attempt += 1

    def _wait(self, error: openai.APIStatusError, attempt: int) -> float:
        """Seconds to wait before retrying: the server's Retry-After, else 1, 2, 4 … s."""
        header = error.response.headers.get("retry-after") if error.response else None
        try:
            wait = float(header) if header is not None else 2.0**attempt
        except ValueError:
            wait = 2.0**attempt  # an HTTP date: rare from these servers, back off instead
        return min(max(wait, 0.0), self.max_wait)

    def _once(self, params: dict[str, Any], on_text: Callable[[str], None] | None) -> ChatReply:
        """One HTTP request, given ``self.timeout`` seconds in total.

        The request runs on a helper thread that hands what it reads to this one through a
        queue; this thread waits for the queue against the deadline, so neither a slow first
        byte nor a trickle of bytes can hold it longer. On the deadline the response is closed
        and the helper stops at its next read.
        """
        inbox: queue.Queue[tuple[str, Any]] = queue.Queue()
        cancelled = threading.Event()
        held: list[Any] = []  # the open response, for closing it from here

        def work() -> None:
            try:
                if on_text is None:
                    with self.client.chat.completions.with_streaming_response.create(
                        **params
                    ) as response:
                        held.append(response)
                        body = bytearray()
                        for part in response.iter_bytes():
                            body += part
                            if cancelled.is_set():
                                return
                        inbox.put(("body", bytes(body)))
                else:
                    stream = self.client.chat.completions.create(**params, stream=True)
                    held.append(stream.response)
                    for chunk in stream:
                        if cancelled.is_set():
                            return
                        inbox.put(("chunk", chunk))
                    inbox.put(("end", None))
            except BaseException as e:  # noqa: BLE001 - handed to the waiting thread, raised there
                inbox.put(("error", e))

        threading.Thread(target=work, name="llm-request", daemon=True).start()
        deadline = time.monotonic() + self.timeout
        pieces: list[str] = []
        finish: str | None = None
        chunks = 0
        while True:
            try:
                kind, value = inbox.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                cancelled.set()
                _close_soon(held)
                raise _DeadlinePassed from None
            if kind == "error":
                raise self._reading_error(value)
            if kind == "body":
                return self._completion(value)
            if kind == "end":
                if not chunks:
                    raise not_a_completion(self.endpoint, "a stream without any completion chunk")
                return ChatReply("".join(pieces), finish, self.model)
            chunks += 1
            for choice in getattr(value, "choices", None) or ():
                delta = getattr(choice, "delta", None)
                piece = getattr(delta, "content", None) if delta else None
                if piece:
                    pieces.append(piece)
                    if on_text is not None:
                        on_text(piece)
                finish = getattr(choice, "finish_reason", None) or finish

    def _reading_error(self, error: BaseException) -> BaseException:
        """What the helper thread hit, as the exception to raise here."""
        import openai

        if isinstance(error, openai.APIError):
            return error  # mapped by chat()
        name = type(error).__name__
        if type(error).__module__.split(".")[0] in ("httpx", "httpx2", "httpcore"):
            # the transport failed while reading the body (the openai client maps only the
            # request itself)
            if "Timeout" in name:
                return _DeadlinePassed()
            return LLMError(
                f"The connection to the LLM endpoint {self.endpoint} broke while reading the "
                f"reply ({name}). Try again, or use --fallback offline."
            )
        if isinstance(error, (ValueError, TypeError, AttributeError, KeyError)):
            # a stream event that is not JSON, or JSON that is not a chunk
            log.debug("unreadable stream from %s", self.endpoint, exc_info=error)
            return not_a_completion(self.endpoint, f"a stream event that cannot be read: {error}")
        return error

    def _completion(self, body: bytes) -> ChatReply:
        """A whole (non-streamed) reply's body, checked to be a chat completion."""
        text = body.decode("utf-8", errors="replace")
        try:
            data = json.loads(text)
        except ValueError:
            problem = "text that is not JSON" if text.strip() else "an empty body"
            if text.lstrip().startswith("{"):
                problem = "JSON that stops in the middle"
            raise not_a_completion(self.endpoint, f"{problem}: {_preview(text)}") from None
        if isinstance(data, dict) and data.get("error") and "choices" not in data:
            raise LLMError(
                f"The LLM endpoint {self.endpoint} answered with an error: "
                f"{self._redact(_message_of(data['error']))}. Check its log, or use "
                "--fallback offline."
            )
        choices = data.get("choices") if isinstance(data, dict) else None
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise not_a_completion(self.endpoint, f"JSON that is not one: {_preview(text)}")
        choice = choices[0]
        message = choice.get("message") or {}
        content = message.get("content") if isinstance(message, dict) else None
        if content is None:
            content = choice.get("text") or ""  # some servers answer in completions' shape
        return ChatReply(str(content), choice.get("finish_reason"), self.model)

    # --- tokens -------------------------------------------------------------------------------

    def _server_count(self, text: str) -> int | None:
        """The server's own token count, or None when it has no tokenize endpoint."""
        import httpx

        if self._tokenizer == "":
            return None
        root = re.sub(r"/v1/?$", "", self.endpoint)
        headers = {}
        key = getattr(self.client, "api_key", "") or ""
        if key and key != NO_KEY:
            headers["Authorization"] = f"Bearer {key}"
        ways = {
            "extras": (f"{root}/extras/tokenize/count", {"input": text, "model": self.model}),
            "llama.cpp": (f"{root}/tokenize", {"content": text}),
        }
        order = [self._tokenizer] if self._tokenizer else list(ways)
        for name in order:
            url, body = ways[name]
            try:
                r = httpx.post(url, json=body, headers=headers, timeout=min(self.timeout, 5.0))
                data = r.json() if r.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                data = None
            count = _token_count(data)
            if count is not None:
                self._tokenizer = name
                return count
        self._tokenizer = ""
        return None

    # --- errors a user can act on -------------------------------------------------------------

    def _explain(self, e: openai.APIError, *, listing: bool = False) -> LLMError:
        return explain_api_error(
            e,
            endpoint=self.endpoint,
            model=self.model,
            timeout=self.timeout,
            retries=self.max_retries,
            listing=listing,
            secret=getattr(self.client, "api_key", "") or "",
            models_hint=self._models_hint,
        )

    def _models_hint(self) -> str:
        try:
            models = self.list_models()
        except LLMError:
            models = []
        fix = "Choose one with `notes-app config set llm.model NAME`."
        if models:
            shown = ", ".join(models[:20]) + (" …" if len(models) > 20 else "")
            return f"Models it has: {shown}. {fix}"
        return f"Check the model name (and that llm.base_url ends in /v1). {fix}"

    def _redact(self, text: str) -> str:
        return _redact(text, getattr(self.client, "api_key", "") or "")


# --- the one mapper from openai errors to sentences ---------------------------------------------


def explain_api_error(
    e: openai.APIError,
    *,
    endpoint: str,
    model: str | None = None,
    timeout: float | None = None,
    retries: int = 0,
    listing: bool = False,
    secret: str = "",
    models_hint: Callable[[], str] | None = None,
    doing: str = "",
) -> LLMError:
    """An ``openai`` error as an ``LLMError`` whose message names the endpoint and says what
    to do (``ContextOverflow`` for a context-length rejection). ``doing`` names the request
    when it is not a chat, e.g. "Embeddings with model 'x'"."""
    import openai

    where = f"The LLM endpoint {endpoint}"
    if isinstance(e, openai.APITimeoutError):
        return timeout_error(endpoint, timeout)
    if isinstance(e, openai.APIConnectionError):
        return LLMError(
            f"Cannot connect to the LLM endpoint {endpoint}. Is the server running (for Ollama: "
            "`ollama serve`)? Check the address with `notes-app config get llm.base_url`; "
            "`notes-app doctor` looks for a model server on this computer."
        )
    status = getattr(e, "status_code", None)
    detail = _redact(_server_message(e), secret)
    figures = _context_figures(e)
    if figures is not None:
        limit, requested = figures
        said = f" ({detail})" if detail else ""
        return ContextOverflow(
            f"{where} says the request is longer than the model's context{said}. Send less "
            "(long meetings are split into parts), or lower `llm.context_tokens` to the "
            "model's real context with `notes-app config set llm.context_tokens N`.",
            limit=limit,
            requested=requested,
        )
    if doing:
        where = f"{doing} at {endpoint}"
    if status in (401, 403):
        return LLMError(
            f"{where} refused the API key (HTTP {status}). Set the right key with "
            "`notes-app config set llm.api_key YOUR_KEY` or the NOTES_APP_LLM_API_KEY "
            "environment variable."
        )
    if status == 404 and not listing and model and not doing:
        hint = models_hint() if models_hint else "Choose one with `notes-app config set llm.model`."
        return LLMError(f"{where} does not know the model {model!r} (HTTP 404). " + hint)
    if status == 404 and listing:
        return LLMError(
            f"{where} has no model list (HTTP 404 on /models). Check llm.base_url: "
            "OpenAI-compatible servers usually end in /v1."
        )
    if status == 404:
        return LLMError(
            f"{where} answered HTTP 404 ({detail}). Check llm.base_url (it usually ends in /v1) "
            "and the model name with `notes-app doctor`."
        )
    if status == 429:
        return LLMError(
            f"{where} is limiting requests (HTTP 429) and still was after "
            f"{retries} retries. Wait a minute and try again, check your plan's "
            "limits, or use --fallback offline."
        )
    if status is not None and status >= 500:
        return LLMError(
            f"{where} had a server error (HTTP {status}: {detail}). Check the server's log "
            "or try again later; --fallback offline gives offline notes meanwhile."
        )
    if status is None:
        return LLMError(
            f"{where} failed while answering ({detail}). Try again, check the server's log, "
            "or use --fallback offline."
        )
    return LLMError(
        f"{where} rejected the request (HTTP {status}: {detail}). Check llm.model and "
        "llm.base_url with `notes-app doctor`."
    )


def embeddings_error(e: BaseException, client: Any, model: str) -> LLMError:
    """A failed ``client.embeddings.create`` (an ``openai.OpenAI``) as one clear error."""
    import openai

    endpoint = str(getattr(client, "base_url", "the endpoint")).rstrip("/")
    fix = " Check that the server offers /v1/embeddings for that model, or search offline."
    if isinstance(e, openai.APIError):
        mapped = explain_api_error(
            e,
            endpoint=endpoint,
            timeout=_client_timeout(client),
            secret=getattr(client, "api_key", "") or "",
            doing=f"Embeddings with model {model!r}",
        )
        return LLMError(str(mapped) + fix)
    log.debug("unreadable embeddings reply from %s", endpoint, exc_info=e)
    return LLMError(
        f"Embeddings from {endpoint} with model {model!r} failed: the reply is not an "
        f"embeddings list ({type(e).__name__}).{fix}"
    )


def timeout_error(endpoint: str, seconds: float | None) -> LLMError:
    within = f"{seconds:g} s" if seconds else "the configured timeout"
    return LLMError(
        f"The LLM endpoint {endpoint} did not answer within {within}. A local model may still "
        "be loading: try again, or allow longer with `notes-app config set llm.timeout 300`."
    )


def not_a_completion(endpoint: str, problem: str) -> LLMError:
    return LLMError(
        f"The LLM endpoint {endpoint} answered with something that is not a chat completion "
        f"({problem}). Check that llm.base_url is the server's OpenAI-compatible address "
        "(it usually ends in /v1) with `notes-app doctor`, or use --fallback offline. "
        "Your notes and transcript are unchanged."
    )


def _endpoint(client: openai.OpenAI) -> str:
    return str(client.base_url).rstrip("/")


def _client_timeout(client: openai.OpenAI) -> float:
    t = getattr(client, "timeout", None)
    if isinstance(t, (int, float)):
        return float(t)
    read = getattr(t, "read", None)
    return float(read) if isinstance(read, (int, float)) else 600.0


def _within(seconds: float, fn: Callable[[], Any]) -> Any:
    """``fn()`` on a helper thread, waited for at most ``seconds`` in total (then
    ``_DeadlinePassed``; the helper is left to its own read timeout)."""
    box: queue.Queue[tuple[bool, Any]] = queue.Queue()

    def run() -> None:
        try:
            box.put((True, fn()))
        except BaseException as e:  # noqa: BLE001 - raised again in the waiting thread
            box.put((False, e))

    threading.Thread(target=run, name="llm-request", daemon=True).start()
    try:
        ok, value = box.get(timeout=seconds)
    except queue.Empty:
        raise _DeadlinePassed from None
    if not ok:
        raise value
    return value


def _close_soon(held: list[Any]) -> None:
    """Close the response a helper thread is reading, without waiting on it here."""

    def close() -> None:
        for response in held:
            try:
                response.close()
            except Exception:  # noqa: BLE001 - the request is abandoned either way
                log.debug("closing an abandoned LLM response failed", exc_info=True)

    threading.Thread(target=close, name="llm-close", daemon=True).start()


def _preview(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[:limit] + "…")


def _redact(text: str, secret: str) -> str:
    if secret and secret != NO_KEY and secret in text:
        text = text.replace(secret, "****")
    return text


def _message_of(error: Any) -> str:
    if isinstance(error, dict):
        return str(error.get("message") or error)[:200]
    return str(error)[:200]


def _server_message(e: openai.APIError) -> str:
    body = getattr(e, "body", None)
    message = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message is None and "detail" in body:  # FastAPI's shape (422 validation errors)
            message = body["detail"]
    text = str(message or getattr(e, "message", "") or type(e).__name__)
    return text if len(text) <= 200 else text[:200] + "…"


def _error_text(e: openai.APIError) -> str:
    return (_server_message(e) + " " + str(getattr(e, "body", "") or "")).lower()


_FORMAT_WORDS = ("response_format", "json_schema", "json_object", "response format")


def _about_format(e: openai.APIError) -> bool:
    """Did the server turn down ``response_format`` (rather than the request as a whole)?
    Servers answer 400, 422 (FastAPI validation) or 500 (llama-cpp-python) for it."""
    if getattr(e, "status_code", None) not in (400, 422, 500):
        return False
    return any(word in _error_text(e) for word in _FORMAT_WORDS)


_CONTEXT_WORDS = (
    "maximum context length",
    "context length",
    "context window",
    "context size",
    "context_length_exceeded",
    "exceed_context",
    "too many tokens",
    "n_ctx",
    "prompt is too long",
)
_LIMIT = re.compile(r"(?:context (?:length|window|size)|n_ctx)\D{0,24}?(\d{3,7})", re.IGNORECASE)
_REQUESTED = re.compile(r"(?:requested|requested tokens|n_prompt_tokens)\D{0,12}?(\d{2,7})", re.I)


def _context_figures(e: openai.APIError) -> tuple[int | None, int | None] | None:
    """(limit, requested) when ``e`` says the request is too long for the context, else None."""
    text = _error_text(e)
    if not any(word in text for word in _CONTEXT_WORDS):
        return None
    limit = _LIMIT.search(text)
    requested = _REQUESTED.search(text)
    return (
        int(limit.group(1)) if limit else None,
        int(requested.group(1)) if requested else None,
    )


def _token_count(data: Any) -> int | None:
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("count"), int):
        return data["count"]
    if isinstance(data.get("tokens"), list):
        return len(data["tokens"])
    return None
