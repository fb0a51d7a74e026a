"""``sosim trigger`` against sosim's own verifying receiver on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.servers.receiver import ReceiverConfig, ReceiverThread

SECRET = "trigger-secret"
STATUS_5 = ("--set", "FieldValues.Status=5")


def test_trigger_created_is_verified_by_the_receiver() -> None:
    """One signed chatsession.created: the receiver checks the signature and accepts it, the
    command prints the request and the answer and exits 0."""
    with ReceiverThread(ReceiverConfig(secret=SECRET), keep=True) as running:
        result = CliRunner().invoke(main, ["trigger", "created", "--target", running.url, "--secret", SECRET])
        tally = running.checker.tally
        received = running.received

    assert result.exit_code == 0, result.output
    assert (tally.received, tally.accepted, tally.signatures_checked) == (1, 1, True)
    assert tally.problems == {}
    request_part, response_part = result.output.split("--- response\n")
    sent = received[0]
    assert f"X-SuperOffice-Signature: {sent.header('X-SuperOffice-Signature')}" in request_part
    assert sent.body.decode() in request_part
    assert response_part.startswith("HTTP 200 OK\n")


def test_trigger_set_reaches_the_body_and_stays_signed() -> None:
    """--set FieldValues.Status=5 is in the body the receiver got, and the signature still verifies."""
    with ReceiverThread(ReceiverConfig(secret=SECRET), keep=True) as running:
        result = CliRunner().invoke(
            main,
            ["trigger", "chatsession.changed", "--target", running.url, "--secret", SECRET, *STATUS_5],
        )
        tally = running.checker.tally
        received = running.received

    assert result.exit_code == 0, result.output
    body = json.loads(received[0].body)
    assert (body["Event"], body["FieldValues"]["Status"]) == ("chatsession.changed", 5)
    assert "bad-signature" not in tally.problems and "missing-signature" not in tally.problems
    assert tally.signatures_checked


def test_trigger_exits_1_when_the_receiver_rejects_the_signature() -> None:
    """A wrong secret: the receiver answers 401, and trigger exits 1 after printing the answer."""
    with ReceiverThread(ReceiverConfig(secret=SECRET)) as running:
        result = CliRunner().invoke(
            main, ["trigger", "message", "--target", running.url, "--secret", "wrong"]
        )
        tally = running.checker.tally

    assert result.exit_code == 1
    assert "HTTP 401" in result.output
    assert tally.problems.get("bad-signature") == 1


def test_trigger_exits_1_when_nothing_answers() -> None:
    """A refused connection is exit 1 with the reason, not a traceback."""
    with ReceiverThread(ReceiverConfig(secret=SECRET)) as running:
        url = running.url  # the port is free again once the receiver stops
    result = CliRunner().invoke(main, ["trigger", "created", "--target", url, "--secret", SECRET])
    assert result.exit_code == 1
    assert "no response" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "FieldValues.Nope=5"], "--set FieldValues.Nope"),
        (["--set", "Bogus=1"], "--set Bogus"),
        (["--set", "FieldValues.Status=99"], "--set FieldValues.Status"),
        (["--set", "NoEquals"], "--set 'NoEquals'"),
    ],
)
def test_trigger_bad_set_is_a_usage_error_naming_the_key(args: list[str], needle: str) -> None:
    """A bad --set key or value exits 2 with a message naming it; nothing is sent."""
    with ReceiverThread(ReceiverConfig(secret=SECRET)) as running:
        result = CliRunner().invoke(
            main, ["trigger", "created", "--target", running.url, "--secret", SECRET, *args]
        )
        tally = running.checker.tally
    assert result.exit_code == 2
    assert needle in result.output
    assert "Traceback" not in result.output
    assert tally.received == 0


def test_trigger_unknown_event_and_no_secret_are_usage_errors() -> None:
    """An unknown event name and a missing secret both exit 2 before sending."""
    runner = CliRunner()
    unknown = runner.invoke(main, ["trigger", "deleted", "--target", "http://127.0.0.1:9/x", "--secret", "s"])
    unsigned = runner.invoke(main, ["trigger", "created", "--target", "http://127.0.0.1:9/x"])
    assert (unknown.exit_code, unsigned.exit_code) == (2, 2)
    assert "unknown event 'deleted'" in unknown.output
    assert "a secret is needed" in unsigned.output


def test_a_trigger_then_a_run_of_the_same_scenario_stays_verified() -> None:
    """The triggered session gets a fresh PrimaryKey, so a run of the same scenario afterwards is
    no "created twice" at a receiver that judges each session's order."""
    from simulator.testing.helpers import DEFAULT_SCENARIO, build_scenario

    first_run = build_scenario(DEFAULT_SCENARIO, secret=SECRET).requests
    with ReceiverThread(ReceiverConfig(secret=SECRET), keep=True) as running:
        result = CliRunner().invoke(main, ["trigger", "created", "--target", running.url, "--secret", SECRET])
        triggered = json.loads(running.received[0].body)["PrimaryKey"]
    assert result.exit_code == 0, result.output
    assert triggered not in {r.session_id for r in first_run}
    assert 10**9 <= triggered < 2**31
