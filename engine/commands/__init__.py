"""`hearth-cli` subcommands: one module each, registered by `engine.cli`."""
