"""sosim's pytest plugin, loaded exactly as a user's project loads it: through the installed pytest11
entry point, in a separate pytest process run by pytester."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = '''
import json

import httpx
import pytest

from simulator.testing.plugin import assert_signed
from simulator.servers.receiver import ReceiverConfig, ReceiverThread

SECRET = "user-secret"
INLINE = """
name: user-inline
seed: 3
webhook: {secret: user-secret, context_identifier: Cust555}
arrivals: {sessions: 2}
flow: {queue: {abandon_probability: 0}, conversation: {turns: 2}}
"""


def test_plugin_comes_from_the_entry_point(request):
    plugin = request.config.pluginmanager.get_plugin("sosim")
    assert plugin is not None and plugin.__name__ == "simulator.testing.plugin"


def test_scenarios_are_deterministic_and_take_files_and_overrides(sosim_scenario, tmp_path):
    first, again = sosim_scenario(INLINE), sosim_scenario(INLINE)
    assert [r.body for r in first.requests] == [r.body for r in again.requests]
    assert sosim_scenario(INLINE, seed=4).requests[1].body != first.requests[1].body
    path = tmp_path / "scenario.yaml"
    path.write_text(INLINE)
    one = sosim_scenario(str(path), overrides={"arrivals.sessions": 1, "webhook": {"name": "renamed"}})
    assert len(one.plans) == 1 and one.session_ids == first.session_ids[:1]
    assert json.loads(one.requests[0].body)["WebhookName"] == "renamed"
    assert json.loads(one.requests[0].body)["ContextIdentifier"] == "Cust555"
    assert len(sosim_scenario().plans) == 1


def test_deliver_to_an_asgi_app_in_process(sosim_scenario, sosim_deliver):
    sim = sosim_scenario(INLINE)
    received = []

    async def app(scope, receive, send):
        message = await receive()
        received.append((dict((k.decode(), v.decode()) for k, v in scope["headers"]), message["body"]))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    result = sosim_deliver(app, sim)
    assert result.statuses == [200] * len(sim.requests)
    assert sorted(result.delivered_ids) == sorted(r.event_id for r in sim.requests)
    assert all(latency >= 0 for latency in result.latencies)
    for headers, body in received:
        assert_signed(body, SECRET, headers)


def test_deliver_to_a_wsgi_app_with_netserver_retries_in_virtual_time(sosim_scenario, sosim_deliver):
    sim = sosim_scenario(INLINE, sessions=1)
    attempts = {}

    def app(environ, start_response):
        event_id = environ["HTTP_X_SUPEROFFICE_EVENTID"]
        attempts[event_id] = attempts.get(event_id, 0) + 1
        status = "200 OK" if attempts[event_id] > 1 else "503 Service Unavailable"
        start_response(status, [("Content-Type", "text/plain")])
        return [b""]

    result = sosim_deliver(app, sim, policy="netserver")
    assert result.statuses == [503, 200] * len(sim.requests)
    assert result[1].request.header("X-SuperOffice-Retry") == "1"
    assert sorted(result.delivered_ids) == sorted(r.event_id for r in sim.requests)


def test_an_exception_in_the_app_is_reported_not_raised(sosim_scenario, sosim_deliver):
    async def app(scope, receive, send):
        raise KeyError("no such session")

    result = sosim_deliver(app, sosim_scenario(INLINE, sessions=1))
    assert result.statuses == [None] * len(result)
    assert "KeyError" in result[0].error and result.delivered_ids == []


def test_deliver_to_a_url(sosim_scenario, sosim_deliver):
    sim = sosim_scenario(INLINE)
    with ReceiverThread(ReceiverConfig(secret=SECRET)) as receiver:
        result = sosim_deliver(receiver.url + "webhook", sim)
    assert set(result.statuses) == {200}
    assert receiver.checker.tally.received == len(sim.requests)


def test_api_serves_what_was_delivered_to_callbacks(sosim_scenario, sosim_deliver, sosim_api):
    sim = sosim_scenario(INLINE)
    fetched = []

    async def app(scope, receive, send):
        event = json.loads((await receive())["body"])
        if event["Event"] == "chatsession.message":
            url = f"{sosim_api.url(event['ContextIdentifier'])}/ChatSession/{event['PrimaryKey']}/Messages"
            async with httpx.AsyncClient(headers=sosim_api.headers) as client:
                fetched.append((await client.get(url)).json()[-1]["ChatMessageId"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    sosim_deliver(app, sim)
    assert sorted(fetched) == sorted(m.message_id for m in sim.messages)
    session = sim.session_ids[0]
    answer = httpx.get(f"{sosim_api.url('Cust555')}/ChatSession/{session}", headers=sosim_api.headers)
    assert answer.json()["Status"] in ("Finished", "Closed")
    assert httpx.get(f"{sosim_api.url('Cust555')}/ChatSession/{session}").status_code == 401


def test_api_can_hold_a_final_state_without_delivery(sosim_scenario, sosim_api):
    sim = sosim_scenario(INLINE)
    sosim_api.load(sim)
    with httpx.Client(base_url=sosim_api.url("Cust555"), headers=sosim_api.headers) as client:
        messages = client.get(f"/ChatSession/{sim.session_ids[1]}/Messages", params={"after": 0}).json()
    assert [m["ChatMessageId"] for m in messages] == [m.message_id for m in sim.plans[1].messages]


def test_assert_signed_explains_a_bad_signature(sosim_scenario):
    request = sosim_scenario(INLINE).requests[0]
    assert_signed(request, SECRET)
    assert_signed(httpx.Request("POST", "http://x", headers=request.headers, content=request.body), SECRET)
    with pytest.raises(AssertionError, match="does not match the body"):
        assert_signed(request, "another-secret")
    with pytest.raises(AssertionError, match="no X-SuperOffice-Signature"):
        assert_signed(b"{}", SECRET, {"Content-Type": "application/json"})
'''


def test_fixtures_work_in_a_users_project(pytester: pytest.Pytester) -> None:
    """A user's test file gets sosim_scenario, sosim_deliver, sosim_api and assert_signed from the install."""
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=9)


def test_disabling_the_entry_point_removes_the_fixtures(pytester: pytest.Pytester) -> None:
    """The fixtures come from the pytest11 entry point named sosim: -p no:sosim turns them off."""
    pytester.makepyfile(test_user="def test_uses(sosim_scenario):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:sosim", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'sosim_scenario' not found*"])
