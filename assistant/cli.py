"""Command line: ``python -m assistant index | import | search | ask | stats | eval | serve |
mcp``."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

from assistant.settings import Settings

__all__ = ["main"]


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(corpus_dir=getattr(args, "corpus", None),
                             index_dir=getattr(args, "index", None),
                             cluster=getattr(args, "cluster", None))


def _add_cluster(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cluster", metavar="ADDRESS",
                        help="a Ray cluster's head, host:port: use the sharded index served "
                             "there (default: $ASSISTANT_CLUSTER; none: this machine's index)")


def _add_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", help="only passages dated on or after YYYY-MM-DD")
    parser.add_argument("--until", help="only passages dated on or before YYYY-MM-DD")
    parser.add_argument("--kind", choices=["post", "comment", "both"], help="posts or comments")
    parser.add_argument("--author", help="only comments (or posts) by this author")


def _verify_index(settings: Settings, as_json: bool) -> int:
    """``index --verify``: every file of the published version against its manifest's size
    and sha256, changing nothing; 0 when they match (or are unknown), 1 when corrupt."""
    from assistant.index import IndexNotFoundError
    from assistant.index.integrity import REPAIR, current_folder, verify_version

    version = current_folder(settings.index_dir)
    if version is None:
        raise IndexNotFoundError(f"no index in {settings.index_dir}: build one with "
                                 "`python -m assistant index`")
    checked = verify_version(version, checksums=True)
    where = f"{version.parent.name}/{version.name}"
    if as_json:
        print(json.dumps({"version": version.name, "ok": checked.ok, "files": checked.files,
                          "hashed": checked.hashed, "unknown": list(checked.unknown),
                          "problems": [p.__dict__ for p in checked.problems]}, indent=2))
    elif not checked.ok:
        print(f"{where} is corrupt:")
        for problem in checked.problems:
            print(f"  {problem}")
        print(REPAIR)
    elif checked.unknown:
        print(f"checked {where}: {checked.files} files, sizes match; sha256 unknown for "
              f"{len(checked.unknown)} (its manifest predates checksums; "
              "`python -m assistant index --rebuild` records them)")
    else:
        print(f"verified {where}: {checked.files} files, sizes and sha256 match")
    return 0 if checked.ok else 1


def _cmd_index(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if settings.cluster and not args.verify:
        return _build_on_cluster(settings, args)
    if args.verify:
        return _verify_index(settings, args.json)
    return _build(settings, rebuild=args.rebuild, as_json=args.json)


def _cmd_import(args: argparse.Namespace) -> int:
    from assistant.ingest.importing import import_path

    settings = _settings(args)
    done = import_path(args.path, settings.corpus_dir, replace=args.replace,
                       max_bytes=settings.max_file_bytes)
    if not args.json:
        where = Path(settings.corpus_dir) / done.folder
        print(f"imported {args.path} into {where}: {len(done.copied)} files copied"
              + (f", {len(done.unchanged)} already there" if done.unchanged else ""))
        for relative, reason in done.not_taken:
            print(f"  not copied {relative}  ({reason})")
    return _build(settings, rebuild=False, as_json=args.json)


def _build(settings: Settings, *, rebuild: bool, as_json: bool) -> int:
    """Build or update the index (``index`` and ``import``), printing its report."""
    import sqlite3

    from tqdm import tqdm

    from assistant.index import build

    bar = None

    def progress(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:  # rate (chunks/s) and time left from tqdm's smoothed average
            bar = tqdm(total=total, unit=" chunks", unit_scale=True, desc="embedding",
                       disable=as_json, file=sys.stderr, smoothing=0.1,
                       bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                                  "[{elapsed}<{remaining}, {rate_fmt}]")
        bar.update(done - bar.n)

    try:  # looked up when called, so that tests can give the build a fake embedder
        report = build.build_index(settings.corpus_dir, settings.index_dir, settings=settings,
                                   rebuild=rebuild, progress=progress)
    except sqlite3.DatabaseError as exc:  # a version older than checksums, damaged
        raise RuntimeError(f"the index's chunk store could not be read ({exc}): rebuild it "
                           "with `python -m assistant index --rebuild`") from exc
    finally:
        if bar is not None:
            bar.close()
    if as_json:
        print(json.dumps(report.as_dict(), indent=2))
        return 0
    for note in report.notes:
        print(f"note: {note}")
    for f in report.files:
        if f.status == "attached":  # comment files, one per comment: counted in the summary
            continue
        detail = f"{f.posts} posts, {f.chunks} chunks" if f.status != "skipped" else f.reason
        print(f"  {f.status:<9} {f.source}" + (f"  ({detail})" if detail else ""))
    print(report.summary())
    if not report.published:
        print(f"index in {settings.index_dir} is up to date")
    return 0


def _build_on_cluster(settings: Settings, args: argparse.Namespace) -> int:
    """``index --cluster``: the sharded index, built on the cluster (``cluster.ingest``)."""
    from assistant.cluster.ingest import index_on_cluster

    report = index_on_cluster(settings.cluster, settings.corpus_dir, settings.index_dir,
                              settings=settings, shards=args.shards, embedders=args.embedders,
                              rebuild=args.rebuild)
    if args.json:
        print(json.dumps({"shards": report.shards, "shards_written": report.shards_written,
                          "chunks_embedded": report.chunks_embedded,
                          "chunks_total": report.chunks_total, "seconds": report.seconds,
                          "stages": report.stages, "versions": report.versions,
                          "files": [f.__dict__ for f in report.files]}, indent=2))
        return 0
    for f in report.files:
        if f.status not in ("attached", "unchanged"):
            print(f"  {f.status:<9} {f.source}" + (f"  ({f.reason})" if f.reason else ""))
    print(report.summary())
    return 0


def _cmd_cluster(args: argparse.Namespace) -> int:
    """``cluster deploy|stop``: the shards served by Ray Serve, or no longer."""
    from assistant.cluster.service import deploy, undeploy
    from assistant.index.shards import ClusterManifest

    settings = _settings(args)
    if not settings.cluster:
        raise ValueError("name the cluster: --cluster HOST:PORT (or ASSISTANT_CLUSTER)")
    manifest = ClusterManifest.read(Path(settings.index_dir))
    if manifest is None:
        raise FileNotFoundError(f"no cluster index in {settings.index_dir}: build one with "
                                "`python -m assistant index --cluster ADDRESS`")
    if args.action == "deploy":
        replicas = args.replicas or settings.cluster_replicas
        deploy(settings.cluster, settings.index_dir, manifest.shards, replicas)
        print(f"serving {manifest.shards} shards of {settings.index_dir} on "
              f"{settings.cluster}, {replicas} replicas each")
    else:
        undeploy(settings.cluster, manifest.shards)
        print(f"stopped serving the shards of {settings.index_dir} on {settings.cluster}")
    return 0


def _print_hits(hits, width: int = 100) -> None:
    from assistant.answer.references import TERMINAL, reference_line

    if not hits:
        print("no passages found")
    for n, hit in enumerate(hits, 1):
        print(reference_line(n, hit, TERMINAL))
        print(f"    score {hit.score:.4f}  cosine {hit.dense_score:.3f}")
        body = textwrap.shorten(hit.text, 420, placeholder=" …")
        print(textwrap.indent(textwrap.fill(body, width - 4), "    "))
        print()


def _open_retriever(settings: Settings):
    from assistant.runtime import configure_for_queries
    from assistant.serve.bootstrap import open_retriever

    configure_for_queries()  # this process answers queries: FAISS's threads, set once
    return open_retriever(settings)


def _cmd_search(args: argparse.Namespace) -> int:
    retriever = _open_retriever(_settings(args))
    hits = retriever.search(args.query, k=args.k, since=args.since, until=args.until,
                            kind=args.kind, author=args.author, mode=args.mode)
    if args.json:
        print(json.dumps([h.as_dict() for h in hits], indent=2, ensure_ascii=False))
    else:
        _print_hits(hits)
    return 0


def _cmd_stats(args: argparse.Namespace) -> int:
    stats = _open_retriever(_settings(args)).stats()
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    rows = [("posts", stats["posts"]), ("comments", stats["comments"]),
            ("chunks", stats["chunks"]),
            ("files", f"{stats['files_indexed']} indexed, {stats['files_skipped']} skipped"
                      + (f", {stats['files_attached']} comment files attached to their posts"
                         if stats.get("files_attached") else "")),
            ("model", f"{stats['embedding_model']} ({stats['embedding_dim']}-d)"),
            ("index size", f"{stats['index_bytes'] / 1e6:.1f} MB"),
            ("built at", stats["built_at"]), ("path", stats["path"])]
    for name, value in rows:
        print(f"{name:<11} {value}")
    _print_sources(stats)
    return 0


_SOURCES_SHOWN = 20  # the rest are summed up; ``stats --json`` lists every source


def _print_sources(stats: dict) -> None:
    """Per source, the posts and comments kept and what was left out, biggest first; then
    what every file left out and why files were skipped."""
    def left(counts: dict[str, int]) -> str:
        return ", ".join(f"{reason} {n}" for reason, n in counts.items())

    indexed = sorted((s for s in stats.get("sources", []) if s["status"] == "indexed"),
                     key=lambda s: (-s["posts"], s["source"]))
    if indexed:
        print(f"\n{'posts':>6} {'comments':>8}  source (left out)")
        for s in indexed[:_SOURCES_SHOWN]:
            extra = f"  ({left(s['left_out'])})" if s["left_out"] else ""
            print(f"{s['posts']:>6} {s['comments']:>8}  {s['source']}{extra}")
        if len(indexed) > _SOURCES_SHOWN:
            rest = indexed[_SOURCES_SHOWN:]
            print(f"{sum(s['posts'] for s in rest):>6} {sum(s['comments'] for s in rest):>8}"
                  f"  … {len(rest)} more sources")
    if stats.get("left_out"):
        print(f"\nleft out    {left(stats['left_out'])}")
    if stats.get("skipped_by_reason"):
        print(f"skipped     {left(stats['skipped_by_reason'])} (files)")


def _open_assistant(args: argparse.Namespace):
    """The CLI's light path: the index as it is (``index`` builds it), no warm-up search,
    since it answers one question and exits (servers use ``serve.bootstrap``)."""
    from assistant.answer.assistant import Assistant

    settings = _settings(args)
    kwargs = {}
    if getattr(args, "max_passages", None):
        kwargs["max_passages"] = args.max_passages
    return Assistant(_open_retriever(settings), backend=args.backend, settings=settings,
                     k=args.k, **kwargs)


def _print_answer(answer, width: int = 100) -> None:
    from assistant.answer.references import TERMINAL, references_block

    if answer.notice:
        print(f"note: {answer.notice}\n")
    print(textwrap.fill(answer.text, width))
    print()
    block = references_block(answer, TERMINAL)  # the cited passages, or the closest matches
    if block:
        print(block)
    if not answer.refused and answer.unsupported:
        print("Not supported by the cited passages:")
        for sentence in answer.unsupported:
            print(f"  - {sentence}")


def _cmd_ask(args: argparse.Namespace) -> int:
    assistant = _open_assistant(args)
    answer = assistant.ask(args.question, since=args.since, until=args.until, kind=args.kind,
                           author=args.author)
    if args.json:
        print(json.dumps(answer.as_dict(), indent=2, ensure_ascii=False))
    else:
        _print_answer(answer)
    return 0


def _cmd_eval(args: argparse.Namespace) -> int:
    from assistant.evaluation import (
        answer_metrics,
        as_asked,
        format_answer_table,
        format_kind_table,
        format_table,
        load_questions,
        retrieval_metrics,
    )

    questions = load_questions(*args.questions)
    assistant = _open_assistant(args)
    results = retrieval_metrics(assistant.retriever, questions, modes=args.modes)
    # as the assistant searches: follow-ups made standalone, implied filters applied
    asked_mode = "hybrid" if "hybrid" in args.modes else args.modes[0]
    results |= retrieval_metrics(assistant.retriever, questions, modes=[asked_mode],
                                 asked=as_asked(assistant), label=" as asked")
    answers = None
    if args.backend:
        chat, _ = assistant.resolve_backend()
        if chat is not None and hasattr(chat, "load"):
            chat.load()  # time answers, not loading the model

        def progress(record) -> None:
            if args.verbose:
                print(f"{record.id}: refused={record.refused} gap={record.gap} "
                      f"keywords={record.keywords_ok} "
                      f"first={record.first_token_s or 0:.2f}s  {record.text[:160]}",
                      file=sys.stderr)

        answers = answer_metrics(assistant, questions, progress=progress)
    if args.json:
        payload = {"retrieval": results}
        if answers is not None:
            payload["answers"] = answers
        print(json.dumps(payload, indent=2))
    else:
        print("Retrieval (a hit = a passage containing a gold evidence phrase; \"as asked\":"
              " searched as the assistant searches, follow-ups made standalone and implied"
              " filters applied)")
        print(format_table(results))
        if answers is not None:
            print()
            print("Answers")
            print(format_answer_table(answers["summary"], assistant.backend_name()))
            print()
            print(format_kind_table(answers["kinds"], assistant.backend_name()))
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        from assistant.serve.http import serve
    except ImportError as exc:
        raise RuntimeError(f"`serve` needs fastapi and uvicorn ({exc}): "
                           "pip install fastapi uvicorn") from exc
    serve(args.host, args.port, _settings(args), backend=args.backend)
    return 0


def _cmd_mcp(args: argparse.Namespace) -> int:
    try:
        from assistant.serve.mcp import run_stdio
    except ImportError as exc:
        raise RuntimeError(f"`mcp` needs the MCP SDK ({exc}): pip install mcp") from exc
    run_stdio(_settings(args), backend=args.backend)
    return 0


def _add_index_commands(sub) -> None:
    """``index`` (on this machine or ``--cluster``) and ``cluster deploy|stop``."""
    p = sub.add_parser("index", help="build or update the index from the corpus (a "
                                      "corrupt index is set aside and rebuilt)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--rebuild", action="store_true", help="ignore the existing index")
    what.add_argument("--verify", action="store_true",
                      help="compare every file with its recorded size and sha256; change "
                           "nothing (exit 1 if corrupt)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    _add_cluster(p)
    p.add_argument("--shards", type=int, help="with --cluster: shards to split the index "
                                              "into (default: $ASSISTANT_CLUSTER_SHARDS, 2)")
    p.add_argument("--embedders", type=int, default=0,
                   help="with --cluster: embedding actors (default: one per GPU, or per node)")
    p.set_defaults(func=_cmd_index)

    p = sub.add_parser("cluster", help="serve a cluster index's shards with Ray Serve "
                                        "(deploy), or stop serving them (stop)")
    p.add_argument("action", choices=["deploy", "stop"])
    _add_cluster(p)
    p.add_argument("--replicas", type=int,
                   help="replicas per shard (default: $ASSISTANT_CLUSTER_REPLICAS, 2)")
    p.set_defaults(func=_cmd_cluster)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description=__doc__)
    parser.add_argument("--corpus", type=Path, help="corpus folder (default: corpus/)")
    parser.add_argument("--index", type=Path, help="index folder (default: index/)")
    sub = parser.add_subparsers(dest="command", required=True)

    _add_index_commands(sub)

    p = sub.add_parser("import", help="copy a file, folder or zip (a blog export, a Google "
                                       "Takeout) into the corpus and update the index")
    p.add_argument("path", type=Path, help="what to import")
    p.add_argument("--replace", action="store_true",
                   help="overwrite files of an earlier import whose content differs")
    p.add_argument("--json", action="store_true", help="print the build report as JSON")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("search", help="retrieve passages")
    p.add_argument("query")
    p.add_argument("-k", type=int, default=5, help="number of passages (default 5)")
    p.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
    p.add_argument("--json", action="store_true", help="print hits as JSON")
    _add_filters(p)
    _add_cluster(p)
    p.set_defaults(func=_cmd_search)

    p = sub.add_parser("ask", help="answer a question with cited passages")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=5, help="passages to retrieve (default 5)")
    p.add_argument("--backend", help="extractive, llamacpp[:PATH] or openai:MODEL[@URL] "
                                     "(default: $ASSISTANT_BACKEND or extractive)")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    _add_filters(p)
    _add_cluster(p)
    p.set_defaults(func=_cmd_ask)

    p = sub.add_parser("stats", help="what the index holds")
    p.add_argument("--json", action="store_true")
    _add_cluster(p)
    p.set_defaults(func=_cmd_stats)

    p = sub.add_parser("eval", help="retrieval (and with --backend, answer) metrics")
    p.add_argument("questions", type=Path, nargs="+", help="questions files (JSONL)")
    p.add_argument("--backend", help="also answer every question with this backend and "
                                     "score the answers")
    p.add_argument("-k", type=int, default=5, help="passages retrieved per answer (default 5)")
    p.add_argument("--max-passages", type=int, help="passages put in a model's prompt")
    p.add_argument("-v", "--verbose", action="store_true", help="print each answer")
    p.add_argument("--modes", nargs="+", default=["dense", "bm25", "hybrid"],
                   choices=["dense", "bm25", "hybrid"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_eval)
    p = sub.add_parser("serve", help="HTTP API: REST and OpenAI-compatible /v1")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--backend", help="default backend (default: $ASSISTANT_BACKEND)")
    _add_cluster(p)
    p.set_defaults(func=_cmd_serve)

    p = sub.add_parser("mcp", help="MCP server over stdio (search_archive, ask_archive)")
    p.add_argument("--backend", help="backend for ask_archive (default: $ASSISTANT_BACKEND)")
    _add_cluster(p)
    p.set_defaults(func=_cmd_mcp)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from assistant.index import IndexMismatchError, IndexNotFoundError
    from assistant.llm import BackendError

    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, IndexNotFoundError, IndexMismatchError,
            RuntimeError, BackendError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
