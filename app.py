"""Serve the browser chat over the blog archive: ``python app.py [--host H] [--port N]``.

Builds (or updates) the index when it is missing or stale, then launches the Gradio page
on http://127.0.0.1:7860. The answering backend comes from ``ASSISTANT_BACKEND`` unless
``--backend`` is given; it can also be changed on the page.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

__all__ = ["create_app", "main"]


def create_app(settings=None, backend: str | None = None, *, warm: bool = True):
    """The ``Assistant`` over ``settings.index_dir`` (built first when missing or stale) and
    its page (not yet launched); ``warm`` loads the models now, not on the first question."""
    from assistant.serve.bootstrap import open_assistant
    from assistant.settings import Settings
    from assistant.ui.page import build_app

    settings = settings or Settings.from_env()
    assistant = open_assistant(settings, backend, warm=warm)
    return assistant, build_app(assistant, settings)


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    parser = argparse.ArgumentParser(prog="app.py", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    parser.add_argument("--backend", help="backend spec: extractive, llamacpp[:PATH], "
                                          "openai:MODEL@URL (default: ASSISTANT_BACKEND)")
    parser.add_argument("--share", action="store_true",
                        help="also open a public Gradio share link (off by default)")
    args = parser.parse_args(argv)

    from assistant.settings import Settings
    from assistant.ui.page import launch_options

    settings = Settings.from_env()
    try:
        _, demo = create_app(settings, args.backend)
        options = launch_options(settings)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    options["share"] = bool(args.share)
    demo.queue(default_concurrency_limit=int(getattr(settings, "ui_concurrency", 4)),
               max_size=int(getattr(settings, "ui_queue_size", 64)))
    demo.launch(server_name=args.host, server_port=args.port, **options)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
