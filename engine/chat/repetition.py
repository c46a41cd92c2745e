"""The loop guard: notices a reply that keeps repeating itself, so it can be stopped.

Small models, and models read with the wrong chat template, fall into loops: the same line,
sentence or paragraph again and again until the token limit. Replies repeat things for good
reasons too (table rows, list markers, closing braces, log lines, a chorus, a function written
out again with one fix), so the guard asks for more than "this was said before". It marks the
text that is at least the fourth copy of a stretch of GRAM characters written within the last
LOOKBACK characters, and it stops a reply only when all but a sliver of its last `window` tokens
are such copies: it has written nothing new for that long. Table rows and log lines share their
frame but not their cells and counters; a rewritten function is a second copy, a song's last
chorus a third; a loop is copies and nothing else.

Within one line, copies count only once the line is longer than LINE_ALLOWANCE characters: a
rule of dashes or box-drawing characters is the same character many times (some tokenizers
spend a token or more on each), but it is one line. Only visible characters are counted, so
indentation and blank lines neither make nor break a loop; a window with nothing visible at all
(endless blank lines) is a loop too.

It is fed one token's text at a time and costs a few dictionary look-ups per character.
Measured on tests/engine/repetition_corpus.py with three tokenizers (SmolLM2, Gemma 3, Qwen2.5):
at the default window no reply there is cut (the closest, a retry log, reaches 0.97 of the 0.99
needed), the lines of `<` that Gemma 3 270M wrote in issue 16 are stopped ~51 tokens after they
start, and the loops it writes when read through ChatML 64 to 160 tokens into the reply.
"""

from __future__ import annotations

from collections import deque

from engine.text import Text

DEFAULT_WINDOW = 48  # tokens; SamplingSettings.loop_guard
GRAM = 16  # characters a copied stretch shares with earlier text
COPIES_BEFORE = 3  # a stretch is loop text from its fourth appearance on
LOOKBACK = 4096  # characters: earlier appearances further back do not count
LINE_ALLOWANCE = 160  # characters: a line repeats itself within it only past this length
LOOP_SHARE = 0.99  # of the window's visible characters that are copies
# What a reply the guard stopped is followed by: in a line of its own (the CLI's "[…]") and,
# as a sentence, in the window's banner.
REPETITION_NOTE = Text("stopped: the model was repeating itself")
REPETITION_SENTENCE = Text("Stopped: the model was repeating itself.")
VISIBLE, COPIED = 1, 2
_MARK_COPIED = bytes(flag | COPIED for flag in range(256))


class RepetitionGuard:
    """Feed it each generated token's text; `feed` says True once the reply is looping."""

    def __init__(self, window: int = DEFAULT_WINDOW) -> None:
        if window < 1:
            raise ValueError("the loop guard's window is at least one token")
        self.window = window
        self.looping = False
        self._text = ""  # the reply's last characters, enough to form the next grams
        self._length = 0  # characters fed so far
        self._line_start = 0  # where the current line starts
        # gram -> (appearances on earlier lines, chained within LOOKBACK; where the last ended)
        self._seen: dict[str, tuple[int, int]] = {}
        self._in_line: dict[str, int] = {}  # gram -> appearances in the current line
        self._flags = bytearray()  # per character: VISIBLE (not whitespace) | COPIED
        self._token_ends: deque[int] = deque(maxlen=window + 1)

    def feed(self, text: str) -> bool:
        """One token's text ("" for a token that completed no character yet)."""
        if self.looping:
            return True
        start = self._length
        self._text = (self._text + text)[-(GRAM + len(text)):]
        self._flags.extend(0 if char.isspace() else VISIBLE for char in text)
        self._length += len(text)
        offset = self._length - len(self._text)  # where self._text starts in the reply
        for end in range(start + 1, self._length + 1):
            if end >= GRAM:
                self._count(self._text[end - GRAM - offset:end - offset], end)
            if self._text[end - 1 - offset] == "\n" or len(self._in_line) > LOOKBACK:
                self._end_line(end)  # a line this long repeats itself within it already
        if len(self._seen) > 4 * LOOKBACK:
            self._forget()
        self._token_ends.append(self._length)
        if len(self._token_ends) <= self.window:
            return False
        window_start = self._token_ends[0]
        flags = self._flags[window_start:]
        copied = flags.count(VISIBLE | COPIED)
        visible = copied + flags.count(VISIBLE)
        if visible == 0:
            self.looping = self._length > window_start  # nothing but whitespace
        else:
            self.looping = copied >= LOOP_SHARE * visible
        return self.looping

    def _count(self, gram: str, end: int) -> None:
        """Notes one appearance of `gram`, ending at `end`; marks it if it is loop text."""
        appearances, last_end = self._seen.get(gram, (0, 0))
        if end - last_end > LOOKBACK:
            appearances = 0
        in_line = self._in_line.get(gram, 0)
        if end - self._line_start > LINE_ALLOWANCE:
            appearances += in_line
        if appearances >= COPIES_BEFORE:
            self._flags[end - GRAM:end] = self._flags[end - GRAM:end].translate(_MARK_COPIED)
        self._in_line[gram] = in_line + 1

    def _end_line(self, end: int) -> None:
        """The line's grams join those of earlier lines."""
        for gram, count in self._in_line.items():
            appearances, last_end = self._seen.get(gram, (0, 0))
            if end - last_end > LOOKBACK:
                appearances = 0
            self._seen[gram] = (appearances + count, end)
        self._in_line.clear()
        self._line_start = end

    def _forget(self) -> None:
        """Drops grams last seen beyond LOOKBACK: they cannot count again."""
        oldest = self._length - LOOKBACK
        self._seen = {gram: seen for gram, seen in self._seen.items() if seen[1] >= oldest}


def finish_note(finish_reason: str) -> Text | None:
    """The note a person sees under a reply that ended this way, if any."""
    return REPETITION_NOTE if finish_reason == "repetition" else None


def finish_sentence(finish_reason: str) -> Text | None:
    """`finish_note` as a sentence of its own (the window's banner), if any."""
    return REPETITION_SENTENCE if finish_reason == "repetition" else None
