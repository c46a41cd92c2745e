"""Finding GGUF models on the Hugging Face Hub: search, and a repository's files by quantization.

Requests go through huggingface_hub's own HTTP session, headers, data classes and error types,
always with an explicit endpoint (the library reads HF_ENDPOINT only when it is imported) and
an explicit token or none (never one found lying on the machine).
"""

from __future__ import annotations

import os
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlparse

import httpx2
from huggingface_hub import HfApi, get_session, hf_raise_for_status
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    HFValidationError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils._headers import build_hf_headers

from engine.chat.templates import template_problem
from engine.errors import GatedModelError, HearthError, HubError, HubOfflineError
from engine.text import Text

DEFAULT_ENDPOINT = "https://huggingface.co"
TOKEN_PAGE = "https://huggingface.co/settings/tokens"
REQUEST_TIMEOUT_S = 15.0
MAX_SEARCH_RESULTS = 100
LIBRARY_NAME = "hearth"

SearchSort = Literal["downloads", "recent"]

# What a failed Hub call can raise: HTTP errors (mapped by the library), transport errors,
# offline mode, a malformed repo id (HFValidationError is a ValueError) or an unreadable answer.
HUB_FAILURES: tuple[type[Exception], ...] = (
    httpx2.HTTPError,
    OfflineModeIsEnabled,
    ValueError,
    KeyError,
    TypeError,
)

# Only the fields a result list shows; the Hub sends nothing else when `expand` is given.
_SEARCH_FIELDS = ("downloads", "likes", "lastModified", "gated", "tags")

