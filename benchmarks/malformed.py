"""Malformed inputs at every door, on loopback: each must end in a clear refusal (or a
success that is right by design, with the reason), never a 5xx, a crash or a hang.

    python -m benchmarks.malformed               # the per-door table (about a minute)
    python -m benchmarks.malformed -v            # every probe, one line each

Doors: REST ``/ask`` and ``/search`` and ``/v1`` chat (``python -m assistant serve``), MCP
(``python -m assistant mcp`` through the SDK's client: ``malformed_mcp``), the page's Gradio
API (``python app.py``: ``malformed_page``) and its uploads (``malformed_uploads``), all over
the same three posts; each server is started on 127.0.0.1 and stopped by its PID. Outcomes
(``outcomes``): a refusal with a clear message, an unclear one, accepted (held only by
design), 5xx, crash (a dropped connection or a dead server), hang, damage (uploads: a
post lost or a file written outside ``corpus/uploads``). ``checks`` is the trust harness's
row "malformed inputs". Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

import httpx

from benchmarks.common import Check, note, run_cli
from benchmarks.faults import small_archive
from benchmarks.malformed_mcp import run_mcp
from benchmarks.malformed_page import open_page, run_api
from benchmarks.malformed_uploads import run_uploads
from benchmarks.outcomes import OUTCOMES, Outcome, Probe, classify, send
from benchmarks.servers import loopback_only, rest_server

__all__ = ["MALFORMED", "Outcome", "Probe", "checks", "classify", "door_table", "main",
           "malformed_check", "run", "sweep"]

HANG_S = 15.0        # seconds without a response after which a probe counts as a hang
QUICK_HANG_S = 10.0  # the slowest clear refusal here took under 1 s (a 1 MB body)


def _ask(label: str, body: object, path: str = "/ask") -> Probe:
    return Probe("REST /ask", label, "POST", path, body)


def _search(label: str, **params: object) -> Probe:
    return Probe("REST /search", label, "GET", "/search", params=params)


def _v1(label: str, body: object, accepted: str = "") -> Probe:
    return Probe("/v1 chat", label, "POST", "/v1/chat/completions", body, accepted=accepted)


def _user(content: object, **extra: object) -> dict:
    return {"model": "blog-archive", "messages": [{"role": "user", "content": content}],
            **extra}


_Q = "pay freeze ballot"
_DEFAULT_MODEL = "an unknown model name gets the default backend (clients send their own)"
MALFORMED: tuple[Probe, ...] = (
    Probe("REST /ask", "body not JSON", "POST", "/ask", raw=b"question=pay"),
    Probe("REST /ask", "truncated JSON", "POST", "/ask", raw=b'{"question": "pay'),
    Probe("REST /ask", "empty body", "POST", "/ask", raw=b""),
    Probe("REST /ask", "JSON under text/plain", "POST", "/ask", raw=b'{"question": "pay"}',
          ctype="text/plain"),
    _ask("a JSON array", [1, 2]),
    _ask("no question", {}),
    _ask("question a number", {"question": 42}),
    _ask("question null", {"question": None}),
    _ask("question a list", {"question": ["pay"]}),
    _ask("empty question", {"question": ""}),
    _ask("blank question", {"question": " \n\t "}),
    _ask("question of 4,001 characters", {"question": "pay " * 1000 + "x"}),
    _ask("question of 1 MB", {"question": "x" * 1_000_000}),
    _ask("k = 0", {"question": _Q, "k": 0}),
    _ask("k a word", {"question": _Q, "k": "five"}),
    _ask("k = 10^12", {"question": _Q, "k": 10**12}),
    _ask("k = 3.7", {"question": _Q, "k": 3.7}),
    _ask("since 2014-13-45", {"question": _Q, "filters": {"since": "2014-13-45"}}),
    _ask("since 'yesterday'", {"question": _Q, "filters": {"since": "yesterday"}}),
    _ask("until a number", {"question": _Q, "filters": {"until": 20140101}}),
    _ask("kind 'poems'", {"question": _Q, "filters": {"kind": "poems"}}),
    _ask("unknown field", {"question": _Q, "colour": "red"}),
    _ask("unknown filter", {"question": _Q, "filters": {"tag": "pay"}}),
    _ask("filters a string", {"question": _Q, "filters": "post"}),
    _ask("history a string", {"question": _Q, "history": "earlier"}),
    _ask("history role 'wizard'", {"question": _Q, "history": [{"role": "wizard",
                                                                "content": "x"}]}),
    _ask("history turn without content", {"question": _Q, "history": [{"role": "user"}]}),
    _ask("backend a path", {"question": _Q, "backend": "../../etc/passwd"}),
    _ask("backend llamacpp:/etc/passwd", {"question": _Q, "backend": "llamacpp:/etc/passwd"}),
    _ask("backend at a metadata URL", {"question": _Q,
                                       "backend": "openai:gpt@http://169.254.169.254/v1"}),
    _ask("backend file://", {"question": _Q, "backend": "file:///etc/passwd"}),
    _ask("stream=maybe", {"question": _Q}, path="/ask?stream=maybe"),
    _search("no q"),
    _search("empty q", q=""),
    _search("k = -1", q=_Q, k=-1),
    _search("k a word", q=_Q, k="abc"),
    _search("mode 'magic'", q=_Q, mode="magic"),
    _search("since 2014-02-30", q=_Q, since="2014-02-30"),
    _search("kind 'poems'", q=_Q, kind="poems"),
    _search("q of 5,000 characters", q="x" * 5000),
    Probe("/v1 chat", "body not JSON", "POST", "/v1/chat/completions", raw=b"hello"),
    _v1("empty object", {}),
    _v1("messages a string", {"messages": "hi"}),
    _v1("no messages", {"messages": []}),
    _v1("message without content", {"messages": [{"role": "user"}]}),
    _v1("only a system message", {"messages": [{"role": "system", "content": "x"}]}),
    _v1("content a number", _user(42)),
    _v1("content only an image", _user([{"type": "image_url",
                                         "image_url": {"url": "http://127.0.0.1/x.png"}}])),
    _v1("blank content", _user("   ")),
    _v1("content of 1 MB", _user("x" * 1_000_000)),
    _v1("model a path", {**_user(_Q), "model": "../../../etc/passwd"}, _DEFAULT_MODEL),
    _v1("model naming a GGUF path", {**_user(_Q), "model": "blog-archive:llamacpp:/etc/shadow"},
        _DEFAULT_MODEL),
    _v1("stream 'yes'", _user(_Q, stream="yes"), "pydantic reads 'yes' as true: a stream"),
    _v1("k = 0", _user(_Q, k=0)),
    _v1("since 'not a date'", _user(_Q, filters={"since": "not a date"})),
    Probe("/v1 chat", "GET instead of POST", "GET", "/v1/chat/completions"),
    Probe("REST /search", "still answering afterwards", "GET", "/search", params={"q": _Q},
          accepted="a well-formed search after the probes is answered: the server is up"),
)


def run(base_url: str, probes: tuple[Probe, ...] = MALFORMED,
        hang_after: float = HANG_S) -> list[Outcome]:
    """Each of ``probes`` sent to the server at ``base_url``, in order."""
    # A fresh connection per probe: a server that drops one must not fail the next probe.
    with httpx.Client(base_url=base_url, timeout=hang_after, trust_env=False,
                      limits=httpx.Limits(max_keepalive_connections=0)) as http:
        return [send(http, probe) for probe in probes]


def sweep(quick: bool = False, hang_after: float | None = None) -> list[Outcome]:
    """Every door's probes over one small archive: the REST server, then one MCP process,
    then the page (its API, then uploads: 20 files at once when quick, else 100)."""
    hang_after = hang_after or (QUICK_HANG_S if quick else HANG_S)
    loopback_only()
    with tempfile.TemporaryDirectory(prefix="malformed-") as tmp:
        folder = Path(tmp)
        note("malformed: indexing three posts…")
        settings = small_archive(folder)
        note("malformed: REST and /v1…")
        with rest_server(settings) as url:
            outcomes = run(url, MALFORMED, hang_after)
        note("malformed: MCP…")
        outcomes += run_mcp(settings, hang_after)
        note("malformed: the page's API and uploads…")
        with open_page(settings, folder, hang_after) as page:
            outcomes += run_api(page)
            outcomes += run_uploads(page, settings, folder, many=20 if quick else 100)
    return outcomes


def _doors(outcomes: list[Outcome]) -> list[str]:
    return list(dict.fromkeys(o.door for o in outcomes))


def malformed_check(outcomes: list[Outcome]) -> Check:
    """The harness row: held = a clear refusal, or accepted by design."""
    failures = tuple(f"{o.door}: {o.label}: {o.outcome} ({o.status}) {o.message[:100]}"
                     for o in outcomes if not o.held)
    per_door = ", ".join(f"{door} {sum(o.held for o in outcomes if o.door == door)}/"
                         f"{sum(o.door == door for o in outcomes)}" for door in _doors(outcomes))
    count = Counter(o.outcome for o in outcomes)
    figure = (f"{per_door}; 5xx {count['5xx']}, crashes {count['crash']}, hangs "
              f"{count['hang']}, unclear {count['unclear']}, damage {count['damage']}")
    held = sum(o.held for o in outcomes)
    return Check("malformed inputs", len(outcomes), held, figure, failures)


def checks(quick: bool = False) -> list[Check]:
    """One row over every door (``sweep``); quick: 20 files in the many-files upload and a
    10 s hang limit, the probes otherwise the same (each is fast; the servers' start-up is
    the cost)."""
    return [malformed_check(sweep(quick))]


def door_table(outcomes: list[Outcome], verbose: bool = False) -> str:
    """Counts per door, then the probes that were not clear refusals (all with ``verbose``)."""
    kinds = [k for k in OUTCOMES if k != "accepted"]
    lines = ["Malformed inputs at every door (127.0.0.1)", "",
             "| door | probes | held | " + " | ".join(kinds) + " | accepted (by design) | "
             "slowest |", "|---|" + "---:|" * (len(kinds) + 4)]
    for door in [*_doors(outcomes), "all"]:
        mine = [o for o in outcomes if door in ("all", o.door)]
        count = Counter(o.outcome for o in mine)
        by_design = sum(1 for o in mine if o.outcome == "accepted" and o.accepted)
        lines.append(f"| {door} | {len(mine)} | {sum(o.held for o in mine)} | "
                     + " | ".join(str(count[k]) for k in kinds)
                     + f" | {count['accepted']} ({by_design}) | "
                     f"{max(o.seconds for o in mine) * 1e3:.0f} ms |")
    shown = [o for o in outcomes if verbose or o.outcome != "clear"]
    if shown:
        lines += ["", "| door | probe | held | outcome | status | message; why accepted |",
                  "|---|---|---|---|---|---|"]
        lines += [f"| {o.door} | {o.label} | {'yes' if o.held else '**no**'} | {o.outcome} | "
                  f"{o.status} | {_cell(o.message)}{'; ' + o.accepted if o.accepted else ''} |"
                  for o in shown]
    return "\n".join(lines)


def _cell(text: str, width: int = 110) -> str:
    text = " ".join(str(text).split()).replace("|", "/")
    return text if len(text) <= width else text[:width - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.malformed",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="what CI runs (see checks)")
    parser.add_argument("--hang-after", type=float, default=None,
                        help=f"seconds after which a probe counts as a hang (default "
                             f"{HANG_S:g}, quick {QUICK_HANG_S:g})")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every probe")
    args = parser.parse_args(argv)

    def body() -> int:
        outcomes = sweep(args.quick, args.hang_after)
        check = malformed_check(outcomes)
        print(door_table(outcomes, args.verbose))
        print(f"\n{check.part}: {check.passed}/{check.trials} held; {check.figure}")
        return 0

    return run_cli(body)


if __name__ == "__main__":
    raise SystemExit(main())
