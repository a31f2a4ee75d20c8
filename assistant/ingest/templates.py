"""Static-site template markup in a post's source: Liquid (Jekyll, Eleventy), Hugo
shortcodes and kramdown's footnotes and attribute lists, reduced to the text a reader sees.

Over the 39 Jekyll posts in ``../shared/real-exports`` 425 passages held a Liquid tag and
102 a footnote marker when they were read as plain CommonMark; a figure's caption lives in
its tag (``{% figure caption:"…" %}``), so a caption is kept as a line of its own.
"""

from __future__ import annotations

import re

__all__ = ["strip_templates"]

# {% raw %}…{% endraw %}: shown as written (a post about Liquid quotes Liquid)
_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.DOTALL)
# Code is kept as written: a Jinja or Handlebars example's ``{{ name }}`` is the example
_CODE = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?(?:^ {0,3}\1[ \t]*$|\Z)|`+[^`\n]+`+",
                   re.DOTALL | re.MULTILINE)
_COMMENT = re.compile(r"\{%-?\s*comment\s*-?%\}.*?\{%-?\s*endcomment\s*-?%\}", re.DOTALL)
# A tag or shortcode: Liquid {% … %} and {{ … }}, Hugo {{< … >}} and {{% … %}}
_TAG = re.compile(r"\{\{[<%].*?[>%]\}\}|\{%.*?%\}|\{\{.*?\}\}", re.DOTALL)
_CAPTION = re.compile(r"""\bcaption\s*[:=]\s*(?:"([^"]*)"|'([^']*)')""")
_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^[^\]\s]+\]:[ \t]*", re.MULTILINE)
_FOOTNOTE_REF = re.compile(r"\[\^[^\]\s]+\](?!:)")
_ATTRIBUTES = re.compile(r"\{:[^}\n]*\}")  # kramdown's {: .class} and {:.btn}
_RAW_MARK = "\x00raw{}\x00"  # a placeholder no tag pattern matches


def strip_templates(text: str) -> str:
    """``text`` without template tags and shortcodes (a tag's ``caption`` kept), kramdown
    footnote markers and attribute lists; a footnote's definition stays as a line
    "Footnote: …" (not "[1]", which would read as a citation marker); what
    ``{% raw %}`` wraps and code are kept as written."""
    if "{" not in text and "[^" not in text:
        return text
    raws: list[str] = []

    def keep(match: re.Match) -> str:
        raws.append(match.group(1) if match.re is _RAW else match.group(0))
        return _RAW_MARK.format(len(raws) - 1)

    text = _CODE.sub(keep, _RAW.sub(keep, text))
    text = _COMMENT.sub("", text)
    text = _TAG.sub(_caption, text)
    text = _ATTRIBUTES.sub("", text)
    text = _FOOTNOTE_DEF.sub("Footnote: ", text)
    text = _FOOTNOTE_REF.sub("", text)
    for n, raw in reversed(list(enumerate(raws))):  # a raw block inside code: code first
        text = text.replace(_RAW_MARK.format(n), raw)
    return text


def _caption(match: re.Match) -> str:
    """A tag's caption on a line of its own, else nothing."""
    found = _CAPTION.search(match.group(0))
    if not found:
        return ""
    return f"\n\n{found.group(1) or found.group(2) or ''}\n\n"
