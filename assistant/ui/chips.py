"""The filters read from a question, as the page shows them: one removable chip per kind of
filter ("2019 ✕", "comments only ✕", "by papa ✕"), and the options that lift one when the
question is asked again. Pure functions, tested without Gradio.

A chip exists only for a filter the assistant applied because of the wording
(``Answer.implied``); one set in the options panel is the user's and shows no chip. Lifting
a chip sets its filter explicitly to "no restriction" (``since``/``until`` "", ``kind``
"all", ``author`` ""), which ``understand.effective_filters`` lets win over the wording.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from assistant.records import ImpliedFilter
from assistant.ui.render import md_esc

__all__ = ["CHIP_SLOTS", "LIFTED", "Chip", "chips_line", "chips_of", "dates_label",
           "lift_options"]

CHIP_SLOTS = ("dates", "kind", "author")  # one chip each; the page has a button per slot
LIFTED: Mapping[str, Mapping[str, str]] = {
    "dates": {"since": "", "until": ""}, "kind": {"kind": "all"}, "author": {"author": ""}}
_KINDS = {"comment": "comments only", "post": "posts only"}
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


@dataclass(frozen=True)
class Chip:
    """One chip: its ``slot`` (``CHIP_SLOTS``), what it says, and the words that implied it."""

    slot: str
    label: str
    phrase: str

    @property
    def button(self) -> str:
        return f"{self.label} ✕"


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _last_of_month(day: date) -> bool:
    return date.fromordinal(day.toordinal() + 1).day == 1


def dates_label(since: str | None, until: str | None) -> str:
    """"2019", "March 2016", "2015–2017", "since 2019", "until 2015", else the dates."""
    low, high = _day(since or ""), _day(until or "")
    if low and high:
        if (low.month, low.day, high.month, high.day) == (1, 1, 12, 31):
            return str(low.year) if low.year == high.year else f"{low.year}–{high.year}"
        whole_month = low.day == 1 and _last_of_month(high)
        if (low.year, low.month) == (high.year, high.month) and whole_month:
            return f"{_MONTHS[low.month - 1]} {low.year}"
        return f"{low.isoformat()} – {high.isoformat()}"
    if low:
        return f"since {low.year}" if (low.month, low.day) == (1, 1) else f"since {since}"
    if high:
        return f"until {high.year}" if (high.month, high.day) == (12, 31) else f"until {until}"
    return ""


def chips_of(implied: Iterable[ImpliedFilter]) -> dict[str, Chip]:
    """The chips for the filters an answer applied from its question's wording, by slot."""
    by_name = {f.name: f for f in implied}
    chips: dict[str, Chip] = {}
    if "since" in by_name or "until" in by_name:
        since, until = by_name.get("since"), by_name.get("until")
        label = dates_label(since.value if since else None, until.value if until else None)
        if label:
            chips["dates"] = Chip("dates", label, (since or until).phrase)
    if "kind" in by_name and by_name["kind"].value in _KINDS:
        chips["kind"] = Chip("kind", _KINDS[by_name["kind"].value], by_name["kind"].phrase)
    if "author" in by_name and by_name["author"].value:
        author = by_name["author"]
        chips["author"] = Chip("author", f"by {author.value}", author.phrase)
    return chips


def chips_line(chips: Mapping[str, Chip]) -> str:
    """The line under an answer that says which filters its wording implied (chat Markdown,
    escaped); empty when none."""
    if not chips:
        return ""
    labels = " · ".join(f"<span class=\"implied-chip\">{md_esc(c.label)}</span>"
                        for c in chips.values())
    return (f"Filters read from your question: {labels}. Remove one with its ✕ beside the "
            "date filters to ask again without it.")


def lift_options(options: Mapping[str, object], slots: Sequence[str]) -> dict[str, object]:
    """``options`` (the search options the panel gives) with the filters of ``slots``
    lifted: set to "no restriction" where the panel left them unset (a filter the user set
    has no chip, so it stays as set)."""
    lifted = dict(options)
    for slot in slots:
        for name, value in LIFTED.get(slot, {}).items():
            if lifted.get(name) is None:
                lifted[name] = value
    return lifted

