"""The owner's setting ``include_drafts``: off (the default) no importer keeps a draft; on,
each keeps its drafts and nothing else that is private (password-protected, private,
scheduled, members-only posts stay out); turning it on re-reads every file."""

from __future__ import annotations

import json

import pytest

from assistant import Settings, build_index
from assistant.index import IndexStore
from assistant.ingest.parse import read_source_text
from tests.ingest import test_blogger as blogger
from tests.ingest import test_ghost as ghost
from tests.ingest import test_takeout as takeout
from tests.ingest.test_wxr import item, wxr

EXPORTS = {
    "wordpress": (wxr(item(1, title="Out now"), item(2, title="Half written", status="draft"),
                      item(3, title="Locked", password="pw"),
                      item(4, title="Mine only", status="private")), ".xml"),
    "blogger": (blogger.feed(blogger.entry("post", 1, title="Out now", content="Done."),
                             blogger.entry("post", 2, title="Half written",
                                           content="Not yet.", extra=blogger.DRAFT)), ".xml"),
    "takeout": (takeout.FEED, ".atom"),
    "ghost": (json.loads(ghost.export(ghost.ghost_post(1, "Out now"),
                                      ghost.ghost_post(2, "Half written", status="draft"),
                                      ghost.ghost_post(3, "Later", status="scheduled"),
                                      ghost.ghost_post(4, "Paid", visibility="paid"))), ".json"),
    "markdown": ("---\ntitle: Half written\ndraft: true\n---\nNot yet.", ".md"),
}
DRAFT_TITLES = {"Half written", "Secret plans"}
NEVER = {"Locked", "Mine only", "Later", "Paid"}


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_drafts_only_for_the_owner(name):
    text, suffix = EXPORTS[name]
    text = json.dumps(text) if isinstance(text, dict) else text
    default = {p.title for p in read_source_text(text, f"blog{suffix}", suffix).posts}
    owner = {p.title for p in read_source_text(text, f"blog{suffix}", suffix,
                                               include_drafts=True).posts}
    assert not default & DRAFT_TITLES
    assert owner & DRAFT_TITLES and owner - default <= DRAFT_TITLES
    assert not owner & NEVER


def test_turning_the_setting_on_reads_every_file_again(tmp_path, hash_embedder):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "blog.xml").write_text(EXPORTS["wordpress"][0])
    (corpus / "notes.md").write_text(EXPORTS["markdown"][0])
    build_index(corpus, index, settings=Settings.from_env({}), embedder=hash_embedder)
    assert "Half written" not in IndexStore.open(index).titles()
    owner = Settings.from_env({"ASSISTANT_INCLUDE_DRAFTS": "1"})
    report = build_index(corpus, index, settings=owner, embedder=hash_embedder)
    assert {f.source for f in report.files if f.status in ("added", "updated")} == {
        "blog.xml", "notes.md"}
    titles = IndexStore.open(index).titles()
    assert "Half written" in titles and not set(titles) & NEVER
