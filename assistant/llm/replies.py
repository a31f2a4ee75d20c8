"""Reading a model server's reply: its event stream, its ``Retry-After``, and what a body
that is no event stream is, in a message that says so.

An OpenAI-compatible server answers a streamed request with server-sent events. What else
arrives in practice: a proxy's HTML error page (502), a login page with status 200 and
``text/html``, a JSON completion from a server that ignores ``stream``, a JSON error, an
empty body, bytes that are nothing at all. Each is named here ("answered with an HTML page,
not JSON (status 200, text/html, page title 'Sign in')"): read as an event stream, an HTML
page used to be reported as "connection closed by the server".
"""

from __future__ import annotations

import email.utils
import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from assistant.llm.base import BackendError, BackendUnavailable
from assistant.records import TokenUsage

__all__ = [
    "MAX_BODY_CHARS",
    "ReplyInfo",
    "body_kind",
    "completion_text",
    "delta_text",
    "error_text",
    "html_error",
    "html_page",
    "is_sse_line",
    "iter_sse_data",
    "quote_body",
    "retry_delay",
    "unexpected_body",
    "usage_of",
]

MAX_BODY_CHARS = 65_536  # read of a body that is not an event stream, to say what it is

_SSE_LINE = re.compile(r"^(?::|(?:data|event|id|retry)(?::|$))")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.I | re.S)
_HTML_START = re.compile(r"^\s*(?:<!doctype\s+html|<html|<head|<body|<!--|<\?xml[^>]*>\s*<html)",
                         re.I)
_BINARY_SHARE = 0.05  # more control characters than this: binary, not text worth quoting


def iter_sse_data(lines: Iterable[str]) -> Iterator[str]:
    """Yield the ``data`` payload of each complete server-sent event in ``lines``.

    Follows the SSE rules: events end at a blank line, several ``data:`` lines join with
    newlines, ``:`` lines are comments, other fields are ignored. An unterminated event at
    the end is dropped (it may be truncated) unless it is ``[DONE]``.
    """
    data: list[str] = []
    for raw in lines:
        line = raw.rstrip("\r\n")
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if field == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data and "\n".join(data).strip() == "[DONE]":
        yield "[DONE]"


def retry_delay(
    retry_after: str | None, attempt: int, *, backoff: float = 0.5, cap: float = 30.0
) -> float:
    """Seconds to wait before retry ``attempt`` (1-based): ``Retry-After`` if given, capped;
    otherwise ``backoff * 2**(attempt-1)``, capped."""
    if retry_after:
        value = retry_after.strip()
        try:
            return max(0.0, min(float(value), cap))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            seconds = (when - datetime.now(timezone.utc)).total_seconds()
            return max(0.0, min(seconds, cap))
    return min(backoff * 2 ** (attempt - 1), cap)


def is_sse_line(line: str) -> bool:
    """Whether ``line`` is a server-sent-event field (``data:``, ``event:``…) or comment."""
    return bool(_SSE_LINE.match(line))


def html_page(content_type: str, text: str) -> str | None:
    """``"page title 'Sign in'"`` (or ``"no page title"``) when ``text`` is an HTML page,
    else None. The content type alone decides when it says ``html``."""
    if "html" not in content_type.lower() and not _HTML_START.match(text):
        return None
    match = _TITLE.search(text)
    title = " ".join(html.unescape(match.group(1)).split())[:80] if match else ""
    return f"page title {title!r}" if title else "no page title"


def quote_body(text: str) -> str:
    """``text`` quoted for a message (its first 160 characters), or described when binary."""
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\n\r")
    if text and (controls / min(len(text), 4096) > _BINARY_SHARE or "\ufffd" in text[:4096]):
        return f"{len(text)} characters of binary data"
    return repr(" ".join(text.split())[:160])


