"""``python -m assistant import PATH``: a file, folder or zip copied under the corpus and
indexed; refusals are one line, exit 2, and change nothing."""

from __future__ import annotations

import functools
import json
import os
import zipfile

import pytest

from assistant import cli
from assistant.embed.fake import FakeEmbedder
from assistant.index import IndexStore, build
from tests.ingest.test_takeout import FEED
from tests.ingest.test_wxr import comment, item, wxr

NOTE = "---\ntitle: Seed swap\ndate: 2019-03-02\n---\n\nThe seed swap is on Saturday at the hall.\n"


@pytest.fixture
def dirs(tmp_path, monkeypatch):
    """A corpus with one note, an index of it, and the CLI's builds on the fake embedder."""
    embedder = FakeEmbedder()
    monkeypatch.setattr(build, "build_index",
                        functools.partial(build.build_index, embedder=embedder))
    for name in ("ASSISTANT_CORPUS_DIR", "ASSISTANT_INDEX_DIR"):
        monkeypatch.delenv(name, raising=False)
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "first.md").write_text(NOTE)
    assert cli.main(["--corpus", str(corpus), "--index", str(index), "index"]) == 0
    return corpus, index


def run(dirs, *argv: str) -> int:
    corpus, index = dirs
    return cli.main(["--corpus", str(corpus), "--index", str(index), "import", *argv])


def snapshot(corpus, index) -> tuple[dict[str, bytes], str]:
    files = {p.relative_to(corpus).as_posix(): p.read_bytes()
             for p in sorted(corpus.rglob("*")) if p.is_file()}
    return files, (index / "CURRENT").read_text() if (index / "CURRENT").exists() else ""


def test_a_wordpress_export_is_copied_under_its_name_and_indexed(dirs, tmp_path, capsys):
    corpus, index = dirs
    export = tmp_path / "downloads" / "allotment.xml"
    export.parent.mkdir()
    export.write_text(wxr(item(1, title="Leeks in winter", body="Leeks stand the frost.",
                               comments=comment(3, text="Mine bolted."))))
    assert run(dirs, str(export)) == 0
    out = capsys.readouterr().out
    assert (corpus / "allotment" / "allotment.xml").read_bytes() == export.read_bytes()
    assert "1 files copied" in out and "added     allotment/allotment.xml" in out
    assert "first.md" in out  # the same report as `index`: the unchanged note too
    stats = IndexStore.open(index).stats()
    assert (stats["posts"], stats["comments"]) == (2, 1)

    capsys.readouterr()
    assert run(dirs, str(export)) == 0  # again: nothing to copy, nothing to build
    out = capsys.readouterr().out
    assert "0 files copied, 1 already there" in out and "up to date" in out


