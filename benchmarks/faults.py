"""How failures end, on loopback: model-server faults, and malformed requests at every door.

    python -m benchmarks.faults                        # both tables (about a minute)
    python -m benchmarks.faults --part faults          # model-server faults only
    python -m benchmarks.faults --part inputs -v       # malformed requests, one line each
    python -m benchmarks.faults --request-timeout 5    # a quicker "hang" row

Faults: a loopback fault server acts out one fault per model name (429, hang, dropped
stream, 401, 500, a proxy's HTML page, a login page, garbage, an empty body, a slow first
byte); an ``Assistant`` over three small posts asks it through the ``openai`` backend with
the configured timeouts and retries. Each row is the time from the question to the answer,
who answered, and the notice it carries. Inputs: ``python -m assistant serve`` is started on
a free 127.0.0.1 port over the same posts and stopped by its PID afterwards; 50-odd
malformed requests at REST and ``/v1`` are counted as 4xx with a clear message, 4xx
without one, 2xx (accepted, listed), 5xx and hangs. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx

from benchmarks.common import REPO, note, run_cli
from benchmarks.http_search import free_port

__all__ = ["FAULTS", "MALFORMED", "FaultServer", "Probe", "classify", "main", "run_faults",
           "run_inputs"]

QUESTION = "Will Napo members be balloted on industrial action over the pay freeze?"
GOOD = "Napo members will be balloted on industrial action over the pay freeze [1]. "
UNFINISHED = "The union says six years [1] of"
POSTS = {
    "ballot.txt": "Monday 3 March 2014\n\nUnions Ballot Over Pay\n\nNapo members will be "
                  "balloted on industrial action over the pay freeze. The union says six "
                  "years of frozen pay is too long.\n",
    "trident.txt": "Tuesday 4 March 2014\n\nTrident Contract Awarded\n\nThe shipyard contract "
                   "went to a defence company. It has nothing to do with probation.\n",
    "caseloads.txt": "Wednesday 5 March 2014\n\nCaseloads\n\nOfficers report caseloads of "
                     "sixty or more since the split of the service.\n",
}
PROXY_PAGE = (b"<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad "
              b"Gateway</h1></center><hr><center>nginx</center></body></html>")
LOGIN_PAGE = (b"<!DOCTYPE html><html><head><title>Sign in - Corporate SSO</title></head>"
              b"<body><form method=post><input name=user></form></body></html>")


def _sse(*deltas: str, done: bool = True) -> bytes:
    events = [{"choices": [{"index": 0, "delta": {"content": d}}]} for d in deltas]
    body = b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events)
    return body + (b"data: [DONE]\n\n" if done else b"")


@dataclass(frozen=True)
class Fault:
    """What the fault server does for one model name: ``label`` says it in the table."""

    label: str
    status: int = 200
    content_type: str = "text/event-stream"
    body: bytes = b""
    delay: float = 0.0  # seconds of silence before the status line
    hang: bool = False  # never answer (until the server stops)
    headers: tuple[tuple[str, str], ...] = ()


SLOW_S = 3.0  # the slow first byte: slower than a healthy server, within any timeout used
FAULTS: dict[str, Fault] = {  # model name -> fault
    "healthy": Fault("healthy (baseline)", body=_sse(GOOD)),
    "rate-limit": Fault("429 rate limit, Retry-After 1", 429, "application/json",
                        b'{"error": {"message": "Rate limit reached"}}',
                        headers=(("Retry-After", "1"),)),
    "hang": Fault("hang (accepts, sends nothing)", hang=True),
    "drop-early": Fault("stream dropped mid-sentence", body=_sse(UNFINISHED, done=False)),
    "drop-late": Fault("stream dropped after a sentence", body=_sse(GOOD, UNFINISHED,
                                                                    done=False)),
    "unauthorized": Fault("401 key rejected", 401, "application/json",
                          b'{"error": {"message": "Incorrect API key provided"}}'),
    "server-error": Fault("500 server error", 500, "application/json",
                          b'{"error": "internal failure"}'),
    "proxy-page": Fault("502 proxy HTML page", 502, "text/html", PROXY_PAGE),
    "login-page": Fault("200 login page (text/html)", 200, "text/html; charset=utf-8",
                        LOGIN_PAGE),
    "garbage": Fault("garbage body", 200, "application/octet-stream", bytes(range(256)) * 8),
    "garbage-events": Fault("garbage events", body=b"data: {{{not json\n\n"),
    "empty": Fault("empty body"),
    "slow": Fault(f"slow first byte ({SLOW_S:g} s)", body=_sse(GOOD), delay=SLOW_S),
}


class FaultServer:
    """On 127.0.0.1: the request's ``model`` names the fault acted out (``FAULTS``)."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                fault = FAULTS[body["model"]]
                if fault.hang or server.stopping.wait(fault.delay):
                    server.stopping.wait(600)
                    return
                self.send_response(fault.status)
                self.send_header("Content-Type", fault.content_type)
                for name, value in fault.headers:
                    self.send_header(name, value)
                self.send_header("Connection", "close")  # the body ends when it closes
                self.end_headers()
                self.wfile.write(fault.body)
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass(frozen=True)
class Probe:
    """One malformed request: ``body`` is sent as JSON, ``raw`` as bytes with ``ctype``."""

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


