"""The chat store against real SQLite files."""

from __future__ import annotations

import os
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.chat import search_text
from engine.chat.migrations import MIGRATIONS, Migration, apply_migrations
from engine.chat.store import ChatStore, default_title
from engine.documents.route import Route
from engine.errors import DiskFullError, StoreError
from tests.permissions import permissions_bind
from tests.release_database import RELEASE_VERSION, check_upgraded, write_release_database


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "hearth.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[ChatStore]:
    chat_store = ChatStore(db_path)
    yield chat_store
    chat_store.close()


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


# -- chats ----------------------------------------------------------------------------------------


def test_new_database_creates_folders_and_is_at_latest_version(db_path: Path) -> None:
    store = ChatStore(db_path)
    try:
        assert db_path.is_file()
        assert store.schema_version == len(MIGRATIONS)
        assert store.list_chats() == []
    finally:
        store.close()


def test_chats_are_listed_by_latest_activity(store: ChatStore) -> None:
    older = store.create_chat("Older")
    newer = store.create_chat("Newer")
    assert [chat.title for chat in store.list_chats()] == ["Newer", "Older"]

    store.add_message(older.id, "user", "back to this one")

    assert [chat.id for chat in store.list_chats()] == [older.id, newer.id]
    assert store.get_chat(older.id).updated_at > older.updated_at


def test_first_user_message_names_an_untitled_chat(store: ChatStore) -> None:
    chat = store.create_chat()
    assert chat.title == ""
    store.add_message(chat.id, "system", "You are a helpful assistant.")
    assert store.get_chat(chat.id).title == ""

    store.add_message(
        chat.id, "user", "  How do I   bake sourdough bread at home with rye?\nThanks"
    )
    assert store.get_chat(chat.id).title == "How do I bake sourdough bread…"

    store.add_message(chat.id, "user", "Something else entirely")
    assert store.get_chat(chat.id).title == "How do I bake sourdough bread…"


def test_an_explicit_title_is_not_replaced(store: ChatStore) -> None:
    chat = store.create_chat("  Recipes ")
    assert chat.title == "Recipes"
    store.add_message(chat.id, "user", "bread")
    assert store.get_chat(chat.id).title == "Recipes"


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("", "New chat"),
        (" \n\t ", "New chat"),
        ("Hello there", "Hello there"),
        ("\n\n  first   line  \nsecond line", "first line"),
        ("one two three four five six seven", "one two three four five six…"),
        ("Hello, world, this is, a test, of titles", "Hello, world, this is, a test…"),
        ("a" * 100, "a" * 47 + "…"),
        (
            "Summarise, please, this extraordinarily long paragraph about nothing",
            "Summarise, please, this extraordinarily long…",
        ),
    ],
)
def test_default_title(text: str, title: str) -> None:
    result = default_title(text)
    assert result == title
    assert len(result) <= 48


def test_rename_chat(store: ChatStore, db_path: Path) -> None:
    chat = store.create_chat("Draft")
    assert store.rename_chat(chat.id, "  Trip to Lisbon  ").title == "Trip to Lisbon"
    with pytest.raises(StoreError, match="empty"):
        store.rename_chat(chat.id, "   ")
    with pytest.raises(StoreError, match="does not exist"):
        store.rename_chat(9999, "Nope")
    store.close()

    reopened = ChatStore(db_path)
    try:
        assert reopened.get_chat(chat.id).title == "Trip to Lisbon"
    finally:
        reopened.close()


def test_chat_settings_model_and_context_start_persist(store: ChatStore, db_path: Path) -> None:
    chat = store.create_chat(settings={"temperature": 0.2}, model="qwen.gguf")
    assert chat.settings == {"temperature": 0.2}
    first = store.add_message(chat.id, "user", "hi")
    second = store.add_message(chat.id, "assistant", "hello")

    updated = store.update_chat_settings(chat.id, {"system_prompt": "Sé breve 🙂"})
    assert updated.settings == {"system_prompt": "Sé breve 🙂"}
    store.set_chat_model(chat.id, "/models/llama.gguf")
    store.set_context_start(chat.id, second.id)
    other = store.create_chat("Other")
    with pytest.raises(StoreError, match="not part of chat"):
        store.set_context_start(other.id, first.id)
    with pytest.raises(StoreError, match="JSON"):
        store.update_chat_settings(chat.id, {"bad": object()})
    store.close()

    reopened = ChatStore(db_path)
    try:
        chat = reopened.get_chat(chat.id)
        assert chat.settings == {"system_prompt": "Sé breve 🙂"}
        assert chat.model == "/models/llama.gguf"
        assert chat.context_start_id == second.id
        reopened.set_context_start(chat.id, None)
        assert reopened.get_chat(chat.id).context_start_id is None
    finally:
        reopened.close()


