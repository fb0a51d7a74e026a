"""What a new user ran into, through the CLI: each is one clear line and a code CI can use.

``sosim receive`` that cannot listen or record, ``--speed nan``, two outputs on one path, a
target on port 0, and a run with nothing to send (it used to pass with zero traffic).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.servers.receiver import ReceiverConfig, ReceiverThread

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = str(ROOT / "scenarios/support-chat.yaml")
RUN = ("run", SCENARIO, "--sessions", "2", "--quiet")
NOTHING_SENT = "nothing was sent: there was no event to send"


def sosim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``python -m simulator ARGS`` with the secret set."""
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60, env={**os.environ, "SOSIM_SECRET": "s3cret"},
    )  # fmt: skip


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The command's last stderr line, checked to be sosim's own error and no traceback."""
    assert "Traceback" not in done.stderr, done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith("sosim: error: "), done.stderr
    return last.removeprefix("sosim: error: ")


@pytest.mark.parametrize(
    ("command", "says"),
    [
        (("receive", "--quiet"), "cannot listen on 127.0.0.1:{port}"),
        (("api", SCENARIO), "cannot listen on 127.0.0.1:{port}"),  # said asyncio's bind error
        (("tenant", SCENARIO), "cannot serve the mock API on http://127.0.0.1:{port}"),
    ],
)
def test_a_server_on_a_port_in_use_is_a_usage_error_in_the_same_words(
    command: tuple[str, ...], says: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = sosim(*command, "--port", str(port))
    assert done.returncode == 2
    assert one_error_line(done) == says.format(port=port) + ": Address already in use"


def test_receive_with_a_record_path_it_cannot_create_fails_before_listening(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    done = sosim("receive", "--port", "0", "--quiet", "--record", str(blocker / "capture.jsonl"))
    assert done.returncode == 2
    assert one_error_line(done).startswith(f"--record {blocker / 'capture.jsonl'}: ")
    assert "listening" not in done.stderr


def test_a_speed_that_is_not_a_finite_number_is_refused() -> None:
    for speed in ("nan", "inf", "-1"):
        done = sosim(*RUN, "--speed", speed)  # no --max-rate: the two exclude each other
        assert done.returncode == 2, speed
        assert one_error_line(done) == "--speed must be above 0 and finite, e.g. --speed 60"


def test_two_outputs_on_one_path_are_refused_before_anything_is_sent(tmp_path: Path) -> None:
    done = sosim(*RUN, "--record", "run.jsonl", "--report", "./run.jsonl", cwd=tmp_path)
    assert done.returncode == 2
    assert (
        one_error_line(done) == "--report ./run.jsonl: is also --record's file; give each output its own path"
    )
    assert not (tmp_path / "run.jsonl").exists()
    apart = sosim(*RUN, "--record", "run.jsonl", "--report", "report.json", cwd=tmp_path)
    assert apart.returncode == 0, apart.stderr


def test_a_target_on_port_0_is_reported_on_port_0() -> None:
    done = sosim(*RUN, "--target", "http://127.0.0.1:0/webhook")
    assert done.returncode == 2
    assert "cannot connect to 127.0.0.1:0: " in one_error_line(done)


def test_a_replay_filter_that_matches_nothing_fails_and_says_why(tmp_path: Path) -> None:
    recording = tmp_path / "run.jsonl"
    assert sosim(*RUN, "--record", str(recording)).returncode == 0
    report = tmp_path / "report.json"
    # A run's recording holds no registration ping: --only test matches nothing.
    done = sosim("replay", str(recording), "--max-rate", "--only", "test", "--report", str(report))
    assert done.returncode == 1, done.stderr
    assert f"{NOTHING_SENT} (check --only and --sessions)" in done.stderr.splitlines()
    assert json.loads(report.read_text(encoding="utf-8"))["totals"]["attempts"] == 0
    for name in ("chatsession.message", "message"):  # the short name, as trigger takes it
        matched = sosim("replay", str(recording), "--max-rate", "--only", name, "--quiet")
        assert matched.returncode == 0, matched.stderr
        assert NOTHING_SENT not in matched.stderr
    unknown = sosim("replay", str(recording), "--max-rate", "--only", "chatsession.nope")
    assert unknown.returncode == 2
    assert one_error_line(unknown) == (
        "--only 'chatsession.nope': unknown event: use created, message, changed, test "
        "(or their chatsession.* names)"
    )
    # Everything was delivered, so --only-failed has nothing to redo: that is no failure.
    redo = sosim("replay", str(recording), "--max-rate", "--only-failed")
    assert redo.returncode == 0, redo.stderr
    assert NOTHING_SENT not in redo.stderr
    # ... but a filter beside it that matches nothing is the typo it always is.
    typo = sosim("replay", str(recording), "--max-rate", "--only-failed", "--only", "test")
    assert typo.returncode == 1, typo.stderr


def test_a_run_with_an_empty_window_fails_and_says_why() -> None:
    done = sosim(*RUN, "--duration", "0s")
    assert done.returncode == 1, done.stderr
    assert f"{NOTHING_SENT} (check --sessions and --duration)" in done.stderr.splitlines()


def test_an_empty_secret_from_an_option_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An option that names an empty secret is a mistake ("$UNSET"): it would sign nothing."""
    empty, binary = tmp_path / "secret.txt", tmp_path / "secret.bin"
    empty.write_text("\n", encoding="utf-8")
    binary.write_bytes(b"\xff\xfe\x00s")
    refused = {
        "--secret=": "--secret is empty: give the webhook's secret, or leave the option out",
        "--secret-env=": "--secret-env needs a name, not an empty one",
        "--secret-env=SOSIM_TEST_EMPTY": "--secret-env SOSIM_TEST_EMPTY: the environment variable is empty",
        f"--secret-file={empty}": f"--secret-file {empty}: the file's first line is empty",
        f"--secret-file={binary}": f"--secret-file {binary}: cannot read a secret (not UTF-8 text)",
    }
    monkeypatch.setenv("SOSIM_TEST_EMPTY", "")
    for option, message in refused.items():
        done = sosim(*RUN, option)
        assert done.returncode == 2, option
        assert one_error_line(done) == message


