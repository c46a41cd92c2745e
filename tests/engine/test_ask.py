"""Asking documents a question: which way it is answered, its citations and quotations checked,
and the real model answering from an indexed collection or saying the documents do not say."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.documents.ask import (
    ANSWERABLE_FROM,
    NOT_FOUND,
    OWN_VERDICT,
    Answered,
    AnswerRouted,
    AnswerText,
    AskEvent,
    Route,
    answerable,
    answerable_from,
    ask,
    fitting,
    route_for,
)
from engine.documents.citing import checked
from engine.documents.collections import DocumentIndex, IndexDone
from engine.documents.summarize import SummaryOptions
from engine.host.client import HostRuntime
from tests.engine.documents_data import PLANTED_NAME, PLANTED_SECTION, speech_lines


@pytest.mark.parametrize("question", [
    "Summarise this",
    "List every person mentioned",
    "How many times does he say jobs?",
    "Compare the opening and the ending",
    "What are the main points?",
    "总结一下",
])
def test_questions_about_the_whole_text_are_read_whole(question: str) -> None:
    assert route_for(question) is Route.WHOLE


@pytest.mark.parametrize("question", [
    "When did she arrive?",
    "What did Clinton say about arithmetic?",
    "Who rowed out to rescue the fishermen?",
    "北京是哪个国家的首都？",
])
def test_questions_about_a_detail_are_answered_from_passages(question: str) -> None:
    assert route_for(question) is Route.PASSAGES


@pytest.fixture
def speech_collection(tmp_path: Path) -> Iterator[tuple[DocumentIndex, int]]:
    """A collection of one speech with the planted lighthouse story in it, indexed."""
    folder = tmp_path / "talks"
    folder.mkdir()
    (folder / "convention.txt").write_text(
        f"{speech_lines(2)}\n\n{PLANTED_SECTION}\n\n{speech_lines(2, skip=20)}\n",
        encoding="utf-8")
    index = DocumentIndex.open(tmp_path / "chats.db")
    collection = index.create("talks")
    index.add_sources(collection.id, [folder])
    assert isinstance(list(index.reindex(collection.id))[-1], IndexDone)
    yield index, collection.id
    index.close()


def asked(runtime: HostRuntime, collection: tuple[DocumentIndex, int],
          question: str, answer_from: float | None = None) -> list[AskEvent]:
    index, collection_id = collection
    hits = index.search([collection_id], question, 8)
    events = list(ask(runtime, question, hits, index.documents([collection_id]),
                      threading.Event(), options=SummaryOptions(seed=1),
                      answer_from=answer_from))
    assert isinstance(events[0], AnswerRouted)
    assert events[0].hits == tuple(hits)
    return events


def test_a_question_the_documents_do_not_answer_gets_not_in_the_documents(
    runtime: HostRuntime, speech_collection: tuple[DocumentIndex, int]
) -> None:
    events = asked(runtime, speech_collection,
                   "What did the speaker say about cryptocurrency regulation in Singapore?")
    answered = events[-1]
    assert isinstance(answered, Answered)
    assert answered.not_found and not answered.cancelled
    assert answered.text == NOT_FOUND
    assert answered.route is Route.PASSAGES
    assert answered.citations == () and answered.unverified == ()
    assert answered.note == "No passage in the documents answers this."
    assert "".join(e.text for e in events if isinstance(e, AnswerText)) == NOT_FOUND


def test_a_question_the_documents_answer_is_answered_from_their_passages(
    runtime: HostRuntime, speech_collection: tuple[DocumentIndex, int]
) -> None:
    # Whatever the bundled model's judgement (it says "No" to nearly everything): this is
    # about the answer once it is written; the judgement has tests of its own below.
    events = asked(runtime, speech_collection,
                   "Who pulled three fishermen out of the freezing water?", answer_from=0.0)
    routed, answered = events[0], events[-1]
    assert isinstance(routed, AnswerRouted) and isinstance(answered, Answered)
    assert PLANTED_NAME in routed.hits[0].text
    assert not answered.not_found and not answered.cancelled
    assert answered.route is Route.PASSAGES
    assert PLANTED_NAME in answered.text
    # What streamed, its citations then checked against the passages (citing.py).
    streamed = "".join(e.text for e in events if isinstance(e, AnswerText)).strip()
    assert answered.text == checked(streamed, routed.hits)
    given = {h.text for h in routed.hits}
    assert all(citation.text in given for citation in answered.citations)
    assert answered.note.startswith("Answered from passages found by search")


def test_no_answer_is_written_below_the_models_judgement(
    runtime: HostRuntime, speech_collection: tuple[DocumentIndex, int]
) -> None:
    """The model judges from its own log-probabilities whether a passage answers; below the
    threshold the documents do not say, and no answer is generated."""
    events = asked(runtime, speech_collection,
                   "Who pulled three fishermen out of the freezing water?", answer_from=1.0)
    answered = events[-1]
    assert isinstance(answered, Answered)
    assert answered.answerable is not None and 0.0 < answered.answerable < 1.0
    assert answered.not_found and answered.text == NOT_FOUND and answered.citations == ()
    assert [e.text for e in events if isinstance(e, AnswerText)] == [NOT_FOUND]


def test_the_judgement_is_the_models_yes_against_no(
    runtime: HostRuntime, speech_collection: tuple[DocumentIndex, int]
) -> None:
    index, collection_id = speech_collection
    question = "Who pulled three fishermen out of the freezing water?"
    given = fitting(runtime, question, index.search([collection_id], question, 8))
    judged = answerable(runtime, question, given)
    assert judged is not None and 0.0 < judged < 1.0
    answered = asked(runtime, speech_collection, question, answer_from=0.0)[-1]
    # The same prompt, read again from the cache: CPU logits shift a little with batch shapes.
    assert isinstance(answered, Answered)
    assert answered.answerable == pytest.approx(judged, abs=0.02)


@pytest.mark.parametrize(("file_name", "floor"), [
    ("SmolLM2-135M-Instruct.Q4_1", ANSWERABLE_FROM["smollm2-135m-instruct"]),
    ("qwen2.5-coder-1.5b-instruct-q4_k_m", ANSWERABLE_FROM["qwen2.5-coder-1.5b-instruct"]),
    ("Mistral-7B-Instruct-v0.3.Q4_K_M", OWN_VERDICT),
])
def test_each_model_answers_from_its_own_measured_threshold_else_its_own_verdict(
        file_name: str, floor: float) -> None:
    assert answerable_from(_Model(file_name)) == floor


@dataclass(frozen=True)
class _Model:
    name: str
    n_ctx: int = 4096
