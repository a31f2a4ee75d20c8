"""``python -m benchmarks.llama_kernels``: llama.cpp's raw prefill and generation speed, in
paired rounds, across model files, options and llama-cpp-python builds.

Each contender is a child process holding one loaded model (a GGUF file, ``LlamaOptions``
fields, and optionally another llama-cpp-python install put first on ``PYTHONPATH``, e.g.
one built with AVX-512). The parent lets one child work at a time, round after round
(A, B, A, B…): a prefill of one of the assistant's answer prompts (``--tokens`` of it, from
an empty KV cache), then 32 generated tokens. A busy machine slows neighbouring turns
alike, so the median per-round ratio against the first contender is the figure to read
where the absolute rates are noisy.

    python -m benchmarks.llama_kernels --index ../main/index                  # Q4_K_M, Q4_0
    python -m benchmarks.llama_kernels --index ../main/index \\
        --contender "avx2=default" --contender "avx512=default@/tmp/llama512"
    python -m benchmarks.llama_kernels --index ../main/index \\
        --contender "f16=default" --contender "fa=default:flash_attn=1"
    python -m benchmarks.llama_kernels --index ../main/index --perplexity   # quality

``--perplexity`` measures quality instead: each contender's perplexity over the passages of
the dev answer prompts (2,048 tokens in windows of 512, each window's second half scored),
and the share of tokens whose most likely next token differs from the first contender's.

A contender is ``NAME=FILE[:FIELD=VALUE,…][@PYTHONPATH]``; FILE is ``default`` (the
packaged Q4_K_M), ``q4_0`` or ``q8_0`` (``python -m assistant.llm.models --requantize``) or
a path.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import REPO, base_parser, note, run_cli

__all__ = ["Contender", "child", "main", "parse_contender"]

GENERATED = 32  # tokens timed one at a time after each prefill


class Contender:
    """One child process: a name, its model file, options and llama-cpp-python path."""

    def __init__(self, name: str, model: str, fields: dict[str, object], path: str) -> None:
        self.name, self.model, self.fields, self.path = name, model, fields, path
        self.proc: subprocess.Popen | None = None

    def start(self, tokens: list[int], perplexity: bool = False) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (self.path, str(REPO),
                                                        env.get("PYTHONPATH")) if p)
        config = json.dumps({"model": self.model, "fields": self.fields, "tokens": tokens,
                             "perplexity": perplexity})
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from benchmarks.llama_kernels import child; child()"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self._send(config)
        info = self._read()
        note(f"{self.name}: {info['system']}")

    def turn(self, what: str = "go") -> dict:
        self._send(what)
        return self._read()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait(timeout=60)

    def _send(self, line: str) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def _read(self) -> dict:
        assert self.proc is not None and self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"contender {self.name} died (see its stderr above)")
        return json.loads(line)


def parse_contender(text: str) -> Contender:
    """``NAME=FILE[:FIELD=VALUE,…][@PYTHONPATH]``."""
    name, _, rest = text.partition("=")
    rest, _, path = rest.partition("@")
    model, _, options = rest.partition(":")
    fields: dict[str, object] = {}
    for item in filter(None, options.split(",")):
        key, _, value = item.partition("=")
        fields[key] = int(value)
    if not name or not model:
        raise ValueError(f"bad contender {text!r}: NAME=FILE[:FIELD=VALUE,…][@PYTHONPATH]")
    return Contender(name, model, fields, path)


def _perplexity(llama, tokens: list[int], window: int = 512) -> dict[str, object]:
    """Perplexity of ``tokens`` (each window's second half scored) and the argmax tokens."""
    import numpy as np

    nll, scored, top = 0.0, 0, []
    for start in range(0, len(tokens) - window + 1, window):
        chunk = tokens[start:start + window]
        llama.reset()
        llama.eval(chunk)
        logits = np.asarray(llama.scores[:window], dtype=np.float64)
        for i in range(window // 2, window - 1):
            row = logits[i]
            peak = row.max()
            nll -= row[chunk[i + 1]] - peak - np.log(np.exp(row - peak).sum())
            top.append(int(row.argmax()))
            scored += 1
    return {"perplexity": float(np.exp(nll / scored)), "top": top}


def child() -> None:
    """A contender's process: load, then time a prefill and generation per "go" line (or
    answer "ppl" with ``_perplexity``)."""
    from assistant.llm.models import default_gguf_path, requantized_path

    config = json.loads(sys.stdin.readline())
    import llama_cpp

    from assistant.llm.llamacpp import LlamaOptions

    model = config["model"]
    path = (default_gguf_path() if model == "default" else
            requantized_path(model) if model in ("q4_0", "q8_0") else Path(model))
    kwargs = LlamaOptions(**config["fields"]).llama_kwargs()
    if config.get("perplexity"):
        kwargs["logits_all"] = True
    llama = llama_cpp.Llama(model_path=str(path), **kwargs)
    tokens = config["tokens"]
    print(json.dumps({"system": llama_cpp.llama_print_system_info().decode().strip()}),
          flush=True)
    for line in sys.stdin:
        if line.strip() == "ppl":
            print(json.dumps(_perplexity(llama, tokens)), flush=True)
            continue
        llama.reset()
        start = time.perf_counter()
        llama.eval(tokens)
        prefill = time.perf_counter() - start
        token = tokens[-1]
        start = time.perf_counter()
        for _ in range(GENERATED):
            llama.eval([token])
        generation = time.perf_counter() - start
        print(json.dumps({"prefill_tok_s": len(tokens) / prefill,
                          "generation_tok_s": GENERATED / generation}), flush=True)


def _prompt_tokens(index: Path, count: int, passages: bool = False) -> list[int]:
    """The first ``count`` tokens of the longest dev answer prompt, as Qwen reads it (or,
    with ``passages``, of all the answer prompts' user messages one after another)."""
    import llama_cpp

    from assistant.llm.models import default_gguf_path
    from assistant.llm.prompt_reuse import PromptCounter
    from benchmarks.local_model import EVAL_FILES, capture_requests

    requests = [r for q in capture_requests(index, list(EVAL_FILES), None)
                for r in q["requests"]]
    vocab = llama_cpp.Llama(model_path=str(default_gguf_path()), vocab_only=True,
                            verbose=False)
    if passages:
        text = "\n\n".join(r["messages"][-1]["content"] for r in requests)
        return vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False)[:count]
    counter = PromptCounter(vocab)
    return max((counter.tokens(r["messages"]) for r in requests), key=len)[:count]


def main(argv: list[str] | None = None) -> int:
    parser = base_parser("benchmarks.llama_kernels", __doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, default=None,
                        help="index folder (default: ASSISTANT_INDEX_DIR or index/)")
    parser.add_argument("--contender", action="append", default=[],
                        help="NAME=FILE[:FIELD=VALUE,…][@PYTHONPATH] (repeatable)")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=330,
                        help="prompt tokens per prefill (about what a dev answer prompt "
                             "evaluates with its system turn reused: 298 of 453 on average)")
    parser.add_argument("--perplexity", action="store_true",
                        help="quality: perplexity over the dev prompts' passages")
    args = parser.parse_args(argv)

    def body() -> int:
        from assistant.settings import Settings

        index = Path(args.index or Settings.from_env().index_dir)
        contenders = [parse_contender(c) for c in
                      (args.contender or ["q4_k_m=default", "q4_0=q4_0"])]
        if args.perplexity:
            return _quality(contenders, _prompt_tokens(index, 2048, passages=True))
        tokens = _prompt_tokens(index, args.tokens)
        before = os.getloadavg()[0]
        results: dict[str, list[dict[str, float]]] = {c.name: [] for c in contenders}
        try:
            for c in contenders:
                c.start(tokens)
            for n in range(args.rounds):
                for c in contenders[n % len(contenders):] + contenders[:n % len(contenders)]:
                    results[c.name].append(c.turn())
                note(f"round {n + 1}: " + ", ".join(
                    f"{name} {r[-1]['prefill_tok_s']:.1f}/{r[-1]['generation_tok_s']:.1f}"
                    for name, r in results.items()))
        finally:
            for c in contenders:
                c.stop()
        print(_table(results, len(tokens), (before, os.getloadavg()[0])))
        return 0

    return run_cli(body)


