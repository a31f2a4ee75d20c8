"""``python -m benchmarks.local_model``: the packaged local model's speed per configuration.

The prompts are the assistant's own: every dev question (``../shared/eval/dev.jsonl`` and
``dev-hard.jsonl``) is asked once through ``Assistant`` over ``--index`` with a recording
``FakeBackend``, which keeps each request as it was built (the answer prompt, or nothing
when the answer needs no model). Each configuration then replays those requests in order,
questions interleaved across configurations (A, B, A, B…, the order rotated per question)
so that a busy machine slows all of them alike. A row: prompt
tokens per answer prompt, tokens evaluated (the rest were already in the KV cache: the
fixed system turn, 154 tokens, reused by llama-cpp-python from the previous request, so 298
of 453 on the dev questions), prefill tokens/s, seconds to the first text, generation
tokens/s, total seconds, answers word for word the same as the first configuration's, the
median per-question ratio of first-text time to the first configuration's, and the drafts
holding their question's answer keywords (the raw model text, before the citation check: a
quick signal; ``--eval`` scores the finished answers). Questions the model is not asked
for (gap answers, refusals) are not rows here; ``--eval`` counts them, as the dev eval does.

    python -m benchmarks.local_model --index ../main/index                   # the presets
    python -m benchmarks.local_model --index ../main/index --configs base,fa --limit 8
    python -m benchmarks.local_model --index ../main/index --kinds followup --configs base
    python -m benchmarks.local_model --index ../main/index --eval --configs base,q4_0

``--eval`` answers the questions through ``Assistant`` with each configuration instead
(interleaved too) and prints the dev eval's figures per configuration and question kind
(``python -m assistant eval`` gives the full tables for one backend).

Presets (``--configs``): ``base`` (the ``LlamaOptions`` defaults on the packaged Q4_K_M),
``fa`` (plus flash attention), ``q4_0`` / ``q8_0`` (``base`` on the requantised files of
``python -m assistant.llm.models --requantize``). Gone after being measured: a stash of the
system turn's KV state (3.76 s first text against 3.73 s for ``base``: it only helped after
the follow-up rewrite's other system prompt, a call since removed) and prompt-lookup drafts
(see ``assistant.llm.llamacpp``).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.evaluation import keyword_match
from benchmarks.common import REPO, base_parser, note, run_cli

__all__ = ["PRESETS", "Measured", "Preset", "Run", "capture_requests", "format_table",
           "main", "measure", "summarise"]

EVAL_FILES = (REPO.parent / "shared" / "eval" / "dev.jsonl",
              REPO.parent / "shared" / "eval" / "dev-hard.jsonl")


@dataclass(frozen=True)
class Preset:
    """A configuration: the model file (``default``: the packaged Q4_K_M, else a kind of
    ``requantize_default_model``) and ``LlamaOptions`` fields."""

    file: str = "default"
    options: tuple[tuple[str, Any], ...] = ()


PRESETS: dict[str, Preset] = {
    "base": Preset(),
    "fa": Preset(options=(("flash_attn", True),)),
    "q4_0": Preset("q4_0"),
    "q8_0": Preset("q8_0"),
}


def capture_requests(index: Path, files: list[Path], limit: int | None,
                     kinds: set[str] | None = None) -> list[dict]:
    """``[{"id", "kind", "keywords", "requests": [{"messages", "max_tokens",
    "temperature"}]}]``: what the assistant asks a model for each question (of ``kinds``,
    all by default), recorded by a ``FakeBackend``."""
    from assistant.answer.assistant import Assistant
    from assistant.evaluation import load_questions
    from assistant.llm.fake import FakeBackend
    from assistant.runtime import configure_for_queries
    from assistant.search.retriever import Retriever
    from assistant.settings import Settings

    configure_for_queries()
    settings = Settings.from_env(index_dir=index)
    fake = FakeBackend(name="recorder")
    assistant = Assistant(Retriever.open(index, settings=settings), backend=fake,
                          settings=settings)
    captured = []
    chosen = [q for q in load_questions(*files) if not kinds or q.kind in kinds]
    for question in chosen[:limit]:
        seen = len(fake.requests)
        assistant.ask(question.question, history=list(question.history))
        keywords = list(question.answer_keywords) if question.answerable else []
        captured.append({"id": question.id, "kind": question.kind, "keywords": keywords,
                         "requests": [
            {"messages": list(r.messages), "max_tokens": r.max_tokens,
             "temperature": r.temperature} for r in fake.requests[seen:]]})
    return captured


@dataclass(frozen=True)
class Run:
    """One question's requests on one configuration: the last (answer) prompt's stats,
    seconds to its first text counted from the question's first request."""

    question: str
    prompt_tokens: int
    evaluated: int
    first_text_s: float | None
    prefill_s: float | None  # the answer request's own time to its first text
    generated: int
    total_s: float
    text: str
    keywords_ok: bool | None  # the draft holds the question's answer keywords (if it has any)


