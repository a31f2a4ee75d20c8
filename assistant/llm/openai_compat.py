"""Streaming client for OpenAI-compatible ``/chat/completions`` servers (httpx, no SDK).

Works with api.openai.com, llama.cpp's server, Ollama, vLLM and the like. ``httpx`` is
imported only when a request is made.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.llm.base import (
    BackendError,
    BackendTimeout,
    BackendUnavailable,
    Message,
    StreamInterrupted,
)
from assistant.llm.replies import (
    MAX_BODY_CHARS,
    ReplyInfo,
    completion_text,
    delta_text,
    error_text,
    html_error,
    is_sse_line,
    iter_sse_data,
    quote_body,
    retry_delay,
    unexpected_body,
    usage_of,
)
from assistant.records import TokenUsage

if TYPE_CHECKING:
    import httpx

__all__ = ["RETRYABLE_STATUSES", "HttpPolicy", "OpenAICompatBackend", "iter_sse_data",
           "retry_delay"]

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True)
class HttpPolicy:
    """How long to wait and how often to try: ``request_timeout`` bounds each wait for bytes
    (not the whole answer), ``connect_timeout`` connecting; up to ``max_attempts`` attempts
    on 429/5xx (honouring ``Retry-After`` up to ``max_retry_after`` s) and on connections
    dropped before any text, with exponential ``backoff``; ``sleep`` is swappable for tests.
    The defaults are ``Settings``' (``ASSISTANT_REQUEST_TIMEOUT``: 30 s without a byte)."""

    request_timeout: float = 30.0
    connect_timeout: float = 5.0
    max_attempts: int = 3
    max_retry_after: float = 30.0
    backoff: float = 0.5
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_attempts", max(1, self.max_attempts))


