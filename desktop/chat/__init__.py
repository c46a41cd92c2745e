"""The Chat tab: the chat list, the conversation, the composer and attachments."""