def test_delete_can_be_undone_until_purged(store: ChatStore, db_path: Path) -> None:
    keep = store.create_chat("Keep")
    gone = store.create_chat("Gone")
    store.add_message(gone.id, "user", "secret plans")
    store.add_message(gone.id, "assistant", "noted")

    store.delete_chat(gone.id)
    assert [chat.id for chat in store.list_chats()] == [keep.id]
    with pytest.raises(StoreError):
        store.get_chat(gone.id)

    restored = store.restore_chat(gone.id)
    assert restored.title == "Gone"
    assert {chat.id for chat in store.list_chats()} == {keep.id, gone.id}
    assert [m.content for m in store.messages(gone.id)] == ["secret plans", "noted"]

    store.delete_chat(gone.id)
    store.delete_chat(gone.id)  # a second delete is harmless
    assert store.purge_deleted() == 1
    assert store.purge_deleted() == 0
    with pytest.raises(StoreError):
        store.restore_chat(gone.id)
    assert store.messages(gone.id) == []
    assert [chat.id for chat in store.list_chats()] == [keep.id]
    assert store.search("secret") == []

    conn = raw(db_path)
    try:
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    finally:
        conn.close()


# -- messages -------------------------------------------------------------------------------------


def test_messages_persist_across_reopen(store: ChatStore, db_path: Path) -> None:
    chat = store.create_chat()
    store.add_message(chat.id, "system", "Be kind.")
    store.add_message(chat.id, "user", "Héllo 👋\n\n```py\nprint(1)\n```")
    reply = store.add_message(chat.id, "assistant", "", status="streaming")
    store.update_message(reply.id, "Hi!", status="done", n_tokens=3, tokens_per_s=41.5)
    store.close()

    reopened = ChatStore(db_path)
    try:
        messages = reopened.messages(chat.id)
        assert [(m.role, m.content, m.status) for m in messages] == [
            ("system", "Be kind.", "done"),
            ("user", "Héllo 👋\n\n```py\nprint(1)\n```", "done"),
            ("assistant", "Hi!", "done"),
        ]
        assert (messages[2].n_tokens, messages[2].tokens_per_s) == (3, 41.5)
        assert messages[0].n_tokens is None
        assert [m.id for m in messages] == sorted(m.id for m in messages)
    finally:
        reopened.close()


def test_a_reply_cut_off_by_a_crash_is_kept_as_stopped(store: ChatStore, db_path: Path) -> None:
    chat = store.create_chat()
    store.add_message(chat.id, "user", "Tell me a story")
    reply = store.add_message(chat.id, "assistant", "", status="streaming")
    for text in ["Once", "Once upon", "Once upon a time"]:
        store.update_message(reply.id, text)
    assert store.messages(chat.id)[-1].status == "streaming"

    # The app was killed: the next start opens the same file without the old store closing.
    after_crash = ChatStore(db_path)
    try:
        last = after_crash.messages(chat.id)[-1]
        assert (last.content, last.status) == ("Once upon a time", "stopped")
        assert after_crash.recover_interrupted() == 0
        assert after_crash.search("upon")[0].message_id == reply.id
    finally:
        after_crash.close()


def test_update_keeps_fields_that_are_not_given(store: ChatStore) -> None:
    chat = store.create_chat()
    reply = store.add_message(chat.id, "assistant", "", status="streaming")
    store.update_message(reply.id, "partial", n_tokens=5, tokens_per_s=10.0)
    store.update_message(reply.id, "partial and more", status="error")
    message = store.messages(chat.id)[0]
    assert (message.content, message.status, message.n_tokens) == ("partial and more", "error", 5)


def test_unknown_messages_and_chats_are_reported(store: ChatStore) -> None:
    with pytest.raises(StoreError, match="Message 42"):
        store.update_message(42, "x")
    with pytest.raises(StoreError, match="Message 42"):
        store.delete_message(42)
    with pytest.raises(StoreError, match="Chat 7"):
        store.add_message(7, "user", "hi")
    chat = store.create_chat()
    store.delete_chat(chat.id)
    with pytest.raises(StoreError):
        store.add_message(chat.id, "user", "into a deleted chat")


