"""`sosim --help` and `sosim validate` start fast because they import only what they use.

Each case runs the command in a fresh interpreter and lists the modules it loaded. A heavy module
that appears there (pydantic for --help, the payload renderer, Faker, rich, httpx, the load engine)
means someone added an eager import to the CLI's path, and the command got slower for every user.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from simulator.cli import COMMAND_MODULES

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
# --help also has no use for the scenario schema and its YAML reader, nor for the standard
# modules that only an error message, a file or a URL needs (about 15 ms of imports together).
# The probe's interpreter may hold them before sosim starts (a .pth file): then they are not checked.
NOT_FOR_HELP = (*NEVER_AT_STARTUP, "pydantic", "yaml", "simulator.core.scenario")
STDLIB_NOT_FOR_HELP = ("difflib", "pathlib", "urllib.parse", "ipaddress", "dataclasses")

PROBE = """
import json, sys
before = set(sys.modules)
import simulator
from simulator.cli import main
assert simulator.__file__.startswith(sys.argv[1]), simulator.__file__
try:
    main(sys.argv[2:])
except SystemExit:
    pass
print(json.dumps(sorted(set(sys.modules) - before)), file=sys.__stderr__)
"""


def _modules_loaded(root: Path, *args: str) -> set[str]:
    """The modules a fresh interpreter loads to run ``sosim ARGS`` from ``root``."""
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


#: The other commands' modules: a command imports its own module only (simulator.cli.LazyCommands).
NOT_VALIDATE = tuple(f"simulator.cli.{name}" for name in COMMAND_MODULES if name != "validate")

CASES = [
    pytest.param(("--help",), (*NOT_FOR_HELP, *STDLIB_NOT_FOR_HELP), id="help"),
    pytest.param(("run", "--help"), (*NOT_FOR_HELP, "simulator.cli.replay"), id="run-help"),
    # The scenario is checked by simulator.core.schema, not pydantic (about 150 ms of imports and
    # schema building); pydantic is installed here, for the FastAPI example, so this can fail.
    pytest.param(("validate", str(SCENARIO)), (*NEVER_AT_STARTUP, "pydantic", *NOT_VALIDATE), id="validate"),
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
    errors = tmp_path / "simulator" / "core" / "errors.py"
    errors.write_text(errors.read_text() + "\nimport difflib  # noqa\n")
    loaded = _modules_loaded(tmp_path, "--help")
    heavy = _heavy(loaded, NOT_FOR_HELP)
    assert "rich.console" in heavy
    assert "simulator.core.events" in heavy
    assert "difflib" in _heavy(loaded, STDLIB_NOT_FOR_HELP)


def test_startup_guard_catches_an_eager_command_import(tmp_path: Path) -> None:
    """The guard fails when the group imports every command's module up front again."""
    shutil.copytree(ROOT / "simulator", tmp_path / "simulator", ignore=shutil.ignore_patterns("__pycache__"))
    group = tmp_path / "simulator" / "cli" / "__init__.py"
    group.write_text(group.read_text() + "\nfrom simulator.cli import replay, run, tenant  # noqa\n")
    loaded = _modules_loaded(tmp_path, "validate", str(SCENARIO))
    eager = ["simulator.cli.replay", "simulator.cli.run", "simulator.cli.tenant"]
    assert _heavy(loaded, NOT_VALIDATE) == eager


class _Ok(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


# A replay into a plain http:// target drives the lean engine: the general client and the built-in
# receiver (about 55 ms of imports between them) have no use there.
NOT_FOR_A_HTTP_REPLAY = ("httpx", "simulator.delivery.httpx_engine", "simulator.servers", "faker", "pydantic")


def test_a_http_replay_loads_neither_httpx_nor_the_built_in_receiver(tmp_path: Path) -> None:
    fixtures = tmp_path / "fixtures.jsonl"
    generate = [sys.executable, "-m", "simulator", "generate", str(SCENARIO), "--sessions", "2"]
    subprocess.run([*generate, "-o", str(fixtures)], check=True, capture_output=True, timeout=60, cwd=ROOT)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        target = f"http://127.0.0.1:{server.server_address[1]}/hook"
        report = tmp_path / "report.json"
        args = ("replay", str(fixtures), "--target", target, "--max-rate", "-q", "--report", str(report))
        loaded = _modules_loaded(ROOT, *args)
    finally:
        server.shutdown()
        server.server_close()
    assert json.loads(report.read_text())["totals"]["delivered"] > 0  # it did send, through the lean engine
    assert "simulator.delivery.lean" in loaded
    assert _heavy(loaded, NOT_FOR_A_HTTP_REPLAY) == []
