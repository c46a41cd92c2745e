"""Search and file listing against the Hub imitation, through the real huggingface_hub client."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from huggingface_hub import HfApi
from huggingface_hub.hf_api import RepoFile

from engine.chat.builtin_templates import CHATML
from engine.errors import HubError, HubOfflineError
from engine.models.hub import (
    QuantOption,
    RemoteFile,
    group_gguf_files,
    quant_from_name,
    repo_chat_template,
    repo_gguf_files,
    search_gguf,
)
from tests.hub_imitation import HubImitation, hub_imitation, make_gguf


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubImitation]:
    yield from hub_imitation(monkeypatch)


@pytest.fixture
def offline_endpoint() -> str:
    """An address where nothing listens: a port the system just handed out and took back."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _add_library(hub: HubImitation) -> None:
    hub.add_repo(
        "bartowski/Qwen2.5-7B-Instruct-GGUF",
        {"Qwen2.5-7B-Instruct-Q4_K_M.gguf": make_gguf(2000)},
        downloads=900, likes=40, last_modified=datetime(2025, 3, 1, tzinfo=UTC),
    )
    hub.add_repo(
        "someone/qwen-tiny-GGUF",
        {"qwen-tiny-q8_0.gguf": make_gguf(1000)},
        downloads=10, last_modified=datetime(2025, 6, 1, tzinfo=UTC), license="mit",
    )
    hub.add_repo(
        "meta-llama/Llama-Gated-GGUF",
        {"llama-Q4_0.gguf": make_gguf(1000)},
        gated_token="hf_right", downloads=500, license="llama3.2",
    )
    hub.add_repo("someone/qwen-safetensors", {"model.safetensors": b"\0" * 100}, downloads=5000)


def test_search_lists_gguf_repos_most_downloaded_or_most_recent_first(hub: HubImitation) -> None:
    _add_library(hub)

    by_downloads = search_gguf("QWEN", endpoint=hub.endpoint)
    recent = search_gguf("qwen", sort="recent", endpoint=hub.endpoint)

    assert [r.repo_id for r in by_downloads] == [
        "bartowski/Qwen2.5-7B-Instruct-GGUF", "someone/qwen-tiny-GGUF",
    ]
    assert [r.repo_id for r in recent] == [
        "someone/qwen-tiny-GGUF", "bartowski/Qwen2.5-7B-Instruct-GGUF",
    ]
    first = by_downloads[0]
    assert (first.downloads, first.likes, first.license) == (900, 40, "apache-2.0")
    assert not first.gated
    assert first.last_modified == datetime(2025, 3, 1, tzinfo=UTC)
    gated = search_gguf("llama", endpoint=hub.endpoint)
    assert [(r.repo_id, r.gated, r.license) for r in gated] == [
        ("meta-llama/Llama-Gated-GGUF", True, "llama3.2"),
    ]
    assert [r.repo_id for r in search_gguf("", limit=1, endpoint=hub.endpoint)] == [
        "bartowski/Qwen2.5-7B-Instruct-GGUF",
    ]


def test_search_sends_the_request_list_models_sends(hub: HubImitation) -> None:
    _add_library(hub)

    search_gguf("qwen", sort="recent", limit=7, endpoint=hub.endpoint)
    list(HfApi(endpoint=hub.endpoint, token=False).list_models(
        search="qwen", filter="gguf", sort="last_modified", limit=7,
        expand=["downloads", "likes", "lastModified", "gated", "tags"],
    ))

    ours, library = (request for request in hub.requests if request.path == "/api/models")
    assert ours.query == library.query


def test_repo_files_are_grouped_by_quantization_with_split_models_as_one(
    hub: HubImitation,
) -> None:
    repo = hub.add_repo("bartowski/Big-GGUF", {
        "Big-Q4_K_M.gguf": make_gguf(3000),
        "Big-IQ3_XS.gguf": make_gguf(2000, seed=1),
        "Big-Q8_0/Big-Q8_0-00002-of-00002.gguf": make_gguf(1500, seed=2),
        "Big-Q8_0/Big-Q8_0-00001-of-00002.gguf": make_gguf(4000, seed=3),
        "Big-F16-00001-of-00003.gguf": make_gguf(1000, seed=4),  # parts 2 and 3 missing
        "mmproj-Big-f16.gguf": make_gguf(500, seed=5),
        "README.md": b"# Big\n",
    })

    options = repo_gguf_files("bartowski/Big-GGUF", endpoint=hub.endpoint)

    assert [(o.name, o.quant, o.is_split) for o in options] == [
        ("Big-IQ3_XS", "IQ3_XS", False),
        ("Big-Q4_K_M", "Q4_K_M", False),
        ("Big-Q8_0", "Q8_0", True),
    ]
    split = options[2]
    assert [f.path for f in split.files] == [
        "Big-Q8_0/Big-Q8_0-00001-of-00002.gguf", "Big-Q8_0/Big-Q8_0-00002-of-00002.gguf",
    ]
    assert split.size == sum(repo.files[f.path].size for f in split.files)
    assert all(f.sha256 == repo.files[f.path].sha256 for o in options for f in o.files)
    assert {o.revision for o in options} == {repo.commit}


def test_the_imitations_tree_listing_agrees_with_model_info(hub: HubImitation) -> None:
    """Other tests may list files with `list_repo_tree`; it must tell the same sizes and
    sha256 as the model info this module uses."""
    files = {"a-Q4_0.gguf": make_gguf(900), "sub/b-Q8_0.gguf": make_gguf(700, seed=1)}
    hub.add_repo("owner/Tree-GGUF", files)
    api = HfApi(endpoint=hub.endpoint, token=False)

    tree = {
        entry.path: (entry.size, entry.lfs.sha256 if entry.lfs else None)
        for entry in api.list_repo_tree("owner/Tree-GGUF", recursive=True)
        if isinstance(entry, RepoFile)
    }
    listed = {
        f.path: (f.size, f.sha256)
        for option in repo_gguf_files("owner/Tree-GGUF", endpoint=hub.endpoint)
        for f in option.files
    }
    assert tree == listed


