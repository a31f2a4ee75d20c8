"""The posts of ``benchmarks.sessions``: one per session, about an invented organisation with
a codeword and a founding year (its canary), a few shared background posts, and what a
session's replies must show (``classify``): their own canary, and no other's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from benchmarks.chats import Reply

__all__ = ["BACKGROUND", "CANARIES", "FRESH", "QUESTIONS", "Canary", "Session", "classify",
           "session_problems", "write_corpus"]


@dataclass(frozen=True)
class Canary:
    """One session's post: an invented organisation, its codeword and founding year."""

    session: int
    org: str
    code: str
    founded: int
    town: str

    @property
    def source(self) -> str:
        return f"canary{self.session:02d}.txt"

    @property
    def marks(self) -> tuple[str, str]:
        """What only this post says: seen in another session's response, it is cross-talk."""
        return self.code, self.org

    def post(self) -> str:
        day = date(2014, 3, 3) + timedelta(days=self.session)
        return (f"{day:%A} {day.day} {day:%B %Y}\n\nNews from the {self.org}\n\n"
                f"Members of the {self.org} greet each other with the codeword {self.code}.\n"
                f"The {self.org}, codeword {self.code}, was founded in {self.founded} in "
                f"{self.town}.\n")


_ORGS = (
    ("Quillfeather Orrery Society", "VORTELUX-3817", 1803, "Tarnmouth"),
    ("Brambleworth Tide Collective", "KESHAMIR-5290", 1811, "Oxlade"),
    ("Zindarra Lamplighters Union", "PELLUCAN-7142", 1826, "Wyvernholt"),
    ("Morvanthe Glass Guild", "TRISKELON-2269", 1839, "Calder Reach"),
    ("Ostrevane Beekeepers Circle", "HALCYRUN-4408", 1842, "Pennacombe"),
    ("Tellimar Cartographers Lodge", "DRAVOQUIN-6613", 1857, "Sallowby"),
    ("Vexholm Bellringers Fellowship", "MIRABELT-9021", 1861, "Cresswater"),
    ("Corraskin Weavers Assembly", "ZEPHANOR-1174", 1874, "Ulverdene"),
    ("Plenthwick Astronomers Club", "QUORVALE-3350", 1880, "Ashgrove"),
    ("Dunmarrow Ferrymen Brotherhood", "SKELLIDAN-8836", 1888, "Holloway Cross"),
    ("Ysolde Clockmakers Company", "BRANTHOLE-2497", 1893, "Marrowfield"),
    ("Hexendale Puppeteers League", "CALDRIMOR-5562", 1902, "Fennick"),
    ("Galloran Mapmakers Order", "NESTOVAR-7719", 1909, "Ravensgill"),
    ("Ashcombe Kiteflyers Guild", "OLMERIDE-4085", 1915, "Tidewell"),
    ("Farrowmere Choristers Society", "PRAVELIN-6390", 1921, "Brackenholm"),
    ("Krennick Lockpickers Circle", "UMBRASTE-1928", 1934, "Gorsemoor"),
    ("Wistramor Falconers Union", "JORVESSA-8253", 1946, "Stonebridge"),
    ("Lathspell Typefounders Guild", "IVRENTHO-3671", 1952, "Wexcombe"),
    ("Quenby Lighthouse Keepers Lodge", "FELDSPARRO-5046", 1967, "Saltmarsh"),
    ("Orrindale Stargazers Fellowship", "GLIMMERAK-7784", 1975, "Thornbury"),
)
CANARIES = tuple(Canary(i, *org) for i, org in enumerate(_ORGS))
FRESH = Canary(99, "Pimbleton Marmalade Syndicate", "SORREVANT-6402", 1999, "Quillby")
BACKGROUND = {  # shared posts every question competes with (none names a canary)
    "background1.txt": "Monday 3 February 2014\n\nOld Societies\n\nMany societies and guilds "
                       "founded long ago still meet. Members once greeted each other with a "
                       "codeword, and some clubs keep the habit.\n",
    "background2.txt": "Tuesday 4 February 2014\n\nUnions Ballot Over Pay\n\nNapo members "
                       "will be balloted on industrial action over the pay freeze.\n",
    "background3.txt": "Wednesday 5 February 2014\n\nWhen Was It Founded?\n\nReaders often ask "
                       "when the probation service was founded: the Probation of Offenders "
                       "Act came in 1907.\n",
}
QUESTIONS = ("What codeword do members of the {org} use?", "And when was it founded?")


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for canary in CANARIES:
        (folder / canary.source).write_text(canary.post())
    for name, text in BACKGROUND.items():
        (folder / name).write_text(text)
    return folder


def classify(reply: Reply, own: Canary, canaries: Sequence[Canary],
             facts: Sequence[str]) -> list[tuple[str, str]]:
    """What is wrong with one reply, as ``(kind, detail)``: ``error`` (not a well-formed
    answer), ``cross-talk`` (another session's canary anywhere in it), ``wrong`` (a fact of
    its own missing, or a post other than its own cited)."""
    if reply.error:
        return [("error", reply.error)]
    seen = f"{reply.seen}\n{reply.answer}".lower()
    found = [("cross-talk", f"session {c.session}'s {mark!r}") for c in canaries
             if c.session != own.session for mark in c.marks if mark.lower() in seen]
    missing = [fact for fact in facts if fact.lower() not in reply.answer.lower()]
    if missing:
        found.append(("wrong", f"no {', '.join(missing)} in {reply.answer[:100]!r}"))
    if set(reply.cited) != {own.source}:
        found.append(("wrong", f"cites {sorted(set(reply.cited)) or 'nothing'}, "
                               f"not {own.source}"))
    return found


def _facts(canary: Canary, turn: int) -> tuple[str, ...]:
    return (canary.code,) if turn == 0 else (canary.code, str(canary.founded))


@dataclass(frozen=True)
class Session:
    """One session's conversations through one door."""

    canary: Canary
    door: str
    replies: tuple[Reply, ...]

    def problems(self) -> list[tuple[int, str, str]]:
        return session_problems(self.replies, self.canary)


def session_problems(replies: Sequence[Reply], own: Canary,
                     canaries: Sequence[Canary] = CANARIES) -> list[tuple[int, str, str]]:
    """``(question number from 1, kind, detail)`` for every problem of a session's replies
    (its questions follow ``QUESTIONS``, once per conversation)."""
    return [(n + 1, kind, detail) for n, reply in enumerate(replies)
            for kind, detail in classify(reply, own, canaries,
                                         _facts(own, n % len(QUESTIONS)))]
