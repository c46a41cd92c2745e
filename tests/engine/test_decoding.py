"""Incremental UTF-8 decoding and stop strings, fed piece by piece as tokens arrive."""

from __future__ import annotations

import pytest

from engine.host.decoding import StopMatcher, Utf8Stream


def feed_all(stream: Utf8Stream, pieces: list[bytes]) -> list[str]:
    return [stream.feed(piece) for piece in pieces]


# -- Utf8Stream -----------------------------------------------------------------------------------


def test_ascii_passes_straight_through() -> None:
    stream = Utf8Stream()
    assert feed_all(stream, [b"Hel", b"lo", b" world"]) == ["Hel", "lo", " world"]
    assert stream.flush() == ""


def test_two_byte_character_split_across_pieces() -> None:
    stream = Utf8Stream()
    first, second = "é".encode()  # 0xC3 0xA9
    assert stream.feed(b"caf" + bytes([first])) == "caf"
    assert stream.feed(bytes([second]) + b"!") == "é!"
    assert stream.flush() == ""


def test_cjk_characters_split_mid_character() -> None:
    data = "日本".encode()  # two 3-byte characters
    stream = Utf8Stream()
    outputs = feed_all(stream, [data[:2], data[2:4], data[4:]])
    assert outputs == ["", "日", "本"]
    assert "".join(outputs) + stream.flush() == "日本"


def test_emoji_fed_one_byte_at_a_time() -> None:
    emoji = "😀"
    data = emoji.encode()
    assert len(data) == 4
    stream = Utf8Stream()
    outputs = feed_all(stream, [bytes([byte]) for byte in data])
    assert outputs == ["", "", "", emoji]
    assert stream.flush() == ""


def test_mixed_text_in_random_splits_round_trips() -> None:
    text = "Grüße, 日本語 and 🎉🎉 — done."
    data = text.encode()
    for size in (1, 2, 3, 5, 7):
        stream = Utf8Stream()
        pieces = [data[i : i + size] for i in range(0, len(data), size)]
        assert "".join(feed_all(stream, pieces)) + stream.flush() == text


def test_invalid_bytes_become_replacement_characters() -> None:
    stream = Utf8Stream()
    assert stream.feed(b"a\xffb") == "a\ufffdb"
    assert stream.feed(b"\xc3(") == "\ufffd("  # a lead byte followed by a non-continuation
    assert stream.flush() == ""


def test_truncated_character_at_the_end_is_flushed_as_replacement() -> None:
    stream = Utf8Stream()
    assert stream.feed(b"ok" + "日".encode()[:2]) == "ok"
    assert stream.flush() == "\ufffd"


# -- StopMatcher ----------------------------------------------------------------------------------


def test_without_stops_everything_passes_through() -> None:
    matcher = StopMatcher([])
    assert matcher.feed("Hello") == "Hello"
    assert matcher.feed(" there") == " there"
    assert matcher.flush() == ""
    assert not matcher.stopped


def test_empty_stop_strings_are_ignored() -> None:
    matcher = StopMatcher(["", ""])
    assert matcher.feed("abc") == "abc"
    assert not matcher.stopped


def test_partial_stop_string_is_held_back_across_feeds() -> None:
    matcher = StopMatcher(["\nUser:"])
    shown = matcher.feed("Sure thing.\nUs")
    assert "\n" not in shown  # "\nUs" may begin the stop string, so it is not shown yet
    assert "Sure thing.".startswith(shown)
    shown += matcher.feed("er: next question")
    assert matcher.stopped
    assert shown == "Sure thing."
    assert matcher.flush() == ""


def test_stop_split_over_many_single_character_feeds() -> None:
    matcher = StopMatcher(["STOP"])
    shown = "".join(matcher.feed(char) for char in "abcSTOPdef")
    assert shown == "abc"
    assert matcher.stopped


def test_held_text_that_turns_out_not_to_be_a_stop_is_released() -> None:
    matcher = StopMatcher(["\nUser:"])
    shown = matcher.feed("line one\nUs")
    shown += matcher.feed("ually fine")
    assert not matcher.stopped
    shown += matcher.flush()
    assert shown == "line one\nUsually fine"


def test_cuts_at_the_earliest_of_several_stops() -> None:
    matcher = StopMatcher(["world", "lo"])
    assert matcher.feed("hello world") == "hel"
    assert matcher.stopped


def test_earliest_stop_wins_even_when_listed_last() -> None:
    matcher = StopMatcher(["END", "##"])
    assert matcher.feed("one ## two END") == "one "


def test_flush_returns_held_text_when_no_stop_matched() -> None:
    matcher = StopMatcher(["<|end|>"])
    shown = matcher.feed("The answer is 42")
    assert shown != "The answer is 42"  # the tail is held: it could begin "<|end|>"
    assert shown + matcher.flush() == "The answer is 42"
    assert matcher.flush() == ""  # flushing twice gives nothing more


def test_after_a_stop_feed_and_flush_return_nothing() -> None:
    matcher = StopMatcher(["x"])
    assert matcher.feed("abxcd") == "ab"
    assert matcher.feed("more text") == ""
    assert matcher.flush() == ""
    assert matcher.stopped


@pytest.mark.parametrize("stop", ["\n\n", "Human:", "e"])
def test_stop_at_the_very_start_shows_nothing(stop: str) -> None:
    matcher = StopMatcher([stop])
    assert matcher.feed(stop + "tail") == ""
    assert matcher.stopped


def test_a_stop_string_can_be_made_to_count_only_after_the_text_begins() -> None:
    """A base model's summary stops at a blank line, which may also open it."""
    matcher = StopMatcher(["\n\n"], after_text=True)
    shown = "".join(matcher.feed(piece) for piece in ["\n", "\n ", "The library", " closes.\n",
                                                     "\nMade-up text"]) + matcher.flush()
    assert shown == "\n\n The library closes." and matcher.stopped
    plain = StopMatcher(["\n\n"])
    assert plain.feed("\n\nThe library") == "" and plain.stopped
