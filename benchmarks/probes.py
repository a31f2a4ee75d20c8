"""Path probes at both servers, on loopback: no file, key or canary may leak.

    python -m benchmarks.probes          # the table (about 30 s)
    python -m benchmarks.probes -v       # every probe, one line each

Planted before the servers start, each with its own random canary: a post outside the
corpus that a file link and a folder link inside the corpus point at, a secret file inside
the index folder, a ``.env`` beside it, and ``OPENAI_API_KEY`` in both servers' environment.
Then ``python -m assistant serve`` and ``python app.py`` get requests sent byte for byte
over a socket (so ``..``, ``%2e`` and backslashes reach the server as written): traversal
(``../``, ``%2e%2e/``, ``..%2f``, double-encoded, backslashes, absolute paths, NUL), Gradio's
file, proxy, static and asset routes, the index and corpus folders, ``.env``, ``.git``,
``/proc/self/environ``, the pages and schemas each serves, and searches and questions whose
answers would carry a planted text (``probe_targets``). A leak is any response (headers or
body) holding a canary, ``root:x:0:0`` or the mark of a file no server is meant to serve
(the checkout's source or ``.git``, the index's SQLite or arrays): ``find_leaks``. Nothing
leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import REPO, Check, note, run_cli
from benchmarks.faults import small_archive
from benchmarks.probe_targets import Request, requests_for
from benchmarks.servers import loopback_only, page_server, rest_server

__all__ = ["Plant", "Reply", "Result", "checks", "fetch", "find_leaks", "main", "markers",
           "plant", "probe_check", "probe_table", "run_probes"]

TIMEOUT_S = 10.0  # per request: every probe here was answered in well under a second
DEPTHS, QUICK_DEPTHS = (1, 2, 4, 8), (6,)  # folders climbed by the traversal probes
CACHE = "gradio-cache"  # the page's upload cache, under the planted folder
# Marks of files no server here is meant to serve (beside the canaries): found in a
# response, the file's contents left the server.
FILE_MARKS = {
    "root:x:0:0": "/etc/passwd",
    "def create_app(": "the checkout's app.py",
    "[tool.ruff]": "the checkout's pyproject.toml",
    "repositoryformatversion": "a .git/config",
    "gitdir: ": "the worktree's .git file",
    "SQLite format 3": "the index's chunk store",
    "\x93NUMPY": "the index's BM25 arrays",
}


@dataclass(frozen=True)
class Plant:
    """What ``plant`` put in ``folder``: one canary per place."""

    folder: Path
    key: str      # OPENAI_API_KEY in both servers' environment
    outside: str  # in a post outside the corpus, linked from inside it
    index: str    # in a file inside the index folder
    dotenv: str   # in a .env beside the index folder

    def canaries(self) -> dict[str, str]:
        return {self.key: "the server's OPENAI_API_KEY", self.outside: "the post outside "
                "the corpus (linked)", self.index: "the secret in the index folder",
                self.dotenv: "the .env beside the index"}


def plant(folder: Path):
    """The canaries planted around a three-post archive under ``folder``; ``(Plant,
    settings)``. The links go in before the index is built, as an operator's would."""
    made = {name: f"CANARY-{name}-{secrets.token_hex(6)}" for name in
            ("key", "outside", "index", "dotenv")}
    outside = folder / "outside"
    outside.mkdir(parents=True)
    (outside / "secret.txt").write_text(
        f"Friday 7 March 2014\n\nWalrus Memo\n\nThe walrus memo kept outside the archive "
        f"says {made['outside']}.\n")
    (folder / "corpus").mkdir()
    os.symlink(outside / "secret.txt", folder / "corpus" / "linked.txt")
    os.symlink(outside, folder / "corpus" / "linked-folder")
    settings = small_archive(folder)
    (Path(settings.index_dir) / "secret-notes.txt").write_text(f"token {made['index']}\n")
    (folder / ".env").write_text(f"OPENAI_API_KEY={made['dotenv']}\n")
    return Plant(folder, **made), settings


