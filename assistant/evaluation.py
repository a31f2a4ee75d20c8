"""Retrieval metrics over a questions file (format: shared/eval/README.md)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .retrieval import MODES, Hit, Retriever

__all__ = [
    "Question",
    "collapse_whitespace",
    "format_table",
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


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def load_questions(path: str | os.PathLike) -> list[Question]:
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
            ))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a valid question line ({exc})") from exc
    return questions


def supports(hit: Hit, question: Question) -> bool:
    """A hit supports a question when its text contains one of the gold evidence phrases."""
    text = collapse_whitespace(hit.text)
    return any(phrase in text for phrase in question.evidence)


def retrieval_metrics(retriever: Retriever, questions: Iterable[Question],
                      modes: Iterable[str] = MODES, ks: tuple[int, ...] = (1, 5, 10),
                      ) -> dict[str, dict[str, float]]:
    """recall@k and MRR (over the top ``max(ks)``) per mode, answerable questions only."""
    answerable = [q for q in questions if q.answerable and q.evidence]
    depth = max(ks)
    results: dict[str, dict[str, float]] = {}
    for mode in modes:
        found = {k: 0 for k in ks}
        reciprocal = 0.0
        for question in answerable:
            hits = retriever.search(question.question, k=depth, mode=mode)
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
        results[mode] = row
    return results


def format_table(results: dict[str, dict[str, float]]) -> str:
    columns = [c for c in next(iter(results.values())) if c != "questions"]
    lines = ["mode     " + "".join(f"{c:>11}" for c in columns)]
    for mode, row in results.items():
        lines.append(f"{mode:<9}" + "".join(f"{row[c]:>11.3f}" for c in columns))
    n = int(next(iter(results.values()))["questions"])
    lines.append(f"({n} answerable questions)")
    return "\n".join(lines)
