"""Planning a build: which files are new, changed, unchanged, skipped or gone, and which
chunks the previous version already stores.

Planning hashes every file whose size or mtime changed and parses the new or changed ones
(in worker processes when there are many) for their chunk ids, keeping the first
``PLAN_KEEP_CHUNKS`` chunks; writing parses the other files again and streams their chunks
through embedding, so a build holds a bounded number of chunk texts, not the archive's (a
file that changed in between makes the build plan again: ``CorpusChangedError``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from assistant.hashing import sha256_file
from assistant.index.companions import Companions, combined_digest, find_companions
from assistant.index.files import CorpusFile, FileRow, walk_corpus
from assistant.index.parse_pool import Parsed, ParsePool, parse_again, parse_for_plan
from assistant.index.report import Changes, FileReport
from assistant.index.store import ChunkStore
from assistant.ingest.disqus import looks_like_disqus
from assistant.ingest.exports import link_key
from assistant.ingest.imported import PostLink
from assistant.records import Chunk, faiss_id

__all__ = ["PLAN_KEEP_CHUNKS", "CorpusChangedError", "FileChunks", "Plan", "ToParse",
           "is_comment_export", "plan_corpus", "plan_sources", "planned_chunks", "report_gone",
           "skipped", "unchanged_or_to_parse", "unique", "units"]

# Chunks a plan keeps for writing (tens of MB); the files past them are parsed again.
PLAN_KEEP_CHUNKS = 20_000


class CorpusChangedError(RuntimeError):
    """A file changed between planning a build and writing it. The version being written
    is dropped (the published one is untouched, finished batches are kept) and
    ``build_index`` plans again, up to ``BUILD_ATTEMPTS`` times."""

    def __init__(self, source: str, detail: str = ""):
        super().__init__(f"{source} changed while it was being indexed{detail}: "
                         "run the build again")
        self.source = source


@dataclass(frozen=True)
class FileChunks:
    """A new or changed file as planned: its chunk ids in order (duplicates dropped) and
    which of them the previous version already stores. Past the first ``PLAN_KEEP_CHUNKS``
    chunks of a plan, a file's chunks are parsed again when they are written, so a build
    holds a bounded number of chunk texts, not the archive's."""

    source: str
    ids: np.ndarray      # int64 FAISS ids
    stored: np.ndarray   # bool per id: in the previous version (reused, not embedded)
    path: str | None = None  # parsed again from here, unless
    chunks: Callable[[], list[Chunk]] | None = None  # kept from planning, or given
    # The ids of each post body and comment (``units``), to count what changed.
    units: dict[str, frozenset[int]] = field(default_factory=dict)
    companions: tuple[str, ...] = ()  # the paths of its comment files, read with it

    @property
    def to_embed(self) -> int:
        return int(len(self.ids) - self.stored.sum())


@dataclass
class Plan:
    """What a build will write, filled in by ``plan_corpus`` (or ``build_from_chunks``)."""

    reports: list[FileReport] = field(default_factory=list)
    keep_sources: set[str] = field(default_factory=set)   # unchanged: reuse stored chunks
    files: list[FileChunks] = field(default_factory=list)  # added/updated files
    file_rows: list[FileRow] = field(default_factory=list)
    gone_sources: set[str] = field(default_factory=set)   # indexed before, not kept now
    removed_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    previous_rows: dict[str, FileRow] = field(default_factory=dict)  # the files it knew
    changes: Changes = field(default_factory=Changes)

    @property
    def to_embed(self) -> int:
        return sum(f.to_embed for f in self.files)


@dataclass(frozen=True)
class ToParse:
    """A file to parse while planning: its place in the plan, what the walk found, and
    its row in the previous version (if any)."""

    slot: int  # in ``Plan.reports`` and ``Plan.file_rows``
    file: CorpusFile
    sha256: str
    old: FileRow | None
    companions: tuple[str, ...] = ()

    def row(self, status: str, reason: str | None = None, parsed: Parsed | None = None,
            chunks: int = 0) -> FileRow:
        if parsed is None:
            return FileRow(self.file.source, self.sha256, self.file.size, self.file.mtime_ns,
                           status, reason)
        return FileRow(self.file.source, self.sha256, self.file.size, self.file.mtime_ns,
                       status, reason, parsed.posts, chunks, parsed.comments, parsed.left_out,
                       parsed.blog_title)


