"""Tests for simulator.servers.receiver.WebhookChecker: how the reference receiver judges one request."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from simulator.core.errors import UsageError
from simulator.core.events import (
    TICKS_PER_SECOND,
    Event,
    PayloadOptions,
    Request,
    SessionFields,
    Webhook,
    render,
)
from simulator.core.events import render_test as render_ping
from simulator.core.faults import FAULT_HEADER
from simulator.core.signing import sign
from simulator.servers.receiver import (
    EVENT_ID_REUSED,
    Tally,
    Verdict,
    WebhookChecker,
    timestamp_key,
    verdict_caveat,
    verdict_line,
    verdict_ok,
    verdict_table,
)
from simulator.superoffice import facts as so

SECRET = "kjqhwe-local-test-secret"
WEBHOOK = Webhook(name="unit", secret=SECRET)
SESSION = 178105
T0 = int(datetime(2018, 4, 24, 8, 18, 42, tzinfo=UTC).timestamp()) * TICKS_PER_SECOND + 898_950

# The seed page's chatsession.created example, trailing comma after "UserId": 0 included.
SEED_CREATED_BODY = b"""{
  "EventId": "e87ac619-c864-4881-89eb-07ca5521ee2c",
  "Timestamp": "2018-04-24T08:18:42.089895Z",
  "Changes": [
  ],
  "Event": "chatsession.created",
  "PrimaryKey": 178105,
  "Entity": "chatsession",
  "ContextIdentifier": "Default",
  "ChangedByAssociateId": 316,
  "WebhookName": "Name you provided",
  "FieldValues": {
    "AlertLevel": 0,
    "ChatbotIsactive": false,
    "Consented": false,
    "ContactId": "21",
    "CustomerAlias": 5,
    "CustomerId": "12",
    "ProjectId": 5,
    "Rating": 0,
    "SaleId": 0,
    "Status": 0,
    "TicketId": 0,
    "TopicId": 0,
    "UserId": 0,
  }
}"""


def chat_event(name: str, *, session_id: int = SESSION, ticks: int = T0, event_id: str = "") -> Event:
    """A chat event built by hand, with an EventId derived from its name and time unless given."""
    return Event(
        name=name,
        session_id=session_id,
        ticks=ticks,
        event_id=event_id or str(uuid.uuid5(uuid.NAMESPACE_URL, f"sosim:{name}/{session_id}/{ticks}")),
        changed_by=316,
        fields=SessionFields(customer_alias="Kari", topic_id=3),
        changes=so.MESSAGE_CHANGES if name == so.EVENT_MESSAGE else (),
    )


def with_header(request: Request, name: str, value: str | None) -> list[tuple[str, str]]:
    """The request's headers with one replaced (matched case-insensitively), or dropped if None."""
    kept = [(k, v) for k, v in request.headers if k.lower() != name.lower()]
    return kept if value is None else [*kept, (name, value)]


def signed_headers(body: bytes, event: str, event_id: str) -> list[tuple[str, str]]:
    """NetServer's headers for a hand-written body, signed with SECRET."""
    return [
        (so.HEADER_CONTENT_TYPE, so.CONTENT_TYPE_JSON),
        (so.HEADER_EVENT, event),
        (so.HEADER_EVENT_ID, event_id),
        (so.HEADER_SIGNATURE, sign(body, SECRET)),
    ]


def check(checker: WebhookChecker, request: Request) -> Verdict:
    """Hand a rendered request to the checker as a server would."""
    return checker.check("POST", request.headers, request.body)


def test_valid_signed_request_is_accepted() -> None:
    """A correctly signed chatsession.created passes with no problems and names its session."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    checker = WebhookChecker(SECRET)

    verdict = check(checker, request)

    assert verdict == Verdict(True, (), so.EVENT_CREATED, request.event_id, SESSION)
    assert checker.tally.accepted == 1
    assert verdict_ok(checker.tally)


def test_flipped_body_byte_is_a_bad_signature() -> None:
    """Changing one byte of a signed body (still valid JSON) is caught as a bad signature."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    tampered = request.body.replace(b'"Kari"', b'"Karl"')
    assert tampered != request.body

    verdict = WebhookChecker(SECRET).check("POST", request.headers, tampered)

    assert verdict.problems == ("bad-signature",)
    assert not verdict.ok


