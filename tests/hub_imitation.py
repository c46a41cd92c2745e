"""A Hugging Face Hub imitation on 127.0.0.1, for tests that use the real huggingface_hub client.

It answers the requests the client really sends, with the headers the real Hub sends (read from
huggingface_hub 2.4's file_download.get_hf_file_metadata and utils/_http.hf_raise_for_status):

- `GET /api/models?search=&filter=gguf&sort=&limit=&expand=` (search)
- `GET /api/models/{repo}[/revision/{rev}][?blobs=true|?expand=gguf]` (model info; sizes and LFS
  sha256; or only the fields asked for, `gguf` being what the first GGUF's header says)
- `GET /api/models/{repo}/tree/{rev}[/{folder}][?recursive=true]` (file listing)
- `HEAD`/`GET /{repo}/resolve/{rev}/{file}`: `X-Repo-Commit`, `ETag`; an LFS file answers 302
  to a second server (another origin, like the Hub's CDN) with `X-Linked-Etag` (the sha256)
  and `X-Linked-Size` on the 302 itself, and, as for a file the Hub keeps in Xet storage,
  `X-Xet-Hash`, `X-Xet-Refresh-Route` and the `Link` rel="xet-auth": huggingface_hub's own
  hf_hub_download would switch to the Xet protocol (which this imitation does not serve);
  Hearth's downloader must follow the redirect to plain HTTP instead. A file kept in git
  answers 200 with its git blob id as ETag.
- `Range: bytes=N-` answered 206 with `Content-Range`.
- Errors carry `X-Error-Code`: RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo (401
  without a token, 403 with a wrong one).

Controls for tests: cut the connection after N bytes of a file, hold a transfer at N bytes
until released, answer the next requests with an HTTP error, advertise a wrong sha256, gate a
repository behind a token; counters of the body bytes sent per file, of the Range headers
received, and of the Authorization headers the storage server saw.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import re
import socket
import struct
import sys
import tempfile
import threading
import types
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import huggingface_hub.file_download
import huggingface_hub.utils._http
import pytest

from engine.models.gguf import read_header

SEND_BLOCK = 64 * 1024
HOLD_LIMIT_S = 30.0  # a held transfer goes on by itself after this, so a failed test cannot hang
POINTER_SIZE = 134  # the size of a git-lfs pointer file, as the Hub reports it

_RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


def make_gguf(size: int, *, name: str = "test model", seed: int = 0,
              chat_template: str | None = None) -> bytes:
    """A small valid GGUF (version 3): one F32 tensor whose data fills the file to about
    `size` bytes, so header readers accept it and the bytes differ by seed."""
    strings = {"general.name": name}
    if chat_template is not None:
        strings["tokenizer.chat_template"] = chat_template
    header = b"GGUF" + struct.pack("<IQQ", 3, 1, len(strings))
    for key, value in strings.items():
        header += (struct.pack("<Q", len(key.encode())) + key.encode() + struct.pack("<I", 8)
                   + struct.pack("<Q", len(value.encode())) + value.encode())
    tensor = b"filler"
    info_length = 8 + len(tensor) + 4 + 8 + 4 + 8
    data_offset = -(-(len(header) + info_length) // 32) * 32
    elements = max((size - data_offset) // 4, 1)
    header += struct.pack("<Q", len(tensor)) + tensor + struct.pack("<IQIQ", 1, elements, 0, 0)
    padding = b"\0" * (data_offset - len(header))
    return header + padding + random.Random(seed).randbytes(elements * 4)


@dataclass
class HubFile:
    path: str
    content: bytes | Path
    size: int
    sha256: str
    git_oid: str  # the blob id of the file, or of its LFS pointer
    lfs: bool
    advertised_sha256: str  # what the Hub says; differs from sha256 after wrong_sha256()

    @property
    def xet_hash(self) -> str:
        """Stands for the Xet content hash (a different hash of the same bytes)."""
        return hashlib.sha256(f"xet:{self.sha256}".encode()).hexdigest()

    def read(self, start: int, length: int) -> bytes:
        if isinstance(self.content, bytes):
            return self.content[start : start + length]
        with self.content.open("rb") as handle:
            handle.seek(start)
            return handle.read(length)


@dataclass
class HubRepo:
    repo_id: str
    commit: str
    files: dict[str, HubFile]
    gated_token: str | None
    downloads: int
    likes: int
    last_modified: datetime
    license: str


@dataclass
class Hold:
    """A transfer stopped at `offset` bytes of a file until `release()`."""

    offset: int
    reached: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def release(self) -> None:
        self.released.set()


@dataclass
class Request:
    server: str  # "hub" or "cdn"
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class HubImitation:
    def __init__(self) -> None:
        self.repos: dict[str, HubRepo] = {}
        self.bytes_sent: Counter[str] = Counter()  # body bytes per "repo/path"
        self.ranges: defaultdict[str, list[str | None]] = defaultdict(list)  # per "repo/path"
        self.requests: list[Request] = []
        self._cuts: defaultdict[str, list[int]] = defaultdict(list)
        self._holds: dict[str, Hold] = {}
        self._failures: list[int] = []
        self._lock = threading.Lock()
        self._sending = 0
        self._idle = threading.Condition(self._lock)
        self._hub = _Server(self, "hub")
        self._cdn = _Server(self, "cdn")
        self.endpoint = f"http://127.0.0.1:{self._hub.server_address[1]}"
        self.cdn_url = f"http://127.0.0.1:{self._cdn.server_address[1]}"
        self._threads = [
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
            for server in (self._hub, self._cdn)
        ]

    def __enter__(self) -> HubImitation:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for hold in self._holds.values():
            hold.release()
        for server in (self._hub, self._cdn):
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join()

    # -- content ---------------------------------------------------------------------------

    def add_repo(
        self,
        repo_id: str,
        files: Mapping[str, bytes | Path],
        *,
        lfs: bool = True,
        gated_token: str | None = None,
        downloads: int = 0,
        likes: int = 0,
        last_modified: datetime | None = None,
        license: str = "apache-2.0",
    ) -> HubRepo:
        hub_files = {path: _hub_file(path, content, lfs) for path, content in files.items()}
        listing = "\n".join([repo_id, *sorted(f.sha256 for f in hub_files.values())])
        commit = hashlib.sha1(listing.encode(), usedforsecurity=False).hexdigest()
        repo = HubRepo(
            repo_id=repo_id,
            commit=commit,
            files=hub_files,
            gated_token=gated_token,
            downloads=downloads,
            likes=likes,
            last_modified=last_modified or datetime(2025, 1, 1, tzinfo=UTC),
            license=license,
        )
        self.repos[repo_id] = repo
        return repo

    # -- controls --------------------------------------------------------------------------

    def cut_after(self, repo_id: str, path: str, offset: int) -> None:
        """The next transfer of the file that passes byte `offset` stops there and the
        connection is closed, as when a network drops."""
        with self._lock:
            self._cuts[f"{repo_id}/{path}"].append(offset)

    def hold_at(self, repo_id: str, path: str, offset: int) -> Hold:
        hold = Hold(offset)
        with self._lock:
            self._holds[f"{repo_id}/{path}"] = hold
        return hold

    def fail_next(self, count: int, status: int = 500) -> None:
        """The next `count` requests, to either server, get this HTTP status."""
        with self._lock:
            self._failures.extend([status] * count)

    def wrong_sha256(self, repo_id: str, path: str) -> None:
        file = self.repos[repo_id].files[path]
        file.advertised_sha256 = hashlib.sha256(b"other content" + file.sha256.encode()).hexdigest()

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Waits until no file body is being sent, so the byte counters are final."""
        with self._idle:
            return self._idle.wait_for(lambda: self._sending == 0, timeout)

    def cdn_authorizations(self) -> list[str]:
        return [r.headers["authorization"] for r in self.requests
                if r.server == "cdn" and "authorization" in r.headers]

    # -- serving ---------------------------------------------------------------------------

    def handle(self, handler: _Handler, server: str) -> None:
        url = urlsplit(handler.path)
        headers = {name.lower(): value for name, value in handler.headers.items()}
        query = parse_qs(url.query)
        with self._lock:
            self.requests.append(Request(server, handler.command, url.path, query, headers))
            status = self._failures.pop(0) if self._failures else None
        if status is not None:
            _send_json(handler, status, {"error": "Internal Error"})
            return
        if server == "cdn":
            self._serve_blob(handler, url.path, headers)
            return
        parts = [unquote(part) for part in url.path.split("/")[1:]]
        if parts[:2] == ["api", "models"] and len(parts) == 2:
            self._search(handler, query)
        elif parts[:2] == ["api", "models"] and len(parts) >= 4:
            self._api_repo(handler, parts[2:], query)
        elif len(parts) >= 5 and parts[2] == "resolve":
            repo_id = f"{parts[0]}/{parts[1]}"
            self._resolve(handler, repo_id, parts[3], "/".join(parts[4:]), headers)
        else:
            _send_json(handler, 404, {"error": "Not Found"})

    def _search(self, handler: _Handler, query: dict[str, list[str]]) -> None:
        text = query.get("search", [""])[0].lower()
        wanted = [
            repo for repo in self.repos.values()
            if text in repo.repo_id.lower()
            and ("gguf" not in query.get("filter", []) or _has_gguf(repo))
        ]
        if query.get("sort", [""])[0] == "lastModified":
            wanted.sort(key=lambda repo: repo.last_modified, reverse=True)
        else:
            wanted.sort(key=lambda repo: repo.downloads, reverse=True)
        limit = int(query.get("limit", ["1000"])[0])
        _send_json(handler, 200, [_summary(repo) for repo in wanted[:limit]])

    def _api_repo(self, handler: _Handler, parts: list[str], query: dict[str, list[str]]) -> None:
        repo = self.repos.get(f"{parts[0]}/{parts[1]}")
        if repo is None:
            _send_error(handler, 404, "RepoNotFound", "Repository not found")
            return
        rest = parts[2:]
        revision = rest[1] if len(rest) >= 2 and rest[0] in ("revision", "tree") else "main"
        if revision not in ("main", repo.commit):
            _send_error(handler, 404, "RevisionNotFound", f"Invalid rev id: {revision}")
        elif not rest or rest[0] == "revision":
            info = _info(repo, blobs=query.get("blobs") == ["true"])
            if "expand" in query:  # as the Hub: only the fields asked for, besides the ids
                info = {key: info[key] for key in ("_id", "id")} | {
                    field: _gguf_field(repo) if field == "gguf" else info.get(field)
                    for field in query["expand"]}
            _send_json(handler, 200, info)
        elif rest[0] == "tree":
            folder = "/".join(rest[2:])
            recursive = query.get("recursive") == ["true"]
            _send_json(handler, 200, _tree(repo, folder, recursive))
        else:
            _send_json(handler, 404, {"error": "Not Found"})

    def _resolve(
        self, handler: _Handler, repo_id: str, revision: str, path: str, headers: dict[str, str]
    ) -> None:
        repo = self.repos.get(repo_id)
        if repo is None:
            _send_error(handler, 404, "RepoNotFound", "Repository not found")
            return
        if repo.gated_token is not None:
            given = headers.get("authorization")
            if given != f"Bearer {repo.gated_token}":
                _send_error(
                    handler,
                    401 if given is None else 403,
                    "GatedRepo",
                    f"Access to model {repo_id} is restricted. You must have access to it and "
                    "be authenticated to access it. Please log in.",
                )
                return
        if revision not in ("main", repo.commit):
            _send_error(handler, 404, "RevisionNotFound", f"Invalid rev id: {revision}")
            return
        file = repo.files.get(path)
        if file is None:
            _send_error(
                handler, 404, "EntryNotFound", f"{path} does not exist on \"main\"",
                {"X-Repo-Commit": repo.commit},
            )
            return
        if file.lfs:
            # As the Hub answers for a file kept in Xet storage today: the Xet hash and the
            # route to a Xet token (for clients that speak Xet), and a redirect to a bridge
            # that serves the same bytes over plain HTTP with ranges (for those that do not).
            token_route = f"{self.endpoint}/api/models/{repo_id}/xet-read-token/{repo.commit}"
            _send_empty(handler, 302, {
                "Location": f"{self.cdn_url}/blobs/{repo_id}/{file.sha256}?X-Amz-Signature=abc",
                "X-Repo-Commit": repo.commit,
                "ETag": f'"{file.git_oid}"',
                "X-Linked-Etag": f'"{file.advertised_sha256}"',
                "X-Linked-Size": str(file.size),
                "X-Xet-Hash": file.xet_hash,
                "X-Xet-Refresh-Route": token_route,
                "Link": f'<{token_route}>; rel="xet-auth", '
                        f'<{self.cdn_url}/reconstructions/{file.xet_hash}>; '
                        'rel="xet-reconstruction-info"',
            })
            return
        self._send_file(handler, f"{repo_id}/{path}", file, headers, {
            "X-Repo-Commit": repo.commit,
            "ETag": f'"{file.git_oid}"',
        })

    def _serve_blob(self, handler: _Handler, path: str, headers: dict[str, str]) -> None:
        parts = [unquote(part) for part in path.split("/")[1:]]
        repo = self.repos.get("/".join(parts[1:3])) if len(parts) == 4 else None
        file = next(
            (f for f in (repo.files.values() if repo else ()) if f.sha256 == parts[3]), None
        )
        if repo is None or file is None:
            _send_json(handler, 404, {"error": "NoSuchKey"})
            return
        self._send_file(handler, f"{repo.repo_id}/{file.path}", file, headers, {
            "ETag": f'"{file.sha256}"',
        })

    def _send_file(
        self,
        handler: _Handler,
        key: str,
        file: HubFile,
        headers: dict[str, str],
        extra: dict[str, str],
    ) -> None:
        requested = headers.get("range")
        start, end = 0, file.size - 1
        status = 200
        if handler.command == "GET":
            with self._lock:
                self.ranges[key].append(requested)
        if requested is not None:
            found = _RANGE.match(requested)
            if found is None or int(found[1]) >= file.size:
                _send_empty(handler, 416, {"Content-Range": f"bytes */{file.size}"})
                return
            start = int(found[1])
            end = min(int(found[2]), end) if found[2] else end
            status = 206
            extra = {**extra, "Content-Range": f"bytes {start}-{end}/{file.size}"}
        handler.send_response(status)
        for name, value in {
            **extra,
            "Content-Length": str(end - start + 1),
            "Content-Type": "application/octet-stream",
            "Accept-Ranges": "bytes",
        }.items():
            handler.send_header(name, value)
        handler.end_headers()
        if handler.command == "GET":
            self._send_body(handler, key, file, start, end + 1)

    def _send_body(self, handler: _Handler, key: str, file: HubFile, start: int, stop: int) -> None:
        with self._lock:
            cut = next((c for c in self._cuts[key] if start < c < stop), None)
            if cut is not None:
                self._cuts[key].remove(cut)
            hold = self._holds.get(key)
            self._sending += 1
        position = start
        try:
            while position < stop:
                if hold is not None and position == hold.offset and not hold.released.is_set():
                    hold.reached.set()
                    hold.released.wait(HOLD_LIMIT_S)
                marks = (cut, hold.offset if hold is not None else None)
                limit = min([stop, *(mark for mark in marks if mark and mark > position)])
                block = file.read(position, min(SEND_BLOCK, limit - position))
                handler.wfile.write(block)
                with self._lock:
                    self.bytes_sent[key] += len(block)
                position += len(block)
                if position == cut:
                    handler.close_connection = True
                    handler.connection.shutdown(socket.SHUT_RDWR)
                    return
        except (BrokenPipeError, ConnectionResetError):
            handler.close_connection = True
        finally:
            with self._idle:
                self._sending -= 1
                self._idle.notify_all()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self.server.imitation.handle(self, self.server.role)

    do_HEAD = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests look at `HubImitation.requests` instead."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, imitation: HubImitation, role: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.imitation = imitation
        self.role = role
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def server_close(self) -> None:
        """Ends the open connections too: a client's idle keep-alive connection would keep its
        handler thread waiting for another request long after the test (and tests/suite_rules.py
        fails a test that leaves a thread running)."""
        super().server_close()
        with self._connections_lock:
            still_open = list(self._connections)
        for connection in still_open:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (a paused or cancelled download) is not an error."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def hub_imitation(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubImitation]:
    """For a fixture: `yield from hub_imitation(monkeypatch)`. Points HF_ENDPOINT at the
    imitation (callers should still pass `endpoint=`: the client reads HF_ENDPOINT at import)
    and turns the client's own retry back-off sleeps into no-ops."""
    no_sleep = types.SimpleNamespace(sleep=lambda seconds: None)
    monkeypatch.setattr(huggingface_hub.utils._http, "time", no_sleep)
    monkeypatch.setattr(huggingface_hub.file_download, "time", no_sleep)
    with HubImitation() as imitation:
        monkeypatch.setenv("HF_ENDPOINT", imitation.endpoint)
        yield imitation


