"""Downloads through the real huggingface_hub client from the Hub imitation: progress, resume
after a cut connection or a restart, verification, disk space, errors, path safety."""

from __future__ import annotations

import errno
import hashlib
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from huggingface_hub import get_hf_file_metadata, hf_hub_url

from engine.errors import (
    DownloadError,
    GatedModelError,
    HubError,
    HubOfflineError,
    NotEnoughSpaceError,
)
from engine.models import downloads
from engine.models.downloads import (
    DownloadEvent,
    DownloadManager,
    DownloadState,
    PartialDownload,
    destination_path,
    download_id_for,
    partial_downloads,
    run_download,
)
from engine.models.files import check_model_file
from engine.models.gguf import read_header
from engine.models.hub import QuantOption, RemoteFile, repo_gguf_files
from engine.paths import app_paths
from tests.hub_imitation import HubImitation, hub_imitation, make_gguf

REPO = "hearth-test/SmolLM2-135M-Instruct-GGUF"
BUNDLED_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
NO_WAIT = (0.0, 0.0, 0.0)
WAIT_S = 60.0


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubImitation]:
    yield from hub_imitation(monkeypatch)


@pytest.fixture
def models_dir() -> Path:
    return app_paths().models_dir


class Events:
    """Collects events from download threads; tests wait on conditions, never on time."""

    def __init__(self) -> None:
        self.seen: list[DownloadEvent] = []
        self._changed = threading.Condition()

    def __call__(self, event: DownloadEvent) -> None:
        with self._changed:
            self.seen.append(event)
            self._changed.notify_all()

    def wait_for(self, state: DownloadState) -> DownloadEvent:
        with self._changed:
            assert self._changed.wait_for(
                lambda: any(e.state is state for e in self.seen), WAIT_S
            ), f"no {state} event; saw {[e.state for e in self.seen]}"
            return next(e for e in reversed(self.seen) if e.state is state)

    def states(self) -> list[DownloadState]:
        with self._changed:
            return [e.state for e in self.seen]


def _download(
    option: QuantOption, models_dir: Path, events: Callable[[DownloadEvent], None] | None = None,
    **options: Any,
) -> tuple[Path, ...] | None:
    return run_download(
        option, models_dir, stop=threading.Event(), on_event=events or (lambda event: None),
        endpoint=options.pop("endpoint"), retry_delays=options.pop("retry_delays", NO_WAIT),
        **options,
    )


def _only_option(hub: HubImitation, repo_id: str, token: str | None = None) -> QuantOption:
    (option,) = repo_gguf_files(repo_id, endpoint=hub.endpoint, token=token)
    return option


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_bundled_model_downloads_with_progress_events_in_order(
    hub: HubImitation, models_dir: Path, bundled_model: Path
) -> None:
    repo = hub.add_repo(REPO, {BUNDLED_NAME: bundled_model})
    option = _only_option(hub, REPO)
    events = Events()

    # The Hub says the file is in Xet storage; the download goes over the redirect's plain HTTP.
    metadata = get_hf_file_metadata(hf_hub_url(REPO, BUNDLED_NAME, endpoint=hub.endpoint),
                                    token=False, endpoint=hub.endpoint)
    assert metadata.xet_file_data is not None
    assert metadata.xet_file_data.file_hash == repo.files[BUNDLED_NAME].xet_hash

    paths = _download(option, models_dir, events, endpoint=hub.endpoint, progress_interval_s=0)

    target = models_dir / "hearth-test" / "SmolLM2-135M-Instruct-GGUF" / BUNDLED_NAME
    assert paths == (target,)
    assert _sha256(target) == repo.files[BUNDLED_NAME].sha256
    assert check_model_file(target).size_bytes == bundled_model.stat().st_size
    assert read_header(target).metadata["general.architecture"] == "llama"
    states = events.states()
    assert states[0] is DownloadState.RUNNING
    assert states[-2:] == [DownloadState.VERIFYING, DownloadState.DONE]
    assert set(states[:-2]) == {DownloadState.RUNNING}
    done = [e.bytes_done for e in events.seen]
    assert done == sorted(done) and done[-1] == option.size
    assert len(done) > 10
    middle = next(e for e in events.seen if 0 < e.bytes_done < option.size)
    assert middle.speed_bps > 0 and middle.eta_s is not None
    assert {(e.file_index, e.file_count, e.bytes_total) for e in events.seen} == {
        (1, 1, option.size)
    }
    assert events.seen[-1].paths == (target,)
    assert hub.ranges[f"{REPO}/{BUNDLED_NAME}"] == [None]
    assert not (models_dir / downloads.PARTIAL_DIR_NAME / download_id_for(option)).exists()


