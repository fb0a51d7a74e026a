"""Rendering: the exact bytes and headers NetServer sends, and every documented option."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from simulator.core.events import (
    ChatMessage,
    Event,
    PayloadOptions,
    SessionFields,
    Webhook,
    body_bytes,
    format_timestamp,
    payload,
    render,
    render_test,
    serialize,
)
from simulator.core.signing import verify
from simulator.superoffice import facts as so

# 2018-04-24T08:18:42.0898950Z in 100 ns ticks since the Unix epoch
TICKS = 1524557922 * 10_000_000 + 898950
EVENT_ID = "e87ac619-c864-4881-89eb-07ca5521ee2c"
FIELDS = SessionFields(
    alert_level=0,
    chatbot_is_active=False,
    consented=False,
    contact_id=21,
    customer_alias="Kari",
    customer_id=12,
    project_id=5,
    rating=0,
    sale_id=0,
    status=so.ChatSessionStatus.InQueue,
    ticket_id=0,
    topic_id=3,
    user_id=0,
)
CREATED = Event(so.EVENT_CREATED, 178105, TICKS, EVENT_ID, 316, FIELDS)
MESSAGE = Event(
    so.EVENT_MESSAGE,
    178105,
    TICKS,
    EVENT_ID,
    316,
    FIELDS,
    so.MESSAGE_CHANGES,
    ChatMessage(7, 178105, so.ChatMessageType.ToUser, "Hei", "Kari", ticks=TICKS),
)
WEBHOOK = Webhook(name="Name you provided", context_identifier="Cust12345", secret="s3cret")

GOLDEN_CREATED = (
    b'{"EventId":"e87ac619-c864-4881-89eb-07ca5521ee2c","Timestamp":"2018-04-24T08:18:42.089895Z",'
    b'"Changes":[],"Event":"chatsession.created","PrimaryKey":178105,"Entity":"chatsession",'
    b'"ContextIdentifier":"Cust12345","ChangedByAssociateId":316,"WebhookName":"Name you provided",'
    b'"FieldValues":{"AlertLevel":0,"ChatbotIsactive":false,"Consented":false,"ContactId":"21",'
    b'"CustomerAlias":"Kari","CustomerId":"12","ProjectId":5,"Rating":0,"SaleId":0,"Status":4,'
    b'"TicketId":0,"TopicId":3,"UserId":0}}'
)


def test_created_body_is_byte_exact() -> None:
    """A created event renders to exactly the documented keys, order, types and compact JSON."""
    assert render(CREATED, WEBHOOK).body == GOLDEN_CREATED


def test_payload_key_order_and_types_follow_the_seed_page() -> None:
    """Keys come in NetServer's order; ContactId/CustomerId are strings, other ids ints, bools JSON bools."""
    body = json.loads(render(CREATED, WEBHOOK).body)
    assert list(body) == list(so.PAYLOAD_KEYS)
    assert list(body["FieldValues"]) == list(so.FIELD_VALUE_KEYS)
    values = body["FieldValues"]
    assert isinstance(values["ContactId"], str) and isinstance(values["CustomerId"], str)
    assert isinstance(values["TopicId"], int) and isinstance(values["ChatbotIsactive"], bool)


def test_message_lists_documented_changes() -> None:
    """chatsession.message carries the 14 documented field names in Changes, and no text."""
    body = json.loads(render(MESSAGE, WEBHOOK).body)
    assert body["Changes"] == list(so.MESSAGE_CHANGES)
    assert len(body["Changes"]) == 14
    assert "Hei" not in render(MESSAGE, WEBHOOK).body.decode()


def test_headers_are_netserver_headers_and_signature_verifies() -> None:
    """Headers match the seed page and the signature verifies over the exact body."""
    request = render(CREATED, WEBHOOK)
    names = [name for name, _ in request.headers]
    assert names == [
        "Content-Type",
        "User-Agent",
        "X-SuperOffice-Event",
        "X-SuperOffice-EventId",
        "X-SuperOffice-Signature",
    ]
    assert request.header("content-type") == "application/json; charset=utf-8"
    assert request.header("User-Agent") == "NetServer-Webhook/8.8.6684.1719"
    assert request.header("X-SuperOffice-EventId") == EVENT_ID == json.loads(request.body)["EventId"]
    assert verify(request.body, "s3cret", request.header("X-SuperOffice-Signature"))


