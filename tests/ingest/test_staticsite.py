"""Static-site posts (Jekyll, Hugo) and their Staticman comment files, on fixtures written
here: template tags and footnotes reduced to text, dates from file names, TOML front
matter, drafts left out, both comment schemas threaded, no email kept."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.ingest import SkippedFile
from assistant.ingest.markdown import post_slug, read_markdown
from assistant.ingest.parse import read_file, read_source_text
from assistant.ingest.staticman import read_comment_files
from assistant.ingest.templates import strip_templates

POST = """---
layout: article
title: "Drawing {{ page.tool }} clouds"
tags: [paper, clouds]
author: &owner
  name: Mira Holt
editor: *owner
---
Clouds start with a pale wash[^wash] and a button{:.btn}.

{% figure caption:"Criss-cross your strokes" %} screenshot of strokes {% endfigure %}

Write {% raw %}{{ site.url }}{% endraw %} to link home.{% comment %}a private note{% endcomment %}

{{< youtube id="abc" >}}

[^wash]: A wash is thinned paint.
"""

NATIVE = """_id: 7a1
_parent: /drawing-clouds/
message: "Which **brush** do you use for the wash?"
name: Rowan
email: rowan@mail.example
hidden: ''
date: '2017-05-11T12:09:22.946Z'
"""
NATIVE_REPLY = """_id: 7a2
message: "The watercolour brush, at half size."
name: Mira Holt
email: 5f2b9c0d0a1e2f3a4b5c6d7e8f901234
replying_to: '1'
date: '2017-05-12T08:00:00Z'
"""
DISQUS_SCHEMA = """id: comment-1133682554
date: 2013-11-21T23:23:48Z
updated: 2013-11-21T23:23:48Z
_parent: /drawing-clouds/
name: Ivy Moss
url: https://ivy.example/
message: |
  Clouds were always my weak point. Thank you!
