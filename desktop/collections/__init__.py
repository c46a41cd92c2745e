"""The Collections tab: named collections of documents, indexed in the background, searched."""
