"""Sign-offs: the name a comment ends with, and the sections of a post each writer signed."""

from __future__ import annotations

import re

from assistant.ingest.whitespace import word_count
from assistant.records import Post

__all__ = [
    "comment_signature",
    "signed_sections",
]

_SIGNATURE_RE = re.compile(r"^[A-Za-z][a-z'’-]*[A-Za-z]?(?: [A-Z][a-z'’-]*[A-Za-z]?)?$")
_NOT_NAMES_TEXT = """
    anon anonymous thanks thank thankyou ta cheers regards best wishes kind warm love good luck
    dear hi hello hey greetings yours sincerely faithfully truly
    well done great yes no nope yep yeah ok okay agreed agree indeed exactly absolutely quite true
    sad shameful shame disgraceful disgusting lol haha ha hmm sigh wow amen sorry rubbish nonsense
    discuss discussion enough really seriously whatever ditto likewise same here there correct
    right wrong brilliant excellent interesting outrageous typical unbelievable ridiculous
    please help contd continued cont part end ends fin update edit source link read watch listen
    happy merry christmas easter new year all everyone folks colleagues comrades solidarity
    probation napo unison the a an and or but so not you me we us them it this that
    monday tuesday wednesday thursday friday saturday sunday today tomorrow yesterday
    january february march april may june july august september october november december
"""
_NOT_NAMES = frozenset(_NOT_NAMES_TEXT.split())
_NAME_WORD_RE = re.compile(r"^[A-Z][a-z'’-]+$|^[A-Z]\.?$|^(?:Mc|Mac|O’|O')[A-Z][a-z]+$")
# A role after the name on the same line: capitalised words and acronyms ("South West NAPO
# Branch Chair JNCC Rep."), with "of", "for", "and" between them
_ROLE_WORD_RE = re.compile(r"^(?:[A-Z][\w'’&/-]*\.?|of|for|and|the|&)$")
_ROLES_TEXT = """chair chairman chairwoman chairperson secretary officer director rep
    representative manager chief executive president treasurer member convenor organiser
    editor founder trustee spokesperson head lead coordinator"""
_ROLES = frozenset(_ROLES_TEXT.split())
_SECTION_MIN_WORDS = 60  # a sign-off closes a section only after this much prose


def comment_signature(text: str) -> str | None:
    """A sign-off name on the comment's last line, or None when unsure."""
    paragraphs = text.split("\n\n")
    if len(paragraphs) < 2 or "\n" in paragraphs[-1]:
        return None
    name = paragraphs[-1].strip().lstrip("'‘’\"“-–—~ ").removesuffix(".").strip()
    if not (2 <= len(name) <= 30) or not _SIGNATURE_RE.match(name):
        return None
    words = name.split()
    if any(w.lower().strip("'’") in _NOT_NAMES for w in words):
        return None
    if len(words) == 2 and not words[0][0].isupper():
        return None
    return name


def _is_role(words: list[str]) -> bool:
    """Words after a name that read as its role: capitalised words and acronyms, one of them
    an acronym or a role noun ("SSW Napo Branch Chair"), so a title does not pass."""
    return all(_ROLE_WORD_RE.match(w) for w in words) and any(
        (w.strip(".").isupper() and len(w.strip(".")) >= 2) or w.lower().strip(".") in _ROLES
        for w in words)


def _sign_off(paragraph: str, lowercase_words: set[str]) -> str | None:
    """The name in a sign-off paragraph ("David Raho", or a name over a role line), or None.

    A name is two or three capitalised words, none of which the post uses in lower case
    elsewhere: that keeps headings such as "Transformation Update" from passing as names.
    """
    lines = [line.strip() for line in paragraph.strip().splitlines() if line.strip()]
    if not 1 <= len(lines) <= 3 or sum(word_count(line) for line in lines) > 14:
        return None
    name = lines[0].strip(" -–—~").removesuffix(".").removesuffix(",")
    words = name.split()
    if len(words) > 3 and _is_role(words[2:]):
        words = words[:2]  # "Dino Peros SSW Napo Branch Chair": the name, then the role
        name = " ".join(words)
    if not 2 <= len(words) <= 3 or not all(_NAME_WORD_RE.match(w) for w in words):
        return None
    if any(w.lower().strip("'’.") in _NOT_NAMES or w.lower() in lowercase_words for w in words):
        return None
    if any(line.endswith((".", "?", "!", ":")) and word_count(line) > 4 for line in lines[1:]):
        return None  # a role line is a label, not a sentence
    return name


def signed_sections(post: Post) -> list[tuple[str, str | None]]:
    """The post body cut after each sign-off, as ``(text, signed_by)`` in order.

    Blogs quote letters, statements and guest pieces that end with their writer's name on a
    line of its own (often over a role: "Ian Lawrence / Napo General Secretary"). Each such
    section is attributed to that writer; text that no sign-off closes gets ``post.author``.
    """
    corpus_text = "\n".join([post.body, *(c.text for c in post.comments)])
    lowercase_words = {w for w in re.findall(r"\b[a-z][a-z'’-]+\b", corpus_text)}
    sections: list[tuple[str, str | None]] = []
    current: list[str] = []
    prose_words = 0
    for paragraph in re.split(r"\n\s*\n", post.body):
        if not paragraph.strip():
            continue
        signer = _sign_off(paragraph, lowercase_words) if prose_words >= _SECTION_MIN_WORDS \
            else None
        current.append(paragraph.strip())
        if signer:
            sections.append(("\n\n".join(current), signer))
            current, prose_words = [], 0
        else:
            prose_words += word_count(paragraph)
    if current:
        sections.append(("\n\n".join(current), post.author))
    return sections
