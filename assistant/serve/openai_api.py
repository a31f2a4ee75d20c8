"""OpenAI-compatible ``POST /v1/chat/completions`` and ``GET /v1/models`` over an ``Assistant``.

The last user message is the question and earlier user/assistant messages are the history.
The reply's content is the answer with a "References:" list appended; the structured
citations (as in ``ask --json``) ride along in an extra ``citations`` field of the message
(of the last content delta when streaming), with ``implied_filters`` (the filters read from
the question's wording and applied: name, value, phrase) and ``gaps`` (what was asked that
the archive does not state) beside them. Optional extra body fields: ``filters``
(``since``, ``until``, ``kind``, ``author``; one sent as "" or kind "both" lifts what the
wording implies), ``k``, and ``infer_filters`` (false: apply no implied filter). FastAPI
is imported only by ``create_router``.

As OpenAI shapes them: ``usage`` in every reply, and with ``stream_options.include_usage``
a last chunk (``choices: []``) holding it, the chunks before carrying ``"usage": null``;
``system_fingerprint`` (the backend and the index version answering); ``finish_reason``
``stop`` (the served answer is always whole: a draft cut by its length limit is trimmed to
its finished sentences or replaced); errors as ``{"error": {message, type, param, code}}``,
mid-stream too. ``usage`` counts what the model read and wrote, as its backend counted it
(llama.cpp's tokenizer, the remote server's report). With no model (the extractive
backend), or a backend that reports nothing (llama-cpp-python's own server streams no
usage chunk), it is an estimate in tiktoken's cl100k tokens:
the request's messages and the passages read for ``prompt_tokens``, the reply's content
for ``completion_tokens``.
"""

import hashlib
import json
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assistant.answer.references import CHAT_COMPLETION, REFERENCES, references_block
from assistant.answer.sanitize import SafeMarkdownStream, permalinks, safe_markdown
from assistant.records import AnswerEvent, NoticeEvent, SourcesEvent, TextDelta
from assistant.search.retriever import MAX_K
from assistant.serve.schemas import INFER_FILTERS, SearchFilters, filter_options
from assistant.text import count_tokens

__all__ = [
    "MODEL_ID",
    "REFERENCES_HEADING",
    "ChatRequest",
    "completion_content",
    "create_router",
    "format_references",
    "openai_error",
    "split_messages",
    "structured",
    "usage_of",
]

log = logging.getLogger("assistant.serve.openai_api")

