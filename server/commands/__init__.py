"""Subcommands of the ``earshot`` command line, one module each."""
