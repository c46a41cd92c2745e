"""Choosing the thread count as work runs: each count timed, the fastest used, the others tried
again less often each time they lose and sooner when the machine's load changes; and the app
side told which count the host is using."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

from engine.chat.prompt import ChatMessage
from engine.host.client import HostRuntime
from engine.host.runtime import GenerationDone, GenerationRequest, thread_candidates
from engine.host.threads import FIRST_RETRY, StepThreads, ThreadChooser
from engine.settings import ChatSettings, RuntimeSettings, SamplingSettings


def run(chooser: ThreadChooser, calls: int, seconds: dict[int, float]) -> list[int]:
    """`calls` picks, each recorded as taking `seconds[count]` a token."""
    picked = []
    for _ in range(calls):
        threads = chooser.pick()
        picked.append(threads)
        chooser.record(threads, 1, seconds[threads])
    return picked


def test_every_count_is_timed_then_the_fastest_is_used() -> None:
    chooser = ThreadChooser([2, 1])
    picked = run(chooser, 10, {1: 0.02, 2: 0.01})
    assert picked[:2] == [1, 2] and set(picked[2:]) == {2}
    assert chooser.best == 2


def test_a_count_that_keeps_losing_is_tried_less_and_less_often() -> None:
    chooser = ThreadChooser([1, 2])
    picked = run(chooser, 2000, {1: 0.01, 2: 0.03})
    tries = [index for index, threads in enumerate(picked) if threads == 2]
    gaps = [later - earlier for earlier, later in itertools.pairwise(tries)]
    assert gaps[0] >= FIRST_RETRY and gaps == sorted(gaps) and gaps[-1] > 4 * gaps[0]
    assert picked.count(2) < 12  # the slow count cost a few tokens, not a share of them


def test_when_a_busy_process_takes_a_core_the_choice_follows() -> None:
    # Idle, two threads are twice as fast; then another process takes a core and two threads
    # spin-wait for it (ten times slower), while one thread hardly notices.
    chooser = ThreadChooser([1, 2])
    run(chooser, 300, {1: 0.02, 2: 0.01})
    assert chooser.best == 2
    busy = run(chooser, 300, {1: 0.025, 2: 0.1})
    assert chooser.best == 1
    assert busy[-100:].count(2) <= 2
    # The other process ends: the choice comes back to two threads.
    run(chooser, 3000, {1: 0.02, 2: 0.01})
    assert chooser.best == 2


def test_the_app_side_learns_the_thread_count_the_host_chose(bundled_model: Path) -> None:
    """With threads left automatic the host picks them as replies run; each reply's result
    says the count in use, and `loaded` (the status bar's figure) follows it."""
    host = HostRuntime()
    try:
        host.load(bundled_model, RuntimeSettings(n_ctx=512), None)
        request = GenerationRequest(
            messages=(ChatMessage("user", "Count to twenty."),),
            settings=ChatSettings(sampling=SamplingSettings(max_tokens=48, seed=1)),
            ignore_eog=True)
        for _ in range(3):  # enough tokens for every candidate count to have been timed
            done = [event for event in host.stream(request, threading.Event())
                    if isinstance(event, GenerationDone)][-1]
            assert done.threads in thread_candidates()
            assert host.loaded is not None and host.loaded.n_threads == done.threads
    finally:
        host.close()


def test_each_size_of_step_has_its_own_choice() -> None:
    """One token runs on llama.cpp's generation threads, a batch on its batch threads, and on
    a small CPU the fastest count differs: a batch of four tokens may be faster on one thread
    while one token is faster on two."""
    steps = StepThreads([1, 2])
    seconds = {1: {1: 0.02, 2: 0.01}, 4: {1: 0.03, 2: 0.05}}
    for _ in range(100):
        for size, timing in seconds.items():
            chooser = steps.for_step(size)
            threads = chooser.pick()
            chooser.record(threads, size, timing[threads] * size)
    assert steps.single.best == 2
    assert steps.for_step(4).best == 1
    assert steps.for_step(3) is steps.for_step(4)  # 3-4 tokens: one size class
    assert steps.for_step(5) is not steps.for_step(4)
