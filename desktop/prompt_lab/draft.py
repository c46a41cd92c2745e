"""A task as the editor holds it while a person types, and the engine Task it makes.

The editor keeps everything typed, even when it does not make a task yet (one example, a blank
output); `build_task` says what is missing in one line. It runs on the engine thread.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from engine.errors import PromptLabError
from engine.prompt_lab.tasks import Metric, Task, TaskKind, make_task


@dataclass(frozen=True)
class TaskDraft:
    task_id: str
    name: str
    kind: TaskKind | None  # None: classification when the outputs come from a small set
    labels: tuple[str, ...]  # (): the distinct outputs
    instruction: str
    metric: Metric | None  # free text; None: the engine's default
    pattern: str
    rows: tuple[tuple[str, str], ...]  # (input, expected output), blank rows included


def build_task(draft: TaskDraft) -> Task:
    """The task the draft describes, split into pool and held-out; raises PromptLabError."""
    pairs = []
    for number, (text, output) in enumerate(draft.rows, start=1):
        if not text.strip() and not output.strip():
            continue
        if not text.strip() or not output.strip():
            missing = "input" if not text.strip() else QCoreApplication.translate(
                                                            "prompt_lab.draft", "expected "
                                                                                                      "output")
            raise PromptLabError(QCoreApplication.translate("prompt_lab.draft", "Example {number}: "
                                                                                "the {missing} is "
                                                                                "empty.")
                                 .format(
         number=number, missing=missing))
        pairs.append((text, output))
    if len(pairs) < 2:
        raise PromptLabError(QCoreApplication.translate("prompt_lab.draft", "Add at least two "
                                                                            "examples (an input "
                                                                            "and its expected "
                                                                            "output) "
                             "to save this task."))
    return make_task(
        draft.name, pairs, kind=draft.kind, labels=draft.labels or None,
        instruction=draft.instruction, metric=draft.metric, pattern=draft.pattern,
        task_id=draft.task_id,
    )


def labels_from_text(text: str) -> tuple[str, ...]:
    """Labels typed as "a, b, c"."""
    return tuple(label.strip() for label in text.split(",") if label.strip())
