"""The local API server in the app: its panel, its status, and its host on the engine thread."""