def units(chunks: list[Chunk]) -> dict[str, frozenset[int]]:
    """The ids of each post body (by post id) and comment (``post_id#number``)."""
    found: dict[str, set[int]] = {}
    for c in chunks:
        key = f"{c.post_id}#{c.comment_number}" if c.comment_number else c.post_id
        found.setdefault(key, set()).add(faiss_id(c.chunk_id))
    return {k: frozenset(v) for k, v in found.items()}


def unique(chunks: list[Chunk]) -> tuple[list[Chunk], np.ndarray]:
    """``chunks`` without repeated ids (a post repeated within a file), and their ids."""
    ids: dict[int, Chunk] = {}
    for chunk in chunks:
        ids.setdefault(faiss_id(chunk.chunk_id), chunk)
    return list(ids.values()), np.fromiter(ids, np.int64, len(ids))


def plan_corpus(corpus_dir: Path, previous: ChunkStore | None, parser: ParsePool,
                reparse_all: bool = False) -> Plan:
    """The plan of a build of ``corpus_dir`` on top of the ``previous`` version's store."""
    known = previous.file_rows() if previous is not None else {}
    plan = Plan(previous_rows=known)
    files = walk_corpus(corpus_dir)
    to_parse = unchanged_or_to_parse(plan, files, known, reparse_all, find_companions(files))
    parsed = parser.map(parse_for_plan, [parser.job(t.file.path, t.file.source, t.companions)
                                         for t in to_parse])
    kept = 0  # chunks kept from planning for writing, up to PLAN_KEEP_CHUNKS
    deferred: list[ToParse] = []  # comment exports: read again once every address is known
    addresses: dict[str, PostLink] = {}
    for item, result in zip(to_parse, parsed, strict=True):  # streamed: see ``ParsePool``
        if result.wants_links:
            deferred.append(item)
            continue
        addresses.update(result.links)
        if result.chunks is None:
            skipped(plan, item, result.reason or "unreadable")
        else:
            kept = _parsed(plan, item, result, kept)
    for item, result in _comment_exports(plan, previous, files, deferred, addresses, parser):
        if result.chunks is None:
            skipped(plan, item, result.reason or "unreadable")
        else:
            kept = _parsed(plan, item, result, kept)
    return _finished(plan, previous, {f.source for f in files})


def plan_sources(previous: ChunkStore | None, rows: list[FileRow],
                 changed: dict[str, list[Chunk]]) -> Plan:
    """The plan of a version holding the files ``rows`` on top of ``previous``, given the
    new chunks of the ``changed`` sources (parsed elsewhere: a cluster's shard); the other
    sources of ``rows`` keep what ``previous`` stores of them, and sources ``previous``
    holds that ``rows`` lack are removed."""
    known = previous.file_rows() if previous is not None else {}
    plan = Plan(previous_rows=known, file_rows=list(rows))
    for row in rows:
        if row.source not in changed:
            if row.source not in known:
                raise ValueError(f"{row.source} is kept but the previous version lacks it")
            plan.keep_sources.add(row.source)
            plan.reports.append(FileReport(row.source, "unchanged", None, row.posts,
                                           row.chunks, row.comments, row.left_out))
            continue
        chunks, ids = unique(changed[row.source])
        plan.files.append(FileChunks(row.source, ids, np.zeros(len(ids), bool),
                                     chunks=lambda c=chunks: c, units=units(chunks)))
        status = "updated" if row.source in known else "added"
        plan.reports.append(FileReport(row.source, status, None, row.posts, len(ids),
                                       row.comments, row.left_out))
    return _finished(plan, previous, {row.source for row in rows})


def report_gone(plan: Plan, present: set[str]) -> set[str]:
    """Report each indexed source of ``plan.previous_rows`` missing from ``present`` as
    removed; those sources."""
    gone = set()
    for source, old in plan.previous_rows.items():
        if source not in present and old.indexed:
            gone.add(source)
            plan.reports.append(FileReport(source, "removed", None, old.posts, old.chunks,
                                           old.comments, old.left_out))
    return gone


def _finished(plan: Plan, previous: ChunkStore | None, present: set[str]) -> Plan:
    """``plan`` with its removed files reported, the ids that go, and its change counts."""
    report_gone(plan, present)
    plan.gone_sources = {s for s, old in plan.previous_rows.items()
                         if old.indexed} - plan.keep_sources
    if previous is not None:
        _match_previous(previous, plan)
    plan.changes = _changes(plan, previous)
    return plan


