"""sosim on Locust: chat sessions from a scenario, played by Locust users on many machines.

Install with ``pip install 'sosim[locust]'`` and run Locust's own CLI on the shipped locustfile::

    locust -f "$(sosim locustfile)" --scenario scenarios/busy-hour.yaml \\
        --secret-env HOOK_SECRET --host http://receiver:8000/hook

Nothing here imports Locust or gevent: importing :mod:`simulator` (or this package) never
monkey-patches anything. Only the locustfile, which Locust itself imports after patching, loads
:mod:`simulator.locust.plugin` (the event listeners) and :mod:`simulator.locust.user` (the user
class). The other modules know nothing of Locust:

- :mod:`simulator.locust.options`: sosim's custom arguments, parsed and checked;
- :mod:`simulator.locust.shard`: which session indexes a worker's users play;
- :mod:`simulator.locust.play`: one session's delivery with NetServer's rules and pacing;
- :mod:`simulator.locust.cluster`: run statistics on the wire, merged on the master;
- :mod:`simulator.locust.runtime`: the master's run plan, a process's players, the report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

__all__ = ["LOCUSTFILE", "locustfile_path"]

#: The locustfile shipped in the package; ``sosim locustfile`` prints this path.
LOCUSTFILE: Final = Path(__file__).resolve().with_name("locustfile.py")


def locustfile_path() -> Path:
    """The absolute path of the shipped locustfile, for ``locust -f``."""
    return LOCUSTFILE
