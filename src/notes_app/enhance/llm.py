"""A small client for any OpenAI-compatible chat endpoint (OpenAI, Ollama, LM Studio, llama.cpp
server, vLLM), wrapping the real ``openai`` client that is passed in.

What it adds: bounded retries that honour Retry-After, structured output that steps down from a
JSON schema to plain JSON mode to free text as the server allows, tolerant JSON reading, and
errors that name the endpoint and say what to do. The API key is never part of any message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from notes_app.enhance.lenient_json import JSONNotFound, loads_lenient
from notes_app.errors import LLMError

if TYPE_CHECKING:
    import openai

# ``openai`` itself is imported where a request is made: it takes a good part of a second to
# import, and the window and most commands start without ever talking to an LLM.
# Local servers without authentication still need *some* key for the openai client.
NO_KEY = "not-needed"

# Structured output, strongest first. A server that rejects one is asked with the next.
FORMAT_SCHEMA, FORMAT_JSON, FORMAT_TEXT = "json_schema", "json_object", "text"
_FORMATS = (FORMAT_SCHEMA, FORMAT_JSON, FORMAT_TEXT)

Messages = list[dict[str, str]]


@dataclass(frozen=True)
class ChatReply:
    text: str
    finish_reason: str | None  # "length" means the model ran out of output tokens
    model: str


def openai_from_settings(llm_settings: Any) -> openai.OpenAI:
    """The real client for the configured endpoint. Retries are ours, so the client's are off."""
    import openai

    if not llm_settings.base_url:
        raise LLMError(
            "No LLM endpoint is configured. Set one with "
            "`notes-app config set llm.base_url http://localhost:11434/v1` (Ollama) "
            "and `notes-app config set llm.model NAME`, or use --offline."
        )
    return openai.OpenAI(
        base_url=llm_settings.base_url,
        api_key=llm_settings.api_key or NO_KEY,
        timeout=float(llm_settings.timeout),
        max_retries=0,
    )


class LLMClient:
    """Chat with one model at one endpoint.

    ``client`` is an ``openai.OpenAI``; ``sleep`` is injected so a caller can observe waits.
    """

    def __init__(
        self,
        client: openai.OpenAI,
        *,
        model: str,
        max_retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float = 60.0,
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
        self._format = FORMAT_SCHEMA  # lowered once a server turns a format down

    @classmethod
    def from_settings(cls, llm_settings: Any, **kwargs: Any) -> LLMClient:
        return cls(
            openai_from_settings(llm_settings),
            model=llm_settings.model,
            max_retries=llm_settings.max_retries,
            **kwargs,
        )

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
        """Send one chat; with ``on_text`` the reply is streamed and each piece passed to it.

        With ``schema`` the server is asked for JSON matching it, in the strongest form it
        accepts; the reply text is returned as is (see ``chat_json`` to parse it).
        """
        import openai

        while True:
            fmt = self._format if schema is not None else FORMAT_TEXT
            params = self._params(messages, fmt, schema, max_tokens, temperature)
            try:
                return self._with_retries(params, on_text)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as e:
                # 400 from most servers, 422 from FastAPI-based ones, for an unknown format
                if fmt == FORMAT_TEXT or not _about_format(e):
                    raise self._explain(e) from None
                self._format = _FORMATS[_FORMATS.index(fmt) + 1]
            except openai.APIError as e:
                raise self._explain(e) from None

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
            return sorted(m.id for m in self.client.models.list())
        except openai.APIError as e:
            raise self._explain(e, listing=True) from None

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
                if attempt >= self.max_retries:
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
        if on_text is None:
            response = self.client.chat.completions.create(**params)
            choice = response.choices[0] if response.choices else None
            text = (choice.message.content or "") if choice else ""
            return ChatReply(text, choice.finish_reason if choice else None, self.model)
        stream = self.client.chat.completions.create(**params, stream=True)
        return self._collect(stream, on_text)

    def _collect(self, stream: Iterable[Any], on_text: Callable[[str], None]) -> ChatReply:
        pieces: list[str] = []
        finish: str | None = None
        for chunk in stream:
            for choice in chunk.choices or ():
                piece = getattr(choice.delta, "content", None) if choice.delta else None
                if piece:
                    pieces.append(piece)
                    on_text(piece)
                finish = choice.finish_reason or finish
        return ChatReply("".join(pieces), finish, self.model)

    # --- errors a user can act on -------------------------------------------------------------

    def _explain(self, e: openai.APIError, *, listing: bool = False) -> LLMError:
        import openai

        where = f"The LLM endpoint {self.endpoint}"
        if isinstance(e, openai.APITimeoutError):
            return LLMError(
                f"{where} did not answer within {_timeout(self.client)}. A local model may still "
                "be loading: try again, or allow longer with "
                "`notes-app config set llm.timeout 300`."
            )
        if isinstance(e, openai.APIConnectionError):
            return LLMError(
                f"Cannot connect to {where[4:]}. Is the server running (for Ollama: "
                "`ollama serve`)? Check the address with `notes-app config get llm.base_url`."
            )
        status = getattr(e, "status_code", None)
        detail = self._redact(_server_message(e))
        if status in (401, 403):
            return LLMError(
                f"{where} refused the API key (HTTP {status}). Set the right key with "
                "`notes-app config set llm.api_key YOUR_KEY` or the NOTES_APP_LLM_API_KEY "
                "environment variable."
            )
        if status == 404 and not listing:
            return LLMError(
                f"{where} does not know the model {self.model!r} (HTTP 404). " + self._models_hint()
            )
        if status == 404:
            return LLMError(
                f"{where} has no model list (HTTP 404 on /models). Check llm.base_url: "
                "OpenAI-compatible servers usually end in /v1."
            )
        if status == 429:
            return LLMError(
                f"{where} is limiting requests (HTTP 429) and still was after "
                f"{self.max_retries} retries. Wait a minute and try again, check your plan's "
                "limits, or use --fallback offline."
            )
        if status is not None and status >= 500:
            return LLMError(
                f"{where} had a server error (HTTP {status}: {detail}). Check the server's log "
                "or try again later; --fallback offline gives offline notes meanwhile."
            )
        return LLMError(
            f"{where} rejected the request (HTTP {status}: {detail}). Check llm.model and "
            "llm.base_url with `notes-app doctor`."
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
        key = getattr(self.client, "api_key", "") or ""
        if key and key != NO_KEY and key in text:
            text = text.replace(key, "****")
        return text


def _endpoint(client: openai.OpenAI) -> str:
    return str(client.base_url).rstrip("/")


def _timeout(client: openai.OpenAI) -> str:
    t = getattr(client, "timeout", None)
    if isinstance(t, (int, float)):
        return f"{t:g} s"
    read = getattr(t, "read", None)
    return f"{read:g} s" if isinstance(read, (int, float)) else "the configured timeout"


def _server_message(e: openai.APIError) -> str:
    body = getattr(e, "body", None)
    message = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
    text = str(message or getattr(e, "message", "") or type(e).__name__)
    return text if len(text) <= 200 else text[:200] + "…"


def _about_format(e: openai.APIStatusError) -> bool:
    """Did the server turn down ``response_format`` (rather than the request as a whole)?"""
    text = (_server_message(e) + " " + str(getattr(e, "body", ""))).lower()
    return any(
        word in text
        for word in ("response_format", "json_schema", "json_object", "response format", "schema")
    )
