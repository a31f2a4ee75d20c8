"""What the page says when something fails: a message a person understands, never a stack
trace; the details go to the server log."""

from __future__ import annotations

import logging

from assistant.llm.base import BackendError

__all__ = ["human_error"]

log = logging.getLogger("assistant.ui")


def human_error(exc: BaseException) -> str:
    """A message a person understands; details go to the server log."""
    if isinstance(exc, (BackendError, ValueError)):  # written to be shown as they are
        return str(exc)
    log.exception("request failed")
    if isinstance(exc, (FileNotFoundError, RuntimeError)) and str(exc):
        return str(exc)
    return (f"Something went wrong ({type(exc).__name__}). The details are in the server "
            "log; the page still works, so try again or change the options.")
