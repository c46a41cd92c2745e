"""`hearth-cli tune` as a person runs it: a real process, the real model, a fresh HEARTH_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LIKED = ["I loved it.", "Wonderful and moving.", "A delight.", "Great fun.", "Brilliant.",
         "Charming and warm.", "Superb.", "A joy to watch.", "Beautifully made.", "Lovely."]
DISLIKED = ["I hated it.", "Boring and dull.", "A waste of time.", "Terrible.", "Awful.",
            "Tedious and cold.", "Dreadful.", "A chore to sit through.", "Badly made.", "Ugly."]


def hearth_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine.cli", *args],
        cwd=REPO,
        env={**os.environ, "HEARTH_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.usefixtures("bundled_model")
def test_tune_prints_one_json_object_with_held_out_scores(
    tmp_path: Path, hearth_home: Path
) -> None:
    task = tmp_path / "reviews.jsonl"
    lines = [json.dumps({"input": text, "output": label})
             for good, bad in zip(LIKED, DISLIKED, strict=True)
             for text, label in ((good, "liked"), (bad, "disliked"))]
    task.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = hearth_cli("tune", str(task), "--budget", "quick", "--seed", "2", "--json",
                        home=hearth_home)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # exactly one JSON document on stdout
    for side in ("baseline", "best"):
        assert 0.0 <= report[side]["score"] <= 1.0
        low, high = report[side]["interval"]
        assert low <= report[side]["score"] <= high
    assert "{input}" in report["best"]["prompt"]
    assert report["seconds"] > 0 and report["search_seconds"] <= report["seconds"]
    assert report["task"]["labels"] == ["liked", "disliked"]
    assert report["budget"] == "quick" and report["seed"] == 2
    assert report["difference"]["test"] == "mcnemar"
    assert report["held_out"] == 4 and not report["stopped"]
    assert len(report["model"]["fingerprint"]) == 64
    assert Path(report["run_file"]).is_file()
    assert "tune: " in result.stderr and "held-out" in result.stderr  # progress on stderr


def test_tune_refuses_a_malformed_file_with_its_line_number(
    tmp_path: Path, hearth_home: Path
) -> None:
    task = tmp_path / "broken.csv"
    task.write_text('input,output\n"good",yes\n"bad",no,extra\n', encoding="utf-8")
    result = hearth_cli("tune", str(task), "--json", home=hearth_home)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "hearth-cli: broken.csv line 3: 3 fields, but the header has 2."
    ]
