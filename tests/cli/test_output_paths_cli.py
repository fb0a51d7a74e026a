"""Output paths are checked before anything is sent, and ``-`` means stdout for --report and
generate --out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = str(ROOT / "scenarios/support-chat.yaml")
RUN = ("run", SCENARIO, "--max-rate", "--sessions", "2")


def sosim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m simulator ARGS`` in ``cwd`` with the secret set."""
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60, env={**os.environ, "SOSIM_SECRET": "s3cret"},
    )  # fmt: skip


def test_missing_directories_are_created_for_every_output(tmp_path: Path) -> None:
    """--record, --report, --junit and --html create a missing parent directory."""
    done = sosim(
        *RUN, "--quiet", "--record", "a/run.jsonl", "--report", "b/c/report.json",
        "--junit", "d/junit.xml", "--html", "e/f/report.html", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    for name in ("a/run.jsonl", "b/c/report.json", "d/junit.xml", "e/f/report.html"):
        assert (tmp_path / name).is_file(), name


def test_the_summary_ends_with_where_each_file_went(tmp_path: Path) -> None:
    """After the tables, one line per file written, in a fixed order; none for stdout or --quiet."""
    files = ("--record", "a/run.jsonl", "--report", "b/report.json", "--junit", "j.xml", "--html", "r.html")
    done = sosim(*RUN, *files, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = ["recording: a/run.jsonl", "report: b/report.json", "junit: j.xml", "html: r.html"]
    assert done.stderr.splitlines()[-4:] == written
    to_stdout = sosim(*RUN, "--report", "-", cwd=tmp_path)
    assert to_stdout.returncode == 0 and "report: " not in to_stdout.stderr
    quiet = sosim(*RUN, *files, "--quiet", cwd=tmp_path)
    assert not any(line in quiet.stderr.splitlines() for line in written)


@pytest.mark.parametrize("option", ["--record", "--report", "--junit", "--html"])
def test_an_unwritable_output_fails_before_anything_is_sent(tmp_path: Path, option: str) -> None:
    """A path below a regular file is one line and exit 2 before the run, never a traceback after it."""
    (tmp_path / "afile").write_text("", encoding="utf-8")
    record = [] if option == "--record" else ["--record", "sent.jsonl"]
    done = sosim(*RUN, "--quiet", *record, option, "afile/out", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == f"sosim: error: {option} afile/out: afile is a file, not a directory"
    assert not (tmp_path / "sent.jsonl").exists()  # nothing was sent, nothing recorded


def test_report_dash_prints_only_the_json_summary_on_stdout(tmp_path: Path) -> None:
    """--report - writes the JSON report to stdout (for jq); the summary stays on stderr."""
    done = sosim(*RUN, "--report", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["run"]["command"] == "run"
    assert "Run finished" in done.stderr
    assert not (tmp_path / "-").exists()


def test_generate_out_dash_writes_the_fixtures_to_stdout(tmp_path: Path) -> None:
    """generate --out - writes the jsonl fixtures to stdout and the count to stderr."""
    done = sosim("generate", SCENARIO, "--sessions", "1", "--out", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0]["kind"] == "fixtures" and len(lines) > 1
    assert not (tmp_path / "-").exists()


def test_generate_out_below_a_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """generate --out checks its path the same way."""
    (tmp_path / "afile").write_text("", encoding="utf-8")
    done = sosim("generate", SCENARIO, "--sessions", "1", "--out", "afile/x.jsonl", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "sosim: error: --out afile/x.jsonl: afile is a file, not a directory"