@pytest.mark.parametrize(
    ("file_name", "quant"),
    [
        ("Qwen2.5-7B-Instruct-Q4_K_M.gguf", "Q4_K_M"),
        ("llama-3.2-1b-instruct-q4_k_m.gguf", "Q4_K_M"),
        ("SmolLM2-135M-Instruct.Q4_1.gguf", "Q4_1"),
        ("phi-4-IQ3_XS.gguf", "IQ3_XS"),
        ("gemma-3-4b-it-Q8_0.gguf", "Q8_0"),
        ("Meta-Llama-3-8B-Instruct.fp16.gguf", "F16"),
        ("model-BF16.gguf", "BF16"),
        ("Qwen3-30B-A3B-UD-Q4_K_XL.gguf", "UD-Q4_K_XL"),
        ("folder/Qwen2-Q8_0-Q4_K_M.gguf", "Q4_K_M"),
        ("Qwen2.5-Coder-7B.gguf", None),
    ],
)
def test_quantization_is_read_from_the_file_name(file_name: str, quant: str | None) -> None:
    assert quant_from_name(file_name) == quant


def test_a_split_model_with_parts_of_different_counts_is_left_out() -> None:
    files = [
        RemoteFile("m-Q4_0-00001-of-00002.gguf", 10, None),
        RemoteFile("m-Q4_0-00002-of-00003.gguf", 10, None),
        RemoteFile("n-Q4_0.gguf", 5, None),
    ]
    assert group_gguf_files("o/r", "main", files) == [
        QuantOption("o/r", "main", "n-Q4_0", "Q4_0", (files[2],)),
    ]


def test_unknown_repo_bad_name_and_bad_revision_say_so(hub: HubImitation) -> None:
    hub.add_repo("owner/Real-GGUF", {"r-Q4_0.gguf": make_gguf(500)})

    with pytest.raises(HubError, match=r"^Hugging Face has no model owner/Missing-GGUF "):
        repo_gguf_files("owner/Missing-GGUF", endpoint=hub.endpoint)
    with pytest.raises(HubError, match="is not a Hugging Face repository name"):
        repo_gguf_files("not a/valid//name", endpoint=hub.endpoint)
    with pytest.raises(HubError, match="owner/Real-GGUF has no branch, tag or commit v9"):
        repo_gguf_files("owner/Real-GGUF", "v9", endpoint=hub.endpoint)


def test_a_gated_repo_can_be_listed_without_a_token(hub: HubImitation) -> None:
    """As on the real Hub, a gated repository's file list is public; its files are not."""
    _add_library(hub)

    options = repo_gguf_files("meta-llama/Llama-Gated-GGUF", endpoint=hub.endpoint)

    assert [o.name for o in options] == ["llama-Q4_0"]


def test_server_errors_say_to_try_again_later(hub: HubImitation) -> None:
    _add_library(hub)
    hub.fail_next(1, 500)
    with pytest.raises(HubError, match=r"server error \(HTTP 500\); try again later"):
        search_gguf("qwen", endpoint=hub.endpoint)
    hub.fail_next(1, 503)
    with pytest.raises(HubError, match=r"HTTP 503"):
        repo_gguf_files("someone/qwen-tiny-GGUF", endpoint=hub.endpoint)
    assert search_gguf("qwen", endpoint=hub.endpoint)


def test_offline_search_says_it_needs_the_network(offline_endpoint: str) -> None:
    with pytest.raises(HubOfflineError) as raised:
        search_gguf("qwen", endpoint=offline_endpoint)
    assert str(raised.value) == (
        f"Searching Hugging Face needs the network, and {offline_endpoint[7:]} cannot be reached."
    )
    with pytest.raises(HubOfflineError, match=r"^Listing a model's files needs the network"):
        repo_gguf_files("owner/name", endpoint=offline_endpoint)


def test_the_hub_client_sends_no_telemetry() -> None:
    # Set by the engine package before huggingface_hub is imported: no agent-harness fetch.
    from huggingface_hub import constants

    assert constants.HF_HUB_DISABLE_TELEMETRY


def test_a_models_chat_template_is_checked_before_the_download(hub: HubImitation) -> None:
    """The Hub reads the template from the GGUF's header; Hearth renders it in its sandbox."""
    endless = "{% for i in range(10**9) %}{{ messages[0]['content'] }}{% endfor %}"
    for repo_id, template in (("a/chatml-GGUF", CHATML), ("a/endless-GGUF", endless),
                              ("a/drops-turns-GGUF", "{{ messages[-1]['content'] }}"),
                              ("a/base-GGUF", None)):
        hub.add_repo(repo_id, {"m-Q4_0.gguf": make_gguf(1000, chat_template=template)})

    works = repo_chat_template("a/chatml-GGUF")
    assert works.source == CHATML
    assert works.verdict() == "Its chat template works in Hearth."
    assert repo_chat_template("a/endless-GGUF").verdict().startswith(
        "Its chat template does not work in Hearth (refused: it asks for more than")
    assert "leaves out or reorders messages" in repo_chat_template("a/drops-turns-GGUF").verdict()
    assert "base model" in repo_chat_template("a/base-GGUF").verdict()
    with pytest.raises(HubError, match="Hugging Face has no model a/missing-GGUF"):
        repo_chat_template("a/missing-GGUF")