def test_signature_from_another_secret_is_rejected() -> None:
    """A body signed with a different secret does not verify."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK.with_secret("someone-else"))

    assert check(WebhookChecker(SECRET), request).problems == ("bad-signature",)


def test_missing_signature_is_reported_when_a_secret_is_configured() -> None:
    """With a secret configured, an unsigned request is a failure, not silently trusted."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    headers = with_header(request, so.HEADER_SIGNATURE, None)

    verdict = WebhookChecker(SECRET).check("POST", headers, request.body)

    assert verdict.problems == ("missing-signature",)


def test_unsigned_requests_pass_without_a_secret() -> None:
    """Without a secret the checker accepts unsigned webhooks (and cannot judge signatures)."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK.with_secret(None))
    assert request.header(so.HEADER_SIGNATURE) is None

    assert check(WebhookChecker(None), request).ok


def test_requiring_a_signature_without_a_secret_is_a_usage_error() -> None:
    """A signature that could never be verified cannot be required."""
    with pytest.raises(UsageError, match="secret"):
        WebhookChecker(None, require_signature=True)


def test_signature_can_be_optional_with_a_secret() -> None:
    """require_signature=False lets unsigned requests through but still verifies signed ones."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    checker = WebhookChecker(SECRET, require_signature=False)

    assert checker.check("POST", with_header(request, so.HEADER_SIGNATURE, None), request.body).ok
    assert checker.check("POST", request.headers, request.body + b" ").problems == ("bad-signature",)


def test_header_event_id_must_match_the_body() -> None:
    """An X-SuperOffice-EventId that differs from the body's EventId is reported."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    headers = with_header(request, so.HEADER_EVENT_ID, "f0a473ae-0000-4000-8000-000000000000")

    verdict = WebhookChecker(SECRET).check("POST", headers, request.body)

    assert verdict.problems == ("event-id-mismatch",)
    assert verdict.event_id == request.event_id  # the signed body is the authority


def test_header_event_must_match_the_body() -> None:
    """An X-SuperOffice-Event that differs from the body's Event is reported."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    headers = with_header(request, so.HEADER_EVENT, so.EVENT_CHANGED)

    assert WebhookChecker(SECRET).check("POST", headers, request.body).problems == ("event-mismatch",)


@pytest.mark.parametrize("name", [so.HEADER_EVENT, so.HEADER_EVENT_ID])
def test_missing_event_headers_are_named(name: str) -> None:
    """A missing X-SuperOffice-Event or -EventId header is reported under its canonical name."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)

    verdict = WebhookChecker(SECRET).check("POST", with_header(request, name, None), request.body)

    assert verdict.problems == (f"missing-header:{name}",)


def test_invalid_json_is_rejected_even_when_signed() -> None:
    """A correctly signed body that is not JSON is invalid-json."""
    body = b'{"EventId": "x", '
    headers = signed_headers(body, so.EVENT_CREATED, "x")

    assert WebhookChecker(SECRET).check("POST", headers, body).problems == ("invalid-json",)


def test_seed_page_trailing_comma_is_rejected() -> None:
    """The docs' own created example (trailing comma) is not JSON, and the checker says so."""
    event_id = "e87ac619-c864-4881-89eb-07ca5521ee2c"
    checker = WebhookChecker(SECRET)
    fixed = SEED_CREATED_BODY.replace(b'"UserId": 0,', b'"UserId": 0')

    seed_headers = signed_headers(SEED_CREATED_BODY, so.EVENT_CREATED, event_id)

    verdict = checker.check("POST", seed_headers, SEED_CREATED_BODY)

    assert verdict.problems == ("invalid-json",)
    assert checker.check("POST", signed_headers(fixed, so.EVENT_CREATED, event_id), fixed).ok


