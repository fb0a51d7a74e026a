"""The per-event and per-attempt fast paths give exactly what the plain code they replace gives."""

from __future__ import annotations

import asyncio
import itertools
import math
import random
from dataclasses import replace
from pathlib import Path

import pytest
from hdrh.histogram import HdrHistogram

from simulator.core.events import (
    ChatMessage,
    Event,
    PayloadOptions,
    Request,
    SessionFields,
    Webhook,
    body_bytes,
    build_headers,
    render,
)
from simulator.core.outcome import Attempt, Response
from simulator.core.scenario_model import Fixed, Lognormal, LognormalSpec, Uniform
from simulator.core.schedule import Planned, draw_delay
from simulator.delivery.item import Item, attempt_record
from simulator.delivery.lean_protocol import Connection
from simulator.recording.fixtures import write_fixtures
from simulator.recording.replay import ReplayOptions, replay_plan
from simulator.report.series import (
    _SIGNIFICANT_DIGITS,
    HIGHEST_US,
    CoarseHistogram,
    Durations,
    to_us,
)
from simulator.report.sessions import SessionSample
from simulator.report.stats import RunStats
from simulator.superoffice import facts as so

TICKS = 1524557922 * 10_000_000 + 898950
FIELDS = SessionFields(contact_id=21, customer_alias='Kari "K" Nordmann', customer_id=12, topic_id=3)
MESSAGE = ChatMessage(7, 42, so.ChatMessageType.ToUser, "Hei på deg", "Kari", ticks=TICKS)
EVENTS = [
    Event(so.EVENT_CREATED, 42, TICKS, "e87ac619-c864-4881-89eb-07ca5521ee2c", 0, FIELDS),
    Event(
        so.EVENT_MESSAGE,
        42,
        TICKS + 1,
        "e87ac619-c864-4881-89eb-07ca5521ee2d",
        5,
        FIELDS,
        so.MESSAGE_CHANGES,
        MESSAGE,
    ),
    Event(
        so.EVENT_CHANGED,
        42,
        TICKS + 10_000_000,
        "e87ac619-c864-4881-89eb-07ca5521ee2e",
        5,
        FIELDS,
        ("Status", "UserId"),
    ),
    Event(so.EVENT_TEST, 0, TICKS, "e87ac619-c864-4881-89eb-07ca5521ee2f", 0, SessionFields()),
]
OPTIONS = [
    PayloadOptions(),
    PayloadOptions(field_value_keys="camel", changed_changes="fields"),
    PayloadOptions(field_value_keys="camel"),
    PayloadOptions(id_types="int", booleans="int", customer_alias="int"),
    PayloadOptions(field_values_on=frozenset({so.EVENT_CREATED})),
    PayloadOptions(changed_changes="fields", timestamp_digits="trim"),
    PayloadOptions(header_spelling="reference"),
    PayloadOptions(body_layout="indented"),
    PayloadOptions(overrides=(("*", "WebhookName", "other"), (so.EVENT_MESSAGE, "FieldValues.Rating", 5))),
]
WEBHOOKS = [
    Webhook(),
    Webhook(
        name='Hook "é"',
        context_identifier="Cust12345",
        secret="s3cr€t",
        netserver_version="10.1.2",
        headers=(("X-Extra", "1"), ("Authorization", "Bearer token")),
    ),
]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("webhook", WEBHOOKS)
def test_render_equals_body_bytes_and_build_headers(options: PayloadOptions, webhook: Webhook) -> None:
    """The per-webhook renderer gives the bytes and headers of the general functions."""
    hook = replace(webhook, payload=options)
    for event, event_id in itertools.product(EVENTS, (None, "11111111-2222-4333-8444-555555555555")):
        eid = event_id or event.event_id
        body = body_bytes(event, hook, eid)
        expected = (event.name, eid, event.session_id, build_headers(hook, event.name, eid, body), body)
        assert tuple(render(event, hook, event_id=event_id)) == expected
        assert tuple(render(event, hook, event_id=event_id)) == expected  # cached renderer: same again


