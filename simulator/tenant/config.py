"""The settings of ``sosim tenant``: :class:`TenantConfig`, scheduled secret rotations, CLI parsing."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from simulator.core.delivery_rules import NETSERVER, DeliveryPolicy
from simulator.core.errors import UsageError
from simulator.core.units import parse_duration, parse_option, parse_rate
from simulator.delivery.transport import Engine
from simulator.report.thresholds import Threshold, parse_threshold
from simulator.tenant.api import PingOn
from simulator.tenant.events import StateNumbering
from simulator.tenant.model import AllowHttp

if TYPE_CHECKING:
    from simulator.core.scenario_model import Scenario

__all__ = ["RotateSpec", "TenantConfig", "parse_rotation", "scenario_rotations"]


@dataclass(frozen=True, slots=True)
class RotateSpec:
    """A scheduled secret rotation: ``at_s`` seconds after the scenario starts playing, the secret
    of ``webhook`` (an id, a Name, or None for every registered webhook) becomes ``secret``."""

    at_s: float
    secret: str = field(repr=False)
    webhook: int | str | None = None

    def applies_to(self, webhook_id: int, name: str | None) -> bool:
        """Whether this rotation changes that webhook."""
        if self.webhook is None:
            return True
        if isinstance(self.webhook, int):
            return self.webhook == webhook_id
        return self.webhook == name


def parse_rotation(text: str, env: Mapping[str, str] | None = None) -> RotateSpec:
    """Parse ``--rotate-secret AT=ENVVAR[@WEBHOOK]`` (the secret is read from the variable)."""
    when, sep, rest = text.partition("=")
    variable, _, target = rest.partition("@")
    if not sep or not variable.strip():
        raise UsageError(f"--rotate-secret {text!r}: expected AT=ENVVAR[@WEBHOOK], e.g. 30s=NEW_SECRET")
    try:
        at_s = parse_duration(when.strip())
    except ValueError as exc:
        raise UsageError(f"--rotate-secret {text!r}: {exc}") from None
    values = os.environ if env is None else env
    secret = values.get(variable.strip())
    if not secret:
        raise UsageError(f"--rotate-secret {text!r}: the environment variable {variable.strip()} is not set")
    target = target.strip()
    webhook: int | str | None = (int(target) if target.isdigit() else target) if target else None
    return RotateSpec(at_s, secret, webhook)


def scenario_rotations(scenarios: Sequence[Scenario]) -> list[RotateSpec]:
    """The scenarios' ``rotate_secret:`` entries, once the scenario schema has the field.

    Each entry has ``at`` (seconds), ``to`` (the secret, usually ``${NEW_SECRET}``) and an
    optional ``webhook`` (id or Name).
    """
    found: list[RotateSpec] = []
    for scenario in scenarios:
        entries: Any = getattr(scenario, "rotate_secret", ()) or ()
        if not isinstance(entries, list | tuple):
            entries = (entries,)
        for entry in entries:
            found.append(RotateSpec(float(entry.at), str(entry.to), getattr(entry, "webhook", None)))
    return found


@dataclass(frozen=True, slots=True)
class TenantConfig:
    """Everything one ``sosim tenant`` run needs; built from the CLI or by hand."""

    scenarios: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8765
    wait_for_webhooks: int = 1
    wait_timeout_s: float = 600.0
    seed: int | None = None
    sessions: int | None = None
    duration_s: float | None = None
    speed: float | None = None
    rate: float | None = None
    scenario_time: bool = False
    concurrency: int = 64
    timeout_s: float = 10.0
    ping_timeout_s: float = 10.0
    drain_timeout_s: float = 60.0
    policy: DeliveryPolicy = NETSERVER
    engine: Engine = "auto"
    verify_tls: bool = True
    allow_http: AllowHttp = "localhost"
    ping_on: PingOn = "active"
    while_inactive: Literal["drop", "hold"] = "drop"
    rotation: Literal["keep", "resign"] = "keep"
    rotations: tuple[RotateSpec, ...] = ()
    state_numbering: StateNumbering = "note"
    test_associate_id: int = 0  # ChangedByAssociateId of the registration ping
    max_queue: int = 100_000
    properties_in_body: bool = True  # webhook Properties as top-level body keys (--no-properties-in-body)
    app_scoping: bool = True  # each app sees only the webhooks it created (--no-app-scoping)
    restricted_tokens: tuple[str, ...] = field(default=(), repr=False)  # 403 on Webhook endpoints
    tokens: tuple[str, ...] = field(default=(), repr=False)
    report: str | None = None
    junit: str | None = None
    html: str | None = None
    thresholds: tuple[Threshold, ...] = ()
    quiet: bool = False
    deterministic_ids: bool = False  # the seeded EventIds instead of fresh ones per run

    @classmethod
    def from_cli(cls, scenarios: tuple[str, ...], **options: Any) -> TenantConfig:
        """Validate and convert the command line's raw strings."""
        from simulator.engine.run import policy_from_cli

        if options.get("speed") and options.get("rate"):
            raise UsageError("choose one of --speed and --rate")
        if options.get("sessions") and options.get("duration"):
            raise UsageError("choose one of --sessions and --duration")
        speed = options.get("speed")
        if speed is not None and speed <= 0:
            raise UsageError("--speed must be above 0, e.g. --speed 60")
        return cls(
            scenarios=scenarios,
            host=options.get("host") or "127.0.0.1",
            port=8765 if options.get("port") is None else int(options["port"]),
            wait_for_webhooks=1
            if options.get("wait_for_webhooks") is None
            else int(options["wait_for_webhooks"]),
            wait_timeout_s=parse_option(parse_duration, "--wait-timeout", options.get("wait_timeout"), 600.0),
            seed=options.get("seed"),
            sessions=options.get("sessions"),
            duration_s=parse_option(parse_duration, "--duration", options.get("duration"), None),
            speed=speed,
            rate=parse_option(parse_rate, "--rate", options.get("rate")),
            scenario_time=bool(options.get("scenario_time")),
            concurrency=options.get("concurrency") or 64,
            timeout_s=parse_option(parse_duration, "--timeout", options.get("timeout"), 10.0),
            ping_timeout_s=parse_option(parse_duration, "--ping-timeout", options.get("ping_timeout"), 10.0),
            drain_timeout_s=parse_option(
                parse_duration, "--drain-timeout", options.get("drain_timeout"), 60.0
            ),
            policy=policy_from_cli(options),
            engine=options.get("engine") or "auto",
            verify_tls=not options.get("insecure"),
            allow_http=options.get("allow_http") or "localhost",
            ping_on=options.get("ping_on") or "active",
            while_inactive=options.get("while_inactive") or "drop",
            rotation=options.get("rotation") or "keep",
            rotations=tuple(parse_rotation(text) for text in options.get("rotate_secret") or ()),
            state_numbering=options.get("state_numbering") or "note",
            test_associate_id=options.get("test_associate_id") or 0,
            properties_in_body=options.get("properties_in_body", True) is not False,
            app_scoping=options.get("app_scoping", True) is not False,
            restricted_tokens=tuple(options.get("restricted_tokens") or ()),
            tokens=tuple(options.get("tokens") or ()),
            report=options.get("report"),
            junit=options.get("junit"),
            html=options.get("html"),
            thresholds=tuple(parse_threshold(text) for text in options.get("fail_if") or ()),
            quiet=bool(options.get("quiet")),
            deterministic_ids=bool(options.get("deterministic_ids")),
        )

    def timing_label(self) -> str:
        """Describe the timing for reports."""
        if self.rate:
            return f"rate {self.rate:g}/s"
        if self.speed and self.speed != 1.0:
            return f"speed {self.speed:g}x"
        return "scenario"

    def check_bounded(self, scenarios: Sequence[Scenario]) -> None:
        """Refuse a scenario that would play forever."""
        if self.sessions is not None or self.duration_s is not None:
            return
        for scenario in scenarios:
            if not (scenario.arrivals.sessions or scenario.arrivals.duration):
                raise UsageError(f"{scenario.source}: arrivals has neither sessions nor duration")