def test_delete_message(store: ChatStore) -> None:
    chat = store.create_chat()
    first = store.add_message(chat.id, "user", "keep me")
    second = store.add_message(chat.id, "assistant", "remove zebra")
    store.delete_message(second.id)
    assert [m.id for m in store.messages(chat.id)] == [first.id]
    assert store.search("zebra") == []


def test_invalid_role_is_refused_by_the_schema(store: ChatStore) -> None:
    chat = store.create_chat()
    with pytest.raises(StoreError):
        store.add_message(chat.id, "robot", "hi")  # type: ignore[arg-type]
    assert store.messages(chat.id) == []


# -- what a message follows, who wrote it, its reasoning and citations ---------------------------


def test_a_message_follows_the_last_of_its_chat_unless_told(store: ChatStore) -> None:
    chat, other = store.create_chat(), store.create_chat()
    question = store.add_message(chat.id, "user", "Name a colour.")
    elsewhere = store.add_message(other.id, "user", "Name a fruit.")
    reply = store.add_message(chat.id, "assistant", "Blue.", model="/models/qwen.gguf")
    assert (question.parent_id, elsewhere.parent_id, reply.parent_id) == (None, None, question.id)

    # A regenerated reply answers the same question: a version of the reply, shown instead.
    again = store.add_message(chat.id, "assistant", "", status="streaming",
                              parent_id=question.id, model="/models/llama.gguf")
    assert again.parent_id == question.id
    assert [m.content for m in store.messages(chat.id)] == ["Name a colour.", ""]
    assert store.add_message(chat.id, "user", "A new start", parent_id=None).parent_id is None
    for parent in (elsewhere.id, 9999):
        with pytest.raises(StoreError, match=f"Message {parent} is not part of chat {chat.id}"):
            store.add_message(chat.id, "user", "nowhere", parent_id=parent)
    assert [m.content for m in store.messages(chat.id)] == ["A new start"]


def test_a_message_records_the_model_that_wrote_it(store: ChatStore, db_path: Path) -> None:
    chat = store.create_chat()
    store.add_message(chat.id, "user", "hi")
    store.add_message(chat.id, "assistant", "hello", model="remote:http://127.0.0.1:8080/v1/m")
    store.close()

    reopened = ChatStore(db_path)
    try:
        assert [(m.role, m.model) for m in reopened.messages(chat.id)] == [
            ("user", None), ("assistant", "remote:http://127.0.0.1:8080/v1/m")]
    finally:
        reopened.close()


def test_deleting_a_message_hands_what_followed_it_to_its_parent(
    store: ChatStore, db_path: Path
) -> None:
    chat = store.create_chat()
    first, second, third = (store.add_message(chat.id, "user", text) for text in "abc")
    store.delete_message(second.id)
    assert [(m.id, m.parent_id) for m in store.messages(chat.id)] == [
        (first.id, None), (third.id, first.id)]
    store.delete_message(first.id)
    assert [(m.id, m.parent_id) for m in store.messages(chat.id)] == [(third.id, None)]
    store.add_message(chat.id, "assistant", "d")
    store.delete_chat(chat.id)
    assert store.purge_deleted() == 1  # every message goes, whatever order SQLite takes
    conn = raw(db_path)
    try:
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
    finally:
        conn.close()


def test_a_document_reply_records_which_way_it_was_answered(
    store: ChatStore, db_path: Path
) -> None:
    chat = store.create_chat()
    store.add_message(chat.id, "user", "Who rowed through the night?")
    reply = store.add_message(chat.id, "assistant", "Marisol [1].", route=Route.PASSAGES)
    again = store.add_message(chat.id, "assistant", "", status="streaming",
                              parent_id=reply.parent_id, route=Route.WHOLE)
    store.update_message(again.id, "Marisol Quenneville.", "done")
    store.add_message(chat.id, "user", "Thanks.")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        store._conn.execute("UPDATE messages SET route = 'guess' WHERE id = ?", (again.id,))
    store.close()

    reopened = ChatStore(db_path)
    try:
        assert [(m.content, m.route) for m in reopened.messages(chat.id)] == [
            ("Who rowed through the night?", None), ("Marisol Quenneville.", Route.WHOLE),
            ("Thanks.", None)]
    finally:
        reopened.close()


