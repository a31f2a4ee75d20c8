"""``python -m assistant bench [--scale]``: build, size, memory and search speed.

Without ``--scale``: the shipped corpus, end to end with the configured embedder (build,
warm search including query embedding, index size, peak memory, re-index after one edited
post), next to a synthetic archive of 10,000 chunks searched with real query embeddings.
With ``--scale``: synthetic archives of 10k–1M chunks.

Each size runs in its own subprocess (clean peak memory). The archives are synthetic: words
of ``corpus/*.txt``, grouped into topics so that passages have neighbours, one post and nine
comments per file. Their vectors come from a labelled *fake* embedder (a topic-weighted
random projection of the words, 384-d like all-MiniLM-L6-v2), computed up front in numpy,
so the build rate measures the index, not the model. The real model's cost is measured
separately on the real corpus: ingestion rate and query-embedding time.
"""

from __future__ import annotations

import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np

__all__ = ["COLUMNS", "CorpusResult", "FakeEmbedder", "IngestResult", "ScaleResult",
           "format_corpus_table", "format_ingest_table", "format_table", "run_corpus",
           "run_ingest", "run_ingest_sizes", "run_scale", "run_size", "synthetic_archive"]

DIM = 384
QUERIES = 100


@dataclass(frozen=True)
class ScaleResult:
    """One row of the table; times in seconds unless named ``_ms``."""

    chunks: int
    index_type: str
    build_s: float
    build_rate: float          # chunks/s through build (fake embedder)
    disk_mb: float
    bytes_per_chunk: float     # whole version folder on disk / chunks
    dense_bytes_per_chunk: float
    peak_rss_mb: float
    dense_p50_ms: float
    dense_p95_ms: float
    bm25_p50_ms: float
    bm25_p95_ms: float
    hybrid_p50_ms: float
    hybrid_p95_ms: float
    filtered_p50_ms: float     # hybrid, kind=post (a tenth of the chunks)
    exact_dense_p50_ms: float  # flat inner product over the same vectors
    recall_at_10: float        # the index in use vs exact; 1.0 when it is exact
    ann_build_s: float         # IVF built from the same vectors, nprobe calibrated
    ann_nprobe: int            # the calibrated nprobe (of ann_nlist lists)
    ann_nlist: int
    ann_p50_ms: float          # IVF dense search alone
    ann_recall_at_10: float    # IVF vs exact on the benchmark queries
    reindex_s: float           # build_index after one changed post


COLUMNS = tuple(f.name for f in fields(ScaleResult))


class FakeEmbedder:
    """FAKE embeddings for benchmarks: vectors looked up for known texts, else a random
    projection of the words. Not a language model; labelled so in every output."""

    model_id = "fake-bench-384"
    dimension = DIM

    def __init__(self, projection: np.ndarray, word_ids: dict[str, int],
                 known: dict[str, np.ndarray] | None = None):
        self.projection = projection
        self.word_ids = word_ids
        self.known = known or {}

    def _vector(self, text: str) -> np.ndarray:
        ids = [self.word_ids[w] for w in re.findall(r"\w+", text.lower()) if w in self.word_ids]
        vector = self.projection[ids].sum(axis=0) if ids else np.ones(DIM, np.float32)
        return (vector / (np.linalg.norm(vector) or 1.0)).astype(np.float32)

    def embed_documents(self, texts, progress=None) -> np.ndarray:
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            known = self.known.get(text.rsplit("\n", 1)[-1])
            out[i] = known if known is not None else self._vector(text)
        if progress:
            progress(len(texts))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


def _vocabulary(corpus_dir: Path) -> list[str]:
    words: set[str] = set()
    for path in sorted(Path(corpus_dir).glob("*.txt")):
        words.update(w.lower() for w in re.findall(r"[A-Za-z]{3,}", path.read_text("utf-8",
                                                                                   "replace")))
    return sorted(words) or ["probation", "union", "contract", "officer", "court"]


