"""Parsing and chunking corpus files, in worker processes when there are many.

A build parses each new or changed file twice at most: once to plan (its chunk ids), and
again when it is written, unless the plan kept its chunks (``plan.PLAN_KEEP_CHUNKS``). Both
passes go through ``ParsePool.map``, which keeps results in order and only a few files per
worker ahead of its consumer, so chunk texts waiting to be embedded stay bounded.
"""

from __future__ import annotations

import collections
import itertools
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from assistant.index.files import format_left_out
from assistant.ingest import SkippedFile
from assistant.ingest.chunking import ChunkerConfig, chunk_post
from assistant.ingest.exports import link_key
from assistant.ingest.imported import PostLink
from assistant.ingest.parse import read_file
from assistant.records import Chunk
from assistant.settings import Settings
from assistant.text import web_url

__all__ = [
    "PARALLEL_PARSE_MIN_FILES",
    "ParseJob",
    "ParsePool",
    "Parsed",
    "chunker_config",
    "parse_again",
    "parse_for_plan",
]

PARALLEL_PARSE_MIN_FILES = 16  # fewer files to parse: worker processes would cost more


def chunker_config(settings: Settings) -> ChunkerConfig:
    """The chunking the settings ask for (recorded in the manifest)."""
    return ChunkerConfig(max_tokens=settings.chunk_tokens, overlap_tokens=settings.chunk_overlap,
                         lead_tokens=settings.chunk_lead_tokens,
                         drafts=settings.include_drafts)


@dataclass(frozen=True)
class ParseJob:
    """One file to parse and chunk (picklable: it travels to a worker)."""

    path: str
    source: str
    max_bytes: int
    config: ChunkerConfig
    companions: tuple[str, ...] = ()  # its Staticman comment files' paths (``companions``)
    # The archive's posts by address, for a Disqus export read a second time (``plan``)
    posts_by_link: Mapping[str, PostLink] | None = None


@dataclass(frozen=True)
class Parsed:
    """One file as planning read it: its chunks and what the files table records of it,
    or (``chunks`` None) the one-line reason it is skipped."""

    chunks: list[Chunk] | None
    posts: int = 0
    comments: int = 0
    left_out: str = ""  # ``files.format_left_out``
    reason: str | None = None
    blog_title: str = ""
    # Its posts' addresses (``exports.link_key``), for the comments of a Disqus export
    links: tuple[tuple[str, PostLink], ...] = ()
    wants_links: bool = False  # a Disqus export: read again with the archive's addresses


def _parse_chunks(job: ParseJob) -> Parsed:
    imported = read_file(Path(job.path), job.source, max_bytes=job.max_bytes,
                         companions=job.companions, posts_by_link=job.posts_by_link,
                         include_drafts=job.config.drafts)
    chunks = [c for post in imported.posts for c in chunk_post(post, job.config)]
    # A post with no text (a title over an image) yields no passage: counted as left out,
    # so the file's post count is what the index holds (6 of the real Blogger export's 629);
    # a Disqus thread that joined a post of another file is that file's post
    found = {c.post_id for c in chunks}
    own = [p for p in imported.posts if not p.thread_of]
    posts = [p for p in own if p.post_id in found]
    left_out = dict(imported.left_out)
    if len(posts) < len(own):
        left_out["no text"] = left_out.get("no text", 0) + len(own) - len(posts)
    links = tuple((key, PostLink(p.post_id, p.title, p.date.isoformat() if p.date else None,
                                 url))
                  for p in posts if (url := web_url(p.url)) and (key := link_key(url)))
    return Parsed(chunks, len(posts), sum(len(p.comments) for p in imported.posts
                                          if p.post_id in found),
                  format_left_out(tuple(sorted(left_out.items()))),
                  blog_title=imported.blog_title, links=links,
                  wants_links=imported.wants_links)


def parse_for_plan(job: ParseJob) -> Parsed:
    """Planning a file: its chunks and counts, or why it is skipped."""
    try:
        return _parse_chunks(job)
    except SkippedFile as exc:
        return Parsed(None, reason=str(exc))


def parse_again(job: ParseJob) -> list[Chunk] | str:
    """Writing a file: its chunks, or why it can no longer be read."""
    try:
        return _parse_chunks(job).chunks or []
    except (SkippedFile, OSError) as exc:
        return str(exc)


def _exit_with_parent(parent: int) -> None:
    """In a parse worker: exit when the building process is gone (a SIGKILL gives the pool
    no chance to stop its workers, which would otherwise wait for work forever)."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class ParsePool:
    """Parsing and chunking in worker processes (``Settings.parse_workers``), made on first
    use. ``map`` yields results in order, at most a few files per worker ahead of its
    consumer, so chunk texts waiting to be embedded stay bounded."""

    def __init__(self, settings: Settings, config: ChunkerConfig):
        self.workers = settings.parse_workers or min(os.cpu_count() or 1, 8)
        self.auto = settings.parse_workers == 0
        self.max_bytes = settings.max_file_bytes
        self.config = config
        self._pool = None

    def job(self, path: str, source: str, companions: tuple[str, ...] = (),
            posts_by_link: Mapping[str, PostLink] | None = None) -> ParseJob:
        return ParseJob(path, source, self.max_bytes, self.config, companions, posts_by_link)

    def map(self, fn: Callable, jobs: list) -> Iterator:
        if self.workers <= 1 or len(jobs) < (PARALLEL_PARSE_MIN_FILES if self.auto else 2):
            yield from map(fn, jobs)
            return
        if self._pool is None:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            # fork, not spawn or forkserver: those run the caller's main script again in
            # each worker, which breaks any script that builds without a __main__ guard.
            # The workers only parse and count tokens, touching no model or its threads.
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("fork"),
                initializer=_exit_with_parent, initargs=(os.getpid(),))
        window: collections.deque[Future] = collections.deque()
        pending = iter(jobs)
        for job in itertools.islice(pending, 4 * self.workers):
            window.append(self._pool.submit(fn, job))
        while window:
            result = window.popleft().result()
            for job in itertools.islice(pending, 1):
                window.append(self._pool.submit(fn, job))
            yield result

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
