"""`hearth-cli summarize`: summarise a document of any length; the summary goes to stdout.

Progress goes to stderr: a bar redrawn in place when stderr is a terminal, otherwise one plain
line per step, so a log file stays readable. How the summary was made (one pass or n parts)
is the last line on stderr.
"""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import TextIO

from engine.commands.engine_choice import MODEL_HELP, open_engine
from engine.config import load_config
from engine.documents.reading import (
    MAX_FILE_BYTES,
    Document,
    decode_text,
    pasted_document,
    read_document,
)
from engine.documents.summarize import (
    PartStarted,
    SummaryDone,
    SummaryForm,
    SummaryOptions,
    SummaryPlanned,
    SummaryProgress,
    summarize,
)
from engine.errors import DocumentError
from engine.paths import app_paths

BAR_WIDTH = 24
STAGE_LABELS = {"part": "reading part", "combine": "combining summaries", "final": "writing"}


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "summarize", help="summarise a document (.txt, .md, .html, .pdf, .docx; - for stdin)"
    )
    parser.add_argument("file", help="the document, or - to read text from standard input")
    parser.add_argument("--form", choices=[form.value for form in SummaryForm],
                        default=SummaryForm.PARAGRAPH.value, help="the shape of the summary")
    parser.add_argument("--words", type=int, help="about how many words the summary has")
    parser.add_argument("--model", help=MODEL_HELP)
    parser.add_argument("--seed", type=int, help="a fixed seed for a reproducible summary")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    paths = app_paths()
    config = load_config(paths.settings_file).config
    options = SummaryOptions(form=SummaryForm(args.form), words=args.words, seed=args.seed,
                             loop_guard=config.chat_defaults.sampling.loop_guard)
    options.check()
    document = _read(args.file)
    engine = open_engine(args.model, config, paths)
    progress = _Progress(sys.stderr)
    try:
        for event in summarize(engine, document, options, threading.Event()):
            if isinstance(event, SummaryDone):
                progress.finish()
                sys.stdout.write(event.text + "\n")
                sys.stdout.flush()
                print(event.note, file=sys.stderr)
            else:
                progress.show(event)
    finally:
        progress.finish()
        engine.close()
    return 0


def _read(name: str) -> Document:
    if name != "-":
        return read_document(Path(name))
    data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise DocumentError(
            f"The standard input is over {MAX_FILE_BYTES // (1024 * 1024)} MB; Hearth reads "
            "documents up to that size."
        )
    text, _encoding = decode_text("The standard input", data)
    return pasted_document(text, "standard input")


class _Progress:
    """A progress bar on a terminal; plain lines, one per step, anywhere else."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._live = stream.isatty()
        self._drawn = False
        self._label = "counting tokens"

    def show(self, event: object) -> None:
        if isinstance(event, SummaryPlanned):
            how = "one pass" if event.parts == 1 else f"{event.parts} parts"
            self._line(f"{event.document_tokens:,} tokens: summarising in {how}")
        elif isinstance(event, PartStarted):
            self._label = f"{STAGE_LABELS[event.stage]} {event.index} of {event.count}"
            if event.stage == "final":
                self._label = STAGE_LABELS["final"]
            self._line(f"step {event.step} of {event.steps}: {self._label}")
        elif isinstance(event, SummaryProgress) and self._live:
            filled = round(event.fraction * BAR_WIDTH)
            left = "" if event.seconds_left is None else f", {_duration(event.seconds_left)} left"
            self._stream.write(
                f"\r\033[K[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
                f"{event.fraction:4.0%} {self._label}{left}"
            )
            self._stream.flush()
            self._drawn = True

    def _line(self, text: str) -> None:
        if not self._live:
            print(text, file=self._stream, flush=True)

    def finish(self) -> None:
        if self._drawn:
            self._stream.write("\r\033[K")
            self._stream.flush()
            self._drawn = False


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}:{rest:02d}" if minutes else f"{rest} s"
