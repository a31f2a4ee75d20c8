"""What an honest gap says: the missing fact, described from the question's own wording.

``describe`` turns a question part into a short phrase for ``Answer.gaps`` and for the
answer's first sentence: "How many complaints had there been?" → "the number of complaints";
"What was recommendation 4 in …?" → "recommendation 4 in …"; "When did HMP Holloway actually
close?" → "when HMP Holloway actually closed". ``gap_sentence`` writes "The archive doesn't
give the number of complaints." (a noun phrase) or "The archive doesn't say when …" (a
clause). Wording only: no evidence is read here, and a question it cannot rephrase is
quoted as asked ("which CRC package areas attracted only one suitable bidder").
"""

from __future__ import annotations

import re
from datetime import date

__all__ = ["describe", "gap_sentence", "past_tense"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_AUX = r"(?:had|have|has|did|do|does|were|was|are|is|will|would|can|could|should|might|must)"
_LEAD = re.compile(r"^\s*(?:(?:and|but|so|also|then|now|ok|okay|well)[,\s]+|"
                   r"according to [^,]{3,80},\s*|(?:in|during|back in) (?:[a-z]+ )?"
                   r"(?:19|20)\d\d,\s*)+", re.I)
_TAIL = re.compile(r",?\s+(?:according to|as (?:reported|quoted|stated) (?:by|in))\b.*$", re.I)
_HOW_MANY = re.compile(rf"^how many\s+(?P<what>.+?)(?:\s+{_AUX}\b|$)", re.I)
_HOW_MUCH = re.compile(r"^how much\s+(?:money\s+)?(?P<aux>did|does|do|was|were|is|will|"
                       r"would|has|had)\s+(?P<rest>.+)$", re.I)
_WHAT_IS = re.compile(r"^(?:what|which)\s+(?:is|was|were|are)\s+(?P<np>(?:the|a|an|his|her|"
                      r"their|its|recommendation|paragraph|clause|section|point|item)\b.+)$",
                      re.I)
_WH = (r"(?:when|where|why|who|whom|what(?:\s+\w+)?|which(?:\s+\w+){1,3}?|"
       r"how(?:\s+(?:many|much|long|often|far|big|well))?(?:\s+(?:of\s+)?[\w'’]+){0,4}?)")
_DO_SUPPORT = re.compile(rf"^(?P<wh>{_WH})\s+(?P<aux>did|does|do)\s+(?P<rest>.+)$", re.I)
_BE_SUPPORT = re.compile(r"^(?P<wh>when|where|why|how|which\s+\w+|what|who)\s+"
                         r"(?P<aux>was|were|is|are|will|would|has|have|had|can|could)\s+"
                         r"(?P<rest>.+)$", re.I)
_YES_NO = re.compile(r"^(?P<aux>did|does|do|was|were|is|are|has|have|had|will|would|can|"
                     r"could)\s+(?P<rest>.+)$", re.I)
_CLAUSE = re.compile(r"(?:when|where|why|how|what|who|whom|whose|which|whether)\b", re.I)

_IRREGULAR = {"be": "was", "begin": "began", "break": "broke", "bring": "brought",
              "build": "built", "buy": "bought", "choose": "chose", "come": "came",
              "cost": "cost", "cut": "cut", "do": "did", "fall": "fell", "find": "found",
              "get": "got", "give": "gave", "go": "went", "grow": "grew", "have": "had",
              "hear": "heard", "hold": "held", "keep": "kept", "know": "knew", "lead": "led",
              "leave": "left", "lose": "lost", "make": "made", "mean": "meant", "meet": "met",
              "pay": "paid", "put": "put", "rise": "rose", "run": "ran", "say": "said",
              "see": "saw", "sell": "sold", "send": "sent", "set": "set", "shut": "shut",
              "sit": "sat", "speak": "spoke", "spend": "spent", "stand": "stood",
              "strike": "struck", "take": "took", "teach": "taught", "tell": "told",
              "think": "thought", "win": "won", "write": "wrote"}
_PAST = frozenset(_IRREGULAR.values())
# Adverbs that may sit between the subject and the verb ("actually close", "first start").
_ADVERBS = _words("actually really first finally originally ever still also then eventually "
                  "initially officially")
# Words that follow a verb rather than a noun of the subject: "say about", "work there".
_AFTER_VERB = _words("about to that in on at for of from with by into over under as if the a an "
                     "his her their its this these those them him it he she they we you up "
                     "down out off back there here")
_VERBS = _words("say tell think expect plan close open start end cost pay spend win lose happen "
                "change mean leave become get go come make take give find hold run agree "
                "reverse respond react describe learn explore compare want propose announce "
                "recommend report claim argue warn do")
_DETERMINERS = _words("the a an his her their its this that these those")
_PARTICIPLES = _words("held made built paid sold sent told found given taken written known seen "
                      "done run set put cut shut kept led lost met won brought bought begun "
                      "chosen spent said")


def past_tense(verb: str) -> str:
    """A regular or common irregular past tense: close → closed, win → won, stop → stopped."""
    low = verb.lower()
    if low in _IRREGULAR:
        return _IRREGULAR[low]
    if low.endswith("e"):
        return f"{verb}d"
    if re.search(r"[^aeiou]y$", low):
        return f"{verb[:-1]}ied"
    if re.search(r"^[^aeiou]*[aeiou][bdgmnpt]$", low):  # stop → stopped, plan → planned
        return f"{verb}{verb[-1]}ed"
    return f"{verb}ed"


def _third_person(verb: str) -> str:
    low = verb.lower()
    if low == "have":
        return "has"
    if re.search(r"(?:s|sh|ch|x|z|o)$", low):
        return f"{verb}es"
    if re.search(r"[^aeiou]y$", low):
        return f"{verb[:-1]}ies"
    return f"{verb}s"


def _inflect(rest: str, aux: str) -> str:
    """``rest`` ("HMP Holloway actually close") with its verb inflected for ``aux`` (did →
    past, does → third person). The verb is a common verb past the subject, else the first
    lower-case word that a preposition, a determiner, a name or the end follows."""
    words = rest.split()
    candidates = [i for i, word in enumerate(words)
                  if i > 0 and word.isalpha() and word.islower() and word not in _ADVERBS
                  and word not in _AFTER_VERB and words[i - 1].lower() not in _DETERMINERS]
    chosen = next((i for i in candidates if words[i] in _VERBS), None)
    if chosen is None:
        chosen = next((i for i in candidates if i + 1 == len(words)
                       or words[i + 1].lower() in _AFTER_VERB or words[i + 1][:1].isupper()),
                      candidates[0] if candidates else None)
    if chosen is None:
        return rest
    word, verb = words[chosen], aux.lower()
    words[chosen] = (past_tense(word) if verb == "did" else _third_person(word)
                     if verb == "does" else word)
    return " ".join(words)


def _place(rest: str, aux: str) -> str:
    """"the closure announced" + was → "the closure was announced"; a subject question
    ("was responsible") keeps its order."""
    words = rest.split()
    if not words or words[0].lower() not in _DETERMINERS:
        return f"{aux} {rest}"
    for i, word in enumerate(words[2:], 2):
        low = word.lower()
        if low in _PARTICIPLES or re.fullmatch(r"[a-z]{3,}(?:ed|ing)", low):
            return " ".join([*words[:i], aux, *words[i:]])
    return f"{rest} {aux}"


def _counted(words: str) -> str:
    """What "how many …" counts: its words up to the verb ("staff work at …" → "staff",
    "Napo members voted for …" → "Napo members")."""
    split = words.split()
    for i, word in enumerate(split[1:], 1):
        low = word.lower()
        after = split[i + 1].lower() if i + 1 < len(split) else ""
        if (low in _VERBS or low in _PAST or re.fullmatch(r"[a-z]{3,}ed", low)
                or after in _AFTER_VERB):
            return " ".join(split[:i])
    return words


def _clean(question: str) -> str:
    """The question proper: its last sentence asking something (a statement before it is
    context), without a leading "And", "In 2014," or "According to …,"."""
    sentences = re.split(r"(?<=[.?!])\s+(?=[A-Z])", " ".join(question.split()))
    asking = [s for s in sentences if s.endswith("?")] or sentences
    return _TAIL.sub("", _LEAD.sub("", asking[-1]).strip().rstrip("?.! "))


def _lower_first(text: str) -> str:
    """"Which CRC …" → "which CRC …"; an acronym or name opening the text keeps its case."""
    first = text.split(" ", 1)[0]
    return text if first.isupper() or first[1:2].isupper() else text[:1].lower() + text[1:]


def describe(question: str) -> str:
    """A short phrase naming what ``question`` asks for, fit to follow "The archive doesn't
    give" (a noun phrase) or "The archive doesn't say" (a clause opening with a question
    word or "whether")."""
    text = _clean(question)
    if not text:
        return "what was asked"
    if match := _HOW_MANY.match(text):
        return f"the number of {_counted(match['what'])}"
    if match := _HOW_MUCH.match(text):
        return f"how much {_inflect(match['rest'], match['aux'])}"
    if match := _WHAT_IS.match(text):
        return match["np"]
    if match := _DO_SUPPORT.match(text):
        return f"{_lower_first(match['wh'])} {_inflect(match['rest'], match['aux'])}"
    if match := _BE_SUPPORT.match(text):
        return f"{_lower_first(match['wh'])} {_place(match['rest'], match['aux'].lower())}"
    if match := _YES_NO.match(text):
        return f"whether {_inflect(match['rest'], match['aux'])}"
    return _lower_first(text)


def gap_sentence(description: str, ends: date | None = None) -> str:
    """"The archive doesn't give the number of complaints." or "The archive doesn't say
    when HMP Holloway actually closed."; with ``ends`` (the question asks about a time after
    the archive's last date) "The archive ends in October 2020, so it doesn't give …" """
    verb = "say" if _CLAUSE.match(description) else "give"
    if ends:
        return f"The archive ends in {ends:%B %Y}, so it doesn't {verb} {description}."
    return f"The archive doesn't {verb} {description}."
