"""One module per ``rectifier`` subcommand; each has ``register(subparsers)`` (see cli.py)."""