def synthetic_archive(n: int, corpus_dir: Path, out_dir: Path, seed: int = 0):
    """(chunks, file_rows, embedder, query texts, vectors, ids) for ``n`` synthetic chunks.

    Writes one small real file per post under ``out_dir`` (so a later build can change one);
    the chunks themselves are generated, not parsed.
    """
    import hashlib

    import scipy.sparse as sp

    from assistant.records import Chunk, faiss_id

    vocab = _vocabulary(corpus_dir)
    rng = np.random.default_rng(seed)
    v = len(vocab)
    zipf = 1.0 / np.arange(1, v + 1)
    zipf /= zipf.sum()
    topics = max(20, n // 200)
    topic_words = rng.choice(v, size=(topics, 25))
    lengths = rng.integers(30, 120, n)
    doc_topic = rng.integers(0, topics, n)
    total = int(lengths.sum())
    from_topic = rng.random(total) < 0.5
    owner = np.repeat(np.arange(n), lengths)
    word = np.where(from_topic, topic_words[doc_topic[owner], rng.integers(0, 25, total)],
                    rng.choice(v, size=total, p=zipf))
    # idf-like weights so common words do not dominate, as in a trained embedder
    weight = (1.0 / np.sqrt(np.bincount(word, minlength=v) + 1.0)).astype(np.float32)
    projection = rng.standard_normal((v, DIM)).astype(np.float32) * weight[:, None]
    matrix = sp.csr_matrix((np.ones(total, np.float32), (owner, word)), shape=(n, v))
    vectors = np.asarray(matrix @ projection, dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)

    vocab_arr = np.asarray(vocab, dtype=object)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    out_dir.mkdir(parents=True, exist_ok=True)
    chunks, file_rows, known = [], [], {}
    start_day = date(2010, 1, 1)
    per_post = 10
    for post in range(0, n, per_post):
        source = f"p{post // per_post:07d}.txt"
        day = start_day + timedelta(days=int(post // per_post) % 3650)
        title = f"Post {post // per_post}"
        body = " ".join(vocab_arr[word[bounds[post]:bounds[post] + 12]]).capitalize()
        path = out_dir / source
        path.write_text(f"{day:%A %-d %B %Y}\n\n{title}\n\n{body}.\n")
        stat = path.stat()
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        count = min(per_post, n - post)
        for j in range(count):
            i = post + j
            text = " ".join(vocab_arr[word[bounds[i]:bounds[i + 1]]])
            kind = "post" if j == 0 else "comment"
            chunk_id = hashlib.sha256(f"{source}\x00{i}\x00{text}".encode()).hexdigest()
            chunks.append(Chunk(chunk_id=chunk_id, post_id=f"{source}#0", source=source,
                                title=title, date=day, kind=kind,
                                author=None if kind == "post" else f"reader{i % 500}",
                                comment_number=None if kind == "post" else str(j),
                                position=j, text=text))
            known[text] = vectors[i]
        file_rows.append((source, sha, stat.st_size, stat.st_mtime_ns, "indexed", None, 1,
                          count))
    ids = np.asarray([faiss_id(c.chunk_id) for c in chunks], dtype=np.int64)
    embedder = FakeEmbedder(projection, {w: i for i, w in enumerate(vocab)}, known)
    queries = [" ".join(vocab_arr[rng.choice(topic_words[rng.integers(0, topics)], 4)])
               for _ in range(QUERIES)]
    return chunks, file_rows, embedder, queries, vectors, ids


def _timed(fn, items) -> tuple[float, float, list]:
    times, results = [], []
    for item in items:
        t = time.perf_counter()
        results.append(fn(item))
        times.append(time.perf_counter() - t)
    return float(np.percentile(times, 50) * 1e3), float(np.percentile(times, 95) * 1e3), results


def run_size(n: int, corpus_dir: Path, settings=None, real_queries: bool = False
             ) -> ScaleResult:
    """Measure one size in this process (``run_scale`` calls it in a subprocess per size).

    ``real_queries``: every timed search also embeds its query with the configured model
    (the vector used is still the fake one, which matches the fake archive), so latencies
    are end to end.
    """
    from assistant.index.build import IndexStore, build_from_chunks, build_index
    from assistant.index.dense import DenseIndex, DenseSpec, choose_spec
    from assistant.search.retriever import Retriever
    from assistant.settings import Settings

    settings = settings or Settings.from_env()
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        root = Path(tmp)
        chunks, file_rows, embedder, queries, vectors, ids = synthetic_archive(
            n, corpus_dir, root / "corpus")
        settings = replace(settings, corpus_dir=root / "corpus", index_dir=root / "index",
                           embedding_model=embedder.model_id)
        t = time.perf_counter()
        build_from_chunks(chunks, file_rows, root / "index", settings=settings, embedder=embedder)
        build_s = time.perf_counter() - t
        del chunks
        store = IndexStore.open(root / "index")
        sizes = store.manifest["bytes"]
        disk = sum(sizes.values())
        retriever = Retriever(store, embedder)
        qvecs = {q: embedder.embed_query(q) for q in queries}
        real = None
        if real_queries:
            from assistant.embed.embedder import Embedder

            real = Embedder.from_settings(Settings.from_env())
            real.embed_query("warm up")
        retriever.embedder = _Cached(embedder, qvecs, real)
        results = {}
        for mode in ("dense", "bm25", "hybrid"):
            results[mode] = _timed(lambda q, m=mode: retriever.search(q, k=10, mode=m), queries)
        filt = _timed(lambda q: retriever.search(q, k=10, kind="post"), queries)
        approx = [[h for h, _ in store.dense.search(qvecs[q], 10)] for q in queries]

        exact_index = DenseIndex.create(DenseSpec("flat"), DIM)
        exact_index.add(vectors, ids)
        ex50, _, exact = _timed(
            lambda q: [i for i, _ in exact_index.search(qvecs[q], 10)], queries)
        recall = float(np.mean([len(set(a) & set(b)) / max(len(b), 1)
                                for a, b in zip(approx, exact, strict=True)]))
        t = time.perf_counter()
        ann = DenseIndex.create(choose_spec(replace(settings, index_type="ivf"), n), DIM)
        for start in range(0, n, 50_000):
            ann.add(vectors[start:start + 50_000], ids[start:start + 50_000])
        ann.finish()
        ann.calibrate()
        ann_build = time.perf_counter() - t
        ann50, _, ann_found = _timed(
            lambda q, index=ann: [i for i, _ in index.search(qvecs[q], 10)], queries)
        ann_recall = float(np.mean([len(set(a) & set(b)) / max(len(b), 1)
                                    for a, b in zip(ann_found, exact, strict=True)]))
        ann_spec = ann.spec
        del ann

        from assistant.text import count_tokens

        count_tokens("warm")  # tiktoken's table loads once per process (0.6 s), as in the app
        changed = root / "corpus" / file_rows[len(file_rows) // 2][0]
        changed.write_text(changed.read_text() + "\nA new sentence about the probation union.\n")
        t = time.perf_counter()
        build_index(root / "corpus", root / "index", settings=settings, embedder=embedder)
        reindex = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return ScaleResult(
            chunks=n, index_type=store.manifest["dense"]["type"], build_s=build_s,
            build_rate=n / build_s, disk_mb=disk / 1e6, bytes_per_chunk=disk / n,
            dense_bytes_per_chunk=sizes.get("dense.faiss", 0) / n, peak_rss_mb=peak,
            dense_p50_ms=results["dense"][0], dense_p95_ms=results["dense"][1],
            bm25_p50_ms=results["bm25"][0], bm25_p95_ms=results["bm25"][1],
            hybrid_p50_ms=results["hybrid"][0], hybrid_p95_ms=results["hybrid"][1],
            filtered_p50_ms=filt[0], exact_dense_p50_ms=ex50, recall_at_10=recall,
            ann_build_s=ann_build, ann_nprobe=int(ann_spec.nprobe),
            ann_nlist=int(ann_spec.nlist), ann_p50_ms=ann50, ann_recall_at_10=ann_recall,
            reindex_s=reindex)


class _Cached:
    """The fake embedder with query vectors computed before timing."""

    def __init__(self, embedder: FakeEmbedder, vectors: dict[str, np.ndarray], real=None):
        self.model_id, self.dimension = embedder.model_id, embedder.dimension
        self._vectors, self._embedder, self._real = vectors, embedder, real

    def embed_query(self, text: str) -> np.ndarray:
        if self._real is not None:
            self._real.embed_query(text)  # paid for, then the matching fake vector is used
        vector = self._vectors.get(text)
        return vector if vector is not None else self._embedder.embed_query(text)


def real_embedding_costs(corpus_dir: Path, settings=None) -> dict[str, float]:
    """Ingestion rate and query-embedding time of the configured embedder on the real corpus."""
    from assistant.embed.embedder import Embedder
    from assistant.index.build import build_index
    from assistant.settings import Settings

    settings = settings or Settings.from_env()
    embedder = Embedder.from_settings(settings)
    embedder.embed_query("warm up")  # load the model outside the timings
    with tempfile.TemporaryDirectory(prefix="bench-real-") as tmp:
        t = time.perf_counter()
        report = build_index(corpus_dir, Path(tmp) / "index", settings=settings,
                             embedder=embedder)
        seconds = time.perf_counter() - t
    p50, p95, _ = _timed(embedder.embed_query,
                         [f"what did the union say about pay {i}" for i in range(30)])
    return {"model": embedder.model_id, "chunks": report.chunks_total,
            "rate": report.chunks_total / seconds, "query_p50_ms": p50, "query_p95_ms": p95}


def _in_subprocess(call: str, what: str) -> dict:
    """Run ``assistant.bench.<call>`` in a fresh interpreter (clean peak memory)."""
    code = ("import json; from pathlib import Path; import assistant.bench as b;"
            f"r = b.{call}; print('RESULT ' + json.dumps(r.__dict__))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not line:
        raise RuntimeError(f"bench of {what} failed: {proc.stderr[-2000:]}")
    return json.loads(line[-1][7:])


def run_scale(sizes: list[int], corpus_dir: Path, real: bool = True,
              echo=print) -> tuple[list[ScaleResult], dict | None]:
    """Each size in a fresh subprocess, then the real embedder's costs."""
    rows = []
    for n in sizes:
        echo(f"# measuring {n} chunks …", file=sys.stderr)
        rows.append(ScaleResult(**_in_subprocess(
            f"run_size({n}, Path({str(corpus_dir)!r}))", f"{n} chunks")))
    return rows, (real_embedding_costs(corpus_dir) if real else None)


@dataclass(frozen=True)
class CorpusResult:
    """One archive measured end to end: searches include embedding the query."""

    archive: str
    chunks: int
    build_rate: float        # chunks/s through a fresh build_index
    search_p50_ms: float     # hybrid, k=5, warm
    search_p95_ms: float
    disk_mb: float
    peak_rss_mb: float
    reindex_s: float         # build_index after one edited post
    embedder: str


def corpus_queries(store) -> list[str]:
    """Questions made from the archive's post titles (a reader's wording, not the text's)."""
    titles = [t for (t,) in store.db.execute("SELECT DISTINCT title FROM chunks ORDER BY title")]
    forms = ("what did readers say about {}", "{}", "why did the blog write about {}")
    return [forms[i % len(forms)].format(t) for i, t in enumerate(titles)][:QUERIES]


def measure_corpus(corpus_dir: Path) -> CorpusResult:
    """The shipped corpus (copied to a temporary folder) with the configured embedder."""
    import shutil

    from assistant.embed.embedder import Embedder
    from assistant.index.build import IndexStore, build_index
    from assistant.search.retriever import Retriever
    from assistant.settings import Settings

    settings = Settings.from_env()
    embedder = Embedder.from_settings(settings)
    embedder.embed_query("warm up")  # the model loads outside the timings
    with tempfile.TemporaryDirectory(prefix="bench-corpus-") as tmp:
        corpus, index = Path(tmp) / "corpus", Path(tmp) / "index"
        shutil.copytree(corpus_dir, corpus)
        t = time.perf_counter()
        report = build_index(corpus, index, settings=settings, embedder=embedder)
        build_s = time.perf_counter() - t
        store = IndexStore.open(index)
        retriever = Retriever(store, embedder, fusion=settings.fusion,
                              bm25_weight=settings.bm25_weight)
        queries = corpus_queries(store)
        for q in queries[:5]:
            retriever.search(q, k=5)  # warm caches
        p50, p95, _ = _timed(lambda q: retriever.search(q, k=5), queries * 3)
        disk = sum(store.manifest["bytes"].values())
        edited = sorted(p for p in corpus.iterdir() if p.is_file())[0]
        edited.write_text(edited.read_text("utf-8") +
                          "\nOne more reader asked what the union said about pay.\n", "utf-8")
        t = time.perf_counter()
        again = build_index(corpus, index, settings=settings, embedder=embedder)
        reindex = time.perf_counter() - t
        if again.chunks_added == 0:
            raise RuntimeError("the edited post was not re-indexed")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return CorpusResult("shipped corpus", report.chunks_total, report.chunks_total / build_s,
                        p50, p95, disk / 1e6, peak, reindex, embedder.model_id)


def measure_synthetic(n: int, corpus_dir: Path) -> CorpusResult:
    """A synthetic archive of ``n`` chunks, searched with real query embeddings."""
    row = run_size(n, corpus_dir, real_queries=True)
    return CorpusResult(f"synthetic {n:,} (fake vectors)", n, row.build_rate,
                        row.hybrid_p50_ms, row.hybrid_p95_ms, row.disk_mb, row.peak_rss_mb,
                        row.reindex_s, "FAKE for chunks; real for queries")


def run_corpus(corpus_dir: Path, synthetic: int = 10_000, echo=print) -> list[CorpusResult]:
    """The shipped corpus, then a synthetic archive; each in a fresh subprocess."""
    echo("# measuring the shipped corpus …", file=sys.stderr)
    rows = [CorpusResult(**_in_subprocess(f"measure_corpus(Path({str(corpus_dir)!r}))",
                                          "the shipped corpus"))]
    if synthetic:
        echo(f"# measuring {synthetic} synthetic chunks …", file=sys.stderr)
        rows.append(CorpusResult(**_in_subprocess(
            f"measure_synthetic({synthetic}, Path({str(corpus_dir)!r}))",
            f"{synthetic} synthetic chunks")))
    return rows


def format_corpus_table(rows: list[CorpusResult]) -> str:
    """``bench`` without ``--scale``: one Markdown table and what it measured."""
    lines = ["| archive | chunks | build chunks/s | search p50 ms | search p95 ms | "
             "index MB | peak RSS MB | re-index one post s |", "|" + "---|" * 8]
    lines += [f"| {r.archive} | {r.chunks} | {r.build_rate:.1f} | {r.search_p50_ms:.1f} | "
              f"{r.search_p95_ms:.1f} | {r.disk_mb:.2f} | {r.peak_rss_mb:.0f} | "
              f"{r.reindex_s:.2f} |" for r in rows]
    lines += ["", f"Embedder: {rows[0].embedder}. Search: hybrid, k=5, warm, end to end "
              "(query embedding + dense + BM25 + fusion + passage lookup). Synthetic rows: "
              "chunk vectors from a FAKE embedder, so their build rate excludes the model; "
              "their searches do embed each query with the real model."]
    return "\n".join(lines)


_HEADERS = {
    "chunks": "chunks", "index_type": "dense index", "build_s": "build s",
    "build_rate": "chunks/s", "disk_mb": "disk MB", "bytes_per_chunk": "B/chunk",
    "dense_bytes_per_chunk": "dense B/chunk", "peak_rss_mb": "peak RSS MB",
    "dense_p50_ms": "dense p50", "dense_p95_ms": "dense p95", "bm25_p50_ms": "bm25 p50",
    "bm25_p95_ms": "bm25 p95", "hybrid_p50_ms": "hybrid p50", "hybrid_p95_ms": "hybrid p95",
    "filtered_p50_ms": "filtered p50", "exact_dense_p50_ms": "exact dense p50",
    "recall_at_10": "recall@10", "ann_build_s": "ivf build s", "ann_nprobe": "ivf nprobe",
    "ann_nlist": "ivf nlist", "ann_p50_ms": "ivf p50", "ann_recall_at_10": "ivf recall@10",
    "reindex_s": "reindex s",
}


def format_table(rows: list[ScaleResult], real: dict | None = None) -> str:
    """One Markdown table (latencies in ms, without query embedding) and its footnotes."""
    def cell(value) -> str:
        if isinstance(value, float):
            return f"{value:.3f}" if value < 1 else f"{value:.1f}" if value < 1000 \
                else f"{value:.0f}"
        return str(value)

    lines = ["| " + " | ".join(_HEADERS[c] for c in COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(getattr(r, c)) for c in COLUMNS) + " |" for r in rows]
    lines.append("")
    lines.append("Synthetic archives (corpus vocabulary, topic-grouped); vectors from a FAKE "
                 "embedder (precomputed random projections, 384-d), so build rates exclude "
                 "the model. Latencies in ms at k=10, excluding query embedding; "
                 f"{QUERIES} queries each. Re-index: one post edited, `build_index` again in the "
                 "same process (tokenizer loaded, as in the chat app), fsync included.")
    if real:
        lines.append(f"Real embedder {real['model']}: ingestion {real['rate']:.0f} chunks/s "
                     f"on the shipped corpus ({real['chunks']} chunks); query embedding "
                     f"p50 {real['query_p50_ms']:.1f} ms, p95 {real['query_p95_ms']:.1f} ms "
                     "(add it to the latencies above for end-to-end search).")
    return "\n".join(lines)


# ---------------------------------------------------------------- ingestion memory

@dataclass(frozen=True)
class IngestResult:
    """One streamed build: memory while indexing, against what the archive's texts weigh."""

    chunks: int
    index_type: str
    build_s: float
    build_rate: float        # chunks/s (fake embedder: the pipeline, not the model)
    baseline_rss_mb: float   # the process before the build (interpreter, libraries)
    peak_rss_mb: float       # the process's peak during the build
    index_mb: float          # the published version on disk
    text_mb: float           # the chunk texts alone (what holding them all would add)


class _LazyArchive:
    """Synthetic chunks generated per file on demand, the same on every call, so that the
    build, not the benchmark, decides what is held (one post and nine comments a file)."""

    per_file = 10

    def __init__(self, n: int, vocab: list[str], seed: int = 0):
        self.n, self.seed = n, seed
        self.vocab = np.asarray(vocab, dtype=object)
        zipf = 1.0 / np.arange(1, len(vocab) + 1)
        self.cdf = np.cumsum(zipf / zipf.sum())
        self.files = (n + self.per_file - 1) // self.per_file

    def rows(self) -> list[tuple]:
        return [(self.source(k), f"{k:064x}", 1000, 0, "indexed", None, 1,
                 min(self.per_file, self.n - k * self.per_file)) for k in range(self.files)]

    @staticmethod
    def source(k: int) -> str:
        return f"p{k:07d}.txt"

    def texts(self, k: int) -> list[str]:
        rng = np.random.default_rng([self.seed, k])
        count = min(self.per_file, self.n - k * self.per_file)
        lengths = rng.integers(30, 120, count)
        words = self.vocab[np.minimum(np.searchsorted(self.cdf, rng.random(int(lengths.sum()))),
                                      len(self.vocab) - 1)]
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        return [" ".join(words[bounds[j]:bounds[j + 1]]) for j in range(count)]

    def chunks_of(self, source: str) -> list:
        import hashlib

        from assistant.records import Chunk

        k = int(source[1:8])
        day = date(2010, 1, 1) + timedelta(days=k % 3650)
        chunks = []
        for j, text in enumerate(self.texts(k)):
            kind = "post" if j == 0 else "comment"
            chunks.append(Chunk(
                chunk_id=hashlib.sha256(f"{source}\x00{j}\x00{text}".encode()).hexdigest(),
                post_id=f"{source}#0", source=source, title=f"Post {k}", date=day, kind=kind,
                author=None if kind == "post" else f"reader{(k + j) % 500}",
                comment_number=None if kind == "post" else str(j), position=j, text=text))
        return chunks


def run_ingest(n: int, corpus_dir: Path, settings=None) -> IngestResult:
    """Index ``n`` synthetic chunks through ``build_from_chunks`` in this process, with the
    chunks produced file by file (``run_ingest_sizes`` calls it in a subprocess per size)."""
    from assistant.index.build import IndexStore, build_from_chunks
    from assistant.settings import Settings

    vocab = _vocabulary(corpus_dir)
    archive = _LazyArchive(n, vocab)
    rng = np.random.default_rng(1)
    projection = rng.standard_normal((len(vocab), DIM)).astype(np.float32)
    embedder = FakeEmbedder(projection, {w: i for i, w in enumerate(vocab)})
    rows = archive.rows()
    import faiss  # noqa: F401  (libraries in the baseline, not in the growth)

    from assistant.index.lexical import Tokenizer

    Tokenizer()("warm up")
    text_bytes = sum(len(t.encode()) for k in range(0, archive.files, 97)
                     for t in archive.texts(k)) * 97
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        settings = replace(settings or Settings.from_env(), index_dir=Path(tmp) / "index",
                           embedding_model=embedder.model_id)
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = time.perf_counter()
        build_from_chunks(archive.chunks_of, rows, Path(tmp) / "index", settings=settings,
                          embedder=embedder)
        seconds = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        store = IndexStore.open(Path(tmp) / "index")
        disk = sum(store.manifest["bytes"].values())
        kind = store.manifest["dense"]["type"]
        store.close()
    return IngestResult(chunks=n, index_type=kind, build_s=seconds, build_rate=n / seconds,
                        baseline_rss_mb=baseline, peak_rss_mb=peak, index_mb=disk / 1e6,
                        text_mb=text_bytes / 1e6)


def run_ingest_sizes(sizes: list[int], corpus_dir: Path, echo=print) -> list[IngestResult]:
    rows = []
    for n in sizes:
        echo(f"# indexing {n} chunks …", file=sys.stderr)
        rows.append(IngestResult(**_in_subprocess(
            f"run_ingest({n}, Path({str(corpus_dir)!r}))", f"ingesting {n} chunks")))
    return rows


def format_ingest_table(rows: list[IngestResult]) -> str:
    lines = ["| chunks | index | build s | chunks/s | RSS before MB | peak RSS MB | "
             "growth B/chunk | index MB | chunk texts MB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        growth = (r.peak_rss_mb - r.baseline_rss_mb) * 1e6 / r.chunks
        lines.append(f"| {r.chunks} | {r.index_type} | {r.build_s:.1f} | {r.build_rate:.0f} | "
                     f"{r.baseline_rss_mb:.0f} | {r.peak_rss_mb:.0f} | {growth:.0f} | "
                     f"{r.index_mb:.1f} | {r.text_mb:.1f} |")
    lines += ["", "Streamed builds of synthetic archives (chunks produced file by file; vectors "
              "from a FAKE embedder, so rates exclude the model). Peak RSS is the whole "
              "process's; growth is (peak - before) per chunk."]
    return "\n".join(lines)
