"""What a build did, file by file: the record ``build_index`` returns."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BuildReport", "Changes", "FileReport"]


@dataclass(frozen=True)
class FileReport:
    source: str
    status: str  # added | updated | unchanged | removed | skipped | attached (``companions``)
    reason: str | None = None
    posts: int = 0
    chunks: int = 0
    comments: int = 0
    left_out: str = ""  # what the file left out, by reason (``files.FileRow.left_out``)


@dataclass(frozen=True)
class Changes:
    """Posts and comments a build added, changed (any passage of it differs) and removed:
    a newer export of one big file is one "updated" file, and this says what changed."""

    posts_added: int = 0
    posts_changed: int = 0
    posts_removed: int = 0
    comments_added: int = 0
    comments_changed: int = 0
    comments_removed: int = 0

    def summary(self) -> str:
        return (f"posts +{self.posts_added} ~{self.posts_changed} -{self.posts_removed}, "
                f"comments +{self.comments_added} ~{self.comments_changed} "
                f"-{self.comments_removed}")


@dataclass(frozen=True)
class BuildReport:
    """What one ``build_index`` call did, file by file."""

    files: tuple[FileReport, ...]
    chunks_added: int
    chunks_removed: int
    chunks_total: int
    seconds: float
    published: bool
    version: str | None
    notes: tuple[str, ...] = ()
    changes: Changes = Changes()

    def _with(self, status: str) -> list[FileReport]:
        return [f for f in self.files if f.status == status]

    @property
    def added(self) -> list[FileReport]:
        return self._with("added")

    @property
    def updated(self) -> list[FileReport]:
        return self._with("updated")

    @property
    def removed(self) -> list[FileReport]:
        return self._with("removed")

    @property
    def unchanged(self) -> list[FileReport]:
        return self._with("unchanged")

    @property
    def skipped(self) -> list[FileReport]:
        return self._with("skipped")

    @property
    def attached(self) -> list[FileReport]:
        """Comment files read with their posts (a static site's Staticman files)."""
        return self._with("attached")

    def summary(self) -> str:
        attached = f", {len(self.attached)} attached" if self.attached else ""
        return (f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.removed)} removed, {len(self.unchanged)} unchanged, "
                f"{len(self.skipped)} skipped{attached} files; chunks +{self.chunks_added} "
                f"-{self.chunks_removed} = {self.chunks_total}; {self.changes.summary()} "
                f"in {self.seconds:.1f}s")

    def as_dict(self) -> dict[str, object]:
        return {
            "files": [f.__dict__ for f in self.files],
            "chunks_added": self.chunks_added, "chunks_removed": self.chunks_removed,
            "chunks_total": self.chunks_total, "seconds": round(self.seconds, 3),
            "published": self.published, "version": self.version, "notes": list(self.notes),
            "changes": self.changes.__dict__,
        }
