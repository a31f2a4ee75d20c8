"""The page's "Answer with" controls and backend spec strings, both ways, and the header's
name for a backend (``assistant.llm`` specs: ``extractive``, ``llamacpp[:PATH]``,
``openai:MODEL[@URL]``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.llm.base import parse_spec

__all__ = [
    "BACKEND_CHOICES",
    "EXTRACTIVE",
    "LOCAL",
    "OPENAI",
    "BackendControls",
    "backend_label",
    "backend_spec",
    "page_choices",
]

EXTRACTIVE, LOCAL, OPENAI = "Extractive", "Local model", "OpenAI-compatible"
BACKEND_CHOICES = (EXTRACTIVE, LOCAL, OPENAI)


@dataclass(frozen=True)
class BackendControls:
    """What the page's backend controls show: the choice and its text fields."""

    choice: str = EXTRACTIVE
    model: str = ""
    url: str = ""
    gguf: str = ""

    @classmethod
    def from_spec(cls, spec: str) -> BackendControls:
        """The controls that give ``spec`` back (extractive for anything else)."""
        try:
            parsed = parse_spec(spec)
        except ValueError:
            return cls()
        if parsed.kind == "llamacpp":
            return cls(LOCAL, gguf=parsed.model or "")
        if parsed.kind == "openai":
            return cls(OPENAI, parsed.model or "", parsed.base_url or "")
        return cls()

    def spec(self) -> str:
        return backend_spec(self.choice, self.model, self.url, self.gguf)


def backend_spec(choice: str, model: str = "", url: str = "", gguf: str = "") -> str:
    """A backend spec string from the page's controls."""
    if choice == LOCAL:
        gguf = (gguf or "").strip()
        return f"llamacpp:{gguf}" if gguf else "llamacpp"
    if choice == OPENAI:
        model, url = (model or "").strip(), (url or "").strip()
        if not model:
            raise ValueError("Enter the model name the OpenAI-compatible server serves "
                             "(for example llama3).")
        return f"openai:{model}@{url}" if url else f"openai:{model}"
    return "extractive"


def backend_label(spec: str) -> str:
    """Human name of a backend spec, for the header line (the spec itself if unknown)."""
    try:
        parsed = parse_spec(spec)
    except ValueError:
        return spec
    if parsed.kind == "llamacpp":
        name = Path(parsed.model).name if parsed.model else "default model (Qwen2.5 1.5B)"
        return f"local model · {name}"
    if parsed.kind == "openai":
        return f"{parsed.model} at {parsed.base_url}"
    if parsed.kind == "extractive":
        return "extractive · quotes the passages, no language model"
    return spec


def page_choices(allowed: tuple[str, ...], allow_user: bool) -> tuple[str, ...]:
    """The "Answer with" options worth showing: extractive, and the kinds of backend the
    server enables (``serve.backends.BackendPolicy``), or all of them when visitors may type
    their own."""
    kinds = set()
    for spec in allowed:
        try:
            kinds.add(parse_spec(spec).kind)
        except ValueError:
            continue
    shown = {EXTRACTIVE: True, LOCAL: allow_user or "llamacpp" in kinds,
             OPENAI: allow_user or "openai" in kinds}
    return tuple(choice for choice in BACKEND_CHOICES if shown[choice])
