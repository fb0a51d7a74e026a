"""The closed loop: the system under test answers through the mock chat API, and the run reacts.

:class:`ClosedLoop` joins three things on the run's one event loop:

* the mock chat API (:class:`~simulator.mockapi.server.ApiServer`), whose accepted writes call
  back into the live sessions (:class:`~simulator.core.conversation.Conversations`);
* the feed, an async stream of planned requests that merges the scenarios generated ahead with
  the live sessions' events as they become due, and that the Deliverer consumes like any plan:
  the webhooks a write raises go through the same Deliverer, with the same retry rules;
* the measuring side: the send time of every customer message's webhook, so a reply's latency
  runs from the webhook going out to the API write that answers it.

Serving the API on the delivery loop (not a thread of its own) means a write and the webhooks it
raises never cross threads: after the write's answer, the state and the queue already hold them.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import socket
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.core.conversation import Conversations, Observation, ReplyTiming, Write, is_external
from simulator.core.defaults import API_PORT, LOOPBACK
from simulator.core.errors import UsageError
from simulator.core.events import TICKS_PER_SECOND, Webhook, render
from simulator.core.generate import make_generator
from simulator.core.plan import PlanOptions, adjust
from simulator.core.schedule import Planned, Timed
from simulator.delivery.clock import Clock, sleep_until_or
from simulator.mockapi.http import Announcer, event_id_of
from simulator.mockapi.server import API_LINGER_S, ApiServer, linger_notice
from simulator.mockapi.state import ChatState, MockApi, MockApiOptions
from simulator.report.conversation import ConversationStats
from simulator.superoffice import facts as so

if TYPE_CHECKING:
    from simulator.core.scenario_model import Scenario
    from simulator.delivery.exchange import Headers, OnDone
    from simulator.delivery.transport import AsyncTransport

__all__ = ["DEFAULT_API", "ClosedLoop", "external_scenarios"]

#: Where the mock API listens when a closed-loop run names no ``serve_api``.
DEFAULT_API: tuple[str, int] = (LOOPBACK, API_PORT)


def external_scenarios(scenarios: Iterable[Scenario]) -> list[Scenario]:
    """The scenarios that hand a role to the system under test."""
    return [s for s in scenarios if is_external(s.flow)]


@dataclass(slots=True)
class _Sent:
    """A customer message whose webhook went out: when, for the reply's latency."""

    session_id: int
    message_id: int


