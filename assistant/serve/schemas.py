"""The request-filter schema shared by REST (``/ask``, ``/search``), ``/v1`` and MCP.

Dates stay strings here: the ``Retriever`` parses them and its ``ValueError`` ("since must
be a date as YYYY-MM-DD") is the message every endpoint returns.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["Kind", "SearchFilters", "filter_options"]

Kind = Literal["post", "comment", "both"]
"""Which passages to search: posts, comments, or both (the default)."""


class SearchFilters(BaseModel):
    """Optional restrictions on the passages searched."""

    model_config = ConfigDict(extra="forbid")

    since: str | None = Field(None, description="only passages dated on or after YYYY-MM-DD")
    until: str | None = Field(None, description="only passages dated on or before YYYY-MM-DD")
    kind: Kind | None = Field(None, description="only posts or only comments")
    author: str | None = Field(None, description="only passages by this author")

    @field_validator("kind", mode="before")
    @classmethod
    def _no_kind(cls, value: object) -> object:
        # "" and "all" meant "both" to the retriever before this schema was shared, and
        # clients send them: they stay accepted as "no kind filter".
        return None if value in ("", "all") else value

    def kwargs(self) -> dict[str, str | None]:
        """The filters as ``Retriever.search`` / ``Assistant.ask`` keyword arguments."""
        return {"since": self.since, "until": self.until, "kind": self.kind,
                "author": self.author}


def filter_options(filters: SearchFilters | None) -> dict[str, str | None]:
    """``filters.kwargs()``, or no options when a request sent none."""
    return filters.kwargs() if filters else {}
