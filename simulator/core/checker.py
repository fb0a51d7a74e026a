"""The pure webhook checker behind ``sosim receive``: judges requests the way a careful receiver should.

``WebhookChecker`` judges one request (method, headers, exact body bytes) and keeps a running
``Tally``. It remembers the last ``window`` EventIds (default 1,000,000; about 350 bytes each when full,
so at most about 350 MB), their bodies' hashes and as many chat sessions; older ones are forgotten, a reuse
of a forgotten EventId is not detected, and the verdict says so (``Tally.forgotten``). It does no I/O: the
HTTP server in :mod:`simulator.servers.receiver` feeds it and turns each ``Verdict`` into a status.

Problems a verdict can carry:

- ``bad-signature``, ``missing-signature``: a receiver must not trust the request.
- ``wrong-content-type``, ``invalid-json`` (NaN/Infinity and trailing commas included),
  ``not-an-object``, ``missing-header:<name>``, ``bad-field:<key>``, ``event-id-mismatch``
  (header vs body ``EventId``), ``event-mismatch`` (header vs body ``Event``): malformed.
- ``unexpected-method``: not a POST.
- ``event-id-reused`` (a known EventId with a different body), ``created-not-first``,
  ``timestamp-backwards``: SuperOffice promises no order (reference §3.5), so these are counted
  and fail ``verdict_ok``, but a receiver should still accept the request.

A request carrying sosim's fault marker (``X-Sosim-Fault: <fault>``, see
:data:`simulator.core.faults.FAULT_HEADER`) is a probe ``sosim run --fault`` injected on purpose.
It is judged, and answered, exactly like any other request; but when it has problems the tally
counts it under ``Tally.expected[<fault>]`` instead of as a failure, so ``sosim receive`` agrees with
the run's fault verdicts. SuperOffice never sends the header, so real traffic is judged as before.

A repeated EventId with identical bytes is a retry: ``Verdict.duplicate`` and ``Tally.duplicates``
count it, and it is not a problem.

A known body under a new EventId is a later delivery cycle: NetServer sends a payload whose retries
all failed "to the back of the queue" with a new EventId (reference §3.4; SuperOffice docs
``docs/en/automation/webhook/notification.md``, failure handling). ``Verdict.requeued`` and
``Tally.requeued`` count it. When it arrives after a later event of its session (a requeued
``created`` after ``changed`` to Finished), that is what NetServer does, not an order error:
``Tally.requeued_out_of_order`` counts it, and it does not fail ``verdict_ok``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.core.defaults import ID_WINDOW
from simulator.core.errors import UsageError
from simulator.core.faults import FAULT_HEADER, FAULTS, PROBES
from simulator.core.recent import Recent
from simulator.core.signing import verify
from simulator.superoffice import facts as so

__all__ = [
    "AUTH_PROBLEMS",
    "BAD_FIELD",
    "BAD_SIGNATURE",
    "CREATED_NOT_FIRST",
    "DEFAULT_WINDOW",
    "EVENT_ID_MISMATCH",
    "EVENT_ID_REUSED",
    "EVENT_MISMATCH",
    "INVALID_JSON",
    "MISSING_HEADER",
    "MISSING_SIGNATURE",
    "NOT_AN_OBJECT",
    "SEQUENCE_PROBLEMS",
    "TIMESTAMP_BACKWARDS",
    "UNEXPECTED_METHOD",
    "WRONG_CONTENT_TYPE",
    "WRONG_PATH",
    "Tally",
    "Verdict",
    "WebhookChecker",
    "timestamp_key",
]

# --- problem vocabulary (sosim's own words, not SuperOffice's) -----------------------

BAD_SIGNATURE = "bad-signature"
MISSING_SIGNATURE = "missing-signature"
WRONG_CONTENT_TYPE = "wrong-content-type"
INVALID_JSON = "invalid-json"
NOT_AN_OBJECT = "not-an-object"
MISSING_HEADER = "missing-header:"  # + canonical header name
BAD_FIELD = "bad-field:"  # + payload key: missing or of the wrong type
EVENT_ID_MISMATCH = "event-id-mismatch"
EVENT_MISMATCH = "event-mismatch"
UNEXPECTED_METHOD = "unexpected-method"
EVENT_ID_REUSED = "event-id-reused"
CREATED_NOT_FIRST = "created-not-first"
TIMESTAMP_BACKWARDS = "timestamp-backwards"
WRONG_PATH = "wrong-path"  # only on verdicts the server makes up for 404s; never in a tally

AUTH_PROBLEMS = frozenset({BAD_SIGNATURE, MISSING_SIGNATURE})
SEQUENCE_PROBLEMS = frozenset({EVENT_ID_REUSED, CREATED_NOT_FIRST, TIMESTAMP_BACKWARDS})

_CONTENT_TYPE = so.HEADER_CONTENT_TYPE.lower()
_EVENT = so.HEADER_EVENT.lower()
_EVENT_ID = so.HEADER_EVENT_ID.lower()
_SIGNATURE = so.HEADER_SIGNATURE.lower()
_RETRY = so.HEADER_RETRY.lower()
_HOOK_TEST = so.HEADER_HOOK_TEST.lower()
_FAULT = FAULT_HEADER.lower()
_KNOWN_FAULTS = frozenset(FAULTS)
_PROBES = frozenset(PROBES)
_JSON_MEDIA_TYPE = "application/json"

# NetServer's UTC Timestamp with 0-7 fraction digits (reference §3.6).
#: How many EventIds (and chat sessions) a checker remembers, by default.
DEFAULT_WINDOW = ID_WINDOW

_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.([0-9]{1,7}))?Z")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder built once: json.loads with keyword arguments builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def timestamp_key(value: object) -> int | None:
    """Return an integer that orders NetServer ``Timestamp`` strings in time, or None if malformed.

    Fractions are padded to 7 digits, so ``…42.089895Z`` and ``…42.0898950Z`` compare equal.
    """
    if not isinstance(value, str):
        return None
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        return None
    digits = value[0:4] + value[5:7] + value[8:10] + value[11:13] + value[14:16] + value[17:19]
    return int(digits + (match.group(1) or "").ljust(7, "0"))


# --- the pure checker ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """The checker's judgement of one received request."""

    ok: bool
    problems: tuple[str, ...]
    event: str | None
    event_id: str | None
    session_id: int | None
    duplicate: bool = False
    retry: str | None = None  # the X-SuperOffice-Retry value, as sent
    test_ping: bool = False  # the registration ping: ``test`` with ``X-Hook-Test: true``
    requeued: bool = False  # a body seen before under another EventId: a later delivery cycle
    out_of_order: bool = False  # requeued and behind a later event of its session (not a problem)
    expected: str | None = None  # the injected fault whose probe this is, when it has problems
    probe: bool = False  # marked as an injected probe (judged, but remembered nowhere)


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts over every request a checker has judged (a snapshot)."""

    received: int = 0
    accepted: int = 0  # verdicts without problems
    duplicates: int = 0
    retries: int = 0  # requests carrying X-SuperOffice-Retry
    tests: int = 0  # accepted registration pings
    sessions: int = 0  # distinct chat sessions seen
    event_ids: int = 0  # distinct EventIds of well-formed requests (order problems or not)
    requeued: int = 0  # later delivery cycles: a known body under a new EventId
    requeued_out_of_order: int = 0  # of those, arrived behind a later event of their session
    events: Mapping[str, int] = field(default_factory=dict)  # well-formed requests per event name
    problems: Mapping[str, int] = field(default_factory=dict)  # requests per problem kind
    signatures_checked: bool = True  # False for a checker without a secret
    expected: Mapping[str, int] = field(default_factory=dict)  # marked fault probes with problems, per fault
    probes: int = 0  # requests marked as injected probes (X-Sosim-Fault), with problems or not
    forgotten: int = 0  # EventIds dropped from the window: a reuse of one is not detected
    window: int = DEFAULT_WINDOW  # how many EventIds the checker remembers

    @property
    def failed(self) -> int:
        """Requests with at least one problem, apart from the injected faults' probes."""
        return self.received - self.accepted - sum(self.expected.values())


