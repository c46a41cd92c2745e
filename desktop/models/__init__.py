"""The Models tab and the model picker, with their worker on the engine thread."""