@pytest.mark.parametrize("bad", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_standard_json_constants_are_rejected(bad: bytes) -> None:
    """NaN and Infinity, which Python's json accepts by default, are not JSON."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    body = request.body.replace(b'"PrimaryKey":178105', b'"PrimaryKey":' + bad)
    headers = with_header(request, so.HEADER_SIGNATURE, sign(body, SECRET))

    assert WebhookChecker(SECRET).check("POST", headers, body).problems == ("invalid-json",)


def test_json_that_is_not_an_object_is_rejected() -> None:
    """A JSON array or string is not a webhook payload."""
    body = b'["chatsession.created"]'
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    headers = with_header(request, so.HEADER_SIGNATURE, sign(body, SECRET))

    assert WebhookChecker(SECRET).check("POST", headers, body).problems == ("not-an-object",)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_wrong_content_type_is_rejected(content_type: str | None) -> None:
    """Only application/json bodies are accepted; a missing Content-Type counts as wrong."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    headers = with_header(request, so.HEADER_CONTENT_TYPE, content_type)

    assert WebhookChecker(SECRET).check("POST", headers, request.body).problems == ("wrong-content-type",)


def test_content_type_parameters_and_case_are_allowed() -> None:
    """``Application/JSON`` without a charset is as good as NetServer's exact value."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    headers = with_header(request, so.HEADER_CONTENT_TYPE, "Application/JSON")

    assert WebhookChecker(SECRET).check("POST", headers, request.body).ok


def test_other_methods_are_unexpected() -> None:
    """A GET is reported as unexpected-method and nothing else."""
    assert WebhookChecker(SECRET).check("GET", {}, b"").problems == ("unexpected-method",)


def test_duplicate_event_id_is_counted_not_failed() -> None:
    """A retry with the same EventId and bytes is counted as a duplicate, and the run still passes."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    retry = with_header(request, so.HEADER_RETRY, "1")
    checker = WebhookChecker(SECRET)

    first = check(checker, request)
    second = checker.check("POST", retry, request.body)

    assert (first.duplicate, second.duplicate) == (False, True)
    assert second.ok and second.retry == "1"
    tally = checker.tally
    assert (tally.received, tally.duplicates, tally.event_ids, tally.retries) == (2, 1, 1, 1)
    assert verdict_ok(tally)


def test_event_id_reused_for_a_different_body_fails() -> None:
    """The same EventId on different bytes is not a retry: it is reported as event-id-reused."""
    created = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    message = render(chat_event(so.EVENT_MESSAGE, ticks=T0 + 1), WEBHOOK, event_id=created.event_id)
    checker = WebhookChecker(SECRET)

    check(checker, created)
    verdict = check(checker, message)

    assert verdict.problems == ("event-id-reused",)
    assert verdict.duplicate
    assert not verdict_ok(checker.tally)


def test_created_must_come_first() -> None:
    """A session whose first event is not chatsession.created, or that is created twice, is reported."""
    checker = WebhookChecker(SECRET)

    early = check(checker, render(chat_event(so.EVENT_MESSAGE), WEBHOOK))
    late = check(checker, render(chat_event(so.EVENT_CREATED, ticks=T0 + 1), WEBHOOK))

    assert early.problems == ("created-not-first",)
    assert late.problems == ("created-not-first",)


def test_a_session_may_start_without_created_when_the_webhook_does_not_subscribe_to_it() -> None:
    """``expects_created=False`` (a webhook of chatsession.message only): a first message is fine,
    and the rest of the order checks still hold."""
    checker = WebhookChecker(SECRET, expects_created=False)

    first = check(checker, render(chat_event(so.EVENT_MESSAGE, ticks=T0 + 2), WEBHOOK))
    earlier = check(checker, render(chat_event(so.EVENT_MESSAGE, ticks=T0 + 1), WEBHOOK))

    assert first.ok
    assert earlier.problems == ("timestamp-backwards",)


def test_a_full_session_in_order_passes() -> None:
    """created, message, changed in time order for two interleaved sessions raise no problem."""
    checker = WebhookChecker(SECRET)
    names = (so.EVENT_CREATED, so.EVENT_MESSAGE, so.EVENT_CHANGED)
    for step, name in enumerate(names):
        for session in (1, 2):
            assert check(checker, render(chat_event(name, session_id=session, ticks=T0 + step), WEBHOOK)).ok

    tally = checker.tally
    assert tally.sessions == 2
    assert dict(tally.events) == dict.fromkeys(names, 2)


def test_timestamp_going_backwards_is_reported() -> None:
    """An event older than the session's latest one is reported as timestamp-backwards."""
    checker = WebhookChecker(SECRET)
    check(checker, render(chat_event(so.EVENT_CREATED), WEBHOOK))
    check(checker, render(chat_event(so.EVENT_MESSAGE, ticks=T0 + 10), WEBHOOK))

    verdict = check(checker, render(chat_event(so.EVENT_CHANGED, ticks=T0 + 9), WEBHOOK))

    assert verdict.problems == ("timestamp-backwards",)


def test_order_checks_can_be_switched_off() -> None:
    """check_order=False (for shuffled delivery) ignores session order entirely."""
    checker = WebhookChecker(SECRET, check_order=False)

    assert check(checker, render(chat_event(so.EVENT_MESSAGE, ticks=T0 + 5), WEBHOOK)).ok
    assert check(checker, render(chat_event(so.EVENT_CREATED), WEBHOOK)).ok


def ordering_key(text: str) -> int:
    """timestamp_key for a well-formed Timestamp."""
    key = timestamp_key(text)
    assert key is not None, text
    return key


def test_trimmed_fraction_digits_compare_by_time() -> None:
    """Timestamps with trimmed fractions (.089895Z) order by time, not by text."""
    assert ordering_key("2018-04-24T08:18:42.089895Z") == ordering_key("2018-04-24T08:18:42.0898950Z")
    assert ordering_key("2018-04-24T08:18:42.5Z") > ordering_key("2018-04-24T08:18:42.49Z")
    assert ordering_key("2018-04-24T08:18:42Z") < ordering_key("2018-04-24T08:18:42.0000001Z")
    assert ordering_key("2018-04-24T08:18:59.9Z") < ordering_key("2018-04-24T08:19:00Z")


@pytest.mark.parametrize(
    "text", ["2018-04-24 08:18:42Z", "2018-04-24T08:18:42.12345678Z", "2018-04-24T08:18:42+00:00", ""]
)
def test_malformed_timestamps_have_no_ordering_key(text: str) -> None:
    """Timestamps that are not NetServer's UTC format are refused rather than misordered."""
    assert timestamp_key(text) is None


def test_trimmed_timestamps_do_not_look_backwards() -> None:
    """A session sent with timestamp_digits='trim' passes the order check."""
    webhook = replace(WEBHOOK, payload=PayloadOptions(timestamp_digits="trim"))
    checker = WebhookChecker(SECRET)
    ticks = (T0 - 898_950 + 8_000_000, T0 - 898_950 + 8_100_000, T0 - 898_950 + 8_120_000)  # .8, .81, .812
    names = (so.EVENT_CREATED, so.EVENT_MESSAGE, so.EVENT_CHANGED)

    requests = [render(chat_event(n, ticks=t), webhook) for n, t in zip(names, ticks, strict=True)]

    verdicts = [check(checker, request) for request in requests]

    assert b'.81Z"' in requests[1].body
    assert all(v.ok for v in verdicts)


def test_reference_page_header_spelling_is_accepted() -> None:
    """X-Superoffice-Eventid and friends, as the reference pages print them, are accepted."""
    webhook = replace(WEBHOOK, payload=PayloadOptions(header_spelling="reference"))
    request = render(chat_event(so.EVENT_CREATED), webhook)
    assert request.header("X-Superoffice-Eventid") is not None

    assert check(WebhookChecker(SECRET), request).ok


def test_lower_case_header_names_are_accepted() -> None:
    """Header names in any case match, e.g. x-superoffice-signature from a normalising proxy."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    lowered = {name.lower(): value for name, value in request.headers}
    assert "x-superoffice-signature" in lowered

    assert WebhookChecker(SECRET).check("POST", lowered, request.body).ok


def test_test_ping_is_accepted_and_counted() -> None:
    """The registration ping (event test, X-Hook-Test: true) is accepted and counted as a ping."""
    ping = render_ping(WEBHOOK, "4b5ce038-0000-4000-8000-000000000000", T0)
    checker = WebhookChecker(SECRET)

    verdict = check(checker, ping)

    assert verdict.ok and verdict.test_ping
    assert verdict.session_id is None
    assert checker.tally.tests == 1
    assert checker.tally.sessions == 0


def test_chat_event_without_a_numeric_primary_key_is_reported() -> None:
    """A chat payload whose PrimaryKey is not an integer is reported as a bad field."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    body = request.body.replace(b'"PrimaryKey":178105', b'"PrimaryKey":"178105"')
    headers = with_header(request, so.HEADER_SIGNATURE, sign(body, SECRET))

    assert WebhookChecker(SECRET).check("POST", headers, body).problems == ("bad-field:PrimaryKey",)


def test_tally_counts_each_problem_kind() -> None:
    """The tally counts requests, acceptances and every problem kind, for the run summary."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    checker = WebhookChecker(SECRET)
    check(checker, request)
    checker.check("POST", request.headers, request.body + b"\n")
    checker.check("POST", request.headers, request.body + b"\n")
    checker.check("PUT", request.headers, request.body)

    tally = checker.tally

    assert (tally.received, tally.accepted, tally.failed) == (4, 1, 3)
    assert dict(tally.problems) == {"bad-signature": 2, "unexpected-method": 1}
    assert dict(tally.events) == {so.EVENT_CREATED: 1}  # forged requests name no events
    assert not verdict_ok(tally)


def test_verdict_table_lists_counts_events_and_problems() -> None:
    """The summary table shows the headline counts, then each event and problem."""
    tally = Tally(received=3, accepted=2, events={so.EVENT_CREATED: 2}, problems={"bad-signature": 1})

    rows = dict(verdict_table(tally))

    assert rows["received"] == "3"
    assert rows["accepted"] == "2"
    assert rows["with problems"] == "1"
    assert rows[f"event {so.EVENT_CREATED}"] == "2"
    assert rows["problem bad-signature"] == "1"
    assert verdict_ok(Tally(received=5, accepted=5, duplicates=2))


def test_distinct_event_ids_count_only_well_formed_requests_and_say_so() -> None:
    """A badly signed request is received but its EventId is not remembered: the row's label says
    what it counts, so 3 received and 2 distinct EventIds add up for the reader."""
    checker = WebhookChecker(SECRET)
    for ticks in (T0, T0 + 1):
        check(checker, render(chat_event(so.EVENT_CREATED, session_id=ticks, ticks=ticks), WEBHOOK))
    forged = render(chat_event(so.EVENT_CREATED, session_id=9, ticks=T0 + 2), WEBHOOK)
    checker.check("POST", forged.headers, forged.body + b" ")

    rows = dict(verdict_table(checker.tally))

    assert rows["received"] == "3"
    assert rows["distinct EventIds (of well-formed requests)"] == "2"


def test_a_checker_without_a_secret_says_its_verdict_left_signatures_unchecked() -> None:
    """Every verdict printer (sosim receive, the run's built-in receiver) adds what was not judged."""
    assert verdict_caveat(WebhookChecker("s3cret").tally) == ""
    assert "signatures not checked: no secret" in verdict_caveat(WebhookChecker(None).tally)


def requeued(event: Event, cycle: int = 2) -> Request:
    """The event as NetServer sends it in a later cycle: the same payload under a new EventId."""
    from simulator.core.delivery_rules import cycle_event_id

    return render(event, WEBHOOK, event_id=cycle_event_id(event.event_id, cycle))


def test_a_requeued_created_after_the_session_finished_is_counted_apart_from_order_errors() -> None:
    """A created whose cycle failed comes back last with a new EventId: counted, and not a failure."""
    checker = WebhookChecker(SECRET)
    created = chat_event(so.EVENT_CREATED)
    assert check(checker, render(created, WEBHOOK)).ok  # its cycle failed at the sender's end
    check(checker, render(chat_event(so.EVENT_MESSAGE, ticks=T0 + 5), WEBHOOK))
    check(checker, render(chat_event(so.EVENT_CHANGED, ticks=T0 + 9), WEBHOOK))

    verdict = check(checker, requeued(created))

    assert verdict.ok and verdict.requeued and verdict.out_of_order
    tally = checker.tally
    assert (tally.requeued, tally.requeued_out_of_order) == (1, 1)
    assert dict(tally.problems) == {}
    assert verdict_ok(tally)
    rows = dict(verdict_table(tally))
    assert rows["requeued, behind a later event (NetServer's queue rule)"] == "1"


def test_a_requeued_event_in_order_is_counted_but_not_out_of_order() -> None:
    """A later cycle that still arrives after everything older of its session is only 'requeued'."""
    checker = WebhookChecker(SECRET)
    check(checker, render(chat_event(so.EVENT_CREATED), WEBHOOK))
    message = chat_event(so.EVENT_MESSAGE, ticks=T0 + 5)
    check(checker, render(message, WEBHOOK))

    verdict = check(checker, requeued(message))

    assert verdict.ok and verdict.requeued and not verdict.out_of_order
    assert (checker.tally.requeued, checker.tally.requeued_out_of_order) == (1, 0)


def test_a_second_created_with_other_content_is_still_an_order_error() -> None:
    """Only a known body under a new EventId is excused; a created with new content is a real error."""
    checker = WebhookChecker(SECRET)
    check(checker, render(chat_event(so.EVENT_CREATED), WEBHOOK))
    check(checker, render(chat_event(so.EVENT_MESSAGE, ticks=T0 + 5), WEBHOOK))

    verdict = check(checker, render(chat_event(so.EVENT_CREATED, ticks=T0 + 1), WEBHOOK))

    assert verdict.problems == ("created-not-first", "timestamp-backwards")
    assert not verdict.requeued
    assert checker.tally.requeued_out_of_order == 0


def marked(request: Request, fault: str, *, signature: str | None = None) -> list[tuple[str, str]]:
    headers = with_header(request, FAULT_HEADER, fault)
    return (
        headers
        if signature is None
        else [*with_header(request, so.HEADER_SIGNATURE, signature), *headers[-1:]]
    )


def test_a_marked_probe_with_problems_is_expected_not_failed() -> None:
    """An injected forgery (X-Sosim-Fault: bad-signature) is still judged and rejected, but the tally
    counts it as expected, so the verdict agrees with the run's fault verdicts."""
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    checker = WebhookChecker(SECRET)
    forged = marked(request, "bad-signature", signature=sign(request.body, "forged"))

    verdict = checker.check("POST", forged, request.body)

    assert verdict.problems == ("bad-signature",) and not verdict.ok  # answered 401 as before
    assert verdict.expected == "bad-signature"
    tally = checker.tally
    assert tally.failed == 0 and tally.problems == {} and tally.expected == {"bad-signature": 1}
    assert verdict_ok(tally)
    assert verdict_line(tally).startswith("PASS") and "bad-signature 1" in verdict_line(tally)
    assert ("expected: bad-signature (injected fault)", "1") in verdict_table(tally)


def test_a_forgery_without_the_marker_still_fails() -> None:
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    checker = WebhookChecker(SECRET)
    checker.check(
        "POST", with_header(request, so.HEADER_SIGNATURE, sign(request.body, "forged")), request.body
    )
    assert not verdict_ok(checker.tally)
    assert checker.tally.failed == 1 and checker.tally.expected == {}
    assert verdict_line(checker.tally) == "FAIL: 1 request(s) failed verification"


def test_an_unknown_marker_value_is_judged_as_real_traffic() -> None:
    request = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    checker = WebhookChecker(SECRET)
    checker.check("POST", marked(request, "trust-me", signature="bogus"), request.body)
    assert checker.tally.failed == 1 and checker.tally.expected == {}


def test_a_probe_changes_nothing_the_checker_remembers() -> None:
    """A duplicate probe that overtakes real traffic must not move its session forward: the real
    events after it are judged in their own order, and the original is not taken for a retry."""
    first = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    later = render(chat_event(so.EVENT_MESSAGE, ticks=T0 + 10 * TICKS_PER_SECOND), WEBHOOK)
    middle = render(chat_event(so.EVENT_MESSAGE, ticks=T0 + 5 * TICKS_PER_SECOND), WEBHOOK)
    checker = WebhookChecker(SECRET)

    probe = checker.check("POST", marked(later, "duplicate"), later.body)
    assert probe.ok and probe.probe and not probe.duplicate
    for request in (first, middle, later):
        verdict = check(checker, request)
        assert verdict.ok and not verdict.duplicate, verdict
    again = checker.check("POST", marked(later, "duplicate"), later.body)
    assert again.ok and again.duplicate
    tally = checker.tally
    assert verdict_ok(tally) and tally.probes == 2 and tally.expected == {}


def test_a_marked_reorder_is_real_traffic_whose_disorder_is_expected() -> None:
    created = render(chat_event(so.EVENT_CREATED), WEBHOOK)
    message = render(chat_event(so.EVENT_MESSAGE, ticks=T0 + TICKS_PER_SECOND), WEBHOOK)
    checker = WebhookChecker(SECRET)
    overtaking = checker.check("POST", marked(message, "reorder"), message.body)
    held = checker.check("POST", marked(created, "reorder"), created.body)
    assert overtaking.expected == held.expected == "reorder"
    assert checker.tally.expected == {"reorder": 2} and verdict_ok(checker.tally)
    assert checker.tally.event_ids == 2  # remembered, unlike a probe


def test_a_small_window_forgets_old_event_ids_and_says_so() -> None:
    """With a window of 2, a retry of an EventId 3 events back is not recognised, a reuse of it is not
    detected, and the verdict says both; a reuse inside the window still fails."""
    checker = WebhookChecker(SECRET, window=2)
    requests = [
        render(chat_event(so.EVENT_CREATED, session_id=SESSION + n, ticks=T0 + n), WEBHOOK) for n in range(3)
    ]
    for request in requests:
        assert check(checker, request).ok
    assert checker.tally.forgotten == 1 and checker.tally.event_ids == 3 and checker.tally.sessions == 3

    retry = check(checker, requests[0])  # forgotten: taken for a later delivery cycle, not a problem
    assert retry.ok and not retry.duplicate
    assert check(checker, requests[2]).duplicate  # still inside the window
    reused = chat_event(so.EVENT_CREATED, session_id=SESSION + 2, ticks=T0 + 9, event_id=requests[2].event_id)
    assert EVENT_ID_REUSED in check(checker, render(reused, WEBHOOK)).problems

    tally = checker.tally
    assert ("EventIds forgotten (window 2)", str(tally.forgotten)) in verdict_table(tally)
    assert "older than the last 2 were forgotten" in verdict_caveat(tally)


def test_a_forgotten_session_is_not_taken_for_one_that_skipped_created() -> None:
    checker = WebhookChecker(SECRET, window=1)
    first = render(chat_event(so.EVENT_CREATED, session_id=SESSION), WEBHOOK)
    other = render(chat_event(so.EVENT_CREATED, session_id=SESSION + 1), WEBHOOK)
    later = render(chat_event(so.EVENT_MESSAGE, session_id=SESSION, ticks=T0 + TICKS_PER_SECOND), WEBHOOK)
    for request in (first, other, later):
        assert check(checker, request).ok


def test_the_default_window_forgets_nothing_in_a_normal_run() -> None:
    checker = WebhookChecker(SECRET)
    check(checker, render(chat_event(so.EVENT_CREATED), WEBHOOK))
    assert checker.tally.forgotten == 0 and checker.tally.window == 1_000_000
    assert verdict_caveat(checker.tally) == ""
