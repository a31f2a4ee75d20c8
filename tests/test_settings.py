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