def test_no_signature_without_secret() -> None:
    """Without a secret, no X-SuperOffice-Signature header is sent."""
    request = render(CREATED, WEBHOOK.with_secret(None))
    assert request.header("X-SuperOffice-Signature") is None


def test_extra_webhook_headers_and_version() -> None:
    """The webhook's own headers are added and the NetServer version is configurable."""
    webhook = replace(WEBHOOK, headers=(("X-Env", "ci"),), netserver_version="10.4.1")
    request = render(CREATED, webhook)
    assert request.header("X-Env") == "ci"
    assert request.header("User-Agent") == "NetServer-Webhook/10.4.1"


def test_test_event_has_hook_test_header() -> None:
    """The registration ping is event 'test', PrimaryKey 0, Entity test, with X-Hook-Test: true."""
    request = render_test(WEBHOOK, EVENT_ID, TICKS, 316)
    body = json.loads(request.body)
    assert request.header("X-Hook-Test") == "true"
    assert (body["Event"], body["Entity"], body["PrimaryKey"]) == ("test", "test", 0)
    assert "FieldValues" not in body
    assert verify(request.body, "s3cret", request.header("X-SuperOffice-Signature"))


def test_timestamp_default_is_trimmed_like_the_documented_examples() -> None:
    """By default Timestamps drop trailing zeros (the seed example's 6 digits) and a bare '.'."""
    assert format_timestamp(TICKS) == "2018-04-24T08:18:42.089895Z"
    assert format_timestamp(1524557922 * 10_000_000) == "2018-04-24T08:18:42Z"
    assert format_timestamp(1524557922 * 10_000_000 + 5158) == "2018-04-24T08:18:42.0005158Z"
    assert PayloadOptions().timestamp_digits == "trim"


def test_timestamp_seven_digits_stays_an_option() -> None:
    """timestamp_digits: '7' keeps the fixed 7-digit fraction, zeros included."""
    assert format_timestamp(TICKS, "7") == "2018-04-24T08:18:42.0898950Z"
    assert format_timestamp(1524557922 * 10_000_000, "7") == "2018-04-24T08:18:42.0000000Z"
    webhook = replace(WEBHOOK, payload=PayloadOptions(timestamp_digits="7"))
    assert json.loads(render(CREATED, webhook).body)["Timestamp"] == "2018-04-24T08:18:42.0898950Z"


OPTION_CASES = [
    PayloadOptions(),
    PayloadOptions(field_value_keys="camel"),
    PayloadOptions(id_types="int", booleans="int"),
    PayloadOptions(customer_alias="int"),
    PayloadOptions(field_values_on=frozenset({so.EVENT_CREATED})),
    PayloadOptions(changed_changes="fields"),
    PayloadOptions(timestamp_digits="7"),
]


@pytest.mark.parametrize("options", OPTION_CASES)
@pytest.mark.parametrize(
    "event", [CREATED, MESSAGE, CREATED._replace(name=so.EVENT_CHANGED, changes=("Status",))]
)
def test_fast_path_equals_json_dumps(options: PayloadOptions, event: Event) -> None:
    """The hand-joined compact body is byte-identical to json.dumps of the same payload."""
    webhook = replace(WEBHOOK, payload=options)
    assert body_bytes(event, webhook) == serialize(payload(event, webhook))


