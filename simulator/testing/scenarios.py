"""Scenarios for tests: :func:`build_scenario` makes a :class:`SimScenario` from inline YAML, a file
path or the default scenario, with overrides; it holds the session plans, events, messages and
rendered requests (re-exported by :mod:`simulator.testing.helpers`)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.core.events import ChatMessage, Event, Request, Webhook
    from simulator.core.generate import SessionPlan
    from simulator.core.scenario_model import Scenario
    from simulator.core.schedule import Planned, Timed
    from simulator.mockapi.state import ChatState

__all__ = ["DEFAULT_SCENARIO", "SimScenario", "build_scenario"]

#: The scenario ``build_scenario()`` builds without a source: one ordinary support chat.
DEFAULT_SCENARIO = """\
name: pytest
seed: 0
arrivals: {sessions: 1}
"""

# --- scenarios ---------------------------------------------------------------------------------


class SimScenario:
    """A scenario ready for a test: its sessions, events, messages and rendered requests.

    Everything is generated on first access and cached; the same scenario and seed always give
    the same sessions, EventIds, texts and bytes.
    """

    def __init__(self, scenario: Scenario, *, seed: int | None = None, secret: str | None = None) -> None:
        """Wrap a validated scenario; ``seed`` and ``secret`` override the scenario's own."""
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.secret = secret

    @cached_property
    def webhook(self) -> Webhook:
        """The webhook the requests are rendered for (tenant, secret, payload options)."""
        from simulator.core.scenario import webhook_for

        return webhook_for(self.scenario, self.secret)

    @cached_property
    def plans(self) -> tuple[SessionPlan, ...]:
        """Every session, in arrival order."""
        from simulator.core.generate import generate_sessions

        return tuple(generate_sessions(self.scenario, seed=self.seed))

    @cached_property
    def timeline(self) -> tuple[Timed, ...]:
        """Every event of every session with its due time, in due order."""
        from simulator.core.schedule import merge_sessions

        return tuple(merge_sessions((plan.start_s, plan.events) for plan in self.plans))

    @property
    def events(self) -> tuple[Event, ...]:
        """Every event, in due order (including events the webhook is not subscribed to)."""
        return tuple(timed.event for timed in self.timeline)

    @cached_property
    def planned(self) -> tuple[Planned, ...]:
        """The subscribed events rendered for the webhook, with their due times."""
        from simulator.core.plan import plan_events

        return tuple(plan_events(self.timeline, self.webhook, self.scenario.name))

    @property
    def requests(self) -> tuple[Request, ...]:
        """The webhook requests, exact headers and body bytes, in due order."""
        return tuple(item.request for item in self.planned)

    @property
    def messages(self) -> tuple[ChatMessage, ...]:
        """Every chat message of every session (session by session)."""
        return tuple(message for plan in self.plans for message in plan.messages)

    @property
    def session_ids(self) -> tuple[int, ...]:
        """The ChatSessionIds (webhook PrimaryKeys), in arrival order."""
        return tuple(plan.session_id for plan in self.plans)

    def session(self, session_id: int) -> SessionPlan:
        """The plan of one session; KeyError if the scenario has no such session."""
        for plan in self.plans:
            if plan.session_id == session_id:
                return plan
        raise KeyError(session_id)

    def final_state(self) -> ChatState:
        """A new state holding every session as it ends (what ``sosim api`` would serve)."""
        from simulator.mockapi.state import ChatState

        state = ChatState()
        state.add_scenario(self.scenario, seed=self.seed)
        state.add_plans(self.plans)
        return state


def build_scenario(
    source: str | Path | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    seed: int | None = None,
    secret: str | None = None,
    sessions: int | None = None,
) -> SimScenario:
    """Build a :class:`SimScenario` from inline YAML, a file path or the default scenario.

    ``overrides`` merge into the YAML before validation; nested mappings merge key by key, and
    a dotted key reaches into them (``{"flow.queue.abandon_probability": 0}``). ``sessions``
    is short for ``{"arrivals.sessions": N}``. Errors are ``ScenarioError`` with file and line.
    """
    from simulator.core.scenario import parse_scenario

    text, name = _scenario_text(source)
    changes = dict(overrides or {})
    if sessions is not None:
        changes["arrivals.sessions"] = sessions
    if changes:
        import yaml

        data = yaml.safe_load(text)
        if isinstance(data, dict):
            for key, value in changes.items():
                _merge(data, key.split("."), value)
            text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    return SimScenario(parse_scenario(text, source=name), seed=seed, secret=secret)


def _scenario_text(source: str | Path | None) -> tuple[str, str]:
    if source is None:
        return DEFAULT_SCENARIO, "<default>"
    if isinstance(source, Path) or (
        "\n" not in source and (source.endswith((".yaml", ".yml")) or Path(source).is_file())
    ):
        from simulator.core.errors import ScenarioError

        path = Path(source)
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise ScenarioError(path, None, "", f"cannot read the file ({exc.strerror or exc})") from None
    return source, "<inline>"


def _merge(data: dict[str, Any], keys: list[str], value: Any) -> None:
    head, rest = keys[0], keys[1:]
    if rest:
        child = data.get(head)
        if not isinstance(child, dict):
            child = data[head] = {}
        _merge(child, rest, value)
    elif isinstance(value, Mapping) and isinstance(data.get(head), dict):
        for key, item in value.items():
            _merge(data[head], [str(key)], item)
    else:
        data[head] = value
