import numpy as np
import pytest

from assistant.embed.fake import FakeEmbedder, Lexicon
from benchmarks import ingest, scale
from benchmarks.corpus import format_corpus_table, measure_corpus
from benchmarks.ingest import format_ingest_table, run_ingest
from benchmarks.scale import COLUMNS, ScaleResult, format_table, run_size

from ..conftest import REPO


@pytest.fixture(scope="module")
def small_result() -> ScaleResult:
    return run_size(2000, REPO / "corpus")


def test_run_size_measures_every_column(small_result):
    row = small_result.__dict__
    assert tuple(row) == COLUMNS
    assert row["chunks"] == 2000 and row["index_type"].startswith("IndexIDMap2")
    for name, value in row.items():
        if name not in ("chunks", "index_type", "ann_nprobe", "ann_nlist"):
            assert isinstance(value, float) and value > 0, name
    assert row["recall_at_10"] == 1.0  # flat below the threshold: exact
    assert 1 <= row["ann_nprobe"] <= row["ann_nlist"]
    assert row["ann_recall_at_10"] >= 0.9


def test_table_has_one_row_per_size_and_labels_the_fake_embedder(small_result):
    real = {"model": "m", "chunks": 10, "rate": 50.0, "query_p50_ms": 4.0,
            "query_p95_ms": 6.0}
    table = format_table([small_result, small_result], real)
    lines = table.splitlines()
    assert lines[0].count("|") == len(COLUMNS) + 1 and "recall@10" in lines[0]
    assert lines[2].startswith("| 2000 |") and lines[3].startswith("| 2000 |")
    assert "FAKE embedder" in table and "query embedding p50 4.0 ms" in table


def test_fake_embedder_is_deterministic_and_normalised():
    rng = np.random.default_rng(0)
    fake = FakeEmbedder(Lexicon({"pay": 0, "union": 1, "court": 2},
                                rng.standard_normal((3, 384)).astype(np.float32)))
    a, b = fake.embed_documents(["pay union", "pay union"])
    assert np.allclose(a, b) and np.isclose(np.linalg.norm(a), 1.0)
    assert np.allclose(fake.embed_query("union pay"), a)


def test_ingest_bench_streams_a_lazy_archive():
    row = run_ingest(3000, REPO / "corpus")
    assert row.chunks == 3000 and row.index_type.startswith("IndexIDMap2")
    assert row.peak_rss_mb >= row.baseline_rss_mb > 0
    assert row.index_mb > 0 and 0 < row.text_mb < row.index_mb
    table = format_ingest_table([row])
    assert table.splitlines()[2].startswith("| 3000 | IndexIDMap2") and "FAKE" in table


@pytest.mark.parametrize("main,argv,message", [
    (scale.main, ["--sizes", "10"], "100 or more"),
    (ingest.main, ["--sizes", "x"], "100 or more, got 'x'"),
])
def test_bench_cli_rejects_bad_arguments(main, argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


@pytest.mark.slow
def test_corpus_bench_measures_the_real_embedder_end_to_end(small_corpus):
    row = measure_corpus(small_corpus)
    assert row.archive == "shipped corpus" and row.chunks > 0
    assert row.embedder.startswith("all-MiniLM-L6-v2")
    for value in (row.build_rate, row.search_p50_ms, row.search_p95_ms, row.disk_mb,
                  row.peak_rss_mb, row.reindex_s):
        assert value > 0
    assert row.search_p95_ms >= row.search_p50_ms
    table = format_corpus_table([row])
    assert table.splitlines()[2].startswith(f"| shipped corpus | {row.chunks} |")
    assert "end to end" in table


def test_each_size_runs_in_a_fresh_interpreter(capsys):
    rows = ingest.run_ingest_sizes([200], REPO / "corpus")
    assert [r.chunks for r in rows] == [200] and rows[0].peak_rss_mb > 0
    assert "# indexing 200 chunks" in capsys.readouterr().err
