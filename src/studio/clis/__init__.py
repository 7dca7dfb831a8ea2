"""Headless subcommands per workspace; each module has ``register(subparsers)``."""