def markers(planted: Plant) -> dict[str, str]:
    """Every text whose presence in a response is a leak, with what it gives away."""
    return {**planted.canaries(), **FILE_MARKS}


def find_leaks(raw: bytes, marks: Mapping[str, str]) -> list[str]:
    """What ``raw`` (a whole response: status line, headers, de-chunked body) gives away."""
    text = raw.decode("latin-1")  # byte for byte: every mark is ASCII or a single byte
    return [f"{what} ({mark!r})" for mark, what in marks.items() if mark in text]


# ---------------------------------------------------------------- raw HTTP

@dataclass(frozen=True)
class Reply:
    status: str   # "404", or "timeout", "closed", … when no status line came
    raw: bytes    # the status line, headers and de-chunked body


def _dechunk(body: bytes) -> bytes:
    out, rest = [], body
    while rest:
        size, _, rest = rest.partition(b"\r\n")
        try:
            n = int(size.split(b";")[0], 16)
        except ValueError:
            return body  # not chunked after all: keep it as it came
        if n == 0:
            break
        out.append(rest[:n])
        rest = rest[n + 2:]
    return b"".join(out)


def fetch(port: int, method: str, target: bytes, body: bytes = b"",
          timeout: float = TIMEOUT_S) -> Reply:
    """One HTTP/1.1 request over a fresh socket to 127.0.0.1 (``Connection: close``, no
    compression), the target not normalised; the whole reply."""
    head = (f"{method} ".encode() + target + b" HTTP/1.1\r\n"
            + f"Host: 127.0.0.1:{port}\r\nConnection: close\r\nAccept-Encoding: identity\r\n"
              f"Content-Length: {len(body)}\r\n".encode()
            + (b"Content-Type: application/json\r\n" if body else b"") + b"\r\n")
    chunks = []
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(head + body)
            while data := sock.recv(65536):
                chunks.append(data)
    except TimeoutError:
        return Reply("timeout", b"".join(chunks))
    except OSError as exc:
        return Reply(type(exc).__name__, b"".join(chunks))
    raw = b"".join(chunks)
    headers, _, payload = raw.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in headers.lower():
        payload = _dechunk(payload)
    parts = headers.split(b" ", 2)
    status = parts[1].decode("latin-1") if len(parts) > 1 else "closed"
    return Reply(status, headers + b"\r\n\r\n" + payload)


def _send(port: int, request: Request) -> Reply:
    body = json.dumps(request.body).encode() if request.body is not None else b""
    reply = fetch(port, request.method, request.target.encode("latin-1"), body)
    if not request.then or reply.status != "200":
        return reply
    event = json.loads(reply.raw.partition(b"\r\n\r\n")[2] or b"{}").get("event_id", "")
    result = fetch(port, "GET", f"{request.target}/{event}".encode())
    return Reply(result.status, reply.raw + b"\r\n" + result.raw)


# ---------------------------------------------------------------- running them

@dataclass(frozen=True)
class Result:
    request: Request
    status: str
    leaks: tuple[str, ...]
    seconds: float


def _places(planted: Plant, settings, uploaded: str) -> dict[str, str]:
    index = Path(settings.index_dir).resolve()
    return {"index": str(index), "version": (index / "CURRENT").read_text().strip(),
            "corpus": str(Path(settings.corpus_dir).resolve()),
            "folder": str(planted.folder.resolve()),
            "outside": str((planted.folder / "outside").resolve()),
            "cache": str((planted.folder / CACHE).resolve()), "repo": str(REPO),
            "uploaded": uploaded}


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _probe(port: int, request: Request, marks: Mapping[str, str]) -> Result:
    start = time.perf_counter()
    reply = _send(port, request)
    return Result(request, reply.status, tuple(find_leaks(reply.raw, marks)),
                  time.perf_counter() - start)


def _upload(url: str) -> str:
    """A harmless file uploaded to the page, so Gradio's cache holds one: its path there."""
    import httpx

    sent = httpx.post(f"{url}/gradio_api/upload", trust_env=False, timeout=TIMEOUT_S,
                      files={"files": ("harmless.txt", b"A harmless upload.\n")})
    sent.raise_for_status()
    return sent.json()[0]


