"""The package's structure, held as tests: the layers contract, no import cycles, and a light
``import assistant`` (../shared/DESIGN.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("assistant", cache_dir=None)


def test_layers_contract_holds(capsys, monkeypatch):
    """import-linter's contracts in .importlinter: each stage imports only the stages before
    it in data-flow order, and the model backends know nothing of the index."""
    from importlinter.cli import lint_imports

    monkeypatch.chdir(REPO)
    status = lint_imports(config_filename=str(REPO / ".importlinter"), no_cache=True)
    report = capsys.readouterr().out
    assert status == 0, report[-4000:]
    assert " 0 broken" in report


def test_function_local_imports_are_in_the_graph(graph):
    """The contract would be blind to lazy imports if grimp missed them: the model backends
    are imported inside a function (so ``import assistant`` stays light), and still show."""
    imported = graph.find_modules_directly_imported_by("assistant.answer.assistant")
    assert any(name.startswith("assistant.llm") for name in imported)


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    modules = sorted(m for m in graph.modules if m.startswith("assistant."))
    edges = {m: sorted(n for n in graph.find_modules_directly_imported_by(m)
                       if n.startswith("assistant.")) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(edges.get(child, ()))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_no_import_cycles_anywhere_in_the_package(graph):
    """Not between stages (the contract) and not between two modules of one stage either,
    function-local imports included. The root package is left out: it only re-exports."""
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle():
    class Toy:
        modules = frozenset({"assistant.a", "assistant.b", "assistant.c"})

        @staticmethod
        def find_modules_directly_imported_by(name):
            return {"assistant.a": {"assistant.b"}, "assistant.b": {"assistant.a"},
                    "assistant.c": {"assistant.a"}}[name]

    assert _cycles(Toy()) == [["assistant.a", "assistant.b"]]


def test_import_assistant_is_light():
    code = ("import sys, assistant; heavy = {'gradio', 'fastapi', 'mcp', 'torch', "
            "'sentence_transformers', 'llama_cpp', 'onnxruntime', 'faiss', 'uvicorn', "
            "'httpx', 'pydantic', 'yaml', 'markdown_it'}; "
            "mine = {'assistant.llm.factory', 'assistant.llm.openai_compat', "
            "'assistant.llm.llamacpp', 'assistant.ui.page', 'assistant.serve.http'}; "
            "print(sorted(heavy & {m.split('.')[0] for m in sys.modules}), "
            "sorted(mine & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=120, check=True).stdout.strip()
    assert out == "[] []"  # no third-party weight, and no backend module until one is used
