"""The house rules, checked over every module in src/notes_app by reading its source.

- Stage order: a module imports only from its own stage or the ones before it.
- PySide6 only in gui/; outside gui/, the window is imported only inside a function (so importing
  the core never loads Qt).
- SQL only in store/ (and the share server's own store, the share/snapshots package): no
  sqlite3, sqlite_utils or psycopg imports elsewhere, no SQL statements handed to ``execute``
  elsewhere.
- No import cycles between modules at import time.

A new module must be given a stage below, or the test fails and says so.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import notes_app

PACKAGE = Path(notes_app.__file__).parent

# Stage ranks, bottom to top. A module is ranked by its own dotted name or its package's.
STAGES: dict[str, int] = {
    # base: plain data, errors, settings, helpers with no stage of their own
    "notes_app": 0,
    "notes_app.domain": 0,
    "notes_app.errors": 0,
    "notes_app.config": 0,
    "notes_app.textkit": 0,
    "notes_app.clock": 0,
    "notes_app.logs": 0,
    "notes_app.events": 0,
    "notes_app.private": 0,
    "notes_app.audio": 1,
    "notes_app.transcribe": 2,
    "notes_app.enhance": 3,
    "notes_app.render": 3,  # enhanced notes as text, Markdown, HTML: read by every stage above
    "notes_app.store": 4,
    "notes_app.ask": 5,
    "notes_app.semantic": 5,
    "notes_app.sentence_model": 5,  # the offline sentence encoder behind semantic
    "notes_app.retrieval": 5,  # how ask finds the turns that answer: the share server's too
    "notes_app.stats": 5,
    "notes_app.share": 5,
    "notes_app.calendars": 5,  # the user's calendars, read to name meetings
    "notes_app.session": 6,
    "notes_app.recover": 6,
    "notes_app.deletion": 6,
    "notes_app.sample": 6,
    "notes_app.app": 6,
    "notes_app.usecases": 6,
    "notes_app.cli": 7,
    "notes_app.mcp_server": 7,  # the MCP server over App, beside the command line
    "notes_app.gui": 7,
    "notes_app.__main__": 7,
}

# Known exceptions being removed by work in progress; each names the import it allows.
# Empty now; add one only with the change that removes it, never to quiet a new violation.
ALLOWED_STAGE_EXCEPTIONS: set[tuple[str, str]] = set()

SQL_HOMES = ("notes_app.store", "notes_app.share.snapshots")
SQL_LIBRARIES = ("sqlite3", "sqlite_utils", "psycopg", "psycopg_pool")
SQL_STATEMENT = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|BEGIN|COMMIT|ROLLBACK|WITH|"
    r"REPLACE|VACUUM|ATTACH)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # what it imports, a dotted name
    line: int
    top_level: bool  # runs when the module is imported (not inside a function)
    type_only: bool  # under ``if TYPE_CHECKING:``


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, ast.Module]:
    found = {
        module_name(p): ast.parse(p.read_text(encoding="utf-8"), filename=str(p))
        for p in sorted(PACKAGE.rglob("*.py"))
        if "resources" not in p.relative_to(PACKAGE).parts
    }
    assert len(found) > 50, "the package was not found"
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(name: str, tree: ast.Module) -> Iterator[Import]:
    package = name if _is_package(name) else name.rpartition(".")[0]

    def visit(node: ast.AST, top: bool, type_only: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(name, alias.name, child.lineno, top, type_only)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                for alias in child.names:
                    # `from notes_app import render` imports the module notes_app.render.
                    full = f"{base}.{alias.name}"
                    target = full if _is_module(full) else base
                    yield Import(name, target, child.lineno, top, type_only)
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from visit(child, False, type_only)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                yield from visit(child, top, True)
            else:
                yield from visit(child, top, type_only)

    yield from visit(tree, True, False)


def _is_package(name: str) -> bool:
    return (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()


def _is_module(name: str) -> bool:
    path = PACKAGE.parent / name.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def stage(name: str) -> int | None:
    while name:
        if name in STAGES:
            return STAGES[name]
        name = name.rpartition(".")[0]
    return None


def _under(name: str, *homes: str) -> bool:
    return any(name == h or name.startswith(h + ".") for h in homes)


ALL = modules()
IMPORTS = [imp for name, tree in ALL.items() for imp in imports(name, tree)]


def _ranked_by(name: str) -> str:
    while name not in STAGES:
        name = name.rpartition(".")[0]
    return name


def test_every_module_has_a_stage():
    # notes_app itself is ranked, so every name has an ancestor in STAGES; a new top-level module
    # or package must be named there, not fall to the base stage unnoticed.
    missing = [n for n in ALL if n != "notes_app" and _ranked_by(n) == "notes_app"]
    assert not missing, f"give these modules a stage in tests/test_layering.py: {missing}"


def test_modules_import_only_from_their_stage_or_earlier():
    broken = []
    for imp in IMPORTS:
        if not imp.target.startswith("notes_app"):
            continue
        own, theirs = stage(imp.module), stage(imp.target)
        assert own is not None and theirs is not None, imp
        if theirs > own and (imp.module, imp.target) not in ALLOWED_STAGE_EXCEPTIONS:
            broken.append(f"{imp.module}:{imp.line} imports {imp.target} (stage {theirs} > {own})")
    assert not broken, "imports against the stage order:\n" + "\n".join(broken)


def test_allowed_exceptions_are_still_needed():
    used = {(i.module, i.target) for i in IMPORTS}
    stale = ALLOWED_STAGE_EXCEPTIONS - used
    assert not stale, f"these exceptions are fixed; remove them from the list: {stale}"


def test_pyside6_only_in_gui():
    broken = [
        f"{i.module}:{i.line} imports {i.target}"
        for i in IMPORTS
        if _under(i.target, "PySide6", "shiboken6") and not _under(i.module, "notes_app.gui")
    ]
    assert not broken, "Qt outside gui/:\n" + "\n".join(broken)


def test_the_window_is_imported_only_inside_functions_outside_gui():
    broken = [
        f"{i.module}:{i.line} imports {i.target} at import time"
        for i in IMPORTS
        if _under(i.target, "notes_app.gui")
        and not _under(i.module, "notes_app.gui")
        and i.top_level
        and not i.type_only
    ]
    assert not broken, "importing these would load Qt:\n" + "\n".join(broken)


def test_sql_libraries_only_in_the_store():
    broken = [
        f"{i.module}:{i.line} imports {i.target}"
        for i in IMPORTS
        if _under(i.target, *SQL_LIBRARIES) and not i.type_only and not _under(i.module, *SQL_HOMES)
    ]
    assert not broken, "SQL outside store/:\n" + "\n".join(broken)


def _sql_calls(tree: ast.Module) -> Iterator[int]:
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("execute", "executemany", "executescript", "query")
            and node.args
        ):
            first = node.args[0]
            text = first.value if isinstance(first, ast.Constant) else None
            if isinstance(first, ast.JoinedStr):
                text = "".join(
                    v.value for v in first.values if isinstance(v, ast.Constant) and v.value
                )
            if isinstance(text, str) and SQL_STATEMENT.match(text):
                yield node.lineno


def test_sql_statements_only_in_the_store():
    broken = [
        f"{name}:{line}"
        for name, tree in ALL.items()
        if not _under(name, *SQL_HOMES)
        for line in _sql_calls(tree)
    ]
    assert not broken, "SQL executed outside store/:\n" + "\n".join(broken)


def test_no_import_cycles():
    graph: dict[str, set[str]] = {name: set() for name in ALL}
    for i in IMPORTS:
        if i.top_level and not i.type_only and i.target in ALL and i.target != i.module:
            graph[i.module].add(i.target)
    # A package's __init__ importing its own modules is how packages work, not a cycle.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                walk(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_checks_would_catch_a_violation():
    """The rules are not vacuous: a made-up module breaking each one is caught."""
    bad = ast.parse(
        "import sqlite3\nfrom PySide6.QtCore import QObject\nfrom notes_app.store import repo\n"
        "def f(db):\n    db.execute('SELECT * FROM meetings')\n"
    )
    found = list(imports("notes_app.enhance.bad", bad))
    targets = {i.target for i in found}
    assert {"sqlite3", "PySide6.QtCore", "notes_app.store.repo"} <= targets
    assert stage("notes_app.store.repo") > stage("notes_app.enhance.bad")
    assert list(_sql_calls(bad)) == [5]
    lazy = ast.parse("def f():\n    from notes_app.gui.app import run\n")
    (imp,) = imports("notes_app.cli.gui", lazy)
    assert imp.target == "notes_app.gui.app" and not imp.top_level