# Quantization names as they appear in GGUF file names: Q4_K_M, Q8_0, IQ3_XS, Q4_0_4_4,
# UD-Q4_K_XL (Unsloth dynamic), TQ1_0, MXFP4, and the float types.
_QUANT = re.compile(
    r"(?<![A-Za-z0-9])((?:UD-)?I?Q\d(?:_[A-Za-z0-9]+)+|TQ\d_\d|MXFP4|BF16|FP?16|FP?32)(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"^(?P<base>.+)-(?P<part>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)


@dataclass(frozen=True)
class RepoSummary:
    repo_id: str
    downloads: int
    likes: int
    last_modified: datetime | None
    gated: bool
    license: str | None


@dataclass(frozen=True)
class RemoteFile:
    path: str  # inside the repository, "/"-separated
    size: int
    sha256: str | None  # the LFS object id; None for a file kept in git itself


@dataclass(frozen=True)
class QuantOption:
    """One downloadable model: a single .gguf, or all parts of a split one in part order."""

    repo_id: str
    revision: str  # the commit the listing came from, so a download gets exactly these files
    name: str  # the file name without ".gguf" and without the split suffix
    quant: str  # "Q4_K_M", "IQ3_XS", "F16", ... or "unknown"
    files: tuple[RemoteFile, ...]

    @property
    def size(self) -> int:
        return sum(file.size for file in self.files)

    @property
    def is_split(self) -> bool:
        return len(self.files) > 1


def hub_endpoint(endpoint: str | None = None) -> str:
    """The Hub to talk to: the one given, else HF_ENDPOINT as set now, else huggingface.co."""
    return (endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def quant_from_name(file_name: str) -> str | None:
    """The quantization named in a GGUF file name (the last one, as in `x-Q8_0-Q4_K_M`)."""
    stem = posixpath.basename(file_name)
    found = _QUANT.findall(stem)
    if not found:
        return None
    quant = str(found[-1]).upper()
    return {"FP16": "F16", "FP32": "F32"}.get(quant, quant)


def search_gguf(
    query: str,
    *,
    sort: SearchSort = "downloads",
    limit: int = 20,
    endpoint: str | None = None,
    token: str | None = None,
) -> list[RepoSummary]:
    """Model repositories with GGUF files whose name contains `query`, most downloaded or most
    recently updated first.

    This is the request `HfApi.list_models` sends, made once: list_models retries a dead
    connection with back-off for about 23 seconds, which is how long an offline person would
    wait to be told that search needs the network."""
    base = hub_endpoint(endpoint)
    params: list[tuple[str, str | int | float | bool | None]] = [("filter", "gguf")]
    if query.strip():
        params.append(("search", query.strip()))
    params.append(("sort", "downloads" if sort == "downloads" else "lastModified"))
    params.append(("limit", str(max(1, min(limit, MAX_SEARCH_RESULTS)))))
    params.extend(("expand", field) for field in _SEARCH_FIELDS)
    try:
        response = get_session().get(
            f"{base}/api/models",
            params=params,
            headers=build_hf_headers(token=token or False, library_name=LIBRARY_NAME),
            timeout=REQUEST_TIMEOUT_S,
        )
        hf_raise_for_status(response)
        items = response.json()
        return [_summary(item) for item in items[:limit]]
    except HUB_FAILURES as error:
        raise hub_error(
            error,
            action="Searching Hugging Face", endpoint=base, token_given=bool(token)
        ) from error


def repo_gguf_files(
    repo_id: str,
    revision: str | None = None,
    *,
    endpoint: str | None = None,
    token: str | None = None,
) -> list[QuantOption]:
    """The repository's GGUF models, smallest first, with each file's size and sha256."""
    base = hub_endpoint(endpoint)
    api = HfApi(endpoint=base, token=token or False, library_name=LIBRARY_NAME)
    try:
        info = api.model_info(
            repo_id, revision=revision, files_metadata=True, timeout=REQUEST_TIMEOUT_S
        )
        files = [
            RemoteFile(
                path=sibling.rfilename,
                size=sibling.size if sibling.size is not None else 0,
                sha256=sibling.lfs.sha256 if sibling.lfs else None,
            )
            for sibling in info.siblings or []
        ]
    except HUB_FAILURES as error:
        raise hub_error(
            error,
            action="Listing a model's files",
            endpoint=base,
            token_given=bool(token),
            repo_id=repo_id,
            revision=revision,
        ) from error
    return group_gguf_files(repo_id, info.sha or revision or "main", files)


@dataclass(frozen=True)
class HubChatTemplate:
    """The chat template of a repository's GGUF as the Hub reads it from the file's header, so
    Hearth can check it before anything is downloaded."""

    source: str | None  # None: the GGUF has none (a base model, or a file that lost it)
    bos_token: str
    eos_token: str

    def problem(self) -> str | None:
        """Why its template would not work in Hearth; None when it works or there is none."""
        if self.source is None:
            return None
        return template_problem(self.source, self.bos_token, self.eos_token)

    def verdict(self) -> str:
        """What a person reads of it before the download."""
        if self.source is None:
            return ("Its GGUF has no chat template: unless its metadata names chat tuning, "
                    "Hearth reads it as a base model that continues your text.")
        problem = self.problem()
        if problem is None:
            return "Its chat template works in Hearth."
        why = problem.removeprefix("The model's chat template ").rstrip(".")
        why = why.removeprefix("was ").removeprefix("is ")  # "refused: …", "invalid: …"
        return (f"Its chat template does not work in Hearth ({why}). After the download, "
                "choose a built-in template for it in the Models tab.")


def repo_chat_template(
    repo_id: str,
    revision: str | None = None,
    *,
    endpoint: str | None = None,
    token: str | None = None,
) -> HubChatTemplate:
    base = hub_endpoint(endpoint)
    api = HfApi(endpoint=base, token=token or False, library_name=LIBRARY_NAME)
    try:
        info = api.model_info(repo_id, revision=revision, expand=["gguf"],
                              timeout=REQUEST_TIMEOUT_S)
    except HUB_FAILURES as error:
        raise hub_error(error, action="Reading a model's chat template", endpoint=base,
                        token_given=bool(token), repo_id=repo_id, revision=revision) from error
    gguf: dict[str, Any] = info.gguf or {}
    source = gguf.get("chat_template")
    return HubChatTemplate(source if isinstance(source, str) and source.strip() else None,
                           str(gguf.get("bos_token") or ""), str(gguf.get("eos_token") or ""))


def group_gguf_files(repo_id: str, revision: str, files: Iterable[RemoteFile]) -> list[QuantOption]:
    """Groups .gguf files into models: split parts `-00001-of-0000N` become one model (only
    when every part is there); vision projectors (mmproj) are left out, as they are not chat
    models on their own."""
    options: list[QuantOption] = []
    split_parts: dict[str, list[tuple[int, int, RemoteFile]]] = defaultdict(list)
    for file in files:
        base_name = posixpath.basename(file.path)
        if not base_name.lower().endswith(".gguf") or "mmproj" in base_name.lower():
            continue
        split = _SPLIT.match(file.path)
        if split is None:
            options.append(_option(repo_id, revision, base_name[: -len(".gguf")], (file,)))
        else:
            key = split["base"]
            split_parts[key].append((int(split["part"]), int(split["count"]), file))
    for key, parts in split_parts.items():
        counts = {count for _, count, _ in parts}
        numbers = sorted(number for number, _, _ in parts)
        if len(counts) != 1 or numbers != list(range(1, counts.pop() + 1)):
            continue
        ordered = tuple(file for _, _, file in sorted(parts, key=lambda part: part[0]))
        options.append(_option(repo_id, revision, posixpath.basename(key), ordered))
    return sorted(options, key=lambda option: (option.size, option.name))


def hub_error(
    error: Exception,
    *,
    action: str,
    endpoint: str,
    token_given: bool,
    repo_id: str | None = None,
    revision: str | None = None,
    file_name: str | None = None,
) -> HearthError:
    """A one-line message for a failed Hub call; `action` says what was being done."""
    repo = repo_id or "the repository"
    if isinstance(error, OfflineModeIsEnabled | httpx2.TransportError):
        host = urlparse(endpoint).netloc or endpoint
        return HubOfflineError(Text("{action} needs the network, and {host} cannot be reached.",
                                    action=action, host=host))
    if isinstance(error, GatedRepoError):
        page = f"{endpoint}/{repo}"
        if token_given:
            return GatedModelError(
                Text("Your Hugging Face token has no access to {repo} yet: accept its terms at "
                     "{page} with the account the token belongs to.",
                     repo=repo, page=page)
            )
        return GatedModelError(
            Text("{repo} is gated: accept its terms at {page}, then give Hearth a Hugging Face "
                 "access token (create one at {token_page}).",
                 repo=repo, page=page, token_page=TOKEN_PAGE)
        )
    if isinstance(error, RepositoryNotFoundError):
        return HubError(Text("Hugging Face has no model {repo} (or it is private and needs a "
                             "token).",
                             repo=repo))
    if isinstance(error, RevisionNotFoundError):
        return HubError(f"{repo} has no branch, tag or commit {revision or ''}".rstrip() + ".")
    if isinstance(error, RemoteEntryNotFoundError):
        return HubError(f"{repo} has no file {file_name or ''}".rstrip() + ".")
    if isinstance(error, HFValidationError):
        return HubError(Text("{repo_id!r} is not a Hugging Face repository name (owner/name).",
                             repo_id=repo_id))
    if isinstance(error, HfHubHTTPError) and error.response is not None:
        return _http_status_error(error.response.status_code, token_given)
    return HubError(Text("{action} failed: Hugging Face sent an answer Hearth cannot read.",
                         action=action))


def _http_status_error(status: int, token_given: bool) -> HubError:
    if status == 401 and token_given:
        return HubError(Text("Hugging Face refused the token (HTTP 401): check it, or set "
                             "another."))
    if status == 429:
        return HubError(Text("Hugging Face is limiting requests (HTTP 429); try again in a "
                             "minute."))
    if status >= 500:
        return HubError(Text("Hugging Face had a server error (HTTP {status}); try again later.",
                             status=status))
    return HubError(Text("Hugging Face refused the request (HTTP {status}).", status=status))


def _summary(item: dict[str, Any]) -> RepoSummary:
    """One search result, from the fields `_SEARCH_FIELDS` asked for."""
    tags = [str(tag) for tag in item.get("tags") or []]
    licenses = [tag.removeprefix("license:") for tag in tags if tag.startswith("license:")]
    modified = item.get("lastModified")
    return RepoSummary(
        repo_id=str(item["id"]),
        downloads=int(item.get("downloads") or 0),
        likes=int(item.get("likes") or 0),
        last_modified=datetime.fromisoformat(modified) if isinstance(modified, str) else None,
        gated=bool(item.get("gated")),
        license=licenses[0] if licenses else None,
    )


def _option(
    repo_id: str, revision: str, name: str, files: tuple[RemoteFile, ...]
) -> QuantOption:
    return QuantOption(
        repo_id=repo_id,
        revision=revision,
        name=name,
        quant=quant_from_name(name) or "unknown",
        files=files,
    )
