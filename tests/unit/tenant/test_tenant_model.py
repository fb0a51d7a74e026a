"""The tenant's Webhook entity, registry and extra events: pure, no network, no clock."""

from __future__ import annotations

import json
from typing import Any

import pytest

from simulator.core.events import Webhook
from simulator.core.signing import verify
from simulator.superoffice import facts as so
from simulator.tenant.events import describe_answer, render_signal, render_state_event, state_event_name
from simulator.tenant.model import (
    WEBHOOK_KEYS,
    ApiProblem,
    WebhookDef,
    apply_patch,
    default_webhook,
    webhook_from_json,
    webhook_json,
)
from simulator.tenant.registry import Change, Registry, Usage

TICKS = 17_676_000_000_000_000  # 2026-01-05T08:00:00Z


def registered(**body: Any) -> WebhookDef:
    """A webhook saved from a POST body (TargetUrl on localhost unless given)."""
    body.setdefault("TargetUrl", "http://127.0.0.1:9/hook")
    return webhook_from_json(body, default_webhook())


def problem(call: Any, *args: Any) -> ApiProblem:
    """The ApiProblem a call raises."""
    with pytest.raises(ApiProblem) as caught:
        call(*args)
    return caught.value


# --- shape -----------------------------------------------------------------------------------------


def test_default_webhook_matches_the_documented_default() -> None:
    """GET Webhook/default answers the documented defaults: contact events, Active, webhook, nulls."""
    body = webhook_json(default_webhook())
    assert list(body) == list(WEBHOOK_KEYS)
    assert body == {
        "WebhookId": 0,
        "Name": None,
        "Events": ["contact.created", "contact.deleted"],
        "TargetUrl": None,
        "Secret": None,
        "State": "Active",
        "Type": "webhook",
        "Headers": None,
        "Properties": None,
        "Registered": "0001-01-01T00:00:00",
        "RegisteredAssociate": None,
        "Updated": "0001-01-01T00:00:00",
        "UpdatedAssociate": None,
        "ErrorsEmail": None,
    }


def test_rest_shape_ends_with_links_and_keeps_the_documented_key_order() -> None:
    """The REST variant adds _Links (Self, Archive) after ErrorsEmail; dates are UTC without offset."""
    hook = WebhookDef(7, "app", ("chatsession.created",), "https://x.test/h", "s", registered_ticks=TICKS)
    body = webhook_json(hook, "http://127.0.0.1:8765/Cust12345/api/v1")
    assert list(body) == [*WEBHOOK_KEYS, "_Links"]
    assert body["_Links"] == {
        "Self": "http://127.0.0.1:8765/Cust12345/api/v1/Webhook/7",
        "Archive": "http://127.0.0.1:8765/Cust12345/api/v1/Webhook",
    }
    assert body["Registered"] == "2026-01-05T08:00:00"
    assert body["Secret"] == "s"  # SuperOffice's GET returns the Secret too


# --- validation ------------------------------------------------------------------------------------


