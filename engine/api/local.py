"""A model file served over the API with an engine thread of its own (the CLI, tests, scripts).

    with LocalServer(model_path, token="...") as server:   # loads the model, then listens
        OpenAI(base_url=server.url, api_key=server.token)

The engine thread owns the model (in the engine host process): it loads it, runs queued jobs one
after another, loads it again after a crash of the host, and closes it at the end. The desktop
app does not use this: its own engine thread runs the jobs between chat work
(desktop/api/host.py).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from types import TracebackType

from engine.api.access import new_token
from engine.api.jobs import DEFAULT_MAX_WAITING, ApiService
from engine.api.runner import ApiRunner, parallel_ready
from engine.api.server import ApiServer
from engine.errors import HearthError
from engine.host.batch import MAX_SEQUENCES
from engine.host.client import HostRuntime
from engine.host.kv_states import ChatKvStates
from engine.host.runtime import LoadedModel
from engine.settings import RuntimeSettings, SamplingSettings

log = logging.getLogger(__name__)

WAIT_S = 0.2  # how long the idle engine thread waits for a job before looking at `stop`


class LocalServer:
    def __init__(
        self, model: Path, *, runtime: RuntimeSettings | None = None,
        n_threads: int | None = None, host: str = "127.0.0.1", port: int = 0,
        token: str | None = None, allow_network: bool = False,
        defaults: SamplingSettings | None = None, max_waiting: int = DEFAULT_MAX_WAITING,
    ) -> None:
        """Binds, loads the model, then serves; raises HearthError (port in use, ModelError)."""
        self.service = ApiService(max_waiting)
        self.service.set_defaults(defaults or SamplingSettings())
        # Bound before the load, so a port in use is said at once, not after a long load.
        self.server = ApiServer(self.service, host, port, token or new_token(),
                                allow_network=allow_network)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._load_error: HearthError | None = None
        self.loaded: LoadedModel | None = None
        self._engine = threading.Thread(
            target=self._run_engine, args=(model, runtime or RuntimeSettings(), n_threads),
            name="hearth-api-engine", daemon=True,
        )
        self._engine.start()
        self._ready.wait()
        if self._load_error is not None:
            self.close()
            raise self._load_error
        self.server.start()

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def token(self) -> str:
        return self.server.token

    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until the engine thread ends (after `close`); True if it has."""
        self._engine.join(timeout)
        return not self._engine.is_alive()

    def close(self) -> None:
        self.server.close()
        self._stop_engine()

    def _stop_engine(self) -> None:
        self._stop.set()
        self.service.close()
        self._engine.join()

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _recover(self, runtime: HostRuntime, runner: ApiRunner) -> None:
        runner.publish_model()
        try:
            self.loaded = runtime.recover()
        except HearthError:
            log.exception("the model could not be loaded again after a crash")
        runner.publish_model()

    def _run_engine(self, model: Path, settings: RuntimeSettings, n_threads: int | None) -> None:
        runtime = HostRuntime()
        try:
            try:
                self.loaded = runtime.load(model, settings, n_threads)
            except HearthError as error:
                self._load_error = error
                return
            finally:
                self._ready.set()
            runner = ApiRunner(runtime, ChatKvStates(runtime), self.service)
            runner.publish_model()
            try:
                while not self._stop.is_set():
                    job = self.service.wait_for_job(WAIT_S)
                    if job is None:
                        continue
                    # Requests waiting beside it that may share its batch are answered with it.
                    more = self.service.take_matching(MAX_SEQUENCES - 1, parallel_ready) \
                        if parallel_ready(job) else []
                    jobs = [job, *more]
                    for _step in runner.steps_parallel(jobs) if more else runner.steps(job):
                        if self._stop.is_set():
                            for each in jobs:
                                each.cancel.set()
                    if runtime.loaded is None:  # the host died: requests get 503 meanwhile
                        self._recover(runtime, runner)
            finally:
                runner.close()
        finally:
            runtime.close()