def _digest(file: CorpusFile, old: FileRow | None) -> str:
    """A file's sha256; not hashed again when its size and mtime match its row's."""
    if old is not None and old.size == file.size and old.mtime_ns == file.mtime_ns:
        return old.sha256
    return sha256_file(file.path)


def unchanged_or_to_parse(plan: Plan, files: list[CorpusFile], known: dict[str, FileRow],
                           reparse_all: bool, links: Companions) -> list[ToParse]:
    """Put the unchanged files in ``plan``; the others, in order, are to be parsed (their
    slots in the plan held open). A file whose size and mtime match is not hashed again;
    comment files go with their posts (``companions``)."""
    to_parse: list[ToParse] = []
    for file in files:
        old = known.get(file.source)
        if file.source in links.post_of or file.source in links.orphans:
            _companion(plan, file, _digest(file, old), links)
            continue
        attached = links.of_post.get(file.source, ())
        if attached:  # its row holds the combined digest: its own is hashed every time
            sha = combined_digest(sha256_file(file.path), [
                (c.source, _digest(c, known.get(c.source))) for c in attached])
        else:
            sha = _digest(file, old)
        if old is not None and old.sha256 == sha and not reparse_all:
            plan.file_rows.append(old.restat(file.size, file.mtime_ns))
            if old.indexed:
                plan.keep_sources.add(file.source)
                plan.reports.append(FileReport(file.source, "unchanged", None, old.posts,
                                               old.chunks, old.comments, old.left_out))
            else:
                plan.reports.append(FileReport(file.source, "skipped", old.reason))
            continue
        to_parse.append(ToParse(len(plan.reports), file, sha, old,
                                 tuple(c.path for c in attached)))
        plan.reports.append(None)
        plan.file_rows.append(None)
    return to_parse


def _companion(plan: Plan, file: CorpusFile, sha: str, links: Companions) -> None:
    """A comment file: attached to its post (read with it), or skipped when it has none."""
    post = links.post_of.get(file.source)
    status, reason = ("attached", f"comments of {post}") if post else (
        "skipped", links.orphans[file.source])
    plan.file_rows.append(FileRow(file.source, sha, file.size, file.mtime_ns, status, reason))
    plan.reports.append(FileReport(file.source, status, reason))


def _comment_exports(plan: Plan, previous: ChunkStore | None, files: list[CorpusFile],
                     deferred: list[ToParse], addresses: dict[str, PostLink],
                     parser: ParsePool) -> list[tuple[ToParse, Parsed]]:
    """The Disqus exports read with the archive's post ``addresses`` (those of the files
    parsed now, and of the unchanged ones as the last build stored them), so that their
    threads join the posts they were left on (``ingest.disqus``): the ``deferred`` ones,
    and an unchanged one when another file changed (a post it joins may have come, changed
    or gone) unless its passages come out the same. Comment exports are small: this runs
    in this process."""
    known = plan.previous_rows
    seen = {f.source for f in files}
    # what can move a post: a file added or changed (parsed now) or one gone
    changed = bool(plan.files or deferred) or any(
        s not in seen for s, old in known.items() if old.indexed)
    unchanged = [(slot, file) for slot, file in _kept_files(plan, files)
                 if is_comment_export(file.path)] if changed else []
    if not deferred and not unchanged:
        return []
    by_link = dict(addresses)
    if previous is not None:
        others = plan.keep_sources - {file.source for _, file in unchanged}
        for _, post_id, title, day, url in previous.post_addresses(others):
            if key := link_key(url):
                by_link.setdefault(key, PostLink(post_id, title, day, url))
    out = [(item, parse_for_plan(parser.job(item.file.path, item.file.source,
                                            posts_by_link=by_link))) for item in deferred]
    for slot, file in unchanged:
        result = parse_for_plan(parser.job(file.path, file.source, posts_by_link=by_link))
        old_ids = previous.ids_by_source([file.source]).get(file.source) if previous else None
        if result.chunks is not None and old_ids is not None and set(
                unique(result.chunks)[1].tolist()) == set(old_ids.tolist()):
            continue  # the same passages: it stays as it was
        plan.keep_sources.discard(file.source)
        out.append((ToParse(slot, file, known[file.source].sha256, known[file.source]), result))
    return out


