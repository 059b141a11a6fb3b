"""Building blocks of scripts/bench.py (the benchmark of the server against the raw engines)."""
