from pathlib import Path

import pytest

from assistant.settings import Settings


def test_env_overrides_and_explicit_overrides():
    env = {"ASSISTANT_CHUNK_TOKENS": "128", "ASSISTANT_INDEX_DIR": "/tmp/x",
           "ASSISTANT_EMBEDDING_MODEL": "/models/m"}
    settings = Settings.from_env(env, corpus_dir=Path("/c"))
    assert settings.chunk_tokens == 128
    assert settings.index_dir == Path("/tmp/x")
    assert settings.embedding_model == "/models/m"
    assert settings.corpus_dir == Path("/c")


def test_bad_env_value_names_the_variable():
    with pytest.raises(ValueError, match="ASSISTANT_CHUNK_TOKENS"):
        Settings.from_env({"ASSISTANT_CHUNK_TOKENS": "many"})


@pytest.mark.parametrize(("env", "message"), [
    ({"ASSISTANT_FUSION": "borda"}, "fusion must be one of convex, rrf"),
    ({"ASSISTANT_INDEX_TYPE": "annoy"}, "index_type must be one of auto, flat, ivf, hnsw"),
    ({"ASSISTANT_BM25_WEIGHT": "1.5"}, "bm25_weight must be between 0.0 and 1.0"),
    ({"ASSISTANT_CHUNK_OVERLAP": "300"}, "chunk_overlap must be between 0 and 199"),
    ({"ASSISTANT_MAX_UPLOAD_MB": "0"}, "max_upload_mb must be greater than 0.0"),
])
def test_choices_and_ranges_are_checked_once_when_settings_are_made(env, message):
    name = next(iter(env))
    with pytest.raises(ValueError, match=message) as caught:
        Settings.from_env(env)
    assert name in str(caught.value)  # the message names the variable to fix


def test_every_choice_default_is_allowed():
    from typing import get_type_hints

    from assistant.settings import choices

    settings = Settings()
    for name, hint in get_type_hints(Settings).items():
        if choices(hint):
            assert getattr(settings, name) in choices(hint)
