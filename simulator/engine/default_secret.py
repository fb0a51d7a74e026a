"""The warning ``run`` and ``generate`` print when a scenario's ``${VAR:-default}`` signs.

Its own module, so ``sosim generate`` warns without importing the run engine (asyncio, the
deliverer): about 40 ms of its start-up.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any


def warn_default_secret(scenarios: Sequence[Any]) -> str | None:
    """Warn once on stderr when a ``${VAR:-default}`` default signs; return the variable (or None)."""
    from simulator.core.scenario import defaulted_secret

    found: dict[str, dict[str, None]] = {}
    for scenario in scenarios:
        if name := defaulted_secret(scenario):
            found.setdefault(name, {})[str(scenario.source)] = None  # each file once, in order
    if not found:
        return None
    for name, sources in found.items():
        print(
            f"sosim: warning: signing with the default from ${{{name}:-...}} in {', '.join(sources)}, "
            f"because {name} is not set: export {name}, or pass --secret-env NAME",
            file=sys.stderr,
        )
    return next(iter(found))
