"""The prompts of each summary stage, as data.

Each stage's instruction is the system message, so it comes first and is the same for every
part: llama.cpp keeps it in the KV cache and reads only the new part. The text goes in the user
message, between quotes, with the cue after it: the small bundled model (135M) summarises far
more reliably when the request follows the text than when it only precedes it (tried by hand on
convention speeches; instruction-first alone made it rewrite or praise the text).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# How each form is asked for, inside the instructions below.
FORMS: Final[dict[str, str]] = {
    "paragraph": "as one short paragraph",
    "bullets": 'as 3 to 7 key points, one per line, each line starting with "- "',
}
WORDS: Final = "in about {words} words"
BULLET_WORDS: Final = (
    'as key points, one per line, each line starting with "- ", in about {words} words in all'
)
PART_FORM: Final = "in 2 to 4 sentences"
COMBINE_FORM: Final = "in 3 to 5 sentences"

# A document (or one part of it) read directly.
DOCUMENT_SYSTEM: Final = (
    "Summarise the text the user sends {form}. Keep the names, numbers and facts it gives."
)
DOCUMENT_USER: Final = 'Text:\n"""\n{text}\n"""\n\nSummary of the text:'

# Summaries of consecutive parts, combined into one.
PARTS_SYSTEM: Final = (
    "The user sends summaries of consecutive parts of one document. Write one summary of the "
    "whole document {form}. Keep the names, numbers and facts they give."
)
PARTS_USER: Final = 'Summaries:\n"""\n{text}\n"""\n\nSummary of the whole document:'
# A question about the whole document (engine/documents/ask.py) read by the same steps: the
# parts keep what bears on it and the last step answers it.
QUESTION_FOCUS: Final = " Keep everything in it that bears on this question: “{question}”"
QUESTION_DOCUMENT_SYSTEM: Final = (
    "Answer this question about the text the user sends, from the text alone: “{question}” "
    "Keep the names, numbers and facts that answer it."
)
QUESTION_PARTS_SYSTEM: Final = (
    "The user sends summaries of consecutive parts of one document. From them, answer this "
    "question about the whole document: “{question}” Keep the names, numbers and facts that "
    "answer it."
)
PART_ENTRY: Final = "Part {index}: {summary}"
PART_SEPARATOR: Final = "\n\n"

# What a chat keeps so that follow-up questions about the document can be answered.
CONTEXT_WHOLE: Final = "The document {name}:\n\n{text}"
CONTEXT_PARTS: Final = (
    "The document {name} is too long to keep whole; these are summaries of its {parts} "
    "parts, in order:\n\n{summaries}"
)


@dataclass(frozen=True)
class Wording:
    """The user messages of the summary steps, and where a step's answer ends."""

    document_user: str
    parts_user: str
    stop: tuple[str, ...] = ()  # counted once the answer has begun: it may open with a blank line


INSTRUCTED: Final = Wording(DOCUMENT_USER, PARTS_USER)
# A base model (continuation mode, engine/chat/templates.py) follows no instruction and gets no
# system message: it is given the text and the cue the web taught it, "TL;DR:", and its first
# paragraph is the summary. What follows is the text going on, made up: the step stops there.
# (Gemma 3 270M base, asked "Summary of the text:", wrote the document out again.)
CONTINUED: Final = Wording(
    "{text}\n\nTL;DR:",
    "Summaries of consecutive parts of one document:\n\n{text}\n\nTL;DR:",
    stop=("\n\n",),
)