def test_the_schema_keeps_a_parent_earlier_and_in_the_same_chat(store: ChatStore) -> None:
    chat, other = store.create_chat(), store.create_chat()
    gone = store.add_message(chat.id, "user", "deleted")
    elsewhere = store.add_message(other.id, "user", "elsewhere")
    first = store.add_message(chat.id, "user", "first", parent_id=None)
    second = store.add_message(chat.id, "assistant", "second")
    store.delete_message(gone.id)
    refused = [
        (first.id, second.id, "CHECK"),  # a later message: a cycle could follow
        (second.id, second.id, "CHECK"),  # itself
        (second.id, gone.id, "FOREIGN KEY"),  # missing
        (second.id, elsewhere.id, "FOREIGN KEY"),  # in another chat
    ]
    for message_id, parent_id, constraint in refused:
        with pytest.raises(sqlite3.IntegrityError, match=constraint):
            store._conn.execute("UPDATE messages SET parent_id = ? WHERE id = ?",
                                (parent_id, message_id))
    with pytest.raises(sqlite3.IntegrityError, match="citations"):
        store._conn.execute("UPDATE messages SET citations = '[{' WHERE id = ?", (second.id,))
    assert [m.parent_id for m in store.messages(chat.id)] == [None, first.id]


def test_reasoning_and_citations_are_kept_apart_from_the_answer(
    store: ChatStore, db_path: Path
) -> None:
    chat = store.create_chat()
    question = store.add_message(chat.id, "user", "Which bird is black and white?")
    reply = store.add_message(chat.id, "assistant", "", status="streaming", model="qwen3.gguf")
    store.update_message(reply.id, "", reasoning="Penguins? Magpies are black and white too.")
    store.update_message(reply.id, "A magpie")  # the thinking is kept while the answer grows
    cited = [{"n": 1, "file": "birds.pdf", "page": 4, "line": 12, "text": "Magpies (Pica…)"}]
    store.update_message(reply.id, "A magpie [1].", status="done", citations=cited)
    with pytest.raises(StoreError, match="JSON"):
        store.update_message(reply.id, "x", citations=[{"n": float("nan")}])
    assert store.search("penguins") == [], "the thinking is not searched"
    assert [hit.message_id for hit in store.search("magpie")] == [reply.id]

    # A regenerated reply keeps the thinking it streamed unless its end says otherwise.
    again = store.add_message(chat.id, "assistant", "", status="streaming",
                              parent_id=question.id, model="qwen3.gguf")
    store.update_message(again.id, "", reasoning="Think again: a puffin.")
    store.update_message(again.id, "A puffin.", "done", 3, 20.0)
    store.close()

    reopened = ChatStore(db_path)
    try:
        answer = reopened.messages(chat.id)[-1]
        assert (answer.id, answer.content, answer.reasoning, answer.citations) == (
            again.id, "A puffin.", "Think again: a puffin.", ())
        assert answer.parent_id == question.id
        reopened.update_message(answer.id, "A puffin [1].", citations=cited)
        reopened.update_message(answer.id, "A puffin [1]!", reasoning="")
        answer = reopened.messages(chat.id)[-1]
        assert (answer.reasoning, answer.citations) == ("", tuple(cited))
        assert answer in {answer}, "a record with citations is still hashable"
    finally:
        reopened.close()


# -- search ---------------------------------------------------------------------------------------


def test_search_finds_words_across_chats(store: ChatStore) -> None:
    bread = store.create_chat("Baking")
    store.add_message(bread.id, "user", "How long should sourdough proof?")
    store.add_message(bread.id, "assistant", "Let the SOURDOUGH rest overnight.\nThen bake.")
    coffee = store.create_chat("Café")
    hit_msg = store.add_message(coffee.id, "user", "Which café serves sourdough toast?")

    hits = store.search("sourdough")
    # Newest chat first, then message order inside a chat.
    assert [(h.chat_id, h.chat_title) for h in hits] == [
        (coffee.id, "Café"),
        (bread.id, "Baking"),
        (bread.id, "Baking"),
    ]
    assert hits[0].message_id == hit_msg.id
    assert hits[0].snippet == "Which café serves «sourdough» toast?"
    assert hits[2].snippet == "Let the «SOURDOUGH» rest overnight. Then bake."

    assert [h.message_id for h in store.search("sourd")] == [h.message_id for h in hits]
    assert [h.chat_id for h in store.search("cafe toast")] == [coffee.id]
    assert store.search("sourdough nonexistentword") == []
    assert len(store.search("sourdough", limit=2)) == 2


