"""Errors raised by the library never name a command-line ``--flag`` (style.md: only ``cli/``
knows option names).

A Python user who builds a ``RunConfig`` by hand has no ``--rate`` to fix: the library's errors
name the config field (``UsageError(..., option="rate")``) and the CLI shows that field as its
option. This test walks every module outside ``simulator/cli/`` and fails on any string constant,
or literal part of an f-string, inside a ``raise`` statement that reads like an option (``--x``).
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "simulator"

#: What an option looks like in a message.
FLAG = re.compile(r"--[a-z]")

#: Command-line faces other than ``cli/``: sosim's Locust plugin parses Locust's own command line
#: (``locust --scenario ... --host ...``), so its errors rightly name Locust's options.
OTHER_FACES = frozenset({"locust/options.py", "locust/plugin.py", "locust/runtime.py"})


def flagged_raises(source: str) -> list[tuple[int, str]]:
    """Every ``(line, text)`` of a string inside a ``raise`` of ``source`` that names a ``--flag``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Raise):
            continue
        for part in ast.walk(node):
            if isinstance(part, ast.Constant) and isinstance(part.value, str) and FLAG.search(part.value):
                found.append((part.lineno, part.value))
    return found


def library_modules(root: Path) -> list[Path]:
    """Every module of the package at ``root`` that is not a command-line face."""
    skipped = OTHER_FACES
    return sorted(
        path
        for path in root.rglob("*.py")
        if path.relative_to(root).parts[0] != "cli" and path.relative_to(root).as_posix() not in skipped
    )


def flags_in_library(root: Path) -> list[str]:
    """``module:line: text`` for each library raise that names a flag."""
    return [
        f"{path.relative_to(root).as_posix()}:{line}: {text!r}"
        for path in library_modules(root)
        for line, text in flagged_raises(path.read_text(encoding="utf-8"))
    ]


def test_no_library_error_names_a_command_line_option() -> None:
    """Outside cli/, no raised message names a --flag: the library speaks of its config fields."""
    assert flags_in_library(PACKAGE) == []


def test_the_walk_covers_the_library_and_skips_the_cli() -> None:
    """The check reads the engine, the tenant and the reports, and none of cli/'s modules."""
    names = {path.relative_to(PACKAGE).as_posix() for path in library_modules(PACKAGE)}
    assert {"engine/run.py", "engine/processes.py", "tenant/config.py", "report/thresholds.py"} <= names
    assert not any(name.startswith("cli/") for name in names)


@pytest.mark.parametrize(
    "statement",
    [
        'raise UsageError("--rate cannot pace a closed loop")',
        'raise UsageError(f"--fail-if {text!r}: unknown metric")',
        'raise UsageError(\n        "the first line is fine, "\n        f"not --no-preflight {text}"\n    )',
        'raise SimulatorError(f"cannot write ({text})") from ValueError("--record")',
    ],
)
def test_a_flag_injected_into_a_copy_of_a_library_module_is_caught(tmp_path: Path, statement: str) -> None:
    """An old-style raise put back into a copy of engine/replay.py fails the check, wherever the
    flag sits in the raise: a plain string, an f-string part, a later line, the ``from`` clause."""
    copy = tmp_path / "simulator"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    module = copy / "engine" / "replay.py"
    text = module.read_text(encoding="utf-8")
    module.write_text(text + f"\n\ndef _injected(text: str) -> None:\n    {statement}\n", encoding="utf-8")
    assert flags_in_library(copy) != []
    assert all(hit.startswith("engine/replay.py:") for hit in flags_in_library(copy))


def test_flags_outside_a_raise_are_not_errors() -> None:
    """Help text, docstrings and comments may name options; only raised messages may not."""
    source = '"""Use --rate."""\nHELP = "--speed X"\n# --quiet\ndef f():\n    raise ValueError("bad rate")\n'
    assert flagged_raises(source) == []