class ClosedLoop:
    """One run's live sessions, the mock API that serves them, and the feed of their webhooks.

    Use it as ``sosim run --serve-api`` uses :class:`~simulator.mockapi.server.LiveApi`: ``follow``
    the planned stream of the generated scenarios, ``wrap`` the transport; then, on the run's
    loop, ``await start(clock, origin)`` and hand ``feed(planned)`` to the Deliverer.
    """

    def __init__(
        self,
        scenarios: Sequence[Scenario],
        webhooks: Mapping[str, Webhook],
        options: PlanOptions,
        *,
        serve: tuple[str, int] | None = DEFAULT_API,
        speed: float = 1.0,
        api_options: MockApiOptions | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        """Prepare the live sessions of the external ``scenarios`` (the others are followed).

        ``serve`` is the API's ``(host, port)``; None serves no HTTP (in process, the caller routes
        the system's API calls to ``self.api``, as the pytest plugin does with respx). ``say``
        tells the user when the bot's calls are still open at the end, so the pause has a reason."""
        self.speed = speed
        self._say = say
        self.state = ChatState()
        for scenario in scenarios:
            self.state.add_scenario(scenario, seed=options.seed)
        self.api = MockApi(self.state, api_options, on_change=self._on_write, ticks=self._ticks)
        self.announcer = Announcer(self.api)
        self.stats = ConversationStats()
        #: Told of each reply latency as it is measured (``run --record`` writes a line for each).
        self.on_reply: Callable[[ReplyTiming], None] | None = None
        self._webhooks = webhooks
        self._live: list[tuple[str, Conversations]] = []
        # session id -> (position in _live, scenario name, its live sessions): a write's owner
        self._owners: dict[int, tuple[int, str, Conversations]] = {}
        for scenario in external_scenarios(scenarios):
            adjusted = adjust(scenario, options)
            generator = make_generator(
                adjusted,
                seed=options.seed,
                start=options.start,
                time_scale=options.time_scale,
                run_id=options.run_id,
            )
            self._live.append((scenario.name, Conversations(generator, speed=speed)))
        self._start_ticks = self._live[0][1].generator.start_ticks if self._live else 0
        self._heap: list[tuple[float, int, Planned]] = []
        self._order = itertools.count()
        self._questions: dict[str, _Sent] = {}  # EventId of a customer message -> the message
        self._sent: dict[tuple[int, int], float] = {}  # (session, message) -> clock time it went out
        self._question_ids: dict[tuple[int, int], str] = {}  # (session, message) -> its EventId
        self._raised: dict[str, float] = {}  # EventId of a write's webhook -> clock time of the write
        self._clock: Clock | None = None
        self._origin = 0.0
        self._wake: asyncio.Event | None = None
        self._stopped = False
        self._lingering = False  # the run has ended and waits for the bot's last API calls
        self._cut = False  # ... and was told to stop waiting
        self._server: ApiServer | None = None
        self._socket: socket.socket | None = None
        self.url = ""
        if serve is not None:
            host, port = serve
            self._socket = _listen(host, port)
            self.url = f"http://{host}:{self._socket.getsockname()[1]}"

    # -- the run's faces ----------------------------------------------------------------

    def follow(self, planned: Iterable[Planned]) -> Iterator[Planned]:
        """Pass the generated scenarios' stream through, noting each event for the API."""
        return self.announcer.follow(planned)

    def wrap(self, transport: AsyncTransport) -> AsyncTransport:
        """Wrap the delivery transport: each send announces its event and times its question."""
        return _LoopTransport(transport, self)

    def __enter__(self) -> ClosedLoop:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._socket is not None:
            self._socket.close()

    async def start(self, clock: Clock, origin: float) -> None:
        """Serve the API on the running loop; ``origin`` is the clock time due times count from."""
        self._clock, self._origin = clock, origin
        self._wake = asyncio.Event()
        if self._socket is not None:
            self._server = ApiServer(self.api, sock=self._socket)
            await self._server.start()

    async def stop(self) -> None:
        """Stop serving (the run has ended): once the API is quiet, or at once if it was halted."""
        halted = self._stopped
        self.halt()
        self._lingering = True
        if self._server is not None:
            if not halted:
                assert self._clock is not None, "start() first"
                if self._say is not None and not self._server.idle:
                    self._say(linger_notice(API_LINGER_S))
                await self._server.until_quiet(self._clock, cut=lambda: self._cut)
            await self._server.stop()
        self.stats.api_errors = {**self.api.read_errors, **self.api.write_errors}

    @property
    def lingering(self) -> bool:
        """Whether the run has ended and only waits for the bot's last API calls."""
        return self._lingering

    def halt(self) -> None:
        """Stop feeding: the run was told to stop (Ctrl-C, the webhook gave up). While the run
        waits for the bot's last calls, stop waiting."""
        self._cut = self._lingering
        self._stopped = True
        if self._wake is not None:
            self._wake.set()

    # -- the feed -----------------------------------------------------------------------

    async def feed(self, planned: Iterable[Planned], *, max_rate: bool = False) -> AsyncIterator[Planned]:
        """Merge the generated stream with the live sessions' events, each when it is due.

        Ends when the generated stream is exhausted and every live session has ended and sent
        its last webhook, or when the run stops.
        """
        assert self._clock is not None and self._wake is not None, "start() first"
        clock, wake, heap = self._clock, self._wake, self._heap
        generated = iter(planned)
        upcoming = next(generated, None)
        while not self._stopped:
            now = clock.now() - self._origin
            self._advance(now)
            due_first = upcoming is not None and (not heap or upcoming.due_s <= heap[0][0])
            if upcoming is not None and due_first and (max_rate or upcoming.due_s <= now):
                yield upcoming
                upcoming = next(generated, None)
                continue
            if heap and heap[0][0] <= now:
                yield heapq.heappop(heap)[2]
                continue
            due = [d for d in self._next_due(upcoming) if d is not None]
            if not due:
                if all(conversations.finished for _, conversations in self._live):
                    return
                due = [now + 3600.0]  # waiting on questions nobody has sent: a write wakes this
            wake.clear()
            await sleep_until_or(clock, self._origin + min(due), wake)

    def _next_due(self, upcoming: Planned | None) -> Iterator[float | None]:
        yield upcoming.due_s if upcoming is not None else None
        yield self._heap[0][0] if self._heap else None
        for _, conversations in self._live:
            yield conversations.next_due()

    def _advance(self, now: float) -> None:
        for position, (name, conversations) in enumerate(self._live):
            self._queue(name, conversations.advance(now), noted=True)
            self._note_started(position, name, conversations)
            self._observe(conversations)

    def _note_started(self, position: int, name: str, conversations: Conversations) -> None:
        """Remember the owner of each session that just started, for :meth:`_on_write`; if two
        scenarios share an id, the first in the list owns it (as a scan of the list would find)."""
        for observation in conversations.observed:
            if observation.kind == "started":
                owner = self._owners.get(observation.session_id)
                if owner is None or position < owner[0]:
                    self._owners[observation.session_id] = (position, name, conversations)

    # -- writes -------------------------------------------------------------------------

    def _on_write(self, write: Write) -> None:
        """An accepted write: raise its webhooks, resume its session, and measure the answer."""
        now = self._now()
        owner = self._owners.get(write.session_id)
        if owner is not None:
            _, name, conversations = owner
            raised, following = conversations.apply(write, now)
            # NetServer raises a write's webhooks at once (their Timestamps still increase)
            raised = [item._replace(due_s=now) for item in raised]
            self._queue(name, raised, noted=False)  # the state holds the write already
            self._queue(name, following, noted=True)
            self._observe(conversations)
        if self._wake is not None:
            self._wake.set()

    def _queue(self, scenario: str, timed: Iterable[Timed], *, noted: bool) -> None:
        webhook = self._webhooks.get(scenario) or Webhook()
        for item in timed:
            event = item.event
            if event.name not in webhook.events:
                if noted:  # no webhook announces it: the session shows it at once
                    self.state.announce(event)
                continue
            request = render(event, webhook)
            planned = Planned(item.due_s, request, scenario, event)
            if not noted and self._clock is not None:
                self._raised[request.event_id] = self._clock.now()
            if noted:
                self.announcer.note(event, request.event_id)
                message = event.message
                if message is not None:
                    self.state.reserve_message_id(event.session_id, message.message_id)
                if message is not None and message.type == so.ChatMessageType.ToUser:
                    self._questions[request.event_id] = _Sent(event.session_id, message.message_id)
                    self._question_ids[(event.session_id, message.message_id)] = request.event_id
            heapq.heappush(self._heap, (item.due_s, next(self._order), planned))

    def _observe(self, conversations: Conversations) -> None:
        observed: list[Observation] = conversations.observed
        if not observed:
            return
        conversations.observed = []
        for observation in observed:
            sent_s, question_event = None, ""
            question = observation.question
            if question is not None:
                key = (observation.session_id, question.message_id)
                sent = self._sent.pop(key, None)  # answered or timed out: forget it (memory stays flat)
                question_event = self._question_ids.pop(key, "")
                self._questions.pop(question_event, None)
                sent_s = None if sent is None else sent - self._origin
            latency = self.stats.observe(observation, sent_s)
            if latency is not None and self.on_reply is not None and question is not None:
                assert sent_s is not None  # a latency is recorded only from a send time
                ids = observation.session_id, question.message_id, question_event
                self.on_reply(ReplyTiming(*ids, sent_s, observation.at_s, latency))

    def on_send(self, event_id: str | None) -> None:
        """A webhook goes out: announce its event; a customer message starts its reply's clock."""
        if event_id is None:
            return
        self.announcer.announce_id(event_id)
        raised = self._raised.pop(event_id, None)
        if raised is not None and self._clock is not None:  # the loop's own delay: write to webhook
            self.stats.loop_delay.record(self._clock.now() - raised)
        question = self._questions.get(event_id)
        if question is not None and self._clock is not None:
            self._sent[(question.session_id, question.message_id)] = self._clock.now()

    def _now(self) -> float:
        return 0.0 if self._clock is None else self._clock.now() - self._origin

    def _ticks(self) -> int:
        return self._start_ticks + round(self._now() * TICKS_PER_SECOND)


class _LoopTransport:
    """A delivery transport that tells the closed loop about each send, then sends with ``inner``."""

    def __init__(self, inner: AsyncTransport, loop: ClosedLoop) -> None:
        self.inner = inner
        self.loop = loop
        self.target = inner.target
        inner_submit = getattr(inner, "submit", None)
        if inner_submit is not None:  # keep the lean engine's callback face
            self._inner_submit = inner_submit
            self.submit = self._submit
        send_slowly = getattr(inner, "send_slowly", None)
        if send_slowly is not None:
            self.send_slowly = send_slowly

    async def send(self, headers: Headers, body: bytes) -> Any:
        self.loop.on_send(event_id_of(headers))
        return await self.inner.send(headers, body)

    def _submit(self, headers: Headers, body: bytes, on_done: OnDone) -> None:
        self.loop.on_send(event_id_of(headers))
        self._inner_submit(headers, body, on_done)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _listen(host: str, port: int) -> socket.socket:
    """Bind the API's socket before the run starts, so a port in use fails before any send."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(1024)
    except OSError as error:
        sock.close()
        from simulator.delivery.transport import describe_os_error

        raise UsageError(
            f"cannot serve the mock API on {host}:{port}: {describe_os_error(error)}", option="serve_api"
        ) from None
    sock.setblocking(False)
    return sock
