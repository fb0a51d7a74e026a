"""`sosim validate` and `sosim generate` on good and broken scenarios: exit codes and messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from simulator.cli import main

SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"
EXAMPLES = sorted(SCENARIOS_DIR.glob("*.yaml"))
BROKEN = "name: broken\narrivals:\n  sessions: 3\nflow:\n  queue:\n    wiat: 3m\n"


def _invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env)


def _broken(tmp_path: Path, text: str = BROKEN, name: str = "broken.yaml") -> Path:
    file = tmp_path / name
    file.write_text(text, encoding="utf-8")
    return file


def _assert_clean_failure(result: Result) -> None:
    """Exit 2 through sys.exit, with no traceback anywhere."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr


def test_validate_accepts_every_example() -> None:
    """`sosim validate scenarios/*.yaml` exits 0 and says ok for each file."""
    result = _invoke("validate", *map(str, EXAMPLES), env={"SOSIM_SECRET": None})
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    for path in EXAMPLES:
        assert f"ok: {path} ({path.stem}:" in result.stdout


def test_validate_broken_file_prints_file_line_field(tmp_path: Path) -> None:
    """A broken file exits 2 with `file:line: field: problem` on stderr and nothing on stdout."""
    file = _broken(tmp_path)
    result = _invoke("validate", str(file))
    _assert_clean_failure(result)
    assert result.stderr.startswith(f"{file}:6: flow.queue.wiat: unknown key (allowed: wait, ")
    assert result.stdout == ""


def test_validate_reports_the_broken_file_among_good_ones(tmp_path: Path) -> None:
    """With several files, good ones print ok and the broken one is named; the exit code is 2."""
    file = _broken(tmp_path)
    good = SCENARIOS_DIR / "support-chat.yaml"
    result = _invoke("validate", str(good), str(file), str(good))
    _assert_clean_failure(result)
    assert result.stdout.count(f"ok: {good}") == 2
    assert f"{file}:6: flow.queue.wiat:" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: t\narrivals:\n  sessions: 3\n   process: poisson\n", ":4: YAML syntax error"),
        (
            "name: t\nwebhook:\n  secret: ${HOOK_SECRET_UNSET}\narrivals: {sessions: 1}\n",
            ":3: webhook.secret:",
        ),
        ("", ":1: the file is empty"),
        ("name: t\narrivals:\n  duration: 5 minutes\n", ":3: arrivals.duration: expected a duration"),
    ],
    ids=["yaml", "env", "empty", "duration"],
)
def test_validate_other_mistakes_exit_2_with_a_located_message(
    tmp_path: Path, text: str, expected: str
) -> None:
    """YAML, ${ENV}, empty-file and value mistakes all exit 2 with file:line on stderr."""
    file = _broken(tmp_path, text)
    result = _invoke("validate", str(file), env={"HOOK_SECRET_UNSET": None})
    _assert_clean_failure(result)
    assert result.stderr.startswith(f"{file}{expected}")


def test_validate_missing_file_exits_2(tmp_path: Path) -> None:
    """A path that does not exist is reported as `path: no such file`, exit 2."""
    missing = tmp_path / "nope.yaml"
    result = _invoke("validate", str(missing))
    _assert_clean_failure(result)
    assert result.stderr.strip() == f"{missing}: no such file"


def test_validate_recursive_alias_exits_2(tmp_path: Path) -> None:
    """Even a pathological YAML file gives exit 2 and a one-line message."""
    file = _broken(tmp_path, "name: t\narrivals: &a\n  sessions: 3\n  again: *a\n")
    result = _invoke("validate", str(file))
    _assert_clean_failure(result)
    assert result.stderr.startswith(f"{file}:")


def test_generate_broken_file_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    """`sosim generate` on a broken file exits 2 with the same located message and no output file."""
    file = _broken(tmp_path)
    out = tmp_path / "out.jsonl"
    result = _invoke("generate", str(file), "--out", str(out))
    _assert_clean_failure(result)
    assert f"{file}:6: flow.queue.wiat: unknown key (allowed: wait, " in result.stderr
    assert result.stderr.startswith("sosim: error: ")
    assert not out.exists()


def test_generate_names_the_broken_file_among_several(tmp_path: Path) -> None:
    """When one of several scenarios is broken, generate names that one and exits 2."""
    file = _broken(tmp_path, "name: t\narrivals:\n  sessions: many\n", name="second.yaml")
    out = tmp_path / "out.jsonl"
    result = _invoke("generate", str(SCENARIOS_DIR / "support-chat.yaml"), str(file), "--out", str(out))
    _assert_clean_failure(result)
    assert f"{file}:3: arrivals.sessions:" in result.stderr
    assert not out.exists()