def test_options_change_the_payload() -> None:
    """Each §6 option does what the README says."""

    def fv(**kw: object) -> dict[str, object]:
        webhook = replace(WEBHOOK, payload=PayloadOptions(**kw))  # type: ignore[arg-type]
        return json.loads(render(CREATED, webhook).body).get("FieldValues", {})  # type: ignore[no-any-return]

    assert "alertLevel" in fv(field_value_keys="camel")
    assert fv(id_types="int")["ContactId"] == 21
    assert fv(booleans="int")["Consented"] == 0
    assert fv(customer_alias="int")["CustomerAlias"] == 0
    assert fv(field_values_on=frozenset({so.EVENT_MESSAGE})) == {}
    changed = CREATED._replace(name=so.EVENT_CHANGED, changes=("Status", "UserId"))
    default_changes = json.loads(render(changed, WEBHOOK).body)["Changes"]
    listed = json.loads(
        render(changed, replace(WEBHOOK, payload=PayloadOptions(changed_changes="fields"))).body
    )
    assert default_changes == [] and listed["Changes"] == ["Status", "UserId"]


def test_reference_header_spelling() -> None:
    """header_spelling 'reference' emits X-Superoffice-Eventid as the reference pages print it."""
    request = render(CREATED, replace(WEBHOOK, payload=PayloadOptions(header_spelling="reference")))
    names = [name for name, _ in request.headers]
    assert "X-Superoffice-Eventid" in names and "X-Superoffice-Signature" in names


def test_indented_layout_and_overrides() -> None:
    """Indented bodies are 2-space JSON; overrides replace top-level and FieldValues fields."""
    options = PayloadOptions(
        body_layout="indented",
        overrides=(("*", "ContextIdentifier", "Default"), (so.EVENT_CREATED, "FieldValues.AlertLevel", 2)),
    )
    request = render(CREATED, replace(WEBHOOK, payload=options))
    assert request.body.startswith(b'{\n  "EventId": ')
    body = json.loads(request.body)
    assert body["ContextIdentifier"] == "Default" and body["FieldValues"]["AlertLevel"] == 2
    assert verify(request.body, "s3cret", request.header("X-SuperOffice-Signature"))


def test_strict_json_without_trailing_commas() -> None:
    """Bodies are strict JSON: the seed page's trailing commas are never reproduced."""
    text = render(MESSAGE, WEBHOOK).body.decode()
    assert ",]" not in text and ",}" not in text
    json.loads(text)


def test_non_ascii_is_sent_as_utf8() -> None:
    """Non-ASCII text is UTF-8, not \\u-escaped, as .NET sends it."""
    webhook = replace(WEBHOOK, name="Kundeservice Ødegård")
    body = render(CREATED, webhook).body
    assert "Ødegård".encode() in body and b"\\u" not in body


def test_event_id_override_keeps_header_and_body_in_step() -> None:
    """A new EventId (new delivery cycle) changes body and header together and is re-signed."""
    request = render(CREATED, WEBHOOK, event_id="11111111-2222-4333-8444-555555555555")
    assert json.loads(request.body)["EventId"] == request.header("X-SuperOffice-EventId") == request.event_id
    assert verify(request.body, "s3cret", request.header("X-SuperOffice-Signature"))


def test_properties_follow_the_documented_keys_on_both_render_paths_and_are_signed() -> None:
    """Webhook.properties: extra top-level keys after FieldValues, documented keys win (any case),
    the fast path equals json.dumps, the test ping carries them and the signature covers them."""
    hooked = replace(WEBHOOK, properties='{"fieldName":{},"Ort":"Bø","PRIMARYKEY":9}')
    sent = render(CREATED, hooked)
    assert sent.body == GOLDEN_CREATED[:-1] + ',"fieldName":{},"Ort":"Bø"}'.encode()
    assert sent.body == serialize(payload(CREATED, hooked))
    assert verify(sent.body, "s3cret", sent.header("X-SuperOffice-Signature"))
    indented = replace(hooked, payload=PayloadOptions(body_layout="indented"))
    assert list(json.loads(render(MESSAGE, indented).body))[-2:] == ["fieldName", "Ort"]
    ping = render_test(hooked, EVENT_ID, TICKS)
    assert json.loads(ping.body)["Ort"] == "Bø"
    assert verify(ping.body, "s3cret", ping.header("X-SuperOffice-Signature"))
