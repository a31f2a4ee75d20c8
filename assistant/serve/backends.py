"""Which backends a request may choose: the security rule, enforced in this one place.

Requests never name arbitrary backends: a spec can point at any URL or file, and an
``openai:`` backend sends the server's API key to its URL. A request may pick
``extractive``, the server's default, or a spec the operator enabled.
"""

from collections.abc import Iterable

__all__ = ["allowed_backends", "check_backend"]


def allowed_backends(assistant, extra: Iterable[str] = ()) -> list[str]:
    """Backends a request may pick: ``extractive``, the server's default and ``extra``."""
    names = ["extractive", assistant.backend_name(), *(s.strip() for s in extra)]
    return list(dict.fromkeys(n for n in names if n))


def check_backend(requested: str | None, allowed: list[str], default: str = "") -> str | None:
    """``requested`` if this server enables it (None for the default); else ValueError."""
    if requested is None or not requested.strip() or requested.strip() == default:
        return None
    spec = requested.strip()
    if spec not in allowed:
        raise ValueError(f"backend {spec!r} is not enabled on this server; "
                         f"choose one of: {', '.join(allowed)}")
    return spec