class OpenAICompatBackend:
    """A ``ChatBackend`` that streams from ``{base_url}/chat/completions``.

    Thread-safe: streams share one pooled ``httpx.Client``, made on first use (``close()``
    releases it; building one costs ~0.1 s for its TLS context). Makes up to
    ``max_attempts`` attempts on 429/5xx (honouring ``Retry-After``) and on dropped
    connections, only before any text was yielded. ``request_timeout`` bounds each wait
    for bytes (not the whole answer); ``connect_timeout`` bounds connecting.
    """

    def __init__(self, model: str, base_url: str, *, api_key: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", context_length: int = 8192,
                 **policy: Any) -> None:
        """``policy``: the fields of ``HttpPolicy`` (timeouts, attempts, back-off)."""
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.url = f"{self.base_url}/chat/completions"
        self.name = f"openai:{model}@{self.base_url}"
        self.context_length = context_length
        self.policy = HttpPolicy(**policy)
        self._api_key = api_key or None
        self._api_key_env = api_key_env
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()

    @property
    def request_timeout(self) -> float:
        return self.policy.request_timeout

    @property
    def connect_timeout(self) -> float:
        return self.policy.connect_timeout

    def __repr__(self) -> str:
        return f"OpenAICompatBackend({self.name!r})"

    def _http(self) -> httpx.Client:
        import httpx

        with self._client_lock:
            if self._client is None:
                timeout = httpx.Timeout(self.policy.request_timeout,
                                        connect=self.policy.connect_timeout)
                self._client = httpx.Client(timeout=timeout)
            return self._client

    def close(self) -> None:
        """Close pooled connections; a later ``stream`` opens new ones."""
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def stream(
        self,
        messages: list[Message],
        *,
        max_tokens: int = 512,
        temperature: float = 0.1,
        stop: list[str] | None = None,
    ) -> Generator[str, None, TokenUsage | None]:
        """Yield text deltas and return the server's token counts, if it sent them; see
        the class docstring for retries and errors."""
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "max_tokens": max_tokens,
            "temperature": temperature,
            # OpenAI, vLLM, llama.cpp's server and Ollama then end with a usage chunk
            "stream_options": {"include_usage": True},
        }
        if stop:
            payload["stop"] = stop
        headers = {"Accept": "text/event-stream"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        parts: list[str] = []
        counted: list[TokenUsage] = []
        for attempt in range(1, self.policy.max_attempts + 1):
            retry = yield from self._attempt(payload, headers, attempt, parts, counted)
            if retry is None:
                return counted[-1] if counted else None
            self.policy.sleep(retry)
        return None

    def _attempt(self, payload: dict[str, Any], headers: dict[str, str], attempt: int,
                 parts: list[str], counted: list[TokenUsage]) -> Iterator[str]:
        """One request: yields its text (and adds the usage it reports to ``counted``);
        returns None when done, or seconds to wait before the next attempt (a retryable
        status, or a dropped connection before any text)."""
        import httpx

        last = attempt >= self.policy.max_attempts
        try:
            with self._http().stream("POST", self.url, json=payload, headers=headers) as resp:
                if resp.status_code >= 400:
                    resp.read()
                    if resp.status_code in RETRYABLE_STATUSES and not last:
                        return self._delay(resp, attempt)
                    raise self._http_error(resp, attempt)
                yield from self._read_body(resp, parts, counted)
                return None
        except httpx.TimeoutException as exc:
            raise self._timeout_error(exc, parts) from None
        except httpx.ConnectError as exc:
            raise self._connect_error(exc) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.NetworkError) as exc:
            if not parts and not last:  # e.g. a stale pooled connection
                return retry_delay(None, attempt, backoff=self.policy.backoff)
            raise StreamInterrupted(
                f"The connection to {self.url} dropped after {len(''.join(parts))} "
                f"characters ({type(exc).__name__}: {exc or 'no detail'}).",
                "".join(parts),
            ) from None
        except httpx.HTTPError as exc:  # invalid URL, unsupported protocol, …
            raise BackendUnavailable(
                f"Request to {self.url} failed: {type(exc).__name__}: {exc}"
            ) from None

    def _read_body(self, resp: httpx.Response, parts: list[str],
                   counted: list[TokenUsage]) -> Iterator[str]:
        """The event stream, whatever the content type says; else the answer of a JSON
        completion, or an error naming what came instead (an HTML page, garbage, nothing).
        Decided on the first non-blank line, so a real stream is never held back."""
        lines = resp.iter_lines()
        first = next((line for line in lines if line.strip()), None)
        if first is not None and is_sse_line(first):
            yield from self._read_events(itertools.chain([first], lines), parts, counted)
            return
        body = [first or ""]
        size = len(body[0])
        for line in lines:
            if size > MAX_BODY_CHARS:
                break
            body.append(line)
            size += len(line) + 1
        text = "\n".join(body)
        answer = completion_text(text)
        if answer is None:
            raise unexpected_body(self._reply_info(resp), text)
        usage = usage_of(json.loads(text))
        if usage:
            counted.append(usage)
        if answer:
            parts.append(answer)
            yield answer

    def _read_events(self, lines: Iterable[str], parts: list[str],
                     counted: list[TokenUsage]) -> Iterator[str]:
        for data in iter_sse_data(lines):
            if data.strip() == "[DONE]":
                return
            try:
                event = json.loads(data)
            except json.JSONDecodeError:
                raise self._interrupted(
                    f"{self.url} sent an event that is not JSON: {data[:200]!r}", parts
                ) from None
            if not isinstance(event, dict):
                continue
            if event.get("error"):
                raise self._interrupted(
                    f"{self.url} reported an error mid-stream: {error_text(event)}", parts
                )
            usage = usage_of(event)
            if usage:
                counted.append(usage)
            text = delta_text(event)
            if text:
                parts.append(text)
                yield text
        raise self._interrupted(
            f"The stream from {self.url} ended before [DONE] (connection closed by the server).",
            parts,
        )

    @staticmethod
    def _interrupted(message: str, parts: list[str]) -> BackendError:
        return StreamInterrupted(message, "".join(parts))

    def _reply_info(self, resp: httpx.Response) -> ReplyInfo:
        return ReplyInfo(self.url, resp.status_code, resp.headers.get("content-type", ""),
                         self._api_key_env)

    def _delay(self, resp: httpx.Response, attempt: int) -> float:
        return retry_delay(
            resp.headers.get("Retry-After"),
            attempt,
            backoff=self.policy.backoff,
            cap=self.policy.max_retry_after,
        )

    def _http_error(self, resp: httpx.Response, attempts: int) -> BackendError:
        status = resp.status_code
        # A proxy's error page or a login page: say so, not "Server said: <html…".
        page = html_error(self._reply_info(resp), resp.text, attempts)
        if page:
            return page
        detail = _response_detail(resp)
        said = f" Server said: {detail}" if detail else ""
        if status in (401, 403):
            key = (
                f"set {self._api_key_env} to a valid key"
                if not self._api_key
                else f"check the key in {self._api_key_env}"
            )
            sent = "" if self._api_key else " (no API key was sent)"
            return BackendUnavailable(
                f"{self.base_url} rejected the API key (HTTP {status}){sent}; {key}, "
                f"or pick another backend.{said}"
            )
        if status == 404:
            return BackendUnavailable(
                f"Model {self.model!r} not found at {self.url} (HTTP 404). Check the model "
                f"name (list them at {self.base_url}/models) and that the base URL ends in "
                f"/v1.{said}"
            )
        if status in RETRYABLE_STATUSES:
            what = "is rate-limiting requests" if status == 429 else "is overloaded or failing"
            return BackendUnavailable(
                f"{self.base_url} {what} (HTTP {status}, {attempts} attempt"
                f"{'s' if attempts != 1 else ''}). Try again later or pick another backend."
                f"{said}"
            )
        return BackendError(f"{self.url} refused the request (HTTP {status}).{said}")

    def _timeout_error(self, exc: httpx.TimeoutException, parts: list[str]) -> BackendError:
        import httpx

        if isinstance(exc, httpx.ConnectTimeout):
            return BackendTimeout(
                f"Could not connect to {self.base_url} within {self.connect_timeout:g} s "
                f"(connect timeout). Is the server reachable?"
            )
        message = (
            f"{self.base_url} sent nothing for {self.request_timeout:g} s (request timeout, "
            f"model {self.model!r})."
        )
        if parts:
            return StreamInterrupted(
                message + " The answer is incomplete; for a slow model, raise "
                "ASSISTANT_REQUEST_TIMEOUT.", "".join(parts))
        return BackendTimeout(
            message + " The server may be overloaded or the prompt too long; raise "
            "ASSISTANT_REQUEST_TIMEOUT or pick another backend."
        )

    def _connect_error(self, exc: Exception) -> BackendUnavailable:
        text = str(exc)
        lowered = text.lower()
        if "refused" in lowered:
            why = "connection refused"
        elif any(s in lowered for s in ("name or service", "nodename", "getaddrinfo", "resolve")):
            why = "host name not found"
        else:
            why = text or type(exc).__name__
        return BackendUnavailable(
            f"Could not connect to {self.base_url} ({why}). Is the server running? "
            f"Start it or pick another backend."
        )


def _response_detail(resp: httpx.Response) -> str:
    """What an error body says: its JSON ``error`` or ``detail``, else the text quoted (or
    described, when it is binary); "" for an empty body."""
    try:
        text = resp.text
    except Exception:  # undecodable: the status says enough
        return ""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("error"):
        return error_text(body)[:300]
    if isinstance(body, dict) and body.get("detail"):
        return str(body["detail"])[:300]
    return quote_body(text) if text.strip() else ""