def test_a_registration_body_is_read_case_insensitively_and_keeps_custom_event_names() -> None:
    """Property names match in any case, and event names SuperOffice does not know are allowed."""
    hook = webhook_from_json(
        {
            "name": "app",
            "EVENTS": ["chatsession.message", "foo.bar"],
            "targetUrl": "https://receiver.example/hook",
            "secret": "s3cret",
            "headers": {"X-Tenant": "a"},
            "Properties": {"k": {"v": 1}},
            "WebhookId": 99,
            "Registered": "2000-01-01T00:00:00",
        },
        default_webhook(),
    )
    assert hook.name == "app"
    assert hook.events == ("chatsession.message", "foo.bar")
    assert hook.target_url == "https://receiver.example/hook"
    assert hook.secret == "s3cret"
    assert hook.headers == (("X-Tenant", "a"),)
    assert json.loads(hook.properties or "null") == {"k": {"v": 1}}
    assert hook.webhook_id == 0 and hook.registered_ticks == 0  # server-set fields are ignored


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"TargetUrl": ""}, "TargetUrl is required"),
        ({"TargetUrl": None}, "TargetUrl is required"),
        ({}, "TargetUrl is required"),
        ({"TargetUrl": "not a url"}, "not an absolute http(s) URL"),
        ({"TargetUrl": "ftp://x.test/h"}, "not an absolute http(s) URL"),
        ({"TargetUrl": "https://x.test:port/h"}, "not a valid URL"),
        ({"TargetUrl": 5}, "TargetUrl must be a string"),
        ({"TargetUrl": "http://receiver.example/hook"}, "must use HTTPS"),
        ({"TargetUrl": "https://x.test", "Events": "chatsession.created"}, "Events must be an array"),
        ({"TargetUrl": "https://x.test", "Events": [1]}, "non-empty event names"),
        ({"TargetUrl": "https://x.test", "Events": ["a,b"]}, "contains a comma"),
        ({"TargetUrl": "https://x.test", "Events": ["e" * 4001]}, "longer than 4000"),
        ({"TargetUrl": "https://x.test", "State": "Sleeping"}, "is not one of Unknown, Active"),
        (
            {"TargetUrl": "https://x.test", "State": "Unknown"},
            "State must be Active, Stopped or TooManyErrors",
        ),
        ({"TargetUrl": "https://x.test", "State": True}, "State must be one of"),
        ({"TargetUrl": "https://x.test", "Type": "crmscript"}, "sosim sends HTTP webhooks only"),
        ({"TargetUrl": "https://x.test", "Type": "ftp"}, "is not 'webhook' or 'crmscript'"),
        ({"TargetUrl": "https://x.test", "Headers": ["a"]}, "Headers must be an object"),
        ({"TargetUrl": "https://x.test", "Headers": {"Bad Name": "v"}}, "not a valid HTTP header name"),
        ({"TargetUrl": "https://x.test", "Headers": {"X-A": "v\r\nX-B: w"}}, "contains CR"),
        ({"TargetUrl": "https://x.test", "Headers": {"X-A": 1}}, "must be a string"),
        ({"TargetUrl": "https://x.test", "Secret": 12}, "Secret must be a string or null"),
        ({"TargetUrl": "https://x.test", "Properties": [1]}, "Properties must be an object"),
        ({"TargetUrl": "https://x.test", "Name": "n" * 401}, "Name is longer than 400"),
    ],
)
def test_invalid_bodies_are_refused_with_a_400_naming_the_property(
    body: dict[str, Any], message: str
) -> None:
    """Every wrong value is a 400 ArgumentException that says which property and why."""
    error = problem(webhook_from_json, body, default_webhook())
    assert error.status == 400
    assert error.error_type == "ArgumentException"
    assert message in error.message


def test_http_targets_follow_the_allow_http_option() -> None:
    """http:// is accepted on this machine by default, anywhere with "always", nowhere with "never"."""
    for url in ("http://127.0.0.1:1/h", "http://localhost:1/h", "http://[::1]:1/h"):
        assert webhook_from_json({"TargetUrl": url}, default_webhook()).target_url == url
    remote = {"TargetUrl": "http://receiver.example/h"}
    assert webhook_from_json(remote, default_webhook(), "always").target_url == remote["TargetUrl"]
    assert (
        problem(webhook_from_json, {"TargetUrl": "http://127.0.0.1/h"}, default_webhook(), "never").status
        == 400
    )
    assert webhook_from_json({"TargetUrl": "https://receiver.example/h"}, default_webhook(), "never")


def test_states_are_read_from_names_in_any_case_and_from_numbers() -> None:
    """State accepts "stopped", "TooManyErrors" and the stored integers 1-3."""
    assert registered(State="stopped").state is so.WebhookState.Stopped
    assert registered(State=3).state is so.WebhookState.TooManyErrors
    assert registered(State="1").state is so.WebhookState.Active


def test_an_empty_secret_means_unsigned() -> None:
    """Secret "" is stored as null: requests carry no signature."""
    assert registered(Secret="").secret is None


# --- PATCH -----------------------------------------------------------------------------------------


def test_json_patch_operations_apply_with_case_insensitive_paths() -> None:
    """add/replace/remove with or without the leading slash, in any case, as SuperOffice documents."""
    entity = webhook_json(registered(Events=["a.b"], Headers={"X-A": "1"}, Secret="old"))
    patched = apply_patch(
        entity,
        [
            {"op": "replace", "path": "/state", "value": "Stopped"},
            {"op": "add", "path": "events/-", "value": "c.d"},
            {"op": "add", "path": "/Events/0", "value": "z.z"},
            {"op": "remove", "path": "/HEADERS/X-A"},
            {"op": "add", "path": "/Headers/X-B", "value": "2"},
            {"op": "test", "path": "/Secret", "value": "old"},
            {"op": "replace", "path": "Secret", "value": "new"},
        ],
    )
    assert patched["State"] == "Stopped"
    assert patched["Events"] == ["z.z", "a.b", "c.d"]
    assert patched["Headers"] == {"X-B": "2"}
    assert patched["Secret"] == "new"
    assert entity["Secret"] == "old"  # the input is not changed