def test_search_matches_titles_on_the_first_message(store: ChatStore) -> None:
    chat = store.create_chat("Portugal itinerary")
    first = store.add_message(chat.id, "user", "Plan ten days for me")
    store.add_message(chat.id, "assistant", "Day one: Lisbon")
    store.create_chat("Portugal, no messages yet")

    hits = store.search("itinerary")
    assert [(h.chat_id, h.message_id) for h in hits] == [(chat.id, first.id)]
    assert hits[0].snippet == "Portugal «itinerary»"

    # A message that matches on its own keeps its own snippet, and appears only once.
    assert [h.snippet for h in store.search("portugal")] == ["«Portugal» itinerary"]
    store.rename_chat(chat.id, "Lisbon trip")
    assert [h.snippet for h in store.search("lisbon")] == ["«Lisbon» trip", "Day one: «Lisbon»"]


def test_search_sees_a_reply_once_it_finishes_and_later_edits(store: ChatStore) -> None:
    chat = store.create_chat()
    reply = store.add_message(chat.id, "assistant", "Thinking", status="streaming")
    store.update_message(reply.id, "Thinking about penguins")
    assert store.search("penguins") == []  # not indexed while streaming
    assert store.search("thinking") == []
    store.update_message(reply.id, "final answer about walruses", status="done")
    assert store.search("penguins") == []
    assert [h.message_id for h in store.search("walruses")] == [reply.id]

    store.update_message(reply.id, "edited to mention otters")
    assert store.search("walruses") == []
    assert [h.message_id for h in store.search("otters")] == [reply.id]
    store.update_message(reply.id, "regenerating", status="streaming")
    assert store.search("otters") == []
    assert store.search("regenerating") == []
    store.update_message(reply.id, "stopped early", status="stopped")
    assert [h.snippet for h in store.search("early")] == ["stopped «early»"]


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '""',
        'a"b',
        "AND OR",
        "NOT",
        "*",
        "NEAR(",
        "NEAR(a b",
        "(",
        ")",
        "-",
        "^start",
        "col:term",
        "content:hello",
        "{content}: x",
        "a + b",
        "\x00",
        "nul\x00byte",
        "\ud800 lone surrogate",
        "日本語 中文",
        "emoji 🙂🎉",
        "🙂",
        "\u200b",
        "' OR 1=1 --",
        "x" * 5000,
        " ".join(["AND"] * 300),
    ],
)
def test_search_never_fails_on_what_a_user_types(store: ChatStore, query: str) -> None:
    chat = store.create_chat()
    store.add_message(chat.id, "user", 'He said "hello" (NEAR the door) — 日本語 🙂 AND more')
    hits = store.search(query)
    assert isinstance(hits, list)


def test_search_survives_random_input(store: ChatStore) -> None:
    chat = store.create_chat()
    store.add_message(chat.id, "user", "some words to find")
    alphabet = "\"*()^:-+{}[]<>.,;'\\/ abcXYZ\tNEARORANDNOT日🙂\u0301\x00"
    rng = random.Random(1234)
    for _ in range(300):
        query = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 20)))
        store.search(query)


def test_search_finds_text_with_operators_in_it(store: ChatStore) -> None:
    chat = store.create_chat()
    message = store.add_message(chat.id, "user", "Is NEAR an operator or a word?")
    assert [h.message_id for h in store.search("NEAR")] == [message.id]
    assert [h.message_id for h in store.search("an OR")] == [message.id]


def test_blank_query_finds_nothing(store: ChatStore) -> None:
    chat = store.create_chat()
    store.add_message(chat.id, "user", "anything")
    assert store.search("") == []
    assert store.search("  \n\t") == []
    assert store.search("anything", limit=0) == []


def test_deleted_chats_are_not_searched(store: ChatStore) -> None:
    chat = store.create_chat("Hidden")
    store.add_message(chat.id, "user", "quokka facts")
    assert len(store.search("quokka")) == 1
    store.delete_chat(chat.id)
    assert store.search("quokka") == []
    assert store.search("hidden") == []
    store.restore_chat(chat.id)
    assert len(store.search("quokka")) == 1


