"""Thin routers: parse, call the serving code, choose the response class."""
