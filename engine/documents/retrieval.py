"""Finding the passages that answer a question: keyword search ranked by BM25.

A question is not a search query: its small words ("what", "did", "the") are dropped, and the
rest are searched for as alternatives (any of them), so a passage with most of them ranks
first and one with only some still ranks. Words are matched by their stem (the index uses
FTS5's porter tokenizer), so "elected" finds "election". Chinese and Japanese runs, written
without spaces, are searched as overlapping pairs of characters: 首都在哪里 finds 首都.

Each hit also says how much of the question it covers: the share of the question's weight
(each word weighed by how rare it is in the index) that the passage contains. BM25's own score
does not compare across questions; coverage does, so "the documents do not say" is decided on
it, with a threshold fitted by `make bench-docs` on questions kept apart from those it reports.

Where the search model is installed, meaning joins the words: each passage's similarity to
the question (its best sentence group's cosine and its whole vector's, engine/documents/
collections.py), so a question asked in other words than the passage's still finds it. The
passages either way ranks high are ranked by similarity plus three tenths of the coverage
(the weight that ties with a fifth on the questions that fit the threshold and finds one more
reworded question of those reported): the words then break ties in meaning, and a
passage with every rare word of the question rises (plain reciprocal rank fusion let keyword
noise push the answer out of the first five for reworded questions: 34% found vs 77%).
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from engine.chat.search_text import CJK_CHARACTER, search_text

# Below these the best passage is taken not to answer the question: its coverage, by keywords
# alone; its relevance, with meaning. Each is the highest that still answers 90% of the
# answerable "fit" questions of bench/docs_questions.json (bench/docs_results.md): declining
# what the documents answer is the worse mistake, and the model declines the rest itself.
KEYWORDS_NOT_FOUND_BELOW = 0.09
MEANING_NOT_FOUND_BELOW = 0.365
COVERAGE_WEIGHT = 0.3  # of the coverage in a passage's relevance, beside its similarity
CANDIDATES = 50  # passages taken from each ranking before they are ranked together

_WORD = re.compile(r"\w+")
# Question words, auxiliaries, pronouns, articles, prepositions and conjunctions: in nearly
# every question and every passage, they rank nothing.
_STOPWORDS_TEXT = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing done down during each else ever few for
from further get got had has have having he her here hers herself him himself his how i if in
into is it its itself just let me more most my myself no nor not now of off on once only or
other our ours ourselves out over own please same say said says she should so some such tell
than that the their theirs them themselves then there these they this those through to too
under until up upon us very was we were what when where which while who whom whose why will
with would you your yours yourself yourselves document documents text passage speech speaker
mention mentioned mentions according
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


@dataclass(frozen=True)
class Hit:
    passage_id: int
    file: str  # the file's name as shown
    path: str  # the file's path, or the key of a document indexed without one
    page: int | None
    line: int
    text: str
    score: float  # BM25, higher is better; 0 for a passage found by meaning alone
    coverage: float  # the share of the question's weight this passage holds, 0 to 1
    similarity: float | None = None  # its best sentence group's cosine to the question
    relevance: float = 0.0  # what hits are ranked by: coverage, or similarity and coverage


def answers_nothing(hits: Sequence[Hit]) -> bool:
    """Whether even the best hit is too weak to answer from: the documents do not say."""
    if not hits:
        return True
    best = hits[0]
    floor = KEYWORDS_NOT_FOUND_BELOW if best.similarity is None else MEANING_NOT_FOUND_BELOW
    return best.relevance < floor


def query_terms(question: str) -> list[str]:
    """The words of a question worth searching for, in order, each once; a run of Chinese or
    Japanese characters as its overlapping pairs (a single character alone)."""
    terms: list[str] = []
    for word in _WORD.findall(question.lower()):
        for run in _runs(word):
            if CJK_CHARACTER.match(run):
                pairs = [run[i:i + 2] for i in range(len(run) - 1)] or [run]
                terms += pairs
            elif run not in STOPWORDS and (len(run) > 1 or run.isdigit()):
                terms.append(run)
    return list(dict.fromkeys(terms))


def search(conn: sqlite3.Connection, collection_ids: Sequence[int], question: str,
           limit: int = 5, similarity: Mapping[int, float] | None = None) -> list[Hit]:
    """The passages of these collections that best answer `question`, best first.
    `similarity`: each passage's similarity to the question, where the search model is."""
    terms = query_terms(question)
    if not collection_ids or limit <= 0 or (not terms and not similarity):
        return []
    phrases = [_phrase(term) for term in terms]
    marks = ",".join("?" * len(collection_ids))
    scores: dict[int, float] = {}
    if phrases:
        scores = dict(conn.execute(
            "SELECT p.id, -bm25(passages_fts) FROM passages_fts "
            "JOIN passages AS p ON p.id = passages_fts.rowid "
            "JOIN collection_files AS f ON f.id = p.file_id "
            f"WHERE passages_fts MATCH ? AND f.collection_id IN ({marks}) "
            "ORDER BY bm25(passages_fts) LIMIT ?",
            (" OR ".join(phrases), *collection_ids, limit if not similarity else CANDIDATES),
        ).fetchall())
    candidates = list(scores)
    if similarity:
        nearest = sorted(similarity, key=lambda passage: -similarity[passage])[:CANDIDATES]
        candidates = list(dict.fromkeys([*candidates, *nearest]))
    if not candidates:
        return []
    coverage = _coverage(conn, phrases, candidates)
    rows = {row[0]: row for row in conn.execute(
        "SELECT p.id, f.name, f.path, p.page, p.line, p.text FROM passages AS p "
        "JOIN collection_files AS f ON f.id = p.file_id "
        f"WHERE p.id IN ({','.join('?' * len(candidates))})", candidates).fetchall()}
    hits = []
    for passage_id in candidates:
        near = None if similarity is None else similarity.get(passage_id, 0.0)
        relevance = (coverage[passage_id] if near is None
                     else near + COVERAGE_WEIGHT * coverage[passage_id])
        _id, name, path, page, line, text = rows[passage_id]
        hits.append(Hit(passage_id, name, path, page, line, text, scores.get(passage_id, 0.0),
                        coverage[passage_id], near, relevance))
    if similarity is None:
        return hits[:limit]  # in BM25's order
    return sorted(hits, key=lambda hit: -hit.relevance)[:limit]


