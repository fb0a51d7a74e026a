"""--delivery and its custom options become the run's DeliveryPolicy (cli/config.py), with the
values typed by click (cli/types.py) and errors that name the options."""

from __future__ import annotations

from typing import Any

import pytest

from simulator.cli.config import delivery_policy
from simulator.cli.run import run as run_command
from simulator.cli.types import OptionValueError
from simulator.core.delivery_rules import NETSERVER, ONCE, DeliveryPolicy
from simulator.core.errors import UsageError

_FLAGS = {
    "delivery": "--delivery",
    "retry_delays": "--retry-delays",
    "success_codes": "--success",
    "disable_after": "--disable-after",
    "on_failure": "--on-failure",
    "retry_after": "--retry-after",
}


def policy_from(options: dict[str, Any]) -> DeliveryPolicy:
    """The policy of ``sosim run x.yaml`` with these options, parsed by the real command."""
    args = [part for name, value in options.items() for part in (_FLAGS[name], str(value))]
    context = run_command.make_context("run", ["x.yaml", *args])
    return delivery_policy(context.params)


def test_delivery_policy_defaults_to_netserver_and_knows_once() -> None:
    """Without options the rules are NetServer's; --delivery once turns retries off."""
    assert policy_from({}) == NETSERVER
    assert policy_from({"delivery": "netserver"}) == NETSERVER
    assert policy_from({"delivery": "once"}) == ONCE
    assert NETSERVER.retry_delays == (1.0, 4.0) and NETSERVER.disable_after == 9
    assert NETSERVER.success_statuses == frozenset({200})


def test_delivery_policy_builds_custom_rules() -> None:
    """--delivery custom takes retry delays, success codes, the disable threshold and the failure action."""
    policy = policy_from(
        {
            "delivery": "custom",
            "retry_delays": "100ms, 0.2s,1",
            "success_codes": "2xx",
            "disable_after": 0,
            "on_failure": "discard",
        }
    )
    assert policy.name == "custom"
    assert policy.retry_delays == (0.1, 0.2, 1.0)
    assert policy.attempts_per_cycle == 4
    assert policy.success_statuses == frozenset(range(200, 300))
    assert policy.disable_after is None
    assert policy.on_cycle_failure == "discard"
    assert policy_from({"delivery": "custom", "disable_after": 3}).disable_after == 3


def test_retry_after_is_ignored_by_default_and_honoured_on_request() -> None:
    """NetServer's rules ignore Retry-After; --retry-after honour (custom) waits for it, capped."""
    assert NETSERVER.retry_after == "ignore"
    throttled = (("Content-Length", "0"), ("retry-after", " 30 "))
    assert NETSERVER.retry_delay(1, throttled) == 1.0
    honour = policy_from({"delivery": "custom", "retry_after": "honour"})
    assert [honour.retry_delay(n, throttled) for n in (1, 2)] == [30.0, 30.0]
    assert honour.retry_delay(2, (("Retry-After", "1"),)) == 4.0  # never shorter than NetServer's
    assert honour.retry_delay(1, (("Retry-After", "99999999"),)) == honour.retry_after_max_s
    for odd in ("soon", "-5", "1.5", "Wed, 21 Oct 2026 07:28:00 GMT", "١٢"):
        assert honour.retry_delay(1, (("Retry-After", odd),)) == 1.0
    with pytest.raises(UsageError, match="--retry-after needs --delivery custom"):
        policy_from({"retry_after": "honour"})


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"retry_delays": "1s,2s"}, "--retry-delays needs --delivery custom"),
        ({"delivery": "once", "success_codes": "2xx"}, "--success needs --delivery custom"),
    ],
)
def test_custom_options_without_custom_delivery_are_refused(options: dict[str, Any], message: str) -> None:
    """Custom-only options without --delivery custom are a one-line usage error naming them."""
    with pytest.raises(UsageError) as caught:
        policy_from(options)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"delivery": "custom", "retry_delays": "1s,soon"},
            "--retry-delays '1s,soon': expected a duration such as 500ms",
        ),
        (
            {"delivery": "custom", "success_codes": "2xx,ok"},
            "--success '2xx,ok': 'ok' is not a status",
        ),
    ],
)
def test_malformed_values_are_refused_naming_the_option(options: dict[str, Any], message: str) -> None:
    """A value the option's type cannot parse (a duration, a status) is refused while click parses,
    as one line that names the option and the value."""
    with pytest.raises(OptionValueError) as caught:
        policy_from(options)
    assert caught.value.one_line().startswith(message)
