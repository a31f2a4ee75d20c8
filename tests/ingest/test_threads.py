"""Threads from the parent each comment names, in any order."""

from __future__ import annotations

from assistant.ingest.threads import Reply, thread
from assistant.records import Comment


def _reply(key: str, parent: str | None, order: int) -> Reply:
    return Reply(key, parent, order, Comment(number="", text=f"comment {key}", id=f"id{key}"))


def test_replies_are_numbered_depth_first_in_posting_order_whatever_the_file_order():
    comments = thread([_reply("c", "a", 3), _reply("b", None, 2), _reply("a", None, 1),
                       _reply("d", "c", 4), _reply("e", "a", 5)])
    assert [(c.number, c.text, c.parent_id) for c in comments] == [
        ("1", "comment a", None), ("1.1", "comment c", "ida"), ("1.1.1", "comment d", "idc"),
        ("1.2", "comment e", "ida"), ("2", "comment b", None)]


def test_a_reply_to_a_missing_comment_answers_the_post_and_a_loop_loses_nothing():
    comments = thread([_reply("a", None, 1), _reply("orphan", "spam", 2),
                       _reply("x", "y", 3), _reply("y", "x", 4), _reply("self", "self", 5)])
    numbered = {c.text: (c.number, c.parent_id) for c in comments}
    assert numbered["comment orphan"] == ("2", None)
    assert numbered["comment self"] == ("3", None)
    assert numbered["comment x"] == ("4", None) and numbered["comment y"] == ("4.1", "idx")
    assert len(comments) == 5
