"""Malformed requests at the page's Gradio API (``python app.py``), and the page client the
uploads door (``benchmarks.malformed_uploads``) shares.

The page's endpoints (``/chat``, ``/search``, ``/ask``) are called as a program would, over
raw HTTP (``POST /gradio_api/call/<name>``, the result read from its event stream) and
through ``gradio_client``, with wrong types, missing and extra arguments, huge strings, bad
dates and an unknown name; then Gradio's own routes (the queue, uploads, the legacy
``/run``) get malformed bodies and unknown ids. An error event carrying a message that names
the problem is "clear"; Gradio's bare ``{"error": null}`` is not. Part of
``benchmarks.malformed``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.outcomes import Outcome, Probe, attempt, classify, is_clear, send
from benchmarks.servers import page_server

__all__ = ["API_DOOR", "CACHE", "CALLS", "UPLOAD_LIMIT_MB", "Call", "PageSession", "call_result",
           "error_outcome", "open_page", "reindex", "run_api", "search_call", "stream_result"]

API_DOOR = "Gradio API"
UPLOAD_LIMIT_MB = "0.25"  # the page's upload limit here: the oversized probe stays small
MESSAGE_CHARS = 2000  # of a result kept (the nothing-lost check reads a search's sources)
CACHE = "gradio-cache"  # Gradio's upload cache, under the benchmark's folder (removed with it)


@dataclass(frozen=True)
class PageSession:
    """A running page: its URL, a client, and the queue index of "Add and re-index"."""

    url: str
    http: httpx.Client
    fn_index: int


@dataclass(frozen=True)
class Call:
    """A call of a page endpoint: ``POST /gradio_api/call/<endpoint>`` with ``{"data":
    data}`` (or ``raw`` bytes), or (``client``) ``gradio_client``'s ``predict(*data)``."""

    label: str
    endpoint: str
    data: object = None
    raw: bytes | None = None
    client: bool = False
    says: str = ""  # what an accepted answer must say
    accepted: str = ""


def search_call(label: str, *, client: bool = False, **changes: object) -> Call:
    args = {"query": "pay freeze ballot", "k": 5, "since": "", "until": "", "kind": "both",
            "author": "", **changes}
    return Call(label, "search", list(args.values()), client=client)


_BIG = "x" * 1_000_000
_IN_WORDS = "/chat answers in its own words, as the page's chat does"
CALLS: tuple[Call, ...] = (
    search_call("k a word", k="five"),
    search_call("k = 0", k=0),
    search_call("k = -1", k=-1),
    search_call("k = 10^12", k=10**12),
    search_call("k = 3.7", k=3.7),
    search_call("k null", k=None),
    search_call("since 2014-13-45", since="2014-13-45"),
    search_call("since 'yesterday'", since="yesterday"),
    search_call("until a number", until=20140101),
    search_call("kind 'poems'", kind="poems"),
    search_call("query a number", query=42),
    search_call("query null", query=None),
    search_call("query a list", query=["pay"]),
    search_call("query of 1 MB", query=_BIG),
    search_call("author an object", author={"name": "x"}),
    Call("only the query (5 arguments missing)", "search", ["pay freeze"]),
    Call("no arguments", "search", []),
    Call("seven arguments", "search", ["pay", 5, "", "", "both", "", "extra"],
         accepted="Gradio ignores inputs beyond an endpoint's parameters (blocks.py says so)"),
    Call("data not a list", "search", "pay"),
    Call("data an object", "search", {"query": "pay"}),
    Call("body not JSON", "search", raw=b"query=pay"),
    Call("empty body", "search", raw=b""),
    Call("chat: empty question", "chat", [""], says="Please ask a question.",
         accepted=_IN_WORDS),
    Call("chat: question of 1 MB", "chat", [_BIG], says="is too long",
         accepted=_IN_WORDS),
    Call("chat: question a number", "chat", [42]),
    Call("ask: blank question", "ask", ["   "]),
    Call("ask: question an object", "ask", [{"question": "pay"}]),
    Call("ask: question of 1 MB", "ask", [_BIG]),
    Call("unknown endpoint", "delete_archive", ["pay"]),
    search_call("client: k = 0", client=True, k=0),
    search_call("client: since 2014-13-45", client=True, since="2014-13-45"),
    Call("client: blank question", "ask", ["   "], client=True),
)


def _routes(fn_index: int) -> tuple[Probe, ...]:
    """Gradio's own routes, malformed (``fn_index``: the page's "Add and re-index")."""
    def probe(label: str, method: str, path: str, body: object = None, **kw: object) -> Probe:
        return Probe(API_DOOR, label, method, path, body, **kw)

    join = "/gradio_api/queue/join"
    return (
        probe("queue join without a session", "POST", join, {"data": [], "fn_index": 0}),
        probe("queue join, unknown fn_index", "POST", join,
              {"data": [], "fn_index": 9999, "session_hash": "probe"}),
        probe("queue join, fn_index a word", "POST", join,
              {"data": [], "fn_index": "reindex", "session_hash": "probe"}),
        probe("queue join, body not JSON", "POST", join, raw=b"{fn_index: 1"),
        probe("queue join, data not a list", "POST", join,
              {"data": "x", "fn_index": fn_index, "session_hash": "probe"}),
        probe("legacy /run with k = 0", "POST", "/gradio_api/run/search",
              {"data": ["pay", 0, "", "", "both", ""]}),
        probe("upload, not multipart", "POST", "/gradio_api/upload", {"files": "x"}),
        probe("upload, broken multipart", "POST", "/gradio_api/upload", raw=b"--zz\r\nxx",
              ctype="multipart/form-data; boundary=zz",
              accepted="a body without a whole file part uploads nothing: []"),
    )


