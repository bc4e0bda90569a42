"""The layers of docs/ARCHITECTURE.md, checked on the source and in fresh interpreters.

    domain  <-  storage, render  <-  services  <-  ui (Textual), cli

Every import in ``src/`` (at module level or inside a function) is read from the
source, so a heavy library imported lazily still counts; each layer is also
imported in a new interpreter and ``sys.modules`` is checked. A second check finds
circles among module-level imports (imports inside functions and under
``TYPE_CHECKING`` do not run at import time and do not count).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "aipm_workbench"

# The layer table of docs/ARCHITECTURE.md: which of the project's packages each may
# import (``settings`` is the one shared module: database path and "today").
MAY_IMPORT = {
    "domain": {"domain"},
    "settings": set(),
    "storage": {"storage", "domain", "settings"},
    "render": {"render", "domain", "settings"},
    "services": {"services", "storage", "render", "domain", "settings"},
    "ui": {"ui", "services", "storage", "render", "domain", "settings"},
    "cli": {"cli", "ui", "services", "storage", "render", "domain", "settings"},
    "__main__": {"cli"},
}
# The libraries only one package may import: duckdb only storage, jinja2 only render,
# Textual (and its rich) only the UI, click only the CLI, pydantic only the domain,
# tomlkit (rewriting a workspace's files in place) only the services.
ONLY_IN = {
    "duckdb": "storage",
    "jinja2": "render",
    "textual": "ui",
    "rich": "ui",
    "click": "cli",
    "pydantic": "domain",
    "tomlkit": "services",
}
# "pydantic only": the domain reads and writes its file formats, nothing else.
DOMAIN_LIBRARIES = {"pydantic", "rtoml", "tomli", "tomli_w"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. aipm_workbench.ui.wizard.base
    target: str  # what it imports, absolute, e.g. aipm_workbench.domain.vocab
    line: int
    at_import_time: bool  # module level and not under TYPE_CHECKING

    @property
    def where(self) -> str:
        return f"{self.module}:{self.line} imports {self.target}"


def module_name(path: Path, src: Path) -> str:
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(source: str, module: str, is_package: bool, modules: set[str]) -> list[Import]:
    """Every import statement in ``source``, resolved to absolute names.

    ``from a.b import c`` imports the module ``a.b.c`` when there is one, else ``a.b``.
    """
    package = module if is_package else module.rpartition(".")[0]
    out: list[Import] = []

    def visit(nodes: list[ast.stmt], at_import_time: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    out.append(Import(module, alias.name, node.lineno, at_import_time))
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - (node.level - 1)]
                    base = ".".join(parts + ([node.module] if node.module else []))
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    target = sub if sub in modules else base
                    out.append(Import(module, target, node.lineno, at_import_time))
            elif isinstance(node, ast.If) and _is_type_checking(node.test):
                visit(node.body, False)
                visit(node.orelse, at_import_time)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(node.body, False)
            else:
                for field in ("body", "orelse", "finalbody", "handlers"):
                    children = getattr(node, field, None)
                    if isinstance(children, list):
                        visit([c for c in children if isinstance(c, ast.stmt)], at_import_time)
                for handler in getattr(node, "handlers", []) or []:
                    visit(handler.body, at_import_time)
                if isinstance(node, ast.Match):
                    for case in node.cases:
                        visit(case.body, at_import_time)

    visit(ast.parse(source).body, True)
    return out


def source_modules(src: Path = SRC) -> dict[str, Path]:
    return {module_name(p, src): p for p in sorted((src / PACKAGE).rglob("*.py"))}


def all_imports(src: Path = SRC) -> list[Import]:
    modules = source_modules(src)
    out = []
    for name, path in modules.items():
        text = path.read_text(encoding="utf-8")
        out += imports_of(text, name, path.name == "__init__.py", set(modules))
    return out


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "(package)"


# ------------------------------------------------------------------ layers


def _library_allowed(library: str, src_layer: str) -> bool:
    if library in ONLY_IN:
        return ONLY_IN[library] == src_layer
    if src_layer == "domain":
        return library in sys.stdlib_module_names or library in DOMAIN_LIBRARIES
    return True


def layer_violations(imports: list[Import]) -> list[str]:
    out = []
    for imp in imports:
        src_layer = layer(imp.module)
        top = imp.target.split(".")[0]
        if top == PACKAGE:
            allowed = MAY_IMPORT.get(src_layer)
            if allowed is not None and layer(imp.target) not in allowed | {"(package)"}:
                out.append(imp.where)
        elif not _library_allowed(top, src_layer):
            out.append(imp.where)
    return out


def test_every_package_is_in_the_layer_table():
    assert {layer(m) for m in source_modules()} - {"(package)"} <= MAY_IMPORT.keys()


def test_every_import_in_src_follows_the_layer_table():
    """Lazy imports inside functions count too: "only storage imports duckdb"."""
    assert layer_violations(all_imports()) == []


def test_the_layer_check_catches_a_wrong_import():
    modules = {"aipm_workbench.domain.x", "aipm_workbench.storage.y"}
    bad = imports_of(
        "import duckdb\n"
        "def later():\n"
        "    from jinja2 import Template\n"
        "    from ..storage import y\n"
        "    import click\n",
        "aipm_workbench.domain.x",
        False,
        modules,
    )
    assert len(layer_violations(bad)) == 4
    ok = imports_of(
        "import duckdb\nfrom ..domain import x\n", "aipm_workbench.storage.y", False, modules
    )
    assert layer_violations(ok) == []


LOADED = (
    "import importlib, json, pkgutil, sys\n"
    "import {package}\n"
    "for info in pkgutil.walk_packages({package}.__path__, '{package}.'):\n"
    "    importlib.import_module(info.name)\n"
    "print(json.dumps(sorted(sys.modules)))\n"
)


def loaded_by_importing(package: str) -> set[str]:
    """Every module in ``sys.modules`` after importing all of ``package`` in a new interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", LOADED.format(package=package)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


