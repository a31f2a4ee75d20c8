"""MCP server (official ``mcp`` SDK) with tools ``search_archive``, ``ask_archive``,
``archive_timeline`` (when a subject came up) and ``read_thread`` (a hit's whole post).

``python -m assistant mcp`` serves it over stdio for desktop clients. Nothing is written to
stdout but the protocol; index building and errors go to stderr.
"""

from typing import Any, Literal

from assistant.search.retriever import MAX_K
from assistant.serve.bootstrap import open_assistant
from assistant.serve.schemas import SearchFilters, filter_options
from assistant.settings import Settings

__all__ = ["create_mcp_server", "run_stdio"]

INSTRUCTIONS = (
    "Tools over a blog archive (posts and their comments). search_archive returns passages "
    "with title, date, source and author; ask_archive returns an answer whose [n] markers "
    "cite the listed passages, or refused=true when the archive does not say; its "
    "implied_filters are the filters read from the question's wording (lift one by sending "
    "it as \"\" or kind \"both\", or all with infer_filters=false), its gaps what was "
    "asked that the archive does not state. archive_timeline counts the posts and comments "
    "matching a subject per month or year; read_thread returns a hit's whole post (its "
    "post_id) with its comment thread.")


def _server_class():
    try:
        from mcp.server.mcpserver import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError
    except ImportError:  # mcp 1.x
        from mcp.server.fastmcp import FastMCP as MCPServer
        from mcp.server.fastmcp.exceptions import ToolError
    return MCPServer, ToolError


def _hits_payload(query: str, hits) -> dict[str, Any]:
    """``search_archive``'s result; ``partial_results`` when a cluster lost a shard."""
    found: dict[str, Any] = {"query": query, "hits": [hit.as_dict() for hit in hits]}
    if (partial := getattr(hits, "partial", None)) is not None:
        found["partial_results"] = partial.as_dict()
    return found


def create_mcp_server(assistant):
    """An MCP server whose tools search and answer from ``assistant`` (not started)."""
    server_class, tool_error = _server_class()
    server = server_class("blog-archive", instructions=INSTRUCTIONS)

    @server.tool()
    def search_archive(query: str, k: int = 5,
                       filters: SearchFilters | None = None) -> dict[str, Any]:
        """Search the blog archive; returns the k best passages (1..100) for the query,
        each with text, score, source, title, date, kind (post/comment) and author."""
        if not 1 <= k <= MAX_K:
            raise tool_error(f"k must be an integer from 1 to {MAX_K}, got {k}")
        options = filter_options(filters)
        try:
            hits = assistant.retriever.search(query, k=k, **options)
        except ValueError as exc:
            raise tool_error(str(exc)) from exc
        return _hits_payload(query, hits)

    @server.tool()
    def ask_archive(question: str, filters: SearchFilters | None = None,
                    infer_filters: bool = True) -> dict[str, Any]:
        """Answer a question from the blog archive. Returns the answer text with [n]
        citation markers, refused (true when the archive does not answer it), the
        citations (n, source, title, date, kind, author, quote, supported), implied_filters
        (name, value, phrase: filters the wording implied and that were applied; false
        infer_filters applies none) and gaps (what the archive does not state)."""
        options = dict(filter_options(filters), infer_filters=infer_filters)
        try:
            answer = assistant.ask(question, **options)
        except ValueError as exc:
            raise tool_error(str(exc)) from exc
        return answer.as_dict()

    @server.tool()
    def archive_timeline(subject: str | None = None, filters: SearchFilters | None = None,
                         granularity: Literal["auto", "month", "year"] = "auto",
                         ) -> dict[str, Any]:
        """When a subject came up: the posts and comments matching it (none: the whole
        archive) per month or year, as buckets (period, posts, comments), with the totals
        and how many matching documents have no date."""
        try:
            found = assistant.retriever.timeline(subject, granularity=granularity,
                                                 **filter_options(filters))
        except ValueError as exc:
            raise tool_error(str(exc)) from exc
        return found.as_dict()

    @server.tool()
    def read_thread(post_id: str) -> dict[str, Any]:
        """The whole post a hit or citation comes from (its post_id), with every comment:
        author, date, number, who it replies to, depth, text and the passages' chunk_ids."""
        try:
            return assistant.retriever.thread(post_id).as_dict()
        except KeyError as exc:
            raise tool_error(f"no post {post_id[:80]!r} in the index") from exc

    return server


def run_stdio(settings: Settings | None = None, backend: str | None = None) -> None:
    """Build the index if missing or stale, load it, and serve MCP over stdin/stdout."""
    settings = settings or Settings.from_env()
    assistant = open_assistant(settings, backend)
    create_mcp_server(assistant).run("stdio")
