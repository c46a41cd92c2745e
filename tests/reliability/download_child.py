"""A child for the download kill test: downloads one model from a Hub (argv: endpoint, models
folder, repo, file) and prints the bytes on disk at each progress event, then "done <path>"."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from engine.models.downloads import DownloadEvent, run_download
from engine.models.hub import repo_gguf_files


def main() -> None:
    endpoint, models_dir, repo_id, file_name = sys.argv[1:5]
    option = next(o for o in repo_gguf_files(repo_id, endpoint=endpoint)
                  if o.files[0].path == file_name)

    # Every write is reported (no interval): a transfer fast enough to reach the parent's hold
    # inside one interval would otherwise report no bytes before it stops there.
    def report(event: DownloadEvent) -> None:
        print(f"bytes {event.bytes_done} {event.resumed_from}", flush=True)

    installed = run_download(option, Path(models_dir), stop=threading.Event(), on_event=report,
                             endpoint=endpoint, retry_delays=(), progress_interval_s=0.0)
    print(f"done {installed[0] if installed else ''}", flush=True)


if __name__ == "__main__":
    main()
