"""HTTP service over one ``Assistant``: REST (``/health``, ``/search``, ``/ask``) and the
OpenAI-compatible ``/v1`` endpoints. ``python -m assistant serve`` runs it with uvicorn.

FastAPI and uvicorn are imported only when an app is created or served, so importing this
module (or ``assistant``) stays light.
"""

import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.search.retriever import MAX_K
from assistant.settings import Settings

__all__ = [
    "AskRequest",
    "SearchFilters",
    "allowed_backends",
    "create_app",
    "open_assistant",
    "serve",
    "sse_event",
]

log = logging.getLogger("assistant.serve.http")

INTERNAL_ERROR = "internal error"


# ---------------------------------------------------------------- request models

class SearchFilters(BaseModel):
    """Optional restrictions on the passages searched."""

    model_config = ConfigDict(extra="forbid")

    since: str | None = Field(None, description="only passages dated on or after YYYY-MM-DD")
    until: str | None = Field(None, description="only passages dated on or before YYYY-MM-DD")
    kind: Literal["post", "comment", "both"] | None = Field(None, description="posts or comments")
    author: str | None = Field(None, description="only passages by this author")

    def kwargs(self) -> dict[str, str | None]:
        return {"since": self.since, "until": self.until, "kind": self.kind,
                "author": self.author}


class Turn(BaseModel):
    role: Literal["user", "assistant", "system"]
    content: str


class AskRequest(BaseModel):
    """Body of ``POST /ask``."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., min_length=1, max_length=4000)
    history: list[Turn] = Field(default_factory=list,
                                description="earlier turns, oldest first")
    backend: str | None = Field(None, description="one of the backends this server enables "
                                                  "(see /health); default: the server's")
    filters: SearchFilters | None = None
    k: int | None = Field(None, ge=1, le=MAX_K, description="passages to retrieve")


# ---------------------------------------------------------------- opening the assistant

def open_assistant(settings: Settings, backend: str | None = None, *, build: bool = True,
                   quiet: bool = False):
    """An ``Assistant`` over ``settings.index_dir`` with models and indexes loaded.

    The index is built first when ``build`` and it is missing or stale; the backend defaults
    to ``settings.backend`` (``ASSISTANT_BACKEND``). One warm-up search loads the embedding
    model, FAISS and BM25 before concurrent requests arrive.
    """
    from assistant.answer.assistant import Assistant
    from assistant.search.retriever import Retriever

    if build:
        from assistant.index.build import ensure_index

        ensure_index(settings, quiet=quiet)
    retriever = Retriever.open(settings.index_dir, settings=settings)
    retriever.search("warm up", k=1)
    return Assistant(retriever, backend=backend or settings.backend, settings=settings)


def allowed_backends(assistant, extra: Iterable[str] = ()) -> list[str]:
    """Backends a request may pick: ``extractive``, the server's default and ``extra``.

    Requests never name arbitrary backends: a spec can point at any URL or file, and an
    ``openai:`` backend sends the server's API key to its URL.
    """
    names = ["extractive", assistant.backend_name(), *(s.strip() for s in extra)]
    return list(dict.fromkeys(n for n in names if n))


def check_backend(requested: str | None, allowed: list[str], default: str = "") -> str | None:
    """``requested`` if this server enables it (None for the default); else ValueError."""
    if requested is None or not requested.strip() or requested.strip() == default:
        return None
    spec = requested.strip()
    if spec not in allowed:
        raise ValueError(f"backend {spec!r} is not enabled on this server; "
                         f"choose one of: {', '.join(allowed)}")
    return spec


# ---------------------------------------------------------------- server-sent events

def sse_event(event: str, data: Any) -> bytes:
    """One server-sent event with a JSON payload on a single ``data:`` line."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def event_payload(event) -> tuple[str, dict[str, Any]]:
    """``(event name, JSON data)`` for an ``Assistant.stream`` event."""
    from assistant.records import AnswerEvent, NoticeEvent, SourcesEvent, TextDelta

    if isinstance(event, SourcesEvent):
        return "sources", {"query": event.query,
                           "passages": [hit.as_dict() for hit in event.passages]}
    if isinstance(event, TextDelta):
        return "delta", {"text": event.text}
    if isinstance(event, NoticeEvent):
        return "notice", {"message": event.message}
    if isinstance(event, AnswerEvent):
        return "answer", event.answer.as_dict()
    raise TypeError(f"unknown stream event {type(event).__name__}")


def _sse_stream(first, events: Iterator) -> Iterator[bytes]:
    try:
        yield sse_event(*event_payload(first))
        for event in events:
            yield sse_event(*event_payload(event))
    except ValueError as exc:
        yield sse_event("error", {"detail": str(exc)})
    except Exception:
        log.exception("error while streaming an answer")
        yield sse_event("error", {"detail": INTERNAL_ERROR})


# ---------------------------------------------------------------- the app