def _ask(label: str, body: object, path: str = "/ask") -> Probe:
    return Probe("REST /ask", label, "POST", path, body)


def _search(label: str, **params: object) -> Probe:
    return Probe("REST /search", label, "GET", "/search", params=params)


def _v1(label: str, body: object, accepted: str = "") -> Probe:
    return Probe("/v1 chat", label, "POST", "/v1/chat/completions", body, accepted=accepted)


def _user(content: object, **extra: object) -> dict:
    return {"model": "blog-archive", "messages": [{"role": "user", "content": content}],
            **extra}


_Q = "pay freeze ballot"
_DEFAULT_MODEL = "an unknown model name gets the default backend (clients send their own)"
MALFORMED: tuple[Probe, ...] = (
    Probe("REST /ask", "body not JSON", "POST", "/ask", raw=b"question=pay"),
    Probe("REST /ask", "truncated JSON", "POST", "/ask", raw=b'{"question": "pay'),
    Probe("REST /ask", "empty body", "POST", "/ask", raw=b""),
    Probe("REST /ask", "JSON under text/plain", "POST", "/ask", raw=b'{"question": "pay"}',
          ctype="text/plain"),
    _ask("a JSON array", [1, 2]),
    _ask("no question", {}),
    _ask("question a number", {"question": 42}),
    _ask("question null", {"question": None}),
    _ask("question a list", {"question": ["pay"]}),
    _ask("empty question", {"question": ""}),
    _ask("blank question", {"question": " \n\t "}),
    _ask("question of 4,001 characters", {"question": "pay " * 1000 + "x"}),
    _ask("question of 1 MB", {"question": "x" * 1_000_000}),
    _ask("k = 0", {"question": _Q, "k": 0}),
    _ask("k a word", {"question": _Q, "k": "five"}),
    _ask("k = 10^12", {"question": _Q, "k": 10**12}),
    _ask("k = 3.7", {"question": _Q, "k": 3.7}),
    _ask("since 2014-13-45", {"question": _Q, "filters": {"since": "2014-13-45"}}),
    _ask("since 'yesterday'", {"question": _Q, "filters": {"since": "yesterday"}}),
    _ask("until a number", {"question": _Q, "filters": {"until": 20140101}}),
    _ask("kind 'poems'", {"question": _Q, "filters": {"kind": "poems"}}),
    _ask("unknown field", {"question": _Q, "colour": "red"}),
    _ask("unknown filter", {"question": _Q, "filters": {"tag": "pay"}}),
    _ask("filters a string", {"question": _Q, "filters": "post"}),
    _ask("history a string", {"question": _Q, "history": "earlier"}),
    _ask("history role 'wizard'", {"question": _Q, "history": [{"role": "wizard",
                                                                "content": "x"}]}),
    _ask("history turn without content", {"question": _Q, "history": [{"role": "user"}]}),
    _ask("backend a path", {"question": _Q, "backend": "../../etc/passwd"}),
    _ask("backend llamacpp:/etc/passwd", {"question": _Q, "backend": "llamacpp:/etc/passwd"}),
    _ask("backend at a metadata URL", {"question": _Q,
                                       "backend": "openai:gpt@http://169.254.169.254/v1"}),
    _ask("backend file://", {"question": _Q, "backend": "file:///etc/passwd"}),
    _ask("stream=maybe", {"question": _Q}, path="/ask?stream=maybe"),
    _search("no q"),
    _search("empty q", q=""),
    _search("k = -1", q=_Q, k=-1),
    _search("k a word", q=_Q, k="abc"),
    _search("mode 'magic'", q=_Q, mode="magic"),
    _search("since 2014-02-30", q=_Q, since="2014-02-30"),
    _search("kind 'poems'", q=_Q, kind="poems"),
    _search("q of 5,000 characters", q="x" * 5000),
    Probe("/v1 chat", "body not JSON", "POST", "/v1/chat/completions", raw=b"hello"),
    _v1("empty object", {}),
    _v1("messages a string", {"messages": "hi"}),
    _v1("no messages", {"messages": []}),
    _v1("message without content", {"messages": [{"role": "user"}]}),
    _v1("only a system message", {"messages": [{"role": "system", "content": "x"}]}),
    _v1("content a number", _user(42)),
    _v1("content only an image", _user([{"type": "image_url",
                                         "image_url": {"url": "http://127.0.0.1/x.png"}}])),
    _v1("blank content", _user("   ")),
    _v1("content of 1 MB", _user("x" * 1_000_000)),
    _v1("model a path", {**_user(_Q), "model": "../../../etc/passwd"}, _DEFAULT_MODEL),
    _v1("model naming a GGUF path", {**_user(_Q), "model": "blog-archive:llamacpp:/etc/shadow"},
        _DEFAULT_MODEL),
    _v1("stream 'yes'", _user(_Q, stream="yes"), "pydantic reads 'yes' as true: a stream"),
    _v1("k = 0", _user(_Q, k=0)),
    _v1("since 'not a date'", _user(_Q, filters={"since": "not a date"})),
    Probe("/v1 chat", "GET instead of POST", "GET", "/v1/chat/completions"),
)


