"""Measure retrieval quality across chunk sizes (and print wordpiece lengths).

    python scripts/sweep_chunking.py ../shared/eval/dev.jsonl 96:16 128:24 160:32 200:40
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

from assistant import Settings, build_index
from assistant.embed.embedder import Embedder
from assistant.evaluation import load_questions, retrieval_metrics
from assistant.index.build import IndexStore
from assistant.search.retriever import Retriever


class CachingEmbedder(Embedder):
    """Reuses vectors across builds of the sweep (same model, same text)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cache: dict[str, np.ndarray] = {}

    def embed_documents(self, texts, progress=None):
        missing = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if missing:
            for text, vector in zip(missing, super().embed_documents(missing), strict=True):
                self.cache[text] = vector
        return np.stack([self.cache[t] for t in texts])


def main() -> None:
    questions = load_questions(sys.argv[1])
    embedder = CachingEmbedder()
    tokenizer = embedder._load().tokenizer
    print(f"{'tokens:overlap':<15}{'chunks':>7}{'>256wp':>8}{'mode':>8}{'R@1':>7}{'R@5':>7}"
          f"{'R@10':>7}{'MRR':>7}")
    for spec in sys.argv[2:]:
        size, overlap = (int(x) for x in spec.split(":"))
        settings = Settings.from_env({}, chunk_tokens=size, chunk_overlap=overlap)
        with tempfile.TemporaryDirectory() as tmp:
            build_index("corpus", Path(tmp), settings=settings, embedder=embedder)
            store = IndexStore.open(Path(tmp))
            texts = [f"{r[0]} {r[1]}" for r in store.db.execute("SELECT title, text FROM chunks")]
            truncated = sum(len(tokenizer(t)["input_ids"]) > 256 for t in texts)
            results = retrieval_metrics(Retriever(store, embedder), questions)
            for mode, row in results.items():
                print(f"{spec:<15}{store.count():>7}{truncated:>8}{mode:>8}{row['recall@1']:>7.3f}"
                      f"{row['recall@5']:>7.3f}{row['recall@10']:>7.3f}{row['mrr']:>7.3f}")


if __name__ == "__main__":
    main()
