"""The scheduler: the one owner of the model's time.

Everything that uses the model (a model load, a chat turn or summary, an API request, a Prompt
Lab run) is a `Job` queued here with its priority. Jobs run one at a time as generators of
short steps (a prompt batch or a token each); the thread that owns the model calls
`run_slice()` again and again: the desktop's engine thread from its event loop, between other
requests, and the CLI's server thread in a plain loop. Quick questions that are not jobs
(counting a document's tokens, planning a chat's context) run on that same thread between
slices, so nothing else ever touches the model. A job that can be paused (an API reply) is
put aside when one that goes before it comes (a chat turn), and taken up again where it
stopped once nothing before it waits, so a person never waits for a program's reply. (The
search model, in the same engine host under a handle of its own, is not a job: the collections
worker asks it for vectors from its own thread, and the host makes them between two steps of
whatever the chat model is doing.)

It is plain Python and lives on the app side of the engine host, so it outlives a host crash:
the job that was running ends with `EngineCrashedError`, the reload is the next job, and what
waits stays queued.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

from engine.errors import HearthError

log = logging.getLogger(__name__)

STOPPED_WHILE_WAITING = "Stopped before the reply began."
MODEL_CHANGING = "Another model is being loaded."


class Priority(IntEnum):
    """Lower runs first; equal priorities run in the order they came."""

    LOAD = 0  # a model load or a reload after a crash: every other job needs the model
    CHAT = 1  # a person waits at the window
    API = 2  # a program waits for its answer
    LAB = 3  # work a person started and can watch happen


class Refused(HearthError):
    """The job never started: stopped while it waited, or the model is held by other work."""


class Interrupted(HearthError):
    """The job was stopped while it ran: another model is being loaded, or Hearth is closing."""


class CancelFlag(Protocol):
    def is_set(self) -> bool: ...


def _no_event(_event: object) -> bool:
    return False


def _no_end(_end: BaseException | None) -> None:
    return None


@dataclass(eq=False)
class Job:
    """One piece of work for the model.

    `start()` is called when the job's turn comes and returns its steps; raising there (a
    HearthError such as a message too long) ends the job before it began. `on_event` gets what
    each step yields; returning True ends the job there. `on_end` is called exactly once,
    however it ended: None when its steps ran out (or on_event ended it), else the error,
    `Refused` or `Interrupted`."""

    what: str  # what others waiting behind it are told: "the API request from 127.0.0.1"
    priority: Priority
    start: Callable[[], Iterator[object]]
    on_event: Callable[[object], bool] = _no_event
    on_end: Callable[[BaseException | None], None] = _no_end
    after_slice: Callable[[], None] | None = None  # the running job's, after each slice
    cancel: CancelFlag | None = None  # set while it waits: it is refused, never started
    exclusive: str | None = None  # while it runs, every other job is refused with this reason
    preempts: bool = False  # submitting it interrupts the running job (a model load)
    # Interrupted, it is run to its end with `cancel` set (a search that keeps its best so far)
    # instead of being closed mid-step.
    drain_on_interrupt: bool = False
    # A job that goes before it pauses it between two steps rather than waiting for its end:
    # `pause()` puts its work aside (False: it cannot be now, it runs on), `resume()` takes it
    # up again; either may raise, which ends the job with that error.
    pause: Callable[[], bool] | None = None
    resume: Callable[[], None] | None = None


@dataclass
class _Running:
    job: Job
    steps: Iterator[object]


@dataclass(order=True)
class _Waiting:
    priority: Priority
    order: int
    job: Job = field(compare=False)


class Scheduler:
    """Queues jobs and runs them on the thread that owns the model.

    Every method but `wake` and `wait` belongs to that thread. Other threads (an HTTP server)
    keep their own queue, registered with `add_source`, and call `wake` when it grows."""

    def __init__(self, on_wake: Callable[[], None] | None = None) -> None:
        self._waiting: list[_Waiting] = []
        self._sources: list[tuple[Priority, Callable[[], Job | None]]] = []
        self._running: _Running | None = None
        self._paused: list[_Running] = []  # put aside for jobs that go before them, newest last
        self._order = itertools.count()
        self._woken = threading.Event()
        self._on_wake = on_wake

    @property
    def running(self) -> Job | None:
        return self._running.job if self._running is not None else None

    def busy_before(self, priority: Priority) -> bool:
        """A job that goes before one of `priority` runs or waits (one of the same priority or a
        later one does not count: a new job would simply follow it)."""
        jobs = [entry.job for entry in self._waiting] + [paused.job for paused in self._paused]
        if self._running is not None:
            jobs.append(self._running.job)
        return any(job.priority < priority for job in jobs)

    @property
    def paused(self) -> tuple[Job, ...]:
        return tuple(paused.job for paused in self._paused)

    def add_source(self, priority: Priority, take: Callable[[], Job | None]) -> None:
        """`take()` is asked for a job whenever nothing of a higher priority waits."""
        self._sources.append((priority, take))
        self._sources.sort(key=lambda source: source[0])

    def submit(self, job: Job) -> Job | None:
        """Queues a job. Returns the running job it waits behind, if it has to wait for one
        (not one it pauses); a job refused at once has had its `on_end` called."""
        running = self._running
        if running is not None and running.job.pause is not None \
                and job.priority < running.job.priority:
            running = None  # paused at its next step
        if job.preempts:
            self.interrupt(MODEL_CHANGING)
            running = None
        elif running is not None and running.job.exclusive is not None:
            _report(job, Refused(running.job.exclusive))
            return None
        self._waiting.append(_Waiting(job.priority, next(self._order), job))
        self._waiting.sort()
        self.wake()
        return running.job if running is not None else None

    def wake(self) -> None:
        """Any thread: there is new work (a job in a source's queue)."""
        self._woken.set()
        if self._on_wake is not None:
            self._on_wake()

    def wait(self, timeout: float) -> None:
        """For a thread without an event loop: waits for `wake` at most `timeout` seconds."""
        self._woken.wait(timeout)

    def run_slice(self, seconds: float) -> bool:
        """Runs jobs for about `seconds`; True while there is more to run now."""
        self._woken.clear()  # before the queues are read: a later wake is never lost
        self._refuse_stopped()
        deadline = time.monotonic() + seconds
        while True:  # at least one step, however short the slice
            running = self._running or self._start_next()
            if running is None:
                return False
            if self._goes_before(running) and self._pause(running):
                continue
            self._step(running)
            if time.monotonic() >= deadline:
                break
        running = self._running
        if running is not None and running.job.after_slice is not None:
            running.job.after_slice()
        return True

    def _step(self, running: _Running) -> None:
        try:
            event = next(running.steps)
            ended = running.job.on_event(event)
        except StopIteration:
            ended = True
        except Exception as error:
            _close(running.steps)
            self._end(running, error)
            return
        if ended:
            _close(running.steps)
            self._end(running, None)

    def _goes_before(self, running: _Running) -> bool:
        """Whether a waiting job should pause the running one."""
        return (running.job.pause is not None and bool(self._waiting)
                and self._waiting[0].priority < running.job.priority)

    def _pause(self, running: _Running) -> bool:
        """Puts the running job aside; False if it runs on (it could not be paused now)."""
        assert running.job.pause is not None
        try:
            paused = running.job.pause()
        except Exception as error:
            _close(running.steps)
            self._end(running, error)
            return True
        if not paused:
            return False
        log.info("%s paused for %s", running.job.what, self._waiting[0].job.what)
        self._paused.append(running)
        self._running = None
        return True

    def _resume_paused(self) -> _Running | None:
        """The newest paused job, taken up again, once nothing that goes before it waits."""
        while self._paused:
            newest = self._paused[-1]
            if self._waiting and self._waiting[0].priority < newest.job.priority:
                return None
            self._paused.pop()
            try:
                assert newest.job.resume is not None
                newest.job.resume()
            except Exception as error:
                _close(newest.steps)
                self._end(newest, error)
                continue
            self._running = newest
            return newest
        return None

    def interrupt(self, reason: str) -> None:
        """Stops the running job and the paused ones now; what waits stays queued."""
        running = self._running
        if running is not None:
            if running.job.drain_on_interrupt:
                self._drain(running)
            else:
                _close(running.steps)
            self._end(running, Interrupted(reason))
        while self._paused:
            paused = self._paused.pop()
            _close(paused.steps)
            self._end(paused, Interrupted(reason))

    def shutdown(self, reason: str) -> None:
        """Stops the running job and refuses every waiting one, those in sources included."""
        self.interrupt(reason)
        waiting, self._waiting = self._waiting, []
        for entry in waiting:
            _report(entry.job, Refused(reason))
        for _priority, take in self._sources:
            while (job := take()) is not None:
                _report(job, Refused(reason))
        self._sources.clear()

    def _start_next(self) -> _Running | None:
        resumed = self._resume_paused()
        if resumed is not None:
            return resumed
        while (job := self._next_job()) is not None:
            if job.cancel is not None and job.cancel.is_set():
                _report(job, Refused(STOPPED_WHILE_WAITING))
                continue
            try:
                steps = job.start()
            except Exception as error:
                _report(job, error)
                continue
            self._running = _Running(job, steps)
            return self._running
        return None

    def _next_job(self) -> Job | None:
        first = self._waiting[0] if self._waiting else None
        for priority, take in self._sources:
            if first is not None and first.priority <= priority:
                break
            job = take()
            if job is not None:
                return job
        if first is None:
            return None
        self._waiting.pop(0)
        return first.job

    def _refuse_stopped(self) -> None:
        """Waiting jobs whose Stop was pressed end now, not when their turn comes; with an
        exclusive job running, every waiting job is refused with its reason."""
        running = self._running
        exclusive = running.job.exclusive if running is not None else None
        kept: list[_Waiting] = []
        for entry in self._waiting:
            cancel = entry.job.cancel
            if exclusive is not None:
                _report(entry.job, Refused(exclusive))
            elif cancel is not None and cancel.is_set():
                _report(entry.job, Refused(STOPPED_WHILE_WAITING))
            else:
                kept.append(entry)
        self._waiting = kept
        if exclusive is not None:
            for _priority, take in self._sources:
                while (job := take()) is not None:
                    _report(job, Refused(exclusive))

    def _drain(self, running: _Running) -> None:
        cancel = running.job.cancel
        if isinstance(cancel, threading.Event):
            cancel.set()
        try:
            for event in running.steps:
                if running.job.on_event(event):
                    break
        except Exception:
            log.exception("%s failed while it was being stopped", running.job.what)
        _close(running.steps)

    def _end(self, running: _Running, end: BaseException | None) -> None:
        if self._running is running:
            self._running = None
        _report(running.job, end)


def _report(job: Job, end: BaseException | None) -> None:
    """Calls `on_end`; a fault there is logged, never allowed to stop the other jobs."""
    try:
        job.on_end(end)
    except Exception:
        log.exception("ending %s failed", job.what)


def _close(steps: Iterator[object]) -> None:
    close = getattr(steps, "close", None)
    if close is not None:
        try:
            close()
        except Exception:
            log.exception("a job's steps failed while closing")
