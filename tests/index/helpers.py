"""What the index tests share: an embedder that is interrupted mid-build."""

from __future__ import annotations

from assistant.embed.fake import FakeEmbedder

__all__ = ["InterruptedEmbedder"]


class InterruptedEmbedder(FakeEmbedder):
    """The package's fake, stopped as by Ctrl-C on its ``on_call``-th batch (the batches
    before it were embedded and recorded, as a real build's checkpoints are)."""

    def __init__(self, on_call: int = 3) -> None:
        super().__init__()
        self.on_call = on_call
        self.calls = 0

    def embed_documents(self, texts, progress=None):
        self.calls += 1
        if self.calls == self.on_call:
            raise KeyboardInterrupt
        return super().embed_documents(texts, progress)
