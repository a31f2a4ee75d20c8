"""The page's answer to malformed requests that Gradio's own routes fail on: a JSON error that
names the problem, never a bare 500 or a response cut off half-way.

Found by ``benchmarks.malformed`` (Gradio 6.31): ``POST /gradio_api/call/<unknown name>``
raised ``FnIndexInferError`` and a queue join with an unknown ``fn_index`` a ``KeyError``,
both a 500 "Internal Server Error" with a traceback in the log; the result stream of an
unknown event id sent one error event, then cut the connection (the client saw an incomplete
body). ``RequestGuard`` sits inside Gradio's own middleware (``page.launch_options`` passes it
as ``app_kwargs``) and holds each response's start until its first body part, so a failure
before any byte of the body can still become a proper error response.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["RequestGuard", "refusal"]

log = logging.getLogger("assistant.ui")


def refusal(exc: BaseException, path: str) -> tuple[int, str]:
    """``(status, message)`` for an exception a Gradio route raised on ``path``."""
    from fastapi.exceptions import HTTPException  # what Gradio's routes raise
    from gradio.route_utils import FnIndexInferError

    if isinstance(exc, RuntimeError) and exc.__cause__ is not None:
        exc = exc.__cause__  # Starlette: "Caught handled exception, but response already started"
    if isinstance(exc, FnIndexInferError):
        return 404, (f"{exc}: this page's API endpoints are /chat, /search and /ask "
                     "(GET /gradio_api/info describes them)")
    if isinstance(exc, KeyError):
        return 404, (f"nothing on this page has the id {exc} that {path} names (an unknown "
                     "fn_index, session or component)")
    if isinstance(exc, HTTPException):
        if exc.status_code == 404 and path.startswith("/gradio_api/call/"):
            return 404, (f"no result to read at {path}: the event id is unknown, or its "
                         "result was read already")
        return exc.status_code, str(exc.detail)
    log.error("unhandled error on %s", path, exc_info=exc)
    return 500, "internal error: the details are in the page's server log"


class RequestGuard:
    """ASGI middleware: an exception before a response's body becomes a JSON error; one
    after an event stream's first event ends the stream there (Gradio has sent its error
    event by then) instead of cutting the connection."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[dict] = []  # the response's start, until its first body part
        state = {"started": None, "ended": False}

        async def guarded(message: dict) -> None:
            if message["type"] == "http.response.start":
                held.append(message)
                return
            if held:
                state["started"] = held.pop()
                await send(state["started"])
            state["ended"] = state["ended"] or not message.get("more_body", False)
            await send(message)

        try:
            await self.app(scope, receive, guarded)
        except Exception as exc:
            await self._failed(exc, scope, state, (receive, send))
            return
        if held:  # a start with no body part after it (not ASGI, but never swallow it)
            await send(held.pop())

    @staticmethod
    async def _failed(exc: Exception, scope: dict, state: dict, channel: tuple) -> None:
        receive, send = channel
        started = state["started"]
        if started is None:
            from fastapi.responses import JSONResponse

            status, message = refusal(exc, scope.get("path", ""))
            await JSONResponse({"detail": message}, status_code=status)(scope, receive, send)
            return
        if state["ended"] or not _is_event_stream(started):
            raise exc  # a body half-sent: cutting it off is the only honest end
        log.warning("event stream on %s ended by %r", scope.get("path"), exc)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _is_event_stream(start: dict) -> bool:
    return any(name.lower() == b"content-type" and value.startswith(b"text/event-stream")
               for name, value in start.get("headers", ()))
