"""The search space: instruction wordings, label words, demos and format, drawn with a seed.

Instructions come from a built-in, task-agnostic library plus small edits of the person's own
instruction (GrIPS-style: drop, swap or add a phrase; Prasad et al., 2023). Label words are the
task's labels and synonyms from a small lexicon. Demos come only from the demo pool: never from
validation (they would score themselves) and never from the held-out test set.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from engine.prompt_lab.prompts import Demo, PromptFormat, PromptSpec
from engine.prompt_lab.tasks import Example, Task, TaskKind

CLASSIFY_INSTRUCTIONS = (
    "Classify the input as {labels}.",
    "Classify the text as {labels}. Answer with the label only.",
    "Read the text and answer with one word: {labels}.",
    "Is the following text {labels}? Answer with one word.",
    "You are a careful annotator. Label each input as {labels}.",
    "Decide which category the input belongs to: {labels}.",
    "Answer with exactly one of: {labels}.",
    "What is the label of this text? Choose from {labels}.",
    "Determine whether the input is {labels}.",
    "You are a classifier. Reply with the label only: {labels}.",
    "Label the input. Possible labels: {labels}.",
    "",
)
TEXT_INSTRUCTIONS = (
    "",
    "Follow the pattern of the examples.",
    "Give only the answer, with no explanation.",
    "Answer concisely.",
    "Transform the input as shown in the examples. Reply with the result only.",
    "You are a precise assistant. Reply with the expected output only.",
)
ADDED_PHRASES = (
    "Answer with one word.",
    "Reply with the answer only.",
    "Be accurate.",
    "Read the input carefully.",
)
FIELD_NAMES = (("Input", "Output"), ("Text", "Label"), ("Text", "Answer"))
DEMO_COUNTS = (0, 1, 2, 4, 8)
_Option = TypeVar("_Option")
TEXT_DEMO_COUNTS = (0, 1, 2, 4)

# Words a small model knows well for common label names; the i-th words of all labels form a
# set, so "fresh/rotten" is also tried as "good/bad" and "positive/negative".
LEXICON: dict[str, tuple[str, ...]] = {
    "positive": ("good", "great"),
    "negative": ("bad", "terrible"),
    "neutral": ("okay", "neither"),
    "fresh": ("good", "positive"),
    "rotten": ("bad", "negative"),
    "pos": ("positive", "good"),
    "neg": ("negative", "bad"),
    "good": ("positive", "great"),
    "bad": ("negative", "terrible"),
    "yes": ("true", "correct"),
    "no": ("false", "wrong"),
    "true": ("yes", "correct"),
    "false": ("no", "wrong"),
    "spam": ("junk", "advert"),
    "ham": ("normal", "personal"),
    "like": ("good", "positive"),
    "dislike": ("bad", "negative"),
    "happy": ("joy", "glad"),
    "sad": ("sorrow", "unhappy"),
    "agree": ("yes", "true"),
    "disagree": ("no", "false"),
    "urgent": ("important", "now"),
    "normal": ("routine", "later"),
    "toxic": ("offensive", "rude"),
    "safe": ("fine", "polite"),
}


@dataclass(frozen=True)
class Candidate:
    id: int
    spec: PromptSpec
    demo_ids: tuple[int, ...]  # the demo pool examples shown, in order
    origin: str  # how it was made, for the candidates table


def labels_text(words: Sequence[str]) -> str:
    """"a or b", "a, b or c"."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} or {words[-1]}"


def label_word_sets(labels: Sequence[str]) -> list[tuple[str, ...]]:
    """Candidate label words: the labels, their case variants and lexicon synonyms."""
    sets: list[tuple[str, ...]] = [tuple(labels)]
    sets.append(tuple(label.lower() for label in labels))
    sets.append(tuple(label[:1].upper() + label[1:].lower() for label in labels))
    synonyms = [LEXICON.get(label.strip().lower(), ()) for label in labels]
    for index in range(max((len(words) for words in synonyms), default=0)):
        words = tuple(
            own[index] if index < len(own) else label
            for own, label in zip(synonyms, labels, strict=True)
        )
        sets.append(words)
        sets.append(tuple(word.capitalize() for word in words))
    distinct = [words for words in dict.fromkeys(sets)
                if len({word.lower() for word in words}) == len(words)]
    return distinct or [tuple(labels)]


