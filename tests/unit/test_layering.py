"""The pure core imports no network, terminal or event-loop libraries (style.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PURE = [
    "tenant_model",
    "tenant_registry",
    "tenant_events",
    "mockapi",
    "mockapi_shapes",
    "superoffice",
    "signing",
    "events",
    "scenario",
    "scenario_model",
    "generate",
    "schedule",
    "plan",
    "units",
    "phrases",
    "catalogue",
    "checker",
]
FORBIDDEN = {"httpx", "click", "rich", "asyncio", "socket", "httptools", "uvloop"}
PACKAGE = Path(__file__).resolve().parents[2] / "simulator"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0] if not node.level else "")
            if node.module.startswith("simulator."):
                names.add(node.module)
    return names


def core_closure(module: str, seen: set[str]) -> set[str]:
    """All third-party roots imported by a simulator module and the simulator modules it imports."""
    if module in seen:
        return set()
    seen.add(module)
    roots = imported_modules(PACKAGE / f"{module}.py")
    found = {r for r in roots if not r.startswith("simulator")}
    for name in roots:
        if name.startswith("simulator."):
            found |= core_closure(name.split(".", 1)[1], seen)
    return found


@pytest.mark.parametrize("module", PURE)
def test_pure_core_has_no_io_imports(module: str) -> None:
    """Generation, scenarios, rendering and signing never import httpx, click, rich or asyncio."""
    assert not core_closure(module, set()) & FORBIDDEN


def test_check_can_fail() -> None:
    """The import walker does see forbidden imports (so the test above can fail)."""
    assert "asyncio" in core_closure("clock", set())
