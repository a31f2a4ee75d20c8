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


def _on_tensors(features: dict, fn: Callable) -> dict:
    """``features`` with ``fn`` applied to its tensors (masks, ids), other values as they are."""
    import torch

    return {k: fn(v) if isinstance(v, torch.Tensor) else v for k, v in features.items()}


class _Prefetch:
    """Iterate for ``(indices, features)``: batches tokenized ahead by a worker thread."""

    def __init__(self, model, texts: Sequence[str], batches: list[list[int]], pin: bool,
                 lock: threading.Lock, depth: int = 3) -> None:
        self.model, self.texts, self.batches = model, texts, batches
        self.pin, self.lock = pin, lock
        self.out: queue.Queue = queue.Queue(maxsize=depth)
        self.stop = threading.Event()

    def _work(self) -> None:
        try:
            for idx in self.batches:
                if self.stop.is_set():
                    return
                with self.lock:
                    features = self.model.preprocess([self.texts[i] for i in idx])
                if self.pin:
                    features = _on_tensors(features, lambda v: v.pin_memory())
                self.out.put((idx, features))
            self.out.put(_DONE)
        except BaseException as exc:  # handed to the consumer, re-raised there
            self.out.put(exc)

    def __iter__(self) -> Iterator[tuple[list[int], dict]]:
        thread = threading.Thread(target=self._work, name="embed-tokenize", daemon=True)
        thread.start()
        try:
            while (item := self.out.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.stop.set()
            while thread.is_alive():  # unblock a worker waiting on a full queue
                try:
                    self.out.get_nowait()
                except queue.Empty:
                    thread.join(timeout=0.05)


class _DeviceRun:
    """The device side of one ``encode_sorted`` call: on CUDA, inputs copied on a side stream
    and results copied back through pinned buffers, landed a batch late so nothing waits."""

    def __init__(self, model, out: np.ndarray, progress: Callable[[int], None] | None) -> None:
        import torch

        self.model, self.out, self.progress = model, out, progress
        self.device = next(model.parameters()).device
        self.cuda = self.device.type == "cuda"
        self.copy_stream = torch.cuda.Stream(self.device) if self.cuda else None
        self.pending: list[tuple[list[int], torch.Tensor, object]] = []

    def stage(self, features: dict) -> tuple[dict, object]:
        """Start copying ``features`` to the device; returns them and the copy's event."""
        import torch

        if not self.cuda:
            return features, None
        with torch.cuda.stream(self.copy_stream):
            moved = _on_tensors(features, lambda v: v.to(self.device, non_blocking=True))
            ready = torch.cuda.Event()
            ready.record(self.copy_stream)
        return moved, ready

    def forward(self, features: dict, ready: object):
        """Unit vectors for staged ``features`` once their copy (``ready``) is done."""
        import torch

        if ready is not None:
            current = torch.cuda.current_stream(self.device)
            current.wait_event(ready)
            for value in features.values():
                if isinstance(value, torch.Tensor):
                    value.record_stream(current)  # the copy stream's memory is in use here
        vectors = self.model(features)["sentence_embedding"].float()
        return torch.nn.functional.normalize(vectors, dim=1)

    def collect(self, idx: list[int], vectors) -> None:
        """Bring ``vectors`` back to ``out[idx]``: at once on the CPU, a batch late on CUDA."""
        import torch

        if not self.cuda:
            self._land(idx, vectors.cpu(), None)
            return
        host = torch.empty(vectors.shape, dtype=torch.float32, pin_memory=True)
        host.copy_(vectors, non_blocking=True)
        done = torch.cuda.Event()
        done.record()
        self.pending.append((idx, host, done))
        if len(self.pending) > 1:
            self._land(*self.pending.pop(0))

    def finish(self) -> None:
        for item in self.pending:
            self._land(*item)
        self.pending.clear()

    def _land(self, idx: list[int], host, done: object) -> None:
        if done is not None:
            done.synchronize()
        self.out[idx] = host.numpy()
        if self.progress:
            self.progress(len(idx))


def encode_sorted(model, texts: Sequence[str], batch_size: int = 32,
                  progress: Callable[[int], None] | None = None,
                  lock: threading.Lock | None = None) -> np.ndarray:
    """Unit float32 vectors for ``texts`` (input order) from a SentenceTransformer ``model``.

    Runs in the model's device and dtype; ``progress(n)`` is called as each batch lands.
    """
    import torch

    out = np.empty((len(texts), _dimension(model)), dtype=np.float32)
    if not texts:
        return out
    run = _DeviceRun(model, out, progress)
    batches = length_sorted_batches(texts, batch_size)
    model.eval()
    with torch.inference_mode():
        stream = iter(_Prefetch(model, texts, batches, pin=run.cuda,
                                lock=lock or threading.Lock()))
        nxt = next(stream, None)
        staged = run.stage(nxt[1]) if nxt else None
        while nxt is not None:
            idx, (features, ready) = nxt[0], staged
            nxt = next(stream, None)
            staged = run.stage(nxt[1]) if nxt else None  # overlaps the forward below
            run.collect(idx, run.forward(features, ready))
        run.finish()
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
