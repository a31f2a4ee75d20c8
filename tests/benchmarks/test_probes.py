"""``benchmarks.probes``: leak detection on whole raw responses (headers, de-chunked bodies),
the probe list, and the quick probes run for real at both servers."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from benchmarks.probe_targets import Request, requests_for
from benchmarks.probes import (
    FILE_MARKS,
    Plant,
    Result,
    checks,
    fetch,
    find_leaks,
    markers,
    probe_check,
)

PLANT = Plant(Path("/tmp/x"), key="CANARY-key-1", outside="CANARY-outside-2",
              index="CANARY-index-3", dotenv="CANARY-dotenv-4")
MARKS = markers(PLANT)


@pytest.mark.parametrize("raw,found", [
    (b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\n\r\n{\"detail\":\"Not "
     b"Found\"}", []),
    (b"HTTP/1.1 200 OK\r\nx-debug: CANARY-key-1\r\n\r\n", ["the server's OPENAI_API_KEY"]),
    (b"HTTP/1.1 200 OK\r\n\r\nroot:x:0:0:root:/root:/bin/bash\n", ["/etc/passwd"]),
    (b"HTTP/1.1 200 OK\r\n\r\n\x93NUMPY\x01\x00v\x00{'descr'", ["the index's BM25 arrays"]),
    (b"HTTP/1.1 200 OK\r\n\r\nSQLite format 3\x00", ["the index's chunk store"]),
    (b"HTTP/1.1 200 OK\r\n\r\n[{\"text\": \"the memo says CANARY-outside-2.\"}]",
     ["the post outside the corpus (linked)"]),
    (b"HTTP/1.1 403 Forbidden\r\n\r\nFile not allowed: /tmp/x/.env.", []),  # a path, no text
])
def test_find_leaks_names_what_a_response_gives_away(raw, found):
    assert [leak.split(" ('")[0] for leak in find_leaks(raw, MARKS)] == found


def test_every_file_mark_is_a_leak():
    for mark, what in FILE_MARKS.items():
        assert find_leaks(f"HTTP/1.1 200 OK\r\n\r\n..{mark}..".encode("latin-1"), MARKS) == \
            [f"{what} ({mark!r})"]


def _one_reply(reply: bytes) -> tuple[int, list[bytes]]:
    """A loopback server that answers one request with ``reply``; (port, requests seen)."""
    server = socket.create_server(("127.0.0.1", 0))
    seen: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            seen.append(conn.recv(65536))
            conn.sendall(reply)
        server.close()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1], seen


def test_fetch_sends_the_target_as_written_and_joins_chunks():
    chunked = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"9\r\nCANARY-ke\r\n3\r\ny-1\r\n0\r\n\r\n")  # the canary split over two chunks
    port, seen = _one_reply(chunked)
    reply = fetch(port, "GET", b"/%2e%2e/..\\etc/passwd\x00.png", timeout=5)
    assert seen[0].startswith(b"GET /%2e%2e/..\\etc/passwd\x00.png HTTP/1.1\r\n")
    assert reply.status == "200" and reply.raw.endswith(b"\r\n\r\nCANARY-key-1")
    assert find_leaks(reply.raw, MARKS) == ["the server's OPENAI_API_KEY ('CANARY-key-1')"]


def test_there_are_40_and_more_probes_in_every_encoding_and_place():
    places = {"index": "/i", "version": "v1", "corpus": "/c", "folder": "/f",
              "outside": "/o", "cache": "/f/gradio-cache", "repo": "/r", "uploaded": "/u/a.txt"}
    probes = requests_for(places, (6,))
    targets = [p.target for p in probes]
    assert len(probes) >= 40 and {p.server for p in probes} == {"REST", "page"}
    for needle in ("../../", "%2e%2e/", "..%2f", "%252e", "..\\", "%00", "\x00",
                   "/gradio_api/file=/etc/passwd", "/file=", "/proc/self/environ", "/.env",
                   "/.git/config", "/i/secret-notes.txt", "/c/linked.txt", "/f/.env",
                   "/gradio_api/proxy=", "/static/", "/assets/"):
        assert any(needle in t for t in targets), needle
    assert all("{" not in t for t in targets)  # every place filled in
    assert len(requests_for(places, (1, 2, 4, 8))) > len(probes)  # the full run climbs more


def test_the_row_holds_a_probe_only_without_leaks():
    fine = Result(Request("page", "file=", "/gradio_api/file=/etc/passwd"), "403", (), 0.01)
    leaked = Result(Request("REST", "search", "/search?q=walrus"), "200",
                    ("the post outside the corpus (linked) ('CANARY-outside-2')",), 0.02)
    row = probe_check([fine, leaked])
    assert (row.part, row.trials, row.passed) == ("path probes", 2, 1)
    assert row.figure == ("2 probes (REST 1, page 1), 1 leaks; statuses 403×1, 200×1")
    assert row.failures == ("REST search ('/search?q=walrus'): the post outside the corpus "
                            "(linked) ('CANARY-outside-2')",)


@pytest.mark.server
def test_quick_probes_leak_nothing_at_either_server():
    rows = checks(quick=True)
    assert [row.part for row in rows] == ["path probes"] and rows[0].trials >= 40
    assert all(row.ok for row in rows), rows[0].failures