_HIT_SCHEMA = {
    "type": "array",
    "items": {"type": "object", "properties": {
        "text": {"type": "string"}, "score": {"type": "number"}, "source": {"type": "string"},
        "title": {"type": "string"}, "date": {"type": ["string", "null"], "format": "date"},
        "kind": {"type": "string", "enum": ["post", "comment"]},
        "author": {"type": ["string", "null"]}, "chunk_id": {"type": "string"}}},
}
_ANSWER_SCHEMA = {
    "type": "object", "properties": {
        "answer": {"type": "string"}, "refused": {"type": "boolean"},
        "citations": {"type": "array", "items": {"type": "object", "properties": {
            "n": {"type": "integer"}, "source": {"type": "string"},
            "title": {"type": "string"}, "date": {"type": ["string", "null"]},
            "kind": {"type": "string"}, "author": {"type": ["string", "null"]},
            "quote": {"type": "string"}, "supported": {"type": "boolean"}}}}},
}
_ERROR = {"description": "invalid input", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"detail": {"type": "string"}}}}}}


def create_app(assistant, settings: Settings | None = None, *,
               backends: Iterable[str] = ()):
    """The FastAPI app serving ``assistant`` (not started).

    ``backends`` adds backend specs a request may choose besides ``extractive`` and the
    assistant's default.
    """
    from fastapi import FastAPI, Query, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse, StreamingResponse

    from assistant.serve.openai_api import create_router, openai_error

    settings = settings or assistant.settings
    allowed = allowed_backends(assistant, backends)
    app = FastAPI(title="Blog archive assistant",
                  description="Search a blog archive and get answers with verified citations.",
                  version="0.1.0")
    app.state.assistant = assistant
    app.state.settings = settings

    def _is_openai(request: Request) -> bool:
        return request.url.path.startswith("/v1/")

    @app.exception_handler(ValueError)
    async def _bad_input(request: Request, exc: ValueError):
        if _is_openai(request):
            return openai_error(400, str(exc))
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        if _is_openai(request):
            first = errors[0] if errors else {}
            where = ".".join(str(p) for p in first.get("loc", ())[1:])
            return openai_error(400, f"{where}: {first.get('msg', 'invalid request')}",
                                param=where or None)
        detail = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in errors]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.get("/health", summary="Index and model status")
    def health():
        try:
            stats = assistant.retriever.stats()
        except Exception:
            log.exception("health check failed")
            return JSONResponse({"status": "error", "index_loaded": False,
                                 "detail": "index unavailable"}, status_code=503)
        return {"status": "ok", "index_loaded": True,
                "model": stats["embedding_model"], "embedding_dim": stats["embedding_dim"],
                "backend": assistant.backend_name(), "backends": allowed,
                "counts": {"posts": stats["posts"], "comments": stats["comments"],
                           "chunks": stats["chunks"]},
                "index_version": stats["version"], "built_at": stats["built_at"]}

    @app.get("/search", summary="Passages for a query",
             responses={200: {"content": {"application/json": {"schema": _HIT_SCHEMA}}},
                        400: _ERROR})
    def search(q: str = Query(..., min_length=1, max_length=4000, description="the query"),
               k: int = Query(5, ge=1, le=MAX_K, description="passages to return"),
               since: str | None = Query(None, description="YYYY-MM-DD"),
               until: str | None = Query(None, description="YYYY-MM-DD"),
               kind: Literal["post", "comment", "both"] | None = Query(None),
               author: str | None = Query(None),
               mode: Literal["hybrid", "dense", "bm25"] = Query("hybrid")):
        hits = assistant.retriever.search(q, k=k, since=since, until=until, kind=kind,
                                          author=author, mode=mode)
        return JSONResponse([hit.as_dict() for hit in hits])

    @app.post("/ask", summary="A cited answer (stream=true: server-sent events)",
              responses={200: {"content": {
                  "application/json": {"schema": _ANSWER_SCHEMA},
                  "text/event-stream": {"schema": {
                      "type": "string",
                      "description": "events sources, delta, notice, answer (or error), "
                                     "each with JSON data"}}}},
                  400: _ERROR})
    def ask(body: AskRequest,
            stream: bool = Query(False, description="stream server-sent events")):
        options = dict(body.filters.kwargs() if body.filters else {},
                       k=body.k, backend=check_backend(body.backend, allowed,
                                                   assistant.backend_name()))
        history = [turn.model_dump() for turn in body.history]
        if not stream:
            answer = assistant.ask(body.question, history, **options)
            return JSONResponse(answer.as_dict())
        events = assistant.stream(body.question, history, **options)
        first = next(events, None)  # bad input raises here, before the response starts
        if first is None:
            raise RuntimeError("the answer stream ended without an event")
        return StreamingResponse(_sse_stream(first, events), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache",
                                          "X-Accel-Buffering": "no"})

    app.include_router(create_router(assistant, allowed))
    app.add_middleware(_CatchAll)
    return app


class _CatchAll:
    """ASGI middleware: an unhandled error becomes a logged 500 with no details.

    Unlike an ``Exception`` handler (after which Starlette re-raises and uvicorn drops the
    keep-alive connection) the error stops here.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            from fastapi.responses import JSONResponse

            from assistant.serve.openai_api import openai_error

            if scope.get("path", "").startswith("/v1/"):
                response = openai_error(500, INTERNAL_ERROR, kind="server_error")
            else:
                response = JSONResponse({"detail": INTERNAL_ERROR}, status_code=500)
            await response(scope, receive, send)


def serve(host: str = "127.0.0.1", port: int = 8000, settings: Settings | None = None,
          backend: str | None = None, *, log_level: str = "info") -> None:
    """Build the index if missing or stale, load everything, and serve until interrupted."""
    import uvicorn

    settings = settings or Settings.from_env()
    assistant = open_assistant(settings, backend)
    app = create_app(assistant, settings)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
