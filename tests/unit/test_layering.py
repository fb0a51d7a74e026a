"""The package's folders are its layers, and this test holds them apart (design.md, style.md).

Every import form counts: ``import a.b``, ``import a.b as c``, ``from a import b as c`` (where ``b``
may be a submodule), relative imports at any depth, and imports inside functions or under
``TYPE_CHECKING``. A layer may import only the sosim layers listed for it below. The pure layers
(``superoffice/``, ``core/`` and the few pure modules of ``mockapi/`` and ``tenant/``) also may not
reach a network, event-loop or terminal library, directly or through any sosim module they import.
"""

from __future__ import annotations

import ast
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "simulator"

#: Which sosim layers each layer may import (besides itself and the package root's ``__version__``).
ALLOWED: dict[str, frozenset[str]] = {
    "superoffice": frozenset(),
    "core": frozenset({"superoffice"}),
    "delivery": frozenset({"superoffice", "core"}),
    "recording": frozenset({"superoffice", "core"}),
    "report": frozenset({"superoffice", "core"}),
    # servers/ takes its event loop from delivery/eventloop.py, the one place uvloop is chosen.
    "servers": frozenset({"superoffice", "core", "delivery"}),
    # mockapi/ wraps a delivery transport so each send first announces its event to the state.
    "mockapi": frozenset({"superoffice", "core", "delivery", "servers"}),
    # engine/ holds the run, replay and receive entry points; the tenant plays through engine's runner.
    "engine": frozenset({"superoffice", "core", "delivery", "recording", "report", "servers", "mockapi"}),
    "tenant": frozenset(
        {"superoffice", "core", "delivery", "recording", "report", "servers", "mockapi", "engine"}
    ),
    "locust": frozenset({"superoffice", "core", "delivery", "report", "engine"}),
    "testing": frozenset({"superoffice", "core", "delivery", "report", "servers", "mockapi", "engine"}),
    "cli": frozenset(
        {"superoffice", "core", "delivery", "recording", "report", "servers", "mockapi", "tenant"}
        | {"engine", "locust", "testing"}
    ),
    # The package root re-exports the public API (core only) and ``python -m simulator`` runs the CLI.
    "": frozenset({"superoffice", "core", "cli"}),
}

#: Libraries that do I/O, run an event loop or drive a terminal: never in a pure module. (A lock from
#: threading and names from urllib.parse or http.HTTPStatus are pure, so those stay allowed.)
IO_LIBRARIES = frozenset(
    {"asyncio", "socket", "ssl", "selectors", "subprocess", "http.client", "http.server", "urllib.request"}
    | {"httpx", "httptools", "uvloop", "anyio", "h11", "starlette", "uvicorn", "respx"}
    | {"click", "rich", "locust", "gevent", "geventhttpclient"}
)

#: Modules outside superoffice/ and core/ that are pure all the same: the state behind the mock API
#: and the stand-in tenant's model, so both can run in process, under any event loop or none.
PURE_ELSEWHERE = (
    "mockapi.state",
    "mockapi.shapes",
    "mockapi.answers",
    "mockapi.problems",
    "mockapi.writes",
    "mockapi.bodies",
    "mockapi.timezone",
    "tenant.model",
    "tenant.registry",
    "tenant.events",
)


@dataclass(frozen=True)
class Import:
    """One import in a module: the module it names (dotted, absolute) and its line."""

    target: str
    line: int


