"""sosim: SuperOffice chat webhooks, simulated.

The public API is re-exported here. Heavy parts (scenario loading, generation, delivery)
load on first use, so ``import simulator`` and ``sosim --help`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from simulator.errors import RecordingError, ScenarioError, SimulatorError, UsageError
from simulator.events import (
    ChatMessage,
    CustomerProfile,
    Event,
    PayloadOptions,
    Request,
    SessionFields,
    Webhook,
    render,
    render_test,
)
from simulator.signing import sign, verify

__version__ = "0.1.0"

_LAZY = {
    "Scenario": "simulator.scenario",
    "load_scenario": "simulator.scenario",
    "parse_scenario": "simulator.scenario",
    "webhook_for": "simulator.scenario",
    "SessionPlan": "simulator.generate",
    "generate_sessions": "simulator.generate",
    "timeline": "simulator.generate",
}

__all__ = [
    "ChatMessage",
    "CustomerProfile",
    "Event",
    "PayloadOptions",
    "RecordingError",
    "Request",
    "Scenario",
    "ScenarioError",
    "SessionFields",
    "SessionPlan",
    "SimulatorError",
    "UsageError",
    "Webhook",
    "__version__",
    "generate_sessions",
    "load_scenario",
    "parse_scenario",
    "render",
    "render_test",
    "sign",
    "timeline",
    "verify",
    "webhook_for",
]

if TYPE_CHECKING:
    from simulator.generate import SessionPlan, generate_sessions, timeline
    from simulator.scenario import Scenario, load_scenario, parse_scenario, webhook_for


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'simulator' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
