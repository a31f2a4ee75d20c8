"""What the page says when something fails: a message a person understands, never a stack
trace; the details go to the server log. The page's chat, its archive tab and its API
endpoints (``api``) all say it through ``human_error``."""

from __future__ import annotations

import logging

from pydantic import ValidationError

from assistant.llm.base import BackendError

__all__ = ["human_error"]

log = logging.getLogger("assistant.ui")


def human_error(exc: BaseException) -> str:
    """A message a person understands; details go to the server log."""
    if isinstance(exc, ValidationError):  # a ValueError whose str() is pydantic's report
        return _invalid(exc)
    if isinstance(exc, (BackendError, ValueError)):  # written to be shown as they are
        return str(exc)
    log.exception("request failed")
    if isinstance(exc, (FileNotFoundError, RuntimeError)) and str(exc):
        return str(exc)
    return (f"Something went wrong ({type(exc).__name__}). The details are in the server "
            "log; the page still works, so try again or change the options.")


def _invalid(exc: ValidationError) -> str:
    """``kind: Input should be 'post', 'comment' or 'both' (got 'poems')``, one per field."""
    problems = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ())) or "input"
        got = repr(error.get("input"))
        got = got if len(got) <= 60 else got[:57] + "..."
        problems.append(f"{where}: {error.get('msg', 'invalid')} (got {got})")
    return "; ".join(problems) or str(exc)