@pytest.mark.parametrize("name", ["domain", "storage", "render", "services", "ui"])
def test_importing_a_layer_loads_nothing_above_it_or_beside_it(name):
    loaded = loaded_by_importing(f"{PACKAGE}.{name}")
    ours = {layer(m) for m in loaded if m.startswith(PACKAGE + ".")}
    assert ours <= MAY_IMPORT[name], ours - MAY_IMPORT[name]
    libraries = {m.split(".")[0] for m in loaded}
    foreign = {lib for lib, owner in ONLY_IN.items() if owner not in MAY_IMPORT[name]}
    if name == "ui":  # the UI uses the storage's and the records' objects, so duckdb and
        foreign -= {"duckdb", "jinja2"}  # jinja2 may load with them; never click
    assert libraries & foreign == set()


# ---------------------------------------------------------------- circles


def circles(imports: list[Import]) -> list[list[str]]:
    """Strongly connected groups of modules among import-time imports (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for imp in imports:
        graph.setdefault(imp.module, set())
        if imp.at_import_time and imp.target.startswith(PACKAGE + "."):
            graph[imp.module].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph.get(v, ()):
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return out


def test_no_module_level_import_circle_in_src():
    assert circles(all_imports()) == []


def test_the_circle_check_finds_a_circle_and_ignores_lazy_imports():
    modules = {f"{PACKAGE}.a", f"{PACKAGE}.b", f"{PACKAGE}.c"}

    def imports(module: str, text: str) -> list[Import]:
        return imports_of(text, f"{PACKAGE}.{module}", False, modules)

    lazy = (
        imports("a", "from . import b\n")
        + imports("b", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
        + imports("c", "def f():\n    from . import a\n")
    )
    assert circles(lazy) == []
    eager = imports("a", "from . import b\n") + imports(
        "b", "try:\n    from .a import x\nexcept ImportError:\n    pass\n"
    )
    assert circles(eager) == [[f"{PACKAGE}.a", f"{PACKAGE}.b"]]


# ---------------------------------------------------------- function length


def test_no_function_in_the_domain_is_longer_than_80_lines():
    long = []
    for name, path in source_modules().items():
        if layer(name) != "domain":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > 80:
                    long.append(f"{name}.{node.name}: {length} lines")
    assert long == []


# --------------------------------------------------------- one vocabulary


def test_tier_verdict_and_stage_names_are_written_only_in_the_vocabulary():
    """The domain spells these names once, in domain/vocab.py; everything else uses the
    enums (and formatting's labels)."""
    from aipm_workbench.domain.vocab import Stage, Tier, Verdict

    names = {t.name for t in Tier} | {v.value for v in Verdict} | {s.value for s in Stage}
    # rater_confidence (low, medium, high) is a confidence, not a tier
    confidence = {("aipm_workbench.domain.models", w) for w in ("low", "medium", "high")}
    found = []
    for name, path in source_modules().items():
        if layer(name) != "domain" or name == "aipm_workbench.domain.vocab":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and text.lower() in names and (name, text) not in confidence:
                found.append(f"{name}:{node.lineno} {text!r}")
    assert found == []
