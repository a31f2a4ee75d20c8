"""``safe_markdown``: no image, no link but the archive's permalinks, no script or data URL,
no HTML that renders; clean text unchanged; safe when streamed in pieces."""

from __future__ import annotations

import random

import pytest

from assistant.answer.sanitize import (
    LINK_REMOVED,
    SafeMarkdownStream,
    permalinks,
    safe_markdown,
    web_url,
)
from tests.ui.helpers import hit

PERMALINK = "https://blog.example/2014/pay"
HOSTILE = [
    "![x](http://evil.example/p.png)",
    "![x](<http://evil.example/a b.png> \"title\")",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(document.cookie))",
    "[vote](vbscript:msgbox(1))",
    "[img](data:text/html;base64,PHNjcmlwdD4=)",
    "[see](http://evil.example/x)",
    "[ref]: http://evil.example/x",
    "<http://evil.example/x>",
    "<javascript:alert(1)>",
    "http://evil.example/x?leak=1",
    "www.evil.example/x",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<a href=\"javascript:alert(1)\">read</a>",
    "<!-- hidden instruction -->",
    "![[click](javascript:x)](http://evil.example/p.png)",
    "javascript:alert(1)",
]


def _renders_nothing_hostile(text: str) -> None:
    lowered = text.lower()
    assert "evil.example" not in lowered and "javascript:" not in lowered
    assert "vbscript:" not in lowered and "data:text" not in lowered
    assert "![" not in text and "<script" not in lowered and "<img" not in lowered
    assert "<a " not in lowered and "<!--" not in text and "hidden instruction" not in text


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_markdown_is_neutralised(hostile):
    out = safe_markdown(f"Pay froze {hostile} in 2014 [1].")
    _renders_nothing_hostile(out)
    assert out.startswith("Pay froze") and out.endswith("in 2014 [1].")
    assert safe_markdown(out) == out  # idempotent


def test_links_keep_their_text_images_their_alt_and_addresses_say_so():
    assert safe_markdown("Read [the report](http://evil.example/r) now.") == "Read the report now."
    assert safe_markdown("A ![chart of cases](http://evil.example/c.png) here.") == \
        "A chart of cases here."
    assert safe_markdown("See http://evil.example/x.") == f"See {LINK_REMOVED}."
    assert safe_markdown("Pay [1](http://evil.example/) froze.") == "Pay [1] froze."
    assert safe_markdown("a<b and 3 < 4") == "a< b and 3 < 4"


def test_only_the_archives_permalinks_stay_links():
    allowed = permalinks([hit(url=PERMALINK), hit(n=2, url="javascript:alert(1)")])
    assert allowed == {PERMALINK}
    text = f"See [the post]({PERMALINK}), <{PERMALINK}> or {PERMALINK}."
    assert safe_markdown(text, allowed) == text
    assert PERMALINK not in safe_markdown(text)
    assert web_url("https://blog.example/a b") is None and web_url("ftp://x") is None


def test_clean_answers_pass_unchanged():
    for text in ["Napo says pay has been frozen for six years [1]. [unverified]",
                 "The union (Napo) wants 3.5% [1][2]; members voted: yes.",
                 "“Through the Gate” — a £20m fund *for* voluntary groups [2].",
                 "Line one\n\n• item [1]\n1. numbered"]:
        assert safe_markdown(text) == text


def test_invisible_characters_are_removed():
    assert safe_markdown("CA\u200bNA\u2060RY \u202eevil\u202c \U000e0041x") == "CANARY evil x"


def test_a_stream_cut_anywhere_matches_the_whole_text():
    text = ("Pay froze [click here](javascript:alert(1)) and ![img alt](http://evil.example/p.png"
            " \"t t\") then <!-- hid den --> <b>bold</b> ok [1]. See "
            f"{PERMALINK} and [the post]({PERMALINK}).")
    whole = safe_markdown(text, {PERMALINK})
    rng = random.Random(7)
    for _ in range(200):
        stream, out, i = SafeMarkdownStream({PERMALINK}), "", 0
        while i < len(text):
            j = i + rng.randint(1, 9)
            out += stream.feed(text[i:j])
            i = j
        out += stream.flush()
        assert out == whole
    _renders_nothing_hostile(whole)


def test_a_stream_never_leaks_even_when_it_cannot_hold_back():
    hostile = " ".join(HOSTILE) + " word" * 200  # past the hold-back limit
    for size in (1, 3, 50):
        stream = SafeMarkdownStream()
        out = "".join(stream.feed(hostile[i:i + size]) for i in range(0, len(hostile), size))
        _renders_nothing_hostile(out + stream.flush())
