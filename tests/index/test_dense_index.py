import numpy as np
import pytest

from assistant.index.dense import DenseIndex, DenseSpec, choose_spec
from assistant.settings import Settings

DIM = 32


def _clustered(n, seed=0):
    """Unit vectors around 40 centres: neighbours exist, as with text embeddings."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((40, DIM))
    x = centres[rng.integers(0, 40, n)] + 0.35 * rng.standard_normal((n, DIM))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), (np.arange(n, dtype=np.int64) * 7919 + 11)


SPECS = [
    DenseSpec("flat"),
    DenseSpec("flat", "float16"),
    DenseSpec("ivf", "float16", nlist=32, nprobe=8, trained_size=3000),
    DenseSpec("ivf", "float32", nlist=32, nprobe=8, trained_size=3000),
    DenseSpec("hnsw", "float16", hnsw_m=16, ef_search=64),
]


def _exact(x, ids, q, k, allowed=None):
    scores = x @ q
    if allowed is not None:
        scores = np.where(np.isin(ids, allowed), scores, -np.inf)
    return set(ids[np.argsort(-scores)[:k]].tolist())


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.kind}-{s.storage}")
def test_search_remove_filter_and_reload(spec, tmp_path):
    x, ids = _clustered(3000)
    index = DenseIndex.create(spec, DIM)
    for start in range(0, 3000, 700):  # streamed in batches, as the build does
        index.add(x[start:start + 700], ids[start:start + 700])
    queries = x[:30] + 0.05
    recall = np.mean([len({i for i, _ in index.search(q, 10)} & _exact(x, ids, q, 10)) / 10
                      for q in queries])
    assert recall >= 0.95

    removed = ids[:500]
    index.remove(removed)
    assert index.ntotal == 2500
    for q in queries[:10]:
        assert not {i for i, _ in index.search(q, 20)} & set(removed.tolist())

    rng = np.random.default_rng(1)
    for size in (5, 300, 2000):  # tiny, middling, most of the index
        allowed = np.sort(rng.choice(ids[500:], size, replace=False))
        hits = index.search(queries[0], 10, allowed)
        assert len(hits) == min(10, size)
        assert {i for i, _ in hits} <= set(allowed.tolist())
        if size == 5:
            assert {i for i, _ in hits} == set(allowed.tolist())
        else:  # served by over-fetching (approximate kinds): still the best allowed ones
            best = _exact(x, ids, queries[0], 10, allowed)
            assert len({i for i, _ in hits} & best) >= 8

    index.save(tmp_path)
    again = DenseIndex.load(tmp_path, index.spec)
    assert again.ntotal == 2500
    assert np.allclose(again.reconstruct(int(ids[600])), x[600], atol=1e-2)
    assert not {i for i, _ in again.search(queries[0], 20)} & set(removed.tolist())
    # re-adding a removed chunk (same content hash, same vector) brings it back
    again.add(x[:1], ids[:1])
    assert int(ids[0]) in {i for i, _ in again.search(x[0], 5)}


def test_hnsw_tombstones_trigger_rebuild():
    x, ids = _clustered(500)
    index = DenseIndex.create(DenseSpec("hnsw", hnsw_m=8), DIM)
    index.add(x, ids)
    index.remove(ids[:50])
    assert not index.needs_rebuild
    index.remove(ids[50:150])
    assert index.needs_rebuild


def test_ivf_with_fewer_vectors_than_clusters_still_trains():
    x, ids = _clustered(10)
    index = DenseIndex.create(DenseSpec("ivf", nlist=64, trained_size=10), DIM)
    index.add(x, ids)
    assert {i for i, _ in index.search(x[3], 1)} == {int(ids[3])}


def test_choose_spec_by_size_and_settings():
    settings = Settings.from_env({}, ann_threshold=1000)
    assert choose_spec(settings, 999).kind == "flat"
    assert choose_spec(settings, 999).storage == "float32"
    big = choose_spec(settings, 40_000)
    assert (big.kind, big.storage, big.nlist) == ("ivf", "float16", 800)
    assert choose_spec(Settings.from_env({}, index_type="hnsw"), 10).kind == "hnsw"
    with pytest.raises(ValueError, match="index_type"):
        choose_spec(Settings.from_env({}, index_type="annoy"), 10)


def test_ivf_calibration_picks_the_smallest_nprobe_reaching_the_target(tmp_path):
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((40, 32)).astype(np.float32)
    vectors = centres[rng.integers(0, 40, 6000)] + 0.6 * rng.standard_normal(
        (6000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    spec = choose_spec(Settings(index_type="ivf"), len(vectors))
    assert spec.auto_nprobe and spec.nlist == round(4 * np.sqrt(6000))
    index = DenseIndex.create(spec, 32)
    index.add(vectors, np.arange(6000, dtype=np.int64))
    index.save(tmp_path)  # saving measures nprobe
    spec = index.spec
    assert spec.calibrated_size == 6000 and spec.calibrated_recall >= 0.99
    assert 1 <= spec.nprobe < spec.nlist
    # an unreachable target ends at every list probed, which is the exhaustive scan
    assert index.calibrate(target=2.0) == pytest.approx(1.0)
    assert index.spec.nprobe == index.spec.nlist
    fixed = choose_spec(Settings(index_type="ivf", ivf_nprobe=7), 6000)
    assert not fixed.auto_nprobe and fixed.nprobe == 7


@pytest.mark.parametrize("spec", SPECS[:4], ids=lambda s: f"{s.kind}-{s.storage}")
def test_small_edits_share_the_file_and_write_a_delta(spec, tmp_path, monkeypatch):
    x, ids = _clustered(3000)
    first = DenseIndex.create(spec, DIM)
    first.add(x, ids)
    (tmp_path / "v1").mkdir()
    first.save(tmp_path / "v1")
    live = dict(zip(ids.tolist(), x, strict=True))
    extra, extra_ids = _clustered(40, seed=5)
    extra_ids = extra_ids + 10**9
    previous = tmp_path / "v1"
    for step in range(3):  # a chain of versions, each holding the changes since v1
        index = DenseIndex.load(previous, first.spec)
        gone = ids[step * 10:step * 10 + 10]
        index.remove(gone)
        index.remove(extra_ids[step * 10 - 5:step * 10] if step else extra_ids[:0])
        index.add(extra[step * 10:step * 10 + 10], extra_ids[step * 10:step * 10 + 10])
        for i in [*gone.tolist(), *(extra_ids[step * 10 - 5:step * 10] if step else [])]:
            live.pop(int(i), None)
        live.update(zip(extra_ids[step * 10:step * 10 + 10].tolist(),
                        extra[step * 10:step * 10 + 10], strict=True))
        folder = tmp_path / f"v{step + 2}"
        folder.mkdir()
        index.save(folder)
        assert (folder / "dense.faiss").stat().st_ino == (tmp_path / "v1/dense.faiss").stat().st_ino
        assert (folder / "dense_delta.npz").stat().st_size < 100_000
        previous = folder

    reopened = DenseIndex.load(previous, first.spec)
    assert reopened.ntotal == len(live)
    live_ids = np.array(sorted(live))
    live_x = np.stack([live[i] for i in live_ids.tolist()])
    np.testing.assert_allclose(reopened.reconstruct_batch(live_ids), live_x, atol=2e-3)
    for q in live_x[:20]:
        found = {i for i, _ in reopened.search(q, 5)}
        assert found <= set(live) and len(found & _exact(live_x, live_ids, q, 5)) >= 4

    # Past the delta limit the whole index is written again, and stands alone.
    monkeypatch.setattr("assistant.index.dense.DELTA_LIMIT", 0.0)
    (tmp_path / "full").mkdir()
    reopened.remove(live_ids[:1])
    reopened.save(tmp_path / "full")
    assert not (tmp_path / "full/dense_delta.npz").exists()
    assert (tmp_path / "full/dense.faiss").stat().st_ino != \
        (tmp_path / "v1/dense.faiss").stat().st_ino
    assert DenseIndex.load(tmp_path / "full", first.spec).ntotal == len(live) - 1