def body_kind(content_type: str, text: str) -> str:
    """What a body is, for a message: ``an HTML page, not JSON (page title '…')``, ``an empty
    body``, ``JSON that is not a chat completion: …``, ``text that is neither JSON nor an
    event stream: …``."""
    page = html_page(content_type, text)
    if page:
        return f"an HTML page, not JSON ({page})"
    if not text.strip():
        return "an empty body"
    try:
        json.loads(text)
    except ValueError:
        return f"a body that is neither JSON nor an event stream: {quote_body(text)}"
    return f"JSON that is not a chat completion: {quote_body(text)}"


def _hint(status: int, api_key_env: str) -> str:
    """What to do about an HTML page answered with ``status``."""
    if status in (401, 403):
        return (f"A login page or an authenticating proxy is in the way: check the URL and "
                f"the key in {api_key_env}, or pick another backend.")
    if status == 404:
        return "Nothing answers at this path: check the base URL (it usually ends in /v1)."
    if status == 429 or status >= 500:
        return ("A proxy in front of the model server says it is down or overloaded: try "
                "again later or pick another backend.")
    return ("The URL serves web pages, not an OpenAI-compatible API, or a login page or proxy "
            "is in the way: check the base URL (it usually ends in /v1) or pick another "
            "backend.")


@dataclass(frozen=True)
class ReplyInfo:
    """A reply as the messages name it: where it came from, its status and content type."""

    url: str
    status: int
    content_type: str
    api_key_env: str = "OPENAI_API_KEY"  # named in the hint for a login page

    @property
    def kind(self) -> str:
        return self.content_type.split(";")[0].strip() or "no content type"


def html_error(reply: ReplyInfo, text: str, attempts: int = 1) -> BackendUnavailable | None:
    """The error for an HTML page (a proxy's error page, a login page), or None if ``text``
    is none."""
    page = html_page(reply.content_type, text)
    if page is None:
        return None
    tries = f", {attempts} attempts" if attempts > 1 else ""
    return BackendUnavailable(
        f"The model server at {reply.url} answered with an HTML page, not JSON (status "
        f"{reply.status}, {reply.kind}, {page}{tries}). {_hint(reply.status, reply.api_key_env)}")


def unexpected_body(reply: ReplyInfo, text: str) -> BackendError:
    """The error for a successful status whose body is no event stream and no completion."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("error"):
        return BackendError(f"{reply.url} reported an error: {error_text(body)[:300]}")
    return html_error(reply, text) or BackendUnavailable(
        f"The model server at {reply.url} answered with {body_kind(reply.content_type, text)} "
        f"(status {reply.status}, {reply.kind}); an OpenAI-compatible server streams "
        "server-sent events. Check the base URL (it usually ends in /v1) or pick another "
        "backend.")


def completion_text(text: str) -> str | None:
    """The answer of a non-streamed chat completion (a server that ignored ``stream``), or
    None when ``text`` is not one."""
    try:
        body = json.loads(text)
    except ValueError:
        return None
    choices = body.get("choices") if isinstance(body, dict) else None
    if not choices or not isinstance(choices, list) or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else choices[0].get("text")
    return content if isinstance(content, str) else None


def usage_of(body: dict[str, Any]) -> TokenUsage | None:
    """The ``usage`` counts of a completion or of a stream's usage chunk, if it has sound
    ones (whole numbers, not negative)."""
    usage = body.get("usage")
    if not isinstance(usage, dict):
        return None
    prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
    counts = (prompt, completion)
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in counts):
        return None
    return TokenUsage(prompt, completion)


def delta_text(event: dict[str, Any]) -> str:
    """The text of one streamed chunk (``choices[0].delta.content``, or ``.text``)."""
    choices = event.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        return ""
    choice = choices[0]
    delta = choice.get("delta")
    # Some servers stream completion-style chunks ({"text": …}) instead of deltas.
    content = delta.get("content") if isinstance(delta, dict) else choice.get("text")
    return content if isinstance(content, str) else ""


def error_text(event: dict[str, Any]) -> str:
    """The message of an ``{"error": …}`` body or event."""
    error = event.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error)
