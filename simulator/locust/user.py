"""``SosimUser``: a Locust user that plays whole chat sessions from the scenario.

Each task is one session: its events go out in order on the user's ``FastHttpUser`` connection
(geventhttpclient), named by event type so Locust's table and charts show
``chatsession.created``, ``chatsession.message`` and ``chatsession.changed`` apart. A request
counts as a success in Locust only when NetServer would count it delivered (200).

An attempt goes straight to the ``HTTPClient`` in the user's connection pool, with the bytes
``sosim run`` sends (request line, Host, the event's headers, Content-Length, body), and is
reported to Locust with one ``request`` event. ``FastHttpSession.request`` would add
``Accept-Encoding``, a cookie jar, redirects and a response wrapper: none of which NetServer has,
and together more CPU per request than all of sosim's own work.

Imported only by the locustfile, after Locust has patched gevent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from geventhttpclient.client import HTTPClient
from geventhttpclient.url import URL
from locust import FastHttpUser, constant, task
from locust.contrib.fasthttp import FAILURE_EXCEPTIONS
from locust.exception import CatchResponseError, StopUser

from simulator.core.events import Request
from simulator.core.outcome import ErrorKind
from simulator.locust.play import Answer, Headers, Pacing
from simulator.locust.plugin import SosimPlugin, plugin_for

__all__ = ["SosimUser"]

log = logging.getLogger("sosim")


@dataclass(frozen=True, slots=True)
class Target:
    """Where a user's attempts go: the pooled client for ``--host`` and its request target."""

    http: HTTPClient
    path: str
    url: str
    #: Sent before each event's own headers, which win on a clash (as in ``FastHttpSession``): the
    #: user class's ``default_headers`` and Basic auth from ``--host``. Usually empty.
    headers: Headers

    @classmethod
    def for_user(cls, user: FastHttpUser) -> Target:
        """The target of a user's ``client``, sharing its connection pool."""
        url = user.client.base_url or ""
        split = URL(url)
        http = user.client.client.clientpool.get_client(split)
        # As Locust sends it: percent-encoded where geventhttpclient offers that (2.3.4 and later).
        path = getattr(split, "quoted_uri", split.request_uri)
        headers = tuple((user.default_headers or {}).items())
        if user.client.auth_header:
            headers += (("Authorization", user.client.auth_header),)
        return cls(http, path, url, headers)


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
        self._target = Target.for_user(self)
        self._fire: Callable[..., Any] = environment.events.request.fire

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
        """POST one attempt to --host; Locust records it under the event's name."""
        target = self._target
        if target.headers:
            headers = target.headers + headers
        started_at = time.time()
        started = time.perf_counter()
        try:
            response = target.http.request("POST", target.path, body=request.body, headers=dict(headers))
            body = response.read()
        except FAILURE_EXCEPTIONS as exc:
            kind, detail = _classify(exc)
            self._report(request.event, started, started_at, None, 0, CatchResponseError(f"{kind}: {detail}"))
            return Answer(None, kind, detail)
        status = response.get_code()
        failure = None
        if status not in self._success:
            failure = CatchResponseError(
                f"HTTP {status}: NetServer counts only {sorted(self._success)} as delivered"
            )
        self._report(request.event, started, started_at, response, len(body), failure)
        return Answer(status, None, "", body)

    def _report(
        self,
        name: str,
        started: float,
        started_at: float,
        response: object,
        length: int,
        failure: Exception | None,
    ) -> None:
        """One ``request`` event, with the fields ``FastHttpSession`` gives its own.

        ``response`` is geventhttpclient's (``status_code``, ``headers``), not Locust's wrapper.
        """
        self._fire(
            request_type="POST",
            name=name,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=length,
            response=response,
            exception=failure,
            context=self.context(),
            start_time=started_at,
            url=self._target.url,
        )


def _classify(error: BaseException | None) -> tuple[ErrorKind, str]:
    """Name a failed attempt as ``sosim run`` does: timeout, connect or protocol."""
    detail = f"{type(error).__name__}: {error}" if error is not None else "no answer"
    if isinstance(error, TimeoutError) or "timeout" in type(error).__name__.lower():
        return "timeout", detail
    if isinstance(error, OSError):
        return "connect", detail
    return "protocol", detail