def _coverage(conn: sqlite3.Connection, phrases: Sequence[str], ids: Sequence[int]
              ) -> dict[int, float]:
    held = dict.fromkeys(ids, 0.0)
    if not phrases:
        return held
    weights = _weights(conn, phrases)
    total = sum(weights) or 1.0
    id_marks = ",".join("?" * len(ids))
    for phrase, weight in zip(phrases, weights, strict=True):
        for (passage_id,) in conn.execute(
                f"SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? "
                f"AND rowid IN ({id_marks})", (phrase, *ids)).fetchall():
            held[passage_id] += weight / total
    return held


def _runs(word: str) -> list[str]:
    """A word split where it turns from CJK to other letters and back (北京2012 -> 北京, 2012)."""
    return [match.group() for match in re.finditer(
        f"(?:{CJK_CHARACTER.pattern})+|(?:(?!{CJK_CHARACTER.pattern}).)+", word)]


def _phrase(term: str) -> str:
    return '"' + (search_text(term) or "").replace('"', '""') + '"'


def _weights(conn: sqlite3.Connection, phrases: Sequence[str]) -> list[float]:
    """Each term's inverse document frequency over the whole index (BM25's own): a word in
    few passages weighs much, one in most nearly nothing, one in none the most."""
    count = conn.execute("SELECT count(*) FROM passages").fetchone()[0]
    weights = []
    for phrase in phrases:
        frequency = conn.execute(
            "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?", (phrase,)
        ).fetchone()[0]
        weights.append(math.log((count - frequency + 0.5) / (frequency + 0.5) + 1.0))
    return weights