def _kept_files(plan: Plan, files: list[CorpusFile]) -> Iterator[tuple[int, CorpusFile]]:
    """``(slot, file)`` of the files kept unchanged."""
    by_source = {f.source: f for f in files}
    for slot, report in enumerate(plan.reports):
        if report is not None and report.source in plan.keep_sources:
            yield slot, by_source[report.source]


def is_comment_export(path: str) -> bool:
    """Whether the file is a Disqus export (its first 64 KB, as ``disqus`` sniffs it)."""
    if not path.lower().endswith(".xml"):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536).decode("utf-8", "replace")
    except OSError:
        return False
    return looks_like_disqus(head)


def skipped(plan: Plan, item: ToParse, reason: str) -> None:
    """A file that did not parse: it keeps what was indexed of it, if anything."""
    source = item.file.source
    if item.old is not None and item.old.indexed:
        # Keep what was indexed from the last good version of this file.
        plan.keep_sources.add(source)
        plan.file_rows[item.slot] = item.old
        reason += " (kept the previously indexed version)"
    else:
        plan.file_rows[item.slot] = item.row("skipped", reason)
    plan.reports[item.slot] = FileReport(source, "skipped", reason)


def _parsed(plan: Plan, item: ToParse, result: Parsed, kept: int) -> int:
    """Add a parsed file to ``plan``; returns the chunks kept for writing so far."""
    chunks, ids = unique(result.chunks or [])
    # a comment export's chunks depend on the other files' addresses: never parsed again
    keep = kept + len(chunks) <= PLAN_KEEP_CHUNKS or result.wants_links
    kept += len(chunks) if keep else 0
    plan.files.append(FileChunks(item.file.source, ids, np.zeros(len(ids), bool),
                                 path=item.file.path,
                                 chunks=(lambda c=chunks: c) if keep else None,
                                 units=units(chunks), companions=item.companions))
    status = "updated" if item.old is not None and item.old.indexed else "added"
    plan.file_rows[item.slot] = item.row("indexed", None, result, len(ids))
    plan.reports[item.slot] = FileReport(item.file.source, status, None, result.posts,
                                         len(ids), result.comments, result.left_out)
    return kept


def _match_previous(previous: ChunkStore, plan: Plan) -> None:
    """Mark the planned chunks the previous version stores, and collect the ids of its
    rows that go: every row of a gone source that the source's new chunks do not repeat.
    Chunk ids hash the source, so a chunk can only be reused from its own file."""
    planned = {f.source: i for i, f in enumerate(plan.files)}
    removed: list[np.ndarray] = []
    for source, old in previous.ids_by_source(plan.gone_sources).items():
        if source in planned:
            file = plan.files[planned[source]]
            plan.files[planned[source]] = replace(file, stored=np.isin(file.ids, old))
            old = old[~np.isin(old, file.ids)]
        removed.append(old)
    if removed:
        plan.removed_ids = np.concatenate(removed)


def _changes(plan: Plan, previous: ChunkStore | None) -> Changes:
    """Posts and comments added, changed and removed, from the ids of each post body and
    comment before and after (only for the files that were parsed or are gone)."""
    old_units = previous.units_by_source(plan.gone_sources) if previous is not None else {}
    counts = dict.fromkeys(("posts_added", "posts_changed", "posts_removed", "comments_added",
                            "comments_changed", "comments_removed"), 0)
    new_by_source = {f.source: f.units for f in plan.files}
    for source in set(old_units) | set(new_by_source):
        old, new = old_units.get(source, {}), new_by_source.get(source, {})
        for key in old.keys() | new.keys():
            kind = "comments" if "#" in key else "posts"
            if key not in old:
                counts[f"{kind}_added"] += 1
            elif key not in new:
                counts[f"{kind}_removed"] += 1
            elif old[key] != new[key]:
                counts[f"{kind}_changed"] += 1
    return Changes(**counts)


def planned_chunks(plan: Plan, parser: ParsePool) -> Iterator[tuple[FileChunks, list[Chunk]]]:
    """Each planned file with its chunks, produced again (parsed in ``parser``'s workers)."""
    jobs = [parser.job(f.path, f.source, f.companions) for f in plan.files if f.chunks is None]
    parsed = parser.map(parse_again, jobs)
    for file in plan.files:
        chunks = file.chunks() if file.chunks is not None else next(parsed)
        if isinstance(chunks, str):
            raise CorpusChangedError(file.source, f" ({chunks})")
        yield file, chunks