# ---------------------------------------------------------------- the event stream

def stream_result(lines: Iterable[str], event_id: str | None = None) -> tuple[str, object]:
    """``("complete" | "error", data)`` from Gradio's event stream: ``/call/<name>/<id>``
    (``event:`` and ``data:`` lines) or the queue's ``/queue/data`` (``process_completed``
    messages, of ``event_id`` when given); ``("", None)`` if it ended without one."""
    event = ""
    for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = json.loads(line[5:].strip() or "null")
            if event in ("complete", "error"):
                return event, data
            if isinstance(data, dict) and data.get("msg") == "process_completed" and \
                    event_id in (None, data.get("event_id")):
                output = data.get("output") or {}
                return ("complete", output.get("data")) if data.get("success") else \
                    ("error", output)
    return "", None


def error_outcome(data: object) -> tuple[str, str]:
    """``(outcome, message)`` of an error event's data (``{"error": message | null}``)."""
    message = data.get("error") if isinstance(data, dict) else data
    if message is None:
        return "unclear", "a bare error event (no message)"
    return ("clear" if is_clear(message) else "unclear"), str(message)


def call_result(http: httpx.Client, call: Call) -> tuple[str, str, str]:
    """``(outcome, status, message)`` of a raw-HTTP call."""
    path = f"/gradio_api/call/{call.endpoint}"
    response = (http.post(path, content=call.raw, headers={"Content-Type": "application/json"})
                if call.raw is not None else http.post(path, json={"data": call.data}))
    if response.status_code != 200 or "event_id" not in response.text:
        kind, message = classify(response)
        return kind, str(response.status_code), message
    event_id = response.json()["event_id"]
    with http.stream("GET", f"{path}/{event_id}") as stream:
        event, data = stream_result(stream.iter_lines())
    if event == "complete":
        text = str(data)[:MESSAGE_CHARS]
        ok = not call.says or call.says in text
        return ("accepted" if ok else "unclear"), "complete", text
    if not event:
        return "hang", "-", "the result stream ended without a result"
    kind, message = error_outcome(data)
    return kind, "error event", message


def _client_call(url: str, call: Call) -> tuple[str, str, str]:
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(url, verbose=False, download_files=False)
    try:
        result = client.predict(*call.data, api_name=f"/{call.endpoint}")
    except AppError as exc:
        return ("clear" if is_clear(exc.message) else "unclear"), "AppError", exc.message
    finally:
        client.close()
    return "accepted", "result", str(result)[:160]


def _run_call(http: httpx.Client, url: str, call: Call) -> Outcome:
    return attempt(API_DOOR, call.label, call.accepted,
                   lambda: _client_call(url, call) if call.client else call_result(http, call))


def reindex(http: httpx.Client, fn_index: int, files: list[dict]) -> tuple[str, object]:
    """The Archive tab's "Add and re-index" with ``files``, joined on the queue as the
    browser joins it; its ``stream_result``."""
    session = uuid.uuid4().hex
    joined = http.post("/gradio_api/queue/join", json={
        "data": [files], "fn_index": fn_index, "session_hash": session, "trigger_id": None,
        "event_data": None})
    joined.raise_for_status()
    with http.stream("GET", f"/gradio_api/queue/data?session_hash={session}") as stream:
        return stream_result(stream.iter_lines(), joined.json()["event_id"])


@contextmanager
def open_page(settings, folder: Path, hang_after: float = 15.0) -> Iterator[PageSession]:
    """``python app.py`` over ``settings`` (uploads limited to ``UPLOAD_LIMIT_MB``, Gradio's
    cache under ``folder``), and a client for it; stopped on exit."""
    env = {"ASSISTANT_MAX_UPLOAD_MB": UPLOAD_LIMIT_MB, "GRADIO_TEMP_DIR": str(folder / CACHE)}
    # No keep-alive: a 500 closes Gradio's connection, which must not fail the next probe.
    with page_server(settings, env) as url, \
            httpx.Client(base_url=url, timeout=hang_after, trust_env=False,
                         limits=httpx.Limits(max_keepalive_connections=0)) as http:
        fn_index = next(d["id"] for d in http.get("/config").json()["dependencies"]
                        if d.get("api_name") == "reindex")
        yield PageSession(url, http, fn_index)


def _unknown_event(http: httpx.Client) -> Outcome:
    """The result stream of an event id that never existed: an error event, then its end."""
    start = time.perf_counter()
    try:
        with http.stream("GET", "/gradio_api/call/search/no-such-event") as stream:
            event, data = stream_result(stream.iter_lines())
            status = str(stream.status_code)
        kind, message = error_outcome(data) if event == "error" else ("unclear", str(data))
    except httpx.TransportError as exc:
        kind, status, message = "crash", "-", f"connection dropped: {type(exc).__name__}"
    return Outcome(API_DOOR, "result of an unknown event", kind, status, message,
                   time.perf_counter() - start)


def run_api(page: PageSession) -> list[Outcome]:
    """Every ``CALLS`` call, then Gradio's routes, malformed."""
    outcomes = [_run_call(page.http, page.url, call) for call in CALLS]
    outcomes += [send(page.http, probe) for probe in _routes(page.fn_index)]
    return [*outcomes, _unknown_event(page.http)]
