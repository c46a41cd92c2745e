"""The scheduler that owns the model's time (engine/scheduler.py), on jobs made of plain steps.

The jobs here are generators that record what ran: the scheduler's rules (order, Stop while
waiting, a job that holds the model alone, a load that stops the running job) do not depend on
what a step does. The real jobs run through it in the desktop and API tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from engine.errors import HearthError
from engine.scheduler import (
    MODEL_CHANGING,
    STOPPED_WHILE_WAITING,
    Interrupted,
    Job,
    Priority,
    Refused,
    Scheduler,
)

SLICE_S = 10.0  # long enough that a slice ends only when the queue is empty


class Recorder:
    """Jobs whose steps and endings are written to one log, in the order they happened."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.ends: dict[str, BaseException | None] = {}

    def job(self, name: str, priority: Priority = Priority.API, steps: int = 2,
            **options: object) -> Job:
        def run() -> Iterator[object]:
            try:
                for step in range(steps):
                    self.log.append(f"{name}{step}")
                    yield step
            finally:
                self.log.append(f"{name} closed")

        def start() -> Iterator[object]:
            self.log.append(f"{name} started")
            return run()

        def end(outcome: BaseException | None) -> None:
            assert name not in self.ends, f"{name} ended twice"
            self.ends[name] = outcome

        return Job(name, priority, start=start, on_end=end, **options)  # type: ignore[arg-type]


def test_jobs_run_by_priority_then_in_the_order_they_came() -> None:
    recorder, scheduler = Recorder(), Scheduler()
    for name, priority in (("lab", Priority.LAB), ("api1", Priority.API),
                           ("chat", Priority.CHAT), ("api2", Priority.API)):
        scheduler.submit(recorder.job(name, priority, steps=1))

    assert scheduler.run_slice(SLICE_S) is False
    assert [line for line in recorder.log if line.endswith("started")] == [
        "chat started", "api1 started", "api2 started", "lab started"]
    assert recorder.ends == {"chat": None, "api1": None, "api2": None, "lab": None}


def test_a_chat_turn_sent_during_a_request_goes_next_before_other_requests() -> None:
    recorder, scheduler = Recorder(), Scheduler()
    waiting = [recorder.job("api1", steps=3), recorder.job("api2", steps=1)]
    scheduler.add_source(Priority.API, lambda: waiting.pop(0) if waiting else None)
    scheduler.run_slice(0)  # api1 starts and runs one step
    assert scheduler.running is not None and scheduler.running.what == "api1"

    ahead = scheduler.submit(recorder.job("chat", Priority.CHAT, steps=1))

    assert ahead is not None and ahead.what == "api1"  # what the window says it waits for
    scheduler.run_slice(SLICE_S)
    started = [line for line in recorder.log if line.endswith("started")]
    assert started == ["api1 started", "chat started", "api2 started"]


def pausable(recorder: Recorder, name: str, steps: int, can_pause: bool = True) -> Job:
    """An API job whose pause and resume are logged; `can_pause` False: it says it cannot."""
    def pause() -> bool:
        recorder.log.append(f"{name} paused" if can_pause else f"{name} runs on")
        return can_pause

    return recorder.job(name, steps=steps, pause=pause,
                        resume=lambda: recorder.log.append(f"{name} resumed"))


def test_a_chat_turn_pauses_a_request_that_can_pause_and_it_resumes_after() -> None:
    recorder, scheduler = Recorder(), Scheduler()
    waiting = [pausable(recorder, "api1", steps=3), recorder.job("api2", steps=1)]
    scheduler.add_source(Priority.API, lambda: waiting.pop(0) if waiting else None)
    scheduler.run_slice(0)  # api1 runs one step

    ahead = scheduler.submit(recorder.job("chat", Priority.CHAT, steps=2))
    assert ahead is None  # it does not wait: the window shows no "waiting for" banner
    assert scheduler.busy_before(Priority.API)
    scheduler.run_slice(SLICE_S)

    assert recorder.log == ["api1 started", "api10", "api1 paused", "chat started", "chat0",
                            "chat1", "chat closed", "api1 resumed", "api11", "api12",
                            "api1 closed", "api2 started", "api20", "api2 closed"]
    assert recorder.ends == {"api1": None, "chat": None, "api2": None}


