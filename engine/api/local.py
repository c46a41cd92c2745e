"""A model file served over the API with an engine thread of its own (the CLI, tests, scripts).

    with LocalServer(model_path, token="...") as server:   # loads the model, then listens
        OpenAI(base_url=server.url, api_key=server.token)

The engine thread owns the model (in the engine host process): it loads it, runs the requests
through a `Scheduler` as the app does (several side by side when they can share a batch), loads
it again after a crash of the host, and closes it at the end. A model Hearth gives up on (it
crashed even loaded the safest way, engine/host/safe_configs.py) is not loaded again: every
request is answered 503 saying why until the server is started with another model. The
desktop app does not use this: its own engine thread runs the same jobs between chat work
(desktop/api/host.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from engine.api.access import new_token
from engine.api.jobs import DEFAULT_MAX_WAITING, ApiService
from engine.api.runner import ApiRunner
from engine.api.server import ApiServer
from engine.errors import HearthError, ModelError
from engine.host.client import HostCrash, HostRuntime
from engine.host.kv_states import ChatKvStates
from engine.host.runtime import LoadedModel
from engine.scheduler import Job, Priority, Scheduler
from engine.settings import RuntimeSettings, SamplingSettings

log = logging.getLogger(__name__)

WAIT_S = 0.2  # how long the idle engine thread waits for a job before looking at `stop`
SLICE_S = 0.05  # nothing else runs on this thread: slices only bound how soon `stop` is seen


class LocalServer:
    def __init__(
        self, model: Path, *, runtime: RuntimeSettings | None = None,
        n_threads: int | None = None, host: str = "127.0.0.1", port: int = 0,
        token: str | None = None, allow_network: bool = False,
        defaults: SamplingSettings | None = None, max_waiting: int = DEFAULT_MAX_WAITING,
        draft: Path | None = None, draft_optional: bool = False,
    ) -> None:
        """Binds, loads the model (and `draft` to draft its replies, engine/host/drafting.py),
        then serves; raises HearthError (port in use, ModelError). An optional draft (the one
        the settings pair with the model) that cannot draft is left out: `draft_problem` says
        why."""
        self._scheduler = Scheduler()
        self.service = ApiService(max_waiting, notify=self._scheduler.wake)
        self.service.set_defaults(defaults or SamplingSettings())
        # Bound before the load, so a port in use is said at once, not after a long load.
        self.server = ApiServer(self.service, host, port, token or new_token(),
                                allow_network=allow_network)
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._load_error: HearthError | None = None
        self.loaded: LoadedModel | None = None
        self.draft_problem: HearthError | None = None
        self._engine = threading.Thread(
            target=self._run_engine,
            args=(model, runtime or RuntimeSettings(), n_threads, draft, draft_optional),
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
        self._scheduler.wake()
        self._engine.join()

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _recover(self, runtime: HostRuntime, runner: ApiRunner, crash: HostCrash) -> Job:
        """The reload after a crash of the host, as a job: requests wait behind it."""
        def reload() -> Iterator[object]:
            if crash.gave_up is not None:  # loading it again would only crash again
                self.loaded = None
                self.service.set_unavailable(crash.given_up_message())
                return iter(())
            runner.publish_model()  # requests meanwhile are answered 503
            try:
                self.loaded = runtime.recover()
            except HearthError:
                log.exception("the model could not be loaded again after a crash")
            runner.publish_model()
            return iter(())
        return Job("reloading the model", Priority.LOAD, start=reload)

    def _run_engine(self, model: Path, settings: RuntimeSettings, n_threads: int | None,
                    draft: Path | None, draft_optional: bool) -> None:
        runtime = HostRuntime()
        scheduler = self._scheduler
        try:
            try:
                self.loaded = runtime.load(model, settings, n_threads)
                if draft is not None:
                    try:
                        self.loaded = runtime.attach_draft(draft)
                    except ModelError as error:
                        if not draft_optional:
                            raise
                        self.draft_problem = error
                        self.loaded = runtime.loaded
            except HearthError as error:
                self._load_error = error
                return
            finally:
                self._ready.set()
            runner = ApiRunner(runtime, ChatKvStates(runtime), self.service)
            runner.publish_model()
            scheduler.add_source(Priority.API, runner.next_job)

            def crashed(crash: HostCrash) -> None:
                scheduler.submit(self._recover(runtime, runner, crash))
            runtime.on_crash = crashed
            try:
                while not self._stop.is_set():
                    if not scheduler.run_slice(SLICE_S):
                        scheduler.wait(WAIT_S)
            finally:
                scheduler.shutdown("The server stopped.")
                runner.close()
        finally:
            runtime.close()
