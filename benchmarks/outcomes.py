"""What a malformed request got back, judged the same way at every door (REST, ``/v1``, MCP,
the Gradio API, uploads): the records and rules ``benchmarks.malformed`` and its door
modules share.

A probe *holds* when the answer is a clear refusal (an error whose message names the
problem) or a success the probe declares right by design, with the reason. It fails when the
refusal says nothing useful ("unclear": Gradio's bare ``{"error": null}``, "internal error"),
when a success is not by design, on a 5xx, when the server died or dropped the connection
("crash"), and when nothing came back in time ("hang").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

__all__ = ["OUTCOMES", "Outcome", "Probe", "attempt", "classify", "is_clear", "send"]

# "damage": something indexed was lost, or a file was written outside where it belongs.
OUTCOMES = ("clear", "unclear", "accepted", "5xx", "crash", "hang", "damage")
# Messages that name no problem: what a server says when it hides the cause.
VAGUE = {"", "error", "internal error", "internal server error", "apperror", "none", "null",
         "bad request", "unprocessable entity", "not found"}
# The page's words for an exception it did not expect (``ui.errors.human_error``): long,
# but a bug report, not a refusal that names the problem.
UNEXPECTED = "something went wrong ("
MIN_CLEAR = 10  # "empty file", "k must be …": a cause takes more than a word or two


@dataclass(frozen=True)
class Outcome:
    """One probe's result: ``outcome`` one of ``OUTCOMES``; ``status`` what came back (an
    HTTP status, "tool error", a JSON-RPC code, "rejected", …)."""

    door: str
    label: str
    outcome: str
    status: str
    message: str = ""
    seconds: float = 0.0
    accepted: str = ""  # why a success is the right answer, when it is

    @property
    def held(self) -> bool:
        return self.outcome == "clear" or (self.outcome == "accepted" and bool(self.accepted))


def is_clear(message: object) -> bool:
    """Whether an error message names a problem (not empty, not a bare "internal error")."""
    text = str(message or "").strip()
    return (len(text) >= MIN_CLEAR and text.lower() not in VAGUE
            and UNEXPECTED not in text.lower())


def _message(body: object) -> str:
    """The error message of a JSON body: OpenAI's ``error.message``, FastAPI's ``detail``
    (a string, or its list of field errors as ``loc: msg``), Gradio's ``error``."""
    if not isinstance(body, dict):
        return ""
    if isinstance(body.get("error"), dict):
        return str(body["error"].get("message") or "")
    if isinstance(body.get("detail"), list):
        return "; ".join(f"{'.'.join(map(str, d.get('loc', ())))}: {d.get('msg', '')}"
                         for d in body["detail"] if isinstance(d, dict))
    return str(body.get("detail") or body.get("error") or "")


def classify(response: httpx.Response) -> tuple[str, str]:
    """``(outcome, message)`` of an HTTP response: "accepted" for 2xx/3xx, "5xx", else
    "clear" or "unclear" by its message (a JSON error, or a short plain-text body)."""
    try:
        message = _message(response.json())
    except ValueError:
        text = response.text.strip()
        message = text if len(text) < 300 and "<" not in text else ""
    if response.status_code >= 500:
        return "5xx", message
    if response.status_code < 400:
        return "accepted", (f"answered ({response.headers.get('content-type', '?')}): "
                            f"{response.text[:80]}")
    return ("clear" if is_clear(message) else "unclear"), message


@dataclass(frozen=True)
class Probe:
    """One malformed HTTP request: ``body`` is sent as JSON, ``raw`` as bytes with
    ``ctype``, else ``params`` as the query string."""

    door: str
    label: str
    method: str
    path: str
    body: object = None
    raw: bytes | None = None
    ctype: str = "application/json"
    params: dict | None = None
    accepted: str = ""  # why a 2xx is the right answer, when it is

    def request(self) -> dict:
        if self.raw is not None:
            return {"content": self.raw, "headers": {"Content-Type": self.ctype}}
        if self.body is not None:
            return {"json": self.body}
        return {"params": self.params or {}}


def attempt(door: str, label: str, accepted: str,
            call: Callable[[], tuple[str, str, str]]) -> Outcome:
    """The ``Outcome`` of ``call()`` -> ``(kind, status, message)``, timed: no response in
    time is a hang, a connection dropped before a whole response (or any other transport
    failure) a crash."""
    start = time.perf_counter()
    try:
        kind, status, message = call()
    except httpx.TimeoutException:
        kind, status, message = "hang", "-", "no response in time"
    except httpx.HTTPError as exc:
        kind, status, message = "crash", "-", f"connection dropped: {type(exc).__name__}: {exc}"
    return Outcome(door, label, kind, status, message, time.perf_counter() - start, accepted)


def send(http: httpx.Client, probe: Probe) -> Outcome:
    """``probe`` sent with ``http`` (whose timeout is the hang limit), judged by
    ``classify``."""
    def call() -> tuple[str, str, str]:
        response = http.request(probe.method, probe.path, **probe.request())
        kind, message = classify(response)
        return kind, str(response.status_code), message

    return attempt(probe.door, probe.label, probe.accepted, call)
