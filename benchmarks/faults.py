"""Model-server faults, on loopback: every fault ends in an answer whose notice names it.

    python -m benchmarks.faults                        # the table (about 40 s)
    python -m benchmarks.faults --request-timeout 5    # a quicker "hang" row

A loopback fault server acts out one fault per model name (429, hang, dropped stream, 401,
500, a proxy's HTML page, a login page, garbage, an empty body, a slow first byte); an
``Assistant`` over three small posts asks it through the ``openai`` backend with the
configured timeouts and retries. Each row is the time from the question to the answer, who
answered, and the notice it carries. ``checks`` is the trust harness's row: a fault holds
when a cited answer arrives from whom ``FAULTS`` expects (the model where the fault leaves it
a finished sentence, else the extractive answerer) with a notice naming the fault, within the
request timeout + ``MARGIN_S``. Nothing leaves 127.0.0.1. (Malformed requests at the
servers' doors: ``benchmarks.malformed``.)
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from benchmarks.common import Check, note, run_cli
from benchmarks.servers import loopback_only

__all__ = ["FAULTS", "MARGIN_S", "POSTS", "QUESTION", "QUICK_TIMEOUT_S", "Fault", "FaultRun",
           "FaultServer", "checks", "fault_check", "main", "run_faults", "small_archive",
           "verdict", "write_posts"]

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
QUICK_TIMEOUT_S = 5.0  # the quick run's request timeout: the hang row costs this much
# Beyond the request timeout: 3 attempts on 429/5xx with backoff and Retry-After 1 took
# 2.1 s at most here; a fault answered later than timeout + 5 s counts as hung.
MARGIN_S = 5.0


def _sse(*deltas: str, done: bool = True) -> bytes:
    events = [{"choices": [{"index": 0, "delta": {"content": d}}]} for d in deltas]
    body = b"".join(f"data: {json.dumps(e)}\n\n".encode() for e in events)
    return body + (b"data: [DONE]\n\n" if done else b"")


@dataclass(frozen=True)
class Fault:
    """What the fault server does for one model name: ``label`` says it in the table;
    ``answered`` and ``notice`` (a phrase of it; None: no notice) are what must follow."""

    label: str
    status: int = 200
    content_type: str = "text/event-stream"
    body: bytes = b""
    delay: float = 0.0  # seconds of silence before the status line
    hang: bool = False  # never answer (until the server stops)
    headers: tuple[tuple[str, str], ...] = ()
    answered: str = "extractive"
    notice: str | None = None


SLOW_S = 3.0  # the slow first byte: slower than a healthy server, within any timeout used
FAULTS: dict[str, Fault] = {  # model name -> fault
    "healthy": Fault("healthy (baseline)", body=_sse(GOOD), answered="model"),
    "rate-limit": Fault("429 rate limit, Retry-After 1", 429, "application/json",
                        b'{"error": {"message": "Rate limit reached"}}',
                        headers=(("Retry-After", "1"),),
                        notice="is rate-limiting requests (HTTP 429, 3 attempts)"),
    "hang": Fault("hang (accepts, sends nothing)", hang=True, notice="(request timeout"),
    "drop-early": Fault("stream dropped mid-sentence", body=_sse(UNFINISHED, done=False),
                        notice="cut off before its first sentence was complete"),
    "drop-late": Fault("stream dropped after a sentence", body=_sse(GOOD, UNFINISHED,
                                                                    done=False),
                       answered="model", notice="Its unfinished last sentence was left out."),
    "unauthorized": Fault("401 key rejected", 401, "application/json",
                          b'{"error": {"message": "Incorrect API key provided"}}',
                          notice="rejected the API key (HTTP 401)"),
    "server-error": Fault("500 server error", 500, "application/json",
                          b'{"error": "internal failure"}',
                          notice="is overloaded or failing (HTTP 500, 3 attempts)"),
    "proxy-page": Fault("502 proxy HTML page", 502, "text/html", PROXY_PAGE,
                        notice="answered with an HTML page, not JSON (status 502"),
    "login-page": Fault("200 login page (text/html)", 200, "text/html; charset=utf-8",
                        LOGIN_PAGE, notice="answered with an HTML page, not JSON (status 200"),
    "garbage": Fault("garbage body", 200, "application/octet-stream", bytes(range(256)) * 8,
                     notice="neither JSON nor an event stream"),
    "garbage-events": Fault("garbage events", body=b"data: {{{not json\n\n",
                            notice="sent an event that is not JSON"),
    "empty": Fault("empty body", notice="answered with an empty body"),
    "slow": Fault(f"slow first byte ({SLOW_S:g} s)", body=_sse(GOOD), delay=SLOW_S,
                  answered="model"),
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


def write_posts(folder: Path) -> Path:
    corpus = folder / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    for name, text in POSTS.items():
        (corpus / name).write_text(text)
    return corpus


def small_archive(folder: Path):
    """``Settings`` over ``POSTS`` written under ``folder``, indexed with the configured
    (real) embedder: the archive the fault, malformed-input and probe benchmarks share."""
    from assistant.index.build import build_index
    from assistant.settings import Settings

    corpus = write_posts(folder)
    settings = Settings.from_env(corpus_dir=corpus, index_dir=folder / "index")
    build_index(corpus, settings.index_dir, settings=settings)
    return settings


@dataclass(frozen=True)
class FaultRun:
    """One fault asked about: what came back, and how long it took."""

    fault: str
    seconds: float
    answered: str  # "model", "extractive", …
    notice: str | None
    citations: int
    refused: bool


def run_faults(settings, request_timeout: float) -> list[FaultRun]:
    """Each fault of ``FAULTS`` asked once, in order."""
    from assistant.answer.assistant import Assistant
    from assistant.llm import OpenAICompatBackend
    from assistant.search.retriever import Retriever

    assistant = Assistant(Retriever.open(settings.index_dir, settings=settings),
                          settings=settings)
    server = FaultServer()
    runs = []
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
            runs.append(FaultRun(fault, seconds, who, answer.notice, len(answer.citations),
                                 answer.refused))
            backend.close()
    finally:
        server.close()
    return runs


def verdict(run: FaultRun, deadline: float) -> str:
    """Why ``run`` does not hold ("" when it does): late, refused or uncited, answered by
    the wrong side, or a notice that is missing, unexpected or does not name the fault."""
    fault = FAULTS[run.fault]
    if run.seconds > deadline:
        return f"answered after {run.seconds:.1f} s (limit {deadline:g} s)"
    if run.refused or not run.citations:
        return "no cited answer"
    if run.answered != fault.answered:
        return f"answered by {run.answered}, expected {fault.answered}"
    if fault.notice is None:
        return f"unexpected notice: {run.notice}" if run.notice else ""
    if not run.notice or fault.notice not in run.notice:
        return f"notice {run.notice!r} does not say {fault.notice!r}"
    return ""


def fault_check(runs: list[FaultRun], request_timeout: float) -> Check:
    """The harness row: every fault answered as expected within timeout + ``MARGIN_S``."""
    deadline = request_timeout + MARGIN_S
    failures = tuple(f"{FAULTS[r.fault].label}: {why}" for r in runs
                     if (why := verdict(r, deadline)))
    slowest = max(runs, key=lambda r: r.seconds)
    hang = next((r for r in runs if r.fault == "hang"), None)
    also = (f"; hang {hang.seconds:.1f} s" if hang and hang is not slowest else "")
    figure = (f"slowest {slowest.seconds:.1f} s ({slowest.fault}){also} at a "
              f"{request_timeout:g} s request timeout; all within {deadline:g} s")
    return Check("model-server faults", len(runs), len(runs) - len(failures), figure, failures)


def checks(quick: bool = False) -> list[Check]:
    """One row: every fault of ``FAULTS`` (quick: a 5 s request timeout, so the hang costs
    5 s; otherwise the configured timeout, 30 s by default)."""
    from assistant.settings import Settings

    loopback_only()  # the backend's client honours proxy variables; 127.0.0.1 bypasses them
    timeout = QUICK_TIMEOUT_S if quick else Settings.from_env().request_timeout
    _check_timeout(timeout)
    with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
        runs = run_faults(small_archive(Path(tmp)), timeout)
    return [fault_check(runs, timeout)]


def _check_timeout(timeout: float) -> None:
    if timeout <= SLOW_S + 1:
        raise ValueError(f"the request timeout must exceed {SLOW_S + 1:g} s (the slow "
                         f"server's first byte comes after {SLOW_S:g} s), got {timeout:g}")


def fault_table(runs: list[FaultRun], request_timeout: float) -> str:
    deadline = request_timeout + MARGIN_S
    lines = [f"Model-server faults (openai backend, request timeout {request_timeout:g} s, "
             "3 attempts on 429/5xx)", "",
             "| fault | seconds to answer | answered by | held | notice |",
             "|---|---:|---|---|---|"]
    for run in runs:
        why = verdict(run, deadline)
        notice = (run.notice or "-").replace("|", "/")
        lines.append(f"| {FAULTS[run.fault].label} | {run.seconds:.2f} | {run.answered} | "
                     f"{'no: ' + why if why else 'yes'} | {notice} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.faults",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--request-timeout", type=float, default=None,
                        help="seconds of silence before a model server counts as hung "
                             "(default: ASSISTANT_REQUEST_TIMEOUT, 30)")
    args = parser.parse_args(argv)

    def body() -> int:
        from assistant.settings import Settings

        loopback_only()
        timeout = args.request_timeout or Settings.from_env().request_timeout
        _check_timeout(timeout)
        with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
            note("indexing three posts…")
            runs = run_faults(small_archive(Path(tmp)), timeout)
        check = fault_check(runs, timeout)
        print(fault_table(runs, timeout))
        print(f"\n{check.part}: {check.passed}/{check.trials} held; {check.figure}")
        return 0

    return run_cli(body)


if __name__ == "__main__":
    raise SystemExit(main())