def test_a_cut_connection_resumes_without_fetching_the_bytes_before_the_cut_again(
    hub: HubImitation, models_dir: Path, bundled_model: Path
) -> None:
    hub.add_repo(REPO, {BUNDLED_NAME: bundled_model})
    option = _only_option(hub, REPO)
    cut = 40_000_000
    hub.cut_after(REPO, BUNDLED_NAME, cut)
    events = Events()

    (path,) = _download(option, models_dir, events, endpoint=hub.endpoint) or ()

    key = f"{REPO}/{BUNDLED_NAME}"
    assert hub.ranges[key] == [None, f"bytes={cut}-"]
    assert hub.bytes_sent[key] == option.size  # nothing sent twice
    assert _sha256(path) == _sha256(bundled_model)
    retry = next(e for e in events.seen if e.message)
    assert (retry.bytes_done, str(retry.message)) == (cut, "Connection trouble; retrying in 0 s.")


def test_pause_then_resume_in_a_new_manager_as_after_a_restart(
    hub: HubImitation, models_dir: Path
) -> None:
    content = make_gguf(3_000_000)
    hub.add_repo("owner/Paused-GGUF", {"paused-Q4_0.gguf": content})
    option = _only_option(hub, "owner/Paused-GGUF")
    key = "owner/Paused-GGUF/paused-Q4_0.gguf"
    hold = hub.hold_at("owner/Paused-GGUF", "paused-Q4_0.gguf", 1_000_000)
    first_events = Events()
    first = DownloadManager(models_dir, first_events, endpoint=hub.endpoint, retry_delays=NO_WAIT)

    download_id = first.start(option)
    assert hold.reached.wait(WAIT_S)
    first.pause(download_id)
    hold.release()
    paused = first_events.wait_for(DownloadState.PAUSED)
    assert first.wait(download_id, WAIT_S) and hub.wait_idle()
    sent_before_restart = hub.bytes_sent[key]

    second_events = Events()
    second = DownloadManager(models_dir, second_events, endpoint=hub.endpoint, retry_delays=NO_WAIT)
    (unfinished,) = second.unfinished()
    on_disk = unfinished.bytes_on_disk
    assert unfinished == PartialDownload(download_id, option, on_disk)
    # The client stops after the first chunk it reads once paused: bytes still in transit
    # then are not on disk, and are the only ones fetched again.
    assert 0 < on_disk < len(content) and paused.bytes_done == on_disk
    second.resume(download_id)
    done = second_events.wait_for(DownloadState.DONE)

    assert hub.ranges[key] == [None, f"bytes={on_disk}-"]
    assert hub.bytes_sent[key] - sent_before_restart == len(content) - on_disk
    assert done.resumed_from == on_disk
    assert done.paths[0].read_bytes() == content
    assert second_events.states()[0] is DownloadState.QUEUED
    assert second.unfinished() == [] and second.running() == []


def test_cancel_stops_and_deletes_the_partial_download(hub: HubImitation, models_dir: Path) -> None:
    hub.add_repo("owner/Cancel-GGUF", {"c-Q4_0.gguf": make_gguf(2_000_000)})
    option = _only_option(hub, "owner/Cancel-GGUF")
    hold = hub.hold_at("owner/Cancel-GGUF", "c-Q4_0.gguf", 500_000)
    events = Events()
    manager = DownloadManager(models_dir, events, endpoint=hub.endpoint, retry_delays=NO_WAIT)

    download_id = manager.start(option)
    assert hold.reached.wait(WAIT_S)
    manager.cancel(download_id)
    hold.release()
    cancelled = events.wait_for(DownloadState.CANCELLED)

    assert (cancelled.download_id, cancelled.bytes_done) == (download_id, 0)
    assert manager.wait(download_id, WAIT_S)
    assert partial_downloads(models_dir) == []
    assert not list(models_dir.rglob("*.gguf"))


