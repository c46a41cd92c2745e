"""Chats: the store, chat templates, fitting a conversation into the context, a turn, export."""