def test_a_folder_is_copied_with_its_layout_without_links_or_hidden_files(dirs, tmp_path,
                                                                         capsys):
    corpus, index = dirs
    blog = tmp_path / "my blog"
    (blog / "2019").mkdir(parents=True)
    (blog / "2019" / "swap.md").write_text(NOTE.replace("Seed swap", "Plant swap"))
    (blog / "about.txt").write_text("About\n\nWe grow things on plot 7.")
    (blog / ".secret.md").write_text(NOTE)
    (blog / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    outside = tmp_path / "outside.md"
    outside.write_text(NOTE.replace("Seed swap", "Not for the archive"))
    (blog / "linked.md").symlink_to(outside)
    assert run(dirs, str(blog)) == 0
    copied = sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*") if p.is_file())
    assert copied == ["first.md", "my_blog/2019/swap.md", "my_blog/about.txt"]
    out = capsys.readouterr().out
    assert "not copied linked.md  (a link (not followed))" in out
    titles = set(IndexStore.open(index).titles())
    assert titles == {"Seed swap", "Plant swap", "About"}


def test_a_takeout_zip_is_stored_as_a_zip_and_read_in_place(dirs, tmp_path, capsys):
    corpus, index = dirs
    path = tmp_path / "takeout-2024.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("Takeout/Blogger/Blogs/Quiet Garden/feed.atom", FEED)
    assert run(dirs, "--json", str(path)) == 0
    report = json.loads(capsys.readouterr().out)
    assert (corpus / "takeout-2024" / "takeout-2024.zip").is_file()
    store = IndexStore.open(index)
    sources = {c.source for c in store.chunks_by_ids(store.all_ids().tolist()).values()}
    assert "takeout-2024/takeout-2024.zip/Takeout/Blogger/Blogs/Quiet Garden/feed.atom" in sources
    assert report["published"] is True
    assert store.stats()["comments"] == 3


def test_a_different_file_in_the_way_needs_replace(dirs, tmp_path, capsys):
    corpus, index = dirs
    note = tmp_path / "note.md"
    note.write_text(NOTE)
    assert run(dirs, str(note)) == 0
    note.write_text(NOTE.replace("Saturday", "Sunday"))
    before = snapshot(corpus, index)
    capsys.readouterr()
    assert run(dirs, str(note)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--replace" in err and err.count("\n") == 1
    assert snapshot(corpus, index) == before
    assert run(dirs, "--replace", str(note)) == 0
    assert "Sunday" in (corpus / "note" / "note.md").read_text()


@pytest.mark.parametrize("make,message", [
    (lambda tmp: tmp / "missing.xml", "not found"),
    (lambda tmp: _write(tmp / "picture.png", b"\x89PNG"), "unsupported file type .png"),
    (lambda tmp: _write(tmp / "blank.txt", b"   \n"), "nothing importable"),
    (lambda tmp: _write(tmp / "photos" / "a.jpg", b"\xff\xd8"), "nothing importable"),
    (lambda tmp: _write(tmp / "broken.zip", b"PK\x03\x04 not a zip"), "not a readable zip"),
    (lambda tmp: _link(tmp / "link.md", tmp / "real.md"), "links are not followed"),
])
def test_refusals_are_one_line_exit_2_and_change_nothing(dirs, tmp_path, capsys, make, message):
    corpus, index = dirs
    before = snapshot(corpus, index)
    path = make(tmp_path)
    capsys.readouterr()
    assert run(dirs, str(path)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert snapshot(corpus, index) == before


def test_importing_from_inside_the_corpus_or_a_folder_holding_it_is_refused(dirs, capsys):
    corpus, index = dirs
    before = snapshot(corpus, index)
    assert run(dirs, str(corpus / "first.md")) == 2
    assert "already in the corpus folder" in capsys.readouterr().err
    assert run(dirs, str(corpus.parent)) == 2
    assert "holds the corpus folder" in capsys.readouterr().err
    assert snapshot(corpus, index) == before


def _write(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path.parent if path.parent.name == "photos" else path


def _link(link, target):
    target.write_text(NOTE)
    os.symlink(target, link)
    return link


def test_a_jekyll_site_is_imported_with_its_comment_files(dirs, tmp_path, capsys):
    from tests.ingest.test_staticsite import NATIVE, NATIVE_REPLY, POST

    corpus, index = dirs
    site = tmp_path / "sketchbook"
    (site / "_posts").mkdir(parents=True)
    (site / "_posts" / "2013-09-05-drawing-clouds.md").write_text(POST)
    comments = site / "_data" / "comments" / "drawing-clouds"
    comments.mkdir(parents=True)
    (comments / "comment-1.yml").write_text(NATIVE)
    (comments / "comment-2.yml").write_text(NATIVE_REPLY)
    (site / "_data" / "comments" / "gone").mkdir()
    (site / "_data" / "comments" / "gone" / "comment-9.yml").write_text(
        "message: Orphan.\nname: Sam\n")
    assert run(dirs, str(site)) == 0
    out = capsys.readouterr().out
    assert (corpus / "sketchbook" / "_data" / "comments" / "drawing-clouds" /
            "comment-2.yml").exists()
    assert "no post named 'gone'" in out  # not copied, saying why
    assert not (corpus / "sketchbook" / "_data" / "comments" / "gone").exists()
    stats = IndexStore.open(index).stats()
    assert (stats["posts"], stats["comments"], stats["files_attached"]) == (2, 2, 2)
