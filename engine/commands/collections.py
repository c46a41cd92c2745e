"""`hearth-cli collections add|list|rm|reindex`: named sets of files and folders to ask.

`add NAME PATH...` makes the collection if it is new, adds the paths and indexes them;
`reindex NAME` reads what changed on disk since (added, changed and removed files). Progress
and the files that could not be read go to stderr, each with its reason.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine.documents.collections import DocumentIndex, IndexDone, IndexProgress
from engine.errors import DocumentError
from engine.paths import app_paths


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("collections", help="named collections of documents to ask")
    actions = parser.add_subparsers(dest="action", required=True)
    add = actions.add_parser("add", help="add files and folders to a collection (made if new)")
    add.add_argument("name")
    add.add_argument("paths", nargs="+", type=Path)
    add.set_defaults(handler=_add)
    listing = actions.add_parser("list", help="the collections, or one collection's files")
    listing.add_argument("name", nargs="?")
    listing.set_defaults(handler=_list)
    remove = actions.add_parser("rm", help="remove a collection (the files stay on disk)")
    remove.add_argument("name")
    remove.set_defaults(handler=_remove)
    reindex = actions.add_parser("reindex", help="read what changed since the last indexing")
    reindex.add_argument("name")
    reindex.set_defaults(handler=_reindex)


def _open() -> DocumentIndex:
    # No chat model here: the search model gets an engine host of its own.
    return DocumentIndex.open_for(app_paths(), None)


def _add(args: argparse.Namespace) -> int:
    index = _open()
    try:
        try:
            collection = index.collection(args.name)
        except DocumentError:
            collection = index.create(args.name)
        index.add_sources(collection.id, args.paths)
        return _run_index(index, collection.id)
    finally:
        index.close()


def _reindex(args: argparse.Namespace) -> int:
    index = _open()
    try:
        return _run_index(index, index.collection(args.name).id)
    finally:
        index.close()


def _remove(args: argparse.Namespace) -> int:
    index = _open()
    try:
        index.remove(args.name)
        print(f"Removed the collection “{args.name}” (its files are untouched).")
        return 0
    finally:
        index.close()


def _list(args: argparse.Namespace) -> int:
    index = _open()
    try:
        if args.name is None:
            collections = index.collections()
            if not collections:
                print("No collections yet: hearth-cli collections add NAME FILE_OR_FOLDER...")
            for c in collections:
                failed = f", {c.failed} unreadable" if c.failed else ""
                print(f"{c.name}\t{c.files} files, {c.passages} passages{failed}")
            return 0
        collection = index.collection(args.name)
        for source in collection.sources:
            print(f"source: {source}")
        for file in index.files(collection.id):
            state = file.error or f"{file.passages} passages"
            print(f"{file.path}\t{state}")
        return 0
    finally:
        index.close()


def _run_index(index: DocumentIndex, collection_id: int) -> int:
    for event in index.reindex(collection_id):
        if isinstance(event, IndexProgress) and sys.stderr.isatty():
            sys.stderr.write(f"\r\033[Kindexing {event.done + 1} of {event.total}")
            sys.stderr.flush()
        elif isinstance(event, IndexDone):
            if sys.stderr.isatty():
                sys.stderr.write("\r\033[K")
            for _path, reason in event.failed:
                print(f"could not read: {reason}", file=sys.stderr)
            print(f"{event.added} added, {event.changed} changed, {event.removed} removed, "
                  f"{event.unchanged} unchanged, {len(event.failed)} unreadable "
                  f"({event.pages:,.0f} pages in {event.seconds:.1f} s)")
    return 0
