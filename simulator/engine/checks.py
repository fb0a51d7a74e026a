"""What a run checks before it sends anything: its outputs, its target, its secret, its bounds."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulator.core.errors import UsageError
from simulator.core.urls import mask_url

if TYPE_CHECKING:
    from simulator.engine.run import RunConfig

__all__ = ["check_bounded", "check_outputs", "check_target", "refuse_unsigned"]


def check_outputs(
    *, record: str | None = None, report: str | None = None, junit: str | None = None, html: str | None = None
) -> None:
    """Check every output path before anything is sent (missing directories are created)."""
    from simulator.core.files import is_special_file
    from simulator.report.paths import check_output, is_stdout

    taken: dict[Path, str] = {}
    for field, path in (("record", record), ("report", report), ("junit", junit), ("html", html)):
        if path:
            check_output(path, field, stdout_ok=field == "report")
            if is_stdout(path) or is_special_file(path):  # /dev/null may take every output
                continue
            resolved = Path(path).resolve()
            if resolved in taken:  # the later file would overwrite the earlier one
                problem = f"is also --{taken[resolved]}'s file; give each output its own path"
                raise UsageError(problem, option=field, value=path)
            taken[resolved] = field


def check_target(config: RunConfig) -> None:
    """Fail at once on a target that is no URL sosim sends to, and within seconds when an http(s)
    target cannot be resolved or connected to (unless disabled)."""
    if not config.target:
        return
    from simulator.delivery.transport import check_target_form

    check_target_form(config.target)
    if not config.preflight:
        return
    from simulator.engine.preflight import MAX_PREFLIGHT_S, preflight, proxied

    lean = config.engine == "lean" or (config.engine == "auto" and config.target.startswith("http://"))
    if not lean and proxied(config.target):  # httpx goes through the proxy: it resolves the name
        return
    preflight(config.target, timeout_s=min(config.timeout_s, MAX_PREFLIGHT_S))


def refuse_unsigned(scenarios: Sequence[Any], config: RunConfig) -> None:
    """Never send unsigned traffic off this machine when a scenario declares an (empty) secret."""
    if config.secret or config.target is None or _is_loopback(config.target):
        return
    for scenario in scenarios:
        if scenario.webhook.secret == "":
            raise UsageError(
                f"{scenario.source}: webhook.secret is declared but empty, and {mask_url(config.target)} "
                "is not on this machine: refusing to send unsigned webhooks. Set the secret (export the "
                "variable the scenario names, or give the run its secret)",
                option="secret",
            )


def _is_loopback(target: str) -> bool:
    """Whether ``target`` stays on this machine (loopback, localhost or an in-process asgi:// app)."""
    import ipaddress
    from urllib.parse import urlsplit

    try:
        host = urlsplit(target).hostname or ""
    except ValueError:  # not a URL at all: check_target says so
        return False
    if target.startswith("asgi://") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bounded(scenarios: Sequence[Any], config: RunConfig) -> None:
    """Refuse a scenario that would play for ever: no session count and no duration anywhere."""
    for scenario in scenarios:
        arrivals = scenario.arrivals
        if (
            config.sessions is None
            and config.duration_s is None
            and not (arrivals.sessions or arrivals.duration)
        ):
            raise UsageError(f"{scenario.source}: arrivals has neither sessions nor duration")
