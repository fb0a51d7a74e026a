"""sosim: SuperOffice chat webhooks, simulated.

The public API is re-exported here. Everything but the errors (events, signing, scenario
loading, generation) loads on first use, so ``import simulator`` and ``sosim --help`` stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from simulator.core.errors import RecordingError, ScenarioError, SimulatorError, UsageError

__version__ = "0.1.0"

_LAZY = {
    "ChatMessage": "simulator.core.events",
    "CustomerProfile": "simulator.core.events",
    "Event": "simulator.core.events",
    "PayloadOptions": "simulator.core.events",
    "Request": "simulator.core.events",
    "SessionFields": "simulator.core.events",
    "Webhook": "simulator.core.events",
    "render": "simulator.core.events",
    "render_test": "simulator.core.events",
    "sign": "simulator.core.signing",
    "verify": "simulator.core.signing",
    "Scenario": "simulator.core.scenario",
    "load_scenario": "simulator.core.scenario",
    "parse_scenario": "simulator.core.scenario",
    "webhook_for": "simulator.core.scenario",
    "SessionPlan": "simulator.core.generate",
    "generate_sessions": "simulator.core.generate",
    "timeline": "simulator.core.generate",
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
    from simulator.core.events import (
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
    from simulator.core.generate import SessionPlan, generate_sessions, timeline
    from simulator.core.scenario import Scenario, load_scenario, parse_scenario, webhook_for
    from simulator.core.signing import sign, verify


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'simulator' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