def _quality(contenders: list[Contender], tokens: list[int]) -> int:
    results = {}
    try:
        for c in contenders:
            c.start(tokens, perplexity=True)
            results[c.name] = c.turn("ppl")
            c.stop()
    finally:
        for c in contenders:
            if c.proc is not None and c.proc.poll() is None:
                c.stop()
    first = next(iter(results.values()))["top"]
    lines = [f"perplexity over {len(tokens)} tokens of the dev answer prompts' passages",
             "| contender | perplexity | next-token argmax differs from the first |",
             "|---|---:|---:|"]
    for name, r in results.items():
        differ = sum(a != b for a, b in zip(r["top"], first, strict=True)) / len(first)
        lines.append(f"| {name} | {r['perplexity']:.3f} | {differ:.1%} |")
    print("\n".join(lines))
    return 0


def _table(results: dict[str, list[dict[str, float]]], tokens: int,
           load: tuple[float, float]) -> str:
    first = next(iter(results.values()))
    lines = [f"{tokens}-token prefill, then {GENERATED} tokens; median of "
             f"{len(first)} rounds; load average {load[0]:.2f} before, {load[1]:.2f} after",
             "| contender | prefill tok/s | generation tok/s | prefill ratio | "
             "generation ratio |", "|---|---:|---:|---:|---:|"]
    for name, rounds in results.items():
        def med(key: str, rows=rounds) -> float:
            return statistics.median(r[key] for r in rows)

        def ratio(key: str, rows=rounds) -> float:
            return statistics.median(r[key] / f[key] for r, f in zip(rows, first, strict=True))

        lines.append(f"| {name} | {med('prefill_tok_s'):.1f} | {med('generation_tok_s'):.1f} "
                     f"| {ratio('prefill_tok_s'):.2f} | {ratio('generation_tok_s'):.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
