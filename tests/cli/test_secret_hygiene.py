"""A secret never leaks: not in output, reports, recordings or --help; unsigned traffic stays home."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

SECRET = "Sup3r-S3cret-Value-42"
SCENARIO = """
name: hygiene
webhook: {secret: "${HYGIENE_SECRET}"}
arrivals: {sessions: 3}
"""


def sosim(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_secret_appears_nowhere(tmp_path: Path) -> None:
    """After a run signed with a secret, no output file or stream contains the secret."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO)
    outputs = {name: tmp_path / name for name in ("rec.jsonl", "report.json", "junit.xml", "report.html")}
    done = sosim(
        "run",
        str(scenario),
        "--record",
        str(outputs["rec.jsonl"]),
        "--report",
        str(outputs["report.json"]),
        "--junit",
        str(outputs["junit.xml"]),
        "--html",
        str(outputs["report.html"]),
        env={"HYGIENE_SECRET": SECRET},
    )
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    for path in outputs.values():
        assert path.exists() and SECRET not in path.read_text(encoding="utf-8"), path.name


def test_secret_options_show_no_defaults() -> None:
    """--help for run mentions the secret options but shows no secret value."""
    done = sosim("run", "--help", env={"SOSIM_SECRET": SECRET})
    assert "--secret-env" in done.stdout and "--secret-file" in done.stdout
    assert SECRET not in done.stdout


def test_secret_from_file_and_env(tmp_path: Path) -> None:
    """--secret-file and --secret-env sign like --secret, and a missing variable is a clear error."""
    body = tmp_path / "body.json"
    body.write_text('{"a":1}')
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET + "\n")
    direct = sosim("sign", str(body), "--secret", SECRET).stdout
    assert sosim("sign", str(body), "--secret-file", str(secret_file)).stdout == direct
    assert (
        sosim("sign", str(body), "--secret-env", "HYGIENE_SECRET", env={"HYGIENE_SECRET": SECRET}).stdout
        == direct
    )
    missing = sosim("sign", str(body), "--secret-env", "NOT_SET_ANYWHERE_42")
    assert (
        missing.returncode == 2
        and "NOT_SET_ANYWHERE_42" in missing.stderr
        and "Traceback" not in missing.stderr
    )


def test_refuses_unsigned_traffic_off_this_machine(tmp_path: Path) -> None:
    """A declared but empty secret and a non-loopback target: refused with the fix, nothing sent."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO.replace('"${HYGIENE_SECRET}"', '"${HYGIENE_SECRET:-}"'))
    done = sosim("run", str(scenario), "--target", "http://receiver.invalid/hook")
    assert done.returncode == 2
    assert "refusing to send unsigned webhooks" in done.stderr and "--secret-env" in done.stderr
    assert "Traceback" not in done.stderr


def test_scenario_with_unknown_status_is_rejected_at_load(tmp_path: Path) -> None:
    """A scenario that would produce invalid payloads (an unknown status) fails before anything is sent."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO + "flow:\n  entry: {Waiting: 1.0}\n")
    done = sosim("run", str(scenario), env={"HYGIENE_SECRET": SECRET})
    assert done.returncode == 2 and "flow.entry" in done.stderr and "InQueue" in done.stderr


def test_an_environment_value_is_never_echoed_in_a_validation_error(tmp_path: Path) -> None:
    """A value taken from the environment that fails validation is named ${VAR}, never shown."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        'name: x\narrivals: {sessions: 2}\nwebhook: {events: ["${HYGIENE_SECRET}"]}\n'
        'locales: {en_GB: "${HYGIENE_SECRET}"}\n'
    )
    done = sosim("validate", str(scenario), env={"HYGIENE_SECRET": SECRET})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "s.yaml:3: webhook.events[0]: '${HYGIENE_SECRET}' is not allowed" in done.stderr
    assert SECRET not in done.stdout + done.stderr


def _secret_help(command: str) -> str:
    from simulator.cli import main

    option = next(p for p in main.commands[command].params if p.name == "secret")
    return str(getattr(option, "help", ""))


def test_secret_help_is_defined_once_and_says_what_each_command_does() -> None:
    """Every command with --secret shows the one help text (options.SECRET_HELP), with what the
    secret does in that command: sign and receive no longer claim to sign "over a scenario's own"
    or to feed a built-in receiver, as the copied text did."""
    from simulator.cli import main
    from simulator.cli.options import SECRET_HELP, SECRET_ROLES

    with_secret = {name for name, cmd in main.commands.items() if any(p.name == "secret" for p in cmd.params)}
    assert with_secret == set(SECRET_ROLES)
    for command in with_secret:
        assert _secret_help(command) == SECRET_HELP.format(role=SECRET_ROLES[command]), command
    assert "verified against" in _secret_help("receive")
    for command in ("sign", "receive"):
        assert "built-in receiver" not in _secret_help(command)
        assert "scenario" not in _secret_help(command)
    assert len({_secret_help(c) for c in with_secret}) == len(with_secret)


def test_the_secret_help_sentence_is_written_once() -> None:
    """The shared sentence lives in one place in the CLI's source, not copied per command."""
    from pathlib import Path

    import simulator.cli

    sources = Path(simulator.cli.__file__).parent.glob("*.py")
    copies = sum(path.read_text(encoding="utf-8").count("keep it out of shell history") for path in sources)
    assert copies == 1


def _command_lines_under(pid: int) -> list[str]:
    """The command lines (what `ps` shows) of ``pid`` and of every process it started, read from /proc."""
    lines = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            parent = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
            if int(entry.name) == pid or parent == pid:
                lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, StopIteration, ValueError):
            continue  # the process ended meanwhile
    return lines


def test_the_secret_is_in_no_command_line_of_a_run_or_its_workers(tmp_path: Path) -> None:
    """`ps` during `run --processes 2 --secret-env`: neither sosim nor its spawned workers carry the
    secret in their arguments (the workers get their config through a pipe, not argv)."""
    from simulator.servers.receiver import ReceiverConfig, ReceiverThread

    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO.replace("sessions: 3", "sessions: 400"))
    options = ("--processes", "2", "--secret-env", "HYGIENE_SECRET", "--max-rate", "--quiet")
    # 50 ms a request keeps the run going for seconds after its workers start.
    with ReceiverThread(ReceiverConfig(secret=SECRET, latency_s=0.05)) as target:
        run = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "simulator",
                "run",
                str(scenario),
                "--target",
                target.url + "webhook",
                *options,
            ],
            env={**os.environ, "HYGIENE_SECRET": SECRET},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        seen: list[str] = []
        try:
            while run.poll() is None and sum("multiprocessing" in line for line in seen) < 2:
                seen = _command_lines_under(run.pid)  # until both spawned workers are there
                time.sleep(0.01)
            out, err = run.communicate(timeout=120)
        finally:
            run.kill()
    assert sum("multiprocessing" in line for line in seen) >= 2, seen
    assert not [line for line in seen if SECRET in line], seen
    assert SECRET not in out + err
