"""Where ``benchmarks.kills`` kills a build, and how it sees that point: the build's markers
on disk and its progress bar on stderr, read while it runs (``kill_at``), then what the
kill left (``wait_unlocked``, ``resume_keys``).

The progress bar updates once per embedder batch; between updates the chunks embedded are
estimated from the rate it shows, so "embedding 90%" fires near 90% and not a batch late.
"""

from __future__ import annotations

import fcntl
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.archive import BUILD_TIMEOUT_S, Cli, current_name

__all__ = ["POINTS", "QUICK_POINTS", "KillPoint", "Seen", "kill_at", "parse_progress",
           "resume_keys", "wait_unlocked"]

POLL_S = 0.002  # the staged manifest is there for the few ms fsync, rename and publish take
LOCK_WAIT_S = 10.0

_BAR = re.compile(r"embedding:\s*\d+%\|[^|]*\|\s*([\d.]+)([kM]?)/([\d.]+)([kM]?)")
_SCALE = {"": 1, "k": 1e3, "M": 1e6}


def parse_progress(text: str) -> tuple[float, int] | None:
    """``(done, total)`` of the last progress bar update in ``text`` (the CLI's tqdm bar,
    ``unit_scale`` on: ``1.02k/2.14k``), or None before the first."""
    found = _BAR.findall(text)
    if not found:
        return None
    done, d_unit, total, t_unit = found[-1]
    return float(done) * _SCALE[d_unit], round(float(total) * _SCALE[t_unit])


@dataclass(frozen=True)
class Seen:
    """What the harness sees of a running build."""

    started: bool = False          # its .building marker
    staging: bool = False          # a versions/.tmp-* folder
    staged_manifest: bool = False  # manifest.json in it
    published: bool = False        # CURRENT names another version
    done: float = 0.0              # chunks embedded: the bar's, estimated between updates
    total: int = 0                 # chunks to embed (0: no bar yet)

    def describe(self) -> str:
        if self.published:
            return "CURRENT replaced"
        if self.staged_manifest:
            return "manifest staged"
        if self.total:
            return f"embedding ~{self.done:.0f}/{self.total}"
        return "staging" if self.staging else "planning" if self.started else "starting"


class _Progress:
    """The build's stderr, read on a thread; its bar's updates, timed."""

    def __init__(self, proc: subprocess.Popen):
        self.text = ""
        self.events: list[tuple[float, float, int]] = []  # (monotonic, done, total)
        self._thread = threading.Thread(target=self._read, args=(proc.stderr,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        for block in iter(lambda: os.read(stream.fileno(), 4096), b""):
            self.text += block.decode(errors="replace")
            bar = parse_progress(self.text[-400:])
            if bar and (not self.events or bar[0] != self.events[-1][1]):
                self.events.append((time.monotonic(), *bar))

    def estimate(self, now: float, rate_hint: float) -> tuple[float, int]:
        """Chunks embedded by ``now``: the last update plus its rate since, never past the
        next update (one embedder batch on)."""
        if not self.events:
            return 0.0, 0
        t, done, total = self.events[-1]
        step, rate = 32.0, rate_hint
        if len(self.events) > 1:
            (t0, d0, _), (t1, d1, _) = self.events[0], self.events[-1]
            step, rate = d1 - self.events[-2][1], (d1 - d0) / max(t1 - t0, 1e-6)
        return min(done + (now - t) * rate, done + step, total), total

    def join(self) -> None:
        self._thread.join(5)


@dataclass(frozen=True)
class KillPoint:
    """Where to kill: ``trigger`` is what the build shows (``Seen``), ``share`` the part of
    the chunks to embed for ``embedding``."""

    name: str
    trigger: str  # started | staging | embedding | embedded | manifest | published
    share: float = 0.0

    def reached(self, seen: Seen) -> bool:
        return {"started": seen.started, "staging": seen.staging,
                "embedding": bool(seen.total) and seen.done >= self.share * seen.total,
                "embedded": bool(seen.total) and seen.done >= seen.total,
                "manifest": seen.staged_manifest, "published": seen.published}[self.trigger]


POINTS = (
    KillPoint("planning (parsing)", "started"),
    KillPoint("staging created", "staging"),
    *(KillPoint(f"embedding {p}%", "embedding", p / 100) for p in (10, 30, 50, 70, 90)),
    KillPoint("embedded 100%, writing", "embedded"),
    KillPoint("manifest staged", "manifest"),
    KillPoint("published, before cleanup", "published"),
)
QUICK_POINTS = ("planning (parsing)", "embedding 90%", "published, before cleanup")


def _seen(index: Path, previous: str, progress: _Progress, rate: float) -> Seen:
    staging = next((p for p in (index / "versions").glob(".tmp-*")), None)
    done, total = progress.estimate(time.monotonic(), rate)
    return Seen((index / ".building").exists(), staging is not None,
                staging is not None and (staging / "manifest.json").exists(),
                current_name(index) not in ("", previous), done, total)


def kill_at(point: KillPoint, cli: Cli, previous: str, rate: float
            ) -> tuple[Seen, bool, float, str]:
    """Run ``index`` and SIGKILL its group once ``point`` is seen: (what was seen, whether
    it was killed, seconds it ran, its stderr). ``rate``: chunks/s, until the bar shows its
    own."""
    started = time.monotonic()
    proc = cli.start("index")
    progress, seen, killed = _Progress(proc), Seen(), False
    while proc.poll() is None and time.monotonic() - started < BUILD_TIMEOUT_S:
        seen = _seen(cli.index, previous, progress, rate)
        if point.reached(seen):
            os.killpg(proc.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(POLL_S)
    if proc.poll() is None and not killed:  # timed out
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    progress.join()
    return seen, killed, time.monotonic() - started, progress.text


def wait_unlocked(index: Path) -> float:
    """Seconds until the build lock is free (a killed group's descriptors close as the
    kernel reaps it)."""
    started = time.monotonic()
    with (index / ".lock").open("a") as fh:
        while True:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() - started > LOCK_WAIT_S:
                    raise RuntimeError(f"the build lock of {index} is still held "
                                       f"{LOCK_WAIT_S:.0f} s after the kill") from None
                time.sleep(0.02)
                continue
            fcntl.flock(fh, fcntl.LOCK_UN)
            return time.monotonic() - started


def resume_keys(folder: Path) -> int:
    """Passages the resume cache holds (torn files, which a build ignores, not counted)."""
    keys = [np.zeros(0, np.uint64)]
    for path in sorted(folder.glob("*.npz")) if folder.is_dir() else []:
        try:
            with np.load(path) as saved:
                keys.append(saved["keys"])
        except (OSError, ValueError, KeyError, EOFError):
            continue
    return len(np.unique(np.concatenate(keys)))