def classify(response: httpx.Response) -> tuple[str, str]:
    """``(outcome, message)``: "2xx", "5xx", or a 4xx whose message is "clear" (names the
    problem: FastAPI's field and reason, the ValueError, OpenAI's ``error.message``)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    message = ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        message = str(body["error"].get("message") or "")
    elif isinstance(body, dict) and isinstance(body.get("detail"), list):
        message = "; ".join(f"{'.'.join(map(str, d.get('loc', ())))}: {d.get('msg', '')}"
                            for d in body["detail"] if isinstance(d, dict))
    elif isinstance(body, dict):
        message = str(body.get("detail") or "")
    if response.status_code >= 500:
        return "5xx", message
    if response.status_code < 400:
        return "2xx", f"answered ({response.headers.get('content-type', '?')})"
    clear = len(message) >= 12 and message.lower() != "internal error"
    return ("clear" if clear else "unclear"), message


def write_posts(folder: Path) -> Path:
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in POSTS.items():
        (corpus / name).write_text(text)
    return corpus


def run_faults(settings, request_timeout: float) -> list[tuple[str, float, str, str]]:
    """``(fault, seconds to the answer, who answered, notice)`` per fault."""
    from assistant.answer.assistant import Assistant
    from assistant.llm import OpenAICompatBackend
    from assistant.search.retriever import Retriever

    assistant = Assistant(Retriever.open(settings.index_dir, settings=settings),
                          settings=settings)
    server = FaultServer()
    rows = []
    try:
        for fault in FAULTS:
            backend = OpenAICompatBackend(fault, server.base_url, api_key="sk-bench-not-a-key",
                                          request_timeout=request_timeout,
                                          connect_timeout=settings.connect_timeout)
            note(f"fault: {FAULTS[fault].label}")
            start = time.perf_counter()
            answer = assistant.ask(QUESTION, backend=backend)
            seconds = time.perf_counter() - start
            who = "model" if answer.backend.startswith("openai") else answer.backend
            rows.append((FAULTS[fault].label, seconds, who, answer.notice or "-"))
            backend.close()
    finally:
        server.close()
    return rows


def start_server(settings, port: int, log: Path) -> subprocess.Popen:
    """``python -m assistant serve`` on 127.0.0.1:``port``, ready; the caller stops it."""
    env = {**os.environ, "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir),
           "ASSISTANT_INDEX_DIR": str(settings.index_dir), "ASSISTANT_BACKEND": "extractive",
           "PYTHONPATH": str(REPO)}
    with log.open("w") as sink:
        proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--host",
                                 "127.0.0.1", "--port", str(port)], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=sink)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited:\n{log.read_text()[-2000:]}")
        try:
            health = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2, trust_env=False)
            if health.status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError("the server did not start within 180 s")


def stop(proc: subprocess.Popen) -> None:
    """Stop the server this script started, by its PID: SIGTERM, then SIGKILL after 15 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_inputs(settings, hang_after: float) -> list[tuple[Probe, str, int | None, str, float]]:
    """``(probe, outcome, status, message, seconds)`` per malformed request."""
    port = free_port()
    proc = start_server(settings, port, Path(tempfile.gettempdir()) / f"faults_{port}.log")
    rows = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=hang_after,
                          trust_env=False) as http:
            for probe in MALFORMED:
                start = time.perf_counter()
                try:
                    response = http.request(probe.method, probe.path, **probe.request())
                except httpx.TimeoutException:
                    rows.append((probe, "hang", None, "", time.perf_counter() - start))
                    continue
                outcome, message = classify(response)
                rows.append((probe, outcome, response.status_code, message,
                             time.perf_counter() - start))
    finally:
        stop(proc)
    return rows


