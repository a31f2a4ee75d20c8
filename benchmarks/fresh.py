"""A new index version published under load (``benchmarks.sessions``' second row): a steady
search burst at both servers (``Burst``), a post added and indexed by the real CLI
(``index_corpus``), and each server timed from that publish to its first answer from the
new version, with every request across the swap counted (``fresh_results``).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks.canaries import FRESH, Session
from benchmarks.chats import SERVER_OF, TIMEOUT_S, failure, http_client
from benchmarks.common import REPO
from benchmarks.servers import server_env

__all__ = ["DEADLINE_S", "FRESH_QUERY", "Burst", "Fresh", "PageSearch", "Probe", "RestSearch",
           "fresh_results", "index_corpus"]

FRESH_QUERY = f"{FRESH.org} codeword"
FRESH_WITHIN_S = 10  # "within a few seconds": servers check CURRENT every index_check_ms
WARMUP = 10  # searches per server on the old version before the new post is indexed
AFTER = 10  # searches per server after its first answer from the new version
PAUSE_S = 0.05  # between one burst client's searches
DEADLINE_S = 120  # the whole load phase


@dataclass(frozen=True)
class Probe:
    """One search of the burst."""

    server: str
    started: float  # time.time()
    done: float
    ok: bool
    new: bool  # the new post was found
    error: str = ""


class RestSearch:
    """``GET /search`` for the new post's codeword: the sources found."""

    def __init__(self, url: str):
        self.http = http_client(url)

    def __call__(self) -> list[str]:
        resp = self.http.get("/search", params={"q": FRESH_QUERY, "k": 1})
        resp.raise_for_status()
        return [hit["source"] for hit in resp.json()]

    def close(self) -> None:
        self.http.close()


class PageSearch:
    """The page's ``/search`` through ``gradio_client``: the sources found."""

    def __init__(self, url: str):
        from gradio_client import Client

        self.client = Client(url, verbose=False, download_files=False,
                             analytics_enabled=False)

    def __call__(self) -> list[str]:
        job = self.client.submit(FRESH_QUERY, 1, "", "", "both", "", api_name="/search")
        hits = job.result(timeout=TIMEOUT_S)
        return [hit["source"] for hit in hits]

    def close(self) -> None:
        self.client.close()


class Burst:
    """Searches at each server, until it has answered ``AFTER`` times from the new version
    (or ``DEADLINE_S``)."""

    def __init__(self) -> None:
        self.probes: list[Probe] = []
        self.first_new: dict[str, float] = {}  # server -> when its first new answer arrived
        self._lock = threading.Lock()
        self._deadline = time.monotonic() + DEADLINE_S

    def count(self, server: str, since: float = 0.0) -> int:
        with self._lock:
            return sum(p.server == server and p.started > since for p in self.probes)

    def _more(self, server: str) -> bool:
        if time.monotonic() > self._deadline:
            return False
        return server not in self.first_new or self.count(
            server, self.first_new[server]) < AFTER

    def stop(self) -> None:
        self._deadline = 0.0

    def client(self, server: str, url: str) -> None:
        """One client searching ``server`` until the burst is over."""
        search = (RestSearch if server == "REST" else PageSearch)(url)
        try:
            self._search(server, search)
        finally:
            search.close()

    def _search(self, server: str, search: Callable[[], list[str]]) -> None:
        while self._more(server):
            started = time.time()
            try:
                probe = Probe(server, started, 0.0, True, FRESH.source in search())
            except Exception as exc:  # a failed request is what this row counts
                probe = Probe(server, started, 0.0, False, False, failure(exc).error)
            probe = replace(probe, done=time.time())
            with self._lock:
                self.probes.append(probe)
                if probe.new:
                    self.first_new.setdefault(server, probe.done)
            time.sleep(PAUSE_S)

    def wait_warm(self) -> None:
        while min(self.count(s) for s in ("REST", "page")) < WARMUP:
            if time.monotonic() > self._deadline:
                raise RuntimeError("the search burst never warmed up: see the server logs")
            time.sleep(0.05)


@dataclass(frozen=True)
class Fresh:
    """One server across the swap."""

    server: str
    seconds: float | None  # from the publish to its first answer from the new version
    searches: int  # burst searches in flight across the swap
    questions: int  # session questions in flight across the swap
    failed: int  # failed searches (all of them) and session questions across the swap
    problems: tuple[str, ...]


def index_corpus(settings) -> tuple[float, str]:
    """``python -m assistant index`` in its own process: (CURRENT's mtime, "" or why not)."""
    env = server_env(settings, {"ASSISTANT_PARSE_WORKERS": "1"})
    proc = subprocess.run([sys.executable, "-m", "assistant", "index"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=DEADLINE_S, check=False)
    current = Path(settings.index_dir) / "CURRENT"
    if proc.returncode != 0:
        return 0.0, f"index exited {proc.returncode}: {proc.stderr[-300:]}"
    return current.stat().st_mtime, ""


def fresh_results(burst: Burst, sessions: Sequence[Session], window: tuple[float, float],
                  published: float, why: str) -> list[Fresh]:
    """Each server's time to the new version, and what failed across the swap ``window``
    (the index run's start to the last server's first new answer)."""
    results = []
    for server in ("REST", "page"):
        probes = [p for p in burst.probes if p.server == server]
        asked = [r for s in sessions if SERVER_OF[s.door] == server for r in s.replies]
        end = window[1]
        during = [r for r in asked if r.started <= end and r.started + r.seconds >= window[0]]
        problems = [why] if why else []
        problems += [f"{server} search failed: {p.error}" for p in probes if not p.ok]
        problems += [f"{server} session question failed during the swap: {r.error}"
                     for r in during if r.error]
        first = burst.first_new.get(server)
        seconds = None if first is None or why else first - published
        if seconds is None:
            problems.append(f"{server} never answered from the new version")
        elif seconds > FRESH_WITHIN_S:
            problems.append(f"{server} took {seconds:.1f} s (> {FRESH_WITHIN_S} s)")
        if first is not None and any(not p.new for p in probes if p.ok and p.started > first):
            problems.append(f"{server} answered from the old version after the new one")
        in_flight = sum(p.started <= end and p.done >= window[0] for p in probes)
        results.append(Fresh(server, seconds, in_flight, len(during),
                             sum(not p.ok for p in probes) + sum(bool(r.error) for r in during),
                             tuple(problems)))
    return results
