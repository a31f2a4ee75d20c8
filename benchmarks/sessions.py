"""Concurrent chat sessions with per-session canaries, and a new index version published under
load, against the real servers on 127.0.0.1.

    python -m benchmarks.sessions             # 20 sessions x 3 conversations (about 40 s)
    python -m benchmarks.sessions --quick     # 20 sessions x 1 conversation (CI: about 35 s)
    python -m benchmarks.sessions --sessions 6 --json

A temporary corpus holds one post per session, each about an invented organisation with a
made-up codeword and founding year (its canary), and a few shared background posts. The
index is built by ``python -m assistant index``; ``python -m assistant serve`` (REST, /v1)
and ``python app.py`` (the page) are started over it. Session i talks to one door: REST
``/ask`` (history sent by the client, JSON or server-sent events), ``/v1`` through the
``openai`` SDK (``messages``, streamed or not) or the page's chat through ``gradio_client``
(the server keeps the conversation in its per-session state). It asks for its codeword, then
"And when was it founded?", which names nothing and is answerable only from the history.

Cross-talk is detected, not assumed: every question retrieves one passage (``k=1``), so a
clean response can carry no other post; a session holds when every answer is well formed,
cites its own post, contains its codeword (and year), and nothing it received (answers,
streamed chunks, sources, the page's returned chat) names another session's canary.

Meanwhile a steady search burst runs at both servers; a post is added and the real CLI
indexes it. Each server is timed from that publish (``CURRENT``'s mtime) to its first answer
from the new version; no request may fail across the swap.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from benchmarks.canaries import CANARIES, FRESH, QUESTIONS, Canary, Session, write_corpus
from benchmarks.chats import DOORS, Reply, door_of, failure, open_chat, timed
from benchmarks.common import Check, note, run_cli
from benchmarks.fresh import Burst, Fresh, fresh_results, index_corpus
from benchmarks.servers import loopback_only, page_server, rest_server

__all__ = ["Run", "checks", "converse", "format_tables", "main", "rows", "run"]


def converse(canary: Canary, door: str, urls: dict[str, str], rounds: int) -> Session:
    """``rounds`` conversations of ``QUESTIONS``, each with a new client (the page: a new
    session); opening the client is not timed."""
    replies: list[Reply] = []
    for _ in range(rounds):
        try:
            chat = open_chat(door, urls, canary.session)
        except Exception as exc:  # a client that cannot connect fails its whole conversation
            replies += [failure(exc)] * len(QUESTIONS)
            continue
        try:
            replies += [timed(chat, q.format(org=canary.org)) for q in QUESTIONS]
        finally:
            chat.close()
    return Session(canary, door, tuple(replies))


# ---------------------------------------------------------------- the run

@contextmanager
def _servers(settings):
    """Both servers, started side by side (each loads the embedder: seconds)."""
    managers = {"REST": rest_server(settings), "page": page_server(settings)}
    with ExitStack() as stack, ThreadPoolExecutor(2) as pool:
        started = {name: pool.submit(m.__enter__) for name, m in managers.items()}
        urls, errors = {}, []
        for name, future in started.items():
            try:
                urls[name] = future.result()
                stack.push(managers[name].__exit__)
            except Exception as exc:
                errors.append(f"{name}: {exc}")
        if errors:
            raise RuntimeError(f"a server did not start: {'; '.join(errors)}")
        yield urls


@dataclass(frozen=True)
class Run:
    sessions: tuple[Session, ...]
    fresh: tuple[Fresh, ...]
    seconds: float


def run(quick: bool = False, count: int = len(CANARIES)) -> Run:
    """The sessions and the swap on one pair of servers (quick: one conversation each)."""
    from assistant import Settings

    loopback_only()
    # gradio_client reports each Client to Hugging Face unless told not to: loopback only.
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="trust-sessions-") as tmp:
        settings = Settings(corpus_dir=write_corpus(Path(tmp) / "corpus"),
                            index_dir=Path(tmp) / "index")
        why = index_corpus(settings)[1]
        if why:
            raise RuntimeError(f"the first index could not be built: {why}")
        note(f"sessions: indexed in {time.perf_counter() - start:.1f} s; starting the REST "
             "server and the page …")
        with _servers(settings) as urls:
            note(f"sessions: servers up at {time.perf_counter() - start:.1f} s; {count} "
                 "sessions, a search burst, and a new post indexed …")
            sessions, fresh = _load(settings, urls, count, 1 if quick else 3)
            note(f"sessions: load done at {time.perf_counter() - start:.1f} s; stopping …")
    return Run(tuple(sessions), tuple(fresh), time.perf_counter() - start)


def _load(settings, urls: dict[str, str], count: int, rounds: int):
    """The sessions and the burst together; the new post indexed once the burst is warm."""
    burst = Burst()
    with ThreadPoolExecutor(count + 4) as pool:
        chats = [pool.submit(converse, c, door_of(c.session, count), urls, rounds)
                 for c in CANARIES[:count]]
        clients = [pool.submit(burst.client, server, urls[server])
                   for server in ("REST", "page") for _ in range(2)]
        try:
            burst.wait_warm()
            (Path(settings.corpus_dir) / FRESH.source).write_text(FRESH.post())
            began = time.time()
            published, why = index_corpus(settings)
        except BaseException:  # the sessions still end (each request has its timeout)
            burst.stop()
            raise
        if why:  # a failed build: no server can find the post, so stop searching for it
            burst.stop()
        for future in clients:
            future.result()
        sessions = [future.result() for future in chats]
    window = (began, max(burst.first_new.values(), default=time.time()))
    return sessions, fresh_results(burst, sessions, window, published, why)


# ---------------------------------------------------------------- rows and tables

def _ms(replies: Sequence[Reply], q: int) -> str:
    times = [r.seconds for r in replies if not r.error]
    return f"{np.percentile(times, q) * 1e3:.0f}" if times else "-"


def _door_rows(sessions: Sequence[Session]) -> list[dict]:
    rows = []
    for door in DOORS:
        mine = [s for s in sessions if s.door == door]
        replies = [r for s in mine for r in s.replies]
        # a question counts once per kind, however many foreign marks it showed
        kinds = [k for s in mine for _, k in {(n, k) for n, k, _ in s.problems()}]
        rows.append({"door": door, "sessions": len(mine),
                     "passed": sum(not s.problems() for s in mine), "questions": len(replies),
                     "errors": kinds.count("error"), "cross-talk": kinds.count("cross-talk"),
                     "wrong": kinds.count("wrong"),
                     "p50 ms": _ms(replies, 50), "p95 ms": _ms(replies, 95)})
    return rows


def _failures(sessions: Sequence[Session]) -> tuple[str, ...]:
    return tuple(f"session {s.canary.session} ({s.door}) question {n}: {kind}: {detail}"
                 for s in sessions for n, kind, detail in s.problems())


def rows(result: Run) -> list[Check]:
    doors = _door_rows(result.sessions)
    total = {k: sum(d[k] for d in doors) for k in ("questions", "errors", "cross-talk")}
    latency = ", ".join(f"{d['door']} {d['p50 ms']}/{d['p95 ms']}" for d in doors)
    fresh = result.fresh
    timing = ", ".join(f"{f.server} {'never' if f.seconds is None else f'{f.seconds:.1f} s'}"
                       for f in fresh)
    return [
        Check("concurrent sessions", len(result.sessions),
              sum(not s.problems() for s in result.sessions),
              f"{total['questions']} questions, {total['errors']} errors, "
              f"{total['cross-talk']} cross-talk; p50/p95 ms {latency}",
              _failures(result.sessions)),
        Check("fresh version under load", len(fresh), sum(not f.problems for f in fresh),
              f"to the new version: {timing}; {sum(f.searches + f.questions for f in fresh)} "
              f"requests across the swap, {sum(f.failed for f in fresh)} failed",
              tuple(p for f in fresh for p in f.problems)),
    ]


def checks(quick: bool = False) -> list[Check]:
    """The two rows for ``benchmarks.trust``: trials are sessions, then servers."""
    return rows(run(quick))


def format_tables(result: Run) -> str:
    doors = _door_rows(result.sessions)
    head = list(doors[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(d[k]) for k in head) + " |" for d in doors]
    lines += ["", "| server | s to the new version | searches across the swap | "
                  "session questions across it | failed |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {f.server} | {'never' if f.seconds is None else f'{f.seconds:.2f}'} | "
              f"{f.searches} | {f.questions} | {f.failed} |" for f in result.fresh]
    failures = [*_failures(result.sessions), *(p for f in result.fresh for p in f.problems)]
    lines += ["", f"{len(result.sessions)} sessions in {result.seconds:.0f} s"]
    lines += [f"FAILED {line}" for line in failures]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sessions",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one conversation per session")
    parser.add_argument("--sessions", type=int, default=len(CANARIES),
                        help=f"concurrent sessions, 3 to {len(CANARIES)} (default all)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)

    def body() -> int:
        if not 3 <= args.sessions <= len(CANARIES):
            raise ValueError(f"--sessions wants 3 to {len(CANARIES)}, got {args.sessions}")
        result = run(args.quick, args.sessions)
        if args.json:
            print(json.dumps([asdict(row) for row in rows(result)], indent=2))
        else:
            print(format_tables(result))
        return 0 if all(row.ok for row in rows(result)) else 1

    return run_cli(body)


if __name__ == "__main__":
    raise SystemExit(main())
