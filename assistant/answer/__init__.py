"""Answer: from a question to an ``Answer`` with verified citations, or a plain refusal.

The ``Assistant`` (``assistant``) runs the flow: ``understand`` turns a follow-up into a
standalone ``Query``; the ``Retriever`` searches; ``evidence`` refuses outright when no hit
is close enough (the measured thresholds live there); otherwise one ``Answerer``
(``answerer``: the protocol, its ``Reply`` and the refusal) writes the answer: the
``extractive`` one quotes the best passage sentences, the ``model`` one prompts a chat
backend (``prompts``) and checks every cited sentence against its passage (``citations``),
falling back to the extractive one with a notice. ``references`` renders the reference list
under an answer. Imports the ``llm`` and ``search`` stages and the leaves.
"""
