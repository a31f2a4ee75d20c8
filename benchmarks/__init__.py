"""Speed, scale and quality measurements that print tables; run from a checkout, not shipped
in the package (``pyproject.toml`` packages ``assistant*`` only).

    python -m benchmarks.corpus          the shipped corpus end to end, and 10k synthetic chunks
    python -m benchmarks.scale           synthetic archives of 10k-1M chunks (about 10 minutes)
    python -m benchmarks.ingest          memory of streamed builds, 100k and 1M chunks
    python -m benchmarks.parsing         build rate by number of parse workers
    python -m benchmarks.embedding       passages/s and query latency per embedding backend
    python -m benchmarks.http_search     GET /search under concurrent clients
    python -m benchmarks.chunking        retrieval quality across chunk sizes
    python -m benchmarks.injection       planted-instruction posts: canary leaks per backend
    python -m benchmarks.faults          model-server faults and malformed requests, timed

Shared: ``common`` (timing, peak memory, one subprocess per measurement, option parsing) and
``synthetic`` (synthetic archives whose vectors come from the package's ``FakeEmbedder``).
Synthetic rows are labelled FAKE wherever they are printed.
"""

__all__: list[str] = []
