"""Asking documents a question: from the passages that answer it, or from the whole text.

A question about a detail ("when did...", "what did she say about...") is answered from the few
passages search finds, each numbered so the answer can cite it; a question about the whole text
("summarise", "list every", "how many times", "compare") is read by the map-reduce summary
path, which sees every part. Which one is guessed from the question's words; the answer says
which it took, so the person can ask for the other.

A detail answer is checked before it is shown (citing.py): each citation must name the passage
holding its sentence's words, and each quotation in it must be found word for word in the
passages (one that is not is returned in `unverified`, to be marked). When even the best
passage covers too little of the question (retrieval.answers_nothing), the answer is that the
documents do not say, without asking the model. Otherwise the model first judges whether a
passage answers the question: the answer is written only when its probability of "Yes" against
"No" reaches the model's threshold (answerable_from). A small model told it may decline
declines what it could answer (Qwen2.5-Coder-1.5B, 13 of 27 questions whose answer passage it
was given), and one told to answer invents; a score with a threshold fitted on questions kept
apart trades the two knowingly. The judgement and the answer share
their prompt up to the question, so the answer reads only its own instruction.
"""

from __future__ import annotations

import dataclasses
import math
import re
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from engine.chat.engine import ChatEngine, EngineModel, chat_template, continues_text
from engine.chat.prompt import ChatMessage
from engine.chat.reasoning import ReasoningSplitter, reasoning_style
from engine.documents.citing import Citation, checked, cited, unverified_quotes, where
from engine.documents.reading import Document
from engine.documents.retrieval import Hit, answers_nothing
from engine.documents.route import Route as Route  # re-exported: callers ask one module
from engine.documents.summarize import (
    SummaryDone,
    SummaryEvent,
    SummaryOptions,
    SummaryText,
    summarize,
    summary_think,
)
from engine.errors import NoModelLoadedError
from engine.host.logprobs import TokenLogprob
from engine.host.runtime import GenerationDone, GenerationRequest, TextChunk
from engine.settings import ChatSettings, ContextPolicy, SamplingSettings
from engine.text import Text

# Words that ask about the whole text rather than a place in it.
_WHOLE_TEXT = re.compile(
    r"\b(summar\w*|overview|gist|tl;?dr|outline|recap|main (?:point|idea|theme|topic|argument)s?"
    r"|key (?:point|idea|theme|takeaway)s?|(?:list|name) (?:all|every|each)|every (?:time|mention)"
    r"|all the (?:\w+ )?(?:times|places|people|names|mentions)|how many times|how often"
    r"|throughout|whole (?:text|document|speech|book|file)|entire|overall|compare|contrast"
    r"|what is (?:this|the) (?:\w+ )?about|structure of|themes?)\b"
    r"|总结|概括|摘要|要点|全文|まとめ|要約",
    re.IGNORECASE,
)

ANSWER_TOKENS = 320
JUDGE_TOP = 20  # alternatives read for "Yes" and "No" ("Yes", " yes", "YES" are all yes)
PASSAGES_SEARCHED = 5  # found, then as many as fit the context are given to the model
NOT_FOUND = "The documents do not say."

# The model's probability of "Yes" from which it answers, by the start of its file's name:
# fitted by make bench-docs on its "fit" questions, the highest that still answers 90% of the
# answerable ones (bench/docs_results.md). Models differ widely (the 135M bundled model says
# "No" to nearly everything, at 0.19 on answerable questions and 0.12 on the others), so a
# model not measured gets its own verdict, "Yes" more likely than "No".
ANSWERABLE_FROM = {"qwen2.5-coder-1.5b-instruct": 0.751, "smollm2-135m-instruct": 0.136}
OWN_VERDICT = 0.5
SYSTEM = "You answer questions about the user's documents from numbered passages of them."
USER = "Passages:\n\n{passages}\n\nQuestion: {question}\n\n{instruction}"
JUDGE = "Does one of these passages answer the question? Reply Yes or No."
ANSWER = ("Answer the question from these passages only. After each fact, cite the passage it "
          "comes from as [1] or [2]. Quote only words that are in the passages.")
