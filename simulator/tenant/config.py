"""The settings of ``sosim tenant``: :class:`TenantConfig` and its scheduled secret rotations."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from simulator.core.defaults import (
    API_PORT,
    CONCURRENCY,
    DRAIN_TIMEOUT_S,
    LOOPBACK,
    PING_TIMEOUT_S,
    TIMEOUT_S,
    WAIT_FOR_WEBHOOKS,
    WAIT_TIMEOUT_S,
)
from simulator.core.delivery_rules import NETSERVER, DeliveryPolicy
from simulator.core.errors import UsageError
from simulator.core.units import parse_duration
from simulator.delivery.transport import Engine
from simulator.report.thresholds import Threshold
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
    """Parse ``AT=ENVVAR[@WEBHOOK]`` (the secret is read from the variable); raise UsageError about
    ``rotations``."""
    when, sep, rest = text.partition("=")
    variable, _, target = rest.partition("@")
    shown = repr(text)
    if not sep or not variable.strip():
        raise UsageError("expected AT=ENVVAR[@WEBHOOK], e.g. 30s=NEW_SECRET", option="rotations", value=shown)
    try:
        at_s = parse_duration(when.strip())
    except ValueError as exc:
        raise UsageError(str(exc), option="rotations", value=shown) from None
    values = os.environ if env is None else env
    secret = values.get(variable.strip())
    if not secret:
        raise UsageError(
            f"the environment variable {variable.strip()} is not set", option="rotations", value=shown
        )
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
    """Everything one ``sosim tenant`` run needs; the CLI builds it from its options (cli/config.py)."""

    scenarios: tuple[str, ...] = ()
    host: str = LOOPBACK
    port: int = API_PORT
    wait_for_webhooks: int = WAIT_FOR_WEBHOOKS
    wait_timeout_s: float = WAIT_TIMEOUT_S
    seed: int | None = None
    sessions: int | None = None
    duration_s: float | None = None
    speed: float | None = None
    rate: float | None = None
    scenario_time: bool = False
    concurrency: int = CONCURRENCY
    timeout_s: float = TIMEOUT_S
    ping_timeout_s: float = PING_TIMEOUT_S
    drain_timeout_s: float = DRAIN_TIMEOUT_S
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
