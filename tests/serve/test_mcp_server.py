"""``python -m assistant mcp`` over stdio, driven by the MCP SDK's own client.

The server is spawned over an empty index folder, so it builds the index of a two-file corpus
with the real embedding model at start-up, as ``serve`` does.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import pytest

from ..conftest import POST_A, POST_B, REPO

mcp = pytest.importorskip("mcp")

pytestmark = [pytest.mark.server, pytest.mark.slow]

HIT_KEYS = {"text", "score", "source", "title", "date", "kind", "author", "chunk_id",
            "comment_number", "reply_to", "url", "post_id"}


async def _session_calls(env: dict[str, str]) -> dict[str, object]:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=["-m", "assistant", "mcp"],
                                   env=env, cwd=str(REPO))
    out: dict[str, object] = {}
    with open(os.devnull, "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write), \
                ClientSession(read, write) as session:
            await session.initialize()
            out["tools"] = (await session.list_tools()).tools
            call = session.call_tool
            out["search"] = await call("search_archive", {"query": "union ballot on pay freeze",
                                                          "k": 2})
            out["comments"] = await call("search_archive", {
                "query": "pay", "k": 5, "filters": {"kind": "comment"}})
            out["bad_k"] = await call("search_archive", {"query": "pay", "k": 0})
            out["bad_date"] = await call("search_archive", {
                "query": "pay", "filters": {"since": "last year"}})
            out["ask"] = await call("ask_archive", {
                "question": "Will Napo members be balloted on industrial action over pay?"})
            out["implied"] = await call("ask_archive", {
                "question": "What did readers say about the pay freeze?"})
            out["not_inferred"] = await call("ask_archive", {
                "question": "What did readers say about the pay freeze?",
                "infer_filters": False})
            out["refuse"] = await call("ask_archive", {
                "question": "What is the recipe for sourdough bread?"})
            out["empty"] = await call("ask_archive", {"question": "   "})
            out["timeline"] = await call("archive_timeline", {"subject": "ballot",
                                                               "granularity": "year"})
            out["whole"] = await call("archive_timeline", {"filters": {"kind": "comment"}})
            out["bad_granularity"] = await call("archive_timeline", {"granularity": "week"})
            post_id = json.loads(out["search"].content[0].text)["hits"][0]["post_id"]
            out["thread"] = await call("read_thread", {"post_id": post_id})
            out["no_thread"] = await call("read_thread", {"post_id": "0123456789abcdef"})
    return out


@pytest.fixture(scope="module")
def calls(tmp_path_factory):
    root = tmp_path_factory.mktemp("mcp")
    (root / "corpus").mkdir()
    (root / "corpus" / "a.txt").write_text(POST_A)
    (root / "corpus" / "b.txt").write_text(POST_B)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(ASSISTANT_CORPUS_DIR=str(root / "corpus"), ASSISTANT_INDEX_DIR=str(root / "index"),
               ASSISTANT_BACKEND="extractive")
    result = asyncio.run(asyncio.wait_for(_session_calls(env), timeout=120))
    result["index_dir"] = root / "index"
    return result


def _json(result) -> object:
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)


def test_tools_are_listed_with_schemas(calls):
    tools = {tool.name: tool for tool in calls["tools"]}
    assert set(tools) == {"search_archive", "ask_archive", "archive_timeline", "read_thread"}
    assert {"query", "k", "filters"} <= set(tools["search_archive"].input_schema["properties"])
    assert tools["search_archive"].input_schema["required"] == ["query"]
    assert tools["ask_archive"].input_schema["required"] == ["question"]
    assert tools["search_archive"].description and tools["ask_archive"].description


def test_server_built_the_missing_index(calls):
    assert (calls["index_dir"] / "CURRENT").is_file()


def test_search_archive_returns_hits(calls):
    body = _json(calls["search"])
    assert body == calls["search"].structured_content
    hits = body["hits"]
    assert 1 <= len(hits) <= 2 and all(set(hit) == HIT_KEYS for hit in hits)
    assert hits[0]["title"] == "Unions Ballot Over Pay"
    comments = _json(calls["comments"])["hits"]
    assert comments and {hit["kind"] for hit in comments} == {"comment"}


def test_ask_archive_answers_with_citations_or_refuses(calls):
    answer = _json(calls["ask"])
    assert set(answer) == {"answer", "refused", "citations", "implied_filters", "gaps"}
    assert answer["refused"] is False and "[1]" in answer["answer"]
    assert answer["citations"][0]["source"] == "a.txt"
    refused = _json(calls["refuse"])
    assert refused["refused"] is True and refused["citations"] == []


def test_ask_archive_returns_the_implied_filters_and_can_infer_none(calls):
    implied = _json(calls["implied"])
    assert implied["implied_filters"] == [{"name": "kind", "value": "comment",
                                           "phrase": "readers"}]
    assert implied["gaps"] == []
    assert _json(calls["not_inferred"])["implied_filters"] == []


def test_archive_timeline_counts_per_period(calls):
    found = _json(calls["timeline"])
    assert found["granularity"] == "year"
    # the comments under "Unions Ballot Over Pay" match too: passages are indexed with
    # their post's title
    assert found["buckets"] == [{"period": "2014", "posts": 1, "comments": 2}]
    whole = _json(calls["whole"])
    assert whole["posts"] == 0 and whole["comments"] == 2


def test_read_thread_returns_the_hits_whole_post(calls):
    thread = _json(calls["thread"])
    assert thread["title"] == "Unions Ballot Over Pay" and len(thread["comments"]) == 2
    assert [c["author"] for c in thread["comments"]][1] == "Getafix"


@pytest.mark.parametrize("name,message", [
    ("no_thread", "no post '0123456789abcdef' in the index"),
    ("bad_granularity", "granularity"),
    ("bad_k", "k must be an integer from 1 to 100"),
    ("bad_date", "since must be a date as YYYY-MM-DD"),
    ("empty", "the question is empty"),
])
def test_bad_input_is_a_tool_error_with_a_clear_message(calls, name, message):
    result = calls[name]
    assert result.is_error and message in result.content[0].text
