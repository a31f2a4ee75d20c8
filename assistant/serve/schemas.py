"""The request-filter schema shared by REST (``/ask``, ``/search``), ``/v1`` and MCP.

Dates stay strings here: the ``Retriever`` parses them and its ``ValueError`` ("since must
be a date as YYYY-MM-DD") is the message every endpoint returns.

A filter left out (or null) is not set: on ``/ask``, ``/v1`` and ``ask_archive`` the
question's wording may then imply it ("In 2019, what did readers say …" searches 2019
comments; the answer's ``implied_filters`` say so). A filter sent as "no restriction" (an
empty ``since``/``until``/``author``, ``kind`` "both", "all" or "") is set: it lifts what
the wording implies. ``infer_filters: false`` turns implied filters off altogether.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["INFER_FILTERS", "Kind", "SearchFilters", "filter_options"]

INFER_FILTERS = ("apply the filters the question's wording implies (a year, readers or the "
                 "blogger, a named commenter), returned as implied_filters; false: only "
                 "those sent")

Kind = Literal["post", "comment", "both"]
"""Which passages to search: posts, comments, or both (the default)."""


class SearchFilters(BaseModel):
    """Optional restrictions on the passages searched."""

    model_config = ConfigDict(extra="forbid")

    since: str | None = Field(None, description="only passages dated on or after YYYY-MM-DD")
    until: str | None = Field(None, description="only passages dated on or before YYYY-MM-DD")
    kind: Kind | None = Field(None, description="only posts or only comments; \"both\" "
                                                "lifts a kind the question implies")
    author: str | None = Field(None, description="only passages by this author")

    @field_validator("kind", mode="before")
    @classmethod
    def _no_kind(cls, value: object) -> object:
        # "" and "all" meant "both" to the retriever before this schema was shared, and
        # clients send them: they stay accepted as "no kind filter", and as "both" they
        # are set (they lift a kind the wording implies) where None is not.
        return "both" if value in ("", "all") else value

    def kwargs(self) -> dict[str, str | None]:
        """The filters as ``Retriever.search`` / ``Assistant.ask`` keyword arguments."""
        return {"since": self.since, "until": self.until, "kind": self.kind,
                "author": self.author}


def filter_options(filters: SearchFilters | None) -> dict[str, str | None]:
    """``filters.kwargs()``, or no options when a request sent none."""
    return filters.kwargs() if filters else {}
