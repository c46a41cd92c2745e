"""Choosing llama.cpp's thread count by how fast it runs now, and keeping on checking.

On a small machine shared with other work, one thread too many can halve the speed or worse
(llama.cpp's threads spin while waiting for a busy core), and the load changes by the minute.
One measurement at start-up, kept for good, gave a person half of what the machine could do. So
the count is chosen while real work runs: each candidate is timed on real tokens, the fastest
is used, and the others are tried again now and then: less often each time one loses, sooner
again when the one in use slows down (the machine's load changed). The results do not depend
on the thread count, so switching between tokens or batches is free.

llama.cpp runs a decode of one token on its generation threads and a decode of several (parallel
requests, n choices, speculative drafts being checked) on its batch threads, and the fastest
count for one is not the fastest for the other on a small CPU: `StepThreads` keeps a chooser per
step size.
"""

from __future__ import annotations

from collections.abc import Sequence

FIRST_RETRY = 24  # calls before a losing count is tried again; doubles each time it loses
LONGEST_RETRY = 1024
SMOOTHING = 0.3  # weight of the newest timing in a count's running figure
SLOWED_DOWN = 1.5  # the count in use this much slower than its best: the load changed


class ThreadChooser:
    """Picks the fastest thread count for a kind of work; `record` what each pick took."""

    def __init__(self, options: Sequence[int]) -> None:
        self._options = tuple(sorted(set(options)))
        self._seconds_per_token: dict[int, float] = {}
        self._retry_in = dict.fromkeys(self._options, FIRST_RETRY)
        self._waited = dict.fromkeys(self._options, 0)
        self._fastest_seen: dict[int, float] = {}

    @property
    def options(self) -> tuple[int, ...]:
        return self._options

    @property
    def best(self) -> int:
        """The count that is fastest so far (the first option before any timing)."""
        timed = [option for option in self._options if option in self._seconds_per_token]
        if not timed:
            return self._options[0]
        return min(timed, key=self._seconds_per_token.__getitem__)

    def pick(self) -> int:
        for option in self._options:
            if option not in self._seconds_per_token:
                return option
        best = self.best
        for option in self._options:
            if option == best:
                continue
            self._waited[option] += 1
            if self._waited[option] >= self._retry_in[option]:
                self._waited[option] = 0
                return option
        return best

    def record(self, threads: int, tokens: int, seconds: float) -> None:
        if tokens <= 0 or threads not in self._retry_in:
            return
        was_best = self.best if self._seconds_per_token else None
        rate = seconds / tokens
        previous = self._seconds_per_token.get(threads)
        # The count in use is smoothed over its many timings; a count tried again after a
        # while starts from its new timing, since the old one tells of another moment.
        self._seconds_per_token[threads] = (
            previous + SMOOTHING * (rate - previous) if previous is not None
            and threads == was_best else rate
        )
        smoothed = self._seconds_per_token[threads]
        self._fastest_seen[threads] = min(self._fastest_seen.get(threads, smoothed), smoothed)
        if threads != self.best:
            # It lost again: try it less often.
            self._retry_in[threads] = min(LONGEST_RETRY, self._retry_in[threads] * 2)
        elif threads != was_best:
            # A new winner: the old one gets a fresh chance soon, in case that was noise.
            self._retry_in = dict.fromkeys(self._options, FIRST_RETRY)
        elif smoothed > SLOWED_DOWN * self._fastest_seen[threads]:
            # The count in use slowed down: the machine's load changed, look again soon.
            self._retry_in = dict.fromkeys(self._options, FIRST_RETRY)
            self._fastest_seen[threads] = smoothed


class StepThreads:
    """A `ThreadChooser` per size of decode step: 1 token, 2, 3-4, 5-8 and so on."""

    def __init__(self, options: Sequence[int]) -> None:
        self._options = tuple(options)
        self._by_size: dict[int, ThreadChooser] = {}

    def for_step(self, tokens: int) -> ThreadChooser:
        size_class = (max(tokens, 1) - 1).bit_length()
        chooser = self._by_size.get(size_class)
        if chooser is None:
            chooser = self._by_size[size_class] = ThreadChooser(self._options)
        return chooser

    @property
    def single(self) -> ThreadChooser:
        """The chooser of one-token steps: a reply's generation thread count."""
        return self.for_step(1)
