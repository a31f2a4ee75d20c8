"""Dates written in text: weekday date lines, day-month-year in either order, ISO dates."""

from __future__ import annotations

import re
from datetime import date

__all__ = [
    "DATE_IN_TEXT_RE",
    "DMY",
    "MDY",
    "WEEKDAY_DATE_LINE_RE",
    "date_from_match",
    "find_date",
    "parse_date",
]

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\b\.?"
)
_WEEKDAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
# Patterns with named groups, for other patterns to embed: read a match with date_from_match.
DMY = rf"(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m1>{_MONTH}),?\s+(?P<y1>\d{{4}})"
MDY = rf"(?P<m2>{_MONTH})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y2>\d{{4}})"
_ISO = r"(?P<y3>\d{4})[-/](?P<m3>\d{1,2})[-/](?P<d3>\d{1,2})"
DATE_IN_TEXT_RE = re.compile(rf"(?<![\w-])(?:{DMY}|{MDY}|{_ISO})(?![\w-])", re.IGNORECASE)
WEEKDAY_DATE_LINE_RE = re.compile(rf"^{_WEEKDAY},?\s+(?:{DMY}|{MDY})$", re.IGNORECASE)


def date_from_match(m: re.Match[str]) -> date | None:
    """The date a match of one of these patterns names, or None when it is not a real date."""
    g = m.groupdict()
    try:
        if g.get("y3"):
            return date(int(g["y3"]), int(g["m3"]), int(g["d3"]))
        day, month, year = (
            (g["d1"], g["m1"], g["y1"]) if g.get("d1") else (g["d2"], g["m2"], g["y2"])
        )
        return date(int(year), _MONTHS[month[:3].lower()], int(day))
    except (ValueError, KeyError):
        return None


def find_date(text: str) -> date | None:
    """The first explicit, valid full date written in ``text`` (day, month and year)."""
    for m in DATE_IN_TEXT_RE.finditer(text):
        found = date_from_match(m)
        if found:
            return found
    return None


def parse_date(value: str) -> date | None:
    """A metadata date: ISO (``2019-06-06T07:02Z``) or any written full date."""
    value = value.strip().strip("'\"")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return find_date(value)