@dataclass
class Measured:
    """A configuration's runs, in question order."""

    name: str
    runs: list[Run] = field(default_factory=list)


def _model_file(kind: str, model: Path | None) -> Path:
    from assistant.llm.models import default_gguf_path, requantized_path

    path = (model or default_gguf_path()) if kind == "default" else requantized_path(kind)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run python -m assistant.llm.models"
                                + ("" if kind == "default" else f" --requantize {kind}"))
    return path


def _backend(name: str, model: Path | None, n_ctx: int):
    from assistant.llm.llamacpp import LlamaCppBackend, LlamaOptions

    preset = PRESETS[name]
    backend = LlamaCppBackend(_model_file(preset.file, model),
                              options=LlamaOptions(n_ctx=n_ctx, **dict(preset.options)))
    backend.load()
    return backend


def _replay(backend, question: dict) -> Run | None:
    """Send one question's requests in order; None when none was made."""
    requests = question["requests"]
    if not requests:
        return None
    start = begun = time.perf_counter()
    text = ""
    for request in requests:
        begun = time.perf_counter()
        text = "".join(backend.stream(request["messages"], max_tokens=request["max_tokens"],
                                      temperature=request["temperature"]))
    stats = backend.last_run
    first_text = None if stats.first_text_s is None else begun - start + stats.first_text_s
    keywords = question.get("keywords") or []
    return Run(question["id"], stats.prompt_tokens, stats.evaluated_tokens, first_text,
               stats.first_text_s, stats.generated_tokens, time.perf_counter() - start, text,
               keyword_match(text, keywords) if keywords else None)


def _rotations(names: list[str], i: int) -> list[str]:
    return names[i % len(names):] + names[: i % len(names)]


def measure(questions: list[dict], names: list[str], model: Path | None,
            n_ctx: int = 4096) -> list[Measured]:
    """Every question's requests on every configuration, interleaved."""
    backends = {}
    for name in names:
        note(f"loading {name} …")
        backends[name] = _backend(name, model, n_ctx)
    results = {name: Measured(name) for name in names}
    for i, question in enumerate(questions):
        for name in _rotations(names, i):
            run = _replay(backends[name], question)
            if run is not None:
                results[name].runs.append(run)
                note(f"{question['id']:>5} {name:<9} first {run.first_text_s or 0:6.2f} s  "
                     f"{run.text[:70]!r}")
    return [results[name] for name in names]


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(measured: list[Measured]) -> list[dict[str, Any]]:
    """One row per configuration (see the module docstring for the columns)."""
    reference = {r.question: r for r in measured[0].runs} if measured else {}
    rows = []
    for m in measured:
        answered = [r for r in m.runs if r.first_text_s is not None]
        prefill = [r.evaluated / r.prefill_s for r in answered if r.prefill_s]
        gen = [(r.generated - 1) / (r.total_s - r.first_text_s) for r in answered
               if r.generated > 1 and r.total_s > r.first_text_s]
        ratios = [r.first_text_s / reference[r.question].first_text_s for r in answered
                  if reference.get(r.question) and reference[r.question].first_text_s]
        scored = [r.keywords_ok for r in m.runs if r.keywords_ok is not None]
        rows.append({
            "config": m.name, "answers": len(m.runs),
            "keywords": f"{sum(scored)}/{len(scored)}",
            "prompt_tokens": _mean([r.prompt_tokens for r in m.runs]),
            "evaluated": _mean([r.evaluated for r in m.runs]),
            "prefill_tok_s": _median(prefill),
            "first_text_s": _mean([r.first_text_s for r in answered]),
            "generation_tok_s": _median(gen),
            "total_s": _mean([r.total_s for r in m.runs]),
            "same_text": sum(r.text == reference[r.question].text for r in m.runs
                             if r.question in reference),
            "first_text_ratio": _median(ratios)})
    return rows


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _load_line(load: tuple[float, float]) -> str:
    return (f"load average {load[0]:.2f} before, {load[1]:.2f} after, on "
            f"{os.cpu_count()} CPUs")


def format_table(rows: list[dict[str, Any]], load: tuple[float, float]) -> str:
    lines = [_load_line(load) + " (first-text ratio: median per question against the "
             "first row)",
             "| config | answers | prompt tokens | evaluated | prefill tok/s | first text s "
             "| generation tok/s | total s | same text | first-text ratio | keywords |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(
            f"| {r['config']} | {r['answers']} | {_num(r['prompt_tokens'], 0)} | "
            f"{_num(r['evaluated'], 0)} | {_num(r['prefill_tok_s'])} | "
            f"{_num(r['first_text_s'], 2)} | {_num(r['generation_tok_s'])} | "
            f"{_num(r['total_s'], 2)} | {r['same_text']}/{r['answers']} | "
            f"{_num(r['first_text_ratio'], 2)} | {r['keywords']} |")
    return "\n".join(lines)


