"""What ``sosim tenant`` reports per webhook: its deliveries, its lag, its secrets and its states.

The run's own :class:`~simulator.report.stats.RunStats` covers every webhook together (the report,
JUnit and HTML files of ``sosim run``); this module adds the ``tenant`` section: one entry per
webhook that was registered, with the requests accepted and rejected per secret. Secrets appear
only as numbers (``#1`` the secret it registered with, ``#2`` the next one ...), never as text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulator.core.outcome import RunResult
from simulator.core.units import format_duration
from simulator.core.urls import mask_url
from simulator.report.series import ms
from simulator.report.stats import RunStats
from simulator.report.thresholds import ThresholdResult
from simulator.report.writers import ExtraCase
from simulator.superoffice import facts as so

if TYPE_CHECKING:
    from rich.console import Console

    from simulator.tenant.hook import Hook
    from simulator.tenant.registry import Registry

__all__ = [
    "Rotation",
    "TenantOutcome",
    "exit_code",
    "hook_summary",
    "junit_cases",
    "print_webhooks",
    "tenant_section",
]

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130


@dataclass(frozen=True, slots=True)
class Rotation:
    """A webhook's secret changed: when, to which secret number, and who changed it."""

    at_s: float
    webhook: str
    secret: str
    source: str


@dataclass(slots=True)
class TenantOutcome:
    """What a finished tenant run leaves: stats of every webhook together, the tenant section,
    threshold verdicts and the exit code."""

    stats: RunStats
    thresholds: list[ThresholdResult]
    result: RunResult
    exit_code: int
    section: dict[str, Any]
    hooks: list[Hook] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    def webhook(self, webhook_id: int) -> dict[str, Any]:
        """One webhook's entry of the tenant section."""
        return next(w for w in self.section["webhooks"] if w["webhook_id"] == webhook_id)

    def junit_cases(self) -> list[tuple[str, str | None]]:
        """The per-webhook and per-secret JUnit cases."""
        return junit_cases(self.hooks)


def exit_code(stats: RunStats, thresholds: Sequence[ThresholdResult], result: RunResult) -> int:
    """130 interrupted; 1 when a threshold is crossed, an event was lost (never delivered, even in a
    later cycle), a webhook ended TooManyErrors or nothing went out; else 0."""
    if result.interrupted:
        return EXIT_INTERRUPTED
    if any(r.crossed for r in thresholds) or stats.lost:
        return EXIT_FAILED
    if result.webhook_state != so.WebhookState.Active.name or result.planned == 0:
        return EXIT_FAILED
    return EXIT_OK


def hook_summary(hook: Hook, registry: Registry) -> dict[str, Any]:
    """One webhook's entry in the report (no secret, the target without a password)."""
    definition, stats = hook.definition, hook.stats
    result = hook.result
    usage = registry.usage(definition.webhook_id)
    return {
        "webhook_id": definition.webhook_id,
        "name": definition.name,
        "target": mask_url(definition.target_url or ""),
        "events": list(definition.events),
        "final_state": "Deleted" if hook.deleted_s is not None else definition.state.name,
        "registered_at_s": round(hook.registered_s, 6),
        "deleted_at_s": None if hook.deleted_s is None else round(hook.deleted_s, 6),
        "published": hook.published,
        "queue_overflow": hook.feed.overflow,
        "unsent": result.unsent if result is not None else None,
        "requests": stats.requests,
        "delivered": stats.delivered,
        "failed": stats.failed,
        "attempts": stats.attempts,
        "retries": stats.retries,
        **stats.delivery_counts(),
        "lag_ms": _ms_dict(stats.lag.percentile(50), stats.lag.percentile(99), stats.lag.max_s),
        "service_ms": _ms_dict(
            stats.service.percentile(50), stats.service.percentile(99), stats.service.max_s
        ),
        "by_event": {
            name: {"sent": c.sent, "delivered": c.delivered, "failed": c.failed}
            for name, c in sorted(stats.events.items())
        },
        "status_codes": {str(k): v for k, v in sorted(stats.status_codes.items())},
        "secrets": [
            {
                "secret": label,
                "since_s": round(counts.since_s, 6),
                "signed": counts.signed,
                "attempts": counts.attempts,
                "accepted": counts.accepted,
                "rejected": counts.rejected,
                "no_answer": counts.no_answer,
                "requests": counts.requests,
                "delivered": counts.delivered,
                "failed": counts.failed,
            }
            for label, counts in hook.secret_counts.items()
        ],
        "state_changes": [
            {"at_s": round(c.at_s, 6), "state": c.state, "reason": c.reason} for c in stats.state_changes
        ],
        "last_error": usage.last_error or None,
    }


def tenant_section(
    api_url: str,
    play_started_s: float | None,
    hooks: Sequence[Hook],
    registry: Registry,
    rotations: Sequence[Rotation],
) -> dict[str, Any]:
    """The report's ``tenant`` section."""
    return {
        "api": api_url,
        "play_started_s": None if play_started_s is None else round(play_started_s, 6),
        "webhooks": [hook_summary(hook, registry) for hook in sorted(hooks, key=_hook_id)],
        "rotations": [
            {"at_s": round(r.at_s, 6), "webhook": r.webhook, "secret": r.secret, "source": r.source}
            for r in rotations
        ],
    }


def junit_cases(hooks: Sequence[Hook]) -> list[ExtraCase]:
    """One JUnit case per webhook and one per secret it signed with: failed when a request was lost."""
    cases: list[ExtraCase] = []
    for hook in sorted(hooks, key=_hook_id):
        label = hook.definition.label
        stats = hook.stats
        problem = None
        if stats.lost:
            problem = f"{stats.lost} of {stats.sent} events lost (never delivered)"
        elif hook.definition.state is so.WebhookState.TooManyErrors and hook.deleted_s is None:
            problem = "the webhook ended TooManyErrors"
        cases.append((f"tenant webhook {label}: every request delivered", problem))
        for secret, counts in hook.secret_counts.items():
            failure = None
            if counts.failed or counts.rejected:
                failure = (
                    f"{counts.rejected} attempts rejected, {counts.failed} of {counts.requests} "
                    f"requests failed with secret {secret}"
                )
            cases.append((f"tenant webhook {label} secret {secret}: accepted", failure))
    return cases


def print_webhooks(hooks: Sequence[Hook], console: Console) -> None:
    """A table of webhooks under the run summary: deliveries, lag and secrets."""
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE, title="webhooks", title_justify="left", pad_edge=False)
    for column in (
        "webhook",
        "state",
        "sent",
        "delivered",
        "failed",
        "lag p99",
        "secrets (accepted/rejected)",
    ):
        table.add_column(column, justify="left" if column in ("webhook", "state") else "right")
    for hook in sorted(hooks, key=_hook_id):
        stats = hook.stats
        state = "Deleted" if hook.deleted_s is not None else hook.definition.state.name
        lag = stats.lag.percentile(99)
        secrets = ", ".join(
            f"{k} {c.accepted}/{c.rejected}" for k, c in hook.secret_counts.items() if c.attempts
        )
        table.add_row(
            hook.definition.label,
            state,
            str(stats.requests),
            str(stats.delivered),
            str(stats.failed),
            "-" if math.isnan(lag) else format_duration(lag),
            secrets or "-",
        )
    console.print(table)


def _hook_id(hook: Hook) -> int:
    return hook.definition.webhook_id


def _ms_dict(p50: float, p99: float, most: float) -> dict[str, float | None]:
    return {"p50": ms(p50), "p99": ms(p99), "max": ms(most)}
