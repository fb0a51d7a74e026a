"""``sosim replay`` as a library: a recording, capture or fixtures through the run machinery."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from simulator.core.errors import UsageError
from simulator.core.faults import Injector
from simulator.core.outcome import Handler
from simulator.engine.checks import check_target
from simulator.engine.run import RunConfig, RunOutcome, execute
from simulator.recording.replay import ReplayOptions, count_fixture_requests, replay_plan


def replay(
    config: RunConfig, options: ReplayOptions, *, console: Any = None, extra_handlers: Sequence[Handler] = ()
) -> RunOutcome:
    """Replay ``config.scenarios[0]`` (a recording, capture or fixtures) with the run machinery."""
    source = config.scenarios[0]
    if source.lower().endswith((".yaml", ".yml")):
        raise UsageError(
            f"{source}: this is a scenario: use `sosim run {source}` (replay takes a recording, "
            "a capture or generate's fixtures)"
        )
    header, planned = replay_plan(source, options, warn=_warn)
    if any(f.name == "burst" for f in config.faults):
        raise UsageError(
            "changes when sessions start: use it in a run, not a replay", option="faults", value="burst"
        )
    if config.faults:
        planned = Injector(config.faults, options.secret, 0, mark=config.fault_marker)(planned)
    # Replays of shuffled or filtered traffic need not be in session order.
    filtered = options.filtered
    # Fixtures hold each request once, so their lines are the planned total; a recording's repeat retries.
    # Only progress shows it: a quiet replay does not read the whole file twice.
    shown = console is not None and not config.quiet
    countable = header.get("kind") == "fixtures" and not filtered
    total = count_fixture_requests(source) if countable and shown else None
    check_target(config)
    return execute(
        config,
        planned,
        command="replay",
        webhook=None,
        receiver_secret=options.secret,
        signed=True,
        seed=header.get("seed") if isinstance(header.get("seed"), int) else None,
        console=console,
        check_order=not filtered,
        planned_total=total,
        extra_handlers=extra_handlers,
    )


def _warn(message: str) -> None:
    print(f"sosim: warning: {message}", file=sys.stderr)
