"""Every command the docs show runs, read from the doc file itself (conventions: ``doc_blocks.py``).

Each doc file is one test: its blocks run in order in a fresh directory holding a copy of
``scenarios/`` and ``examples/``, as in a clone of the repository, so a file one command writes
is there for the next. ``export`` lines carry over to the page's later blocks, as in one
terminal. Fixed ports in a page (``--port 8000``, ``127.0.0.1:8765``) are moved to free ones,
the same port to the same free port throughout the page, so a busy port never fails the test.
Traffic goes to 127.0.0.1 only (``test_commands_send_only_to_this_machine``).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from doc_blocks import DOC_FILES, ROOT, SHELL_LANGUAGES, Block, all_blocks, read_blocks

pytestmark = pytest.mark.e2e

COMMAND_TIMEOUT_S = 120
SERVER_START_TIMEOUT_S = 30
_PORT = re.compile(r"(?P<lead>(?:127\.0\.0\.1|localhost):|--port[ =])(?P<port>\d{4,5})")
_EXPORT = re.compile(r"^export [A-Za-z_][A-Za-z0-9_]*=.*$")
_URL = re.compile(r"\b(?:https?|asgi)://[^\s'\"]+")
_SNIPPET = re.compile(r'^--8<-- "(?P<path>[^"]+)"$', re.MULTILINE)

#: Blocks that do not run, with the reason shown beside them in the docs. Adding one is a decision:
#: it shows up here, in review.
EXPECTED_NOT_RUN = [
    ("README.md", "installs sosim into a fresh virtualenv: test_readme_set_up_commands runs its sosim"),
    ("docs/how-to/locust.md", "installs from a package registry"),
    ("docs/how-to/locust.md", "needs several machines: your master, your workers, your receiver"),
    ("docs/index.md", "installs sosim into a fresh virtualenv: test_readme_set_up_commands runs its sosim"),
    ("docs/tutorials/load-test.md", "needs your receiver"),
    ("docs/tutorials/replay-in-ci.md", "needs your SuperOffice tenant and your receiver"),
]


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def runnable(path: Path) -> list[Block]:
    """The shell blocks of a doc file that run, and the file blocks they need, in order."""
    blocks = read_blocks(path)
    return [b for b in blocks if b.not_run_reason is None and (b.lang in SHELL_LANGUAGES or b.title)]


@dataclass
class Page:
    """One doc file's commands, run in order in a working directory, as a reader would."""

    path: Path
    cwd: Path
    ports: dict[str, str] = field(default_factory=dict)
    exports: list[str] = field(default_factory=list)
    servers: list[tuple[Block, subprocess.Popen[str]]] = field(default_factory=list)

    def localise(self, text: str) -> str:
        """The text with each fixed port of the page replaced by its free stand-in."""

        def swap(match: re.Match[str]) -> str:
            port = self.ports.setdefault(match["port"], str(free_port()))
            return match["lead"] + port

        return _PORT.sub(swap, text)

    def env(self) -> dict[str, str]:
        """A clean environment: the test's Python first on PATH, no SOSIM_* left from the caller."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SOSIM_", "HOOK_"))}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["COLUMNS"] = "120"
        return env

    def script(self, block: Block) -> str:
        """The block's commands after the page's earlier exports, failing on the first error."""
        return "set -eo pipefail\n" + "".join(e + "\n" for e in self.exports) + self.localise(block.script())

    def write_file(self, block: Block) -> None:
        """Save a ``title="NAME"`` block as the reader would, snippets filled in."""
        assert block.title is not None
        text = _SNIPPET.sub(lambda m: (ROOT / m["path"]).read_text(encoding="utf-8").rstrip("\n"), block.text)
        target = self.cwd / block.title
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.localise(text), encoding="utf-8")

    def run(self, block: Block) -> None:
        """Run one shell block in the foreground and check its exit code."""
        done = subprocess.run(
            ["bash", "-c", self.script(block)],
            cwd=self.cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
        problem = failure(block, done.returncode, done.stdout, done.stderr)
        assert done.returncode == block.expected_exit, problem

    def start(self, block: Block) -> None:
        """Start a server block and wait until its port listens."""
        commands = block.commands()
        assert len(commands) == 1, f"{block.where}: a background block holds one command"
        script = self.script(block).replace(self.localise(commands[0]), "exec " + self.localise(commands[0]))
        process = subprocess.Popen(
            ["bash", "-c", script],
            cwd=self.cwd,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self.servers.append((block, process))
        port = re.search(r"--port[ =](\d+)", self.localise(commands[0]))
        assert port, f"{block.where}: a background block names its --port"
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not listening(int(port[1])):
            if process.poll() is not None:
                out, err = process.communicate()
                raise AssertionError(failure(block, process.returncode, out, err))
            assert time.monotonic() < deadline, f"{block.where}: nothing listened on port {port[1]}"
            time.sleep(0.02)

    def stop_servers(self) -> list[str]:
        """Ctrl-C every server (last started first) or wait for it; the problems found."""
        problems = []
        for block, process in reversed(self.servers):
            waits = block.mark == "background: exits by itself"
            if not waits and process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)
            try:
                out, err = process.communicate(timeout=COMMAND_TIMEOUT_S if waits else 20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                out, err = process.communicate()
                problems.append(f"{block.where}: did not stop\n{out[-2000:]}\n{err[-2000:]}")
                continue
            if process.returncode != 0:
                problems.append(failure(block, process.returncode, out, err))
            elif "Traceback (most recent call last)" in err:  # a server that logged a crash
                problems.append(f"{block.where}: printed a traceback\n{err[-3000:]}")
        return problems


def listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def failure(block: Block, code: int, out: str, err: str) -> str:
    """A message naming the block, its commands, the exit code and the end of its output."""
    return (
        f"{block.where}: exit code {code}, expected {block.expected_exit}\n"
        f"--- commands\n{block.script()}--- stdout\n{out[-3000:]}\n--- stderr\n{err[-3000:]}"
    )


def workspace(tmp_path: Path) -> Path:
    """A directory laid out like a clone of the repository, as the docs assume."""
    for folder in ("scenarios", "examples"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


PAGES = [p for p in DOC_FILES if any(b.lang in SHELL_LANGUAGES for b in runnable(p))]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_of_the_page_runs(path: Path, tmp_path: Path) -> None:
    """The page's commands, in order, exit as the page says (0 unless marked), servers included."""
    page = Page(path, workspace(tmp_path))
    try:
        for block in runnable(path):
            if block.title:
                page.write_file(block)
            elif block.mark and block.mark.startswith("background"):
                page.start(block)
            else:
                page.run(block)
            page.exports += [c for c in block.commands() if _EXPORT.match(c)]
    finally:
        problems = page.stop_servers()
    assert not problems, "\n\n".join(problems)


