"""Shared fixtures: the package's fake embedder for logic tests, and tiny corpora."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.embed.fake import FakeEmbedder

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DEV_SET = SHARED / "eval" / "dev.jsonl"


POST_A = """Monday 3 March 2014

Unions Ballot Over Pay

Napo members will be balloted on industrial action over the pay freeze. The union says six
years of frozen pay is too long.

The ballot opens next week and closes at the end of the month.

2 comments:

  1. About time the union acted on pay.

    ReplyDelete
  2. Pay is not the only issue, caseloads matter more.
    Getafix3 March 2014 at 10:15

    ReplyDelete
"""

POST_B = """Tuesday 4 March 2014

Trident Contract Awarded

The shipyard contract went to a defence company. It has nothing to do with probation.
"""


@pytest.fixture
def hash_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(POST_A)
    (corpus / "b.txt").write_text(POST_B)
    return corpus


@pytest.fixture(scope="session")
def shipped_index(tmp_path_factory) -> Path:
    """The shipped corpus indexed with the real embedding model (built once per session)."""
    from assistant import Settings, build_index

    root = tmp_path_factory.mktemp("shipped")
    corpus = root / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    build_index(corpus, root / "index", settings=Settings.from_env())
    return root / "index"
