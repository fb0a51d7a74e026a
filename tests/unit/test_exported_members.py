"""The public API is what ``simulator/__init__.py`` lists in ``__all__``, and each name is there."""

from __future__ import annotations

import pytest

import simulator

EXPECTED = {
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
}


def test_all_lists_exactly_the_public_api() -> None:
    """A name added to or dropped from the public API is a deliberate change to this list."""
    assert set(simulator.__all__) == EXPECTED


def test_every_exported_name_resolves_and_reports_its_public_home() -> None:
    """Each name in ``__all__`` imports (lazy ones included) and none is private."""
    for name in simulator.__all__:
        member = getattr(simulator, name)
        assert member is not None, name
        assert not name.startswith("_") or name == "__version__"
        module = getattr(member, "__module__", "simulator")
        assert module.startswith("simulator"), (name, module)


def test_an_unknown_name_is_an_attribute_error() -> None:
    """The lazy loader does not invent names."""
    with pytest.raises(AttributeError, match="no_such_member"):
        simulator.no_such_member  # type: ignore[attr-defined]  # noqa: B018
