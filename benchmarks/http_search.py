"""Benchmark ``GET /search``: requests/s and latency percentiles under concurrent clients.

    python -m benchmarks.http_search                  # starts `python -m assistant serve`
    python -m benchmarks.http_search --url http://127.0.0.1:8000 --clients 8 --duration 30

Without ``--url`` it starts a server on a free port of 127.0.0.1 over the configured index
(``ASSISTANT_INDEX_DIR``, default ``index/``) and stops it afterwards. Queries are the
questions of ``--queries`` (JSONL with a "question" field, or one query per line), by default
the shared dev set, else a few built-in ones.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.common import REPO

__all__ = ["load_queries", "main", "percentile", "run"]

DEV_SET = REPO.parent / "shared" / "eval" / "dev.jsonl"
FALLBACK_QUERIES = [
    "probation pay freeze", "union ballot on industrial action", "privatisation of probation",
    "caseloads and staff sickness", "community rehabilitation companies contracts",
    "ESA assessments overturned on appeal", "Transforming Rehabilitation", "Napo conference",
]


def load_queries(path: Path | None) -> list[str]:
    path = path or (DEV_SET if DEV_SET.is_file() else None)
    if path is None:
        return FALLBACK_QUERIES
    queries = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("{"):
            line = json.loads(line).get("question", "")
        if line:
            queries.append(line)
    return queries or FALLBACK_QUERIES


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def run(url: str, queries: list[str], clients: int, duration: float, k: int) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        for query in queries[:clients]:  # warm-up, not timed
            (await http.get("/search", params={"q": query, "k": k})).raise_for_status()
        deadline = time.perf_counter() + duration

        async def worker(n: int) -> None:
            i = n
            while time.perf_counter() < deadline:
                query = queries[i % len(queries)]
                i += clients
                start = time.perf_counter()
                try:
                    response = await http.get("/search", params={"q": query, "k": k})
                    key = None if response.status_code == 200 else str(response.status_code)
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                if key is None:
                    latencies.append(time.perf_counter() - start)
                else:
                    errors[key] = errors.get(key, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(n) for n in range(clients)))
        elapsed = time.perf_counter() - started
        health = (await http.get("/health")).json()
    return {"latencies": latencies, "errors": errors, "elapsed": elapsed, "health": health}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(port: int, log: Path) -> subprocess.Popen:
    with log.open("w") as sink:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port)],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=sink)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited:\n{log.read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the server did not start within 600 s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.http_search",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds (default 30)")
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--queries", type=Path, help="JSONL with 'question' or plain lines")
    args = parser.parse_args(argv)

    queries = load_queries(args.queries)
    proc = None
    url = args.url
    if url is None:
        port = free_port()
        proc = start_server(port, Path(tempfile.gettempdir()) / f"bench_search_{port}.log")
        url = f"http://127.0.0.1:{port}"
    try:
        result = asyncio.run(run(url, queries, args.clients, args.duration, args.k))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)

    lat = [x * 1000 for x in result["latencies"]]
    n_err = sum(result["errors"].values())
    health = result["health"]
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"GET /search  k={args.k}  {len(queries)} distinct queries  server {url}")
    print(f"index: {health['counts']['chunks']} chunks, model {health['model']}; "
          f"machine: {os.cpu_count()} CPUs, load average {load}")
    print()
    rows = [("clients", f"{args.clients}"), ("duration", f"{result['elapsed']:.1f} s"),
            ("requests ok", f"{len(lat)}"),
            ("errors", f"{n_err}" + (f" {result['errors']}" if n_err else "")),
            ("requests/s", f"{len(lat) / result['elapsed']:.1f}")]
    if lat:
        rows += [("latency mean", f"{statistics.fmean(lat):.1f} ms"),
                 ("latency p50", f"{percentile(lat, 50):.1f} ms"),
                 ("latency p95", f"{percentile(lat, 95):.1f} ms"),
                 ("latency p99", f"{percentile(lat, 99):.1f} ms"),
                 ("latency max", f"{max(lat):.1f} ms")]
    width = max(len(name) for name, _ in rows)
    print(f"| {'metric':<{width}} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")
    return 1 if n_err else 0


if __name__ == "__main__":
    raise SystemExit(main())
