"""`hearth-cli models search | pull`: find GGUF models on the Hugging Face Hub and download one.

A pull continues from the bytes already on disk (after Ctrl-C, a cut connection or a crash),
checks the file against the Hub's sha256, and only then puts it among the installed models.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time

from engine.errors import ModelError
from engine.models.catalog import CATALOG
from engine.models.downloads import DownloadEvent, DownloadState, run_download
from engine.models.hub import QuantOption, repo_gguf_files, search_gguf
from engine.models.library import ModelLibrary
from engine.models.memory import format_bytes
from engine.paths import app_paths
from engine.remote.credentials import TokenStore

BAR_WIDTH = 28
PREFERRED_QUANTS = ("Q4_K_M", "Q4_K_S", "Q5_K_M", "Q4_0", "Q8_0")


def add_actions(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    search = actions.add_parser("search", help="search the Hugging Face Hub for GGUF models")
    search.add_argument("query", help="words in the repository name, e.g. qwen")
    search.add_argument("--recent", action="store_true", help="most recently updated first")
    search.add_argument("--limit", type=int, default=20, help="how many results (at most 100)")
    search.set_defaults(handler=run_search)
    pull = actions.add_parser("pull", help="download a model: REPO or REPO:QUANT or REPO:FILE")
    pull.add_argument("what", help="e.g. bartowski/Qwen2.5-3B-Instruct-GGUF:Q4_K_M")
    pull.set_defaults(handler=run_pull)


def run_search(args: argparse.Namespace) -> int:
    token = TokenStore(app_paths()).get()
    found = search_gguf(args.query, sort="recent" if args.recent else "downloads",
                        limit=args.limit, token=token)
    if not found:
        print(f"No GGUF repositories match {args.query!r}.")
        return 0
    width = max(len(repo.repo_id) for repo in found)
    for repo in found:
        updated = repo.last_modified.date().isoformat() if repo.last_modified else "?"
        gated = "  gated" if repo.gated else ""
        print(f"{repo.repo_id:<{width}}  {repo.downloads:>10,} downloads  updated {updated}"
              f"  {repo.license or ''}{gated}")
    return 0


def choose_option(repo_id: str, wanted: str | None, options: list[QuantOption]) -> QuantOption:
    """The file a pull means: the quantization or file named, else the catalog's recommended
    one, else a common 4-bit one; refuses with the choices when that is not clear."""
    if not options:
        raise ModelError(f"{repo_id} has no GGUF chat model files")
    choices = ", ".join(option.quant for option in options)
    if wanted:
        key = wanted.casefold().removesuffix(".gguf")
        for option in options:
            names = {option.quant.casefold(), option.name.casefold(),
                     *(file.path.casefold().removesuffix(".gguf") for file in option.files)}
            if key in names:
                return option
        raise ModelError(f"{repo_id} has no {wanted!r}; choose one of: {choices}")
    if len(options) == 1:
        return options[0]
    catalog = next((m for m in CATALOG if m.repo_id.casefold() == repo_id.casefold()), None)
    preferred = ((catalog.recommended.quantization,) if catalog else ()) + PREFERRED_QUANTS
    for quant in preferred:
        for option in options:
            if option.quant.casefold() == quant.casefold():
                return option
    raise ModelError(f"{repo_id} has several models; add one to the name, e.g. "
                     f"{repo_id}:{options[0].quant}. Choices: {choices}")


class _ProgressBar:
    """A one-line bar on a terminal; nothing when stderr is not one."""

    def __init__(self) -> None:
        self.shown = sys.stderr.isatty()
        self.last: DownloadEvent | None = None

    def __call__(self, event: DownloadEvent) -> None:
        self.last = event
        if not self.shown or event.state not in (DownloadState.RUNNING,
                                                 DownloadState.VERIFYING):
            return
        share = event.bytes_done / event.bytes_total if event.bytes_total else 0.0
        filled = int(share * BAR_WIDTH)
        line = (f"\r[{'#' * filled}{' ' * (BAR_WIDTH - filled)}] {share:4.0%} "
                f"{format_bytes(event.bytes_done)} of {format_bytes(event.bytes_total)}")
        if event.state == DownloadState.VERIFYING:
            line += " · checking sha256"
        elif event.speed_bps:
            line += f" · {format_bytes(int(event.speed_bps))}/s"
            if event.eta_s is not None:
                line += f" · {event.eta_s:.0f} s left"
        sys.stderr.write(line.ljust(100)[:100])
        sys.stderr.flush()

    def end(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def run_pull(args: argparse.Namespace) -> int:
    repo_id, _, wanted = str(args.what).partition(":")
    paths = app_paths().ensure()
    token = TokenStore(paths).get()
    option = choose_option(repo_id, wanted or None, repo_gguf_files(repo_id, token=token))
    print(f"Downloading {option.name} ({option.quant}, {format_bytes(option.size)}) "
          f"from {repo_id}", file=sys.stderr)
    stop = threading.Event()
    bar = _ProgressBar()
    started = time.monotonic()
    try:
        installed = run_download(option, paths.models_dir, stop=stop, on_event=bar, token=token)
    except KeyboardInterrupt:
        stop.set()
        bar.end()
        print("Paused; run the same command again to continue where it stopped.",
              file=sys.stderr)
        return 130
    bar.end()
    if installed is None:
        print("Paused; run the same command again to continue.", file=sys.stderr)
        return 1
    library = ModelLibrary.open(paths.models_dir)
    model = library.record_download(installed[0], repo_id, option.files[0].path)
    resumed = bar.last.resumed_from if bar.last else 0
    note = f", continued from {format_bytes(resumed)}" if resumed else ""
    print(f"Installed {model.name} ({format_bytes(model.size_bytes)}, sha256 verified{note}) "
          f"in {time.monotonic() - started:.1f} s: {installed[0]}")
    return 0
