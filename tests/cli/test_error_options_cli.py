"""A library error names a config field; the CLI shows it as the option that sets that field."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.cli.options import describe_error, flag_of
from simulator.core.errors import UsageError
from simulator.engine.preflight import PreflightError

PACKAGE = Path(__file__).resolve().parents[2] / "simulator"


def _fields_named_by_library_errors() -> set[str]:
    """Every ``option="..."`` literal passed to an error outside cli/."""
    fields: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).parts[0] == "cli":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    value = keyword.value
                    if keyword.arg == "option" and isinstance(value, ast.Constant) and value.value:
                        fields.add(str(value.value))
    return fields


def _every_option() -> set[str]:
    """Every option of every sosim command."""
    return {
        name
        for command in main.commands.values()
        for param in command.params
        for name in (*param.opts, *param.secondary_opts)
    }


def test_every_field_a_library_error_names_is_a_real_option() -> None:
    """Each config field that a library error names maps to an option some command has."""
    fields = _fields_named_by_library_errors()
    assert {"rate", "thresholds", "processes", "record", "target"} <= fields
    options = _every_option()
    for field in sorted(fields):
        for flag in flag_of(field).split("/"):
            assert flag in options, f"{field} -> {flag}"


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (
            UsageError("unknown metric 'x'", option="thresholds", value="'x > 1'"),
            "--fail-if 'x > 1': unknown metric 'x'",
        ),
        (UsageError("cannot pace a closed loop", option="rate"), "--rate: cannot pace a closed loop"),
        (UsageError("is a directory", option="out", value="out"), "--out out: is a directory"),
        (
            UsageError("arrivals has neither sessions nor duration"),
            "arrivals has neither sessions nor duration",
        ),
        (
            PreflightError("cannot resolve x: name not found", value="http://x/", skippable=True),
            "--target http://x/: cannot resolve x: name not found (pass --no-preflight to skip this check)",
        ),
    ],
)
def test_the_cli_shows_the_option_where_the_library_names_the_field(error: UsageError, shown: str) -> None:
    """``thresholds`` reads ``--fail-if``, ``timeout_s`` would read ``--timeout``; a skippable
    preflight failure gets the hint that only the CLI can give."""
    assert describe_error(error) == shown
    assert "--" not in str(error)  # the library's own words name no option


def test_two_timings_are_named_as_their_options() -> None:
    """``--max-rate --rate 10/s`` names the options given, not the config fields (``max_rate``)."""
    from click.testing import CliRunner

    result = CliRunner().invoke(
        main,
        [
            "run",
            str(PACKAGE.parent / "scenarios" / "support-chat.yaml"),
            "--max-rate",
            "--rate",
            "10/s",
            "--secret",
            "s",
        ],
    )
    assert result.exit_code == 2
    assert "choose one of --speed, --rate, --max-rate (got --rate, --max-rate)" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "{scenario}", "--sessions", "0"], "Invalid value for '--sessions': 0 is not in the range"),
        (["generate", "{scenario}"], "Missing option '--out' / '-o'; see sosim generate --help"),
        (["run", "--nope"], "No such option '--nope'"),
        (["nosuch"], "No such command 'nosuch'; see sosim --help"),
        (["replay"], "Missing argument 'SOURCE'; see sosim replay --help"),
        (["--nope"], "No such option '--nope'; see sosim --help"),
        (["-x", "run"], "No such option '-x'; see sosim --help"),
    ],
)
def test_click_s_own_usage_errors_are_one_sosim_line(args: list[str], message: str) -> None:
    """A range, a missing option or argument, an unknown option or command: ``sosim: error: ...``
    on one line with the command's --help to read, exit 2, as every other usage error."""
    from click.testing import CliRunner

    scenario = str(PACKAGE.parent / "scenarios" / "support-chat.yaml")
    result = CliRunner().invoke(main, [arg.format(scenario=scenario) for arg in args], prog_name="sosim")
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sosim: error: "), result.output
    assert message in lines[0]


@pytest.mark.parametrize("extra", [[], ["--no-preflight"], ["--processes", "2"]])
def test_a_target_that_is_no_url_fails_before_the_run_announces_itself(extra: list[str]) -> None:
    """``--target localhost:8000/webhook`` (no scheme): the error alone, not after a ``sosim run: ...
    -> localhost:8000/webhook`` line that reads as if the run had started."""
    from click.testing import CliRunner

    scenario = str(PACKAGE.parent / "scenarios" / "support-chat.yaml")
    args = ["run", scenario, "--sessions", "1", "--secret", "s", "--target", "localhost:8000/webhook", *extra]
    result = CliRunner().invoke(main, args, prog_name="sosim")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "sosim: error: unsupported target 'localhost:8000/webhook': use http://host[:port]/path, "
        "https://host[:port]/path or asgi://package.module:app/path"
    ]