# A base model follows no instruction: it continues a text that ends where the answer begins.
CONTINUED = "{passages}\n\nQuestion: {question}\nAnswer (citing the passages as [1], [2]):"
PASSAGE = "[{number}] {where}\n{text}"
# A chat question about a document too long to keep whole: the passages search found go with
# it, numbered, so the reply can cite them.
CHAT_PASSAGES = 4
CHAT_INTRO = ("Passages of the attached documents found for this question, numbered. Answer "
              "from them, citing the passage of each fact as [1] or [2]; if they do not "
              "answer it, say so.")



@dataclass(frozen=True)
class AnswerRouted:
    route: Route
    hits: tuple[Hit, ...]  # what search found (also for the whole-text path: shown as sources)


@dataclass(frozen=True)
class AnswerText:
    text: str


@dataclass(frozen=True)
class Answered:
    text: str
    route: Route
    citations: tuple[Citation, ...]  # those the answer cites, by number
    unverified: tuple[str, ...]  # quotations not found word for word in the passages
    not_found: bool  # the documents were found not to answer it
    cancelled: bool
    answerable: float | None = None  # the model's judgement that a passage answers it, 0 to 1

    @property
    def note(self) -> str:
        if self.not_found:
            return "No passage in the documents answers this."
        if self.route is Route.WHOLE:
            return "Answered from the whole text, read in parts."
        cited = len(self.citations)
        return (f"Answered from passages found by search ({cited} cited)." if cited
                else "Answered from passages found by search, but it cites none of them.")


AskEvent = AnswerRouted | AnswerText | SummaryEvent | Answered


def route_for(question: str) -> Route:
    """The whole text for a question about all of it, else the passages that answer it."""
    return Route.WHOLE if _WHOLE_TEXT.search(question) else Route.PASSAGES


def ask(runtime: ChatEngine, question: str, hits: Sequence[Hit],
        whole: Sequence[Document], cancel: threading.Event, route: Route | None = None,
        options: SummaryOptions | None = None, answer_from: float | None = None
        ) -> Iterator[AskEvent]:
    """Answers `question` from `hits` (search's best first) or, on the whole-text route, from
    `whole` (the documents' texts); the last event is `Answered`. `answer_from`: the judgement
    an answer needs, if not the model's own (answerable_from)."""
    chosen = route or route_for(question)
    yield AnswerRouted(chosen, tuple(hits))
    if chosen is Route.WHOLE:
        yield from _from_whole_text(runtime, question, whole, cancel, options)
        return
    if answers_nothing(hits):
        yield AnswerText(NOT_FOUND)
        yield Answered(NOT_FOUND, chosen, (), (), not_found=True, cancelled=False)
        return
    given = fitting(runtime, question, hits)
    judged = answerable(runtime, question, given)
    floor = answerable_from(runtime.loaded) if answer_from is None else answer_from
    if judged is not None and judged < floor:
        yield AnswerText(NOT_FOUND)
        yield Answered(NOT_FOUND, chosen, (), (), not_found=True, cancelled=False,
                       answerable=judged)
        return
    request = _request(runtime, question, given, options or SummaryOptions())
    think = summary_think(runtime)
    splitter = ReasoningSplitter(reasoning_style(chat_template(runtime.loaded), think))
    for event in runtime.stream(request, cancel):
        if isinstance(event, TextChunk):
            for part in splitter.feed(event.text):
                if part.kind == "answer":
                    yield AnswerText(part.text)
        elif isinstance(event, GenerationDone):
            for part in splitter.finish():
                if part.kind == "answer":
                    yield AnswerText(part.text)
            text = checked(splitter.answer.strip(), given)
            yield Answered(text, chosen, cited(text, given), unverified_quotes(text, given),
                           not_found=text.startswith(NOT_FOUND) or not text,
                           cancelled=event.finish_reason == "cancelled", answerable=judged)
            return
    raise RuntimeError("the runtime's stream ended without a result")


def fitting(runtime: ChatEngine, question: str, hits: Sequence[Hit]) -> list[Hit]:
    """The best passages that fit the context window with room for the answer (at least one:
    a passage is far shorter than any context window)."""
    loaded = runtime.loaded
    if loaded is None:
        raise NoModelLoadedError(Text("No model is loaded."))
    budget = loaded.n_ctx - ANSWER_TOKENS - 8 - loaded.n_ctx // 64
    given: list[Hit] = []
    for hit in hits[:PASSAGES_SEARCHED]:
        trial = [*given, hit]
        if given and len(runtime.tokenize_chat(_messages(runtime, question, trial))) > budget:
            break
        given = trial
    return given