MODEL_ID = "blog-archive"
REFERENCES_HEADING = f"{REFERENCES}:"  # how references_block starts the list
_REFERENCES_SEPARATOR = f"\n\n{REFERENCES_HEADING}\n"


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: str
    content: str | list[dict[str, Any]] | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatRequest(BaseModel):
    """The subset of the OpenAI chat request this server reads; other fields are ignored."""

    model_config = ConfigDict(extra="allow")

    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(..., min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    filters: SearchFilters | None = None
    k: int | None = Field(None, ge=1, le=MAX_K)
    infer_filters: bool = Field(True, description=INFER_FILTERS)


def openai_error(status: int, message: str, *, kind: str = "invalid_request_error",
                 param: str | None = None, code: str | None = None):
    """A JSON error response in OpenAI's shape."""
    from fastapi.responses import JSONResponse

    return JSONResponse({"error": {"message": message, "type": kind, "param": param,
                                   "code": code}}, status_code=status)


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if isinstance(content, str):
        return content
    parts = [p.get("text", "") for p in content or () if p.get("type") == "text"]
    return "\n".join(p for p in parts if isinstance(p, str))


def split_messages(messages: list[ChatMessage]) -> tuple[str, list[dict[str, str]]]:
    """``(question, history)``: the last user message, and the user/assistant turns before
    it (references this server appended to its own replies are cut off)."""
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    if last_user is None:
        raise ValueError("messages must include a message with role 'user'")
    history = []
    for message in messages[:last_user]:
        if message.role not in ("user", "assistant"):
            continue
        text = _text(message.content)
        if message.role == "assistant":
            text = text.split(_REFERENCES_SEPARATOR, 1)[0]
        history.append({"role": message.role, "content": text})
    return _text(messages[last_user].content), history


def format_references(answer) -> str:
    """The "References:" block appended to a (non-refused) answer, one line per passage
    (``assistant.answer.references``, as the CLI and the page write it)."""
    if answer.refused or not answer.citations:
        return ""
    # The block starts with REFERENCES_HEADING, so split_messages can cut it off again.
    return "\n\n" + references_block(answer, CHAT_COMPLETION)


def completion_content(answer) -> str:
    """A reply's content: the answer, ``safe_markdown`` (chat clients render Markdown: no
    image, no link but the passages' permalinks, no script URL, no HTML), and its references."""
    return safe_markdown(answer.text, permalinks(answer.passages)) + format_references(answer)


def structured(answer) -> dict[str, Any]:
    """The extra fields of a reply's message (or last delta): citations, refused, the
    implied filters applied and the gaps, as ``Answer.as_dict`` gives them."""
    shape = answer.as_dict()
    return {name: shape[name] for name in ("citations", "refused", "implied_filters", "gaps")}


def usage_of(answer, messages: list[ChatMessage], content: str) -> dict[str, int]:
    """The reply's ``usage``: the model's own counts, else the cl100k estimate (the module
    docstring says what each counts)."""
    if answer.usage is not None:
        prompt, completion = answer.usage.prompt_tokens, answer.usage.completion_tokens
    else:
        read = [_text(m.content) for m in messages] + [p.text for p in answer.passages]
        prompt = sum(count_tokens(text) for text in read)
        completion = count_tokens(content)
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


def _fingerprint(assistant, backend: str) -> str:
    """``system_fingerprint``: changes when the backend or the index version does, as
    OpenAI's changes with its serving configuration (clients compare it across replies)."""
    store = getattr(assistant.retriever, "store", None)
    version = Path(str(getattr(store, "path", ""))).name
    return "fp_" + hashlib.sha256(f"{backend}|{version}".encode()).hexdigest()[:12]


def _models(assistant, allowed: list[str]) -> dict[str, str | None]:
    """Model ids clients may name: ``blog-archive`` (the default backend) and one per other
    enabled backend, ``blog-archive:<spec>``."""
    default = assistant.backend_name()
    models: dict[str, str | None] = {MODEL_ID: None}
    for spec in allowed:
        if spec != default:
            models[f"{MODEL_ID}:{spec}"] = spec
    return models


def create_router(assistant, allowed: list[str]):
    """An ``APIRouter`` with ``/v1/models`` and ``/v1/chat/completions``."""
    from fastapi import APIRouter
    from fastapi.responses import JSONResponse, StreamingResponse

    router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])
    models = _models(assistant, allowed)
    created = int(time.time())

    def model_card(model_id: str) -> dict[str, Any]:
        return {"id": model_id, "object": "model", "created": created,
                "owned_by": "blog-archive-assistant"}

    @router.get("/models", summary="Models (one per enabled backend)")
    def list_models():
        return {"object": "list", "data": [model_card(m) for m in models]}

    @router.get("/models/{model_id:path}", summary="One model")
    def get_model(model_id: str):
        if model_id not in models:
            return openai_error(404, f"model {model_id!r} not found", param="model",
                                code="model_not_found")
        return model_card(model_id)

    @router.post("/chat/completions", summary="Chat completion answered from the archive")
    def chat_completions(body: ChatRequest):
        question, history = split_messages(body.messages)
        # Unknown model names (clients often send their own default) get the default backend.
        model = body.model if body.model in models else MODEL_ID
        options = dict(filter_options(body.filters), k=body.k, backend=models[model],
                       infer_filters=body.infer_filters)
        reply_id = f"chatcmpl-{uuid.uuid4().hex}"
        now = int(time.time())
        if not body.stream:
            answer = assistant.ask(question, history, **options)
            content = completion_content(answer)
            message = {"role": "assistant", "content": content, "refusal": None,
                       **structured(answer)}
            if answer.notice:
                message["notice"] = answer.notice
            return JSONResponse({
                "id": reply_id, "object": "chat.completion", "created": now, "model": model,
                "system_fingerprint": _fingerprint(assistant, answer.backend),
                "choices": [{"index": 0, "message": message, "finish_reason": "stop",
                             "logprobs": None}],
                "usage": usage_of(answer, body.messages, content)})
        events = assistant.stream(question, history, **options)
        first = next(events, None)  # bad input raises here, before the response starts
        if first is None:
            raise RuntimeError("the answer stream ended without an event")
        base = {"id": reply_id, "object": "chat.completion.chunk", "created": now,
                "model": model, "system_fingerprint": _fingerprint(
                    assistant, assistant.backend_name(models[model]))}
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        chunks = _chunks(first, events, base, body.messages if include_usage else None)
        return StreamingResponse(chunks, media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache",
                                          "X-Accel-Buffering": "no"})

    return router


