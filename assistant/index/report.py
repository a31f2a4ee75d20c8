"""What a build did, file by file: the record ``build_index`` returns."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["BuildReport", "FileReport"]


@dataclass(frozen=True)
class FileReport:
    source: str
    status: str  # added | updated | unchanged | removed | skipped
    reason: str | None = None
    posts: int = 0
    chunks: int = 0


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

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.removed)} removed, {len(self.unchanged)} unchanged, "
                f"{len(self.skipped)} skipped files; chunks +{self.chunks_added} "
                f"-{self.chunks_removed} = {self.chunks_total} in {self.seconds:.1f}s")

    def as_dict(self) -> dict[str, object]:
        return {
            "files": [f.__dict__ for f in self.files],
            "chunks_added": self.chunks_added, "chunks_removed": self.chunks_removed,
            "chunks_total": self.chunks_total, "seconds": round(self.seconds, 3),
            "published": self.published, "version": self.version, "notes": list(self.notes),
        }