def test_search_finds_chinese_japanese_and_korean_inside_sentences(store: ChatStore) -> None:
    chat = store.create_chat("北京旅行")
    beijing = store.add_message(chat.id, "user", "北京是中国的首都。")
    tokyo = store.add_message(chat.id, "assistant", "東京都の天気は晴れです。")
    mixed = store.add_message(chat.id, "user", "Python很好用，我每天用Python写代码")
    seoul = store.add_message(chat.id, "assistant", "서울은 한국의 수도입니다")

    def found(query: str) -> list[int]:
        return [hit.message_id for hit in store.search(query)]

    assert found("北京") == [beijing.id]
    assert found("首都") == [beijing.id]  # the end of a run of Han characters
    assert found("東京都") == [tokyo.id]
    assert found("東京都の天気") == [tokyo.id]
    assert found("天気は晴れ") == [tokyo.id]
    assert found("京") == [beijing.id, tokyo.id]  # one character, wherever it stands
    assert found("都") == [beijing.id, tokyo.id]
    assert found("の") == [tokyo.id]
    assert found("北京 首都") == [beijing.id]  # every term, anywhere in the message
    assert found("京北") == found("天气") == found("北京 天気") == []  # order and form count
    assert found("好用") == found("写代码") == found("Pyth") == found("python 代码") == [mixed.id]
    assert found("서울") == found("수도") == [seoul.id]
    assert found("旅行") == [beijing.id]  # the title, shown on the first message

    # Snippets and highlights show the text as it was written.
    snippets = {hit.message_id: hit.snippet for hit in store.search("北京")}
    assert snippets == {beijing.id: "«北京»是中国的首都。"}
    assert [hit.snippet for hit in store.search("東京都")] == ["«東京都»の天気は晴れです。"]
    assert [hit.snippet for hit in store.search("好用")] == ["Python很«好用»，我每天用Python写代码"]
    assert [hit.snippet for hit in store.search("旅行")] == ["北京«旅行»"]
    assert store.get_chat(chat.id).title == "北京旅行"
    assert store.messages(chat.id)[0].content == "北京是中国的首都。"


def test_chinese_search_follows_edits_streaming_and_deletes(store: ChatStore) -> None:
    chat = store.create_chat()
    reply = store.add_message(chat.id, "assistant", "上海", status="streaming")
    store.update_message(reply.id, "上海是一个大城市")
    assert store.search("上海") == []  # not searchable while it streams
    store.update_message(reply.id, "上海是一个大城市", status="done")
    assert [hit.message_id for hit in store.search("城市")] == [reply.id]
    store.update_message(reply.id, "广州也很大")
    assert store.search("上海") == [] and len(store.search("广州")) == 1
    store.rename_chat(chat.id, "南方城市")
    assert [hit.snippet for hit in store.search("南方")] == ["«南方»城市"]
    store.delete_message(reply.id)
    assert store.search("广州") == []
    for table in ("messages_fts", "chats_fts"):
        store._conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")


ENGLISH = [
    "How do I bake sourdough bread at home with rye?",
    "Café au lait is coffee with hot milk; a cafe serves it.",
    "NEAR the door, (quoted) \"text\" and operators AND OR NOT",
    "Mixed 北京 text with English words around it",
    "The quick brown fox jumps over the lazy dog " * 8,
]
ENGLISH_QUERIES = ["bread", "bak", "cafe", "café", "door quoted", "text", "words around",
                   "fox", "lazy dog", "the", "nothing here", "OR", "coffee milk", "mix"]


def _v4_search(conn: sqlite3.Connection, match: str) -> list[tuple[str, int, str]]:
    # The messages and titles that match, with the snippets and highlights the store shows.
    messages = conn.execute(
        "SELECT rowid, snippet(messages_fts, 0, '«', '»', '…', 16) FROM messages_fts "
        "WHERE messages_fts MATCH ? ORDER BY rowid", (match,)).fetchall()
    titles = conn.execute(
        "SELECT rowid, highlight(chats_fts, 0, '«', '»') FROM chats_fts "
        "WHERE chats_fts MATCH ? ORDER BY rowid", (match,)).fetchall()
    return ([("message", row[0], search_text.shown(row[1])) for row in messages]
            + [("title", row[0], search_text.shown(row[1])) for row in titles])


