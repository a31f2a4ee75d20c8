"""Sentence embeddings from the int8 ONNX export: plain ``onnxruntime`` + ``tokenizers``."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from assistant.embed.model_files import MANIFEST, MODEL_FILE

__all__ = ["OnnxEncoder", "default_threads", "pool_and_normalize"]


def default_threads() -> int:
    """Threads for one inference: the cores this process may use, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def pool_and_normalize(hidden: np.ndarray, attention_mask: np.ndarray,
                       mode: str = "mean") -> np.ndarray:
    """Pool token vectors ``(batch, seq, dim)`` into unit-length float32 sentence vectors.

    ``mean`` averages the tokens the mask keeps (padding ignored); ``cls`` takes the first.
    """
    hidden = np.asarray(hidden, dtype=np.float32)
    if mode == "cls":
        pooled = hidden[:, 0]
    elif mode == "mean":
        mask = np.asarray(attention_mask, dtype=np.float32)[..., None]
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
    else:
        raise ValueError(f"unsupported pooling {mode!r}; expected 'mean' or 'cls'")
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)


class OnnxEncoder:
    """Runs a folder written by ``assistant.embed.onnx_export`` on the CPU.

    Texts run one at a time by default (``run_batch=1``): dynamic quantisation scales the
    activations of the whole input tensor at once, so in a padded batch a text's vector
    depends on its neighbours (cosine down to 0.987 against the same text alone). One at a
    time, a text always gets the same vector (documents and queries alike), no padding is
    computed, and it measured fastest on 2 cores. ``encode`` still reports progress per
    ``batch_size`` texts. Intra-op threads do not spin while idle (``spinning``), which on a
    busy 2-core machine doubled throughput at 2 threads.

    A single text (a query) runs on one session using every thread. Many texts run on
    ``threads`` single-threaded sessions side by side (onnxruntime releases the GIL): one
    small inference splits poorly across cores, and on 2 cores this measured 31–33
    passages/s against 21–28 for one two-thread session.
    """

    def __init__(self, model_dir: Path | str, threads: int = 0, spinning: bool = False,
                 run_batch: int = 1) -> None:
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        manifest = json.loads((model_dir / MANIFEST).read_text())
        self.model_dir = model_dir
        self.pooling = str(manifest.get("pooling", "mean"))
        self.max_seq_length = int(manifest.get("max_seq_length", 256))
        self.threads = threads if threads > 0 else default_threads()
        self.run_batch = max(1, run_batch)

        self.spinning = spinning
        self.session = self._session(self.threads)
        self._workers: list = []  # single-threaded sessions for many texts, made on first use
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.dimension = int(self.session.get_outputs()[0].shape[-1])

        tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        pad_token = _pad_token(model_dir)
        pad_id = tokenizer.token_to_id(pad_token)
        tokenizer.enable_truncation(max_length=self.max_seq_length)
        tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token=pad_token)
        self.tokenizer = tokenizer

    def _session(self, threads: int):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle workers that spin steal the core from whoever else runs (tokenizer, server, LLM).
        options.add_session_config_entry("session.intra_op.allow_spinning",
                                         "1" if self.spinning else "0")
        return ort.InferenceSession(str(self.model_dir / MODEL_FILE), options,
                                    providers=["CPUExecutionProvider"])

    def _parallel(self) -> tuple[ThreadPoolExecutor, list]:
        with self._lock:
            if self._pool is None:
                self._workers = [self._session(1) for _ in range(self.threads)]
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="onnx")
            return self._pool, self._workers

    def _run(self, texts: list[str], session=None) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask,
                 "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}
        feeds = {k: v for k, v in feeds.items() if k in self.input_names}
        hidden = (session or self.session).run(None, feeds)[0]
        return pool_and_normalize(hidden, mask, self.pooling)

    def encode(self, texts: Sequence[str], batch_size: int = 32,
               progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Unit vectors for ``texts`` in their order; ``progress(n)`` after each batch."""
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        parts = [order[i:i + self.run_batch] for i in range(0, len(order), self.run_batch)]
        if self.threads > 1 and len(parts) > 1:
            pool, workers = self._parallel()

            def run_share(chunk: list[list[int]], worker: int) -> None:
                for part in chunk[worker::len(workers)]:  # every n-th part on one session
                    out[part] = self._run([texts[i] for i in part], workers[worker])

            step = max(len(workers), batch_size // self.run_batch)
            for start in range(0, len(parts), step):
                chunk = parts[start:start + step]
                list(pool.map(run_share, [chunk] * len(workers), range(len(workers))))
                if progress:
                    progress(sum(len(p) for p in chunk))
            return out
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            for sub in range(0, len(idx), self.run_batch):
                part = idx[sub:sub + self.run_batch]
                out[part] = self._run([texts[i] for i in part])
            if progress:
                progress(len(idx))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        return self._run([text])[0]


def _pad_token(model_dir: Path) -> str:
    for name in ("special_tokens_map.json", "tokenizer_config.json"):
        try:
            value = json.loads((model_dir / name).read_text()).get("pad_token")
        except (OSError, ValueError):
            continue
        if isinstance(value, dict):
            value = value.get("content")
        if isinstance(value, str) and value:
            return value
    return "[PAD]"
