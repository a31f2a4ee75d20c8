"""HTML pages: visible text only, and the title, date, author and URL from the markup."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from assistant.ingest import SkippedFile, parse_file, parse_text

HTML = """<!DOCTYPE html>
<html><head><title>MPs raise the alarm | Civil Service World</title>
<meta name="author" content="Jim Brown">
<meta property="article:published_time" content="2016-09-24T08:00:00+01:00">
<link rel="canonical" href="https://example.org/mps">
<style>body { color: red }</style>
<script>alert(1)</script></head>
<body><nav><a href="/">Home</a> Search</nav>
<header><h1>MPs raise the alarm</h1></header>
<article><p>The Ministry of Justice is <b>unable</b> to demonstrate&nbsp;success.</p>
<script>alert(1)</script><noscript>Enable JavaScript</noscript>
<template><p>hidden</p></template>
<ul><li>one</li><li>two</li></ul>
<p>ICT systems were &ldquo;inefficient, unreliable and hard to use&rdquo;.<br>New line.</p>
</article><aside>Related posts</aside><footer>Subscribe</footer></body></html>
"""


def test_html_text_only_with_metadata() -> None:
    (post,) = parse_text(HTML, "p.html", suffix=".html")
    assert post.title == "MPs raise the alarm"
    assert post.date == date(2016, 9, 24)
    assert post.author == "Jim Brown"
    assert post.url == "https://example.org/mps"
    assert post.body == (
        "The Ministry of Justice is unable to demonstrate success.\n\n• one\n• two\n\n"
        "ICT systems were \u201cinefficient, unreliable and hard to use\u201d.\nNew line."
    )
    hidden_text = ["alert", "color", "Enable JavaScript", "hidden", "Home", "Subscribe", "Related"]
    for hidden in hidden_text:
        assert hidden not in post.body


def test_html_time_element_and_h1_without_title() -> None:
    text = (
        "<html><body><h1>Guest Blog 15</h1><time datetime='2014-12-19'>Friday</time>"
        "<p>A view from the small and medium charity sector</p></body></html>"
    )
    (post,) = parse_text(text, "g.txt")  # sniffed as HTML despite the suffix
    assert (post.title, post.date) == ("Guest Blog 15", date(2014, 12, 19))
    assert post.body == "Friday\n\nA view from the small and medium charity sector"


def test_html_with_only_scripts_has_no_text(tmp_path: Path) -> None:
    path = tmp_path / "s.html"
    path.write_text("<html><script>alert(1)</script><style>p{}</style></html>")
    with pytest.raises(SkippedFile, match=r"^no text found$"):
        parse_file(path, "s.html")
