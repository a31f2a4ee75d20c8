"""Which files a build reads: links out of the corpus folder are not the archive's."""

from __future__ import annotations

from assistant.index.files import walk_corpus


def test_links_out_of_the_corpus_are_skipped_links_inside_are_kept(tmp_path):
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    corpus.mkdir()
    outside.mkdir()
    (corpus / "post.txt").write_text("a post")
    (outside / "secret.txt").write_text("not the archive's")
    (corpus / "leak.txt").symlink_to(outside / "secret.txt")
    (corpus / "elsewhere").symlink_to(outside, target_is_directory=True)
    (corpus / "again.txt").symlink_to(corpus / "post.txt")  # inside: a second name, kept
    assert [f.source for f in walk_corpus(corpus)] == ["again.txt", "post.txt"]