class WebhookChecker:
    """Judge webhook requests one by one, and remember what is needed to spot retries and disorder."""

    def __init__(
        self,
        secret: str | None,
        *,
        require_signature: bool | None = None,
        check_order: bool = True,
        expects_created: bool = True,
        window: int = DEFAULT_WINDOW,
    ) -> None:
        """Check signatures with ``secret``; ``check_order=False`` skips the per-session checks;
        ``expects_created=False`` lets a session start with another event than chatsession.created
        (a webhook that does not subscribe to it never gets one); remember the last ``window``
        EventIds and chat sessions. An empty secret is no secret, as for the sender, which signs
        nothing with it (``delivery_rules.resigned``)."""
        secret = secret or None
        if require_signature is None:
            require_signature = secret is not None
        if require_signature and secret is None:
            raise UsageError("a signature can only be required together with a secret")
        self._secret = secret
        self._require_signature = require_signature
        self._check_order = check_order
        self._expects_created = expects_created
        if window < 1:
            raise UsageError(f"the EventId window must be at least 1, not {window}")
        self._bodies: Recent[str, int] = Recent(window)  # EventId -> hash of the first body (process-local)
        self._contents: Recent[int, bool] = Recent(window)  # hashes of bodies without EventId: new cycles
        self._sessions: Recent[int, int] = Recent(window)  # PrimaryKey -> latest timestamp_key
        self._event_ids = 0  # distinct EventIds of well-formed requests (also those forgotten since)
        self._session_count = 0
        self._received = 0
        self._accepted = 0
        self._duplicates = 0
        self._retries = 0
        self._tests = 0
        self._requeued = 0
        self._out_of_order = 0
        self._events: dict[str, int] = {}
        self._problems: dict[str, int] = {}
        self._expected: dict[str, int] = {}  # keyed by known fault names only
        self._probes = 0

    def check(
        self, method: str, headers: Mapping[str, str] | Iterable[tuple[str, str]], body: bytes
    ) -> Verdict:
        """Judge one request; header names match case-insensitively and the body is the raw bytes."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        return self.check_lowered(method, {name.lower(): value for name, value in pairs}, body)

    def check_lowered(self, method: str, headers: Mapping[str, str], body: bytes) -> Verdict:
        """Like ``check``, for headers already keyed by lower-case name (the server's fast path)."""
        retry = headers.get(_RETRY)
        if method != "POST":
            verdict = Verdict(False, (UNEXPECTED_METHOD,), None, None, None, retry=retry)
            return self._count(verdict, well_formed=False)
        problems: list[str] = []
        self._check_signature(headers.get(_SIGNATURE), body, problems)
        content_type = headers.get(_CONTENT_TYPE)
        if content_type is None or not content_type.lower().startswith(_JSON_MEDIA_TYPE):
            problems.append(WRONG_CONTENT_TYPE)
        header_event = headers.get(_EVENT)
        header_event_id = headers.get(_EVENT_ID)
        if header_event is None:
            problems.append(MISSING_HEADER + so.HEADER_EVENT)
        if header_event_id is None:
            problems.append(MISSING_HEADER + so.HEADER_EVENT_ID)
        event, event_id, session_id, ticks = header_event, header_event_id, None, None
        doc = _parse_object(body, problems)
        if doc is not None:
            event = _str_field(doc, "Event", header_event, EVENT_MISMATCH, problems)
            event_id = _str_field(doc, "EventId", header_event_id, EVENT_ID_MISMATCH, problems)
            ticks = timestamp_key(doc.get("Timestamp"))
            if ticks is None:
                problems.append(BAD_FIELD + "Timestamp")
            session_id = _session_id(doc, event, problems)
        # Only well-formed requests (verified, when there is a secret) may change what is remembered,
        # and no probe: it is an extra request beside the traffic, sent outside the session's order.
        well_formed = not problems
        fault = headers.get(_FAULT)
        duplicate = requeued = out_of_order = False
        if well_formed and event_id is not None and fault in _PROBES:
            duplicate = self._compare(event_id, body, problems)
        elif well_formed and event_id is not None:
            duplicate = self._remember(event_id, body, problems)
            requeued = not duplicate and self._seen_under_another_id(event_id, body)
            if session_id is not None and ticks is not None and not duplicate and self._check_order:
                out_of_order = self._follow_session(session_id, event, ticks, problems, requeued)
        test_ping = event == so.EVENT_TEST and headers.get(_HOOK_TEST, "").lower() == "true"
        verdict = Verdict(
            not problems,
            tuple(problems),
            event,
            event_id,
            session_id,
            duplicate,
            retry,
            test_ping,
            requeued,
            out_of_order,
            fault if problems and fault in _KNOWN_FAULTS else None,
            fault in _PROBES,
        )
        return self._count(verdict, well_formed=well_formed)

    @property
    def tally(self) -> Tally:
        """A snapshot of the counts so far."""
        return Tally(
            received=self._received,
            accepted=self._accepted,
            duplicates=self._duplicates,
            retries=self._retries,
            tests=self._tests,
            sessions=self._session_count,
            event_ids=self._event_ids,
            requeued=self._requeued,
            requeued_out_of_order=self._out_of_order,
            events=dict(self._events),
            problems=dict(self._problems),
            signatures_checked=self._secret is not None,
            expected=dict(self._expected),
            probes=self._probes,
            forgotten=self._bodies.forgotten,
            window=self._bodies.capacity,
        )

    def _check_signature(self, signature: str | None, body: bytes, problems: list[str]) -> None:
        if signature is None:
            if self._require_signature:
                problems.append(MISSING_SIGNATURE)
        elif self._secret is not None and not verify(body, self._secret, signature):
            problems.append(BAD_SIGNATURE)

    def _remember(self, event_id: str, body: bytes, problems: list[str]) -> bool:
        """Record the EventId; tell whether it was seen before (a retry or a reuse)."""
        digest = hash(body)
        first = self._bodies.get(event_id)
        if first is None:
            self._bodies.set(event_id, digest)
            self._event_ids += 1
            return False
        if first != digest:
            problems.append(EVENT_ID_REUSED)
        return True

    def _compare(self, event_id: str, body: bytes, problems: list[str]) -> bool:
        """Like ``_remember`` for a probe: compare with what is known, remember nothing."""
        first = self._bodies.get(event_id)
        if first is None:
            return False
        if first != hash(body):
            problems.append(EVENT_ID_REUSED)
        return True

    def _seen_under_another_id(self, event_id: str, body: bytes) -> bool:
        """Remember the body without its EventId; tell whether it came before under another one."""
        content = hash(body.replace(event_id.encode(), b""))
        if self._contents.get(content) is not None:
            return True
        self._contents.set(content, True)
        return False

    def _follow_session(
        self, session_id: int, event: str | None, ticks: int, problems: list[str], requeued: bool
    ) -> bool:
        """Check the event against its session's order; tell whether it is a requeued one out of order.

        A requeued event behind a later one of its session is NetServer's queue rule at work, so
        it is not a problem; anything else out of order is.
        """
        latest = self._sessions.get(session_id)
        if latest is None:
            # Once sessions have been forgotten, an unknown one may be one of them: no verdict on it.
            if event != so.EVENT_CREATED and self._expects_created and not self._sessions.forgotten:
                problems.append(CREATED_NOT_FIRST)
            self._sessions.set(session_id, ticks)
            self._session_count += 1
            return False
        disorder = []
        if event == so.EVENT_CREATED:
            disorder.append(CREATED_NOT_FIRST)
        if ticks < latest:
            disorder.append(TIMESTAMP_BACKWARDS)
        else:
            self._sessions.replace(session_id, ticks)
        if requeued:
            return bool(disorder)
        problems.extend(disorder)
        return False

    def _count(self, verdict: Verdict, *, well_formed: bool) -> Verdict:
        self._received += 1
        if verdict.ok:
            self._accepted += 1
            self._tests += verdict.test_ping
        self._duplicates += verdict.duplicate
        self._requeued += verdict.requeued
        self._out_of_order += verdict.out_of_order
        self._probes += verdict.probe
        if verdict.retry is not None:
            self._retries += 1
        # A flood of forged requests must not grow this dict with made-up event names.
        if well_formed and verdict.event is not None:
            self._events[verdict.event] = self._events.get(verdict.event, 0) + 1
        if verdict.expected is not None:  # an injected probe: its problems are what it is for
            self._expected[verdict.expected] = self._expected.get(verdict.expected, 0) + 1
            return verdict
        for problem in verdict.problems:
            self._problems[problem] = self._problems.get(problem, 0) + 1
        return verdict


def _parse_object(body: bytes, problems: list[str]) -> dict[str, Any] | None:
    """Parse the body as strict UTF-8 JSON (no NaN/Infinity, no trailing commas) holding an object."""
    try:
        doc = _DECODER.decode(body.decode("utf-8"))
    except (ValueError, RecursionError):  # Unicode/JSONDecodeError are ValueErrors; deep nesting recurses
        problems.append(INVALID_JSON)
        return None
    if not isinstance(doc, dict):
        problems.append(NOT_AN_OBJECT)
        return None
    return doc


def _str_field(
    doc: Mapping[str, Any], key: str, header: str | None, mismatch: str, problems: list[str]
) -> str | None:
    """Return the body's string ``key``, noting when it is missing or differs from its header."""
    value = doc.get(key)
    if not isinstance(value, str):
        problems.append(BAD_FIELD + key)
        return header
    if header is not None and header != value:
        problems.append(mismatch)
    return value


def _session_id(doc: Mapping[str, Any], event: str | None, problems: list[str]) -> int | None:
    """Return the chat session's PrimaryKey, or None for payloads of other entities."""
    entity = doc.get("Entity")
    if entity != so.ENTITY_CHATSESSION:
        if event in so.CHAT_EVENTS:
            problems.append(BAD_FIELD + "Entity")
        return None
    key = doc.get("PrimaryKey")
    if type(key) is not int:  # bool is an int subclass, and not a key
        problems.append(BAD_FIELD + "PrimaryKey")
        return None
    return key
