"""Build the int8 ONNX copy of the embedding model into the project cache, reproducibly.

    python -m assistant.embed.onnx_export                      # the packaged all-MiniLM-L6-v2
    python -m assistant.embed.onnx_export --model PATH         # any sentence-transformers folder

The transformer is exported with ``torch.onnx.export`` (TorchScript exporter, dynamic batch
and sequence axes), then quantised with ``onnxruntime.quantization.quantize_dynamic``
(signed int8 weights, per output channel: per-tensor scales lose too much, cosine 0.95
against torch). Pooling and L2 normalisation stay outside the graph (numpy, at inference).
The folder also holds the tokenizer files and ``export.json``: source paths and sha256s,
settings, library versions and the sha256 of the produced ``model.onnx``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from assistant.embed.model_files import (
    DEFAULT_MODEL,
    MANIFEST,
    MODEL_FILE,
    go_offline,
    int8_model_dir,
    resolve_model_path,
)
from assistant.hashing import sha256_file

__all__ = ["EXPORT_FORMAT", "OPSET", "build_int8_model", "is_valid_export", "main"]

EXPORT_FORMAT = 1
OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                    "vocab.txt", "sentence_bert_config.json")


def _source_weights(source: Path) -> list[Path]:
    """The weight files of a sentence-transformers folder (root or numbered sub-module)."""
    return [p for p in sorted(source.rglob("*")) if p.name in _WEIGHT_FILES and p.is_file()]


def _fingerprint(path: Path) -> dict[str, object]:
    stat = path.stat()
    return {"sha256": sha256_file(path), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _same_source(recorded: dict, source: Path) -> bool:
    """The source weights are those exported (size, then mtime or else sha256, per file)."""
    current = _source_weights(source)
    if sorted(str(p.relative_to(source)) for p in current) != sorted(recorded):
        return False
    for path in current:
        want = recorded[str(path.relative_to(source))]
        stat = path.stat()
        if stat.st_size != want["size"]:
            return False
        if stat.st_mtime_ns != want["mtime_ns"] and sha256_file(path) != want["sha256"]:
            return False
    return True


def is_valid_export(out_dir: Path | str, source: Path | str | None = None) -> bool:
    """True when ``out_dir`` holds a finished export whose model file matches its sha256
    (and, given ``source``, was exported from the weights now in that folder)."""
    out_dir = Path(out_dir)
    try:
        manifest = json.loads((out_dir / MANIFEST).read_text())
        if manifest.get("format") != EXPORT_FORMAT:
            return False
        if not (out_dir / "tokenizer.json").is_file():
            return False
        if source is not None and not _same_source(manifest["source"]["weights"],
                                                   Path(source)):
            return False
        return sha256_file(out_dir / MODEL_FILE) == manifest["output"]["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _encoder(auto_model):
    """The transformer as a module of the three BERT inputs -> last hidden state."""
    import torch

    class Encoder(torch.nn.Module):
        def __init__(self, inner) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    return Encoder(auto_model).eval()


def _pooling_mode(st) -> str:
    """"mean" or "cls" (or whatever else the model's Pooling module says)."""
    pooling = st[1] if len(st) > 1 else None
    if pooling is None:
        return "mean"
    config = pooling.get_config_dict()
    mode = config.get("pooling_mode")
    if mode is None:  # older sentence-transformers: one boolean per mode
        modes = [k for k in ("cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens")
                 if config.get(f"pooling_mode_{k}")]
        mode = ",".join(modes).replace("_tokens", "").replace("_token", "")
    if isinstance(mode, list | tuple):
        mode = ",".join(str(m) for m in mode)
    return str(mode)


def _copy_tokenizer(st, source: Path, out: Path) -> None:
    """Copy the source's own tokenizer files; save them from the tokenizer if it has none."""
    for folder in (source, source / "0_Transformer"):
        if (folder / "tokenizer.json").is_file():
            for name in _TOKENIZER_FILES:
                if (folder / name).is_file():
                    shutil.copyfile(folder / name, out / name)
            return
    st.tokenizer.save_pretrained(str(out))


def _dimension(st) -> int:
    get_dim = getattr(st, "get_embedding_dimension", None) or \
        st.get_sentence_embedding_dimension
    return int(get_dim() or 0)


def _load_source(model: str, source: Path):
    """The SentenceTransformer at ``source`` (on the CPU) and its pooling mode."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    st = SentenceTransformer(str(source), device="cpu")
    mode = _pooling_mode(st)
    if mode not in ("mean", "cls"):
        raise ValueError(f"{model!r} uses {mode!r} pooling; the ONNX path supports mean or cls")
    return st, mode


def _export_int8(st, work: Path) -> None:
    """``work/model.onnx``: the transformer exported to fp32 ONNX, then quantised to int8."""
    import warnings

    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    encoder = _encoder(st[0].auto_model)
    dummy = torch.ones((2, 16), dtype=torch.long)
    axes = {name: {0: "batch", 1: "sequence"} for name in (*_INPUTS, "last_hidden_state")}
    fp32 = work / "model.fp32.onnx"
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(encoder, (dummy, dummy, torch.zeros_like(dummy)), str(fp32),
                          input_names=list(_INPUTS), output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    root_logger = logging.getLogger()
    level = root_logger.level
    root_logger.setLevel(logging.ERROR)  # quantize_dynamic's "consider pre-processing" hint
    try:
        quantize_dynamic(str(fp32), str(work / MODEL_FILE), weight_type=QuantType.QInt8,
                         per_channel=True)
    finally:
        root_logger.setLevel(level)
    fp32.unlink()


def _manifest(st, model: str, source: Path, mode: str, work: Path) -> dict[str, object]:
    """What ``export.json`` records: source weights, settings, versions, output sha256."""
    import onnx
    import onnxruntime
    import torch

    return {
        "format": EXPORT_FORMAT,
        "source": {
            "model": model,
            "path": str(source),
            "weights": {str(p.relative_to(source)): _fingerprint(p)
                        for p in _source_weights(source)},
        },
        "max_seq_length": int(st.max_seq_length or 256),
        "pooling": mode,
        "normalize": True,
        "dimension": _dimension(st),
        "export": {"exporter": "torch.onnx.export(dynamo=False)", "opset": OPSET,
                   "quantization": "quantize_dynamic QInt8 per_channel"},
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__,
                     "onnxruntime": onnxruntime.__version__},
        "output": {"file": MODEL_FILE, "sha256": sha256_file(work / MODEL_FILE)},
    }


def _publish(work: Path, out_dir: Path) -> None:
    """Move the finished ``work`` folder to ``out_dir`` (replacing an invalid one)."""
    if out_dir.exists():
        shutil.rmtree(out_dir, ignore_errors=True)
    try:
        os.replace(work, out_dir)
    except OSError:  # another process finished first
        if not is_valid_export(out_dir):
            raise
        shutil.rmtree(work, ignore_errors=True)


def build_int8_model(model: str, out_dir: Path | str, *, force: bool = False,
                     quiet: bool = False) -> Path:
    """Export ``model`` to int8 ONNX in ``out_dir`` (skipped when already valid). Returns it."""
    out_dir = Path(out_dir)
    source = Path(resolve_model_path(model))
    if not force and is_valid_export(out_dir, source):
        return out_dir
    if not source.exists():
        raise FileNotFoundError(f"embedding model not found: {model!r} (no folder {source})")
    go_offline()
    st, mode = _load_source(model, source)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        _export_int8(st, work)
        _copy_tokenizer(st, source, work)
        work.chmod(0o755)
        manifest = _manifest(st, model, source, mode, work)
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        _publish(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if not quiet:
        print(f"int8 ONNX embedding model written to {out_dir}", file=sys.stderr)
    return out_dir


def main(argv: list[str] | None = None) -> int:
    """CLI: build (or check) the int8 ONNX embedding model; print its folder."""
    from assistant.settings import Settings

    parser = argparse.ArgumentParser(
        prog="python -m assistant.embed.onnx_export",
        description="Export the embedding model to int8 ONNX in <cache_dir>/models/.")
    parser.add_argument("--model", default=None,
                        help=f"model name or folder (default: settings, i.e. {DEFAULT_MODEL})")
    parser.add_argument("--cache-dir", type=Path, default=None,
                        help="cache folder (default: ASSISTANT_CACHE_DIR or .cache)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (overrides)")
    parser.add_argument("--force", action="store_true", help="rebuild even if present")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    model = args.model or settings.embedding_model
    out = args.out or int8_model_dir(args.cache_dir or settings.cache_dir, model)
    try:
        if not args.force and is_valid_export(out, resolve_model_path(model)):
            print(out)
            return 0
        build_int8_model(model, out, force=args.force)
    except (OSError, ValueError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
