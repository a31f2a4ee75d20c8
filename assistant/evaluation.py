"""Retrieval and answer metrics over questions files (format: shared/eval/README.md).

Answers are scored per question kind: follow-ups are asked with their ``history``, filtered
questions are scored on the filters the assistant read from their wording (``filters`` in
the file is what the wording implies; it is never given to the assistant), and a near-miss
question counts as declined when the answer refuses or states an honest gap.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from assistant.records import Hit
from assistant.search.retriever import MODES, Retriever

__all__ = [
    "AnswerRecord",
    "Question",
    "answer_metrics",
    "as_asked",
    "collapse_whitespace",
    "format_answer_table",
    "format_kind_table",
    "format_table",
    "keyword_match",
    "load_questions",
    "retrieval_metrics",
    "supports",
]


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    kind: str
    evidence: tuple[str, ...]
    answer_keywords: tuple[str, ...]
    answerable: bool
    history: tuple[dict[str, str], ...] = ()  # earlier turns of a follow-up
    filters: tuple[tuple[str, str], ...] = ()  # what the wording implies, for scoring only


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def load_questions(*paths: str | os.PathLike) -> list[Question]:
    """The questions of every file, in order."""
    return [q for path in paths for q in _load_file(path)]


def _load_file(path: str | os.PathLike) -> list[Question]:
    questions = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            questions.append(Question(
                id=str(raw.get("id", number)), question=raw["question"],
                kind=raw.get("kind", ""),
                evidence=tuple(collapse_whitespace(g["evidence"]) for g in raw.get("gold", [])),
                answer_keywords=tuple(raw.get("answer_keywords", [])),
                answerable=bool(raw.get("answerable", True)),
                history=tuple({"role": str(t["role"]), "content": str(t["content"])}
                              for t in raw.get("history", [])),
                filters=tuple(sorted((str(k), str(v)) for k, v in
                                     (raw.get("filters") or {}).items())),
            ))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a valid question line ({exc})") from exc
    return questions


def supports(hit: Hit, question: Question) -> bool:
    """A hit supports a question when its text contains one of the gold evidence phrases."""
    text = collapse_whitespace(hit.text)
    return any(phrase in text for phrase in question.evidence)


AskedSearch = Callable[[Question], tuple[str, dict[str, object]]]


def as_asked(assistant) -> AskedSearch:
    """The search ``assistant`` runs for a question: a follow-up made standalone from its
    history, with the filters its wording implies (``Assistant.understand``)."""
    def search(question: Question) -> tuple[str, dict[str, object]]:
        query = assistant.understand(question.question, list(question.history))
        return query.text, {k: v for k, v in query.filters.items() if v is not None}
    return search


def retrieval_metrics(retriever: Retriever, questions: Iterable[Question],
                      modes: Iterable[str] = MODES, ks: tuple[int, ...] = (1, 5, 10),
                      asked: AskedSearch | None = None, label: str = "",
                      ) -> dict[str, dict[str, float]]:
    """recall@k and MRR (over the top ``max(ks)``) per mode, answerable questions only;
    each question searched as written, or as ``asked`` makes it (rows named mode+label)."""
    answerable = [q for q in questions if q.answerable and q.evidence]
    depth = max(ks)
    results: dict[str, dict[str, float]] = {}
    for mode in modes:
        found = {k: 0 for k in ks}
        reciprocal = 0.0
        for question in answerable:
            text, filters = asked(question) if asked else (question.question, {})
            hits = retriever.search(text, k=depth, mode=mode, **filters)
            rank = next((i for i, h in enumerate(hits, 1) if supports(h, question)), None)
            if rank is None:
                continue
            reciprocal += 1.0 / rank
            for k in ks:
                found[k] += rank <= k
        n = max(len(answerable), 1)
        row = {f"recall@{k}": found[k] / n for k in ks}
        row["mrr"] = reciprocal / n
        row["questions"] = float(len(answerable))
        results[mode + label] = row
    return results


def format_table(results: dict[str, dict[str, float]]) -> str:
    columns = [c for c in next(iter(results.values())) if c != "questions"]
    width = max(9, *(len(mode) + 1 for mode in results))
    lines = ["mode".ljust(width) + "".join(f"{c:>11}" for c in columns)]
    for mode, row in results.items():
        lines.append(mode.ljust(width) + "".join(f"{row[c]:>11.3f}" for c in columns))
    n = int(next(iter(results.values()))["questions"])
    lines.append(f"({n} answerable questions)")
    return "\n".join(lines)


# ---------------------------------------------------------------- answer metrics

def keyword_match(text: str, keywords: Iterable[str]) -> bool:
    """Every keyword occurs in ``text`` (case-insensitive); ``a|b`` accepts either."""
    low = text.lower()
    return all(any(alt.strip().lower() in low for alt in kw.split("|") if alt.strip())
               for kw in keywords)


@dataclass(frozen=True)
class AnswerRecord:
    """One question's answer, scored."""

    id: str
    answerable: bool
    refused: bool
    keywords_ok: bool
    citations: int
    supported: int  # citations whose quote supports the citing sentence (re-verified)
    first_token_s: float | None
    total_s: float | None
    backend: str
    notice: str | None
    text: str
    repaired: int = 0  # citations moved by the verifier to the passage supporting them
    kind: str = ""
    gap: bool = False  # the answer says the archive does not state what was asked
    filters_ok: bool | None = None  # implied filters == the file's (filtered questions)
    found: bool | None = None  # a passage shown holds gold evidence (answerable questions)

    @property
    def declined(self) -> bool:
        """Refused, or answered with an honest gap: what a near-miss question deserves."""
        return self.refused or self.gap

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def answer_metrics(assistant, questions: Iterable[Question], backend=None,
                   progress=None) -> dict[str, object]:
    """Keyword accuracy, citation precision, refusal accuracy and timings of ``assistant``.

    Citation precision re-checks every citation with the assistant's verifier (the quote's
    passage must support the sentence citing it). ``progress(record)`` is called per question.
    """
    records: list[AnswerRecord] = []
    verifier = assistant.verifier
    for question in questions:
        answer = assistant.ask(question.question, history=list(question.history),
                               backend=backend)
        supported = sum(
            verifier.support(c.sentence or c.quote, c.n, c.hit).supported for c in answer.citations)
        implied = {f.name: f.value.lower() for f in answer.implied}
        record = AnswerRecord(
            id=question.id, answerable=question.answerable, refused=answer.refused,
            keywords_ok=(not answer.refused
                         and keyword_match(answer.text, question.answer_keywords)),
            citations=len(answer.citations), supported=supported,
            first_token_s=answer.first_token_s, total_s=answer.total_s,
            backend=answer.backend, notice=answer.notice, text=answer.text,
            repaired=len(answer.repaired), kind=question.kind, gap=bool(answer.gaps),
            filters_ok=(implied == {k: v.lower() for k, v in question.filters}
                        if question.filters else None),
            found=(any(supports(h, question) for h in answer.passages)
                   if question.answerable and question.evidence else None))
        records.append(record)
        if progress:
            progress(record)
    answerable = [r for r in records if r.answerable]
    unanswerable = [r for r in records if not r.answerable]
    cited = sum(r.citations for r in records)
    first = [r.first_token_s for r in records if r.first_token_s is not None]
    total = [r.total_s for r in records if r.total_s is not None]
    correct_refusals = sum(r.declined for r in unanswerable) + sum(
        not r.declined for r in answerable)
    summary = {
        "questions": len(records),
        "keyword_accuracy": (sum(r.keywords_ok for r in answerable) / len(answerable)
                             if answerable else None),
        "citation_precision": sum(r.supported for r in records) / cited if cited else None,
        "citations": cited,
        "refusal_accuracy": correct_refusals / len(records) if records else None,
        "unanswerable_refused": sum(r.declined for r in unanswerable),
        "unanswerable": len(unanswerable),
        "false_refusals": sum(r.declined for r in answerable),
        "gap_answers": sum(r.gap for r in records),
        "repaired_citations": sum(r.repaired for r in records),
        "fallbacks": sum(r.backend == "extractive" and r.notice is not None for r in records),
        "first_token_mean_s": sum(first) / len(first) if first else None,
        "first_token_p50_s": _percentile(first, 0.5),
        "total_mean_s": sum(total) / len(total) if total else None,
        "total_p50_s": _percentile(total, 0.5),
    }
    return {"summary": summary, "records": [r.as_dict() for r in records],
            "kinds": kind_metrics(records)}