def test_json_merge_patch_changes_only_what_it_names() -> None:
    """A merge-patch object sets the properties it names; a null member removes a header."""
    entity = webhook_json(registered(Headers={"X-A": "1", "X-B": "2"}, Name="app"))
    patched = apply_patch(entity, {"state": "Active", "Headers": {"X-A": None, "X-C": "3"}})
    assert patched["Headers"] == {"X-B": "2", "X-C": "3"}
    assert patched["Name"] == "app"


@pytest.mark.parametrize(
    ("patch", "status", "message"),
    [
        ([{"op": "move", "from": "/Name", "path": "/Secret"}], 400, "'move' is not supported"),
        ([{"op": "copy", "from": "/Name", "path": "/Secret"}], 400, "'copy' is not supported"),
        ([{"op": "jump", "path": "/Name"}], 400, "op must be add, replace, remove or test"),
        ([{"op": "replace", "path": "/Colour", "value": 1}], 400, "no property 'Colour'"),
        ([{"op": "replace", "path": "/State"}], 400, "replace needs a value"),
        ([{"op": "replace", "path": ""}], 400, "path must name a Webhook property"),
        ([{"op": "replace", "path": "/Events/9", "value": "x"}], 400, "no such index"),
        ([{"op": "remove", "path": "/Headers/X-None"}], 400, "has no 'X-None'"),
        ([{"op": "add", "path": "/Name/x", "value": 1}], 400, "Name has no members"),
        ([{"op": "add", "path": "/Headers/a/b", "value": 1}], 400, "too deep"),
        (["replace"], 400, "is not an object"),
        ("State=Active", 400, "JSON Patch array or a JSON Merge Patch object"),
        ([{"op": "test", "path": "/State", "value": "Stopped"}], 409, "test failed"),
    ],
)
def test_bad_patches_are_refused_and_a_failed_test_is_a_conflict(
    patch: Any, status: int, message: str
) -> None:
    """Unsupported or malformed operations get a 400; a failing "test" operation a 409."""
    error = problem(apply_patch, webhook_json(registered()), patch)
    assert (error.status, message in error.message) == (status, True)


# --- registry --------------------------------------------------------------------------------------


def test_registry_ids_count_up_and_are_never_reused() -> None:
    """Each registration gets the next id, stamped Registered; a deleted id is not handed out again."""
    registry = Registry(now_ticks=lambda: TICKS)
    first = registry.create(registered(Name="a"))
    second = registry.create(registered(Name="b"))
    assert (first.webhook_id, second.webhook_id) == (1, 2)
    assert first.registered_ticks == TICKS
    assert registry.delete(1) == first
    assert registry.delete(1) is None
    assert registry.create(registered()).webhook_id == 3


def test_registry_filters_like_get_all_webhooks() -> None:
    """nameFilter and eventFilter match exactly (any case); statusFilter Unknown means no filter."""
    registry = Registry()
    registry.create(registered(Name="App", Events=["chatsession.created"]))
    registry.create(registered(Name="other", Events=["chatsession.message"], State="Stopped"))
    assert [h.name for h in registry.find(name="app")] == ["App"]
    assert [h.name for h in registry.find(event="CHATSESSION.MESSAGE")] == ["other"]
    assert registry.find(event="chatsession") == []  # no wildcards, no prefixes
    assert [h.name for h in registry.find(state=so.WebhookState.Stopped)] == ["other"]
    assert len(registry.find(state=so.WebhookState.Unknown)) == 2


def test_registry_tells_listeners_each_change_in_order() -> None:
    """Listeners see created, updated (with before and after) and deleted, as they happen."""
    registry = Registry()
    seen: list[Change] = []
    registry.subscribe(seen.append)
    hook = registry.create(registered())
    assert registry.set_state(hook.webhook_id, so.WebhookState.Active, "api", "same") is None
    registry.set_state(hook.webhook_id, so.WebhookState.TooManyErrors, "engine", "9 failures")
    registry.rotate_secret(hook.webhook_id, "new", "schedule")
    registry.delete(hook.webhook_id)
    assert [(c.kind, c.source) for c in seen] == [
        ("created", "api"),
        ("updated", "engine"),
        ("updated", "schedule"),
        ("deleted", "api"),
    ]
    assert seen[1].state_changed and not seen[1].secret_changed
    assert seen[2].secret_changed and seen[2].after is not None and seen[2].after.secret == "new"