def test_a_target_that_urlsplit_refuses_is_a_usage_error_not_a_traceback() -> None:
    """An unclosed IPv6 bracket made urllib raise ValueError: now one line, the password not shown."""
    from click.testing import CliRunner

    scenario = str(PACKAGE.parent / "scenarios" / "support-chat.yaml")
    args = ["run", scenario, "--sessions", "1", "--secret", "s", "--target", "http://u:pw@[::1"]
    result = CliRunner().invoke(main, args, prog_name="sosim")
    assert result.exit_code == 2, result.output
    assert result.output.startswith("sosim: error: the target is not a valid URL (Invalid IPv6 URL)")
    assert "pw" not in result.output


@pytest.mark.parametrize("command", ["run", "replay"])
@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("asgi://sosim_no_such_module:app", "importing 'sosim_no_such_module' failed (ModuleNotFoundError"),
        ("asgi://json:no_app_here", "json has no 'no_app_here'"),
    ],
)
def test_an_asgi_app_that_does_not_load_fails_before_the_run_announces_itself(
    command: str, target: str, message: str, tmp_path: Path
) -> None:
    """The app is imported with the target's other checks, so its error is the only line: it used
    to come after ``sosim run: ... -> asgi://...``, a banner that reads as if the run had started."""
    from click.testing import CliRunner

    scenario = str(PACKAGE.parent / "scenarios" / "support-chat.yaml")
    source = scenario
    if command == "replay":
        source = str(tmp_path / "fixtures.jsonl")
        made = CliRunner().invoke(
            main, ["generate", scenario, "--sessions", "1", "--secret", "s", "-o", source]
        )
        assert made.exit_code == 0, made.output
    args = [
        command,
        source,
        "--target",
        target,
        *(["--sessions", "1", "--secret", "s"] if command == "run" else []),
    ]
    result = CliRunner().invoke(main, args, prog_name="sosim")
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.strip().splitlines() if not line.startswith("sosim: warning:")]
    assert len(lines) == 1 and lines[0].startswith("sosim: error: cannot load ASGI app from "), result.output
    assert message in lines[0]


def test_a_report_in_a_place_that_takes_no_file_is_refused_before_the_run() -> None:
    """``--report /proc/x.json`` passed the checks (root may write there, says access()) and ended
    the run in a FileNotFoundError traceback; now it is one line, before anything is sent."""
    from click.testing import CliRunner

    scenario = str(PACKAGE.parent / "scenarios" / "support-chat.yaml")
    args = ["run", scenario, "--sessions", "1", "--secret", "s", "-q", "--report", "/proc/sosim-x.json"]
    result = CliRunner().invoke(main, args, prog_name="sosim")
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines() == [
        "sosim: error: --report /proc/sosim-x.json: cannot create a file in /proc (No such file or directory)"
    ]


def _outputs_on_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *command: str) -> str:
    """Run ``sosim COMMAND --report R --junit J`` with every JSON report write failing as on a full
    disk (ENOSPC); check what both commands promise, and return the output: JUnit is still
    written, and the error is one line with exit code 2 (exit-codes.md), not a traceback."""
    import errno

    from click.testing import CliRunner

    from simulator.report import writers

    def disk_full(*_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(writers, "write_json", disk_full)
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    outputs = ["--report", str(report), "--junit", str(junit)]
    result = CliRunner().invoke(main, [*command, *outputs], prog_name="sosim")
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1] == (
        f"sosim: error: --report {report}: cannot be written (No space left on device)"
    )
    assert "Traceback" not in result.output
    assert junit.read_text().startswith("<?xml") and not report.exists()
    return result.output


def test_a_report_that_fails_after_the_run_is_one_line_and_the_others_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk that fills up during the run: the JSON report fails, JUnit is still written, the
    summary shows, and the error is one line with exit code 2 (exit-codes.md), not a traceback."""
    scenario = str(PACKAGE.parent / "scenarios" / "support-chat.yaml")
    output = _outputs_on_a_full_disk(
        tmp_path, monkeypatch, "run", scenario, "--sessions", "1", "--secret", "s"
    )
    assert "receiver: all requests verified" in output


def test_reports_go_through_a_symlink_and_into_dev_null_without_replacing_either(tmp_path: Path) -> None:
    """The reports were renamed over their path: a symlink became a plain file, and as root
    ``--report /dev/null`` would have replaced the device. /dev/null may also take every output."""
    import stat

    from click.testing import CliRunner

    real = tmp_path / "real.json"
    real.write_text("old")
    link = tmp_path / "report.json"
    link.symlink_to(real)
    scenario = str(PACKAGE.parent / "scenarios" / "support-chat.yaml")
    outputs = ["--report", str(link), "--junit", "/dev/null", "--html", "/dev/null"]
    result = CliRunner().invoke(main, ["run", scenario, "--sessions", "1", "--secret", "s", "-q", *outputs])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and real.read_text().startswith("{")
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_a_tenant_report_that_fails_after_the_play_is_one_line_after_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tenant writes its reports as a run does: the summary, then the one that failed as one
    line with exit code 2."""
    scenario = str(PACKAGE.parent / "scenarios" / "support-chat.yaml")
    play = ("--port", "0", "--wait-for-webhooks", "0", "--sessions", "1", "--speed", "1000")
    output = _outputs_on_a_full_disk(tmp_path, monkeypatch, "tenant", scenario, *play)
    assert "Run finished after " in output  # the summary came first: what the play did
