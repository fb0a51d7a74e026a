"""A closed-loop run's settings: what cannot pace customers who wait for answers is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.core.errors import UsageError
from simulator.engine.run import RunConfig, run

EXTERNAL_BOT = str(Path(__file__).resolve().parents[3] / "scenarios" / "external-bot.yaml")


def test_rate_cannot_pace_a_closed_loop() -> None:
    """A fixed rate is refused, and the error names the config field (the CLI shows --rate)."""
    with pytest.raises(UsageError, match=r"^rate: a fixed rate cannot pace a closed loop") as caught:
        run(RunConfig(scenarios=(EXTERNAL_BOT,), secret="s", rate=10.0, serve_api=("127.0.0.1", 0)))
    assert caught.value.option == "rate"


def test_a_port_in_use_for_the_api_is_a_usage_error_before_anything_is_sent() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match=f"cannot serve the mock API on 127.0.0.1:{port}") as caught:
            run(RunConfig(scenarios=(EXTERNAL_BOT,), secret="s", sessions=1, serve_api=("127.0.0.1", port)))
    assert caught.value.option == "serve_api"  # the CLI names --serve-api, which picks another port
