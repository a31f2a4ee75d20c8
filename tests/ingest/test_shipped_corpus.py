"""The five shipped corpus files, parsed end to end (blog text and a saved web page)."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from assistant.ingest import parse_file
from assistant.records import Post
from tests.ingest.shipped import CORPUS, ROOT, load_shipped

DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev.jsonl"
NOISE = {"ReplyDelete", "Delete", "Replies", "Reply"}


def _all_text(post: Post) -> str:
    return "\n".join([post.title, post.body, *(c.text for c in post.comments)])


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- shipped files


def test_file_002_has_eight_posts_split_on_date_lines() -> None:
    posts = load_shipped("002")
    assert [(p.date, p.title) for p in posts] == [
        (date(2016, 9, 30), "Napo at Work in the South West 7"),
        (date(2016, 9, 29), "Cardiff AGM 2016"),
        (date(2016, 9, 28), "Napo at Work in the South West 6"),
        (date(2016, 9, 27), "Accountant's Reinvent the Wheel - Shock!"),
        (date(2016, 9, 26), "How We Got Here"),
        (date(2016, 9, 25), "Pick of the Week 15"),
        (date(2016, 9, 24), "MP's Raise the Alarm"),
        (date(2016, 9, 23), "Latest From Napo 119"),
    ]
    assert all(p.comments == () and p.author is None for p in posts)
    # "19th May 2016" / "Branch correspondence" inside the first body is not a post boundary
    assert "19th May 2016\nBranch correspondence" in posts[0].body
    assert posts[0].body.endswith("Regular communications will also be shared via managers.")
    assert posts[1].body.startswith("So, much to the surprise and delight")
    assert "Thursday 29 September 2016" not in posts[0].body


def test_file_000_comments_and_replies() -> None:
    (post,) = load_shipped("000")
    assert post.title == "What Probation Could Look Like"
    assert post.date == date(2019, 6, 6)
    assert post.source == "corpus/000_0cb4c25e1103f043.txt"
    assert "comments:" not in post.body
    assert post.body.endswith("Russell Webster")
    numbers = [c.number for c in post.comments]
    assert numbers == ["1", "2", "2.1", "2.2", "2.3", "2.4", "2.5", "3"]  # "8 comments:"
    assert len([n for n in numbers if "." not in n]) == 3
    second = post.comments[1]
    assert second.author == "Anonymous"
    assert second.date == date(2019, 6, 6)
    assert "Anonymous6 June" not in second.text
    assert second.text.startswith("Re-post: seems appropriate -\n\nSnake oil, get yer luvverly")
    assert post.comments[0].author is None and post.comments[0].date is None
    assert "74% of ESA tests" in post.comments[5].text
    for comment in post.comments:
        assert not NOISE & {line.strip() for line in comment.text.splitlines()}
        assert comment.text == comment.text.strip() and "\n\n\n" not in comment.text
        assert not any(line.startswith(" ") for line in comment.text.splitlines())


def test_file_001_signatures_and_lists_inside_replies() -> None:
    (post,) = load_shipped("001")
    assert post.title == "Probation Worries For Voluntary Sector"
    assert post.date == date(2020, 10, 19)
    by_number = {c.number: c for c in post.comments}
    assert [n for n in by_number if "." not in n] == ["1", "2", "3", "4", "5", "6"]
    assert [n for n in by_number if n.startswith("1.")] == [f"1.{i}" for i in range(1, 7)]
    assert [n for n in by_number if n.startswith("2.")] == [f"2.{i}" for i in range(1, 9)]
    # the numbered recommendations quoted in reply 1.3 stay in its text
    assert "1. Regional Probation Directors must ensure" in by_number["1.3"].text
    assert "11. Budgets should be set aside" in by_number["1.3"].text
    assert by_number["2.8"].author == "Getafix"
    assert by_number["3"].author == "Getafix"
    assert by_number["4"].author == "FranK"
    assert by_number["1"].author is None
    assert by_number["6"].author is None


def test_file_003_comments() -> None:
    (post,) = load_shipped("003")
    assert (post.date, post.title) == (date(2014, 12, 19), "Guest Blog 15")
    top = [c for c in post.comments if "." not in c.number]
    assert len(top) == 6
    assert len(post.comments) == 16  # the header says "17 comments:"; one is not in the file
    assert [c.number for c in post.comments if c.number.startswith("2.")] == [
        f"2.{i}" for i in range(1, 10)
    ]
    papa = post.comments[-2]
    assert papa.number == "5" and papa.author == "papa"
    assert "17 comments" not in post.body
    assert post.body.endswith("A national probation service and we will begin again.")


def test_file_004_web_page_without_date_line() -> None:
    (post,) = load_shipped("004")
    assert post.title == "Voluntary sector “less involved than ever in probation”"
    assert post.date == date(2018, 4, 17)
    assert post.author is None
    assert post.comments == ()
    assert post.body.startswith("Probation inspectors' investigation into probation supply")
    assert "under two members of staff" in post.body
    chrome_lines = ["Share This Post", "Leave a Reply", "Subscribe", "Related posts"]
    chrome_lines += ["One Response", "Keep up-to-date", "Search", "Unilink", "email address"]
    for chrome in chrome_lines:
        assert chrome not in post.body
    assert post.body.endswith("meet service user needs.")


def test_every_shipped_file_parses_cleanly() -> None:
    for path in sorted(CORPUS.glob("*.txt")):
        posts = parse_file(path, f"corpus/{path.name}")
        assert posts
        for post in posts:
            assert post.source == f"corpus/{path.name}"
            assert post.title and post.body and post.date
            text = _all_text(post)
            assert "ReplyDelete" not in text
            assert "\u00a0" not in text and "  " not in text
            assert len(post.post_id) == 16


def _dev_gold() -> list[tuple[str, str]]:
    if not DEV_QUESTIONS.exists():
        return []
    rows = [json.loads(line) for line in DEV_QUESTIONS.read_text("utf-8").splitlines() if line]
    return [(g["source"], g["evidence"]) for row in rows for g in row.get("gold", [])]


@pytest.mark.skipif(not DEV_QUESTIONS.exists(), reason="../shared/eval/dev.jsonl not present")
@pytest.mark.parametrize(("source", "evidence"), _dev_gold())
def test_dev_evidence_survives_parsing(source: str, evidence: str) -> None:
    path = ROOT / source
    posts = parse_file(path, source)
    parsed = [_squash(_all_text(p)) for p in posts]
    assert any(_squash(evidence) in text for text in parsed)