@contextmanager
def _servers(planted: Plant, settings) -> Iterator[tuple[int, int, dict[str, str]]]:
    """Both servers over the planted archive, the key canary in their environment:
    ``(REST port, page port, places)``."""
    env = {"OPENAI_API_KEY": planted.key}
    with rest_server(settings, env) as rest, \
            page_server(settings, {**env, "GRADIO_TEMP_DIR": str(planted.folder / CACHE)}) \
            as page:
        yield _port(rest), _port(page), _places(planted, settings, _upload(page))


def run_probes(quick: bool = False) -> list[Result]:
    """Every probe of ``requests_for`` at both servers (traversals ``DEPTHS``: 6 folders up
    when quick, else 1, 2, 4 and 8)."""
    loopback_only()
    with tempfile.TemporaryDirectory(prefix="probes-") as tmp:
        note("probes: planting canaries and indexing…")
        planted, settings = plant(Path(tmp))
        marks = markers(planted)
        note("probes: starting both servers…")
        with _servers(planted, settings) as (rest, page, places):
            ports = {"REST": rest, "page": page}
            requests = requests_for(places, QUICK_DEPTHS if quick else DEPTHS)
            return [_probe(ports[r.server], r, marks) for r in requests]


def _statuses(results: list[Result]) -> str:
    return ", ".join(f"{s}×{n}" for s, n in Counter(r.status for r in results).most_common())


def probe_check(results: list[Result]) -> Check:
    """The harness row: a probe holds when its response gives nothing away."""
    leaked = [r for r in results if r.leaks]
    per = ", ".join(f"{s} {sum(r.request.server == s for r in results)}" for s in ("REST",
                                                                                  "page"))
    figure = (f"{len(results)} probes ({per}), {len(leaked)} leaks; statuses "
              f"{_statuses(results)}")
    failures = tuple(f"{r.request.server} {r.request.label} ({r.request.target[:80]!r}): "
                     f"{'; '.join(r.leaks)}" for r in leaked)
    return Check("path probes", len(results), len(results) - len(leaked), figure, failures)


def checks(quick: bool = False) -> list[Check]:
    """One row: every probe at both servers (quick: one traversal depth)."""
    return [probe_check(run_probes(quick))]


def probe_table(results: list[Result], verbose: bool = False) -> str:
    """Counts per server, then the probes that leaked or were answered 2xx (all with
    ``verbose``)."""
    lines = ["Path probes (127.0.0.1; a leak: a canary, root:x:0:0 or a file's mark in a "
             "response)", "", "| server | probes | leaks | statuses |", "|---|---:|---:|---|"]
    for server in ("REST", "page", "all"):
        mine = [r for r in results if server in ("all", r.request.server)]
        lines.append(f"| {server} | {len(mine)} | {sum(bool(r.leaks) for r in mine)} | "
                     f"{_statuses(mine)} |")
    shown = [r for r in results if verbose or r.leaks or r.status.startswith("2")]
    if shown:
        lines += ["", "| server | probe | target | status | leaks |", "|---|---|---|---:|---|"]
        lines += [f"| {r.request.server} | {r.request.label} | `{_shown(r.request.target)}` | "
                  f"{r.status} | {'; '.join(r.leaks) or '-'} |" for r in shown]
    return "\n".join(lines)


def _shown(target: str) -> str:
    text = target.encode("unicode_escape").decode().replace("|", "/").replace("`", "'")
    return text if len(text) <= 90 else "…" + text[-89:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probes",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one traversal depth (CI)")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every probe")
    args = parser.parse_args(argv)

    def body() -> int:
        results = run_probes(args.quick)
        check = probe_check(results)
        print(probe_table(results, args.verbose))
        print(f"\n{check.part}: {check.passed}/{check.trials} held; {check.figure}")
        return 0

    return run_cli(body)


if __name__ == "__main__":
    raise SystemExit(main())