def module_name(package: Path, path: Path) -> str:
    """``simulator/core/events.py`` -> ``core.events``; ``simulator/cli/__init__.py`` -> ``cli``."""
    parts = list(path.relative_to(package).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_package(package: Path, name: str) -> bool:
    return (package.joinpath(*name.split(".")) / "__init__.py").exists() if name else True


def imports_of(package: Path, path: Path) -> Iterator[Import]:
    """Every module ``path`` imports, as absolute dotted names (``simulator.`` kept for sosim's own)."""
    name = module_name(package, path)
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = here.split(".") if here else []
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(["simulator", *base_parts, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            yield Import(base, node.lineno)
            # ``from simulator.core import events``: ``events`` is a module, and the import is of it.
            if base == "simulator" or base.startswith("simulator."):
                inner = base.removeprefix("simulator").lstrip(".")
                for alias in node.names:
                    candidate = f"{inner}.{alias.name}" if inner else alias.name
                    if (package / f"{candidate.replace('.', '/')}.py").exists() or is_package(
                        package, candidate
                    ):
                        yield Import(f"simulator.{candidate}", node.lineno)


def layer_of(sosim_module: str) -> str:
    """``core.events`` -> ``core``; a top-level module such as ``__main__`` belongs to the root."""
    first = sosim_module.split(".")[0]
    return first if first in ALLOWED else ""


def sosim_modules(package: Path) -> dict[str, Path]:
    return {module_name(package, p): p for p in sorted(package.rglob("*.py"))}


def layering_violations(package: Path) -> list[str]:
    """Each import that crosses the layers the wrong way, as ``file:line: imports X``."""
    problems: list[str] = []
    for name, path in sosim_modules(package).items():
        layer = layer_of(name)
        for imported in imports_of(package, path):
            if not imported.target.startswith("simulator."):
                continue
            target_layer = layer_of(imported.target.removeprefix("simulator."))
            if target_layer in (layer, "") or target_layer in ALLOWED[layer]:
                continue
            where = path.relative_to(package.parent)
            problems.append(f"{where}:{imported.line}: {layer or 'simulator'}/ imports {imported.target}")
    return problems


def io_reached_from(package: Path, start: str) -> list[str]:
    """The I/O libraries a module reaches through its own imports and every sosim module under them."""
    modules = sosim_modules(package)
    seen: set[str] = set()
    found: list[str] = []
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen or name not in modules:
            continue
        seen.add(name)
        for imported in imports_of(package, modules[name]):
            if imported.target.startswith("simulator."):
                todo.append(imported.target.removeprefix("simulator."))
            elif any(imported.target == lib or imported.target.startswith(lib + ".") for lib in IO_LIBRARIES):
                found.append(f"{name} -> {imported.target} (line {imported.line})")
    return found


def pure_modules(package: Path) -> list[str]:
    names = sosim_modules(package)
    return [n for n in names if layer_of(n) in ("superoffice", "core")] + [
        n for n in PURE_ELSEWHERE if n in names
    ]


def test_every_import_stays_inside_its_layers() -> None:
    """No layer imports one it may not: core/ no I/O subpackage, delivery/ and report/ never cli/."""
    assert layering_violations(PACKAGE) == []


@pytest.mark.parametrize("module", pure_modules(PACKAGE))
def test_pure_modules_reach_no_io_library(module: str) -> None:
    """Scenarios, generation, rendering, signing and the mock state never reach httpx, asyncio or click."""
    assert io_reached_from(PACKAGE, module) == []


def test_nothing_imports_the_cli() -> None:
    """cli/ sits on top: only ``python -m simulator`` imports it."""
    importers = {
        name
        for name, path in sosim_modules(PACKAGE).items()
        if layer_of(name) != "cli"
        and any(i.target.startswith("simulator.cli") for i in imports_of(PACKAGE, path))
    }
    assert importers == {"__main__"}


def test_every_layer_is_a_folder_that_exists() -> None:
    """The table above names the real folders, so a renamed layer cannot slip out of the check."""
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert folders == set(ALLOWED) - {""}


# --- the test of the test: an injected import into a copy of the package must be caught -----------


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("layering") / "simulator"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__", "assets"))
    return target


def _inject(package: Path, module: str, line: str) -> tuple[Path, str]:
    parts = module.split(".")
    path = package.joinpath(*parts).with_suffix(".py")
    if not path.exists():
        path = package.joinpath(*parts) / "__init__.py"
    original = path.read_text(encoding="utf-8")
    # Inside a function, as the lazy imports are: the check must see those too.
    path.write_text(original + f"\n\ndef _injected() -> None:\n    {line}\n", encoding="utf-8")
    return path, original


CORE_MODULES = [n for n in sosim_modules(PACKAGE) if layer_of(n) == "core"]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_an_io_library_injected_into_any_core_module_is_caught(package_copy: Path, module: str) -> None:
    """``import httpx`` added to a core module fails the purity check for that module."""
    path, original = _inject(package_copy, module, "import httpx")
    try:
        assert any("httpx" in found for found in io_reached_from(package_copy, module))
    finally:
        path.write_text(original, encoding="utf-8")


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        ("core.events", "from simulator import delivery as d", "simulator.delivery"),
        ("core.events", "from simulator.delivery import clock as c", "simulator.delivery.clock"),
        ("core.generate", "import simulator.servers.receiver", "simulator.servers.receiver"),
        ("core.scenario", "from ..report import thresholds", "simulator.report.thresholds"),
        ("core.signing", "from ..recording.record import RecordingWriter", "simulator.recording.record"),
        ("delivery.deliverer", "from simulator.cli import options", "simulator.cli"),
        ("report.stats", "from ..cli.options import fail", "simulator.cli.options"),
        ("superoffice.facts", "from simulator.core import events", "simulator.core"),
    ],
)
def test_a_forbidden_sosim_import_in_any_form_is_caught(
    package_copy: Path, module: str, line: str, expected: str
) -> None:
    """Aliased, relative and ``from package import module`` forms are all followed."""
    path, original = _inject(package_copy, module, line)
    try:
        assert any(expected in problem for problem in layering_violations(package_copy))
    finally:
        path.write_text(original, encoding="utf-8")


def test_a_core_module_importing_an_io_module_of_sosim_is_caught_transitively(package_copy: Path) -> None:
    """core/ reaching asyncio through a sosim module is caught by the purity check, not only the table."""
    path, original = _inject(package_copy, "core.units", "from simulator.delivery import clock")
    try:
        assert any("asyncio" in found for found in io_reached_from(package_copy, "core.units"))
    finally:
        path.write_text(original, encoding="utf-8")


def test_the_untouched_copy_is_clean(package_copy: Path) -> None:
    """The copy itself passes, so the failures above come from the injected lines alone."""
    assert layering_violations(package_copy) == []
    assert all(io_reached_from(package_copy, m) == [] for m in pure_modules(package_copy))