def test_generate_writes_an_example(tmp_path: Path) -> None:
    """`sosim generate EXAMPLE --sessions 2 --out FILE` exits 0 and writes requests."""
    out = tmp_path / "chatbot.jsonl"
    result = _invoke(
        "generate", str(SCENARIOS_DIR / "chatbot-handoff.yaml"), "--sessions", "2", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    assert "wrote " in result.stderr
    assert out.read_text(encoding="utf-8").count("chatsession.created") >= 2


SEVERAL = (
    "name: several\n"
    "arrival:\n"
    "  sessions: 3\n"
    "flow:\n"
    "  queue:\n"
    "    wiat: 3m\n"
    "  conversation:\n"
    "    turns: many\n"
)


def test_validate_lists_every_error_in_a_file(tmp_path: Path) -> None:
    """Each error is its own `file:line: field: problem` line, in the file's order, not only the first."""
    file = _broken(tmp_path, SEVERAL, "several.yaml")
    result = _invoke("validate", str(file))
    _assert_clean_failure(result)
    lines = result.stderr.strip().splitlines()
    assert f"{file}:1: arrivals: required but missing" in lines
    assert any(line.startswith(f"{file}:2: arrival: unknown key (allowed: ") for line in lines)
    assert any(line.startswith(f"{file}:6: flow.queue.wiat: unknown key") for line in lines)
    assert any(line.startswith(f"{file}:8: flow.conversation.turns:") for line in lines), lines
    assert len(lines) == len(set(lines)) >= 4
    assert [int(line.split(":")[1]) for line in lines] == sorted(int(line.split(":")[1]) for line in lines)


def test_an_unknown_key_suggests_the_closest_one(tmp_path: Path) -> None:
    """`arrival:` says did you mean 'arrivals', `wiat:` did you mean 'wait'."""
    file = _broken(tmp_path, SEVERAL, "several.yaml")
    result = _invoke("validate", str(file))
    assert f"{file}:2: arrival: unknown key" in result.stderr
    assert "did you mean 'arrivals'?" in result.stderr
    assert "did you mean 'wait'?" in result.stderr


def test_an_unknown_fault_suggests_the_closest_one() -> None:
    """`--fault duplicat` is one line naming 'duplicate', before anything is sent."""
    result = _invoke("run", str(SCENARIOS_DIR / "support-chat.yaml"), "--fault", "duplicat")
    _assert_clean_failure(result)
    expected = "sosim: error: --fault 'duplicat': unknown fault, did you mean 'duplicate'? (allowed: "
    assert result.stderr.startswith(expected)


BAD_FAULTS = """name: bad-faults
arrivals: {sessions: 1}
faults:
  duplicat: 0.1
  bad-signature:
    rate: 0.1
    expect: ['999']
"""


def test_validate_lists_every_fault_error_of_a_scenario(tmp_path: Path) -> None:
    """A wrong fault name and a wrong expected answer are each `file:line: field: problem`."""
    file = _broken(tmp_path, BAD_FAULTS)
    result = _invoke("validate", str(file))
    _assert_clean_failure(result)
    assert result.stderr.splitlines() == [
        f"{file}:4: faults.duplicat: unknown fault, did you mean 'duplicate'? (allowed: "
        "duplicate, bad-signature, missing-signature, stale-replay, tampered-body, malformed-json, "
        "wrong-content-type, oversized-body, slow-body, reorder, header-case, burst)",
        f"{file}:7: faults.bad-signature.expect[0]: '999' is not a status or class (e.g. 401, 4xx)",
    ]
    assert result.stdout == ""


def test_run_refuses_a_bad_expected_answer_in_one_line(tmp_path: Path) -> None:
    """`sosim run` on a scenario with `expect: ['999']` names the file, line and field, exit 2."""
    file = _broken(tmp_path, BAD_FAULTS.replace("  duplicat: 0.1\n", ""))
    result = _invoke("run", str(file))
    _assert_clean_failure(result)
    assert result.stderr.splitlines() == [
        f"sosim: error: {file}:6: faults.bad-signature.expect[0]: '999' is not a status or class"
        " (e.g. 401, 4xx)"
    ]
    assert "--expect" not in result.output
