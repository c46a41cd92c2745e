"""What the full-text index sees of a text, so that search works in Chinese, Japanese and Korean.

FTS5's `unicode61` tokenizer makes a word of every run of letters, and these scripts put no
spaces between words: 北京是中国的首都 is one token, so a search for 北京 finds nothing in it.
The index is fed the text with each CJK character made a token of its own (a separator on both
sides), and a query is rewritten the same way, so 北京 becomes the phrase 北 京: the two
characters next to each other, which is what a search for a substring means. This matches what
indexing overlapping character bigrams matches for a query of two characters or more (a phrase
of bigrams is the same adjacency), also finds a single character anywhere, including the last
of a run, which a bigram index cannot without indexing every character too, and keeps the
original characters in place, in order, so FTS5's own snippets and highlights show the original
text once the separators are taken out (`shown`). Text with no CJK character is left as it is,
so Latin search, prefixes and all, is exactly what it was.

`search_text` is an SQL function the index's view and triggers call (`register`): every
connection that writes messages or reads snippets must register it. It must never change what
it returns for a text already indexed without a migration that rebuilds the index, because a
trigger deletes a message from the index by the tokens of its text as the function gives them.
"""

from __future__ import annotations

import re
import sqlite3

SQL_FUNCTION = "hearth_search_text"

# A control character: unicode61 treats it as a separator, and people do not type it.
SEPARATOR = "\x1f"

# Han (with its extensions and compatibility forms), kana (with the half-width forms and the
# prolonged sound mark) and Hangul: scripts written, or with words run together, without spaces.
CJK_CHARACTER = re.compile(
    "["
    "\u1100-\u11ff"  # Hangul Jamo
    "\u3005\u3007"  # 々 (repeats a kanji) and 〇
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003134f"  # CJK extensions B to G
    "]"
)


def search_text(text: str | None) -> str | None:
    """The text as the index sees it: each CJK character set apart as a token of its own."""
    if text is None or not CJK_CHARACTER.search(text):
        return text
    return CJK_CHARACTER.sub(lambda match: f"{SEPARATOR}{match.group()}{SEPARATOR}", text)


def shown(indexed: str) -> str:
    """A snippet or highlight of the indexed text as the original text reads."""
    return indexed.replace(SEPARATOR, "")


def register(conn: sqlite3.Connection) -> None:
    """Makes `search_text` callable from SQL on this connection (the schema's view and triggers
    call it). Deterministic, so SQLite may use it in views and triggers of a trusted schema."""
    conn.create_function(SQL_FUNCTION, 1, search_text, deterministic=True)


def fts_query(terms: list[str]) -> str | None:
    """An FTS5 query that finds every term, the last also as the start of a longer word.

    Every term becomes an FTS5 string, so operators and punctuation typed by the user are
    searched for rather than parsed; a term with CJK characters becomes a phrase of them. The
    last term is a prefix so results follow typing, except after a CJK character, which is
    a token of its own and so already whole."""
    if not terms:
        return None
    quoted = ['"' + (search_text(term) or "").replace('"', '""') + '"' for term in terms]
    prefix = "" if CJK_CHARACTER.fullmatch(terms[-1][-1]) else "*"
    return " ".join(quoted) + prefix