def kind_metrics(records: list[AnswerRecord]) -> dict[str, dict[str, object]]:
    """Per question kind (in order of appearance, then "all"): how many, keyword accuracy
    (answerable), declined (refused or an honest gap), false refusals, passages shown
    holding gold evidence, implied filters right, mean seconds to first text."""
    kinds = list(dict.fromkeys(r.kind or "?" for r in records))
    table: dict[str, dict[str, object]] = {}
    for kind in [*kinds, "all"]:
        mine = [r for r in records if kind in ("all", r.kind or "?")]
        answerable = [r for r in mine if r.answerable]
        scored = [r for r in mine if r.filters_ok is not None]
        found = [r for r in mine if r.found is not None]
        first = [r.first_token_s for r in mine if r.first_token_s is not None]
        table[kind] = {
            "questions": len(mine),
            "keyword_accuracy": (sum(r.keywords_ok for r in answerable) / len(answerable)
                                 if answerable else None),
            "declined": sum(r.declined for r in mine if not r.answerable),
            "unanswerable": sum(not r.answerable for r in mine),
            "false_refusals": sum(r.declined for r in answerable),
            "evidence_shown": (sum(bool(r.found) for r in found) / len(found)
                               if found else None),
            "filters_right": (f"{sum(bool(r.filters_ok) for r in scored)}/{len(scored)}"
                              if scored else ""),
            "first_token_mean_s": sum(first) / len(first) if first else None,
        }
    return table


