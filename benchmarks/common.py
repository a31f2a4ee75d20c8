"""What the benchmarks share: timing, peak memory, a fresh interpreter per measurement, and
the command-line conventions (``--corpus``, ``--sizes``, ``--json``, errors as exit status 2).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DIM", "QUERIES", "REPO", "Check", "base_parser", "corpus_dir", "in_subprocess", "note",
           "parse_sizes",
           "peak_rss_mb", "run_cli", "timed"]

REPO = Path(__file__).resolve().parent.parent
DIM = 384      # the synthetic archives' vectors: as wide as all-MiniLM-L6-v2's
QUERIES = 100  # timed searches per measurement


def timed(fn: Callable, items: Iterable) -> tuple[float, float, list]:
    """``(p50 ms, p95 ms, results)`` of ``fn`` called once per item.

    Timed calls run as a serving process runs them: FAISS on one OpenMP thread, set once
    (``assistant.runtime``; builds timed before this keep FAISS's default threads).
    """
    from assistant.runtime import configure_for_queries

    configure_for_queries()
    times, results = [], []
    for item in items:
        t = time.perf_counter()
        results.append(fn(item))
        times.append(time.perf_counter() - t)
    return float(np.percentile(times, 50) * 1e3), float(np.percentile(times, 95) * 1e3), results


@dataclass(frozen=True)
class Check:
    """One row of the trust harness (``benchmarks.trust``): ``passed`` of ``trials`` held.

    ``figure`` carries the measured numbers ("resume 2.1 s median, full build 9.8 s");
    ``failures`` says what did not hold, one line each, so a red row explains itself.
    """

    part: str
    trials: int
    passed: int
    figure: str = ""
    failures: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.trials > 0 and self.passed == self.trials


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def note(message: str) -> None:
    """Progress for the person waiting, on stderr (stdout holds only the table)."""
    print(message, file=sys.stderr, flush=True)


def parse_sizes(text: str) -> list[int]:
    """``"10000,100_000"`` -> ``[10000, 100000]``; ValueError unless each is 100 or more."""
    try:
        sizes = [int(s.replace("_", "")) for s in text.split(",") if s.strip()]
    except ValueError:
        sizes = []
    if not sizes or any(n < 100 for n in sizes):
        raise ValueError(f"--sizes wants chunk counts of 100 or more, got {text!r}")
    return sizes


# ---------------------------------------------------------------- a fresh interpreter

_CHILD = "import sys; from benchmarks.common import _child; _child(sys.argv[1:])"


def in_subprocess(fn: Callable, *args: object, what: str) -> dict:
    """``fn(*args).__dict__`` computed in a fresh interpreter (clean peak memory).

    ``fn`` is a module-level function of a ``benchmarks`` module; ``args`` are JSON values
    or paths (passed as strings).
    """
    module = fn.__module__
    if module == "__main__":  # run as ``python -m benchmarks.x``: the child imports it by name
        spec = sys.modules["__main__"].__spec__
        if spec is None:
            raise SystemExit("run benchmarks as modules: python -m benchmarks.<name>")
        module = spec.name
    payload = json.dumps([str(a) if isinstance(a, Path) else a for a in args])
    env = dict(os.environ)  # the checkout first, so the child finds ``benchmarks``
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    proc = subprocess.run([sys.executable, "-c", _CHILD, module, fn.__name__, payload],
                          capture_output=True, text=True, check=False, env=env)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not line:
        raise RuntimeError(f"bench of {what} failed: {proc.stderr[-2000:]}")
    return json.loads(line[-1][7:])


def _child(argv: list[str]) -> None:
    module, name, payload = argv
    result = getattr(importlib.import_module(module), name)(*json.loads(payload))
    print("RESULT " + json.dumps(result.__dict__), flush=True)


# ---------------------------------------------------------------- command lines

def base_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """A parser with the options every table-printing benchmark takes."""
    parser = argparse.ArgumentParser(prog=f"python -m {prog}", description=description)
    parser.add_argument("--corpus", type=Path, default=None,
                        help="corpus folder (default: ASSISTANT_CORPUS_DIR or corpus/)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    return parser


def corpus_dir(args: argparse.Namespace) -> Path:
    """``--corpus``, else the configured corpus folder."""
    from assistant.settings import Settings

    return Path(args.corpus or Settings.from_env().corpus_dir)


def run_cli(body: Callable[[], int]) -> int:
    """``body()``, with a bad argument or a failed measurement printed as ``error: …`` and
    exit status 2 (as the assistant's own commands do)."""
    try:
        return body()
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
