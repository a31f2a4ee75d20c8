"""Measure retrieval quality across chunk sizes (and how many chunks the model truncates).

    python -m benchmarks.chunking ../shared/eval/dev.jsonl 96:16 128:24 160:32 200:40

Each ``tokens:overlap`` builds the corpus into a temporary index with the configured
embedder (vectors of a text already seen are reused across sizes) and prints recall@1/5/10
and MRR per search mode. ``>256wp``: chunks whose embedded text (header, context and text)
is longer than the model's 256 wordpieces, so its tail is cut off.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from assistant.embed.embedder import Embedder
from assistant.settings import Settings
from benchmarks.common import REPO

__all__ = ["CachingEmbedder", "main"]

MAX_WORDPIECES = 256  # all-MiniLM-L6-v2's max_seq_length


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


def _wordpiece_counter(model: str):
    """Wordpieces of a text, [CLS] and [SEP] included, by the model's own tokenizer."""
    from tokenizers import Tokenizer

    from assistant.embed.model_files import resolve_model_path

    tokenizer = Tokenizer.from_file(str(Path(resolve_model_path(model)) / "tokenizer.json"))
    tokenizer.no_truncation()
    return lambda text: len(tokenizer.encode(text).ids)


def _measure(spec: str, corpus: Path, questions, embedder, wordpieces) -> list[str]:
    """The table's lines for one ``tokens:overlap``, one per search mode."""
    from assistant import build_index
    from assistant.evaluation import retrieval_metrics
    from assistant.index import IndexStore, corpus_embed_texts
    from assistant.ingest.chunking import ChunkerConfig
    from assistant.search.retriever import Retriever

    size, overlap = (int(x) for x in spec.split(":"))
    settings = Settings.from_env({}, chunk_tokens=size, chunk_overlap=overlap)
    config = ChunkerConfig(settings.chunk_tokens, settings.chunk_overlap,
                           settings.chunk_lead_tokens)
    truncated = sum(wordpieces(t) > MAX_WORDPIECES for t in corpus_embed_texts(corpus, config))
    with tempfile.TemporaryDirectory() as tmp:
        build_index(corpus, Path(tmp), settings=settings, embedder=embedder)
        store = IndexStore.open(Path(tmp))
        retriever = Retriever(store, embedder, fusion=settings.fusion,
                              bm25_weight=settings.bm25_weight)
        results = retrieval_metrics(retriever, questions)
        count = store.count()
        store.close()
    return [f"{spec:<15}{count:>7}{truncated:>8}{mode:>8}{row['recall@1']:>7.3f}"
            f"{row['recall@5']:>7.3f}{row['recall@10']:>7.3f}{row['mrr']:>7.3f}"
            for mode, row in results.items()]


def main(argv: list[str] | None = None) -> int:
    from assistant.evaluation import load_questions

    parser = argparse.ArgumentParser(prog="python -m benchmarks.chunking",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path, help="JSONL questions file (the dev set)")
    parser.add_argument("specs", nargs="+", metavar="TOKENS:OVERLAP")
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus")
    args = parser.parse_args(argv)
    questions = load_questions(args.questions)
    embedder = CachingEmbedder()
    wordpieces = _wordpiece_counter(embedder.model_name)
    print(f"{'tokens:overlap':<15}{'chunks':>7}{'>256wp':>8}{'mode':>8}{'R@1':>7}{'R@5':>7}"
          f"{'R@10':>7}{'MRR':>7}")
    for spec in args.specs:
        print("\n".join(_measure(spec, args.corpus, questions, embedder, wordpieces)),
              flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
