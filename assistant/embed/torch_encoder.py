"""Throughput path for the sentence-transformers model, on CUDA or the CPU.

Texts are sorted by length and cut into batches padded only to their own longest member. A
worker thread tokenizes the next batches (the Rust tokenizer runs without the GIL) into
pinned memory while the device computes; on CUDA the host-to-device copies run on a side
stream, the model runs in fp16, and results come back through pinned buffers a batch late
so nothing waits. The same code runs on the CPU in fp32. Vectors return in input order.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence

import numpy as np

__all__ = ["CUDA_BATCH_SIZE", "TorchEncoder", "encode_sorted", "length_sorted_batches"]

CUDA_BATCH_SIZE = 512
_DONE = object()


def length_sorted_batches(texts: Sequence[str], batch_size: int) -> list[list[int]]:
    """Indices of ``texts`` in batches of similar length, longest first (OOM shows at once)."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def _prefetch(model, texts: Sequence[str], batches: list[list[int]], pin: bool,
              lock: threading.Lock, depth: int = 3) -> Iterator[tuple[list[int], dict]]:
    """Yield ``(indices, features)`` tokenized ahead by a worker thread."""
    import torch

    out: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for idx in batches:
                if stop.is_set():
                    return
                with lock:
                    features = model.preprocess([texts[i] for i in idx])
                if pin:
                    features = {k: v.pin_memory() if isinstance(v, torch.Tensor) else v
                                for k, v in features.items()}
                out.put((idx, features))
            out.put(_DONE)
        except BaseException as exc:  # handed to the consumer, re-raised there
            out.put(exc)

    thread = threading.Thread(target=work, name="embed-tokenize", daemon=True)
    thread.start()
    try:
        while True:
            item = out.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a worker waiting on a full queue
            try:
                out.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)


def encode_sorted(model, texts: Sequence[str], batch_size: int = 32,
                  progress: Callable[[int], None] | None = None,
                  lock: threading.Lock | None = None) -> np.ndarray:
    """Unit float32 vectors for ``texts`` (input order) from a SentenceTransformer ``model``.

    Runs in the model's device and dtype; ``progress(n)`` is called as each batch lands.
    """
    import torch

    device = next(model.parameters()).device
    cuda = device.type == "cuda"
    dim = _dimension(model)
    out = np.empty((len(texts), dim), dtype=np.float32)
    if not texts:
        return out
    batches = length_sorted_batches(texts, batch_size)
    copy_stream = torch.cuda.Stream(device) if cuda else None
    pending: list[tuple[list[int], torch.Tensor, object]] = []

    def to_device(features: dict) -> tuple[dict, object]:
        if not cuda:
            return features, None
        with torch.cuda.stream(copy_stream):
            moved = {k: v.to(device, non_blocking=True) if isinstance(v, torch.Tensor) else v
                     for k, v in features.items()}
            ready = torch.cuda.Event()
            ready.record(copy_stream)
        return moved, ready

    def land(idx: list[int], host: torch.Tensor, done: object) -> None:
        if done is not None:
            done.synchronize()
        out[idx] = host.numpy()
        if progress:
            progress(len(idx))

    model.eval()
    with torch.inference_mode():
        stream = _prefetch(model, texts, batches, pin=cuda, lock=lock or threading.Lock())
        nxt = next(stream, None)
        staged = to_device(nxt[1]) if nxt else None
        while nxt is not None:
            idx, (features, ready) = nxt[0], staged
            nxt = next(stream, None)
            staged = to_device(nxt[1]) if nxt else None  # overlaps the forward below
            if ready is not None:
                current = torch.cuda.current_stream(device)
                current.wait_event(ready)
                for value in features.values():
                    if isinstance(value, torch.Tensor):
                        value.record_stream(current)
            vectors = model(features)["sentence_embedding"].float()
            vectors = torch.nn.functional.normalize(vectors, dim=1)
            if cuda:
                host = torch.empty(vectors.shape, dtype=torch.float32, pin_memory=True)
                host.copy_(vectors, non_blocking=True)
                done = torch.cuda.Event()
                done.record()
                pending.append((idx, host, done))
                if len(pending) > 1:
                    land(*pending.pop(0))
            else:
                land(idx, vectors.cpu(), None)
        for item in pending:
            land(*item)
    return out


def _dimension(model) -> int:
    get_dim = getattr(model, "get_embedding_dimension", None) or \
        model.get_sentence_embedding_dimension
    return int(get_dim())


class TorchEncoder:
    """A SentenceTransformer on ``device``: fp16 with large batches on CUDA, fp32 on the CPU."""

    def __init__(self, path: str, device: str = "cpu", threads: int = 0) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if threads > 0 and not device.startswith("cuda"):
            torch.set_num_threads(threads)
        self.model = SentenceTransformer(path, device=device)
        self.device = device
        self.cuda = device.startswith("cuda")
        if self.cuda:
            self.model.half()
        self.dimension = _dimension(self.model)
        self._lock = threading.Lock()  # one user of the Rust tokenizer at a time

    @property
    def tokenizer(self):
        return self.model.tokenizer

    def encode(self, texts: Sequence[str], batch_size: int = 32,
               progress: Callable[[int], None] | None = None) -> np.ndarray:
        size = max(batch_size, CUDA_BATCH_SIZE) if self.cuda else batch_size
        return encode_sorted(self.model, texts, size, progress, lock=self._lock)

    def encode_query(self, text: str) -> np.ndarray:
        import torch

        with self._lock:
            features = self.model.preprocess([text])
        with torch.inference_mode():
            features = {k: v.to(self.model.device) if isinstance(v, torch.Tensor) else v
                        for k, v in features.items()}
            vector = self.model(features)["sentence_embedding"].float()
            vector = torch.nn.functional.normalize(vector, dim=1)
        return vector[0].cpu().numpy()