def test_a_request_that_cannot_pause_now_runs_on_and_the_chat_follows_it() -> None:
    recorder, scheduler = Recorder(), Scheduler()
    scheduler.submit(pausable(recorder, "api", steps=2, can_pause=False))
    scheduler.run_slice(0)
    scheduler.submit(recorder.job("chat", Priority.CHAT, steps=1))
    scheduler.run_slice(SLICE_S)
    started = [line for line in recorder.log if line.endswith(("started", "resumed"))]
    assert started == ["api started", "chat started"]
    assert "api runs on" in recorder.log


def test_a_load_ends_a_paused_request_too() -> None:
    recorder, scheduler = Recorder(), Scheduler()
    scheduler.submit(pausable(recorder, "api", steps=5))
    scheduler.run_slice(0)
    scheduler.submit(recorder.job("chat", Priority.CHAT, steps=5))
    scheduler.run_slice(0)  # the chat paused it and took a step
    assert scheduler.paused and scheduler.running is not None

    scheduler.submit(recorder.job("load", Priority.LOAD, steps=1, preempts=True))

    assert isinstance(recorder.ends["api"], Interrupted)
    assert isinstance(recorder.ends["chat"], Interrupted)
    assert not scheduler.paused and "api resumed" not in recorder.log


def test_a_request_that_fails_to_resume_ends_with_that_error() -> None:
    recorder, scheduler = Recorder(), Scheduler()

    def resume() -> None:
        raise HearthError("The engine stopped.")

    scheduler.submit(recorder.job("api", steps=3, pause=lambda: True, resume=resume))
    scheduler.run_slice(0)
    scheduler.submit(recorder.job("chat", Priority.CHAT, steps=1))
    scheduler.run_slice(SLICE_S)
    assert str(recorder.ends["api"]) == "The engine stopped."
    assert recorder.log[-1] == "api closed"


def test_only_work_that_goes_first_keeps_a_new_job_from_following() -> None:
    # The Prompt Lab asks before it tunes: its own estimate, waiting, is no reason to refuse.
    recorder, scheduler = Recorder(), Scheduler()
    scheduler.submit(recorder.job("estimate", Priority.LAB))
    assert not scheduler.busy_before(Priority.LAB)
    scheduler.submit(recorder.job("chat", Priority.CHAT))
    assert scheduler.busy_before(Priority.LAB) and not scheduler.busy_before(Priority.CHAT)


def test_stop_pressed_while_waiting_ends_the_job_before_it_starts() -> None:
    recorder, scheduler = Recorder(), Scheduler()
    scheduler.submit(recorder.job("api", steps=5))
    scheduler.run_slice(0)
    stop = threading.Event()
    scheduler.submit(recorder.job("chat", Priority.CHAT, cancel=stop))

    stop.set()
    scheduler.run_slice(0)  # the running job goes on; the waiting one hears at once

    assert isinstance(recorder.ends["chat"], Refused)
    assert str(recorder.ends["chat"]) == STOPPED_WHILE_WAITING
    assert "chat started" not in recorder.log
    assert "api" not in recorder.ends


def test_a_job_that_holds_the_model_alone_refuses_the_others_with_its_reason() -> None:
    recorder, scheduler = Recorder(), Scheduler()
    source = [recorder.job("api")]
    scheduler.submit(recorder.job("tuning", Priority.LAB, steps=3, exclusive="Tuning."))
    scheduler.run_slice(0)
    scheduler.add_source(Priority.API, lambda: source.pop() if source else None)

    scheduler.submit(recorder.job("chat", Priority.CHAT))
    scheduler.run_slice(SLICE_S)

    assert str(recorder.ends["chat"]) == str(recorder.ends["api"]) == "Tuning."
    assert isinstance(recorder.ends["api"], Refused)
    assert recorder.ends["tuning"] is None
    assert "chat started" not in recorder.log and "api started" not in recorder.log