def test_usage_keeps_the_last_error_cut_to_4000_characters() -> None:
    """A failed attempt keeps its answer (at most 4,000 characters); a success resets the run of errors."""
    registry = Registry()
    hook = registry.create(registered())
    registry.record_attempt(hook.webhook_id, False, "x" * 5000)
    registry.record_attempt(hook.webhook_id, False, "HTTP/1.1 500")
    assert registry.usage(hook.webhook_id) == Usage(2, 2, 2, "HTTP/1.1 500")
    registry.record_attempt(hook.webhook_id, True)
    assert registry.usage(hook.webhook_id) == Usage(3, 2, 0, "HTTP/1.1 500")
    registry.record_attempt(hook.webhook_id, False, "y" * 5000)
    assert len(registry.usage(hook.webhook_id).last_error) == 4000


# --- the extra events ------------------------------------------------------------------------------


def test_state_event_names_the_webhook_in_the_header_and_not_in_the_body() -> None:
    """webhook7.errors goes out as X-SuperOffice-Event webhook7.errors with body Event webhook.errors,
    no Entity, the documented FieldValues and the receiving webhook's name and signature."""
    source = WebhookDef(
        7, "broken", target_url="https://x.test", state=so.WebhookState.TooManyErrors, registered_ticks=TICKS
    )
    receiver = Webhook(name="watcher", secret="w-secret")
    request = render_state_event(receiver, source, Usage(12, 9, 9, "HTTP/1.1 500"), "e-1", TICKS)
    body = json.loads(request.body)
    assert request.header(so.HEADER_EVENT) == "webhook7.errors"
    assert list(body) == [
        "EventId",
        "Timestamp",
        "Changes",
        "Event",
        "PrimaryKey",
        "ContextIdentifier",
        "ChangedByAssociateId",
        "WebhookName",
        "FieldValues",
    ]
    assert (body["Event"], body["PrimaryKey"], body["WebhookName"]) == ("webhook.errors", 7, "watcher")
    assert body["FieldValues"] == {
        "events": 12,
        "registered": "2026-01-05T08:00:00.0000000+00:00",
        "registered_associate_id": 0,
        "state": 2,
        "updated": "0001-01-01T00:00:00",
        "updated_associate_id": 0,
    }
    assert verify(request.body, "w-secret", request.header(so.HEADER_SIGNATURE))
    enum_body = json.loads(render_state_event(receiver, source, Usage(), "e-2", TICKS, "enum").body)
    assert enum_body["FieldValues"]["state"] == 3


def test_each_state_has_its_event_name() -> None:
    """Active fires .started, Stopped .stopped, TooManyErrors .errors, Unknown nothing."""
    assert [state_event_name(3, s) for s in so.WebhookState] == [
        None,
        "webhook3.started",
        "webhook3.stopped",
        "webhook3.errors",
    ]


def test_a_signalled_event_carries_its_data_as_field_values() -> None:
    """POST Webhook/foo.bar/12 with data: Event foo.bar, Entity foo, PrimaryKey 12, data as FieldValues."""
    request = render_signal(Webhook(name="app", secret="s"), "foo.bar", 12, {"a": 1}, "e-3", TICKS)
    body = json.loads(request.body)
    assert (body["Event"], body["Entity"], body["PrimaryKey"], body["FieldValues"]) == (
        "foo.bar",
        "foo",
        12,
        {"a": 1},
    )
    assert request.header(so.HEADER_EVENT) == "foo.bar"
    assert "FieldValues" not in json.loads(render_signal(Webhook(), "x.y", 0, None, "e-4", TICKS).body)


def test_a_described_answer_has_status_line_headers_and_body_within_4000_characters() -> None:
    """LastError text: 'HTTP/1.1 500 Internal Server Error', the headers, a blank line, the body."""
    text = describe_answer(500, (("Content-Type", "text/plain"),), b"boom")
    assert text == "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nboom"
    assert len(describe_answer(500, (), b"x" * 10_000)) == 4000


def test_no_secret_shows_in_a_webhook_repr() -> None:
    """Printing a stored webhook (a log line, a failed assertion) never shows its secret."""
    assert "s3cret" not in repr(registered(Secret="s3cret"))


def test_the_banner_says_what_the_tenant_waits_for() -> None:
    """--wait-for-webhooks 0 plays at once: the banner says so instead of "waiting for 0"."""
    from simulator.tenant.run import wait_banner

    api = "http://127.0.0.1:8123/api/v1"
    assert wait_banner(2, api) == (
        f"  waiting for 2 webhook(s): POST {api}/Webhook with Authorization: Bearer <any token>"
    )
    zero = wait_banner(0, api)
    assert "waiting for 0" not in zero
    assert zero.startswith("  playing at once (--wait-for-webhooks 0)") and f"POST {api}/Webhook" in zero
