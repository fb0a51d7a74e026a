"""``SosimUser``: a Locust user that plays whole chat sessions from the scenario.

Each task is one session: its events go out in order through Locust's ``FastHttpUser`` client
(geventhttpclient), named by event type so Locust's table and charts show
``chatsession.created``, ``chatsession.message`` and ``chatsession.changed`` apart. A request
counts as a success in Locust only when NetServer would count it delivered (200).

Imported only by the locustfile, after Locust has patched gevent.
"""

from __future__ import annotations

import logging
from typing import Any

from locust import FastHttpUser, constant, task
from locust.exception import StopUser

from simulator.events import Request
from simulator.locust.play import Answer, Headers, Pacing
from simulator.locust.plugin import SosimPlugin, plugin_for
from simulator.outcome import ErrorKind

__all__ = ["SosimUser"]

log = logging.getLogger("sosim")


class SosimUser(FastHttpUser):
    """Plays the scenario's chat sessions one after another, with NetServer's delivery rules."""

    wait_time = constant(0)
    # sosim run's default --timeout; NetServer gives up on a slow receiver too.
    network_timeout = 10.0
    connection_timeout = 10.0

    def __init__(self, environment: Any) -> None:
        """Join the environment's sosim run (the locustfile installed the plugin)."""
        super().__init__(environment)
        self._plugin: SosimPlugin = plugin_for(environment)
        self._lane: int | None = None
        self._pacing: Pacing | None = None
        self._success: frozenset[int] = frozenset()

    def on_start(self) -> None:
        """Take a lane of session indexes (a user without one plays nothing; see ``play_session``)."""
        playing = self._plugin.playing
        if playing is None or playing.lanes is None:
            return
        self._lane = playing.lanes.acquire()
        if self._lane is None:
            playing.refused_users += 1
            if playing.refused_users == 1:
                log.warning(
                    "more users on this worker than the run was planned for (%d); "
                    "the extra users play nothing, so no session is played twice",
                    playing.plan.layout.users_per_worker,
                )
            return
        self._pacing = playing.pacing()
        self._success = playing.gate.policy.success_statuses

    def on_stop(self) -> None:
        """Give the lane back: a user that starts later continues it."""
        playing = self._plugin.playing
        if playing is not None and playing.lanes is not None and self._lane is not None:
            playing.lanes.release(self._lane)
        self._lane = None

    @task
    def play_session(self) -> None:
        """Play the lane's next session from its first event to its last."""
        playing = self._plugin.playing
        if playing is None or self._lane is None or self._pacing is None or playing.lanes is None:
            raise StopUser()
        if not playing.gate.active:
            raise StopUser()
        index = playing.lanes.next_index(self._lane)
        if index is None:
            raise StopUser()  # the scenario's sessions are all played
        plan = playing.generator.session(index, playing.session_start_s())
        if not playing.player.play(plan, self._pacing, self._send):
            raise StopUser()

    def _send(self, request: Request, headers: Headers) -> Answer:
        """POST one attempt to --host with Locust's client; Locust records it under the event's name."""
        with self.client.request(
            "POST",
            "",
            data=request.body,  # type: ignore[arg-type]  # geventhttpclient sends bytes as they are
            headers=dict(headers),
            name=request.event,
            catch_response=True,
        ) as response:
            status = response.status_code
            if not status:
                kind, detail = _classify(getattr(response, "error", None))
                response.failure(f"{kind}: {detail}")
                return Answer(None, kind, detail)
            body = response.content or b""
            if status in self._success:
                response.success()
            else:
                response.failure(f"HTTP {status}: NetServer counts only {sorted(self._success)} as delivered")
            return Answer(status, None, "", body)


def _classify(error: BaseException | None) -> tuple[ErrorKind, str]:
    """Name a failed attempt as ``sosim run`` does: timeout, connect or protocol."""
    detail = f"{type(error).__name__}: {error}" if error is not None else "no answer"
    if isinstance(error, TimeoutError) or "timeout" in type(error).__name__.lower():
        return "timeout", detail
    if isinstance(error, OSError):
        return "connect", detail
    return "protocol", detail
