"""Ingest: the files of a corpus folder to posts with threaded comments, and posts to chunks.

``parse.parse_file`` reads a file through ``files`` (size limit, binary sniff, decoding) and
``parse`` picks the format by content, then suffix:

- ``blogtext``: the blog-text export (the shipped corpus), its ``comments`` numbered and nested;
- ``webpage``: a web page saved as text (chrome removed), or a plain note;
- ``markdown``: Markdown through markdown-it-py, with ``frontmatter`` read by PyYAML (or
  ``tomllib`` for Hugo) and ``templates`` (Liquid, shortcodes, kramdown footnotes) stripped;
  ``staticman``: a static site's comment files, read with their post;
- ``htmlpage``: HTML (named so as not to shadow the standard library's ``html``);
- blog exports, sniffed by content (``exports`` holds what they share, ``threads`` the one
  comment threading, ``imported`` the record each yields): ``wxr`` (WordPress), ``blogger``
  and ``takeout`` (Blogger, Google Takeout), ``disqus``, ``ghost``, ``feeds`` (RSS, Atom);
  ``archives`` reads a zip of any of these in place; ``importing`` copies a file, folder or
  zip into the corpus folder (``python -m assistant import``).

``dates``, ``signatures`` (sign-offs) and ``whitespace`` are the heuristics they share;
``chunking`` cuts a post into token-bounded chunks that never straddle a sign-off. This stage
imports only the leaf modules (``records``, ``text``); markdown-it and PyYAML load on first use.
"""

from assistant.ingest.chunking import ChunkerConfig, chunk_post
from assistant.ingest.files import SUPPORTED_SUFFIXES, SkippedFile
from assistant.ingest.parse import parse_file, parse_text
from assistant.ingest.signatures import signed_sections

__all__ = [
    "SUPPORTED_SUFFIXES",
    "ChunkerConfig",
    "SkippedFile",
    "chunk_post",
    "parse_file",
    "parse_text",
    "signed_sections",
]
