"""Which backends a request may choose: the security rule, enforced here for every door.

Requests never name arbitrary backends: a spec can point at any URL or file, and an
``openai:`` backend sends the server's API key to its URL. A request (REST, /v1, the page)
may pick ``extractive``, the server's default, or a spec the operator listed in
``ASSISTANT_BACKENDS``. Only the page may go further, and only when the operator sets
``ASSISTANT_ALLOW_USER_BACKENDS``: then a visitor's URL or GGUF path is used, but as an
untrusted backend that is never given the server's key (a typed URL once received
``Bearer sk-…``). A refusal is decided on the spec string alone, before any file or URL is
touched, so it cannot tell a visitor whether a path exists on the server.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from assistant.settings import Settings

__all__ = ["BackendPolicy", "allowed_backends", "check_backend"]


def allowed_backends(assistant, extra: Iterable[str] = ()) -> list[str]:
    """Backends a request may pick: ``extractive``, the server's default and ``extra``."""
    names = ["extractive", _default_spec(assistant), *(s.strip() for s in extra)]
    return list(dict.fromkeys(n for n in names if n))


def _default_spec(assistant) -> str:
    """The assistant's default backend as a spec (an object standing in for one: its name)."""
    name = getattr(assistant, "backend_name", None)
    return name() if callable(name) else str(getattr(assistant, "backend", "extractive"))


def check_backend(requested: str | None, allowed: list[str], default: str = "") -> str | None:
    """``requested`` if this server enables it (None for the default); else ValueError."""
    if requested is None or not requested.strip() or requested.strip() == default:
        return None
    spec = requested.strip()
    if spec not in allowed:
        raise ValueError(f"backend {spec!r} is not enabled on this server; "
                         f"choose one of: {', '.join(allowed)}")
    return spec


@dataclass(frozen=True)
class BackendPolicy:
    """The backends one server enables: ``allowed`` specs, and whether the page may also
    use backends its visitors type (``allow_user``, never given the server's key)."""

    default: str
    allowed: tuple[str, ...]
    allow_user: bool = False

    @classmethod
    def of(cls, assistant, settings: Settings, extra: Iterable[str] = ()) -> BackendPolicy:
        listed = [spec for spec in settings.backends.split(",") if spec.strip()]
        allowed = allowed_backends(assistant, [*listed, *extra])
        return cls(_default_spec(assistant), tuple(allowed), settings.allow_user_backends)

    def check(self, requested: str | None) -> str | None:
        """For REST and /v1: ``requested`` when enabled (None for the default), else
        ValueError listing what is."""
        return check_backend(requested, list(self.allowed), self.default)

    def for_page(self, spec: str) -> tuple[str, bool]:
        """``(spec, trusted)`` for a spec the page's controls give; ValueError when refused.

        Trusted specs are the operator's (they may get the server's key); an untrusted one
        is a visitor's, allowed only with ``allow_user``."""
        spec = spec.strip()
        if spec in self.allowed:
            return spec, True
        if self.allow_user:
            return spec, False
        raise ValueError(
            f"This server answers with {', '.join(self.allowed)}; a model server or model "
            "file typed on the page is not used unless the operator allows it "
            "(ASSISTANT_BACKENDS lists extra backends, ASSISTANT_ALLOW_USER_BACKENDS=1 "
            "allows typed ones).")