def instruction_edits(instruction: str, rng: random.Random, count: int) -> list[tuple[str, str]]:
    """Up to `count` small edits of the person's instruction, with what was done."""
    phrases = [p for p in re.split(r"(?<=[.!?;])\s+", instruction.strip()) if p]
    edits: list[tuple[str, str]] = []
    for _ in range(count * 4):
        if len(edits) >= count:
            break
        operation = rng.choice(("delete", "swap", "add"))
        if operation == "delete" and len(phrases) > 1:
            cut = rng.randrange(len(phrases))
            text, how = " ".join(phrases[:cut] + phrases[cut + 1 :]), "a phrase dropped"
        elif operation == "swap" and len(phrases) > 1:
            i, j = rng.sample(range(len(phrases)), 2)
            swapped = list(phrases)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            text, how = " ".join(swapped), "phrases swapped"
        else:
            added = rng.choice(ADDED_PHRASES)
            at = rng.randrange(len(phrases) + 1)
            text, how = " ".join([*phrases[:at], added, *phrases[at:]]), "a phrase added"
        if text != instruction and text not in (e[0] for e in edits):
            edits.append((text, f"your instruction, {how}"))
    return edits


class SearchSpace:
    """Draws candidates for one task; every draw comes from the seeded `rng`."""

    def __init__(self, task: Task, demo_pool: Sequence[Example], rng: random.Random) -> None:
        self.task = task
        self.demo_pool = list(demo_pool)
        self.rng = rng
        self.classification = task.kind is TaskKind.CLASSIFICATION
        self.word_sets = label_word_sets(task.labels) if self.classification else [()]
        self.demo_counts = DEMO_COUNTS if self.classification else TEXT_DEMO_COUNTS
        library = CLASSIFY_INSTRUCTIONS if self.classification else TEXT_INSTRUCTIONS
        self.instructions: list[tuple[str, str]] = [(text, "library") for text in library]
        if task.instruction:
            self.instructions.append((task.instruction, "your instruction"))
            self.instructions += instruction_edits(task.instruction, rng, 6)
        self._next_id = 0
        self._queues: dict[str, list[int]] = {}

    def baseline(self) -> Candidate:
        """Zero-shot, in chat format, with the person's instruction and the labels as given."""
        words = tuple(self.task.labels)
        if self.task.instruction:
            instruction = self.task.instruction
        elif self.classification:
            instruction = f"Classify the input as {labels_text(words)}. Answer with the label only."
        else:
            instruction = ""
        spec = PromptSpec(PromptFormat.CHAT, instruction, (), words)
        own = ", your instruction" if self.task.instruction else ""
        return self._candidate(spec, (), f"baseline: zero-shot chat{own}")

    def sample(self) -> Candidate:
        """One random candidate; each factor's options take turns, so all of them get tried.

        Format and label words, the factors that matter most for small models, take turns
        together: every pairing comes up before any comes up twice.
        """
        formats = (PromptFormat.CHAT, PromptFormat.PLAIN) if self.classification else (
            PromptFormat.CHAT,)
        pairs = [(f, words) for f in formats for words in self.word_sets]
        prompt_format, words = self._turn("format and words", pairs)
        template, origin = self._turn("instruction", self.instructions)
        count = self._turn("demos", self.demo_counts)
        fields = self._turn("fields", FIELD_NAMES)
        demo_ids = self.choose_demos(count)
        spec = PromptSpec(
            prompt_format, self._instruction(template, origin, words),
            self._demos(demo_ids, words), words, fields,
        )
        return self._candidate(spec, demo_ids, origin)

    def mutate(self, parent: Candidate) -> Candidate:
        """A neighbour of `parent` that differs in one factor (for the Thorough refinement)."""
        spec, demo_ids = parent.spec, parent.demo_ids
        factor = self.rng.choice(("instruction", "words", "demo", "order", "count", "format"))
        if factor == "instruction":
            template, origin = self.rng.choice(self.instructions)
            spec = replace(spec, instruction=self._instruction(template, origin, spec.label_words))
        elif factor == "words" and self.classification:
            words = self.rng.choice(self.word_sets)
            spec = replace(spec, label_words=words,
                           instruction=_swap_words(spec.instruction, spec.label_words, words))
        elif factor == "demo" and demo_ids:
            spare = [e.id for e in self.demo_pool if e.id not in demo_ids]
            if spare:
                at = self.rng.randrange(len(demo_ids))
                demo_ids = (*demo_ids[:at], self.rng.choice(spare), *demo_ids[at + 1 :])
        elif factor == "order" and len(demo_ids) > 1:
            demo_ids = tuple(self.rng.sample(demo_ids, len(demo_ids)))
        elif factor == "count":
            demo_ids = self.choose_demos(self.rng.choice(self.demo_counts))
        elif self.classification:
            other = PromptFormat.PLAIN if spec.format is PromptFormat.CHAT else PromptFormat.CHAT
            spec = replace(spec, format=other)
        spec = replace(spec, demos=self._demos(demo_ids, spec.label_words))
        return self._candidate(spec, demo_ids, f"{factor} changed from #{parent.id}")

    def with_fewer_demos(self, candidate: Candidate) -> Candidate:
        """The candidate with half its demos: for prompts too long for the context window."""
        kept = candidate.demo_ids[: len(candidate.demo_ids) // 2]
        spec = replace(candidate.spec, demos=self._demos(kept, candidate.spec.label_words))
        return replace(candidate, spec=spec, demo_ids=kept)

    def choose_demos(self, count: int) -> tuple[int, ...]:
        """`count` demo pool examples, label-balanced for classification, in random order."""
        count = min(count, len(self.demo_pool))
        if not self.classification:
            return tuple(e.id for e in self.rng.sample(self.demo_pool, count))
        by_label = {label: [e for e in self.demo_pool if e.output == label]
                    for label in self.task.labels}
        for group in by_label.values():
            self.rng.shuffle(group)
        order = list(self.task.labels)
        self.rng.shuffle(order)
        chosen: list[Example] = []
        while len(chosen) < count and any(by_label.values()):
            for label in order:
                if by_label[label] and len(chosen) < count:
                    chosen.append(by_label[label].pop())
        self.rng.shuffle(chosen)
        return tuple(e.id for e in chosen)

    def _turn(self, factor: str, options: Sequence[_Option]) -> _Option:
        """The next option of a factor, from a shuffled round of all its options."""
        queue = self._queues.setdefault(factor, [])
        if not queue:
            queue.extend(self.rng.sample(range(len(options)), len(options)))
        return options[queue.pop()]

    def _instruction(self, template: str, origin: str, words: Sequence[str]) -> str:
        if origin == "library":
            return template.format(labels=labels_text(words))
        if self.classification and tuple(words) != self.task.labels:
            return f"{template} Answer {labels_text(words)}."
        return template

    def _demos(self, demo_ids: Sequence[int], words: Sequence[str]) -> tuple[Demo, ...]:
        by_id = {e.id: e for e in self.demo_pool}
        shown = dict(zip(self.task.labels, words, strict=True)) if self.classification else {}
        return tuple(
            Demo(by_id[i].input, shown.get(by_id[i].output, by_id[i].output)) for i in demo_ids
        )

    def _candidate(self, spec: PromptSpec, demo_ids: tuple[int, ...], origin: str) -> Candidate:
        candidate = Candidate(self._next_id, spec, demo_ids, origin)
        self._next_id += 1
        return candidate


def _swap_words(instruction: str, old: Sequence[str], new: Sequence[str]) -> str:
    old_text, new_text = labels_text(old), labels_text(new)
    return instruction.replace(old_text, new_text) if old_text in instruction else instruction
