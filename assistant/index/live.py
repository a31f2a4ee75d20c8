"""The version a long-lived reader searches, swapped for a newly published one as it runs.

Servers open the index once; a build in another process (``python -m assistant index``, or
the page's re-index) publishes a new version by replacing ``CURRENT``. ``LiveIndex`` checks
``CURRENT`` between searches, at most every ``check_every`` seconds, with one ``os.stat``
(its inode and mtime change on every publish, since publishing renames a new file over it).
When it changed, a background thread opens the new version and loads its dense and BM25
indexes while searches go on against the old one; then the swap is one assignment under a
lock. Each search holds the store it started on (``use``), and a replaced store is closed,
releasing its lease so cleanup may delete it, when the last search on it ends.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.index.index_store import IndexStore
from assistant.index.versions import read_current

__all__ = ["LiveIndex"]

log = logging.getLogger("assistant.index.live")

Accept = Callable[[IndexStore], None]  # raises when a version must not be served


def _pointer(index_dir: Path) -> tuple[int, int, int] | None:
    """What identifies one publish of ``CURRENT``: (inode, mtime_ns, size), or None."""
    try:
        st = os.stat(index_dir / "CURRENT")
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


class LiveIndex:
    """The published version to search now; ``use()`` lends it to one search.

    ``check_every`` (seconds; None: never, so only ``refresh`` swaps) bounds how often a
    search looks at ``CURRENT``; ``accept`` vets a new version before it is served (the
    retriever refuses another embedding model), and a refused or unreadable version is
    logged and skipped until ``CURRENT`` changes again.
    """

    def __init__(self, store: IndexStore, *, check_every: float | None = None,
                 accept: Accept | None = None):
        self.index_dir = store.path.parent.parent
        self.check_every = check_every
        self.accept = accept
        self._store = store
        self._users: dict[IndexStore, int] = {}  # searches on each store now
        self._retired: list[IndexStore] = []  # replaced, closed when their last search ends
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()  # one load of a new version at a time
        # The pointer, then the name: after a publish since ``store`` was opened the name
        # differs, and the first check swaps.
        seen = _pointer(self.index_dir)
        self._seen = seen if read_current(self.index_dir) == store.path else None
        self._next_check = time.monotonic() + (check_every or 0.0)

    @property
    def store(self) -> IndexStore:
        """The version searches start on now (hold it across calls with ``use``)."""
        return self._store

    @contextlib.contextmanager
    def use(self) -> Iterator[IndexStore]:
        """The current store, kept open until the block ends even if a swap happens."""
        self._maybe_check()
        with self._lock:
            store = self._store
            self._users[store] = self._users.get(store, 0) + 1
        try:
            yield store
        finally:
            with self._lock:
                self._users[store] -= 1
                if not self._users[store]:
                    del self._users[store]
                closing = [s for s in self._retired if s not in self._users]
                self._retired = [s for s in self._retired if s in self._users]
            for old in closing:
                old.close()

    def refresh(self) -> bool:
        """Open the version ``CURRENT`` names now and swap to it; False when it is the one
        served already, or it cannot be served (logged). Blocks while it loads."""
        with self._refresh_lock:
            seen = _pointer(self.index_dir)  # before reading: a publish during the load
            swapped = self._swap_to_current()  # is noticed by the next check
            self._seen = seen
            return swapped

    def close(self) -> None:
        """Close the served store and every replaced one (searches must have ended)."""
        with self._lock:
            stores, self._retired = [self._store, *self._retired], []
        for store in stores:
            store.close()

    def _maybe_check(self) -> None:
        if self.check_every is None:
            return
        now = time.monotonic()
        if now < self._next_check:  # a float read: no lock on the request path
            return
        self._next_check = now + self.check_every
        if _pointer(self.index_dir) == self._seen or self._refresh_lock.locked():
            return
        threading.Thread(target=self.refresh, name="index-refresh", daemon=True).start()

    def _swap_to_current(self) -> bool:
        version = read_current(self.index_dir)
        if version is None or version == self._store.path:
            return False
        try:
            new = IndexStore.open(self.index_dir)
        except Exception as exc:  # unreadable or corrupt: keep serving the old one
            log.warning("not swapping to the new index version in %s: %s", self.index_dir, exc)
            return False
        try:
            if self.accept is not None:
                self.accept(new)
            new.dense, new.lexical  # noqa: B018 - loaded here, not on a request
        except Exception as exc:
            new.close()
            log.warning("not serving index version %s: %s", new.path.name, exc)
            return False
        with self._lock:
            old, self._store = self._store, new
            idle = old not in self._users
            if not idle:
                self._retired.append(old)
        if idle:
            old.close()
        log.info("now serving index version %s", new.path.name)
        return True
