"""Answer: from a question to an ``Answer`` with verified citations, an honest gap, or a
plain refusal.

The ``Assistant`` (``assistant``) runs the flow: ``understand`` turns a follow-up into a
standalone ``Query``; the ``Retriever`` searches (each part on its own too, ``parts``);
``evidence`` refuses outright when no hit is close enough (the measured thresholds live
there); otherwise the reading stage (``reading``, weighing sentences with ``weighing``,
``facts`` and ``constraints``) finds the sentences that answer each part, or the gap
(``gaps``) where the archive does not say, and one ``Answerer`` (``answerer``: the
protocol, its ``Reply`` and the refusal) writes the answer: the ``extractive`` one composes
the reading (``compose``), the ``model`` one prompts a chat backend with the selected
sentences (``prompts``) and checks every cited sentence against its passage
(``citations``), falling back to the composed answer with a notice. ``references`` renders
the reference list under an answer. Imports the ``llm`` and ``search`` stages and the leaves.
"""
