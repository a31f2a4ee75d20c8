"""Search: the ``Retriever`` over a built index, the surface every door sits on.

* ``filters`` — ``Filters`` (dates, posts or comments, author), validated once
* ``windows`` — lexical evidence: chunk BM25 blended with the best two-sentence window
* ``fusion`` — convex (the default) and reciprocal-rank fusion of dense and BM25 rankings
* ``novelty`` — a passage repeating matched sentences already shown moves down
* ``authorship`` — "who wrote …" questions bring in the signed passage of a guest piece
* ``dedupe`` — near-duplicate passages take one place in the results
* ``retriever`` — ``Retriever.open(index_dir)`` and ``search(query, k, since, until, kind,
  author, mode)``

Imports the ``index`` and ``embed`` stages and the leaves.
"""

from assistant.search.filters import Filters
from assistant.search.retriever import MAX_K, MODES, Retriever

__all__ = ["MAX_K", "MODES", "Filters", "Retriever"]
