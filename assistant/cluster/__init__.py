"""Past one machine: ingestion and search on a Ray cluster, the project's index as the shard.

* ``nodes`` — connecting to a cluster; a loopback cluster of real nodes for tests and
  benchmarks (``LocalCluster``)
* ``ingest`` — ``index_on_cluster``: Ray Data parses and chunks, actor embedders embed, and
  each changed shard is written by the ordinary build code (``index.shards``)
* ``service`` — Ray Serve: one application per shard, ``ShardService`` replicas
* ``retriever`` — ``ClusterRetriever``: the router, with ``Retriever``'s ``search``

Ray is imported inside these modules only: ``import assistant`` stays free of it, and the
core install needs only the ``cluster`` extra to use them (README, "Past one machine").
"""

__all__: list[str] = []
