"""Embedding backends: selection, pooling maths, errors, and fidelity of int8 to torch."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from assistant.embed.embedder import BACKENDS, Embedder, resolve_backend
from assistant.embed.onnx_encoder import pool_and_normalize
from assistant.embed.torch_encoder import length_sorted_batches
from assistant.settings import Settings

REPO = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ fast: no model loads

def test_mean_pooling_ignores_padding_and_normalises():
    hidden = np.array([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]],
                       [[0.0, 2.0], [0.0, 0.0], [0.0, 0.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    out = pool_and_normalize(hidden, mask)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[1.0, 0.0], [0.0, 1.0]], atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-6)


def test_mean_pooling_matches_explicit_average():
    rng = np.random.default_rng(0)
    hidden = rng.normal(size=(3, 5, 4)).astype(np.float32)
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0]])
    out = pool_and_normalize(hidden, mask)
    for row, n in enumerate(mask.sum(1)):
        expected = hidden[row, :n].mean(0)
        np.testing.assert_allclose(out[row], expected / np.linalg.norm(expected), atol=1e-5)


def test_cls_pooling_and_unknown_mode():
    hidden = np.array([[[0.0, 3.0], [4.0, 0.0]]], dtype=np.float32)
    np.testing.assert_allclose(pool_and_normalize(hidden, np.ones((1, 2)), "cls"), [[0, 1]])
    with pytest.raises(ValueError, match="pooling"):
        pool_and_normalize(hidden, np.ones((1, 2)), "max")


def test_backend_selection():
    assert resolve_backend("auto", "cpu") == ("onnx-int8", "cpu")
    assert resolve_backend("auto", "cuda") == ("torch", "cuda")
    assert resolve_backend("torch", "cpu") == ("torch", "cpu")
    assert resolve_backend("ONNX-INT8", "") == ("onnx-int8", "cpu")
    assert resolve_backend("torch", "cuda:1") == ("torch", "cuda:1")


def test_auto_without_cuda_is_int8_on_cpu(monkeypatch):
    monkeypatch.setattr("assistant.embed.embedder.cuda_available", lambda: False)
    assert resolve_backend("auto", "") == ("onnx-int8", "cpu")
    assert resolve_backend("torch", "") == ("torch", "cpu")
    monkeypatch.setattr("assistant.embed.embedder.cuda_available", lambda: True)
    assert resolve_backend("auto", "") == ("torch", "cuda")
    assert resolve_backend("onnx-int8", "") == ("onnx-int8", "cpu")


def test_unknown_backend_names_the_choices():
    with pytest.raises(ValueError) as info:
        Embedder(backend="tensorrt")
    for choice in BACKENDS:
        assert choice in str(info.value)
    with pytest.raises(ValueError, match="device"):
        resolve_backend("torch", "tpu")
    with pytest.raises(ValueError, match="CPU only"):
        resolve_backend("onnx-int8", "cuda")


def test_model_id_distinguishes_backends():
    assert Embedder(backend="torch", device="cpu").model_id == "all-MiniLM-L6-v2"
    assert Embedder(backend="onnx-int8").model_id == "all-MiniLM-L6-v2+onnx-int8"
    assert Embedder("/models/x", backend="onnx-int8").model_id == "/models/x+onnx-int8"


def test_from_settings_reads_backend_device_and_cache(tmp_path):
    settings = Settings.from_env({"ASSISTANT_EMBEDDING_BACKEND": "torch",
                                  "ASSISTANT_EMBEDDING_DEVICE": "cpu",
                                  "ASSISTANT_CACHE_DIR": str(tmp_path)})
    embedder = Embedder.from_settings(settings)
    assert (embedder.backend, embedder.resolved_device) == ("torch", "cpu")
    assert embedder.onnx_dir == tmp_path / "models" / "all-MiniLM-L6-v2-onnx-int8"
    assert embedder._model is None  # nothing loaded yet


def test_construction_loads_nothing(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("model loaded at construction")

    monkeypatch.setattr(Embedder, "_load", boom)
    Embedder(backend="onnx-int8")
    Embedder(backend="torch", device="cpu")


@pytest.mark.parametrize("backend", ["torch", "onnx-int8"])
def test_missing_model_path_is_a_clear_error(tmp_path, backend):
    missing = str(tmp_path / "no-such-model")
    embedder = Embedder(missing, backend=backend, device="cpu", cache_dir=tmp_path)
    with pytest.raises(RuntimeError, match="no-such-model"):
        embedder.embed_query("hello")


def test_export_validity_follows_output_and_source(tmp_path):
    import json

    from assistant.embed.model_files import MANIFEST
    from assistant.embed.onnx_export import EXPORT_FORMAT, _fingerprint, is_valid_export
    from assistant.hashing import sha256_file as _sha256

    source, out = tmp_path / "src", tmp_path / "out"
    source.mkdir()
    out.mkdir()
    (source / "model.safetensors").write_bytes(b"weights-v1")
    (out / "model.onnx").write_bytes(b"onnx")
    (out / "tokenizer.json").write_text("{}")
    manifest = {"format": EXPORT_FORMAT,
                "source": {"weights": {"model.safetensors":
                                       _fingerprint(source / "model.safetensors")}},
                "output": {"sha256": _sha256(out / "model.onnx")}}
    (out / MANIFEST).write_text(json.dumps(manifest))
    assert is_valid_export(out) and is_valid_export(out, source)
    (source / "model.safetensors").write_bytes(b"weights-v2")  # same size, new content
    assert is_valid_export(out) and not is_valid_export(out, source)
    (out / "model.onnx").write_bytes(b"ONNX")
    assert not is_valid_export(out)
    assert not is_valid_export(tmp_path / "missing")


def test_length_sorted_batches_cover_every_index_once():
    texts = ["a" * n for n in (5, 1, 9, 3, 7, 2, 8)]
    batches = length_sorted_batches(texts, 3)
    assert [len(b) for b in batches] == [3, 3, 1]
    assert sorted(i for b in batches for i in b) == list(range(len(texts)))
    lengths = [len(texts[i]) for b in batches for i in b]
    assert lengths == sorted(lengths, reverse=True)
    with pytest.raises(ValueError):
        length_sorted_batches(texts, 0)


# ------------------------------------------------------------------ slow: real models

def _corpus_texts() -> list[str]:
    from assistant.index import corpus_embed_texts
    from assistant.ingest.chunking import ChunkerConfig

    settings = Settings.from_env({})
    texts = corpus_embed_texts(REPO / "corpus", ChunkerConfig(
        settings.chunk_tokens, settings.chunk_overlap, settings.chunk_lead_tokens))
    assert texts
    return texts


@pytest.fixture(scope="module")
def corpus_texts() -> list[str]:
    return _corpus_texts()


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder(backend="torch", device="cpu")


@pytest.fixture(scope="module")
def int8_embedder() -> Embedder:
    return Embedder(backend="onnx-int8", cache_dir=REPO / ".cache")  # built on first use


@pytest.mark.slow
def test_int8_matches_torch_over_the_whole_corpus(corpus_texts, torch_embedder, int8_embedder):
    reference = torch_embedder.embed_documents(corpus_texts)
    quantised = int8_embedder.embed_documents(corpus_texts)
    cosines = (reference * quantised).sum(axis=1)
    assert quantised.shape == reference.shape
    assert cosines.mean() >= 0.98, cosines.mean()
    assert cosines.min() >= 0.9
    query_cos = float(torch_embedder.embed_query("pay freeze ballot") @
                      int8_embedder.embed_query("pay freeze ballot"))
    assert query_cos >= 0.98


@pytest.mark.slow
def test_sorted_dynamic_padding_path_matches_sentence_transformers(corpus_texts,
                                                                   torch_embedder):
    from assistant.embed.torch_encoder import encode_sorted

    texts = [*corpus_texts[:40], "short", "a little longer text", ""]
    model = torch_embedder._load().model
    reference = model.encode(texts, batch_size=8, normalize_embeddings=True,
                             convert_to_numpy=True, show_progress_bar=False)
    seen: list[int] = []
    vectors = encode_sorted(model, texts, batch_size=7, progress=seen.append)
    assert sum(seen) == len(texts)
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() > 0.999  # same order as the input, same vectors
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_embed_documents_reports_progress_and_keeps_order(int8_embedder):
    texts = ["the pay freeze", "x " * 400, "probation service", "ok"]
    seen: list[int] = []
    int8_embedder.batch_size = 3
    together = int8_embedder.embed_documents(texts, progress=seen.append)
    assert seen and sum(seen) == len(texts)
    alone = np.stack([int8_embedder.embed_query(t) for t in texts])
    assert ((together * alone).sum(axis=1) > 0.999).all()
    assert int8_embedder.dimension == together.shape[1] == 384


@pytest.mark.slow
def test_parallel_single_thread_sessions_give_the_same_vectors(corpus_texts, int8_embedder):
    from assistant.embed.onnx_encoder import OnnxEncoder

    int8_embedder.embed_query("load")
    folder = int8_embedder._load().model_dir
    texts = corpus_texts[:13]
    serial = OnnxEncoder(folder, threads=1).encode(texts)
    seen: list[int] = []
    parallel = OnnxEncoder(folder, threads=3).encode(texts, batch_size=4,
                                                      progress=seen.append)
    assert sum(seen) == len(texts) and len(seen) > 1
    assert ((serial * parallel).sum(axis=1) > 0.99999).all()


@pytest.mark.slow
def test_int8_export_is_reproducible_and_validated(tmp_path):
    from assistant.embed.model_files import MANIFEST
    from assistant.embed.onnx_export import build_int8_model, is_valid_export

    out = build_int8_model("all-MiniLM-L6-v2", tmp_path / "a", quiet=True)
    assert is_valid_export(out)
    manifest = (out / MANIFEST).read_text()
    assert "model.safetensors" in manifest and "sha256" in manifest
    again = build_int8_model("all-MiniLM-L6-v2", tmp_path / "b", quiet=True)
    assert (out / MANIFEST).read_text().split('"output"')[1] == \
        (again / MANIFEST).read_text().split('"output"')[1]
    with (out / "model.onnx").open("r+b") as fh:  # corrupt it: no longer valid
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    assert not is_valid_export(out)


@pytest.mark.slow
def test_concurrent_queries_are_safe(torch_embedder):
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            for _ in range(5):
                torch_embedder.embed_query("what did the union say")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