def fault_table(rows, request_timeout: float) -> str:
    lines = [f"Model-server faults (openai backend, request timeout {request_timeout:g} s, "
             "3 attempts on 429/5xx)", "",
             "| fault | seconds to answer | answered by | notice |", "|---|---:|---|---|"]
    lines += [f"| {fault} | {seconds:.2f} | {who} | {notice.replace('|', '/')} |"
              for fault, seconds, who, notice in rows]
    return "\n".join(lines)


def input_table(rows, verbose: bool) -> str:
    doors = list(dict.fromkeys(probe.door for probe, *_ in rows))
    lines = ["Malformed requests at `python -m assistant serve` (127.0.0.1)", "",
             "| door | requests | 4xx, clear message | 4xx, unclear | 2xx (accepted) | 5xx "
             "| hangs | slowest |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for door in [*doors, "all"]:
        mine = [r for r in rows if door in ("all", r[0].door)]
        count = {k: sum(1 for r in mine if r[1] == k) for k in ("clear", "unclear", "2xx",
                                                               "5xx", "hang")}
        by_design = sum(1 for r in mine if r[1] == "2xx" and r[0].accepted)
        lines.append(f"| {door} | {len(mine)} | {count['clear']} | {count['unclear']} | "
                     f"{count['2xx']} ({by_design} by design) | {count['5xx']} | {count['hang']} | "
                     f"{max(r[4] for r in mine) * 1e3:.0f} ms |")
    shown = [r for r in rows if verbose or r[1] != "clear"]
    if shown:
        lines += ["", "| door | request | status | message |", "|---|---|---:|---|"]
        lines += [f"| {p.door} | {p.label} | {status or '-'} | {outcome}: "
                  f"{message[:110].replace('|', '/')}{'; ' + p.accepted if p.accepted else ''} |"
                  for p, outcome, status, message, _ in shown]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faults",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["all", "faults", "inputs"], default="all")
    parser.add_argument("--request-timeout", type=float, default=None,
                        help="seconds of silence before a model server counts as hung "
                             "(default: ASSISTANT_REQUEST_TIMEOUT, 30)")
    parser.add_argument("--hang-after", type=float, default=15.0,
                        help="seconds after which a request to the server counts as a hang")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every request")
    args = parser.parse_args(argv)

    def body() -> int:
        from assistant.index.build import build_index
        from assistant.settings import Settings

        # Loopback only: the backend's client honours proxy variables, so 127.0.0.1 bypasses.
        os.environ["NO_PROXY"] = ",".join(filter(None, [os.environ.get("NO_PROXY"),
                                                        "127.0.0.1"]))
        os.environ.pop("no_proxy", None)

        timeout = args.request_timeout or Settings.from_env().request_timeout
        if timeout <= SLOW_S + 1:
            raise ValueError(f"--request-timeout must exceed {SLOW_S + 1:g} s (the slow "
                             f"server's first byte comes after {SLOW_S:g} s)")
        with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
            corpus = write_posts(Path(tmp))
            settings = Settings.from_env(corpus_dir=corpus, index_dir=Path(tmp) / "index")
            note("indexing three posts…")
            build_index(corpus, settings.index_dir, settings=settings)
            tables = []
            if args.part in ("all", "faults"):
                tables.append(fault_table(run_faults(settings, timeout), timeout))
            if args.part in ("all", "inputs"):
                tables.append(input_table(run_inputs(settings, args.hang_after), args.verbose))
            print("\n\n".join(tables))
        return 0

    return run_cli(body)


if __name__ == "__main__":
    raise SystemExit(main())
