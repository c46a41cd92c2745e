"""An answer's citations and quotations, checked against the passages it was given."""

from __future__ import annotations

import pytest

from engine.documents.citing import checked, cited, unverified_quotes
from engine.documents.retrieval import Hit


def hit(number: int, text: str, page: int | None = None) -> Hit:
    return Hit(passage_id=number, file=f"file{number}.txt", path=f"/docs/file{number}.txt",
               page=page, line=10 * number, text=text, score=1.0, coverage=1.0)


GIVEN = [
    hit(1, "I’m going to do everything I can to make sure\nthat   every child can go to college."),
    hit(2, "Marisol Quenneville rowed through the night.", page=27),
    hit(3, "The coast guard could not reach it in the wind."),
]


def test_citations_are_the_passages_cited_in_first_cited_order_and_unknown_numbers_dropped(
) -> None:
    citations = cited("Quenneville rowed [2] and [1, 2] and [9].", GIVEN)
    assert [c.number for c in citations] == [2, 1]
    for citation in citations:
        given = GIVEN[citation.number - 1]
        assert (citation.file, citation.path, citation.page, citation.line, citation.text) == (
            given.file, given.path, given.page, given.line, given.text)
    assert citations[0].where() == "file2.txt, page 27, line 20"
    assert citations[1].where() == "file1.txt, line 10"


def test_an_answer_that_cites_nothing_has_no_citations() -> None:
    assert cited("She rowed through the night.", GIVEN) == ()
    assert cited("See [0] and [4].", GIVEN) == ()


@pytest.mark.parametrize("quote", [
    "Marisol Quenneville rowed through the night",  # word for word
    "MARISOL quenneville Rowed through the night.",  # case and a closing full stop
    "I'm going to do everything I can",  # straight apostrophe for the passage's curly one
    "to make sure that every child can go",  # a line break and spaces in the passage
])
def test_a_quotation_in_a_passage_is_verified(quote: str) -> None:
    for marks in ('"{}"', "“{}”"):
        answer = f"The speaker said {marks.format(quote)} [1]."
        assert unverified_quotes(answer, GIVEN) == ()


def test_an_invented_quotation_is_returned() -> None:
    answer = ('She said “a keeper never sleeps at all” [2] and "the wind could not stop the '
              'coast guard" [3].')
    assert unverified_quotes(answer, GIVEN) == (
        "a keeper never sleeps at all", "the wind could not stop the coast guard")


def test_a_quoted_word_or_two_is_not_a_quotation_to_check() -> None:
    assert unverified_quotes('The boat, "Gray Gull", sank; "lighthouse keepers" row.', GIVEN) == ()


def test_an_invented_quotation_of_three_short_words_is_returned() -> None:
    assert unverified_quotes('She said "we did win" [2].', GIVEN) == ("we did win",)


SPEECH = [
    hit(1, "In the automobile of life, dad was just a passenger. Mom was the driver."),
    hit(2, "My mom and dad were true partners, a life lesson that shaped me by example."),
    hit(3, "Republicans, 24 million; Democrats, 42 million. So what's the job score?"),
]


def test_a_citation_names_the_passage_holding_its_sentences_words() -> None:
    assert checked("Mom was the driver. [2]", SPEECH) == "Mom was the driver. [1]"
    assert checked("In the automobile of life, mom drove [1, 2].", SPEECH) == (
        "In the automobile of life, mom drove [1].")


def test_a_citation_right_or_nearly_as_good_as_the_best_is_kept() -> None:
    answer = "Dad was a passenger and mom and dad were partners [1][2]."
    assert checked(answer, SPEECH) == answer
    listed = "Who drove:\n\n  -   Mom was the driver [1].\n  -   Dad:  a passenger [1]."
    assert checked(listed, SPEECH) == listed  # the answer's own layout is left as it is


def test_citations_before_a_sentence_stand_for_it() -> None:
    assert checked("[2] [3] Mom was the driver.", SPEECH) == "[1] Mom was the driver."


def test_a_header_copied_from_the_prompt_is_left_out() -> None:
    answer = "[1] File3.txt, line 30: Republicans, 24 million; Democrats, 42 million."
    assert checked(answer, SPEECH) == "[3] Republicans, 24 million; Democrats, 42 million."


def test_citations_that_stand_for_no_sentence_or_no_passages_words_are_dropped() -> None:
    assert checked("[1] [2]", SPEECH) == ""
    assert checked("Tennis was invented in 1873 [3].", SPEECH) == "Tennis was invented in 1873."


def test_brackets_in_code_are_not_citations() -> None:
    answer = "Mom was the driver [2]: `drivers[2]`.\n\n```python\nfirst = people[3]\n```"
    assert checked(answer, SPEECH) == answer.replace("driver [2]", "driver [1]")
    assert [c.number for c in cited(answer, SPEECH)] == [2]


def test_chinese_sentences_are_checked_too() -> None:
    given = [hit(1, "北京是中国的首都。"), hit(2, "上海是一座港口城市。")]
    assert checked("北京是首都。[2]上海是港口。[2]", given) == "北京是首都。[1]上海是港口。[2]"
