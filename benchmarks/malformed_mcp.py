"""Malformed calls at the MCP door: ``python -m assistant mcp`` (the real stdio server) driven
by the official SDK's client, ``ClientSession`` over ``stdio_client``.

Tool calls with unknown tools, missing, wrong-typed and out-of-range arguments, bad filters
and huge strings, then raw JSON-RPC requests the SDK's typed helpers would not send (an
unknown method, ``tools/call`` without a name, arguments as a string, a resource naming
``/etc/passwd``). A tool error or JSON-RPC error whose message names the problem is "clear";
a closed connection is a crash. A last well-formed search shows the server still answers.
Part of ``benchmarks.malformed``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import REPO
from benchmarks.outcomes import Outcome, is_clear
from benchmarks.servers import START_S, server_env

__all__ = ["DOOR", "MCP_PROBES", "ToolProbe", "run_mcp"]

DOOR = "MCP"
CONNECTION_CLOSED = -32000  # JSON-RPC code the SDK raises when the server's pipe closes


@dataclass(frozen=True)
class ToolProbe:
    """A ``tools/call`` of ``tool`` with ``arguments``, or (``method`` set) a raw JSON-RPC
    request of ``method`` with ``params``."""

    label: str
    tool: str = ""
    arguments: dict | None = None
    method: str = ""
    params: object = None
    accepted: str = ""  # why a success is the right answer, when it is


def _search(label: str, accepted: str = "", **arguments: object) -> ToolProbe:
    return ToolProbe(label, "search_archive", arguments, accepted=accepted)


def _ask(label: str, **arguments: object) -> ToolProbe:
    return ToolProbe(label, "ask_archive", arguments)


def _raw(label: str, method: str, params: object = None) -> ToolProbe:
    return ToolProbe(label, method=method, params=params)


_Q = "pay freeze ballot"
MCP_PROBES: tuple[ToolProbe, ...] = (
    ToolProbe("unknown tool", "delete_archive", {"query": _Q}),
    _search("search without arguments"),
    _search("query a number", query=42),
    _search("query null", query=None),
    _search("query a list", query=["pay"]),
    _search("empty query", query=""),
    _search("blank query", query=" \n\t "),
    _search("query of 1 MB", query="x" * 1_000_000),
    _search("k a word", query=_Q, k="five"),
    _search("k = 0", query=_Q, k=0),
    _search("k = 101", query=_Q, k=101),
    _search("k = -1", query=_Q, k=-1),
    _search("k = 10^12", query=_Q, k=10**12),
    _search("k = 3.7", query=_Q, k=3.7),
    _search("filters a string", query=_Q, filters="post"),
    _search("unknown filter", query=_Q, filters={"tag": "pay"}),
    _search("since 2014-13-45", query=_Q, filters={"since": "2014-13-45"}),
    _search("since 'yesterday'", query=_Q, filters={"since": "yesterday"}),
    _search("until a number", query=_Q, filters={"until": 20140101}),
    _search("kind 'poems'", query=_Q, filters={"kind": "poems"}),
    _search("an undeclared argument", "the SDK drops arguments a tool does not declare, "
            "as JSON-RPC servers do", query=_Q, colour="red"),
    _ask("ask without arguments"),
    _ask("question a number", question=42),
    _ask("blank question", question="   "),
    _ask("question of 1 MB", question="pay " * 250_000),
    _ask("ask with since 2014-02-30", question=_Q, filters={"since": "2014-02-30"}),
    _ask("ask with kind 'poems'", question=_Q, filters={"kind": "poems"}),
    _raw("unknown JSON-RPC method", "archive/delete"),
    _raw("tools/call without a name", "tools/call", {}),
    _raw("tools/call, name a number", "tools/call", {"name": 5}),
    _raw("tools/call, arguments a string", "tools/call",
         {"name": "search_archive", "arguments": "query=pay"}),
    _raw("resources/read of /etc/passwd", "resources/read", {"uri": "file:///etc/passwd"}),
    _raw("prompts/get of an unknown prompt", "prompts/get", {"name": "system"}),
)
ALIVE = "a well-formed search after the probes is answered: the server is still up"


def _tool_outcome(probe: ToolProbe, result: Any) -> tuple[str, str, str]:
    """``(outcome, status, message)`` of a ``CallToolResult``."""
    text = " ".join(getattr(c, "text", "") for c in result.content or ())
    if result.is_error:
        return ("clear" if is_clear(text) else "unclear"), "tool error", text
    return "accepted", "result", text[:120]


async def _send(session: Any, probe: ToolProbe) -> Any:
    from mcp import types

    if probe.method:
        request = types.Request[Any, Any](method=probe.method, params=probe.params)
        return await session.send_request(request, types.EmptyResult)
    return await session.call_tool(probe.tool, probe.arguments)


async def _one(session: Any, probe: ToolProbe, hang_after: float) -> Outcome:
    from mcp import MCPError

    start = time.perf_counter()

    def outcome(kind: str, status: str, message: str) -> Outcome:
        return Outcome(DOOR, probe.label, kind, status, message,
                       time.perf_counter() - start, probe.accepted)

    try:
        result = await asyncio.wait_for(_send(session, probe), hang_after)
    except asyncio.TimeoutError:
        return outcome("hang", "-", f"no reply within {hang_after:g} s")
    except MCPError as exc:
        if exc.code == CONNECTION_CLOSED:
            return outcome("crash", str(exc.code), exc.message)
        return outcome("clear" if is_clear(exc.message) else "unclear", str(exc.code),
                       exc.message)
    except Exception as exc:  # the client's stream broke: the server is gone
        return outcome("crash", "-", f"{type(exc).__name__}: {exc}")
    if probe.method:
        return outcome("accepted", "result", str(result)[:120])
    return outcome(*_tool_outcome(probe, result))


async def _session(settings, hang_after: float, errlog: Any) -> list[Outcome]:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    params = StdioServerParameters(command=sys.executable, args=["-m", "assistant", "mcp"],
                                   env=server_env(settings), cwd=str(REPO))
    async with stdio_client(params, errlog=errlog) as (read, write), \
            ClientSession(read, write) as session:
        await asyncio.wait_for(session.initialize(), START_S)
        outcomes = [await _one(session, probe, hang_after) for probe in MCP_PROBES]
        alive = await _one(session, _search("still answering afterwards", ALIVE, query=_Q,
                                            k=2), hang_after)
        if alive.outcome == "accepted" and '"hits"' not in alive.message:
            alive = Outcome(DOOR, alive.label, "crash", alive.status, "no hits came back")
        return [*outcomes, alive]


def run_mcp(settings, hang_after: float = 15.0) -> list[Outcome]:
    """Every ``MCP_PROBES`` call, then the liveness call, in one server process."""
    log = Path(tempfile.gettempdir()) / f"bench_mcp_malformed_{os.getpid()}.log"
    budget = START_S + hang_after * (len(MCP_PROBES) + 1)
    with log.open("w") as errlog:
        try:
            return asyncio.run(asyncio.wait_for(_session(settings, hang_after, errlog), budget))
        except (asyncio.TimeoutError, OSError) as exc:
            raise RuntimeError(f"the MCP server did not run ({type(exc).__name__}); its log:\n"
                               f"{log.read_text()[-2000:]}") from exc
