"""`sosim --help` and `sosim validate` start fast because they import only what they use.

Each case runs the command in a fresh interpreter and lists the modules it loaded. A heavy module
that appears there (pydantic for --help, the payload renderer, Faker, rich, httpx, the load engine)
means someone added an eager import to the CLI's path, and the command got slower for every user.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "support-chat.yaml"

# Loaded by no command that only parses arguments or checks a scenario.
NEVER_AT_STARTUP = (
    "faker",
    "rich",
    "httpx",
    "httptools",
    "uvloop",
    "hdrh",
    "orjson",
    "asyncio",
    "simulator.core.events",
    "simulator.core.event_types",
    "simulator.core.render",
    "simulator.core.generate",
    "simulator.core.session_builder",
    "simulator.core.identities",
    "simulator.delivery",
    "simulator.engine",
    "simulator.recording",
    "simulator.report",
    "simulator.servers",
    "simulator.mockapi",
    "simulator.tenant",
)
# --help also has no use for the scenario schema and its YAML reader.
NOT_FOR_HELP = (*NEVER_AT_STARTUP, "pydantic", "yaml", "simulator.core.scenario")

PROBE = """
import json, sys
import simulator
from simulator.cli import main
assert simulator.__file__.startswith(sys.argv[1]), simulator.__file__
try:
    main(sys.argv[2:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.__stderr__)
"""


def _modules_loaded(root: Path, *args: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``sosim ARGS`` from ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(root), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=60,
        check=True,
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def _heavy(loaded: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in loaded if any(m == f or m.startswith(f + ".") for f in forbidden))


CASES = [
    pytest.param(("--help",), NOT_FOR_HELP, id="help"),
    pytest.param(("run", "--help"), NOT_FOR_HELP, id="run-help"),
    pytest.param(("validate", str(SCENARIO)), NEVER_AT_STARTUP, id="validate"),
]


@pytest.mark.parametrize(("args", "forbidden"), CASES)
def test_startup_imports_no_heavy_module(args: tuple[str, ...], forbidden: tuple[str, ...]) -> None:
    """Help and validate load neither the payload renderer nor Faker, rich, httpx or the engine."""
    assert _heavy(_modules_loaded(ROOT, *args), forbidden) == []


def test_startup_guard_catches_an_eager_import(tmp_path: Path) -> None:
    """The guard fails when a CLI module gains a top-level import of a heavy module."""
    shutil.copytree(ROOT / "simulator", tmp_path / "simulator", ignore=shutil.ignore_patterns("__pycache__"))
    options = tmp_path / "simulator" / "cli" / "options.py"
    options.write_text(options.read_text() + "\nimport rich.console  # noqa\nimport simulator.core.events\n")
    heavy = _heavy(_modules_loaded(tmp_path, "--help"), NOT_FOR_HELP)
    assert "rich.console" in heavy
    assert "simulator.core.events" in heavy
