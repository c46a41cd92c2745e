"""Resumable, verified model downloads into the models folder.

A download (one QuantOption: one file, or every part of a split model) lives in
`<models>/.partial/<id>/` until it is complete: `download.json` records the repository, the
commit and each file's size and ETag, `<i>.part` holds the bytes of file i received so far and
becomes `<i>.verified` once its sha256 matches the Hub's. A pause, a cut connection or a closed
app therefore continues from the bytes on disk with a `Range` request. When every file is
verified they are moved into `<models>/<owner>/<repo>/<path in repo>` with os.replace, the
first part of a split model last, so a model that shows up in the folder is always whole.

The Hub's metadata comes from huggingface_hub's `get_hf_file_metadata` and the bytes through its
shared HTTP session, but the body is streamed here rather than by `file_download.http_get`:
that reads 10 MiB before writing anything, so a cut connection would lose up to 10 MiB already
received, and a pause or a progress update would wait for the next 10 MiB. The token goes only
to the Hub itself, never to the storage host a file redirects to.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import logging
import math
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlparse

import httpx2
from filelock import FileLock, Timeout
from huggingface_hub import get_hf_file_metadata, get_session, hf_hub_url, hf_raise_for_status
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled
from huggingface_hub.utils._headers import build_hf_headers

from engine.errors import DownloadError, HearthError, NotEnoughSpaceError
from engine.models.hub import (
    LIBRARY_NAME,
    REQUEST_TIMEOUT_S,
    QuantOption,
    RemoteFile,
    hub_endpoint,
    hub_error,
)
from engine.text import Text, Wording

log = logging.getLogger(__name__)

PARTIAL_DIR_NAME = ".partial"
MANIFEST_NAME = "download.json"
LOCK_NAME = ".lock"
MANIFEST_FORMAT = 1
READ_TIMEOUT_S = 20.0  # a connection silent this long counts as cut, and is retried
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0)
PROGRESS_INTERVAL_S = 0.2
SPEED_HALF_LIFE_S = 3.0
HASH_BLOCK = 4 << 20
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_GIT_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_FORBIDDEN_NAME_CHARS = re.compile(r'[\\\x00-\x1f:*?"<>|]')
_CONTENT_RANGE = re.compile(r"^bytes (\d+)-(\d+)/(\d+|\*)$")


class DownloadState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    VERIFYING = "verifying"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    FAILED = "failed"
    DONE = "done"


@dataclass(frozen=True)
class DownloadEvent:
    """What a download is doing. Byte counts cover all files of the download together."""

    download_id: str
    repo_id: str
    name: str
    state: DownloadState
    bytes_done: int = 0
    bytes_total: int = 0
    resumed_from: int = 0  # bytes already on disk when this run started
    speed_bps: float = 0.0  # smoothed
    eta_s: float | None = None
    file_index: int = 0  # 1-based; 0 before the first file starts
    file_count: int = 0
    file_name: str = ""
    message: Wording = ""
    error: HearthError | None = None
    paths: tuple[Path, ...] = ()  # when DONE: the installed files, the one to load first


@dataclass(frozen=True)
class PartialDownload:
    """An unfinished download found on disk, to offer resuming it."""

    download_id: str
    option: QuantOption
    bytes_on_disk: int

    @property
    def bytes_total(self) -> int:
        return self.option.size


EventCallback = Callable[[DownloadEvent], None]


def download_id_for(option: QuantOption) -> str:
    """Stable across restarts: the same files of the same commit are the same download."""
    key = "\n".join([option.repo_id, option.revision, *(file.path for file in option.files)])
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def destination_path(models_dir: Path, repo_id: str, file_path: str) -> Path:
    """Where a repository's .gguf file goes: `<models>/<owner>/<repo>/<path>`. Names come from
    a server, so anything that could land outside the models folder is refused."""
    parts = [*repo_id.split("/"), *file_path.split("/")]
    for part in parts:
        if part in ("", ".", "..") or _FORBIDDEN_NAME_CHARS.search(part) or part != part.strip():
            raise DownloadError(
                Text("Refusing to download {repo_id}/{file_path!r}: that name could write outside "
                     "the models folder.",
                     repo_id=repo_id, file_path=file_path)
            )
    if not parts[-1].lower().endswith(".gguf"):
        raise DownloadError(Text("Refusing to download {file_path!r}: it is not a .gguf model "
                                 "file.",
                                 file_path=file_path))
    root = models_dir.resolve()
    target = root.joinpath(*parts)
    if not target.resolve().is_relative_to(root):
        raise DownloadError(
            Text("Refusing to download {repo_id}/{file_path!r}: it would land outside the models "
                 "folder (through a link).",
                 repo_id=repo_id, file_path=file_path)
        )
    return target


def partial_downloads(models_dir: Path) -> list[PartialDownload]:
    """Unfinished downloads on disk, the least recently run first. Folders without a readable
    record are skipped: without it their bytes cannot be resumed or checked."""
    root = models_dir / PARTIAL_DIR_NAME
    found: list[tuple[float, PartialDownload]] = []
    if not root.is_dir():
        return []
    for folder in root.iterdir():
        manifest = _read_manifest(folder)
        try:
            last_run = (folder / MANIFEST_NAME).stat().st_mtime
        except OSError:
            continue
        if manifest is not None:
            on_disk = _bytes_on_disk(folder, manifest)
            found.append((last_run, PartialDownload(folder.name, manifest.option, on_disk)))
    return [partial for _, partial in sorted(found, key=lambda item: item[0])]


def discard_partial(models_dir: Path, download_id: str) -> None:
    folder = _partial_folder(models_dir, download_id)
    try:
        shutil.rmtree(folder)
    except FileNotFoundError:
        return
    except OSError as error:
        raise DownloadError(Text("Cannot delete the partial download in {folder}: {error}",
                                 folder=folder, error=error)) from error


def run_download(
    option: QuantOption,
    models_dir: Path,
    *,
    stop: threading.Event,
    on_event: EventCallback,
    endpoint: str | None = None,
    token: str | None = None,
    retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    progress_interval_s: float = PROGRESS_INTERVAL_S,
) -> tuple[Path, ...] | None:
    """Downloads, verifies and installs one model, continuing from any bytes already on disk.

    Returns the installed paths (the one to load first), or None when `stop` was set: the
    partial download is kept. Failures raise a HearthError saying whether bytes were kept; a
    run that fails with nothing on disk leaves nothing behind. Transient network failures are
    retried after each of `retry_delays` in turn; progress is reported at most every
    `progress_interval_s` while bytes arrive."""
    for file in option.files:
        destination_path(models_dir, option.repo_id, file.path)
    folder = _partial_folder(models_dir, download_id_for(option))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(Text("Cannot create {folder}: {reason}",
                                 folder=folder, reason=error.strerror or error)) from error
    # One writer per partial download, also across processes (the app and hearth-cli).
    lock = FileLock(folder / LOCK_NAME, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise DownloadError(
            Text("{name} is already being downloaded, by another Hearth window or hearth-cli.",
                 name=option.name)
        ) from None
    remove_folder = False
    try:
        download = _Download(
            option,
            models_dir,
            stop=stop,
            on_event=on_event,
            endpoint=hub_endpoint(endpoint),
            token=token,
            retry_delays=tuple(retry_delays),
            progress_interval_s=progress_interval_s,
        )
        paths = download.run()
        remove_folder = paths is not None
    except HearthError:
        remove_folder = _bytes_on_disk(folder, download.manifest) == 0
        raise
    finally:
        lock.release()
        if remove_folder:
            shutil.rmtree(folder, ignore_errors=True)
    if paths is not None:
        download.progress.emit(DownloadState.DONE, paths=paths)
    return paths


class DownloadManager:
    """Runs downloads on plain background threads and reports every change through `on_event`
    (called from those threads). Pausing keeps the partial download, cancelling deletes it;
    `unfinished()` lists what a previous session left, to offer resuming it."""

    def __init__(
        self,
        models_dir: Path,
        on_event: EventCallback,
        *,
        endpoint: str | None = None,
        token: Callable[[], str | None] = lambda: None,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        progress_interval_s: float = PROGRESS_INTERVAL_S,
    ) -> None:
        self._models_dir = models_dir
        self._on_event = on_event
        self._endpoint = endpoint
        self._token = token
        self._retry_delays = tuple(retry_delays)
        self._progress_interval_s = progress_interval_s
        self._lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}

    def start(self, option: QuantOption) -> str:
        """Starts (or continues, when a partial exists) downloading `option`; returns its id."""
        download_id = download_id_for(option)
        self._launch(download_id, option)
        return download_id

    def resume(self, download_id: str) -> None:
        with self._lock:
            job = self._jobs.get(download_id)
            if job is not None:
                # Still winding down after a pause: its thread goes on instead of ending.
                if job.stop.is_set() or job.finishing:
                    job.restart = not job.cancel
                return
        manifest = _read_manifest(_partial_folder(self._models_dir, download_id))
        if manifest is None:
            raise DownloadError(Text("There is no unfinished download to resume with that id."))
        self._launch(download_id, manifest.option)

    def pause(self, download_id: str) -> None:
        with self._lock:
            job = self._jobs.get(download_id)
            if job is not None:
                job.restart = False
                job.stop.set()

    def cancel(self, download_id: str) -> None:
        with self._lock:
            job = self._jobs.get(download_id)
            if job is not None:
                job.cancel = True
                job.stop.set()
                return
        manifest = _read_manifest(_partial_folder(self._models_dir, download_id))
        discard_partial(self._models_dir, download_id)
        if manifest is not None:
            self._emit_final(download_id, manifest.option, DownloadState.CANCELLED)

    def running(self) -> list[str]:
        with self._lock:
            return list(self._jobs)

    def unfinished(self) -> list[PartialDownload]:
        """Partial downloads on disk that are not running now."""
        active = set(self.running())
        return [p for p in partial_downloads(self._models_dir) if p.download_id not in active]

    def wait(self, download_id: str, timeout: float | None = None) -> bool:
        """Waits for a download's thread to end; True when it has (or none was running)."""
        with self._lock:
            job = self._jobs.get(download_id)
        if job is None:
            return True
        job.thread.join(timeout)
        return not job.thread.is_alive()

    def shutdown(self, timeout: float | None = None) -> None:
        """Pauses everything (partials are kept for the next start) and waits for the threads."""
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.restart = False
            job.stop.set()
        for job in jobs:
            job.thread.join(timeout)

    def _launch(self, download_id: str, option: QuantOption) -> None:
        with self._lock:
            if download_id in self._jobs:
                return
            thread = threading.Thread(
                target=self._work, args=(download_id,), name=f"download-{download_id}",
                daemon=True,
            )
            self._jobs[download_id] = _Job(option, thread)
        self._on_event(_event(download_id, option, DownloadState.QUEUED))
        thread.start()

    def _work(self, download_id: str) -> None:
        with self._lock:
            job = self._jobs[download_id]
        while True:
            paths, failure = (None, None) if job.stop.is_set() else self._run(job)
            with self._lock:
                job.finishing = True
                cancelled = job.cancel and paths is None
            if cancelled:
                try:
                    discard_partial(self._models_dir, download_id)
                except DownloadError as error:
                    failure, cancelled = error, False
            if cancelled:
                self._emit_final(download_id, job.option, DownloadState.CANCELLED)
            elif failure is not None:
                self._emit_final(download_id, job.option, DownloadState.FAILED, failure)
            elif paths is None:
                self._emit_final(download_id, job.option, DownloadState.PAUSED)
            with self._lock:
                # A resume or a cancel that came while the final event went out.
                if paths is None and not cancelled and (job.restart or job.cancel):
                    job.finishing = False
                    if not job.cancel:
                        job.restart = False
                        job.stop.clear()
                    continue
                del self._jobs[download_id]
                return

    def _run(self, job: _Job) -> tuple[tuple[Path, ...] | None, HearthError | None]:
        try:
            paths = run_download(
                job.option,
                self._models_dir,
                stop=job.stop,
                on_event=self._on_event,
                endpoint=self._endpoint,
                token=self._token(),
                retry_delays=self._retry_delays,
                progress_interval_s=self._progress_interval_s,
            )
        except HearthError as error:
            return None, error
        except Exception as error:  # a bug must still end as a visible failure, not a dead thread
            log.exception("download of %s failed", job.option.name)
            return None, DownloadError(Text("The download failed unexpectedly: {error}",
                                            error=repr(error)))
        return paths, None

    def _emit_final(
        self,
        download_id: str,
        option: QuantOption,
        state: DownloadState,
        error: HearthError | None = None,
    ) -> None:
        folder = _partial_folder(self._models_dir, download_id)
        manifest = _read_manifest(folder)
        on_disk = _bytes_on_disk(folder, manifest) if manifest is not None else 0
        self._on_event(
            replace(
                _event(download_id, option, state),
                bytes_done=on_disk,
                message=error.wording if error is not None else "",
                error=error,
            )
        )