def _evaluate(names: list[str], args) -> dict[str, dict[str, dict[str, Any]]]:
    """The dev eval's figures per configuration and question kind, questions interleaved
    across configurations (all loaded at once: they share the file's pages)."""
    from assistant.answer.assistant import Assistant
    from assistant.evaluation import AnswerRecord, answer_metrics, kind_metrics, load_questions
    from assistant.runtime import configure_for_queries
    from assistant.search.retriever import Retriever
    from assistant.settings import Settings

    configure_for_queries()
    settings = Settings.from_env(index_dir=args.index)
    retriever = Retriever.open(args.index, settings=settings)
    kinds = _kinds(args)
    questions = [q for q in load_questions(*args.questions)
                 if not kinds or q.kind in kinds][: args.limit]
    assistants = {}
    for name in names:
        note(f"loading {name} …")
        assistants[name] = Assistant(retriever, backend=_backend(name, args.model, args.n_ctx),
                                     settings=settings)
    records: dict[str, list[AnswerRecord]] = {name: [] for name in names}
    for i, question in enumerate(questions):
        for name in _rotations(names, i):
            record = AnswerRecord(**answer_metrics(assistants[name], [question])["records"][0])
            records[name].append(record)
            note(f"{question.id:>5} {name:<9} first {record.first_token_s or 0:6.2f} s "
                 f"keywords {record.keywords_ok!s:<5} {record.text[:60]!r}")
    return {name: kind_metrics(rows) for name, rows in records.items()}


def _eval_table(tables: dict[str, dict[str, dict[str, Any]]],
                load: tuple[float, float]) -> str:
    lines = [_load_line(load),
             "| config | kind | questions | keyword accuracy | declined | false refusals | "
             "first text mean s |", "|---|---|---:|---:|---:|---:|---:|"]
    for name, kinds in tables.items():
        for kind, row in kinds.items():
            lines.append(
                f"| {name} | {kind} | {row['questions']} | {_num(row['keyword_accuracy'], 3)} "
                f"| {row['declined']}/{row['unanswerable']} | {row['false_refusals']} | "
                f"{_num(row['first_token_mean_s'], 2)} |")
    return "\n".join(lines)


def _kinds(args) -> set[str]:
    return {k.strip() for k in args.kinds.split(",") if k.strip()}


def main(argv: list[str] | None = None) -> int:
    parser = base_parser("benchmarks.local_model", __doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=None,
                        help="index folder (default: ASSISTANT_INDEX_DIR or index/)")
    parser.add_argument("--questions", type=Path, nargs="+", default=list(EVAL_FILES))
    parser.add_argument("--configs", default="base,fa,q4_0",
                        help=f"comma-separated presets: {', '.join(PRESETS)}")
    parser.add_argument("--model", type=Path, default=None,
                        help="GGUF file for the presets on the default model")
    parser.add_argument("--limit", type=int, default=None, help="the first N questions")
    parser.add_argument("--kinds", default="", help="only these question kinds (comma-separated)")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--eval", action="store_true",
                        help="answer metrics per configuration instead of speed")
    args = parser.parse_args(argv)

    def body() -> int:
        from assistant.settings import Settings

        args.index = Path(args.index or Settings.from_env().index_dir)
        names = [n.strip() for n in args.configs.split(",") if n.strip()]
        unknown = [n for n in names if n not in PRESETS]
        if unknown or not names:
            raise ValueError(f"unknown config {unknown}; choose from {', '.join(PRESETS)}")
        before = os.getloadavg()[0]
        if args.eval:
            tables = _evaluate(names, args)
            load = (before, os.getloadavg()[0])
            print(json.dumps({"load": load, "kinds": tables}, indent=2) if args.json
                  else _eval_table(tables, load))
            return 0
        note("building the prompts with the assistant …")
        questions = capture_requests(args.index, args.questions, args.limit, _kinds(args))
        measured = measure(questions, names, args.model, args.n_ctx)
        rows = summarise(measured)
        load = (before, os.getloadavg()[0])
        runs = {m.name: [r.__dict__ for r in m.runs] for m in measured}
        print(json.dumps({"load": load, "rows": rows, "runs": runs}, indent=2) if args.json
              else format_table(rows, load))
        return 0

    return run_cli(body)


if __name__ == "__main__":
    raise SystemExit(main())
