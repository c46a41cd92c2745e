"""`hearth-cli ask`: ask files, folders or collections a question; the answer and its sources.

Files and folders named are indexed for this question only (in memory); a collection's index
in the chat database is brought up to date first (unchanged files are not read again). The
answer goes to stdout, then its sources, numbered as it cites them: file, page, line and the
passage. How it was answered and the files that could not be read go to stderr.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path

from engine.chat.engine import ChatEngine
from engine.commands.engine_choice import MODEL_HELP, open_engine
from engine.config import load_config
from engine.documents.ask import (
    PASSAGES_SEARCHED,
    Answered,
    AnswerRouted,
    AnswerText,
    Route,
    ask,
)
from engine.documents.collections import DocumentIndex, IndexDone
from engine.documents.reading import Document
from engine.documents.retrieval import Hit
from engine.documents.summarize import SummaryOptions
from engine.errors import DocumentError
from engine.host.client import HostRuntime
from engine.paths import app_paths


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "ask", help="ask documents a question: the answer with its sources",
        description="Answers a question from files, folders or collections, citing passages.")
    parser.add_argument("sources", nargs="+", metavar="FILE_OR_COLLECTION",
                        help="files, folders, or names of collections (hearth-cli collections)")
    parser.add_argument("question", help="the question")
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--whole", action="store_const", const=Route.WHOLE, dest="route",
                     help="answer from the whole text, read in parts (slow on long texts)")
    how.add_argument("--passages", action="store_const", const=Route.PASSAGES, dest="route",
                     help="answer from the passages search finds")
    parser.add_argument("--model", help=MODEL_HELP)
    parser.add_argument("--seed", type=int, help="a fixed seed for a reproducible answer")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    paths = app_paths()
    config = load_config(paths.settings_file).config
    files = [Path(source) for source in args.sources if Path(source).exists()]
    names = [source for source in args.sources if not Path(source).exists()]
    # One engine host for the search model and a local chat model: one llama.cpp at work.
    host = HostRuntime(paths.safe_configs_file)
    stored = DocumentIndex.open_for(paths, host) if names else None
    scratch = DocumentIndex.open_for(paths, host, Path(":memory:")) if files else None
    try:
        searched: list[tuple[DocumentIndex, list[int]]] = []
        if stored is not None:
            ids = [stored.collection(name).id for name in names]
            for collection_id in ids:
                _index(stored, collection_id)
            searched.append((stored, ids))
        if scratch is not None:
            collection = scratch.create("files")
            scratch.add_sources(collection.id, files)
            _index(scratch, collection.id)
            searched.append((scratch, [collection.id]))
        # Ranked together by relevance (coverage and similarity compare across indexes).
        hits = sorted((hit for index, ids in searched
                       for hit in index.search(ids, args.question, PASSAGES_SEARCHED)),
                      key=lambda hit: -hit.relevance)[:PASSAGES_SEARCHED]
        whole = [document for index, ids in searched for document in index.documents(ids)]
        if not whole:
            raise DocumentError("None of the documents could be read, so there is nothing to "
                                "search.")
        engine = open_engine(args.model, config, paths, host)
        try:
            return _answer(engine, args, hits, whole)
        finally:
            engine.close()
    finally:
        for index in (stored, scratch):
            if index is not None:
                index.close()
        host.stop()


def _answer(engine: ChatEngine, args: argparse.Namespace, hits: list[Hit],
            whole: list[Document]) -> int:
    options = SummaryOptions(seed=args.seed)
    for event in ask(engine, args.question, hits, whole, threading.Event(), args.route,
                     options):
        if isinstance(event, AnswerRouted) and event.route is Route.WHOLE:
            print("Reading the whole text…", file=sys.stderr, flush=True)
        elif isinstance(event, AnswerText):
            sys.stdout.write(event.text)
            sys.stdout.flush()
        elif isinstance(event, Answered):
            sys.stdout.write("\n")
            _sources(event)
            other = "--passages" if event.route is Route.WHOLE else "--whole"
            print(f"{event.note} The other way: {other}.", file=sys.stderr)
    return 0


def _sources(answer: Answered) -> None:
    for quote in answer.unverified:
        print(f"Not found word for word in the sources: “{quote}”")
    if answer.citations:
        print("\nSources:")
    for citation in answer.citations:
        passage = "\n".join(f"    {line}" for line in citation.text.splitlines())
        print(f"[{citation.number}] {citation.where()}\n{passage}")


def _index(index: DocumentIndex, collection_id: int) -> None:
    for event in index.reindex(collection_id):
        if isinstance(event, IndexDone):
            for _path, reason in event.failed:
                print(f"hearth-cli: skipped: {reason}", file=sys.stderr)
