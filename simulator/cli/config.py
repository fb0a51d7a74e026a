"""The commands' options, already typed by click (cli/types.py), as the library's config objects.

What is checked here is what only a command line can get wrong: two options that exclude each
other, an option that needs another. Each message names the options, as the user typed them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from simulator.cli.options import flag_of
from simulator.core.errors import UsageError

if TYPE_CHECKING:
    from simulator.core.delivery_rules import DeliveryPolicy
    from simulator.core.faults import FaultSpec
    from simulator.engine.receive import ReceiveConfig
    from simulator.engine.run import RunConfig
    from simulator.recording.replay import ReplayOptions
    from simulator.tenant.config import TenantConfig

__all__ = [
    "delivery_policy",
    "fault_specs",
    "receive_config",
    "replay_options",
    "run_config",
    "tenant_config",
]

#: The options that only ``--delivery custom`` reads, with their config names.
_CUSTOM_DELIVERY = {
    "retry_delays": "--retry-delays",
    "success_codes": "--success",
    "disable_after": "--disable-after",
    "on_failure": "--on-failure",
    "retry_after": "--retry-after",
}


def run_config(scenarios: tuple[str, ...], *, secret: str | None, **options: Any) -> RunConfig:
    """``sosim run`` (and ``replay``)'s options as a :class:`RunConfig`."""
    from simulator.engine.run import RunConfig

    chosen = [n for n in ("speed", "rate", "max_rate") if options.get(n)]
    if len(chosen) > 1:
        raise UsageError(f"choose one of --speed, --rate, --max-rate (got {', '.join(map(flag_of, chosen))})")
    _check_speed(options.get("speed"))
    return RunConfig(
        scenarios=scenarios,
        target=options.get("target"),
        secret=secret,
        seed=options.get("seed"),
        sessions=options.get("sessions"),
        duration_s=options.get("duration"),
        speed=options.get("speed"),
        rate=options.get("rate"),
        max_rate=bool(options.get("max_rate")),
        concurrency=options["concurrency"],
        timeout_s=options["timeout"],
        policy=delivery_policy(options),
        engine=options.get("engine") or "auto",
        scenario_time=bool(options.get("scenario_time")),
        record=options.get("record"),
        report=options.get("report"),
        junit=options.get("junit"),
        html=options.get("html"),
        thresholds=tuple(options.get("fail_if") or ()),
        faults=fault_specs(options.get("fault") or (), options.get("expect") or ()),
        fault_marker=options.get("fault_marker", True),
        serve_api=options.get("serve_api"),
        quiet=bool(options.get("quiet")),
        deterministic_ids=bool(options.get("deterministic_ids")),
        preflight=not options.get("no_preflight"),
        processes=options.get("processes") or 1,
    )


def replay_options(options: dict[str, Any], *, secret: str | None) -> ReplayOptions:
    """Take ``sosim replay``'s own options out of ``options`` as :class:`ReplayOptions`."""
    from simulator.recording.replay import ReplayOptions

    return ReplayOptions(
        secret=secret,
        resign=bool(options.pop("resign")),
        new_event_ids=bool(options.pop("new_event_ids")),
        shift_timestamps=bool(options.pop("shift_timestamps")),
        only_events=frozenset(options.pop("only_events") or ()),
        only_failed=bool(options.pop("only_failed")),
        sessions=options.pop("session_ids") or frozenset(),
        with_retries=bool(options.pop("with_retries")),
    )


def fault_specs(
    faults: Iterable[FaultSpec], expectations: Iterable[tuple[str, tuple[str, ...]]]
) -> tuple[FaultSpec, ...]:
    """--fault and --expect together; an expectation for a fault that is not injected is an error."""
    specs = {spec.name: spec for spec in faults}
    for name, allowed in expectations:
        if name not in specs:
            raise UsageError(f"--expect {name}=...: add --fault {name} too (nothing would be judged)")
        specs[name] = replace(specs[name], expect=allowed)
    return tuple(specs.values())


