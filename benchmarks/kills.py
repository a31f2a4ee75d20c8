"""``python -m benchmarks.kills``: SIGKILL an incremental build at points spread over it, and
check what survives.

    python -m benchmarks.kills            # 10 points, the whole shipped corpus (a few minutes)
    python -m benchmarks.kills --quick    # 3 points over ~150 chunks (the CI variant)

Everything goes through the real command line (``python -m assistant index`` in a child
process, the real embedder under ``.cache``). A sorted subset of the corpus is copied to a
temporary folder; a reference index of all of it is built once, uninterrupted and timed (the
"full build"). The working index holds two versions built from the subset's first files
(``keep_versions`` of them, so cleanup has something to remove); the rest are then added,
and each point starts that incremental build from a copy of this state and kills it when
the build shows the point: its ``.building`` marker (planning: parsing files), a staging
folder, its progress bar at a share of the chunks to embed (estimated between the bar's
updates from the rate it shows), the bar at 100% (writing the indexes), a staged
``manifest.json`` (fsync, rename and publish to come), a new ``CURRENT`` (cleanup to come).

The kill is a SIGKILL of the build's process group (started in a session of its own), as a
crash, an OOM-kill of a service's cgroup or a container stop delivers it: forked parse
workers die with the build instead of holding the build lock for the next run. After each
kill: (a) ``CURRENT`` names the previous version (or, past the publish, the complete new
one), which passes ``index --verify`` and answers ``search`` as before the kill; (b) running
``index`` again completes (the resume time), passes ``--verify`` and holds the reference's
chunks (ids and texts); (c) at most ``keep_versions`` versions and no ``.tmp-``/``.trash-``
folders remain; (d) the resume cache's keys at the kill say how much embedding was kept.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.archive import (
    Cli,
    PartCli,
    Run,
    chunk_counts,
    chunks_of,
    copy_files,
    current_name,
    pick_files,
    split_base,
    version_folders,
)
from benchmarks.common import REPO, Check, note
from benchmarks.kill_points import (
    POINTS,
    QUICK_POINTS,
    KillPoint,
    kill_at,
    resume_keys,
    wait_unlocked,
)

__all__ = ["Setup", "Trial", "checks", "format_table", "main", "prepare", "run_kills",
           "run_point", "summarize"]

TARGET_CHUNKS = {False: 600, True: 150}  # the subset's size (the shipped corpus has 214)


# ------------------------------------------------------------------ one point


@dataclass(frozen=True)
class Setup:
    """The state every point starts from, and what a finished build must hold."""

    cli: Cli
    snapshot: Path       # a copy of the index folder: previous version current
    previous: str        # its name
    query: str
    previous_hits: tuple
    reference_hits: tuple
    reference: dict      # chunk id -> text of the uninterrupted full build
    full_s: float
    rate: float          # chunks/s the full build's bar showed
    to_embed: int        # chunks the incremental build embeds
    keep: int


@dataclass(frozen=True)
class Trial:
    """One kill point: what was seen at the kill, and what held afterwards."""

    point: str
    seen: str
    left: str            # on disk right after the kill: versions, staging, resume cache
    kill_s: float
    current: str         # previous | new | none
    resume_s: float
    kept: int            # passages in the resume cache at the kill
    reembedded: int      # chunks the resumed build embedded again
    versions: int
    leftovers: int
    lock_wait_s: float
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def _after_kill(setup: Setup, published: bool) -> tuple[str, list[str]]:
    """(a): which version is current, and whether it verifies and searches as it should."""
    index, current = setup.cli.index, current_name(setup.cli.index)
    if current == setup.previous:
        state, expected = "previous", setup.previous_hits
    elif current and published:
        state, expected = "new", setup.reference_hits
    else:
        return ("other" if current else "none"), [
            f"CURRENT names {current!r}, not the previous version {setup.previous}"]
    problems = []
    verify = setup.cli("index", "--verify")
    if verify.code != 0:
        problems.append(f"--verify after the kill exited {verify.code}: "
                        f"{(verify.out + verify.err).strip()[-300:]}")
    hits = setup.cli.hits(setup.query)
    if hits != expected:
        problems.append(hits if isinstance(hits, str) else
                        f"search after the kill differs from the {state} version's ({index})")
    return state, problems


def _rerun(setup: Setup) -> tuple[Run, int, list[str]]:
    """(b) and (c): run ``index`` again; it completes, verifies, holds the reference's
    chunks, and leaves the disk bounded. Returns the run and the chunks it embedded."""
    run = setup.cli("index", "--json")
    if run.code != 0 or "Traceback" in run.err:
        return run, 0, [f"re-run exited {run.code}: {run.err.strip()[-300:]}"]
    added = json.loads(run.out)["chunks_added"]
    problems = []
    verify = setup.cli("index", "--verify")
    if verify.code != 0:
        problems.append(f"--verify after the re-run exited {verify.code}: "
                        f"{verify.out.strip()[-300:]}")
    chunks = chunks_of(setup.cli.index)
    if chunks != setup.reference:
        unlike = len(set(chunks.items()) ^ set(setup.reference.items()))
        problems.append(f"re-run holds {len(chunks)} chunks, {unlike} (id, text) pairs unlike "
                        f"the reference's {len(setup.reference)}")
    versions, leftovers = version_folders(setup.cli.index)
    if len(versions) > setup.keep:
        problems.append(f"{len(versions)} versions kept, keep_versions is {setup.keep}")
    if leftovers:
        problems.append(f"left over: {', '.join(leftovers)}")
    return run, added, problems


def run_point(setup: Setup, point: KillPoint) -> Trial:
    index = setup.cli.index
    shutil.rmtree(index, ignore_errors=True)
    shutil.copytree(setup.snapshot, index, symlinks=True)
    seen, killed, kill_s, err = kill_at(point, setup.cli, setup.previous, setup.rate)
    problems = [] if killed else [f"the build ended (exit, {kill_s:.1f} s) before the point "
                                  f"was seen: {err.strip()[-200:]}"]
    lock_wait = wait_unlocked(index)
    kept = resume_keys(index / ".resume")
    versions, leftovers = version_folders(index)
    left = f"{len(versions)} versions, {len(leftovers)} staging, {kept} cached"
    state, found = _after_kill(setup, seen.published)
    rerun, added, after = _rerun(setup)
    versions, leftovers = version_folders(index)
    kept = setup.to_embed if state == "new" else kept
    return Trial(point.name, seen.describe(), left, kill_s, state, rerun.seconds, kept,
                 max(0, added - kept) if state == "previous" else added, len(versions),
                 len(leftovers), lock_wait, tuple(problems + found + after))


# ------------------------------------------------------------------ the whole run


def _rate(err: str) -> float:
    """Chunks/s of a finished build, from its bar's last update."""
    match = re.findall(r"([\d.]+) chunks/s", err)
    return float(match[-1]) if match else 20.0


