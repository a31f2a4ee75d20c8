"""UI: the Gradio page over an ``Assistant`` (``python app.py``), the last stage.

- ``page``: wiring (``build_app``, ``launch_options``); ``layout``: the panels, each a
  builder returning its components as a frozen record; ``static/``: stylesheet and scripts.
- Pure renderers, tested without Gradio: ``render`` (escaping, the answer with ``[n]``
  linked to its cards, the Markdown and text copies), ``cards`` (the sources panel, a gap
  answer's "not in the archive" note), ``messages`` (the chat message as it streams and
  when done), ``chips`` (the filters read from a question, as removable chips),
  ``reports`` (Archive tab).
- Callbacks: ``chat`` (one answer streamed, events dispatched by type; a chip removed
  asks the question again without its filter), ``archive``
  (uploads and re-indexing), ``api`` (the ``gradio_client`` endpoints ``/chat``,
  ``/search``, ``/ask``).
- Helpers: ``uploads`` (safe names, saving under ``corpus/uploads/``, re-indexing and
  swapping the retriever to the new version), ``backends`` (the backend controls and spec strings),
  ``errors`` (messages a person understands).

Reference lines come from ``assistant.answer.references``, shared with the CLI and ``/v1``.
Importing this package imports no Gradio; ``page``, ``layout``, ``chat``, ``archive`` and
``api`` do.
"""

import importlib

__all__ = ["build_app", "launch_options"]


def __getattr__(name: str) -> object:
    """``from assistant.ui import build_app`` (the page's entry points), loading Gradio only
    when asked for."""
    if name in __all__:
        return getattr(importlib.import_module("assistant.ui.page"), name)
    raise AttributeError(f"module 'assistant.ui' has no attribute {name!r}")
