"""MCP server (official ``mcp`` SDK) with tools ``search_archive`` and ``ask_archive``.

``python -m assistant mcp`` serves it over stdio for desktop clients. Nothing is written to
stdout but the protocol; index building and errors go to stderr.
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.search.retriever import MAX_K
from assistant.settings import Settings

__all__ = ["ArchiveFilters", "create_mcp_server", "run_stdio"]

INSTRUCTIONS = (
    "Tools over a blog archive (posts and their comments). search_archive returns passages "
    "with title, date, source and author; ask_archive returns an answer whose [n] markers "
    "cite the listed passages, or refused=true when the archive does not say.")


class ArchiveFilters(BaseModel):
    """Restrict the passages searched."""

    model_config = ConfigDict(extra="forbid")

    since: str | None = Field(None, description="only passages dated on or after YYYY-MM-DD")
    until: str | None = Field(None, description="only passages dated on or before YYYY-MM-DD")
    kind: Literal["post", "comment", "both"] | None = Field(
        None, description="only posts or only comments")
    author: str | None = Field(None, description="only passages by this (comment) author")


def _server_class():
    try:
        from mcp.server.mcpserver import MCPServer
        from mcp.server.mcpserver.exceptions import ToolError
    except ImportError:  # mcp 1.x
        from mcp.server.fastmcp import FastMCP as MCPServer
        from mcp.server.fastmcp.exceptions import ToolError
    return MCPServer, ToolError


def create_mcp_server(assistant):
    """An MCP server whose tools search and answer from ``assistant`` (not started)."""
    server_class, tool_error = _server_class()
    server = server_class("blog-archive", instructions=INSTRUCTIONS)

    @server.tool()
    def search_archive(query: str, k: int = 5,
                       filters: ArchiveFilters | None = None) -> dict[str, Any]:
        """Search the blog archive; returns the k best passages (1..100) for the query,
        each with text, score, source, title, date, kind (post/comment) and author."""
        if not 1 <= k <= MAX_K:
            raise tool_error(f"k must be an integer from 1 to {MAX_K}, got {k}")
        options = filters.model_dump() if filters else {}
        try:
            hits = assistant.retriever.search(query, k=k, **options)
        except ValueError as exc:
            raise tool_error(str(exc)) from exc
        return {"query": query, "hits": [hit.as_dict() for hit in hits]}

    @server.tool()
    def ask_archive(question: str, filters: ArchiveFilters | None = None) -> dict[str, Any]:
        """Answer a question from the blog archive. Returns the answer text with [n]
        citation markers, refused (true when the archive does not answer it) and the
        citations (n, source, title, date, kind, author, quote, supported)."""
        options = filters.model_dump() if filters else {}
        try:
            answer = assistant.ask(question, **options)
        except ValueError as exc:
            raise tool_error(str(exc)) from exc
        return answer.as_dict()

    return server


def run_stdio(settings: Settings | None = None, backend: str | None = None) -> None:
    """Build the index if missing or stale, load it, and serve MCP over stdin/stdout."""
    from assistant.serve.http import open_assistant

    settings = settings or Settings.from_env()
    assistant = open_assistant(settings, backend)
    create_mcp_server(assistant).run("stdio")
