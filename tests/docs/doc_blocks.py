"""Read the fenced code blocks of README.md and docs/**/*.md, with the doc-test marks beside them.

The conventions, written for the people who edit the docs:

* Shell commands go in ```` ```bash ```` blocks (every line is a command, ``\\`` continues one)
  or ```` ```console ```` blocks (only lines starting with ``$`` are commands; the rest is output).
  Every fenced block names its language, so no command can hide from the test.
* A block with ``title="NAME"`` (``` ```python title="test_receiver.py" ```) is a file the reader
  saves: the test writes it into the page's working directory before the commands after it run.
  A line ``--8<-- "examples/x.py"`` in it is replaced by that file of the repository, as
  pymdownx.snippets does on the site.
* An HTML comment on the line before a block marks it:
  ``<!-- not-run: REASON -->`` (never run; keep these few, ``test_exceptions`` lists them),
  ``<!-- exit: N -->`` (the block ends with exit code N),
  ``<!-- background -->`` (a server: started, waited for on its ``--port``, stopped with Ctrl-C
  when the page's commands are done, and expected to exit 0), and
  ``<!-- background: exits by itself -->`` (a command that ends on its own later in the page,
  such as ``sosim tenant`` waiting for a registration; waited for at the end, exit 0 expected).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC_FILES = (ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")))
SHELL_LANGUAGES = frozenset({"bash", "console"})

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)(?P<info>.*)$")
_MARK = re.compile(r"^\s*<!--\s*(?P<mark>.+?)\s*-->\s*$")
_TITLE = re.compile(r'title="(?P<title>[^"]+)"')


@dataclass(frozen=True, slots=True)
class Block:
    """One fenced block of a doc file."""

    path: Path
    line: int  # 1-based line of the opening fence
    lang: str
    title: str | None
    mark: str | None  # the HTML comment on the line before, without <!-- -->
    text: str  # the block's lines, without the fences and without their common indent

    @property
    def where(self) -> str:
        """``docs/x.md:12``, for messages."""
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    @property
    def not_run_reason(self) -> str | None:
        """The reason of a ``<!-- not-run: REASON -->`` mark, else None."""
        if self.mark and self.mark.startswith("not-run:"):
            return self.mark.removeprefix("not-run:").strip()
        return None

    @property
    def expected_exit(self) -> int:
        """The exit code the block ends with: 0 unless ``<!-- exit: N -->`` says otherwise."""
        if self.mark and self.mark.startswith("exit:"):
            return int(self.mark.removeprefix("exit:"))
        return 0

    def commands(self) -> list[str]:
        """The shell commands of a bash or console block, continuation lines joined."""
        if self.lang == "console":
            lines = []
            continuing = False
            for line in self.text.splitlines():
                if line.startswith("$ ") or continuing:
                    lines.append(line.removeprefix("$ "))
                    continuing = line.endswith("\\")
            return _logical(lines)
        if self.lang == "bash":
            return _logical(self.text.splitlines())
        return []

    def script(self) -> str:
        """The block as a bash script: its commands in order."""
        return "\n".join(self.commands()) + "\n"


def _logical(lines: list[str]) -> list[str]:
    """Join ``\\``-continued lines and drop blank and comment-only lines."""
    commands: list[str] = []
    current = ""
    for line in lines:
        current += line + "\n"
        if line.endswith("\\"):
            continue
        if current.strip() and not current.lstrip().startswith("#"):
            commands.append(current.rstrip("\n"))
        current = ""
    if current.strip():
        commands.append(current.rstrip("\n"))
    return commands


def read_blocks(path: Path) -> list[Block]:
    """Every fenced block of one Markdown file, in order."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            index += 1
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        body: list[str] = []
        end = index + 1
        while end < len(lines) and not re.match(rf"^\s*{re.escape(fence)}\s*$", lines[end]):
            body.append(lines[end][indent:] if lines[end][:indent].strip() == "" else lines[end])
            end += 1
        before = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        mark = _MARK.match(before)
        title = _TITLE.search(opening["info"])
        blocks.append(
            Block(
                path=path,
                line=index + 1,
                lang=opening["lang"],
                title=title["title"] if title else None,
                mark=mark["mark"] if mark else None,
                text="\n".join(body) + "\n",
            )
        )
        index = end + 1
    return blocks


def all_blocks() -> list[Block]:
    """The blocks of README.md and every page under docs/."""
    return [block for path in DOC_FILES for block in read_blocks(path)]
