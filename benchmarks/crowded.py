"""Retrieval in a crowded archive: the shipped corpus alone, then with look-alike posts added.

    python -m benchmarks.crowded --cache .cache/crowded        # build once, reuse after
    python -m benchmarks.crowded --cache .cache/crowded --distractors 500

``../shared/eval/make_distractors.py`` writes N fake posts (default 2,000) from the corpus's
own sentences minus every sentence holding an evidence phrase, so the answers stay in the
real posts among many that look like them. Both archives are indexed with the configured
(real) embedder under ``--cache`` (a temporary folder without it); a later run with the same
folder reuses them, and a changed index format re-parses without re-embedding.

Printed: recall@1/5/10 and MRR per search mode on the answerable questions of ``dev.jsonl``
and ``dev-hard.jsonl``, per archive, and the p50/p95 of one search (k=10, query embedding
included, over ``--repeat`` rounds). Follow-ups are searched
as written and, in the ``+prev`` rows, with the previous user turn appended (a stand-in for
the standalone query the answer stage builds); ``all`` is both files with ``+prev``, ``all as
written`` both files as written, and ``all as asked`` both files searched as the assistant
searches them (``evaluation.as_asked``: follow-ups made standalone from their history, the
filters their wording implies applied).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from benchmarks.common import REPO, note, run_cli

__all__ = ["Row", "archives", "format_rows", "main", "question_sets"]

EVAL_DIR = REPO.parent / "shared" / "eval"
FILES = ("dev", "dev-hard")
ASKED = "all as written"  # every question with its history, also searched as asked


@dataclass(frozen=True)
class Row:
    """One line of the table: one archive, one question set, one mode."""

    archive: str
    questions: str
    mode: str
    n: int
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    mrr: float
    p50_ms: float
    p95_ms: float


class _Timed:
    """A retriever whose searches are timed (``retrieval_metrics`` calls only ``search``)."""

    def __init__(self, retriever) -> None:
        self.retriever = retriever
        self.times: list[float] = []

    def search(self, *args, **kwargs):
        start = time.perf_counter()
        hits = self.retriever.search(*args, **kwargs)
        self.times.append(time.perf_counter() - start)
        return hits


def _previous_user_turns(path: Path) -> dict[str, str]:
    """Question id -> the last user turn of its history (follow-ups only)."""
    turns: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        users = [t["content"] for t in raw.get("history", []) if t.get("role") == "user"]
        if users:
            turns[str(raw["id"])] = users[-1]
    return turns


def question_sets(eval_dir: Path) -> dict[str, list]:
    """Named question lists: each file as written, with ``+prev`` where it has follow-ups,
    ``all`` (every file, follow-ups with the previous user turn) and ``all as written``."""
    from assistant.evaluation import load_questions

    sets: dict[str, list] = {}
    every: list = []
    written: list = []
    for name in FILES:
        path = eval_dir / f"{name}.jsonl"
        questions = load_questions(path)
        previous = _previous_user_turns(path)
        sets[name] = questions
        with_prev = [replace(q, question=f"{q.question} {previous[q.id]}")
                     if q.id in previous else q for q in questions]
        if previous:
            sets[f"{name}+prev"] = with_prev
        every += with_prev
        written += questions
    sets["all"] = every
    sets[ASKED] = written
    return sets


def archives(cache: Path, distractors: int, eval_dir: Path) -> dict[str, Path]:
    """The bare and the crowded index under ``cache``, built (or brought up to date)."""
    from assistant import build_index

    crowded_corpus = cache / f"corpus-{distractors}"
    if not (crowded_corpus / "distractors").is_dir():
        shutil.rmtree(crowded_corpus, ignore_errors=True)
        shutil.copytree(REPO / "corpus", crowded_corpus / "real")
        subprocess.run([sys.executable, str(eval_dir / "make_distractors.py"), str(REPO / "corpus"),
                        str(crowded_corpus / "distractors"), str(distractors)], check=True,
                       stdout=subprocess.DEVNULL)
    built = {"bare": (REPO / "corpus", cache / "index-bare"),
             f"crowded-{distractors}": (crowded_corpus, cache / f"index-{distractors}")}
    for name, (corpus, index) in built.items():
        start = time.perf_counter()
        report = build_index(corpus, index)
        note(f"{name}: {report.chunks_total} chunks ({report.chunks_added} embedded now), "
             f"up to date in {time.perf_counter() - start:.0f} s")
    return {name: index for name, (_, index) in built.items()}


def measure(index: Path, archive: str, sets: dict[str, list], repeat: int = 3) -> list[Row]:
    """Every question set in every mode against one index, and ``all as written`` searched
    as the assistant searches it too; latencies over ``repeat`` rounds of the set's
    searches (k=10, the query's embedding included)."""
    from assistant.answer.assistant import Assistant
    from assistant.evaluation import as_asked, retrieval_metrics
    from assistant.runtime import configure_for_queries
    from assistant.search.retriever import MODES, Retriever

    configure_for_queries()
    retriever = Retriever.open(index)
    retriever.search("warm up the model and the index", k=10)
    asked = as_asked(Assistant(retriever, backend="extractive"))
    rows = []
    try:
        for name, questions in sets.items():
            for mode in MODES:
                timed = _Timed(retriever)
                result = retrieval_metrics(timed, questions, modes=(mode,))[mode]
                rows.append(_row(archive, name, mode, result, timed, questions, repeat))
            if name == ASKED:
                timed = _Timed(retriever)
                result = retrieval_metrics(timed, questions, modes=("hybrid",), asked=asked)
                rows.append(_row(archive, "all as asked", "hybrid", result["hybrid"], timed,
                                 questions, repeat, asked))
    finally:
        retriever.close()
    return rows


def _row(archive: str, name: str, mode: str, result: dict, timed: _Timed,
         questions: list, repeat: int, asked=None) -> Row:
    """One row, after ``repeat - 1`` more rounds of the set's searches are timed."""
    for _ in range(repeat - 1):
        for question in questions:
            if question.answerable and question.evidence:
                text, filters = asked(question) if asked else (question.question, {})
                timed.search(text, k=10, mode=mode, **filters)
    times = np.asarray(timed.times) * 1e3
    return Row(archive, name, mode, int(result["questions"]), result["recall@1"],
               result["recall@5"], result["recall@10"], result["mrr"],
               float(np.percentile(times, 50)), float(np.percentile(times, 95)))


def format_rows(rows: list[Row]) -> str:
    lines = [f"{'archive':<15}{'questions':<16}{'mode':<8}{'n':>4}{'R@1':>7}{'R@5':>7}"
             f"{'R@10':>7}{'MRR':>7}{'p50 ms':>8}{'p95 ms':>8}"]
    lines += [f"{r.archive:<15}{r.questions:<16}{r.mode:<8}{r.n:>4}{r.recall_at_1:>7.3f}"
              f"{r.recall_at_5:>7.3f}{r.recall_at_10:>7.3f}{r.mrr:>7.3f}{r.p50_ms:>8.1f}"
              f"{r.p95_ms:>8.1f}" for r in rows]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crowded",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=None,
                        help="folder for the distractors and both indexes, reused by later runs "
                             "(default: a temporary folder, removed after)")
    parser.add_argument("--distractors", type=int, default=2000,
                        help="look-alike posts added to the crowded archive (default 2000)")
    parser.add_argument("--eval", type=Path, default=EVAL_DIR,
                        help="folder of dev.jsonl, dev-hard.jsonl and make_distractors.py")
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds of searches timed per row (default 3)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    return parser


def _run(args: argparse.Namespace, cache: Path) -> int:
    sets = question_sets(args.eval)
    rows: list[Row] = []
    for archive, index in archives(cache, args.distractors, args.eval).items():
        rows += measure(index, archive, sets, args.repeat)
    if args.json:
        print(json.dumps([r.__dict__ for r in rows], indent=2))
    else:
        print(format_rows(rows))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.distractors < 1 or args.repeat < 1:
        raise SystemExit("error: --distractors and --repeat want numbers of 1 or more")
    missing = [f"{name}.jsonl" for name in FILES if not (args.eval / f"{name}.jsonl").is_file()]
    if not (args.eval / "make_distractors.py").is_file():
        missing.append("make_distractors.py")
    if missing:
        print(f"skipped: {args.eval} lacks {', '.join(missing)} (the evaluation files are "
              "not in this checkout; pass --eval DIR)")
        return 0
    if args.cache is not None:
        args.cache.mkdir(parents=True, exist_ok=True)
        return run_cli(lambda: _run(args, args.cache))
    with tempfile.TemporaryDirectory(prefix="crowded-") as tmp:
        return run_cli(lambda: _run(args, Path(tmp)))


if __name__ == "__main__":
    raise SystemExit(main())
