"""``python -m benchmarks.corruption``: damage each file of a published version, then check
that the damage is detected and repaired.

    python -m benchmarks.corruption            # 2 damages per file, the shipped corpus
    python -m benchmarks.corruption --quick    # 1 per file over ~20 chunks (the CI variant)

The version's files come from its manifest (every file it records, and the manifest
itself). Each gets the nastiest realistic damage for its kind, two per file: one that
changes its size or structure (cut in half, a garbled header, a truncated manifest) and one
that leaves the size as it was (flipped bytes in stored chunk text, garbage over FAISS
vectors, flipped array elements, a manifest edited by hand), which only the checksums can
tell. Each damage starts from a pristine copy of the index.

*Detected*: ``python -m assistant index --verify`` exits 1 naming the file; a server's
start-up check (``index_status``, run by ``serve``, ``mcp`` and ``app.py`` before serving)
calls the index corrupt, so it repairs before answering; and a plain open (``Retriever``,
as ``search``/``ask`` use it) refuses with the file named, or answers exactly as before the
damage. A plain open checks sizes and structure only (``assistant.index.integrity``), so
size-unchanged damage served by it is listed in the figure, not counted as a miss.
*Repaired*: a plain ``python -m assistant index`` exits 0, names the file, keeps the bad
version under ``index/corrupt/``, never says "up to date" or prints a traceback, and the
result passes ``--verify`` and answers the same searches with the same passages as before.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.archive import Cli, PartCli, chunk_counts, chunks_of, copy_files, pick_files
from benchmarks.common import REPO, Check, note
from benchmarks.damages import Damage, damages_for

__all__ = ["Setup", "Trial", "checks", "format_table", "main", "outcome", "prepare",
           "run_corruption", "run_damage", "summarize"]

TARGET_CHUNKS = {False: 10**9, True: 16}  # the whole shipped corpus; its first file
QUERIES = 3  # searches compared before and after, each starting with a stored passage


# ------------------------------------------------------------------ one damage


def outcome(before: list[tuple], open_search: Callable[[], list[tuple]], bad_file: str
            ) -> str:
    """What a plain open of a damaged index did: ``refused`` (a ``CorruptIndexError``
    naming ``bad_file``), ``served unchanged``, ``served damaged``, or ``error: …``."""
    from assistant.index import CorruptIndexError

    try:
        after = open_search()
    except CorruptIndexError as exc:
        return "refused" if f"({bad_file}: " in str(exc) else f"error: names another file: {exc}"
    except Exception as exc:  # what a reader would have shown: the point of the trial
        return f"error: {type(exc).__name__}: {str(exc)[:120]}"
    return "served unchanged" if after == before else "served damaged"


@dataclass(frozen=True)
class Trial:
    file: str
    kind: str
    same_size: bool
    on_open: bool
    verify: str        # named | exit N, not named
    server_start: str  # index_status before serving: corrupt | fresh | …
    plain_open: str    # outcome()
    repair_s: float
    repair: tuple[str, ...]  # what the repair got wrong

    @property
    def detected(self) -> bool:
        # A plain open vouches for sizes and structure only (see above): what it does with
        # checksum-only damage is counted in the figure, not here.
        opened = self.plain_open in ("refused", "served unchanged") or not self.on_open
        return self.verify == "named" and self.server_start == "corrupt" and opened

    @property
    def repaired(self) -> bool:
        return not self.repair

    def row(self) -> str:
        """Its row of ``format_table``."""
        return (f"| {self.file} | {self.kind} | {'yes' if self.same_size else 'no'} | "
                f"{self.verify} | {self.server_start} | {self.plain_open} | "
                f"{self.repair_s:.1f} | "
                f"{'yes' if self.repaired else 'NO: ' + '; '.join(self.repair)} | "
                f"{'yes' if self.detected else 'NO'} |")


@dataclass(frozen=True)
class Setup:
    cli: Cli
    pristine: Path
    version: str
    queries: tuple[str, ...]
    hits: list[tuple]
    chunks: dict


def _searches(setup: Setup, embedder) -> list[tuple]:
    from assistant.search.retriever import Retriever

    retriever = Retriever.open(setup.cli.index, embedder=embedder)
    try:
        return [tuple((h.chunk_id, h.text) for h in retriever.search(q, k=5))
                for q in setup.queries]
    finally:
        retriever.close()


def _repair(setup: Setup, damage: Damage, embedder) -> tuple[float, list[str]]:
    from assistant.index.integrity import verify_version
    from assistant.index.versions import read_current

    run = setup.cli("index")
    text = run.out + run.err
    notes = [ln for ln in run.out.splitlines() if ln.startswith("note: ")]
    problems = []
    if run.code != 0:
        problems.append(f"index exited {run.code}: {run.err.strip()[-200:]}")
    if not any("is corrupt (" in n and f"{damage.file}: " in n for n in notes):
        problems.append(f"its notes do not name {damage.file}: {notes}")
    if not (setup.cli.index / "corrupt" / setup.version).is_dir():
        problems.append("the corrupt version was not kept under corrupt/")
    problems += [f"said {w!r}" for w in ("up to date", "Traceback") if w in text]
    if run.code == 0:
        # what --verify runs, in this process: 0.3 s a damage less than the command
        version = read_current(setup.cli.index)
        checked = version and verify_version(version, checksums=True)
        if not checked:
            problems.append("no version is published after the repair")
        elif not checked.ok:
            problems.append(f"the repaired version does not verify: {checked.describe()}")
        if chunks_of(setup.cli.index) != setup.chunks:
            problems.append("the repaired index holds other chunks")
        if _searches(setup, embedder) != setup.hits:
            problems.append("the repaired index answers other passages")
    return run.seconds, problems


def run_damage(setup: Setup, damage: Damage, embedder) -> Trial:
    from assistant.index import index_status
    from assistant.settings import Settings

    index = setup.cli.index
    shutil.rmtree(index, ignore_errors=True)
    shutil.copytree(setup.pristine, index)
    damage.apply(index / "versions" / setup.version / damage.file)
    verify = setup.cli("index", "--verify")
    named = verify.code == 1 and f"  {damage.file}: " in verify.out
    settings = Settings.from_env(corpus_dir=setup.cli.corpus, index_dir=index)
    try:
        status = index_status(setup.cli.corpus, index, settings)
    except Exception as exc:  # a start-up that crashes serves nothing, but says nothing clear
        status = f"error: {type(exc).__name__}: {exc}"
    opened = outcome(setup.hits, lambda: _searches(setup, embedder), damage.file)
    seconds, problems = _repair(setup, damage, embedder)
    return Trial(damage.file, damage.kind, damage.same_size, damage.on_open,
                 "named" if named else f"exit {verify.code}, not named", status, opened,
                 seconds, tuple(problems))


# ------------------------------------------------------------------ the whole run


def prepare(root: Path, corpus: Path, quick: bool) -> Setup:
    from assistant.index.versions import read_current

    counts = chunk_counts(corpus)
    files = pick_files(counts, TARGET_CHUNKS[quick])
    cli = Cli(root / "corpus", root / "index")
    cli.corpus.mkdir()
    copy_files(corpus, files, cli.corpus)
    note(f"corruption: building {len(files)} files ({sum(counts[f] for f in files)} chunks) …")
    cli.build()
    chunks = chunks_of(cli.index)
    texts = [chunks[i] for i in sorted(chunks)]
    queries = tuple(texts[i * len(texts) // QUERIES][:80] for i in range(QUERIES))
    shutil.copytree(cli.index, root / "pristine")
    return Setup(cli, root / "pristine", read_current(cli.index).name, queries, [], chunks)


def run_corruption(corpus: Path, quick: bool = False) -> tuple[Setup, list[Trial]]:
    from dataclasses import replace

    from assistant.embed.embedder import Embedder
    from assistant.index.manifest import MANIFEST_FILE
    from assistant.index.versions import read_current
    from assistant.settings import Settings

    embedder = Embedder.from_settings(Settings.from_env())  # loaded once, for every open
    with tempfile.TemporaryDirectory(prefix="bench-corruption-") as tmp:
        setup = prepare(Path(tmp), corpus, quick)
        setup = replace(setup, hits=_searches(setup, embedder))
        manifest = json.loads((read_current(setup.cli.index) / MANIFEST_FILE).read_text())
        top = setup.hits[0][0][1]  # the first search's best passage: its text gets flipped
        damages = damages_for([*manifest["bytes"], MANIFEST_FILE], top)
        if quick:  # one per file, alternating, so both kinds are tried
            damages = [d for i, d in enumerate(damages) if i % 2 == (i // 2) % 2]
        trials = []
        for damage in damages:
            note(f"corruption: {damage.file}, {damage.kind} …")
            trials.append(run_damage(setup, damage, embedder))
    return setup, trials


def summarize(trials: list[Trial]) -> list[Check]:
    def line(t: Trial, what: str) -> str:
        return f"{t.file}, {t.kind}: {what}"

    quiet = [t for t in trials if not t.on_open and t.plain_open not in ("refused",
                                                                         "served unchanged")]
    served = sum(t.plain_open == "served damaged" for t in quiet)
    detected = Check(
        "corruption detected", len(trials), sum(t.detected for t in trials),
        f"{sum(t.verify == 'named' for t in trials)} named by --verify, "
        f"{sum(t.server_start == 'corrupt' for t in trials)} refused at server start, "
        f"{sum(t.plain_open == 'refused' for t in trials)} refused by a plain open; of "
        f"{sum(not t.on_open for t in trials)} checksum-only damages, a plain open (search, "
        f"ask: sizes only) answered {served} with damaged passages and failed "
        f"{len(quiet) - served} with an unclear error",
        tuple(line(t, f"--verify {t.verify}, server start {t.server_start}, plain open "
                      f"{t.plain_open}") for t in trials if not t.detected))
    times = [t.repair_s for t in trials]
    repaired = Check(
        "corruption repaired", len(trials), sum(t.repaired for t in trials),
        f"repair {statistics.median(times):.1f} s median (max {max(times):.1f})",
        tuple(line(t, "; ".join(t.repair)) for t in trials if not t.repaired))
    return [detected, repaired]


def checks(quick: bool = False) -> list[Check]:
    """The "corruption detected" and "corruption repaired" rows over the shipped corpus
    (``quick``: one damage per file over its first file)."""
    from assistant.settings import Settings

    return summarize(run_corruption(REPO / Settings.from_env().corpus_dir, quick)[1])


def format_table(setup: Setup, trials: list[Trial]) -> str:
    lines = [f"version {setup.version}: {len(setup.chunks)} chunks; searches compared: "
             f"{len(setup.queries)}", "",
             "| file | damage | same size | --verify | server start | plain open | "
             "repair s | repaired | detected |", "|---|---|---|---|---|---|---|---|---|"]
    return "\n".join([*lines, *(t.row() for t in trials)])


def main(argv: list[str] | None = None) -> int:
    return PartCli("corruption", __doc__, "one damage per file, ~20 chunks", run_corruption,
                   lambda _setup, trials: summarize(trials), format_table).main(argv)


if __name__ == "__main__":
    sys.exit(main())
