"""The trust harness: every way the product is attacked or fails, run on loopback, as one
table (issue 14's proof that it holds up).

    python -m benchmarks.trust                  # everything (about 15 minutes on 2 cores)
    python -m benchmarks.trust --quick          # the quick variant CI runs (about 3 minutes)
    python -m benchmarks.trust --parts kills,probes --json

Parts, each a module of ``benchmarks`` with ``checks(quick) -> list[Check]`` and a detailed
table of its own (``python -m benchmarks.<part>``):

    kills        SIGKILL of ``index`` at 10 points: the previous version survives, resume time
    corruption   damage to each file of a version: detected by --verify, repaired by index
    sessions     20 concurrent sessions with per-session canaries; a new version under load
    malformed    malformed requests at REST, /v1, MCP, the Gradio API and uploads
    probes       path probes at both servers: no file, key or canary leaks
    injection    the planted-instruction suite per backend: canary leaks
    faults       model-server faults: how long until an answer, and who gave it

A row holds when every trial held; the exit status is 1 when any row did not.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from dataclasses import asdict

from benchmarks.common import Check, note

__all__ = ["PARTS", "format_table", "main", "run_parts"]

PARTS = ("kills", "corruption", "sessions", "malformed", "probes", "injection", "faults")


def run_parts(parts: list[str], quick: bool) -> list[tuple[str, float, list[Check]]]:
    """``(part, seconds, rows)`` per part; a part that cannot run at all is one failed row
    saying why, so the table always shows every part asked for."""
    results = []
    for part in parts:
        note(f"trust: {part}{' (quick)' if quick else ''} …")
        start = time.perf_counter()
        try:
            rows = importlib.import_module(f"benchmarks.{part}").checks(quick=quick)
        except Exception as exc:  # one broken part must not hide the others
            rows = [Check(part, 0, 0, "could not run", (f"{type(exc).__name__}: {exc}",))]
        results.append((part, time.perf_counter() - start, rows))
    return results


def format_table(results: list[tuple[str, float, list[Check]]]) -> str:
    """The one table: a line per row, then what failed, one line each."""
    lines = ["| part | check | held | figures | s |", "|---|---|---:|---|---:|"]
    failures = []
    for part, seconds, rows in results:
        for n, row in enumerate(rows):
            mark = "" if row.ok else " **FAILED**"
            lines.append(f"| {part if n == 0 else ''} | {row.part} | {row.passed}/{row.trials}"
                         f"{mark} | {row.figure.replace('|', '/')} | "
                         f"{f'{seconds:.0f}' if n == 0 else ''} |")
            failures += [f"- {row.part}: {line}" for line in row.failures]
    held = sum(row.ok for _, _, rows in results for row in rows)
    total = sum(len(rows) for _, _, rows in results)
    lines += ["", f"{held} of {total} checks held."]
    if failures:
        lines += ["", "What did not hold:", *failures]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.trust",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer trials and the FakeEmbedder where it does not matter "
                             "(what CI runs)")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"comma-separated, from: {', '.join(PARTS)} (default: all)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown or not parts:
        print(f"error: --parts takes names from {', '.join(PARTS)}; got {args.parts!r}",
              file=sys.stderr)
        return 2
    from benchmarks.servers import loopback_only

    loopback_only()
    results = run_parts(parts, args.quick)
    if args.json:
        print(json.dumps([{"part": part, "seconds": round(seconds, 1),
                           "rows": [{**asdict(r), "ok": r.ok} for r in rows]}
                          for part, seconds, rows in results], indent=1))
    else:
        print(format_table(results))
    return 0 if all(r.ok for _, _, rows in results for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