def format_kind_table(kinds: dict[str, dict[str, object]], backend: str = "") -> str:
    """``kind_metrics`` as a Markdown table, one row per question kind."""
    def num(value: object, digits: int = 2) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    lines = [f"| kind ({backend or '?'}) | questions | keyword accuracy | declined / "
             "unanswerable | false refusals | evidence shown | implied filters right | "
             "first text s |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for kind, row in kinds.items():
        declined = f"{row['declined']}/{row['unanswerable']}" if row["unanswerable"] else "-"
        lines.append(f"| {kind} | {row['questions']} | {num(row['keyword_accuracy'])} | "
                     f"{declined} | {row['false_refusals']} | {num(row['evidence_shown'])} | "
                     f"{row['filters_right'] or '-'} | {num(row['first_token_mean_s'])} |")
    return "\n".join(lines)


def format_answer_table(summary: dict[str, object], backend: str = "") -> str:
    """The answer metrics as an aligned two-column table."""
    def num(key: str, digits: int = 3) -> str:
        value = summary.get(key)
        return "n/a" if value is None else f"{value:.{digits}f}"

    rows = [
        ("backend", backend or "?"),
        ("keyword accuracy", f"{num('keyword_accuracy')}  (answerable questions)"),
        ("citation precision", f"{num('citation_precision')}  ({summary['citations']} citations)"),
        ("refusal accuracy", f"{num('refusal_accuracy')}  (unanswerable refused "
                             f"{summary['unanswerable_refused']}/{summary['unanswerable']}, "
                             f"false refusals {summary['false_refusals']})"),
        ("first text", f"mean {num('first_token_mean_s', 2)} s, "
                       f"p50 {num('first_token_p50_s', 2)} s"),
        ("total time", f"mean {num('total_mean_s', 2)} s, p50 {num('total_p50_s', 2)} s"),
    ]
    if summary.get("gap_answers"):
        rows.append(("honest gap answers", str(summary["gap_answers"])))
    if summary.get("repaired_citations"):
        rows.append(("repaired citations", str(summary["repaired_citations"])))
    if summary.get("fallbacks"):
        rows.append(("extractive fallbacks", str(summary["fallbacks"])))
    rows.append(("questions", str(summary["questions"])))
    return "\n".join(f"{name:<21}{value}" for name, value in rows)