def _data(payload: dict[str, Any] | str) -> bytes:
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {text}\n\n".encode()


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def _chunks(first, events: Iterator, base: dict[str, Any],
            usage_for: list[ChatMessage] | None) -> Iterator[bytes]:
    """OpenAI stream chunks: the role, text deltas (notices inline, in italics), then the
    references with the structured citations, then ``finish_reason: stop``, the usage chunk
    when asked for (``usage_for``: the request's messages), and ``[DONE]``."""
    if usage_for is not None:
        base = dict(base, usage=None)

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        return _data(dict(base, choices=[{"index": 0, "delta": delta, "logprobs": None,
                                          "finish_reason": finish}]))

    yield chunk({"role": "assistant", "content": ""})
    deltas = _Deltas()
    try:
        for event in _chain(first, events):
            delta = deltas.of(event)
            if delta:
                yield chunk(delta)
        yield chunk({}, finish="stop")
        if usage_for is not None and deltas.answer is not None:
            usage = usage_of(deltas.answer, usage_for, deltas.content)
            yield _data(dict(base, choices=[], usage=usage))
    except ValueError as exc:
        yield _data(_error(str(exc), "invalid_request_error"))
    except Exception:
        log.exception("error while streaming a chat completion")
        yield _data(_error("internal error", "server_error"))
    yield _data("[DONE]")


class _Deltas:
    """The deltas of one streamed reply. Its text passes through ``SafeMarkdownStream`` as
    whole replies pass through ``safe_markdown``: a streamed draft is the model's raw text."""

    def __init__(self) -> None:
        self.safe = SafeMarkdownStream()
        self.wrote = False
        self.answer = None  # the final Answer, once its event went by
        self.content = ""  # the reply's content so far

    def of(self, event) -> dict[str, Any] | None:
        """The delta ``event`` adds to the reply, if any."""
        delta = self._delta(event)
        if delta:
            self.content += delta.get("content", "")
        return delta

    def _delta(self, event) -> dict[str, Any] | None:
        if isinstance(event, SourcesEvent):  # the passages' permalinks may stay links
            self.safe = SafeMarkdownStream(permalinks(event.passages))
        elif isinstance(event, TextDelta) and event.text:
            return self._text(self.safe.feed(event.text))
        elif isinstance(event, NoticeEvent):
            text = self.safe.flush()
            gap = "\n\n" if self.wrote or text else ""
            self.wrote = self.wrote or bool(text)
            return {"content": f"{text}{gap}_{safe_markdown(event.message)}_\n\n"}
        elif isinstance(event, AnswerEvent):
            answer = self.answer = event.answer
            delta = {"content": self.safe.flush() + format_references(answer),
                     **structured(answer)}
            if answer.notice:
                delta["notice"] = answer.notice
            return delta
        return None

    def _text(self, text: str) -> dict[str, Any] | None:
        self.wrote = self.wrote or bool(text)
        return {"content": text} if text else None


def _chain(first, rest: Iterator) -> Iterator:
    yield first
    yield from rest
