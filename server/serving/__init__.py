"""Orchestration between the routers and the engines."""
