"""HTTP service over one ``Assistant``: REST (``/health``, ``/search``, ``/ask``) and the
OpenAI-compatible ``/v1`` endpoints. ``python -m assistant serve`` runs it with uvicorn.

FastAPI and uvicorn are imported only when an app is created or served, so importing this
module (or ``assistant``) stays light.
"""

import json
import logging
from collections.abc import Iterable, Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.search.retriever import MAX_K
from assistant.serve.backends import BackendPolicy
from assistant.serve.bootstrap import open_assistant
from assistant.serve.schemas import INFER_FILTERS, SearchFilters, filter_options
from assistant.settings import Settings

__all__ = ["AskRequest", "SearchQuery", "create_app", "event_payload", "serve", "sse_event"]

log = logging.getLogger("assistant.serve.http")

INTERNAL_ERROR = "internal error"


# ---------------------------------------------------------------- request models

class SearchQuery(SearchFilters):
    """Query parameters of ``GET /search``: the query, ``k``, the mode and the shared filters."""

    model_config = ConfigDict(extra="ignore")  # a query string may carry more (cache busters)

    q: str = Field(..., min_length=1, max_length=4000, description="the query")
    k: int = Field(5, ge=1, le=MAX_K, description="passages to return")
    mode: Literal["hybrid", "dense", "bm25"] = Field("hybrid", description="how to rank")


class TimelineQuery(SearchFilters):
    """Query parameters of ``GET /timeline``: an optional subject, the period size and the
    shared filters."""

    model_config = ConfigDict(extra="ignore")

    q: str | None = Field(None, max_length=4000,
                          description="the subject; left out: the whole archive")
    granularity: Literal["auto", "month", "year"] = Field(
        "auto", description="per month or year; auto: months over up to four years")


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
    infer_filters: bool = Field(True, description=INFER_FILTERS)


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
        "author": {"type": ["string", "null"]}, "chunk_id": {"type": "string"},
        "post_id": {"type": "string", "description": "GET /thread/{post_id}: the whole "
                                                     "post with its comments"}}},
}
_ANSWER_SCHEMA = {
    "type": "object", "properties": {
        "answer": {"type": "string"}, "refused": {"type": "boolean"},
        "citations": {"type": "array", "items": {"type": "object", "properties": {
            "n": {"type": "integer"}, "source": {"type": "string"},
            "title": {"type": "string"}, "date": {"type": ["string", "null"]},
            "kind": {"type": "string"}, "author": {"type": ["string", "null"]},
            "quote": {"type": "string"}, "supported": {"type": "boolean"}}}},
        "implied_filters": {
            "type": "array", "description": "filters read from the question's wording and "
            "applied (send the filter as \"\" or kind \"both\" to lift one)",
            "items": {"type": "object", "properties": {
                "name": {"type": "string", "enum": ["since", "until", "kind", "author"]},
                "value": {"type": "string"}, "phrase": {"type": "string"}}}},
        "gaps": {"type": "array", "items": {"type": "string"},
                 "description": "what was asked that the archive does not state (the "
                                "answer says so, then what it says nearby)"}},
}
_ERROR = {"description": "invalid input", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"detail": {"type": "string"}}}}}}


def create_app(assistant, settings: Settings | None = None, *,
               backends: Iterable[str] = ()):
    """The FastAPI app serving ``assistant`` (not started).

    ``backends`` adds backend specs a request may choose besides ``extractive``, the
    assistant's default and ``settings.backends`` (``ASSISTANT_BACKENDS``).
    """
    from fastapi import FastAPI, Query
    from fastapi.responses import JSONResponse, StreamingResponse

    from assistant.serve.openai_api import create_router

    settings = settings or assistant.settings
    policy = BackendPolicy.of(assistant, settings, backends)
    allowed = list(policy.allowed)
    app = FastAPI(title="Blog archive assistant",
                  description="Search a blog archive and get answers with verified citations.",
                  version="0.1.0")
    app.state.assistant = assistant
    app.state.settings = settings
    _add_error_handlers(app)

    @app.get("/health", summary="Index and model status")
    def health():
        return _health(assistant, allowed)

    @app.get("/search", summary="Passages for a query",
             responses={200: {"content": {"application/json": {"schema": _HIT_SCHEMA}}},
                        400: _ERROR})
    def search(params: Annotated[SearchQuery, Query()]):
        hits = assistant.retriever.search(params.q, k=params.k, mode=params.mode,
                                          **params.kwargs())
        partial = getattr(hits, "partial", None)  # a cluster's shards that did not answer
        return JSONResponse([hit.as_dict() for hit in hits], headers={
            "X-Partial-Results": partial.message} if partial is not None else None)

    @app.get("/timeline", summary="Matching posts and comments per month or year",
             responses={400: _ERROR})
    def timeline(params: Annotated[TimelineQuery, Query()]):
        found = assistant.retriever.timeline(params.q, granularity=params.granularity,
                                             **params.kwargs())
        return found.as_dict()

    @app.get("/thread/{post_id:path}", summary="A whole post with its comment thread",
             responses={404: _ERROR})
    def thread(post_id: str):
        try:
            return assistant.retriever.thread(post_id).as_dict()
        except KeyError:
            return JSONResponse({"detail": f"no post {post_id[:80]!r} in the index"},
                                status_code=404)

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
        options = dict(filter_options(body.filters), k=body.k,
                       backend=policy.check(body.backend), infer_filters=body.infer_filters)
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


def _health(assistant, allowed: list[str]):
    """``GET /health``: the index's counts and versions, the backends; 503 without an index."""
    from fastapi.responses import JSONResponse

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


def _add_error_handlers(app) -> None:
    """Bad input is a 400 (``ValueError``) or 422 (validation), in OpenAI's shape under
    ``/v1``, always with the message that names the problem."""
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse

    from assistant.serve.openai_api import openai_error

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