def answerable_from(model: EngineModel | None) -> float:
    """The judgement (answerable) from which this model's answer is written."""
    name = model.name.lower() if model is not None else ""
    return next((floor for start, floor in ANSWERABLE_FROM.items() if name.startswith(start)),
                OWN_VERDICT)


def answerable(runtime: ChatEngine, question: str, given: Sequence[Hit]) -> float | None:
    """The model's probability that a passage answers the question: "Yes" against "No" as its
    next token, from its own log-probabilities. None for a model that follows no instruction
    or gives no log-probabilities (a remote one)."""
    if continues_text(runtime.loaded):
        return None
    request = GenerationRequest(
        messages=(ChatMessage("user", _user(question, given, JUDGE), think=False),),
        settings=ChatSettings(system_prompt=SYSTEM, context_policy=ContextPolicy.STOP,
                              sampling=SamplingSettings(temperature=0.0, max_tokens=1)),
        logprobs=JUDGE_TOP)
    top: tuple[tuple[bytes, float], ...] = ()
    for event in runtime.stream(request, threading.Event()):
        if isinstance(event, TokenLogprob):
            top = top or event.top
    yes = sum(math.exp(p) for token, p in top if _word(token) == "yes")
    no = sum(math.exp(p) for token, p in top if _word(token) == "no")
    return yes / (yes + no) if yes + no > 0 else None


def _word(token: bytes) -> str:
    return token.decode("utf-8", errors="replace").strip().lower()


def with_passages(given: Sequence[Hit], message: str) -> str:
    """A chat message as the model reads it with the passages found for it."""
    return f"{CHAT_INTRO}\n\n{_numbered(given)}\n\n{message}"


def _numbered(given: Sequence[Hit]) -> str:
    return "\n\n".join(PASSAGE.format(number=n, where=where(hit), text=hit.text)
                       for n, hit in enumerate(given, start=1))


def _messages(runtime: ChatEngine, question: str, given: Sequence[Hit]) -> list[ChatMessage]:
    think = summary_think(runtime)
    if continues_text(runtime.loaded):
        return [ChatMessage("user", CONTINUED.format(passages=_numbered(given),
                                                     question=question))]
    return [ChatMessage("system", SYSTEM),
            ChatMessage("user", _user(question, given, ANSWER), think=think)]


def _user(question: str, given: Sequence[Hit], instruction: str) -> str:
    return USER.format(passages=_numbered(given), question=question, instruction=instruction)


def _request(runtime: ChatEngine, question: str, given: Sequence[Hit],
             options: SummaryOptions) -> GenerationRequest:
    messages = _messages(runtime, question, given)
    system = messages[0].content if messages[0].role == "system" else ""
    sampling = SamplingSettings(
        temperature=options.temperature, top_k=40, top_p=0.9, min_p=0.05, repeat_penalty=1.1,
        seed=options.seed, max_tokens=ANSWER_TOKENS, loop_guard=options.loop_guard)
    return GenerationRequest(
        messages=(messages[-1],),
        settings=ChatSettings(system_prompt=system, sampling=sampling,
                              context_policy=ContextPolicy.STOP),
        stop=("\n\nQuestion:",) if continues_text(runtime.loaded) else (),
        stop_after_text=True)


def _from_whole_text(runtime: ChatEngine, question: str, documents: Sequence[Document],
                     cancel: threading.Event, options: SummaryOptions | None
                     ) -> Iterator[AskEvent]:
    document = documents[0] if len(documents) == 1 else _joined(documents)
    focused = dataclasses.replace(options or SummaryOptions(), question=question)
    for event in summarize(runtime, document, focused, cancel):
        if isinstance(event, SummaryText) and event.stage == "final":
            yield AnswerText(event.text)
        elif isinstance(event, SummaryDone):
            yield Answered(event.text, Route.WHOLE, (), (), not_found=False,
                           cancelled=event.cancelled)
            return
        else:
            yield event


def _joined(documents: Sequence[Document]) -> Document:
    text = "\n\n".join(f"{document.name}:\n\n{document.text}" for document in documents)
    return Document(f"{len(documents)} documents", text, len(text.encode()), "pasted")