"""


def test_template_tags_footnotes_and_attribute_lists_become_text():
    text = strip_templates("A[^1] b{:.btn} {% figure caption:'The cap' %}x{% endfigure %} "
                           "{{ page.date }} {{% notice %}}\n\n[^1]: The note.")
    assert "{" not in text and "[^" not in text
    assert "The cap" in text and "Footnote: The note." in text


def test_a_jekyll_post_reads_as_its_reader_sees_it():
    (post,) = read_markdown(POST, "_posts/2013-09-05-drawing-clouds.md").posts
    assert post.title == "Drawing clouds"
    assert post.date == date(2013, 9, 5)  # from the file name: the front matter has none
    assert post.author == "Mira Holt"  # a YAML mapping, through an anchor
    assert post.tags == ("paper", "clouds")
    assert "Criss-cross your strokes" in post.body  # the figure's caption is kept
    assert "{{ site.url }} to link home." in post.body  # {% raw %} shown as written
    assert "Footnote: A wash is thinned paint." in post.body
    for gone in ("{%", "{{<", "[^wash]", "{:.btn}", "private note", "endfigure"):
        assert gone not in post.body
    assert post_slug("_posts/2013-09-05-drawing-clouds.md") == "drawing-clouds"


def test_hugo_toml_front_matter_and_drafts():
    hugo = '+++\ntitle = "Spring beds"\ndate = 2021-04-02T09:00:00Z\ntags = ["beds"]\n+++\nDig.'
    (post,) = read_markdown(hugo, "content/posts/spring.md").posts
    assert (post.title, post.date, post.tags, post.body) == (
        "Spring beds", date(2021, 4, 2), ("beds",), "Dig.")
    for draft in ("---\ntitle: x\ndraft: true\n---\nNot yet.",
                  "---\ntitle: x\npublished: false\n---\nNot yet.",
                  '+++\ntitle = "x"\ndraft = true\n+++\nNot yet.'):
        assert read_markdown(draft, "a.md").posts == ()
        assert dict(read_markdown(draft, "a.md").left_out) == {"draft": 1}


def test_a_draft_file_is_skipped_saying_it_is_a_draft(tmp_path):
    path = tmp_path / "2020-01-01-plans.md"
    path.write_text("---\ntitle: Plans\ndraft: true\n---\nSecret plans.")
    with pytest.raises(SkippedFile, match="nothing published: draft 1"):
        read_file(path, path.name)


def test_staticman_comments_in_both_schemas_are_threaded_without_emails():
    files = [("comment-1384938799000.yml", NATIVE), ("comment-1385076228000.yml", NATIVE_REPLY),
             ("comment-1375311525000.yml", DISQUS_SCHEMA)]
    comments, left_out = read_comment_files(files)
    assert not left_out
    by_author = {c.author: c for c in comments}
    # replying_to '1': the first top-level comment by file name, Ivy's (1375…)
    assert [(c.number, c.author) for c in comments] == [
        ("1", "Ivy Moss"), ("1.1", "Mira Holt"), ("2", "Rowan")]
    assert by_author["Mira Holt"].parent_id == "comment-1133682554"
    assert by_author["Ivy Moss"].date == date(2013, 11, 21)
    assert by_author["Rowan"].text == "Which brush do you use for the wash?"
    assert by_author["Ivy Moss"].url is None  # her own site is not the comment's permalink
    text = repr(comments)
    assert "rowan@mail.example" not in text and "5f2b9c0d" not in text


def test_replying_to_numbers_count_top_level_comments_in_file_name_order():
    """The Minimal Mistakes themes thread a reply under the N-th top-level comment."""
    top = "message: First.\nname: Ann\ndate: 2017-01-01\n"
    second = "message: Second.\nname: Bob\ndate: 2017-01-02\n"
    reply = "message: Reply to Bob.\nname: Cy\ndate: 2017-01-03\nreplying_to: '2'\n"
    comments, _ = read_comment_files([("c3.yml", reply), ("c1.yml", top), ("c2.yml", second)])
    assert [(c.number, c.author) for c in comments] == [("1", "Ann"), ("2", "Bob"),
                                                        ("2.1", "Cy")]
    assert comments[2].parent_id == "c2.yml"  # no _id: the file name is its key


def test_a_reply_filed_before_its_parent_still_threads_under_it():
    """A reply naming its parent's _id, in a file that sorts before the parent's."""
    parent = "_id: p9\nmessage: Parent.\nname: Ann\ndate: 2017-01-05\n"
    child = "_id: c1\nmessage: Child.\nname: Bob\ndate: 2017-01-06\nreplying_to: p9\n"
    comments, _ = read_comment_files([("a-child.yml", child), ("z-parent.yml", parent)])
    assert [(c.number, c.author, c.parent_id) for c in comments] == [
        ("1", "Ann", None), ("1.1", "Bob", "p9")]


def test_broken_spam_and_empty_comment_files_are_counted_not_kept():
    comments, left_out = read_comment_files([
        ("bad.yml", "message: [unclosed\nname: x"), ("json.json", '{"message": "Hi", "name"'),
        ("bot.yml", "message: Buy now\nname: Bot\nhidden: filled-in"),
        ("blank.yml", "message: ''\nname: Quiet"),
        ("ok.json", '{"message": "Lovely.", "name": "Ann", "date": "2018-02-03"}')])
    assert [c.text for c in comments] == ["Lovely."]
    assert left_out == {"unreadable comment file": 2, "comment spam": 1, "empty comment": 1}


def test_a_loose_yaml_file_is_skipped_saying_what_it_is():
    with pytest.raises(SkippedFile, match="a YAML data file, not a post"):
        read_source_text("title: config\n", "_config.yml", ".yml")


def test_a_post_file_is_read_with_its_comment_files(tmp_path):
    post = tmp_path / "2013-09-05-drawing-clouds.md"
    post.write_text(POST)
    folder = tmp_path / "comments"
    folder.mkdir()
    paths = []
    for name, text in (("comment-1.yml", NATIVE), ("comment-2.yml", NATIVE_REPLY),
                       ("comment-3.yml", b"\x00\x01binary" * 100)):
        path = folder / name
        path.write_bytes(text.encode() if isinstance(text, str) else text)
        paths.append(str(path))
    imported = read_file(post, post.name, companions=paths)
    (read,) = imported.posts
    assert [(c.number, c.author) for c in read.comments] == [("1", "Rowan"),
                                                             ("1.1", "Mira Holt")]
    assert dict(imported.left_out) == {"unreadable comment file": 1}


def test_code_keeps_its_template_tags():
    text = strip_templates("Use `{{ site.url }}` inline.\n\n```liquid\n{% for p in posts %}"
                           "{{ p.title }}{% endfor %}\n```\n\n{% notice %}Tip{% endnotice %}")
    assert "`{{ site.url }}`" in text
    assert "{% for p in posts %}{{ p.title }}{% endfor %}" in text
    assert "notice" not in text and "Tip" in text


def test_addresses_and_email_hashes_pasted_into_a_comment_are_not_kept():
    pasted = ('message: "My data: {\\"name\\"=>\\"Matt\\", \\"email\\"=>\\"'
              '0123456789abcdef0123456789abcdef\\"} - write to matt@mail.example"\n'
              "name: Matt\n")
    (comment,), _ = read_comment_files([("c.yml", pasted)])
    assert "0123456789abcdef" not in comment.text and "matt@mail.example" not in comment.text
    assert comment.text.count("[email]") == 2


def test_comment_files_pair_with_the_post_of_their_own_site():
    from assistant.ingest.staticman import pair_comment_files

    paired, orphans = pair_comment_files([
        "jekyll/_posts/2014-02-09-basics.md", "jekyll/_drafts/basics.md",
        "jekyll/_data/comments/basics/c1.yml", "jekyll/_data/comments/basics/c2.json",
        "hugo/content/posts/spring-beds.md", "hugo/data/comments/spring-beds/c1.yml",
        "other/_data/comments/basics/c9.yml", "jekyll/_data/comments/basics/notes.txt"])
    assert paired == {
        "jekyll/_posts/2014-02-09-basics.md": ["jekyll/_data/comments/basics/c1.yml",
                                               "jekyll/_data/comments/basics/c2.json"],
        "hugo/content/posts/spring-beds.md": ["hugo/data/comments/spring-beds/c1.yml"]}
    assert list(orphans) == ["other/_data/comments/basics/c9.yml"]  # another site's slug
