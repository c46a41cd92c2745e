"""`hearth-cli models`: list, import, remove and rename installed models; pick the default and
each model's draft model."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from engine.chat.templates import CUSTOM, TemplateChoice, template_names
from engine.commands import models_hub
from engine.config import load_config, save_config
from engine.errors import ModelError
from engine.models.library import InstalledModel, ModelLibrary
from engine.models.memory import format_bytes
from engine.paths import AppPaths, app_paths


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = commands.add_parser(
        "models", help="list, search, pull, import and remove models")
    actions = models.add_subparsers(dest="models_command", required=True)
    actions.add_parser("list", help="show the installed models").set_defaults(handler=run_list)
    remove = actions.add_parser("rm", help="delete a model (asks first)")
    remove.add_argument("name", help="the model's name, as `models list` shows it")
    remove.add_argument("-y", "--yes", action="store_true", help="do not ask")
    remove.set_defaults(handler=run_remove)
    add = actions.add_parser("import", help="add a .gguf file: copied, or used where it is")
    add.add_argument("path", type=Path, help="the .gguf file (the first part of a split model)")
    add.add_argument("--reference", action="store_true",
                     help="use the file where it is instead of copying it")
    add.set_defaults(handler=run_import)
    default = actions.add_parser("default", help="show or set the default model")
    default.add_argument("name", nargs="?", help="the model to use when none is given")
    default.set_defaults(handler=run_default)
    draft = actions.add_parser(
        "draft", help="show or choose the smaller model that drafts a model's replies",
        description="A draft model with the same vocabulary proposes tokens that the model "
        "checks in one batch: the same text, faster where the drafts are kept (speculative "
        "decoding, used only where it pays). The window, `chat` and `serve` use it.")
    draft.add_argument("name", help="the model whose replies are drafted")
    draft_choice = draft.add_mutually_exclusive_group()
    draft_choice.add_argument("draft", nargs="?", help="the model that drafts them")
    draft_choice.add_argument("--none", action="store_true", help="no draft model")
    draft.set_defaults(handler=run_draft)
    rename = actions.add_parser("rename", help="change the name a model is shown by")
    rename.add_argument("name", help="the model's current name")
    rename.add_argument("new_name", help="the new name")
    rename.set_defaults(handler=run_rename)
    template = actions.add_parser(
        "template", help="show or choose the chat template a model is read with",
        description="Without a choice, shows the template the model uses and where it came "
        "from. A GGUF's own template comes first; a file without one is a base model, whose "
        "text is continued, unless its metadata says it was tuned for chat.")
    template.add_argument("name", help="the model's name, as `models list` shows it")
    choice = template.add_mutually_exclusive_group()
    choice.add_argument("template", nargs="?", choices=template_names(), metavar="TEMPLATE",
                        help=f"a built-in template ({', '.join(template_names())})")
    choice.add_argument("--file", type=Path, help="a Jinja chat template of your own")
    choice.add_argument("--auto", action="store_true",
                        help="forget the choice: let Hearth decide again")
    template.set_defaults(handler=run_template)
    models_hub.add_actions(actions)


def run_list(_args: argparse.Namespace) -> int:
    paths = app_paths()
    library = ModelLibrary.open(paths.models_dir)
    models = library.models()
    default = library.default_model(load_config(paths.settings_file).config.default_model)
    if library.notice:
        print(library.notice, file=sys.stderr)
    header = ("", "NAME", "ARCH", "PARAMS", "QUANT", "CONTEXT", "SIZE", "TEMPLATE", "WHERE")
    rows = [header] + [_row(model, default) for model in models]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]).rstrip())
    for model in models:
        if model.problem:
            print(f"! {model.name}: {model.problem}")
    return 0


def _row(model: InstalledModel, default: InstalledModel | None) -> tuple[str, ...]:
    details = model.details
    context = details.context_length if details else None
    return (
        "*" if default is not None and model.key == default.key else "",
        model.name,
        details.architecture if details else "-",
        (details.size_label if details else None) or "-",
        (details.quantization if details else None) or "-",
        f"{context:,}" if context else "-",
        format_bytes(model.size_bytes) if model.size_bytes else "-",
        _template_cell(model),
        str(model.path) if model.origin.kind == "referenced" else model.origin.describe(),
    )


def _template_cell(model: InstalledModel) -> str:
    """"gguf", "gemma (built-in)", "continuation", "chatml (yours)": the template and its source."""
    decision = model.template
    if decision is None:
        return "-"
    source = {"gguf": "", "built-in": " (built-in)", "person": " (yours)"}[decision.origin]
    return f"{decision.name}{source}" if decision.name != "gguf" else "gguf"


def run_remove(args: argparse.Namespace) -> int:
    paths = app_paths()
    library = ModelLibrary.open(paths.models_dir)
    model = library.find(args.name)
    if model.origin.kind == "bundled":
        raise ModelError("The bundled model cannot be deleted")
    if model.origin.kind == "referenced":
        question = f"Remove {model.name} from the list? The file stays at {model.path}."
    else:
        question = f"Delete {model.name} ({format_bytes(model.size_bytes)}, {model.path})?"
    if not args.yes and not _confirm(question):
        print("Nothing was deleted.", file=sys.stderr)
        return 1
    was_default = _is_default(library, paths, model)
    library.delete(model)
    if was_default:
        loaded = load_config(paths.settings_file).config
        save_config(paths.settings_file, dataclasses.replace(loaded, default_model=None))
    print(f"Removed {model.name}." if model.origin.kind == "referenced"
          else f"Deleted {model.name}.")
    return 0


def _confirm(question: str) -> bool:
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _is_default(library: ModelLibrary, paths: AppPaths, model: InstalledModel) -> bool:
    configured = load_config(paths.settings_file).config.default_model
    if not configured:
        return False
    default = library.default_model(configured)
    return default is not None and default.key == model.key


def run_import(args: argparse.Namespace) -> int:
    library = ModelLibrary.open(app_paths().models_dir)
    show_progress = sys.stderr.isatty() and not args.reference

    def progress(copied: int, total: int) -> None:
        sys.stderr.write(f"\rCopying {args.path.name}: {copied * 100 // max(total, 1):3d}% "
                         f"({format_bytes(copied)} of {format_bytes(total)})")
        sys.stderr.flush()

    try:
        model = library.import_file(
            args.path, reference=args.reference, on_progress=progress if show_progress else None
        )
    finally:
        if show_progress:
            sys.stderr.write("\n")
    how = "referenced in place" if args.reference else "copied into the models folder"
    print(f"Imported {model.name} ({format_bytes(model.size_bytes)}), {how}.")
    return 0


def run_default(args: argparse.Namespace) -> int:
    paths = app_paths()
    library = ModelLibrary.open(paths.models_dir)
    config = load_config(paths.settings_file).config
    if args.name is None:
        current = library.default_model(config.default_model)
        if current is None and config.default_model:
            raise ModelError(f"The default model {config.default_model!r} is not installed")
        if current is None:
            raise ModelError("No model is installed")
        print(current.name)
        return 0
    model = library.find(args.name)
    if model.problem:
        raise ModelError(f"{model.name} cannot be loaded: {model.problem}")
    save_config(paths.settings_file, dataclasses.replace(config, default_model=model.key))
    print(f"Default model: {model.name}")
    return 0


def run_draft(args: argparse.Namespace) -> int:
    paths = app_paths()
    library = ModelLibrary.open(paths.models_dir)
    config = load_config(paths.settings_file).config
    model = library.find(args.name)
    if args.draft is None and not args.none:
        paired = config.draft_for(model.path)
        print(f"{model.name} is drafted by {paired.stem}." if paired is not None
              else f"{model.name} has no draft model.")
        return 0
    draft = None if args.none else library.find(args.draft)
    if draft is not None and draft.path == model.path:
        raise ModelError("A model cannot draft for itself: choose a smaller one with the same "
                         "vocabulary")
    if draft is not None and draft.problem:
        raise ModelError(f"{draft.name} cannot be loaded: {draft.problem}")
    save_config(paths.settings_file,
                config.with_draft(model.path, None if draft is None else draft.path))
    print(f"{model.name} is drafted by {draft.name}." if draft is not None
          else f"{model.name} has no draft model.")
    return 0


def run_rename(args: argparse.Namespace) -> int:
    library = ModelLibrary.open(app_paths().models_dir)
    model = library.rename(library.find(args.name), args.new_name)
    print(f"Renamed to {model.name}.")
    return 0


def run_template(args: argparse.Namespace) -> int:
    library = ModelLibrary.open(app_paths().models_dir)
    model = library.find(args.name)
    if args.auto:
        model = library.set_template(model, None)
    elif args.file is not None:
        try:
            source = args.file.expanduser().read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ModelError(f"Cannot read {args.file}: {error}") from None
        model = library.set_template(model, TemplateChoice(CUSTOM, source))
    elif args.template is not None:
        model = library.set_template(model, TemplateChoice(args.template))
    if model.template is None:
        raise ModelError(f"{model.name} cannot be read: {model.problem}")
    print(f"{model.name}: {model.template.describe()}")
    return 0