def test_a_load_stops_the_running_job_and_what_waits_runs_after_it() -> None:
    recorder, scheduler = Recorder(), Scheduler()
    scheduler.submit(recorder.job("api", steps=5))
    scheduler.run_slice(0)
    scheduler.submit(recorder.job("chat", Priority.CHAT, steps=1))

    scheduler.submit(recorder.job("load", Priority.LOAD, steps=1, preempts=True))

    assert isinstance(recorder.ends["api"], Interrupted)
    assert str(recorder.ends["api"]) == MODEL_CHANGING
    assert recorder.log[-1] == "api closed"  # its steps' cleanup ran at once
    scheduler.run_slice(SLICE_S)
    scheduler.submit(recorder.job("tuning", Priority.LAB, steps=3, exclusive="Tuning."))
    scheduler.run_slice(0)  # the tuning holds the model alone, yet a load is never refused
    scheduler.submit(recorder.job("load2", Priority.LOAD, steps=1, preempts=True))
    assert isinstance(recorder.ends["tuning"], Interrupted)
    scheduler.run_slice(SLICE_S)
    started = [line for line in recorder.log if line.endswith("started")]
    assert started == ["api started", "load started", "chat started", "tuning started",
                       "load2 started"]


def test_an_interrupted_search_runs_to_its_end_with_stop_set() -> None:
    stop = threading.Event()
    seen: list[object] = []
    ends: list[BaseException | None] = []

    def search() -> Iterator[object]:
        while not stop.is_set():
            yield "scored"
        yield "best so far"

    def see(event: object) -> bool:
        seen.append(event)
        return False

    scheduler = Scheduler()
    scheduler.submit(Job("tuning", Priority.LAB, start=search, on_event=see,
                         on_end=ends.append, cancel=stop, drain_on_interrupt=True))
    scheduler.run_slice(0.01)

    scheduler.interrupt("Hearth is closing.")

    assert stop.is_set() and seen[-1] == "best so far"
    assert len(ends) == 1 and isinstance(ends[0], Interrupted)


def _refuse() -> Iterator[object]:
    raise HearthError("The message is too long.")  # before the job's first step


def _crash() -> Iterator[object]:
    yield "first token"
    raise HearthError("The engine host was killed by SIGSEGV.")


@pytest.mark.parametrize("start", [_refuse, _crash], ids=["cannot start", "a step fails"])
def test_a_job_that_fails_says_why_and_the_next_one_runs(
    start: Callable[[], Iterator[object]],
) -> None:
    recorder, scheduler = Recorder(), Scheduler()
    ends: list[BaseException | None] = []
    scheduler.submit(Job("chat", Priority.CHAT, start=start, on_end=ends.append))
    scheduler.submit(recorder.job("api", steps=1))
    scheduler.run_slice(SLICE_S)

    assert len(ends) == 1 and isinstance(ends[0], HearthError)
    assert str(ends[0]) in ("The message is too long.", "The engine host was killed by SIGSEGV.")
    assert recorder.ends == {"api": None}


def test_an_event_can_end_its_job_and_its_steps_are_closed() -> None:
    recorder, scheduler = Recorder(), Scheduler()
    job = recorder.job("chat", Priority.CHAT, steps=5)
    job.on_event = lambda step: step == 1
    scheduler.submit(job)
    scheduler.run_slice(SLICE_S)

    assert recorder.log == ["chat started", "chat0", "chat1", "chat closed"]
    assert recorder.ends == {"chat": None}


def test_a_wake_from_another_thread_ends_the_wait() -> None:
    scheduler = Scheduler()
    waiter = threading.Thread(target=scheduler.wait, args=(3600,))
    waiter.start()
    scheduler.wake()  # before or during the wait: either way it returns
    waiter.join(60)
    assert not waiter.is_alive()


def test_shutdown_ends_the_running_job_and_refuses_every_waiting_one() -> None:
    recorder, scheduler = Recorder(), Scheduler()
    source = [recorder.job("api2")]
    scheduler.submit(recorder.job("api1", steps=5))
    scheduler.run_slice(0)
    scheduler.submit(recorder.job("chat", Priority.CHAT))
    scheduler.add_source(Priority.API, lambda: source.pop() if source else None)

    scheduler.shutdown("Hearth is closing.")

    assert isinstance(recorder.ends["api1"], Interrupted)
    assert isinstance(recorder.ends["chat"], Refused)
    assert isinstance(recorder.ends["api2"], Refused)
    assert scheduler.running is None and scheduler.run_slice(SLICE_S) is False