def test_readme_set_up_commands() -> None:
    """The README opens with the two set-up commands; the first one's sosim part runs against the
    built-in receiver with no other server, and the second one is what .ci/run does."""
    first = read_blocks(ROOT / "README.md")[0]
    install, test = first.commands()
    venv = "python3 -m venv .venv && . .venv/bin/activate"
    assert install == f"{venv} && pip install -e . && sosim run scenarios/support-chat.yaml"
    assert test == f"{venv} && pip install -e '.[test]' && python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q -e '.[test]'" in ci and "python -m pytest" in ci
    sosim = install.split(" && ")[-1].split()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "sosim"), *sosim[1:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert "built-in verifying receiver" in done.stderr
    assert "receiver: all requests verified" in done.stderr


def test_exceptions() -> None:
    """The blocks that do not run are few, and each says why beside it in the docs."""
    found = sorted(
        (str(b.path.relative_to(ROOT)), b.not_run_reason)
        for b in all_blocks()
        if b.not_run_reason is not None
    )
    assert found == sorted(EXPECTED_NOT_RUN)


def test_every_block_names_its_language() -> None:
    """No command hides in a block the test does not read: every fence names a language, and only
    bash and console blocks hold shell prompts."""
    unnamed = [b.where for b in all_blocks() if not b.lang]
    assert not unnamed, f"fenced blocks without a language: {unnamed}"
    prompts = [b.where for b in all_blocks() if b.lang not in SHELL_LANGUAGES and b.text.startswith("$ ")]
    assert not prompts, f"shell prompts outside bash/console blocks: {prompts}"


def test_commands_send_only_to_this_machine() -> None:
    """Every URL a command that runs uses is on 127.0.0.1 (or an in-process asgi:// app)."""
    urls = [
        (b.where, url)
        for path in DOC_FILES
        for b in runnable(path)
        for url in _URL.findall(b.script() if b.lang in SHELL_LANGUAGES else "")
    ]
    assert urls, "the docs' commands name no URL at all: the check would be empty"
    local = re.compile(r"(https?://(127\.0\.0\.1|localhost)[:/]|asgi://)")
    far = [(where, url) for where, url in urls if not local.match(url)]
    assert not far, f"commands that would send off this machine: {far}"


def test_the_docs_show_commands() -> None:
    """The suite runs a real number of documented commands (guards against a parser that finds none)."""
    count = sum(len(b.commands()) for path in PAGES for b in runnable(path) if b.lang in SHELL_LANGUAGES)
    assert count >= 40, count
