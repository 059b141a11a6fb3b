"""The import graph's rules: engines/ never imports server/, FastAPI or openai; the serving core
(server/core) imports no front door (FastAPI, Starlette, server/http: wire models, formats), not even
through the server modules it uses; and no two modules import each other, directly or in a ring."""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINES = ROOT / "engines"
FORBIDDEN = {"server", "fastapi", "starlette", "openai", "uvicorn"}
CORE = "server.core"
NOT_IN_CORE = ("fastapi", "starlette", "uvicorn", "openai", "server.http", "server.app", "server.middleware",
               "server.access", "server.cancellation")  # fmt: skip


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for top in ("server", "engines") for p in (ROOT / top).rglob("*.py")}


def _imports(path: Path) -> Iterator[str]:
    """Every module a file imports (anywhere in it); ``from pkg import mod`` names the submodule."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                is_module = (ROOT / Path(*sub.split("."))).with_suffix(".py").is_file() or (
                    ROOT / Path(*sub.split(".")) / "__init__.py"
                ).is_file()
                yield sub if is_module else node.module


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: set(_imports(path)) for name, path in modules.items()}


def test_engines_import_no_server_code() -> None:
    offenders = []
    for path in ENGINES.rglob("*.py"):
        for name in _imports(path):
            if name.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_core_imports_no_front_door() -> None:
    graph = _graph()
    offenders = []
    for start in [m for m in graph if m == CORE or m.startswith(CORE + ".")]:
        seen, todo = {start}, [(start, [start])]
        while todo:
            module, chain = todo.pop()
            for name in graph.get(module, ()):
                if name == CORE or name.startswith(CORE + "."):  # the core itself is checked from each module
                    continue
                if any(name == bad or name.startswith(bad + ".") for bad in NOT_IN_CORE):
                    offenders.append(" -> ".join([*chain, name]))
                elif name in graph and name not in seen:
                    seen.add(name)
                    todo.append((name, [*chain, name]))
    assert offenders == []


def test_import_graph_has_no_cycle() -> None:
    full = _graph()
    graph = {m: {n for n in deps if n in full} for m, deps in full.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for name in sorted(graph[module]):
            if name == module:
                continue
            if state.get(name) == 1:
                cycles.append([*path[path.index(name) :], name])
            elif name not in state:
                visit(name, [*path, name])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_checks_see_real_imports() -> None:
    """The graph is not empty by mistake: known edges are found."""
    graph = _graph()
    assert any(name.startswith("server.core") for name in graph["server.http.transcription"])
    assert "engines.registry" in graph["server.core.transcribe"]
    assert importlib.util.find_spec("server.core") is not None