def test_cancelling_a_paused_download_deletes_it_too(hub: HubImitation, models_dir: Path) -> None:
    hub.add_repo("owner/Later-GGUF", {"l-Q4_0.gguf": make_gguf(2_000_000)})
    option = _only_option(hub, "owner/Later-GGUF")
    hub.cut_after("owner/Later-GGUF", "l-Q4_0.gguf", 700_000)
    stop = threading.Event()
    events = Events()

    def pause_at_the_retry(event: DownloadEvent) -> None:
        if event.message:
            stop.set()

    assert run_download(
        option, models_dir, stop=stop, on_event=pause_at_the_retry, endpoint=hub.endpoint,
        retry_delays=NO_WAIT,
    ) is None
    manager = DownloadManager(models_dir, events, endpoint=hub.endpoint)
    assert [p.bytes_on_disk for p in manager.unfinished()] == [700_000]

    manager.cancel(download_id_for(option))

    assert events.states() == [DownloadState.CANCELLED]
    assert manager.unfinished() == []


def test_a_split_model_downloads_every_part_in_order(hub: HubImitation, models_dir: Path) -> None:
    parts = {
        "Q8_0/big-Q8_0-00001-of-00002.gguf": make_gguf(600_000),
        "Q8_0/big-Q8_0-00002-of-00002.gguf": make_gguf(400_000, seed=1),
    }
    hub.add_repo("owner/Split-GGUF", parts)
    option = _only_option(hub, "owner/Split-GGUF")
    events = Events()

    paths = _download(option, models_dir, events, endpoint=hub.endpoint)

    folder = models_dir / "owner" / "Split-GGUF"
    assert paths == tuple(folder / name for name in parts)
    assert [p.read_bytes() for p in paths] == list(parts.values())
    verifying = [
        (e.file_index, e.bytes_done) for e in events.seen if e.state is DownloadState.VERIFYING
    ]
    assert verifying == [(1, 600_000), (2, option.size)]


def test_a_sha256_mismatch_deletes_the_download_and_says_so(
    hub: HubImitation, models_dir: Path
) -> None:
    hub.add_repo("owner/Bad-GGUF", {"bad-Q4_0.gguf": make_gguf(300_000)})
    hub.wrong_sha256("owner/Bad-GGUF", "bad-Q4_0.gguf")
    option = _only_option(hub, "owner/Bad-GGUF")
    events = Events()
    manager = DownloadManager(models_dir, events, endpoint=hub.endpoint, retry_delays=NO_WAIT)

    manager.start(option)
    failed = events.wait_for(DownloadState.FAILED)

    assert isinstance(failed.error, DownloadError)
    assert str(failed.message).startswith("bad-Q4_0.gguf is damaged: its sha256 is ")
    assert str(failed.message).endswith("The downloaded file was deleted; try again.")
    assert failed.bytes_done == 0
    assert partial_downloads(models_dir) == []
    assert not list(models_dir.rglob("*.gguf"))


