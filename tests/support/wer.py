"""Word error rate for tests: the server's own implementation (server/commands/wer.py)."""

from server.commands.wer import normalize, wer, words

__all__ = ["normalize", "wer", "words"]
