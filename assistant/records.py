"""Frozen records every stage shares: what ingestion yields, what search returns, what
answering streams.

``Post``/``Comment`` come out of ``ingest``; ``Chunk`` is what ``index`` stores; ``Hit`` is
what ``search`` returns; ``Citation``, ``Answer`` and the stream events come out of
``answer``. Ids are content hashes, so re-indexing the same text is idempotent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

__all__ = [
    "Answer",
    "AnswerEvent",
    "Chunk",
    "Citation",
    "Comment",
    "Event",
    "Hit",
    "Hits",
    "ImpliedFilter",
    "NoticeEvent",
    "PartialResults",
    "Post",
    "SourcesEvent",
    "TextDelta",
    "TokenUsage",
    "faiss_id",
    "replying",
]


@dataclass(frozen=True)
class Comment:
    """One reader comment. ``number`` is its position in the thread: "3", or "3.2" for a
    reply. An imported comment keeps the export's ``id``, the ``parent_id`` of the comment
    it replies to (None for a reply to the post) and its permalink ``url``. Never an email
    or an IP address: importers drop them."""

    number: str
    text: str
    author: str | None = None
    date: date | None = None
    id: str | None = None
    parent_id: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Post:
    """One blog post with its comments. ``source`` is the corpus-relative path (POSIX)."""

    source: str
    title: str
    body: str
    date: date | None = None
    author: str | None = None
    url: str | None = None
    comments: tuple[Comment, ...] = ()
    tags: tuple[str, ...] = ()
    status: str = "publish"  # an export's status; only published posts are indexed
    guid: str | None = None  # the export's own id for the post (WordPress post_id, Atom id)
    page: bool = False  # a page (About, Contact), not a dated post
    # The id of the post these comments were left on, when it lies in another file (a
    # Disqus thread of a WordPress post): its comments join that post's thread.
    thread_of: str | None = None

    @property
    def post_id(self) -> str:
        """Stable id from source and the export's id when it has one, else from source,
        title and date (not the text, so an edit keeps the id); ``thread_of`` when set."""
        if self.thread_of:
            return self.thread_of
        key = (f"{self.source}\x00guid\x00{self.guid}" if self.guid
               else f"{self.source}\x00{self.title}\x00{self.date}")
        return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Chunk:
    """A passage of one post body or one comment, with the context needed to cite it."""

    chunk_id: str
    post_id: str
    source: str
    title: str
    date: date | None
    kind: str  # "post" or "comment"
    author: str | None
    comment_number: str | None
    position: int
    text: str
    url: str | None = None  # the post's permalink; a comment's own (``…#comment-123``)
    # The post's opening words, embedded with every later chunk so that a passage far from
    # the start of a long post still carries what the post is about.
    context: str = ""
    # For a reply to another comment: who wrote that one ("" when it was anonymous), so a
    # header and a citation say who replied to whom.
    reply_to: str | None = None

    @property
    def header(self) -> str:
        """Short context line embedded with the text so a chunk is findable by who/when/what."""
        when = f" ({self.date.day} {self.date:%B %Y})" if self.date else ""
        if self.kind == "comment":
            who = f" by {self.author}" if self.author else ""
            return f"{self.title}{when}. Reader comment{who}{replying(self.reply_to)}:"
        by = f" by {self.author}" if self.author else ""
        return f"{self.title}{when}. Post{by}:"

    @property
    def embed_text(self) -> str:
        if self.context:
            return f"{self.header} {self.context} …\n{self.text}"
        return f"{self.header}\n{self.text}"


def replying(reply_to: str | None) -> str:
    """", replying to X" for a reply (", replying to a comment" when X was anonymous)."""
    if reply_to is None:
        return ""
    return f", replying to {reply_to}" if reply_to else ", replying to a comment"


def faiss_id(chunk_id: str) -> int:
    """A stable positive int64 for FAISS, derived from the hex content hash."""
    return int(chunk_id[:16], 16) & 0x7FFF_FFFF_FFFF_FFFF


@dataclass(frozen=True)
class Hit:
    """One retrieved passage and where it comes from."""

    text: str
    score: float
    source: str
    title: str
    date: date | None
    kind: str
    author: str | None
    chunk_id: str
    comment_number: str | None = None
    post_id: str = ""
    url: str | None = None  # the post's or the comment's own permalink, as imported
    dense_score: float = 0.0  # cosine similarity to the query, for every mode
    reply_to: str | None = None  # see ``Chunk.reply_to``

    @classmethod
    def from_chunk(cls, chunk: Chunk, score: float, dense_score: float) -> Hit:
        return cls(text=chunk.text, score=float(score), source=chunk.source, title=chunk.title,
                   date=chunk.date, kind=chunk.kind, author=chunk.author,
                   chunk_id=chunk.chunk_id, comment_number=chunk.comment_number,
                   post_id=chunk.post_id, url=chunk.url, dense_score=float(dense_score),
                   reply_to=chunk.reply_to)

    def as_dict(self) -> dict[str, object]:
        """The public JSON shape (``search --json``, the HTTP API, MCP). ``url`` is the
        permalink: chunking keeps only ``http(s)`` addresses (``text.web_url``)."""
        return {"text": self.text, "score": round(self.score, 6), "source": self.source,
                "title": self.title, "date": self.date.isoformat() if self.date else None,
                "kind": self.kind, "author": self.author, "chunk_id": self.chunk_id,
                "comment_number": self.comment_number, "reply_to": self.reply_to,
                "url": self.url, "post_id": self.post_id}


@dataclass(frozen=True)
class PartialResults:
    """Shards of a cluster that did not answer a search (no live replica in time): the
    results lack the passages they hold, and every answer and API response says so."""

    missing: tuple[str, ...]
    shards: int

    @property
    def message(self) -> str:
        names = ", ".join(self.missing)
        return (f"Partial results: {len(self.missing)} of {self.shards} archive shards "
                f"({names}) did not answer, so passages they hold are missing here.")

    def as_dict(self) -> dict[str, object]:
        return {"missing_shards": list(self.missing), "shards": self.shards,
                "message": self.message}


class Hits(list):
    """A search's ``Hit``s, best first; ``partial`` is set when a cluster answered without
    some of its shards (a plain list everywhere else)."""

    partial: PartialResults | None = None


@dataclass(frozen=True)
class Citation:
    """Passage ``n`` (1-based, as numbered in the prompt) cited by the answer."""

    n: int
    hit: Hit
    quote: str  # the span of the passage that best supports the citing sentence
    supported: bool
    sentence: str = ""  # the answer sentence that cites the passage (markers removed)

    def as_dict(self) -> dict[str, object]:
        hit = self.hit
        return {"n": self.n, "source": hit.source, "title": hit.title,
                "date": hit.date.isoformat() if hit.date else None, "kind": hit.kind,
                "author": hit.author, "comment_number": hit.comment_number,
                "reply_to": hit.reply_to, "url": hit.url, "post_id": hit.post_id,
                "quote": self.quote, "supported": self.supported}


@dataclass(frozen=True)
class ImpliedFilter:
    """A restriction the question's wording implies ("In 2019, …" → since and until), applied
    to the search and shown to the user, who may remove it; an explicit filter wins."""

    name: str  # "since", "until", "kind" or "author"
    value: str  # as the filter takes it: an ISO date, "post"/"comment", a signed name
    phrase: str  # the words that implied it, as written ("In 2019", "readers")

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "value": self.value, "phrase": self.phrase}


@dataclass(frozen=True)
class TokenUsage:
    """Tokens a chat model read and wrote for one answer, as its backend counted them (a
    backend's ``stream`` returns one when it can: llama.cpp with the model's own tokenizer,
    an OpenAI-compatible server with the counts it reports)."""

    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    refused: bool
    citations: tuple[Citation, ...] = ()
    passages: tuple[Hit, ...] = ()  # what the answer was built from, numbered 1..n
    query: str = ""  # the standalone query used for retrieval
    backend: str = "extractive"
    notice: str | None = None  # e.g. why a configured model was not used
    unsupported: tuple[str, ...] = ()  # sentences whose citation did not check out
    first_token_s: float | None = None  # seconds from the call to the first text
    total_s: float | None = None
    retrieval_s: float | None = None  # seconds from the call to the SourcesEvent
    draft: str = ""  # the model's unchecked text (what the TextDeltas carried)
    repaired: tuple[str, ...] = ()  # sentences whose citation was moved to the passage
    # that supports them (the model cited the wrong number or none)
    implied: tuple[ImpliedFilter, ...] = ()  # filters read from the wording, applied
    gaps: tuple[str, ...] = ()  # what was asked that the archive does not state ("the
    # system's cost"): the answer says so, then what the archive says nearby
    usage: TokenUsage | None = None  # the model's tokens; None when no model was asked, or
    # its backend reported no counts
    partial: PartialResults | None = None  # a cluster searched without some of its shards

    def as_dict(self) -> dict[str, object]:
        """The public JSON shape (``ask --json``, the HTTP API)."""
        return {"answer": self.text, "refused": self.refused,
                "citations": [c.as_dict() for c in self.citations],
                "implied_filters": [f.as_dict() for f in self.implied],
                "gaps": list(self.gaps),
                **({"partial_results": self.partial.as_dict()} if self.partial else {})}


@dataclass(frozen=True)
class SourcesEvent:
    """First event of a stream: the passages, before any text is written."""

    passages: tuple[Hit, ...]
    query: str


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class NoticeEvent:
    """Something the user should see, e.g. a fallback to the extractive backend."""

    message: str


@dataclass(frozen=True)
class AnswerEvent:
    """Last event of a stream."""

    answer: Answer


Event = SourcesEvent | TextDelta | NoticeEvent | AnswerEvent