def test_a_scenario_with_an_empty_secret_is_unsigned_and_the_built_in_receiver_agrees(
    tmp_path: Path,
) -> None:
    """``secret: ""`` sends unsigned webhooks; the built-in receiver used to demand a signature
    for them and answer every one 401."""
    scenario = tmp_path / "unsigned.yaml"
    scenario.write_text(
        'name: unsigned\nseed: 3\nwebhook: {context_identifier: Cust1, secret: ""}\n'
        "arrivals: {sessions: 2, process: uniform, rate: 1/min}\nflow: {conversation: {turns: 1}}\n",
        encoding="utf-8",
    )
    env = {key: value for key, value in os.environ.items() if key != "SOSIM_SECRET"}
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "run", str(scenario), "--quiet"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    # One line, though stderr is no terminal (80 columns used to cut it, and grep with it).
    verdict = "receiver: all requests verified (signatures not checked: no secret; --secret checks them)"
    assert verdict in done.stderr.splitlines()


def test_a_timeout_of_0_is_refused_as_an_option_before_the_run_starts() -> None:
    for command in (RUN, ("trigger", "message", "--target", "http://127.0.0.1:9/webhook", "--secret", "s")):
        done = sosim(*command, "--timeout", "0")
        assert done.returncode == 2, command
        assert one_error_line(done) == "--timeout '0': must be above 0, e.g. 10s or 500ms"
        assert len(done.stderr.splitlines()) == 1  # before the start line, not after it


def test_option_messages_say_what_the_option_takes_and_name_a_key_once() -> None:
    burst = sosim(*RUN, "--fault", "burst=abc")
    assert one_error_line(burst) == "--fault 'burst=abc': 'abc' is not a whole number of sessions, such as 50"
    trigger = ("trigger", "message", "--target", "http://127.0.0.1:9/webhook", "--secret", "s")
    status = sosim(*trigger, "--set", "FieldValues.Status=99")
    assert one_error_line(status).startswith("--set FieldValues.Status: 99 is not a ChatSessionStatus (")


def test_a_run_answered_404_says_to_check_the_targets_path() -> None:
    with ReceiverThread(ReceiverConfig(secret="s3cret", path="/hooks/superoffice")) as receiver:
        root = f"http://127.0.0.1:{receiver.port}"
        wrong = sosim(*RUN, "--max-rate", "--delivery", "once", "--target", f"{root}/webhook")
        right = sosim(*RUN, "--max-rate", "--target", f"{root}/hooks/superoffice")
    assert wrong.returncode == 1
    assert "the receiver has no webhook at /webhook: check the path in --target" in wrong.stderr.splitlines()
    assert right.returncode == 0, right.stderr
    assert "check the path" not in right.stderr
