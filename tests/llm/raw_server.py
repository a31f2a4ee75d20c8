"""A loopback HTTP server that answers every request with the same raw bytes: whatever a
model server, a proxy or a login page might send (HTML, garbage, nothing), exactly.

``StubServer`` (``llm_stubs``) writes well-formed replies with its own Content-Type; this one
writes the status line, headers and body it is given, then closes the connection.
"""

from __future__ import annotations

import socketserver
import threading

__all__ = ["RawServer", "raw_reply"]


def raw_reply(status: int, content_type: str | None, body: bytes, *,
              reason: str = "OK", length: bool = True) -> bytes:
    """An HTTP/1.1 response: ``content_type`` None sends none; ``length`` False sends no
    Content-Length (the body ends when the connection closes)."""
    head = [f"HTTP/1.1 {status} {reason}", "Connection: close"]
    if content_type is not None:
        head.append(f"Content-Type: {content_type}")
    if length:
        head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class RawServer:
    """Listens on 127.0.0.1; ``response`` is sent to every request; ``requests`` counts them."""

    def __init__(self, response: bytes) -> None:
        self.response = response
        self.requests = 0
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                length = 0
                while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                self.rfile.read(length)
                server.requests += 1
                self.wfile.write(server.response)
                self.wfile.flush()

        self._tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._tcp.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._tcp.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._tcp.serve_forever,
                                        kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._tcp.shutdown()
        self._tcp.server_close()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
