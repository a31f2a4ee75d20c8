"""Embed: text -> unit vectors, for passages at build time and for each question.

- ``embedder``: the ``Embedder`` facade: picks a backend, loads it lazily and offline.
- ``torch_encoder``: sentence-transformers on CUDA (fp16) or the CPU; ``onnx_encoder``: the
  int8 ONNX copy on the CPU; ``onnx_export``: builds that copy
  (``python -m assistant.embed.onnx_export``).
- ``model_files``: where the weights and the export live; the backends and the export
  import it instead of each other, so the stage has no import circle.
- ``fake``: ``FakeEmbedder``, deterministic vectors from words, for tests and benchmarks.

Imports only the leaf modules; importing it loads no model and no torch.
"""

from assistant.embed.embedder import Embedder
from assistant.embed.fake import FakeEmbedder

__all__ = ["Embedder", "FakeEmbedder"]
