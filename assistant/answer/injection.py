"""Text shaped like an instruction to the assistant: a prompt-injection attempt in a passage,
or an answer sentence that repeats one.

Security decision, enforced where these are used: a passage sentence that
``looks_like_instruction`` is never quoted as an answer (``extractive``) and never counts as
support for a claim (``citations``); an answer sentence that ``echoes`` such text (it is one
itself, or carries a code-like token or most of the words found only in instruction-shaped
passage text) loses its citation and is dropped from the answer.

The patterns cover role lines ("Assistant:", "SYSTEM:", chat-template tokens), override
requests ("ignore previous instructions"), notices addressed to an AI ("Note to AI …",
"[SYSTEM NOTICE]"), and dictated answers ("the answer is CANARY-1234", "reply PWNED").
Measured on the 1,239 passage sentences of the shipped corpus and 4,682 of
``../shared/real-exports``: 0 flagged (the pattern it replaced flagged 5 of the first, e.g.
"I must say London have at times been shocking"); every planted instruction of
``tests/fixtures/injection`` is flagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.answer.sanitize import strip_invisible
from assistant.text import content_words

__all__ = ["Guard", "looks_like_instruction", "marked_tokens"]

# Who an injection addresses; "assistants" or "models" alone are ordinary words in a
# probation blog ("case assistants", "the operating model"), so they need "AI" before them.
_AI = (r"(?:(?:ai|a\.i\.)(?:\s+(?:systems?|models?|assistants?|tools?|agents?|bots?))?|llms?|"
       r"(?:large\s+)?language\s+models?|chat\s?bots?|chatgpt|gpt-?\d*|claude|copilot|"
       r"virtual\s+assistants?)")
_ROLE = r"(?:assistant|system|user|human|ai|bot|chatbot|chatgpt|gpt|claude|llm|developer)"
_PATTERNS = (
    # a role line at the start of a sentence or line: "Assistant: …", "SYSTEM: …", "[SYSTEM]"
    rf"(?:^|(?<=[\n.!?]))[\s>*_#\[(\"'“-]*{_ROLE}(?:\s+(?:message|prompt|notice|note|"
    r"override|update|instructions?))?\s*[:\]]",
    r"<\|[a-z_]{2,20}\|>|\[/?INST\]|<</?SYS>>|(?:^|\n)\s*#{2,}\s*(?:instruction|response|"
    r"system)\b",
    # override requests
    r"\b(?:ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|the|your|my|these|those|"
    r"of)\s+)*(?:(?:previous|prior|above|earlier|other|system|original)\s+)*(?:instructions?|"
    r"rules|prompts?|guidelines|directions|context|commands?)\b",
    r"\b(?:ignore|disregard|forget)\s+(?:everything|all)\s+(?:above|before|previous|prior|"
    r"else)\b",
    r"\b(?:new|updated|revised|real)\s+instructions?\s*[:,-]|\byou\s+are\s+now\b|"
    r"\bsystem\s+prompt\b|\bas\s+an\s+ai\b|\bfrom\s+now\s+on,?\s+(?:you|always|answer|reply|"
    r"respond)\b",
    # notices addressed to an AI
    rf"\b(?:note|message|notice|instructions?|attention|reminder|warning|memo)\s+(?:to|for)\s+"
    rf"(?:the\s+|any\s+|all\s+)?{_AI}\b",
    rf"\b(?:dear|hey|hello|hi|attention)\s*,?\s+{_AI}\b|\bif\s+you\s+are\s+(?:an?\s+)?{_AI}\b",
    rf"\b{_AI}\s+(?:reading|processing|summari[sz]ing|answering|parsing|indexing)\b",
    rf"\b(?:all|every|any)\s+{_AI}\s+(?:must|should|shall|will|need)\b",
    r"\b(?:system|admin)\s+(?:notice|message|override|instructions?)\b",
    # dictated answers
    r"\b(?:every|each|all|any|your)\s+(?:answers?|repl(?:y|ies)|responses?)\s+(?:must|should|"
    r"shall|will|needs?\s+to)\b",
    r"\banswers?\s+to\s+(?:any|every|all|each)\s+(?:\w+\s+)?(?:questions?|quer(?:y|ies))\b",
    r"\b(?:reply|respond|answer)\s+(?:only\s+)?with\s+(?:the\s+)?(?:word|code|phrase|token|"
    r"text)\b|\b(?:say|output|print|repeat)\s+(?:only\s+)?the\s+(?:word|code|phrase|token)\b",
    r"\binstead,?\s+(?:reply|respond|answer|say|output|write|print)\b",
    r"\b(?:do\s+not|don'?t|never)\s+(?:answer|respond\s+to|reply\s+to|tell|mention|reveal|"
    r"cite)\s+(?:the\s+)?(?:user|question|reader|sources?|passages?)\b",
    r"\bwhen\s+you\s+(?:are\s+asked|summari[sz]e|answer|respond)\b.{0,80}\b(?:say|reply|"
    r"respond|answer|tell|state|write|include|mention)\b",
)
_INSTRUCTION = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.I | re.S)
# Case-sensitive: an answer dictated as a code or a shouted word ("reply PWNED", "the answer
# is CANARY-1234"); lower-case ("they say that …") is ordinary prose.
_DICTATED = re.compile(
    r"\b(?:[Rr]eply|[Rr]espond|[Aa]nswer|[Ss]ay|[Oo]utput|[Pp]rint|[Ww]rite|[Ss]tate)\s+"
    r"(?:only\s+)?(?:with\s+)?[\"'“]?[A-Z][A-Z0-9-]{3,}\b(?![a-z])(?=[\"'”]?\s*(?:[.!]|\Z))"
    r"|\b(?:answer|reply|response|code|password|keyword)\s+(?:is|was|:|=)\s*[\"'“]?"
    r"(?=[A-Z0-9-]*\d)[A-Z][A-Z0-9]*-?[A-Z0-9]{3,}\b")
# A token no prose word looks like: letters and digits mixed (CANARY-5678, X7Q2), or a shouted
# word of four or more capitals (PWNED).
_MARKED = re.compile(r"\b(?=[A-Za-z0-9-]*[A-Za-z])(?=[A-Za-z0-9-]*\d)[A-Za-z0-9][A-Za-z0-9-]{3,}\b"
                     r"|\b[A-Z]{4,}\b")
ECHO_SHARE = 0.6  # of a claim's content words found in one instruction-shaped sentence


def looks_like_instruction(sentence: str) -> bool:
    """Whether ``sentence`` addresses the assistant (a prompt-injection attempt); invisible
    characters splitting a word do not hide it."""
    text = " ".join(strip_invisible(sentence).split())
    return bool(_INSTRUCTION.search(text) or _DICTATED.search(text))


def marked_tokens(text: str) -> set[str]:
    """Code-like tokens of ``text``, upper-cased (``CANARY-5678``, ``PWNED``)."""
    return {t.upper() for t in _MARKED.findall(strip_invisible(text))}


class Guard:
    """What the instruction-shaped sentences of the passages said that the rest did not:
    built once per answer, asked once per answer sentence."""

    def __init__(self, instructions: Iterable[str], quotable: Iterable[str]):
        self.instructions = [s for s in instructions if s.strip()]
        clean = marked_tokens(" ".join(quotable))
        self.tokens = set().union(*map(marked_tokens, self.instructions)) - clean
        self._words = [set(content_words(s)) for s in self.instructions]

    @classmethod
    def of(cls, sentences: Iterable[str]) -> Guard:
        """The guard of passages split into ``sentences``."""
        instructions: list[str] = []
        quotable: list[str] = []
        for sentence in sentences:
            (instructions if looks_like_instruction(sentence) else quotable).append(sentence)
        return cls(instructions, quotable)

    def echoes(self, claim: str, *, supported: bool = False) -> bool:
        """Whether ``claim`` repeats instruction-shaped passage text: it is shaped like one or
        carries a token only such text had (whatever else supports it), or, when nothing
        else supports it, most of its words come from one such sentence."""
        if looks_like_instruction(claim) or marked_tokens(claim) & self.tokens:
            return True
        words = set(content_words(claim))
        if supported or len(words) < 3:
            return False
        return any(len(words & w) >= ECHO_SHARE * len(words) for w in self._words)