@dataclass
class _Job:
    option: QuantOption
    thread: threading.Thread
    stop: threading.Event = field(default_factory=threading.Event)
    cancel: bool = False
    restart: bool = False  # resume was asked while a pause was still taking effect
    finishing: bool = False  # the run has ended; the final event is going out


@dataclass
class _FileRecord:
    path: str
    size: int
    sha256: str | None
    etag: str | None = None  # the Hub's ETag at the first request: the checksum to verify


@dataclass
class _Manifest:
    repo_id: str
    revision: str  # as asked for; part of the download's identity
    name: str
    quant: str
    files: list[_FileRecord]
    commit: str | None = None  # what the revision resolved to at the first request

    @property
    def option(self) -> QuantOption:
        return QuantOption(
            repo_id=self.repo_id,
            revision=self.revision,
            name=self.name,
            quant=self.quant,
            files=tuple(RemoteFile(f.path, f.size, f.sha256) for f in self.files),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MANIFEST_FORMAT,
            "repo_id": self.repo_id,
            "revision": self.revision,
            "commit": self.commit,
            "name": self.name,
            "quant": self.quant,
            "files": [vars(record) for record in self.files],
        }


class _Download:
    """One run of one download, on the calling thread."""

    def __init__(
        self,
        option: QuantOption,
        models_dir: Path,
        *,
        stop: threading.Event,
        on_event: EventCallback,
        endpoint: str,
        token: str | None,
        retry_delays: tuple[float, ...],
        progress_interval_s: float,
    ) -> None:
        self.models_dir = models_dir
        self.download_id = download_id_for(option)
        self.folder = _partial_folder(models_dir, self.download_id)
        self.manifest = _read_manifest(self.folder) or _Manifest(
            repo_id=option.repo_id,
            revision=option.revision,
            name=option.name,
            quant=option.quant,
            files=[_FileRecord(f.path, f.size, f.sha256) for f in option.files],
        )
        self.stop = stop
        self.endpoint = endpoint
        self.token = token
        self.retry_delays = retry_delays
        self.progress = _Progress(
            _event(self.download_id, self.manifest.option, DownloadState.RUNNING),
            on_event,
            done=_bytes_on_disk(self.folder, self.manifest),
            interval_s=progress_interval_s,
        )

    def run(self) -> tuple[Path, ...] | None:
        self._check_space()
        self._save_manifest()
        for index, record in enumerate(self.manifest.files):
            if self._verified(index).exists():
                continue
            self.progress.enter_file(index, record.path)
            if not self._fetch(index, record) or not self._verify(index, record):
                return None
        return self._install()

    def _check_space(self) -> None:
        needed = 0
        for index, record in enumerate(self.manifest.files):
            if not self._verified(index).exists():
                needed += max(record.size - _size_or_zero(self._part(index)), 0)
        self.models_dir.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(self.models_dir).free
        if needed > free:
            raise NotEnoughSpaceError(
                Text("Not enough disk space for {name}: it needs {needed} more and "
                     "{free} is free in {models_dir}; free up {short}.",
                     name=self.manifest.name, needed=_format_bytes(needed),
                     free=_format_bytes(free), models_dir=self.models_dir,
                     short=_format_bytes(needed - free))
            )

    def _fetch(self, index: int, record: _FileRecord) -> bool:
        """Brings file `index` to its full size; False when stopped. Transient failures (cut
        connection, time-outs, 5xx, 429) are retried from the bytes on disk after a pause
        that `stop` interrupts; the count of tries starts over whenever bytes arrive."""
        attempt = 0
        while not self.stop.is_set():
            before = _size_or_zero(self._part(index))
            try:
                return self._fetch_once(index, record)
            except (httpx2.HTTPError, _CutShort) as error:
                if not _is_transient(error):
                    raise self._hub_error(error, record) from error
                if _size_or_zero(self._part(index)) > before:
                    attempt = 0
                if attempt >= len(self.retry_delays):
                    raise self._hub_error(error, record) from error
                delay = self.retry_delays[attempt]
                log.info("download %s: %s; retrying in %s s", self.download_id, error, delay)
                self.progress.emit(
                    DownloadState.RUNNING,
                    message=Text("Connection trouble; retrying in {delay:g} s.", delay=delay),
                )
                if self.stop.wait(delay):
                    return False
                attempt += 1
            except (OfflineModeIsEnabled, ValueError) as error:
                raise self._hub_error(error, record) from error
        return False

    def _fetch_once(self, index: int, record: _FileRecord) -> bool:
        url = hf_hub_url(
            self.manifest.repo_id, record.path,
            revision=self.manifest.commit or self.manifest.revision, endpoint=self.endpoint,
        )
        metadata = get_hf_file_metadata(
            url, token=self.token or False, timeout=REQUEST_TIMEOUT_S,
            library_name=LIBRARY_NAME, endpoint=self.endpoint,
        )
        self._adopt_metadata(index, record, metadata.commit_hash, metadata.etag, metadata.size)
        part = self._part(index)
        offset = _size_or_zero(part)
        if offset == record.size:
            return True
        if offset > record.size:
            part.unlink()
            self.progress.rewind(offset)
            offset = 0
        send_token = self.token if _same_origin(url, metadata.location) else False
        headers = build_hf_headers(token=send_token, library_name=LIBRARY_NAME)
        headers["Accept-Encoding"] = "identity"
        if offset:
            headers["Range"] = f"bytes={offset}-"
        timeout = httpx2.Timeout(REQUEST_TIMEOUT_S, read=READ_TIMEOUT_S)
        with get_session().stream(
            "GET", metadata.location, headers=headers, timeout=timeout
        ) as response:
            hf_raise_for_status(response)
            offset = self._check_start(response, part, offset, record)
            handle = self._open_part(part)
            try:
                for chunk in response.iter_bytes():
                    try:
                        handle.write(chunk)
                    except OSError as error:
                        raise self._disk_error(error, part) from error
                    offset += len(chunk)
                    self.progress.advance(len(chunk))
                    if self.stop.is_set():
                        return False
            finally:
                self._close_part(handle, part)
        if offset != record.size:
            raise _CutShort(f"{record.path}: {offset} of {record.size} bytes arrived")
        return True

    def _adopt_metadata(
        self, index: int, record: _FileRecord, commit: str | None, etag: str | None,
        size: int | None,
    ) -> None:
        """Pins the download to the commit the revision first resolved to (later requests ask
        for that commit, so every file and every resume gets the same content), and starts a
        file over if the Hub describes other content than the bytes on disk came from."""
        if not etag:
            raise DownloadError(
                Text("Hugging Face gave no checksum for {path}; it cannot be verified.",
                     path=record.path)
            )
        changed = False
        if commit and self.manifest.commit is None:
            self.manifest.commit = commit
            changed = True
        if record.etag != etag or (size is not None and size != record.size):
            if record.etag is not None and self._part(index).exists():
                self.progress.rewind(_size_or_zero(self._part(index)))
                self._part(index).unlink()
            self.progress.resize(record.size, size if size is not None else record.size)
            record.etag = etag
            record.size = size if size is not None else record.size
            changed = True
        if changed:
            self._save_manifest()

    def _check_start(
        self, response: httpx2.Response, part: Path, offset: int, record: _FileRecord
    ) -> int:
        """Where the body starts: at `offset` (206), or at 0 when the server ignored the
        Range header (200), in which case the part file starts over."""
        if offset and response.status_code == 200:
            log.warning("download %s: range ignored, %s starts over", self.download_id, part)
            part.unlink(missing_ok=True)
            self.progress.rewind(offset)
            return 0
        if response.status_code == 206:
            found = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
            if found is None or int(found[1]) != offset:
                raise DownloadError(
                    Text("Hugging Face sent the wrong part of {path}; try again later.",
                         path=record.path)
                )
        return offset

    def _open_part(self, part: Path) -> BinaryIO:
        try:
            return part.open("ab")
        except OSError as error:
            raise self._disk_error(error, part) from error

    def _close_part(self, handle: BinaryIO, part: Path) -> None:
        try:
            handle.flush()
            os.fsync(handle.fileno())
        except OSError as error:
            with contextlib.suppress(OSError):
                handle.close()
            raise self._disk_error(error, part) from error
        handle.close()

    def _verify(self, index: int, record: _FileRecord) -> bool:
        """Checks the finished part against the Hub's checksum: the sha256 (the ETag of an LFS
        file) or, for a file kept in git, its git blob id. False when stopped."""
        self.progress.emit(DownloadState.VERIFYING)
        part = self._part(index)
        etag = (record.etag or "").lower()
        if _SHA256.match(etag):
            digest, expected, kind = hashlib.sha256(), etag, "sha256"
        elif _GIT_SHA1.match(etag):
            digest, expected, kind = hashlib.sha1(usedforsecurity=False), etag, "git blob id"
            digest.update(f"blob {record.size}\0".encode())
        else:
            raise DownloadError(
                Text("Hugging Face gave no usable checksum for {path}; it cannot be verified.",
                     path=record.path)
            )
        try:
            with part.open("rb") as handle:
                while block := handle.read(HASH_BLOCK):
                    digest.update(block)
                    if self.stop.is_set():
                        return False
        except OSError as error:
            raise self._disk_error(error, part) from error
        actual = digest.hexdigest()
        if actual != expected:
            part.unlink(missing_ok=True)
            self.progress.rewind(record.size)
            raise DownloadError(
                Text("{path} is damaged: its {kind} is {actual}…, Hugging Face says {expected}…. "
                     "The downloaded file was deleted; try again.",
                     path=record.path, kind=kind, actual=actual[:12], expected=expected[:12])
            )
        os.replace(part, self._verified(index))
        return True

    def _install(self) -> tuple[Path, ...]:
        """Moves every verified file into place, the first part last."""
        files = self.manifest.files
        targets = [destination_path(self.models_dir, self.manifest.repo_id, f.path) for f in files]
        for index in reversed(range(len(files))):
            target = targets[index]
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                destination_path(self.models_dir, self.manifest.repo_id, files[index].path)
                os.replace(self._verified(index), target)
            except OSError as error:
                raise DownloadError(
                    Text("Cannot move {path} into {parent}: {reason}. The verified download is "
                         "kept.",
                         path=files[index].path, parent=target.parent,
                         reason=error.strerror or error)
                ) from error
        return tuple(targets)

    def _hub_error(self, error: Exception, record: _FileRecord) -> HearthError:
        if isinstance(error, _CutShort):
            failure: HearthError = DownloadError(
                Text("The connection kept breaking off while downloading {path}.", path=record.path)
            )
        else:
            failure = hub_error(
                error,
                action=f"Downloading {self.manifest.name}",
                endpoint=self.endpoint,
                token_given=bool(self.token),
                repo_id=self.manifest.repo_id,
                revision=self.manifest.revision,
                file_name=record.path,
            )
        kept = self.progress.done
        if kept:
            failure = type(failure)(
                f"{failure} The {_format_bytes(kept)} downloaded so far are kept; resuming "
                "continues from there."
            )
        return failure

    def _disk_error(self, error: OSError, path: Path) -> DownloadError:
        kept = f"The {_format_bytes(self.progress.done)} downloaded so far are kept."
        if error.errno == errno.ENOSPC:
            return DownloadError(
                Text("The disk is full: the download of {name} stopped. {kept} Free some space "
                     "and resume.",
                     name=self.manifest.name, kept=kept)
            )
        return DownloadError(Text("Cannot write {path}: {reason}. {kept}",
                                  path=path, reason=error.strerror or error, kept=kept))

    def _part(self, index: int) -> Path:
        return self.folder / f"{index}.part"

    def _verified(self, index: int) -> Path:
        return self.folder / f"{index}.verified"

    def _save_manifest(self) -> None:
        temporary = self.folder / f".{MANIFEST_NAME}.tmp"
        try:
            temporary.write_text(json.dumps(self.manifest.to_json(), indent=1), encoding="utf-8")
            os.replace(temporary, self.folder / MANIFEST_NAME)
        except OSError as error:
            raise self._disk_error(error, temporary) from error


