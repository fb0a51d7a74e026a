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

    found = {name: s.source for s in scenarios if (name := defaulted_secret(s))}
    if not found:
        return None
    for name, source in found.items():
        print(
            f"sosim: warning: signing with the default from ${{{name}:-...}} in {source}, "
            f"because {name} is not set: export {name}, or pass --secret-env NAME",
            file=sys.stderr,
        )
    return next(iter(found))