def test_a_schema_4_database_is_upgraded_to_search_chinese_and_english_is_unchanged(
    db_path: Path,
) -> None:
    db_path.parent.mkdir(parents=True)
    conn = raw(db_path)
    try:
        apply_migrations(conn, MIGRATIONS[:4])
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
        chats = [("Baking", ENGLISH[:3]), ("北京旅行", ["北京是中国的首都。", ENGLISH[3]]),
                 ("日本", ["東京都の天気は晴れです。", ENGLISH[4]])]
        for n, (title, contents) in enumerate(chats):
            chat_id = conn.execute(
                "INSERT INTO chats (title, created_at, updated_at) VALUES (?, ?, ?)",
                (title, n, n)).lastrowid
            parent = None
            for content in contents:
                parent = conn.execute(
                    "INSERT INTO messages (chat_id, parent_id, role, content, created_at) "
                    "VALUES (?, ?, 'user', ?, ?)", (chat_id, parent, content, n)).lastrowid
        streaming = conn.execute(
            "INSERT INTO messages (chat_id, parent_id, role, content, created_at, status) "
            "VALUES (3, ?, 'assistant', '北京的冬天很冷', 9, 'streaming')", (parent,)).lastrowid
        assert streaming is not None
        # What the schema 4 index finds in English (the old query: quoted terms, the last a
        # prefix), and that it cannot find 北京.
        old_queries = {
            query: " ".join('"' + term.replace('"', '""') + '"' for term in query.split()) + "*"
            for query in ENGLISH_QUERIES}
        before = {query: _v4_search(conn, match) for query, match in old_queries.items()}
        assert sum(map(len, before.values())) > 10
        # Only where spaces set it apart: not in 北京是中国的首都 nor in the title 北京旅行.
        assert [row[1] for row in _v4_search(conn, '"北京"')] == [5]
    finally:
        conn.close()

    store = ChatStore(db_path)
    try:
        assert store.schema_version == len(MIGRATIONS) == 10
        for query in ENGLISH_QUERIES:
            assert search_text.fts_query(query.split()) == old_queries[query]
            assert _v4_search(store._conn, old_queries[query]) == before[query], query
        # The reply a crash left streaming was kept as stopped on opening, so it is indexed.
        assert [hit.snippet for hit in store.search("北京")] == [
            "«北京»的冬天很冷", "«北京»是中国的首都。",
            "Mixed «北京» text with English words around it"]
        assert [hit.message_id for hit in store.search("東京都")] == [6]
        assert [hit.snippet for hit in store.search("旅行")] == ["北京«旅行»"]
        store.update_message(streaming, "北京的冬天很冷，夏天很热")
        assert [hit.message_id for hit in store.search("夏天")] == [streaming]
        for table in ("messages_fts", "chats_fts"):
            store._conn.execute(
                f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
    finally:
        store.close()


# -- migrations and opening -----------------------------------------------------------------------


def test_migrations_apply_once_in_order(tmp_path: Path) -> None:
    conn = raw(tmp_path / "m.sqlite3")
    try:
        assert apply_migrations(conn) == [m.name for m in MIGRATIONS]
        assert apply_migrations(conn) == []
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        conn.close()


def test_an_empty_version_0_database_is_migrated(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = raw(db_path)
    conn.execute("PRAGMA user_version = 0")
    conn.close()

    store = ChatStore(db_path)
    try:
        assert store.schema_version == len(MIGRATIONS)
        chat = store.create_chat()
        store.add_message(chat.id, "user", "works")
        assert len(store.search("works")) == 1
    finally:
        store.close()


def test_a_failed_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    def explode(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("power cut")

    conn = raw(tmp_path / "m.sqlite3")
    try:
        with pytest.raises(RuntimeError, match="power cut"):
            apply_migrations(conn, [MIGRATIONS[0], Migration("explodes", explode)])
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert "chats" in tables
        assert "half_done" not in tables
        assert not conn.in_transaction
    finally:
        conn.close()


def test_a_migration_that_breaks_a_reference_is_rolled_back(tmp_path: Path) -> None:
    def dangling(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO messages (chat_id, role, created_at) VALUES (42, 'user', 0)")

    conn = raw(tmp_path / "m.sqlite3")
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        with pytest.raises(StoreError, match="row 1 of messages pointing to a missing row of "
                                             "chats; nothing was changed"):
            apply_migrations(conn, [MIGRATIONS[0], Migration("dangling", dangling)])
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 0
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1, "left as it was"
    finally:
        conn.close()


def test_a_database_of_the_last_release_is_upgraded_whole(db_path: Path) -> None:
    release = write_release_database(db_path, filler=40)
    store = ChatStore(db_path)
    try:
        assert store.schema_version == len(MIGRATIONS) == RELEASE_VERSION + 7
        check_upgraded(store, release)
        schema = {name: sql for name, sql in store._conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type != 'table' OR name = 'messages'")}
        assert {"indexed_messages", "messages_fts_insert", "messages_fts_delete",
                "messages_fts_update", "indexed_chats", "chats_fts_insert", "chats_fts_delete",
                "chats_fts_update", "messages_reparent", "messages_by_chat",
                "messages_by_parent", "messages_streaming"} <= set(schema)
        assert "new_messages" not in " ".join(sql or "" for sql in schema.values())
        assert "parent_id" in schema["messages"] and "json_valid" in schema["messages"]
        assert store._conn.execute(
            "SELECT count(*) FROM messages WHERE route IS NOT NULL").fetchone()[0] == 0

        # New messages go on from where each chat ended, never with an id used before.
        chat = next(c for c in store.list_chats() if c.title == "Sourdough")
        last = store.messages(chat.id)[-1]
        added = store.add_message(chat.id, "user", "Thanks, baker!")
        assert added.id > release.highest_id and added.parent_id == last.id
        assert [h.message_id for h in store.search("baker")] == [added.id]
        store.purge_deleted()
        assert all(m.chat_id not in release.deleted_chats
                   for m in store.messages(next(iter(release.deleted_chats))))
    finally:
        store.close()

    reopened = ChatStore(db_path)  # nothing left to apply
    try:
        assert reopened.messages(chat.id)[-1] == added
    finally:
        reopened.close()


def test_a_database_from_a_newer_hearth_is_refused(db_path: Path) -> None:
    ChatStore(db_path).close()
    conn = raw(db_path)
    conn.execute("PRAGMA user_version = 999")
    conn.close()

    with pytest.raises(StoreError, match="newer Hearth") as caught:
        ChatStore(db_path)
    assert str(db_path) in str(caught.value)


def test_another_apps_database_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = raw(db_path)
    conn.execute("CREATE TABLE chats (name TEXT)")
    conn.close()

    with pytest.raises(StoreError, match="not a Hearth database"):
        ChatStore(db_path)


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    junk = random.Random(7).randbytes(4096)
    db_path.write_bytes(junk)

    with pytest.raises(StoreError) as caught:
        ChatStore(db_path)
    assert str(caught.value) == f"{db_path} is not a Hearth database (file is not a database)"
    assert db_path.read_bytes() == junk


@pytest.mark.skipif(os.name != "posix", reason="folder modes are POSIX")
def test_a_read_only_folder_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with permissions_bind(), pytest.raises(StoreError) as caught:
            ChatStore(folder / "hearth.sqlite3")
        assert str(folder / "hearth.sqlite3") in str(caught.value)
    finally:
        folder.chmod(0o700)


def test_a_full_disk_is_reported_and_nothing_half_saved(store: ChatStore) -> None:
    chat = store.create_chat()
    store.add_message(chat.id, "user", "small")
    before = store.get_chat(chat.id)
    # Capping the file's page count makes SQLite hit SQLITE_FULL exactly as on a full disk.
    page_count = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {page_count}")

    with pytest.raises(DiskFullError, match="disk is full"):
        store.add_message(chat.id, "assistant", "x" * 200_000)

    assert [m.content for m in store.messages(chat.id)] == ["small"]
    assert store.get_chat(chat.id).updated_at == before.updated_at


def test_a_closed_store_raises_store_error(db_path: Path) -> None:
    store = ChatStore(db_path)
    store.close()
    with pytest.raises(StoreError):
        store.list_chats()


def test_database_is_consistent_after_use(store: ChatStore, db_path: Path) -> None:
    for n in range(5):
        chat = store.create_chat()
        for i in range(4):
            message = store.add_message(chat.id, "user", f"message {i} of chat {n} 🙂 北京")
            store.update_message(message.id, f"edited {i} ünïcode 東京都の天気")
        store.delete_message(message.id)
        streaming = store.add_message(chat.id, "assistant", "half", status="streaming")
        store.update_message(streaming.id, "half a reply")
        if n == 0:
            store.delete_message(streaming.id)
        if n % 2:
            store.delete_chat(chat.id)
    store.purge_deleted()
    store.close()

    conn = raw(db_path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        search_text.register(conn)  # the index's view calls it: any connection reading it must
        for table in ("messages_fts", "chats_fts"):
            # Raises if the full-text index disagrees with the table it indexes.
            conn.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
        assert conn.execute("SELECT count(*) FROM messages").fetchone()[0] == 9 + 2
        assert conn.execute("SELECT count(*) FROM messages_fts").fetchone()[0] == 9
    finally:
        conn.close()