def prepare(root: Path, corpus: Path, quick: bool) -> Setup:
    """Copy the subset, build the reference (timed) and the two-version starting state."""
    from assistant.settings import Settings

    counts = chunk_counts(corpus)
    files = pick_files(counts, TARGET_CHUNKS[quick])
    base, rest = split_base(files, counts)
    for name in ("ref-corpus", "corpus", "snapshot"):
        (root / name).mkdir()
    copy_files(corpus, files, root / "ref-corpus")
    reference_cli = Cli(root / "ref-corpus", root / "ref-index")
    note(f"kills: reference build of {len(files)} files ({sum(counts[f] for f in files)} "
         "chunks) …")
    full = reference_cli.build()
    cli = Cli(root / "corpus", root / "index")
    copy_files(corpus, base[:max(1, len(base) - 1)], cli.corpus)
    cli.build()  # the version before the previous one: cleanup must remove it
    copy_files(corpus, base, cli.corpus)
    cli.build(*(() if len(base) > 1 else ("--rebuild",)))
    previous = current_name(cli.index)
    known = chunks_of(cli.index)
    query = known[min(known)][:80]  # a passage of the previous version, found by both
    previous_hits = cli.hits(query)
    copy_files(corpus, rest, cli.corpus)
    shutil.copytree(cli.index, root / "snapshot" / "index", symlinks=True)
    if isinstance(previous_hits, str):
        raise RuntimeError(f"the previous version does not search: {previous_hits}")
    reference = chunks_of(reference_cli.index)
    return Setup(cli, root / "snapshot" / "index", previous, query, previous_hits,
                 reference_cli.hits(query), reference, full.seconds, _rate(full.err),
                 len(set(reference) - set(chunks_of(cli.index))),
                 Settings.from_env().keep_versions)


def run_kills(corpus: Path, quick: bool = False) -> tuple[Setup, list[Trial]]:
    points = [p for p in POINTS if not quick or p.name in QUICK_POINTS]
    with tempfile.TemporaryDirectory(prefix="bench-kills-") as tmp:
        setup = prepare(Path(tmp), corpus, quick)
        trials = []
        for point in points:
            note(f"kills: {point.name} …")
            trials.append(run_point(setup, point))
    return setup, trials


def summarize(setup: Setup, trials: list[Trial]) -> Check:
    """The harness row: points survived, resume times against the full build, and how much
    embedding the latest embedding kill kept."""
    resumes = [t.resume_s for t in trials]
    figure = (f"resume {statistics.median(resumes):.1f} s median (max {max(resumes):.1f}) vs "
              f"full build {setup.full_s:.1f} s")
    late = [t for t in trials if t.point.startswith("embedding")]
    if late:
        figure += f"; {late[-1].kept} of {setup.to_embed} chunks kept at the " \
                  f"{late[-1].point.split()[-1]} kill"
    failures = tuple(f"{t.point} (seen: {t.seen}): {'; '.join(t.problems)}"
                     for t in trials if not t.ok)
    return Check("kill during build", len(trials), sum(t.ok for t in trials), figure, failures)


def checks(quick: bool = False) -> list[Check]:
    """The "kill during build" row over the shipped corpus (``quick``: 3 points)."""
    from assistant.settings import Settings

    return [summarize(*run_kills(REPO / Settings.from_env().corpus_dir, quick))]


def format_table(setup: Setup, trials: list[Trial]) -> str:
    lines = [f"full build {setup.full_s:.1f} s ({len(setup.reference)} chunks); each point "
             f"adds {setup.to_embed} chunks to version {setup.previous} "
             f"(keep_versions {setup.keep})", "",
             "| kill point | seen at kill | on disk after kill | killed after s | "
             "current after kill | resume s | kept / re-embedded | versions | left over | "
             "lock wait s | ok |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for t in trials:
        lines.append(f"| {t.point} | {t.seen} | {t.left} | {t.kill_s:.1f} | {t.current} | "
                     f"{t.resume_s:.1f} | {t.kept} / {t.reembedded} | {t.versions} | "
                     f"{t.leftovers} | {t.lock_wait_s:.2f} | "
                     f"{'yes' if t.ok else 'NO: ' + '; '.join(t.problems)} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    return PartCli("kills", __doc__, "3 points over ~150 chunks", run_kills,
                   lambda setup, trials: [summarize(setup, trials)], format_table).main(argv)


if __name__ == "__main__":
    sys.exit(main())