def _reference(durations: list[float]) -> HdrHistogram:
    histogram = HdrHistogram(1, HIGHEST_US, _SIGNIFICANT_DIGITS)
    for seconds in durations:
        histogram.record_value(to_us(seconds))
    return histogram


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("spread", ["mixed", "under 2 ms", "under 65 ms"])
def test_durations_fold_into_the_histogram_hdrhistogram_records(seed: int, spread: str) -> None:
    """Buffered recording gives HdrHistogram's own counts, and the exact count, mean and max, when
    a fold holds values of every size and when all are below 2 ms or 65 ms (counted in C, as
    their own index or through the lookup table)."""
    rng = random.Random(seed)
    if spread == "mixed":
        durations = [
            rng.choice((rng.uniform(0, 0.002), rng.expovariate(3.0), rng.uniform(-1, 5_000)))
            for _ in range(3_000)
        ]
    else:
        durations = [rng.uniform(0, 0.002 if spread == "under 2 ms" else 0.065) for _ in range(3_000)]
    durations += [0.0, -0.5, 1e-7, 3_600.0, 10_000.0]
    recorded = Durations()
    for seconds in durations:
        recorded.record(seconds)
    reference = _reference(durations)
    assert recorded._histogram.encode() == reference.encode()
    assert recorded.count == len(durations)
    # The mean of the whole microseconds recorded, summed exactly.
    assert recorded.mean_s == sum(to_us(s) for s in durations) / 1_000_000 / len(durations)
    assert recorded.max_s == max(to_us(s) for s in durations) / 1_000_000
    wanted = (50.0, 90.0, 99.0, 99.9)
    values = reference.get_percentile_to_value_dict(list(wanted))
    assert recorded.percentiles(wanted) == {p: min(values[p] / 1e6, recorded.max_s) for p in wanted}


def test_durations_keep_recording_after_being_read_and_merged() -> None:
    """Reading (which brings the HdrHistogram up to date) and merging do not lose or repeat values."""
    first, second = [0.001 * i for i in range(300)], [0.5 + 0.01 * i for i in range(300)]
    recorded, other = Durations(), Durations()
    for seconds in first:
        recorded.record(seconds)
    assert recorded.percentile(50) == pytest.approx(0.149, rel=1e-3)
    for seconds in second:
        other.record(seconds)
    recorded._histogram.decode_and_add(other._histogram.encode())
    recorded.count += other.count
    for seconds in first:
        recorded.record(seconds)
    assert recorded._histogram.encode() == _reference(first + second + first).encode()
    assert recorded.count == 900


@pytest.mark.parametrize(
    "delay",
    [
        Fixed(fixed=2.5),
        Uniform(uniform=(1.0, 4.0)),
        Lognormal(lognormal=LognormalSpec(median=30.0, p95=90.0)),
        Lognormal(lognormal=LognormalSpec(median=30.0, p95=90.0), max=40.0),
    ],
)
def test_draw_delay_draws_what_the_formula_draws(delay: Fixed | Uniform | Lognormal) -> None:
    """The cached sampler makes the same calls on the generator as the formula it replaces."""
    ours, theirs = random.Random(7), random.Random(7)
    for _ in range(200):
        if isinstance(delay, Fixed):
            expected = delay.fixed
        elif isinstance(delay, Uniform):
            expected = theirs.uniform(delay.uniform[0], delay.uniform[1])
        else:
            mu = math.log(delay.lognormal.median)
            sigma = (math.log(delay.lognormal.p95) - mu) / 1.6448536269514722
            value = theirs.lognormvariate(mu, sigma)
            expected = min(value, delay.max) if delay.max is not None else value
        assert draw_delay(delay, ours) == expected


