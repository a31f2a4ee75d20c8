"""Serve: the ``Assistant`` over the network: REST, the OpenAI-compatible ``/v1``, MCP.

``bootstrap`` is the one way to open a warm ``Assistant`` (index ensured, query threads set,
models loaded), used by ``app.py``, ``http`` and ``mcp``; ``schemas`` holds the request
filters every endpoint shares; ``backends`` the rule for which backends a request may pick.
``http`` is the FastAPI app (REST, with ``openai_api`` mounted under ``/v1``); ``mcp`` the
MCP server over stdio. FastAPI, uvicorn and the MCP SDK are imported only when an app or
server is created.
"""
