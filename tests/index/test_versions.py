"""Bounded disk: after each publish a build keeps ``keep_versions`` versions and removes
older ones and killed builds' temp folders, except the versions a reader has leased, in
this process or another."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistant import Settings, build_index
from assistant.embed.fake import FakeEmbedder
from assistant.index import IndexStore
from assistant.index.leases import Lease, VersionGoneError, retire
from assistant.index.versions import new_version_name, read_current, remove_superseded
from tests.conftest import REPO

PROCESS_TIMEOUT = 60  # seconds a helper process may take before the test gives up on it


def _settings(corpus: Path, index: Path, **overrides) -> Settings:
    return Settings.from_env({}, corpus_dir=corpus, index_dir=index, parse_workers=1,
                             **overrides)


def _build(corpus: Path, index: Path, n: int, **overrides):
    """Add post ``n`` to the corpus and build."""
    (corpus / f"post{n}.txt").write_text(
        f"Monday {n % 27 + 1} March 2014\n\nPost number {n}\n\nWord{n} appears here only.\n")
    return build_index(corpus, index, settings=_settings(corpus, index, **overrides),
                       embedder=FakeEmbedder())


def _folders(index: Path) -> list[str]:
    return sorted(p.name for p in (index / "versions").iterdir())


def _current(index: Path) -> str:
    return (index / "CURRENT").read_text().strip()


def test_successive_builds_keep_the_current_and_the_previous(small_corpus, tmp_path):
    index = tmp_path / "index"
    published = []
    for n in range(6):
        report = _build(small_corpus, index, n)
        assert report.published
        published.append(report.version)
        # the new version and the one it replaced; nothing else, no temp folders
        assert _folders(index) == sorted(published[-2:])
        assert _current(index) == published[-1]


def test_command_line_builds_clean_up(small_corpus, tmp_path):
    """Each build in its own process, as ``python -m assistant index`` runs (removal in a
    daemon thread died with the process: versions piled up)."""
    index = tmp_path / "index"
    code = textwrap.dedent(f"""
        from assistant import Settings, build_index
        from assistant.embed.fake import FakeEmbedder
        report = build_index({str(small_corpus)!r}, {str(index)!r},
                             settings=Settings.from_env({{}}, parse_workers=1),
                             embedder=FakeEmbedder())
        print(report.version)
    """)
    published = []
    for n in range(4):
        (small_corpus / f"post{n}.txt").write_text(
            f"Monday 3 March 2014\n\nPost {n}\n\nWord{n} appears here only.\n")
        out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                             text=True, timeout=PROCESS_TIMEOUT)
        assert out.returncode == 0, out.stderr
        published.append(out.stdout.strip())
    assert _folders(index) == sorted(published[-2:])


def test_keep_versions_is_a_setting(small_corpus, tmp_path):
    index = tmp_path / "index"
    published = [_build(small_corpus, index, n, keep_versions=3).version for n in range(5)]
    assert _folders(index) == sorted(published[-3:])
    _build(small_corpus, index, 9, keep_versions=1)
    assert _folders(index) == [_current(index)]


def test_names_sort_in_build_order_within_a_second():
    names = [new_version_name() for _ in range(50)]
    assert names == sorted(names) and len(set(names)) == 50


def test_a_version_leased_in_this_process_survives_until_closed(small_corpus, tmp_path):
    index = tmp_path / "index"
    _build(small_corpus, index, 0)
    reader = IndexStore.open(index)
    for n in range(1, 4):
        _build(small_corpus, index, n)
    assert reader.path.name in _folders(index)  # three publishes later, still there
    assert reader.count() == 5 and reader.dense.ntotal == 5  # and readable
    reader.close()
    _build(small_corpus, index, 4)
    assert reader.path.name not in _folders(index) and len(_folders(index)) == 2


def _reader_process(index: Path) -> subprocess.Popen:
    """Another process holding ``IndexStore.open(index)`` until its stdin closes."""
    code = textwrap.dedent(f"""
        import sys
        from assistant.index import IndexStore
        store = IndexStore.open({str(index)!r})
        print(store.path.name, flush=True)
        sys.stdin.read()
        print(store.count(), store.dense.ntotal, flush=True)
    """)
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)


def test_a_version_leased_by_another_process_survives_cleanup(small_corpus, tmp_path):
    index = tmp_path / "index"
    _build(small_corpus, index, 0)
    proc = _reader_process(index)
    try:
        leased = proc.stdout.readline().strip()
        assert leased == _current(index)
        for n in range(1, 4):
            _build(small_corpus, index, n)
        assert leased in _folders(index) and len(_folders(index)) == 3
        out, _ = proc.communicate("", timeout=PROCESS_TIMEOUT)  # it reads it to the end
        assert out.split() == ["5", "5"] and proc.returncode == 0
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(PROCESS_TIMEOUT)
    _build(small_corpus, index, 4)  # released: the next publish removes it
    assert leased not in _folders(index) and len(_folders(index)) == 2


def test_a_killed_builds_temp_folder_is_removed_by_the_next_build(small_corpus, tmp_path):
    index = tmp_path / "index"
    _build(small_corpus, index, 0)
    (small_corpus / "late.txt").write_text(
        "Tuesday 4 March 2014\n\nA late post\n\nThe ocelot arrived late.\n")
    # A build that stops once its first batch is embedded (its staging folder written),
    # reports that, and is killed there.
    code = textwrap.dedent(f"""
        import sys, time
        from assistant import Settings, build_index
        from assistant.embed.fake import FakeEmbedder
        settings = Settings.from_env({{}}, parse_workers=1)
        def stop(done, total):
            print("embedding", flush=True)
            time.sleep({PROCESS_TIMEOUT})
        build_index({str(small_corpus)!r}, {str(index)!r}, settings=settings,
                    embedder=FakeEmbedder(), progress=stop)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout.readline().strip() == "embedding"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(PROCESS_TIMEOUT)
    assert [n for n in _folders(index) if n.startswith(".tmp-")]
    report = build_index(small_corpus, index, settings=_settings(small_corpus, index),
                         embedder=FakeEmbedder())
    assert report.published and report.version in _folders(index)
    assert not [n for n in _folders(index) if n.startswith(".")]
    assert len(_folders(index)) == 2