def _hub_file(path: str, content: bytes | Path, lfs: bool) -> HubFile:
    if isinstance(content, bytes):
        size = len(content)
        sha256 = hashlib.sha256(content).hexdigest()
        blob_id = _git_blob_id(content)
    else:
        size = content.stat().st_size
        sha256, blob_id = _hash_file(content)
    if lfs:
        pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"
        blob_id = _git_blob_id(pointer.encode())
    return HubFile(path, content, size, sha256, blob_id, lfs, sha256)


def _git_blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


_FILE_HASHES: dict[Path, tuple[str, str]] = {}


def _hash_file(path: Path) -> tuple[str, str]:
    """sha256 and git blob id of a file on disk, kept per path: the bundled model is ~100 MB."""
    if path not in _FILE_HASHES:
        digest = hashlib.sha256()
        blob = hashlib.sha1(b"blob %d\0" % path.stat().st_size, usedforsecurity=False)
        with path.open("rb") as handle:
            while block := handle.read(1 << 22):
                digest.update(block)
                blob.update(block)
        _FILE_HASHES[path] = (digest.hexdigest(), blob.hexdigest())
    return _FILE_HASHES[path]


def _has_gguf(repo: HubRepo) -> bool:
    return any(path.endswith(".gguf") for path in repo.files)