class _CutShort(Exception):
    """The body ended before the file's last byte without a transport error."""


class _Progress:
    """Running byte counts, a smoothed speed and an ETA, sent at most every `interval_s`
    while bytes arrive, and at every change of state."""

    def __init__(
        self, template: DownloadEvent, on_event: EventCallback, *, done: int, interval_s: float
    ) -> None:
        self.template = template
        self.on_event = on_event
        self.interval_s = interval_s
        self.done = done
        self.resumed_from = done
        self.total = template.bytes_total
        self.file_index = 0
        self.file_name = ""
        self.speed = 0.0
        self._mark_time = time.monotonic()
        self._mark_done = done
        self._measured = False

    def enter_file(self, index: int, path: str) -> None:
        self.file_index = index + 1
        self.file_name = path
        self.emit(DownloadState.RUNNING)

    def advance(self, count: int) -> None:
        self.done += count
        if time.monotonic() - self._mark_time >= self.interval_s:
            self.emit(DownloadState.RUNNING)

    def rewind(self, count: int) -> None:
        self.done = max(self.done - count, 0)
        self._mark_done = min(self._mark_done, self.done)

    def resize(self, old_size: int, new_size: int) -> None:
        self.total += new_size - old_size

    def emit(
        self, state: DownloadState, *, paths: tuple[Path, ...] = (), message: Wording = ""
    ) -> None:
        now = time.monotonic()
        elapsed = now - self._mark_time
        if elapsed > 0 and self.done > self._mark_done:
            rate = (self.done - self._mark_done) / elapsed
            weight = 1 - math.exp(-elapsed * math.log(2) / SPEED_HALF_LIFE_S)
            self.speed = rate if not self._measured else self.speed + weight * (rate - self.speed)
            self._measured = True
        self._mark_time, self._mark_done = now, self.done
        remaining = max(self.total - self.done, 0)
        eta = remaining / self.speed if self.speed > 0 else None
        self.on_event(
            replace(
                self.template,
                state=state,
                bytes_done=self.done,
                bytes_total=self.total,
                resumed_from=self.resumed_from,
                speed_bps=self.speed,
                eta_s=eta,
                file_index=self.file_index,
                file_name=self.file_name,
                message=message,
                paths=paths,
            )
        )


