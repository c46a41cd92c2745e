"""Collections of documents: real files in a folder, indexed in a real chat database, searched
as a person asks; passages cut on sentence ends in every script."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.documents.collections import DocumentIndex, IndexDone, IndexProgress
from engine.documents.passages import split_passages
from engine.documents.reading import pasted_document, read_document
from engine.documents.retrieval import Hit
from tests.engine.documents_data import (
    PLANTED_NAME,
    PLANTED_SECTION,
    docx_bytes,
    pdf_bytes,
    speech_lines,
)

RESCUE_QUESTION = "Who rowed out to rescue the fishermen?"
PLANTED_PAGE = 27
PLANTED_LINES = PLANTED_SECTION.split("\n")


@pytest.fixture
def index(tmp_path: Path) -> Iterator[DocumentIndex]:
    opened = DocumentIndex.open(tmp_path / "chats.db")
    yield opened
    opened.close()


def indexed(index: DocumentIndex, collection_id: int,
            cancel: threading.Event | None = None) -> IndexDone:
    """Runs a re-index to its end: progress for each file, then what it did."""
    events = list(index.reindex(collection_id, cancel))
    assert all(isinstance(event, IndexProgress) for event in events[:-1])
    done = events[-1]
    assert isinstance(done, IndexDone)
    return done


def collection_of(index: DocumentIndex, folder: Path, name: str = "talks") -> int:
    collection = index.create(name)
    index.add_sources(collection.id, [folder])
    return collection.id


def found_in(hits: list[Hit]) -> list[str]:
    """The files that hold the hits, each once."""
    return sorted({hit.file for hit in hits})


def long_pdf_pages() -> list[str | None]:
    """30 pages of speech (Helvetica in a PDF has no em dash), the planted fact on page 27."""
    pages: list[str | None] = [speech_lines(4, skip=4 * page).replace("\u2014", "-")
                               for page in range(30)]
    pages[PLANTED_PAGE - 1] = (speech_lines(2, skip=125).replace("\u2014", "-") + "\n"
                               + PLANTED_SECTION)
    return pages


def assert_cites_the_planted_fact(hit: Hit, text: str) -> None:
    """The hit holds the rescue, and its line is where its first words stand in `text`."""
    assert "rowed through the night" in hit.text
    first_line = hit.text.split("\n")[0]
    assert first_line in PLANTED_LINES  # the passage starts inside the planted section
    assert text.split("\n")[hit.line - 1] == first_line


def test_a_planted_fact_deep_in_a_long_pdf_is_found_on_its_page_and_line(
    tmp_path: Path, index: DocumentIndex
) -> None:
    folder = tmp_path / "talks"
    folder.mkdir()
    path = folder / "convention.pdf"
    path.write_bytes(pdf_bytes(long_pdf_pages()))
    document = read_document(path)
    page = document.text[document.page_starts[PLANTED_PAGE - 1]:
                         document.page_starts[PLANTED_PAGE]]
    collection_id = collection_of(index, folder)
    assert indexed(index, collection_id).added == 1

    best = index.search([collection_id], RESCUE_QUESTION)[0]
    assert best.file == "convention.pdf"
    assert best.page == PLANTED_PAGE
    assert best.line > 2  # its line on the page, after the page's first two lines of speech
    assert_cites_the_planted_fact(best, page)

    # Written again (a new modification time): read again, and still found where it is.
    stat = path.stat()
    path.write_bytes(pdf_bytes(long_pdf_pages()))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
    done = indexed(index, collection_id)
    assert (done.added, done.changed, done.unchanged) == (0, 1, 0)
    again = index.search([collection_id], RESCUE_QUESTION)[0]
    assert (again.page, again.line, again.text) == (best.page, best.line, best.text)


def test_a_planted_fact_in_a_text_file_is_cited_with_the_line_it_starts_on(
    tmp_path: Path, index: DocumentIndex
) -> None:
    folder = tmp_path / "talks"
    folder.mkdir()
    path = folder / "convention.txt"
    path.write_text(f"{speech_lines(40)}\n\n{PLANTED_SECTION}\n\n{speech_lines(20, skip=60)}\n",
                    encoding="utf-8")
    collection_id = collection_of(index, folder)
    indexed(index, collection_id)

    best = index.search([collection_id], RESCUE_QUESTION)[0]
    assert best.page is None  # a text file has no pages
    assert best.line > 40
    assert_cites_the_planted_fact(best, path.read_text(encoding="utf-8"))


def test_a_cited_line_is_the_files_own_line_where_it_has_runs_of_blank_lines(
    tmp_path: Path, index: DocumentIndex
) -> None:
    folder = tmp_path / "talks"
    folder.mkdir()
    path = folder / "notes.txt"
    path.write_text(f"\n\n{speech_lines(5)}\n\n\n\n{speech_lines(5, skip=5)}\n\n\n\n"
                    f"{PLANTED_SECTION}\n", encoding="utf-8")
    collection_id = collection_of(index, folder)
    indexed(index, collection_id)

    best = index.search([collection_id], RESCUE_QUESTION)[0]
    assert_cites_the_planted_fact(best, path.read_text(encoding="utf-8"))


def test_beijing_is_found_inside_a_chinese_sentence(tmp_path: Path, index: DocumentIndex) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "cities.txt").write_text(
        "北京是中国的首都。上海是最大的城市！东京是日本的首都？", encoding="utf-8")
    (folder / "rivers.txt").write_text("长江是中国最长的河流。黄河在北方。", encoding="utf-8")
    collection_id = collection_of(index, folder)
    indexed(index, collection_id)

    hits = index.search([collection_id], "北京")
    assert found_in(hits) == ["cities.txt"]
    assert hits[0].text.startswith("北京是中国的首都。")
    assert found_in(index.search([collection_id], "长江")) == ["rivers.txt"]


def test_an_edited_file_is_read_again_and_its_old_passages_are_gone(
    tmp_path: Path, index: DocumentIndex
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    path = folder / "journal.txt"
    path.write_text(f"{speech_lines(6)}\n\nWe saw a zeppelin over the harbour.\n",
                    encoding="utf-8")
    collection_id = collection_of(index, folder)
    indexed(index, collection_id)
    assert found_in(index.search([collection_id], "zeppelin")) == ["journal.txt"]

    path.write_text(f"{speech_lines(6)}\n\nWe saw a submarine in the harbour, a grey one.\n",
                    encoding="utf-8")
    done = indexed(index, collection_id)
    assert (done.added, done.changed, done.removed, done.unchanged) == (0, 1, 0, 0)
    assert done.failed == ()
    assert index.search([collection_id], "zeppelin") == []
    assert found_in(index.search([collection_id], "submarine")) == ["journal.txt"]
    [record] = index.files(collection_id)
    assert record.passages == len(split_passages(read_document(path)))


def test_an_unchanged_file_is_counted_unchanged_and_not_read_again(
    tmp_path: Path, index: DocumentIndex
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    path = folder / "journal.txt"
    path.write_text("We saw a zeppelin over the harbour.\n", encoding="utf-8")
    collection_id = collection_of(index, folder)
    indexed(index, collection_id)

    # Other words of the same size, the modification time put back: to the index the file is
    # unchanged, so what it finds shows whether it read the file again.
    stat = path.stat()
    path.write_text("We saw a aardvark over the harbour.\n", encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    done = indexed(index, collection_id)
    assert (done.added, done.changed, done.removed, done.unchanged) == (0, 0, 0, 1)
    assert done.pages == 0
    assert found_in(index.search([collection_id], "zeppelin")) == ["journal.txt"]
    assert index.search([collection_id], "aardvark") == []


def test_a_removed_file_leaves_the_index(tmp_path: Path, index: DocumentIndex) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "kept.txt").write_text("The lighthouse lamp burns every night.\n", encoding="utf-8")
    gone = folder / "gone.txt"
    gone.write_text("The zeppelin landed in the meadow.\n", encoding="utf-8")
    collection_id = collection_of(index, folder)
    assert indexed(index, collection_id).added == 2

    gone.unlink()
    done = indexed(index, collection_id)
    assert (done.added, done.changed, done.removed, done.unchanged) == (0, 0, 1, 1)
    assert index.search([collection_id], "zeppelin") == []
    assert [record.name for record in index.files(collection_id)] == ["kept.txt"]
    assert found_in(index.search([collection_id], "lighthouse")) == ["kept.txt"]


def test_a_removed_collection_takes_its_passages_with_it(
    tmp_path: Path, index: DocumentIndex
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.txt").write_text("The zeppelin landed in the meadow.\n", encoding="utf-8")
    first = collection_of(index, folder, "first")
    second = collection_of(index, folder, "second")
    indexed(index, first)
    indexed(index, second)

    index.remove("first")
    assert [c.name for c in index.collections()] == ["second"]
    assert index.search([first], "zeppelin") == []
    assert found_in(index.search([second], "zeppelin")) == ["a.txt"]


def test_a_chinese_document_splits_into_sentences() -> None:
    document = pasted_document("北京是中国的首都。上海是最大的城市！东京是日本的首都？")
    passages = split_passages(document, target=12)
    assert [p.text for p in passages] == ["北京是中国的首都。", "上海是最大的城市！",
                                          "东京是日本的首都？"]
    assert [p.start for p in passages] == [0, 9, 18]
    assert all(p.line == 1 and p.page is None for p in passages)


def test_a_chinese_document_split_across_lines_keeps_each_sentence_and_its_line() -> None:
    document = pasted_document("北京是中国的首都。\n上海是最大的城市！东京是日本的首都？")
    passages = split_passages(document, target=10)
    assert [(p.text, p.line) for p in passages] == [
        ("北京是中国的首都。", 1), ("上海是最大的城市！", 2), ("东京是日本的首都？", 2)]
    assert "".join(p.text for p in passages) == document.text.replace("\n", "")


def test_unreadable_files_are_listed_with_their_reasons_while_the_rest_index(
    tmp_path: Path, index: DocumentIndex
) -> None:
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "good.txt").write_text(f"{speech_lines(3)}\n\n{PLANTED_SECTION}\n",
                                     encoding="utf-8")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 broken")
    (folder / "letter.docx").write_bytes(b"this was never a zip file")
    (folder / "report.docx").write_bytes(docx_bytes(["The harbour master counted the boats."]))
    collection_id = collection_of(index, folder)

    done = indexed(index, collection_id)
    assert done.added == 2
    reasons = dict(done.failed)
    assert reasons == {
        str(folder / "broken.pdf"): "broken.pdf is damaged or not a PDF file that can be read.",
        str(folder / "letter.docx"): "letter.docx is damaged or not a Word document.",
    }
    errors = {record.name: record.error for record in index.files(collection_id)}
    assert errors == {"broken.pdf": reasons[str(folder / "broken.pdf")],
                      "good.txt": None,
                      "letter.docx": reasons[str(folder / "letter.docx")],
                      "report.docx": None}
    record = index.collection("talks")
    assert (record.files, record.failed) == (2, 2)
    assert found_in(index.search([collection_id], PLANTED_NAME)) == ["good.txt"]
    assert found_in(index.search([collection_id], "harbour master")) == ["report.docx"]

    again = indexed(index, collection_id)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 2)
    assert dict(again.failed) == reasons  # still unreadable, so listed again


def test_stop_ends_indexing_and_keeps_the_files_finished_before_it(
    tmp_path: Path, index: DocumentIndex
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    words = {"a.txt": "zeppelin", "b.txt": "submarine", "c.txt": "aardvark"}
    for name, word in words.items():
        (folder / name).write_text(f"{speech_lines(4)}\n\nWe saw a {word} today.\n",
                                   encoding="utf-8")
    collection_id = collection_of(index, folder)

    stop = threading.Event()
    events: list[IndexProgress | IndexDone] = []
    for event in index.reindex(collection_id, stop):
        events.append(event)
        if isinstance(event, IndexProgress):
            stop.set()
    assert isinstance(events[0], IndexProgress)
    assert (events[0].done, events[0].total) == (0, 3)
    done = events[-1]
    assert isinstance(done, IndexDone) and done.cancelled
    assert done.added == 1  # the file being read when Stop came is finished, none after it
    assert found_in(index.search([collection_id], "zeppelin")) == ["a.txt"]
    assert index.search([collection_id], "submarine") == []
    assert index.search([collection_id], "aardvark") == []

    rest = indexed(index, collection_id)
    assert not rest.cancelled
    assert (rest.added, rest.unchanged) == (2, 1)
    assert found_in(index.search([collection_id], "aardvark")) == ["c.txt"]


def test_stale_says_whether_the_files_on_disk_differ_from_the_index(
    tmp_path: Path, index: DocumentIndex
) -> None:
    folder = tmp_path / "notes"
    (folder / "deeper").mkdir(parents=True)
    (folder / ".hidden").mkdir()
    journal = folder / "journal.txt"
    journal.write_text("We saw a zeppelin over the harbour.\n", encoding="utf-8")
    collection_id = collection_of(index, folder)
    [watched] = index.watched()
    assert (watched.id, watched.name) == (collection_id, "talks")
    assert watched.folders == (folder, folder / "deeper")  # hidden folders are not watched
    assert watched.files == (journal,)
    assert index.stale(collection_id)  # added, not read yet
    indexed(index, collection_id)
    assert not index.stale(collection_id)

    (folder / "deeper" / "list.md").write_text("# Things\n", encoding="utf-8")
    (folder / "picture.png").write_bytes(b"not a document")
    (folder / ".hidden" / "secret.txt").write_text("hidden\n", encoding="utf-8")
    assert index.stale(collection_id)  # the new document only
    indexed(index, collection_id)
    assert not index.stale(collection_id)
    assert index.watched()[0].files == (folder / "deeper" / "list.md", journal)

    journal.write_text("We saw a submarine in the harbour.\n", encoding="utf-8")
    assert index.stale(collection_id)
    indexed(index, collection_id)
    journal.unlink()
    assert index.stale(collection_id)
    indexed(index, collection_id)
    assert not index.stale(collection_id)
    index.create("empty")  # a collection without files or folders has nothing to watch
    assert [collection.name for collection in index.watched()] == ["talks"]