def test_a_build_with_nothing_to_publish_removes_what_a_killed_cleanup_left(small_corpus,
                                                                           tmp_path):
    """What ``benchmarks.kills`` found at "published, before cleanup": a build killed after
    replacing CURRENT left 3 versions with keep_versions 2, and the next run, finding
    nothing to do, kept them (it cleaned up only after publishing)."""
    index = tmp_path / "index"
    for n in range(3):  # three versions, as a kill between publish and cleanup leaves them
        _build(small_corpus, index, n, keep_versions=3)
    (index / "versions" / ".tmp-killed").mkdir()
    assert len(_folders(index)) == 4
    report = build_index(small_corpus, index, embedder=FakeEmbedder(),
                         settings=_settings(small_corpus, index, keep_versions=2))
    assert not report.published
    assert len(_folders(index)) == 2 and not [n for n in _folders(index) if n.startswith(".")]
    assert _current(index) == _folders(index)[-1]


def _version(folder: Path, name: str, *, complete: bool = True) -> Path:
    path = folder / name
    (path / "lexical").mkdir(parents=True)
    if complete:
        (path / "manifest.json").write_text("{}")
    return path


def test_cleanup_removes_unpublished_versions_and_leaves_foreign_folders(tmp_path):
    folder = tmp_path / "versions"
    names = [f"20260101T0000{s:02d}000000-1-abcdef" for s in range(5)]
    for name in names:
        _version(folder, name)
    _version(folder, ".tmp-" + names[4], complete=False)
    _version(folder, ".trash-" + names[0], complete=False)
    _version(folder, names[2] + ".corrupt")  # set aside by someone else: not ours
    _version(folder, "notes")
    (tmp_path / "CURRENT").write_text(names[3] + "\n")
    removal = remove_superseded(tmp_path, names[3], keep=2)
    # kept: the current and the previous; names[4] was renamed in but never published
    assert _folders(tmp_path) == sorted([names[2], names[3], names[2] + ".corrupt", "notes"])
    assert set(removal.removed) == {names[0], names[1], names[4], ".tmp-" + names[4],
                                    ".trash-" + names[0]}
    assert read_current(tmp_path) == folder / names[3]


def test_cleanup_refuses_to_keep_nothing(tmp_path):
    with pytest.raises(ValueError, match="ASSISTANT_KEEP_VERSIONS"):
        remove_superseded(tmp_path, "x", keep=0)


def test_a_lease_fails_once_its_version_is_retired(tmp_path):
    old = _version(tmp_path, "20260101T000000000000-1-abcdef")
    lease = Lease(old)
    assert not retire(old, tmp_path / ".trash-old")  # held: cleanup skips it
    lease.release()
    assert retire(old, tmp_path / ".trash-old")
    with pytest.raises(VersionGoneError):
        Lease(old)