def test_sample_at_max_rate_keeps_the_last_sessions_in_bounded_memory() -> None:
    """Every attempt due at 0 is slower than the one before: the sample is the last N sessions."""
    sample = SessionSample(slowest=5, failed=5, attempts=4)
    headers = (("Content-Type", "application/json"),)
    for i in range(10_000):
        session = i // 3
        request = Request(so.EVENT_MESSAGE, f"evt-{session}", session, headers, b"{}")
        sample.handle_attempt(
            Attempt(request, "busy", 1, 1, 0.0, i / 1000, i / 1000 + 0.001, 200, delivered=True)
        )
        assert len(sample._traces) <= 2 * 5 + 16 + 1
    kept = sample.sessions()
    assert [t.session_id for t in kept] == [3333, 3332, 3331, 3330, 3329]
    assert [len(t.attempts) for t in kept] == [1, 3, 3, 3, 3]


def test_per_second_histograms_match_recording_one_value_at_a_time() -> None:
    """RunStats indexes each second's lag and service histograms inline (a lookup table below
    4,096 us, the arithmetic above): the counts equal CoarseHistogram.record's, for values from
    0 to beyond the 1 h clamp."""
    rng = random.Random(7)
    durations = [0.0, 1e-6, 63e-6, 64e-6, 4.095e-3, 4.096e-3, 0.25, 7_200.0]
    durations += [rng.choice((rng.uniform(0, 0.005), rng.expovariate(10.0))) for _ in range(2_000)]
    request = Request("chatsession.created", "id", 1, (), b"{}")
    stats, lag, service = RunStats(), CoarseHistogram(), CoarseHistogram()
    for n, seconds in enumerate(durations):
        sent = 0.5 + seconds  # every attempt goes out in second 0 .. its lag later
        attempt = Attempt(request, "s", 1, 1, 0.5, sent, sent + durations[-1 - n], 200, delivered=True)
        stats.handle_attempt(attempt)
        lag.record(to_us(attempt.sent_s - attempt.intended_s))
        service.record(to_us(attempt.done_s - attempt.sent_s))
    merged_lag, merged_service = CoarseHistogram(), CoarseHistogram()
    for _, second in stats.seconds():
        merged_lag.add(second.lag)
        merged_service.add(second.service)
    assert (merged_lag.counts, merged_lag.count) == (lag.counts, lag.count)
    assert (merged_service.counts, merged_service.count) == (service.counts, service.count)


def test_attempt_records_and_answers_are_the_named_tuples_the_plain_code_builds(tmp_path: Path) -> None:
    """attempt_record, the lean engine's answers and replay's reader build their NamedTuples with
    tuple.__new__: each equals the one its constructor builds, with every field there."""
    request = Request(so.EVENT_MESSAGE, "e1", 42, (("A", "b"),), b"{}")
    item = Item(None, request, "s", ("s", 42), 1.5, 1, 2, None, False, sent=2.0, headers=request.headers)
    made = attempt_record(item, 1.0, 2.5, 200, None, "", True, True, b"ok")
    assert made == Attempt(request, "s", 1, 2, 0.5, 1.0, 1.5, 200, None, "", True, True, None, b"ok", False)
    assert len(made) == len(Attempt._fields) and made.requeued is False

    answers: list[object] = []
    loop = asyncio.new_event_loop()
    try:
        conn = Connection(loop)
        conn.transport = _Sink()  # type: ignore[assignment]
        conn.start(b"POST / HTTP/1.1\r\n\r\n", lambda _conn, outcome: answers.append(outcome))
        conn.data_received(b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
    finally:
        loop.close()
    assert answers == [Response(201, (), b"ok")] and len(answers[0]) == len(Response._fields)  # type: ignore[arg-type]

    fixtures = tmp_path / "f.jsonl"
    write_fixtures([(0.25, "sc", request)], fixtures, "jsonl", {})
    _, planned = replay_plan(fixtures, ReplayOptions())
    (read,) = list(planned)
    assert read == Planned(0.0, request, "f.jsonl", None)
    assert len(read) == len(Planned._fields) and len(read.request) == len(Request._fields)


class _Sink:
    """A transport that takes the written bytes and is never closing."""

    def write(self, data: bytes) -> None:
        """Dropped."""

    def is_closing(self) -> bool:
        return False