def _summary(repo: HubRepo) -> dict[str, Any]:
    return {
        "_id": repo.commit[:24],
        "id": repo.repo_id,
        "modelId": repo.repo_id,
        "downloads": repo.downloads,
        "likes": repo.likes,
        "lastModified": repo.last_modified.isoformat().replace("+00:00", ".000Z"),
        "gated": "manual" if repo.gated_token else False,
        "private": False,
        "tags": ["gguf", f"license:{repo.license}", "text-generation"],
    }


def _info(repo: HubRepo, *, blobs: bool) -> dict[str, Any]:
    siblings: list[dict[str, Any]] = []
    for file in repo.files.values():
        sibling: dict[str, Any] = {"rfilename": file.path}
        if blobs:
            sibling.update(size=file.size, blobId=file.git_oid)
            if file.lfs:
                sibling["lfs"] = {
                    "sha256": file.advertised_sha256, "size": file.size,
                    "pointerSize": POINTER_SIZE,
                }
        siblings.append(sibling)
    return {
        **_summary(repo),
        "author": repo.repo_id.split("/")[0],
        "sha": repo.commit,
        "disabled": False,
        "cardData": {"license": repo.license},
        "siblings": siblings,
    }


def _gguf_field(repo: HubRepo) -> dict[str, Any] | None:
    """What the Hub reads from the header of a repository's first GGUF file."""
    first = min((path for path in repo.files if path.endswith(".gguf")), default=None)
    if first is None:
        return None
    content = repo.files[first].content
    with tempfile.TemporaryDirectory() as folder:
        path = content if isinstance(content, Path) else Path(folder) / "model.gguf"
        if isinstance(content, bytes):
            path.write_bytes(content)
        header = read_header(path)
    field: dict[str, Any] = {"architecture": header.architecture}
    template = header.metadata.get("tokenizer.chat_template")
    if isinstance(template, str):
        field["chat_template"] = template
    return field


