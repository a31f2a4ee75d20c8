"""The package's fake embedder: what tests and benchmarks use in place of the model."""

from __future__ import annotations

import numpy as np

from assistant.embed.fake import FakeEmbedder, Lexicon


def test_hashed_words_give_deterministic_unit_vectors():
    fake = FakeEmbedder()
    a, b, c = fake.embed_documents(["Pay freeze ballot", "ballot, pay FREEZE", "trident"])
    assert a.dtype == np.float32 and a.shape == (64,)
    assert np.allclose(a, b) and np.isclose(np.linalg.norm(a), 1.0)
    assert float(a @ c) < float(a @ b)
    assert np.allclose(FakeEmbedder().embed_query("pay freeze ballot"), a)  # same every run


def test_it_records_what_it_was_asked_and_reports_progress():
    fake, seen = FakeEmbedder(), []
    fake.embed_documents(["one", "two"], progress=seen.append)
    fake.embed_query("three")
    assert fake.embedded == ["one", "two"] and fake.queries == ["three"] and seen == [2]
    quiet = FakeEmbedder(record=False)
    quiet.embed_documents(["one"])
    quiet.embed_query("two")
    assert quiet.embedded == [] and quiet.queries == []


def test_empty_input_and_wordless_text():
    fake = FakeEmbedder()
    assert fake.embed_documents([]).shape == (0, 64)
    assert not fake.embed_query("... !").any()


def test_a_lexicon_sets_the_vectors_dimension_and_name():
    vectors = np.eye(3, 5, dtype=np.float32)
    fake = FakeEmbedder(Lexicon({"pay": 0, "union": 1, "court": 2}, vectors))
    assert (fake.dimension, fake.model_id) == (5, "fake-lexicon-5")
    np.testing.assert_allclose(fake.embed_query("union pay strike"),
                               np.array([1, 1, 0, 0, 0]) / np.sqrt(2), atol=1e-6)
    assert FakeEmbedder(model_id="other").model_id == "other"
    assert FakeEmbedder.model_id == "test-hash-64"  # what the test indexes record


def test_it_builds_and_searches_an_index(small_corpus, tmp_path):
    from assistant import Retriever, Settings, build_index

    fake = FakeEmbedder()
    build_index(small_corpus, tmp_path / "index", settings=Settings.from_env({}), embedder=fake)
    assert fake.embedded
    hits = Retriever.open(tmp_path / "index", embedder=fake).search("pay ballot", k=1)
    assert hits[0].title == "Unions Ballot Over Pay" and fake.queries == ["pay ballot"]