def test_not_enough_disk_space_is_refused_before_downloading(
    hub: HubImitation, models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A test cannot fill the real disk, so the free space the engine reads is made small.
    hub.add_repo("owner/Huge-GGUF", {"huge-F16.gguf": make_gguf(2_500_000)})
    option = _only_option(hub, "owner/Huge-GGUF")
    real_usage = shutil.disk_usage
    monkeypatch.setattr(
        shutil, "disk_usage", lambda path: real_usage(path)._replace(free=1_000_000)
    )

    with pytest.raises(NotEnoughSpaceError) as refused:
        _download(option, models_dir, endpoint=hub.endpoint)

    assert str(refused.value) == (
        f"Not enough disk space for huge-F16: it needs {option.size / 1e6:.1f} MB more and "
        f"1.0 MB is free in {models_dir}; free up {(option.size - 1e6) / 1e6:.1f} MB."
    )
    assert not [r for r in hub.requests if r.server == "cdn"]
    assert partial_downloads(models_dir) == []


def test_a_full_disk_mid_download_keeps_the_partial_and_resume_finishes_it(
    hub: HubImitation, models_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A full disk cannot be made here: the part file's writes fail with ENOSPC past 1 MB.
    content = make_gguf(2_000_000)
    hub.add_repo("owner/Full-GGUF", {"full-Q4_0.gguf": content})
    option = _only_option(hub, "owner/Full-GGUF")
    real_open = downloads._Download._open_part

    class FillingFile:
        def __init__(self, handle: BinaryIO) -> None:
            self.handle = handle

        def write(self, data: bytes) -> int:
            if self.handle.tell() + len(data) > 1_000_000:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.handle.write(data)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.handle, name)

    with monkeypatch.context() as patch:
        patch.setattr(
            downloads._Download, "_open_part",
            lambda self, part: FillingFile(real_open(self, part)),
        )
        with pytest.raises(DownloadError) as full:
            _download(option, models_dir, endpoint=hub.endpoint)
    assert str(full.value).startswith("The disk is full: the download of full-Q4_0 stopped. ")
    (partial,) = partial_downloads(models_dir)
    assert 0 < partial.bytes_on_disk <= 1_000_000
    assert str(full.value).endswith(
        f"The {partial.bytes_on_disk / 1e3:.1f} kB downloaded so far are kept. Free some space "
        "and resume."
    )

    (path,) = _download(option, models_dir, endpoint=hub.endpoint) or ()

    assert path.read_bytes() == content
    assert hub.ranges["owner/Full-GGUF/full-Q4_0.gguf"][-1] == f"bytes={partial.bytes_on_disk}-"


def test_a_gated_repo_needs_a_token_which_never_goes_to_the_storage_host(
    hub: HubImitation, models_dir: Path
) -> None:
    hub.add_repo("meta-llama/Gated-GGUF", {"g-Q4_0.gguf": make_gguf(200_000)}, gated_token="hf_ok")
    option = _only_option(hub, "meta-llama/Gated-GGUF")

    with pytest.raises(GatedModelError) as without:
        _download(option, models_dir, endpoint=hub.endpoint)
    with pytest.raises(GatedModelError) as wrong:
        _download(option, models_dir, endpoint=hub.endpoint, token="hf_wrong")
    (path,) = _download(option, models_dir, endpoint=hub.endpoint, token="hf_ok") or ()

    assert str(without.value) == (
        f"meta-llama/Gated-GGUF is gated: accept its terms at {hub.endpoint}/meta-llama/"
        "Gated-GGUF, then give Hearth a Hugging Face access token (create one at "
        "https://huggingface.co/settings/tokens)."
    )
    assert str(wrong.value).startswith("Your Hugging Face token has no access to meta-llama/")
    assert path.is_file()
    heads = [r for r in hub.requests if r.server == "hub" and r.method == "HEAD"]
    assert heads[-1].headers["authorization"] == "Bearer hf_ok"
    assert hub.cdn_authorizations() == []
    assert partial_downloads(models_dir) == []


def test_an_unknown_repo_or_file_says_so(hub: HubImitation, models_dir: Path) -> None:
    hub.add_repo("owner/Here-GGUF", {"here-Q4_0.gguf": make_gguf(1000)})
    option = _only_option(hub, "owner/Here-GGUF")
    gone_repo = QuantOption("owner/Gone-GGUF", "main", "x", "Q4_0", option.files)
    missing = RemoteFile("y-Q4_0.gguf", 9, None)
    gone_file = QuantOption("owner/Here-GGUF", "main", "y", "Q4_0", (missing,))

    with pytest.raises(HubError, match=r"^Hugging Face has no model owner/Gone-GGUF "):
        _download(gone_repo, models_dir, endpoint=hub.endpoint)
    with pytest.raises(HubError, match=r"^owner/Here-GGUF has no file y-Q4_0\.gguf\.$"):
        _download(gone_file, models_dir, endpoint=hub.endpoint)
    assert partial_downloads(models_dir) == []


def test_server_errors_are_retried_then_reported_with_the_bytes_kept(
    hub: HubImitation, models_dir: Path
) -> None:
    content = make_gguf(1_000_000)
    hub.add_repo("owner/Flaky-GGUF", {"f-Q4_0.gguf": content})
    option = _only_option(hub, "owner/Flaky-GGUF")
    hub.cut_after("owner/Flaky-GGUF", "f-Q4_0.gguf", 250_000)
    outage = threading.Event()

    def fail_from_the_cut_on(event: DownloadEvent) -> None:
        if event.message and not outage.is_set():  # cut: the Hub answers 500 to each retry
            outage.set()
            hub.fail_next(len(NO_WAIT), 500)

    with pytest.raises(HubError) as failed:
        _download(option, models_dir, fail_from_the_cut_on, endpoint=hub.endpoint)
    assert str(failed.value) == (
        "Hugging Face had a server error (HTTP 500); try again later. The 250.0 kB downloaded "
        "so far are kept; resuming continues from there."
    )
    hub.fail_next(2, 503)  # a short outage is ridden out by the retries

    (path,) = _download(option, models_dir, endpoint=hub.endpoint) or ()

    assert path.read_bytes() == content
    assert hub.bytes_sent["owner/Flaky-GGUF/f-Q4_0.gguf"] == len(content)


def test_offline_download_says_it_needs_the_network_and_leaves_nothing(models_dir: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{probe.getsockname()[1]}"
    option = QuantOption(
        "owner/Any-GGUF", "main", "any-Q4_0", "Q4_0",
        (RemoteFile("any-Q4_0.gguf", 1000, None),),
    )

    with pytest.raises(HubOfflineError) as offline:
        _download(option, models_dir, endpoint=endpoint)

    assert str(offline.value) == (
        f"Downloading any-Q4_0 needs the network, and {endpoint[7:]} cannot be reached."
    )
    assert partial_downloads(models_dir) == []


@pytest.mark.parametrize(
    "file_name",
    [
        "../evil.gguf",
        "sub/../../evil.gguf",
        "/etc/evil.gguf",
        "sub\\..\\evil.gguf",
        "evil\0.gguf",
        "C:evil.gguf",
        "./evil.gguf",
        " evil.gguf",
        "evil.sh",
    ],
)
def test_file_names_that_could_escape_the_models_folder_are_refused(
    hub: HubImitation, models_dir: Path, file_name: str
) -> None:
    option = QuantOption(
        "owner/Hostile-GGUF", "main", "evil", "unknown",
        (RemoteFile(file_name, 10, None),),
    )

    with pytest.raises(DownloadError, match=r"^Refusing to download"):
        _download(option, models_dir, endpoint=hub.endpoint)

    assert hub.requests == []
    assert not models_dir.exists() or not any(models_dir.rglob("*"))


def test_a_hostile_listing_is_refused_before_any_byte_is_fetched(
    hub: HubImitation, models_dir: Path
) -> None:
    hub.add_repo("owner/Hostile-GGUF", {"../../outside-Q4_0.gguf": make_gguf(1000)})
    option = _only_option(hub, "owner/Hostile-GGUF")

    with pytest.raises(DownloadError, match="could write outside the models folder"):
        _download(option, models_dir, endpoint=hub.endpoint)

    assert [r.path for r in hub.requests] == ["/api/models/owner/Hostile-GGUF"]
    assert not (models_dir.parent / "outside-Q4_0.gguf").exists()


def test_a_link_inside_the_models_folder_cannot_lead_outside(
    models_dir: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    models_dir.mkdir(parents=True)
    (models_dir / "owner").symlink_to(outside, target_is_directory=True)

    with pytest.raises(DownloadError, match="through a link"):
        destination_path(models_dir, "owner/Repo-GGUF", "m-Q4_0.gguf")
    assert destination_path(models_dir, "other/Repo-GGUF", "sub/m-Q4_0.gguf") == (
        models_dir.resolve() / "other" / "Repo-GGUF" / "sub" / "m-Q4_0.gguf"
    )


def test_resume_while_a_pause_is_taking_effect_carries_on(
    hub: HubImitation, models_dir: Path
) -> None:
    content = make_gguf(2_000_000)
    hub.add_repo("owner/Resume-GGUF", {"r-Q4_0.gguf": content})
    option = _only_option(hub, "owner/Resume-GGUF")
    hold = hub.hold_at("owner/Resume-GGUF", "r-Q4_0.gguf", 600_000)
    events = Events()
    manager = DownloadManager(models_dir, events, endpoint=hub.endpoint, retry_delays=NO_WAIT)

    download_id = manager.start(option)
    assert hold.reached.wait(WAIT_S)
    manager.pause(download_id)
    manager.resume(download_id)  # the thread is still blocked in the held transfer
    hold.release()
    done = events.wait_for(DownloadState.DONE)

    states = events.states()
    assert states.index(DownloadState.PAUSED) < states.index(DownloadState.DONE)
    assert done.paths[0].read_bytes() == content
    assert manager.wait(download_id, WAIT_S) and manager.running() == []


def test_the_same_download_cannot_run_twice_at_once(hub: HubImitation, models_dir: Path) -> None:
    content = make_gguf(1_500_000)
    hub.add_repo("owner/Twice-GGUF", {"t-Q4_0.gguf": content})
    option = _only_option(hub, "owner/Twice-GGUF")
    hold = hub.hold_at("owner/Twice-GGUF", "t-Q4_0.gguf", 400_000)
    events = Events()
    manager = DownloadManager(models_dir, events, endpoint=hub.endpoint, retry_delays=NO_WAIT)
    manager.start(option)
    assert hold.reached.wait(WAIT_S)

    with pytest.raises(DownloadError, match=r"^t-Q4_0 is already being downloaded"):
        _download(option, models_dir, endpoint=hub.endpoint)

    hold.release()
    assert events.wait_for(DownloadState.DONE).paths[0].read_bytes() == content


def test_a_file_kept_in_git_is_checked_against_its_git_blob_id(
    hub: HubImitation, models_dir: Path
) -> None:
    content = make_gguf(50_000)
    hub.add_repo("owner/Small-GGUF", {"small-Q8_0.gguf": content}, lfs=False)
    option = _only_option(hub, "owner/Small-GGUF")
    assert option.files[0].sha256 is None

    (path,) = _download(option, models_dir, endpoint=hub.endpoint) or ()

    assert path.read_bytes() == content
    assert {r.server for r in hub.requests} == {"hub"}  # no redirect for a file in git


def test_a_download_asked_for_by_branch_is_pinned_to_its_commit_and_resumes_in_place(
    hub: HubImitation, models_dir: Path
) -> None:
    content = make_gguf(1_000_000)
    repo = hub.add_repo("owner/Branch-GGUF", {"b-Q4_0.gguf": content})
    option = QuantOption(
        "owner/Branch-GGUF", "main", "b-Q4_0", "Q4_0", (RemoteFile("b-Q4_0.gguf", 0, None),)
    )
    hub.cut_after("owner/Branch-GGUF", "b-Q4_0.gguf", 300_000)
    stop = threading.Event()

    def pause_at_the_retry(event: DownloadEvent) -> None:
        if event.message:
            stop.set()

    assert run_download(
        option, models_dir, stop=stop, on_event=pause_at_the_retry, endpoint=hub.endpoint
    ) is None
    (partial,) = partial_downloads(models_dir)
    assert partial.download_id == download_id_for(partial.option) == download_id_for(option)
    assert partial.bytes_total == len(content)  # the size the Hub announced replaced 0

    (path,) = _download(partial.option, models_dir, endpoint=hub.endpoint) or ()

    assert path.read_bytes() == content
    assert hub.ranges["owner/Branch-GGUF/b-Q4_0.gguf"] == [None, "bytes=300000-"]
    heads = [r.path for r in hub.requests if r.method == "HEAD"]
    assert heads == [
        "/owner/Branch-GGUF/resolve/main/b-Q4_0.gguf",
        f"/owner/Branch-GGUF/resolve/{repo.commit}/b-Q4_0.gguf",
    ]