def _event(download_id: str, option: QuantOption, state: DownloadState) -> DownloadEvent:
    return DownloadEvent(
        download_id=download_id,
        repo_id=option.repo_id,
        name=option.name,
        state=state,
        bytes_total=option.size,
        file_count=len(option.files),
    )


def _is_transient(error: Exception) -> bool:
    if isinstance(error, HfHubHTTPError):
        return error.response is not None and error.response.status_code in RETRY_STATUSES
    if isinstance(error, httpx2.TransportError):
        return not isinstance(error, httpx2.UnsupportedProtocol | httpx2.ProxyError)
    return isinstance(error, _CutShort)


def _same_origin(first: str, second: str) -> bool:
    a, b = urlparse(first), urlparse(second)
    default = {"http": 80, "https": 443}
    return (a.scheme, a.hostname, a.port or default.get(a.scheme)) == (
        b.scheme,
        b.hostname,
        b.port or default.get(b.scheme),
    )


def _partial_folder(models_dir: Path, download_id: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{16}", download_id):
        raise DownloadError(Text("{download_id!r} is not a download id.", download_id=download_id))
    return models_dir / PARTIAL_DIR_NAME / download_id


def _read_manifest(folder: Path) -> _Manifest | None:
    try:
        data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
        if data.get("format") != MANIFEST_FORMAT:
            return None
        return _Manifest(
            repo_id=str(data["repo_id"]),
            revision=str(data["revision"]),
            name=str(data["name"]),
            quant=str(data["quant"]),
            commit=str(data["commit"]) if data.get("commit") else None,
            files=[
                _FileRecord(
                    path=str(item["path"]),
                    size=int(item["size"]),
                    sha256=item.get("sha256"),
                    etag=item.get("etag"),
                )
                for item in data["files"]
            ],
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _bytes_on_disk(folder: Path, manifest: _Manifest) -> int:
    total = 0
    for index in range(len(manifest.files)):
        total += _size_or_zero(folder / f"{index}.verified") or _size_or_zero(
            folder / f"{index}.part"
        )
    return total


def _size_or_zero(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _format_bytes(count: int) -> str:
    """Decimal units, as the Hub and file managers show sizes."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"