def delivery_policy(options: Mapping[str, Any]) -> DeliveryPolicy:
    """The delivery rules from --delivery and, with ``custom``, the options that change them."""
    from simulator.core.delivery_rules import NETSERVER, ONCE

    mode = options.get("delivery") or "netserver"
    given = [name for name in _CUSTOM_DELIVERY if options.get(name) is not None]
    if mode != "custom":
        if given:
            flags = ", ".join(_CUSTOM_DELIVERY[name] for name in given)
            raise UsageError(f"{flags} {'needs' if len(given) == 1 else 'need'} --delivery custom")
        return NETSERVER if mode == "netserver" else ONCE
    changes: dict[str, Any] = {"name": "custom"}
    if options.get("retry_delays") is not None:
        changes["retry_delays"] = tuple(options["retry_delays"])
    if options.get("success_codes") is not None:
        changes["success_statuses"] = options["success_codes"]
    if options.get("disable_after") is not None:
        changes["disable_after"] = int(options["disable_after"]) or None
    if options.get("on_failure") is not None:
        changes["on_cycle_failure"] = options["on_failure"]
    if options.get("retry_after") is not None:
        changes["retry_after"] = options["retry_after"]
    return replace(NETSERVER, **changes)


def receive_config(*, secret: str | None, **options: Any) -> ReceiveConfig:
    """``sosim receive``'s options as a :class:`ReceiveConfig`."""
    from simulator.engine.receive import ReceiveConfig
    from simulator.servers.receiver import ReceiverConfig

    receiver = ReceiverConfig(
        host=options["host"],
        port=options["port"],
        secret=secret,
        respond=options["respond"],
        fail_rate=options["fail_rate"],
        latency_s=options["latency"],
        path=options.get("path"),
        id_window=options["id_window"],
    )
    return ReceiveConfig(
        receiver, options.get("record"), options.get("max_requests"), bool(options.get("quiet"))
    )


def tenant_config(scenarios: tuple[str, ...], **options: Any) -> TenantConfig:
    """``sosim tenant``'s options as a :class:`TenantConfig`."""
    from simulator.tenant.config import TenantConfig

    if options.get("speed") and options.get("rate"):
        raise UsageError("choose one of --speed and --rate")
    if options.get("sessions") and options.get("duration"):
        raise UsageError("choose one of --sessions and --duration")
    _check_speed(options.get("speed"))
    return TenantConfig(
        scenarios=scenarios,
        host=options["host"],
        port=options["port"],
        wait_for_webhooks=options["wait_for_webhooks"],
        wait_timeout_s=options["wait_timeout"],
        seed=options.get("seed"),
        sessions=options.get("sessions"),
        duration_s=options.get("duration"),
        speed=options.get("speed"),
        rate=options.get("rate"),
        scenario_time=bool(options.get("scenario_time")),
        concurrency=options["concurrency"],
        timeout_s=options["timeout"],
        ping_timeout_s=options["ping_timeout"],
        drain_timeout_s=options["drain_timeout"],
        policy=delivery_policy(options),
        engine=options.get("engine") or "auto",
        verify_tls=not options.get("insecure"),
        allow_http=options["allow_http"],
        ping_on=options["ping_on"],
        while_inactive=options["while_inactive"],
        rotation=options["rotation"],
        rotations=tuple(options.get("rotate_secret") or ()),
        state_numbering=options["state_numbering"],
        test_associate_id=options["test_associate_id"],
        properties_in_body=options["properties_in_body"],
        app_scoping=options["app_scoping"],
        restricted_tokens=tuple(options.get("restricted_tokens") or ()),
        tokens=tuple(options.get("tokens") or ()),
        report=options.get("report"),
        junit=options.get("junit"),
        html=options.get("html"),
        thresholds=tuple(options.get("fail_if") or ()),
        quiet=bool(options.get("quiet")),
        deterministic_ids=bool(options.get("deterministic_ids")),
    )


def _check_speed(speed: float | None) -> None:
    if speed is not None and not 0 < speed < math.inf:  # nan and inf fail this too
        raise UsageError("--speed must be above 0 and finite, e.g. --speed 60")
