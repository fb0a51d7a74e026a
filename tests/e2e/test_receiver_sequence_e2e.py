"""The documented receiver sequence against ``sosim run --serve-api``, over real HTTP on 127.0.0.1.

A small FastAPI receiver under uvicorn does what SuperOffice's docs tell a chat integration to do:
on ``chatsession.message``, ``GET ChatSession/{id}/Messages?after=N``; when a session ends,
``POST ChatSession/{id}/Transcript``; after downtime, ``GET ChatSession?$filter=...&$orderby=...``
(following ``odata.nextLink``) to find the sessions it missed. It is down for the run's first
webhooks (503, and ``--delivery once`` sends them no more), so it must reconcile to end with
every message that sosim generated, each exactly once and in order.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from simulator.core.generate import generate_sessions
from simulator.core.plan import PlanOptions, adjust
from simulator.core.scenario import load_scenarios
from simulator.superoffice import facts as so

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "support-chat.yaml"
SECRET = "sequence-e2e-secret"
SESSIONS = 6
DOWN_FOR = 7  # the first webhooks the receiver misses
ENDED = {int(s) for s in (so.ChatSessionStatus.Finished, so.ChatSessionStatus.Closed)} | {
    int(so.ChatSessionStatus.ClosedFromQueue),
    int(so.ChatSessionStatus.RequestPosted),
    int(so.ChatSessionStatus.Deleted),
}


@dataclass
class Seen:
    """What the receiver learnt: messages per session in the order it fetched them, transcripts."""

    messages: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    transcripts: dict[int, str] = field(default_factory=dict)
    missed_webhooks: int = 0
    down_since: str | None = None  # the first missed webhook's Timestamp
    reconciled: list[int] = field(default_factory=list)  # sessions found through the archive
    reconciled_when: list[str] = field(default_factory=list)  # their whenRequested, as listed
    archive_pages: int = 0


def create_receiver(api_base: str, seen: Seen) -> FastAPI:
    """The receiver: one request at a time, so a reconciliation never races a webhook."""
    app = FastAPI()
    lock = asyncio.Lock()
    headers = {"Authorization": "Bearer receiver-token"}

    @app.post("/webhook")
    async def webhook(request: Request) -> Response:
        event = json.loads(await request.body())
        async with lock:
            if seen.missed_webhooks < DOWN_FOR:  # down: NetServer (here --delivery once) gives up
                seen.missed_webhooks += 1
                seen.down_since = seen.down_since or event["Timestamp"]
                return Response(status_code=503)
            async with httpx.AsyncClient(base_url=f"{api_base}/{event['ContextIdentifier']}/api/v1") as api:
                api.headers.update(headers)
                if seen.down_since is not None:
                    await reconcile(api, seen)
                await handle(api, event, seen)
        return Response(status_code=200)

    return app


async def fetch_messages(api: httpx.AsyncClient, session_id: int, seen: Seen) -> None:
    """GET Messages?after=<the newest id seen>: only what is new."""
    mine = seen.messages.setdefault(session_id, [])
    after = mine[-1]["ChatMessageId"] if mine else 0
    answer = await api.get(f"ChatSession/{session_id}/Messages", params={"after": after})
    answer.raise_for_status()
    mine.extend(answer.json())


async def fetch_transcript(api: httpx.AsyncClient, session_id: int, seen: Seen) -> None:
    answer = await api.post(f"ChatSession/{session_id}/Transcript", params={"html": "false"})
    answer.raise_for_status()
    seen.transcripts[session_id] = answer.json()


async def handle(api: httpx.AsyncClient, event: dict[str, Any], seen: Seen) -> None:
    session_id = event["PrimaryKey"]
    if event["Event"] == so.EVENT_MESSAGE:
        await fetch_messages(api, session_id, seen)
    elif event["Event"] == so.EVENT_CHANGED and event["FieldValues"]["Status"] in ENDED:
        await fetch_messages(api, session_id, seen)
        await fetch_transcript(api, session_id, seen)


async def reconcile(api: httpx.AsyncClient, seen: Seen) -> None:
    """Back up: list the sessions requested since going down, page by page, and catch up on each."""
    assert seen.down_since is not None
    since = seen.down_since[:19]  # the Timestamp to the second, without the zone: a date-time literal
    url: str | None = "ChatSession"
    params: dict[str, str] | None = {
        "$filter": f"whenRequested ge '{since}'",
        "$select": "chatSessionId,status,whenRequested",
        "$orderby": "whenRequested asc",
        "$top": "2",
    }
    while url is not None:
        answer = await api.get(url, params=params)
        answer.raise_for_status()
        page = answer.json()
        seen.archive_pages += 1
        for row in page["value"]:
            session_id = row["chatSessionId"]
            seen.reconciled.append(session_id)
            seen.reconciled_when.append(row["whenRequested"])
            await fetch_messages(api, session_id, seen)
            if row["status"] in ENDED:
                await fetch_transcript(api, session_id, seen)
        url, params = page.get("odata.nextLink"), None
    seen.down_since = None


def transcript_of(messages: list[dict[str, Any]]) -> str:
    """The plain transcript the docs' GetChatTranscript gives for these messages (sosim's layout)."""
    return "\n".join(
        f"{m['WhenPosted']} {m['Author'] + ': ' if m['Author'] else ''}{m['Message']}" for m in messages
    )


def test_a_receiver_following_the_documented_sequence_ends_with_every_message_once_in_order(
    uvicorn_url: Callable[[Any], str], free_port: Callable[[], int]
) -> None:
    """Messages?after=N per webhook, an OData reconcile after downtime and the transcripts give
    exactly the messages sosim generated, in order, none twice."""
    api_url = f"http://127.0.0.1:{free_port()}"
    seen = Seen()
    target = uvicorn_url(create_receiver(api_url, seen)) + "/webhook"
    done = subprocess.run(
        [
            sys.executable, "-m", "simulator", "run", str(SCENARIO), "--sessions", str(SESSIONS),
            "--target", target, "--serve-api", api_url.removeprefix("http://"), "--max-rate",
            "--concurrency", "2", "--delivery", "once", "--scenario-time", "--secret", SECRET, "--quiet",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=dict(os.environ),
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr  # lost requests fail a run only with --fail-if

    scenario = adjust(load_scenarios([str(SCENARIO)])[0], PlanOptions(sessions=SESSIONS))
    plans = list(generate_sessions(scenario))
    assert seen.missed_webhooks == DOWN_FOR
    assert seen.reconciled and seen.archive_pages > 1  # it needed the archive, and paged through it
    assert seen.reconciled_when == sorted(seen.reconciled_when)  # $orderby, across the pages
    assert sorted(seen.messages) == sorted(p.session_id for p in plans)
    for plan in plans:
        got = seen.messages[plan.session_id]
        assert [m["ChatMessageId"] for m in got] == [m.message_id for m in plan.messages]
        assert [(m["Author"], m["Message"]) for m in got] == [(m.author, m.text) for m in plan.messages]
        assert seen.transcripts[plan.session_id] == transcript_of(got)
