"""A copy of the archive driven through the real command line: what ``benchmarks.kills`` and
``benchmarks.corruption`` share.

A sorted subset of a corpus (``chunk_counts``, ``pick_files``, ``split_base``) is copied to
a temporary folder (``copy_files``) and indexed by ``python -m assistant`` in a child
process (``Cli``); what a build left is read back from disk (``current_name``,
``version_folders``, ``chunks_of``). ``PartCli`` is the command line both print their
tables with.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import REPO, Check, base_parser, corpus_dir, run_cli

__all__ = ["BUILD_TIMEOUT_S", "Cli", "PartCli", "Run", "chunk_counts", "chunks_of", "copy_files",
           "current_name", "pick_files", "split_base", "version_folders"]

BUILD_TIMEOUT_S = 600


@dataclass(frozen=True)
class Run:
    """One finished command: exit status, output, and wall seconds."""

    code: int
    out: str
    err: str
    seconds: float


@dataclass(frozen=True)
class Cli:
    """``python -m assistant`` over one corpus and index folder, in a child process."""

    corpus: Path
    index: Path

    def env(self) -> dict[str, str]:
        return {**os.environ, "ASSISTANT_CORPUS_DIR": str(self.corpus),
                "ASSISTANT_INDEX_DIR": str(self.index), "PYTHONPATH": str(REPO)}

    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "assistant", *args]

    def __call__(self, *args: str) -> Run:
        started = time.perf_counter()
        proc = subprocess.run(self.argv(*args), cwd=REPO, env=self.env(), capture_output=True,
                              text=True, timeout=BUILD_TIMEOUT_S, check=False)
        return Run(proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - started)

    def build(self, *args: str) -> Run:
        """``index`` with ``args``; RuntimeError, with its stderr, unless it exits 0."""
        run = self("index", *args)
        if run.code != 0:
            raise RuntimeError(f"`python -m assistant {' '.join(('index', *args))}` over "
                               f"{self.corpus} failed (exit {run.code}): "
                               f"{run.err.strip()[-500:]}")
        return run

    def start(self, *args: str) -> subprocess.Popen:
        """Started in a session of its own, so that a kill of its group takes its workers."""
        return subprocess.Popen(self.argv(*args), cwd=REPO, env=self.env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)

    def hits(self, query: str) -> tuple[tuple[str, str], ...] | str:
        """``(chunk id, text)`` of ``search``'s top 5, or what went wrong."""
        run = self("search", query, "-k", "5", "--json")
        if run.code != 0:
            return f"search exited {run.code}: {run.err.strip()[-300:]}"
        return tuple((h["chunk_id"], h["text"]) for h in json.loads(run.out))


# ------------------------------------------------------------------ the subset


def chunk_counts(corpus: Path) -> dict[str, int]:
    """Distinct chunks of each corpus file, as a build with the configured chunker makes
    them (parsed here, nothing embedded)."""
    from assistant.index.files import iter_corpus_files
    from assistant.index.parse_pool import ParseJob, chunker_config, parse_for_plan
    from assistant.settings import Settings

    settings = Settings.from_env()
    config = chunker_config(settings)
    counts = {}
    for source, path in iter_corpus_files(corpus):
        parsed = parse_for_plan(ParseJob(str(path), source, settings.max_file_bytes, config))
        counts[source] = len({c.chunk_id for c in parsed.chunks or ()})
    return counts


def pick_files(counts: dict[str, int], target: int) -> list[str]:
    """The sorted files up to the first whose chunks bring the total to ``target`` (all of
    them when the corpus holds fewer)."""
    picked, total = [], 0
    for source in sorted(counts):
        if total >= target:
            break
        if counts[source]:
            picked.append(source)
            total += counts[source]
    return picked


def split_base(files: list[str], counts: dict[str, int]) -> tuple[list[str], list[str]]:
    """``(base, rest)``: the longest prefix holding at most a third of the chunks (at least
    one file), and the files a killed build adds (at least one)."""
    if len(files) < 2:
        raise ValueError(f"kills need at least two corpus files with chunks, got {files}")
    third, total, cut = sum(counts[f] for f in files) / 3, 0, 1
    for i, source in enumerate(files[:-1], 1):
        total += counts[source]
        if total > third:
            break
        cut = i
    return files[:cut], files[cut:]


def copy_files(corpus: Path, files: Iterable[str], target: Path) -> None:
    for source in files:
        (target / source).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(corpus / source, target / source)


# ------------------------------------------------------------------ what a build left


def current_name(index: Path) -> str:
    """The version ``CURRENT`` names ("" when there is none)."""
    try:
        return (index / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return ""


def version_folders(index: Path) -> tuple[list[str], list[str]]:
    """``(versions, leftovers)`` under ``index/versions``: published-style folders, and
    staging or half-deleted ones (``.tmp-``, ``.trash-``)."""
    folder = index / "versions"
    names = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    return [n for n in names if not n.startswith(".")], [n for n in names if n.startswith(".")]


def chunks_of(index: Path) -> dict[str, str]:
    """Chunk id -> text of the published version."""
    from assistant.index.store import CHUNKS_FILE, ChunkStore
    from assistant.index.versions import read_current

    version = read_current(index)
    if version is None:
        return {}
    store = ChunkStore.read(version / CHUNKS_FILE)
    try:
        found = store.chunks_by_ids([int(i) for i in store.all_ids()])
    finally:
        store.close()
    return {c.chunk_id: c.text for c in found.values()}


# ------------------------------------------------------------------ the command line


@dataclass(frozen=True)
class PartCli:
    """``python -m benchmarks.<name> [--quick] [--corpus DIR] [--json]`` for a part run over
    a copy of the archive: ``run(corpus, quick)`` gives ``(setup, trials)``, ``rows`` their
    harness rows and ``table`` the detailed table. Exit status 1 when a row did not hold."""

    name: str
    doc: str  # the module's docstring: its first paragraph is the description
    quick_help: str
    run: Callable[[Path, bool], tuple]
    rows: Callable[[object, list], list[Check]]
    table: Callable[[object, list], str]

    def main(self, argv: list[str] | None = None) -> int:
        parser = base_parser(f"benchmarks.{self.name}", self.doc.split("\n\n")[0])
        parser.add_argument("--quick", action="store_true", help=self.quick_help)
        args = parser.parse_args(argv)

        def body() -> int:
            setup, trials = self.run(corpus_dir(args), args.quick)
            rows = self.rows(setup, trials)
            if args.json:
                print(json.dumps({"checks": [c.__dict__ for c in rows],
                                  "trials": [t.__dict__ for t in trials]}, default=str))
            else:
                print(self.table(setup, trials))
                print()
                for row in rows:
                    print(f"{row.part}: {row.passed}/{row.trials}; {row.figure}")
            return 0 if all(r.ok for r in rows) else 1

        return run_cli(body)
