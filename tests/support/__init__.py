"""Helpers shared by the test suites and scripts."""