def _tree(repo: HubRepo, folder: str, recursive: bool) -> list[dict[str, Any]]:
    prefix = f"{folder}/" if folder else ""
    entries: list[dict[str, Any]] = []
    folders: set[str] = set()
    for file in repo.files.values():
        if not file.path.startswith(prefix):
            continue
        inner = file.path[len(prefix):].split("/")
        for depth in range(1, len(inner)):
            if recursive or depth == 1:
                folders.add(prefix + "/".join(inner[:depth]))
        if recursive or len(inner) == 1:
            entry: dict[str, Any] = {
                "type": "file", "oid": file.git_oid, "size": file.size, "path": file.path,
            }
            if file.lfs:
                entry["lfs"] = {
                    "oid": file.advertised_sha256, "size": file.size, "pointerSize": POINTER_SIZE,
                }
            entries.append(entry)
    directories = [
        {"type": "directory", "oid": hashlib.sha1(path.encode()).hexdigest(), "size": 0,
         "path": path}
        for path in sorted(folders)
    ]
    return directories + entries


def _send_json(handler: _Handler, status: int, payload: object, extra: dict[str, str] | None = None
               ) -> None:
    body = json.dumps(payload).encode()
    handler.send_response(status)
    for name, value in (extra or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD":
        handler.wfile.write(body)


def _send_error(
    handler: _Handler, status: int, code: str, message: str, extra: dict[str, str] | None = None
) -> None:
    headers = {"X-Error-Code": code, "X-Error-Message": message, **(extra or {})}
    _send_json(handler, status, {"error": message}, headers)


def _send_empty(handler: _Handler, status: int, headers: dict[str, str]) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", "0")
    handler.end_headers()
