"""Speed, scale and quality measurements that print tables; run from a checkout, not shipped
in the package (``pyproject.toml`` packages ``assistant*`` only).

    python -m benchmarks.corpus          the shipped corpus end to end, and 10k synthetic chunks
    python -m benchmarks.scale           synthetic archives of 10k-1M chunks (about 10 minutes)
    python -m benchmarks.ingest          memory of streamed builds, 100k and 1M chunks
    python -m benchmarks.timeline        "when did X come up" charts on 100k and 1M chunks
    python -m benchmarks.parsing         build rate by number of parse workers
    python -m benchmarks.embedding       passages/s and query latency per embedding backend
    python -m benchmarks.http_search     GET /search under concurrent clients
    python -m benchmarks.chunking        retrieval quality across chunk sizes
    python -m benchmarks.injection       planted-instruction posts: canary leaks per backend
    python -m benchmarks.faults          model-server faults: who answers, with which notice, when
    python -m benchmarks.malformed       malformed inputs at REST, /v1, MCP, the Gradio API, uploads
    python -m benchmarks.probes          path probes at both servers: no file, key or canary leaks
    python -m benchmarks.kills           SIGKILL a build at 10 points: previous kept, resume timed
    python -m benchmarks.corruption      two damages per index file: detected, repaired, timed
    python -m benchmarks.sessions        20 concurrent canary sessions; a new version under load
    python -m benchmarks.trust           every attack and failure as one table (--quick in CI)

Shared: ``common`` (timing, peak memory, one subprocess per measurement, option parsing) and
``synthetic`` (synthetic archives whose vectors come from the package's ``FakeEmbedder``);
the door modules of ``malformed`` (``outcomes``, ``malformed_mcp``, ``malformed_page``,
``malformed_uploads``) and the probe list of ``probes`` (``probe_targets``); ``archive`` (a
corpus copy indexed through the real command line) for ``kills`` (its kill points:
``kill_points``) and ``corruption`` (its damages: ``damages``); the posts, chat clients and
version swap of ``sessions`` (``canaries``, ``chats``, ``fresh``).
Synthetic rows are labelled FAKE wherever they are printed.
"""

__all__: list[str] = []
