"""A tiny chatbot for SuperOffice chat (FastAPI), the one the "load-test your chatbot" tutorial runs.

On each ``chatsession.message`` it verifies the signature, fetches the new messages from the
chat API, and answers each customer message, or hands the chat to a person (a reset to the
queue) when the customer asks for a human. ``app.state.log`` keeps, for each answer, the webhook
that led to it, the message it answered, when that webhook came, when the answer was written and
when the API had taken it.

    pip install -e '.[examples]'  # FastAPI and uvicorn
    SOSIM_SECRET=s3cret uvicorn --app-dir examples --factory chatbot:app_from_env --port 8000
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from typing import Any

import httpx
from fastapi import BackgroundTasks, FastAPI, Request, Response


def signature_ok(body: bytes, secret: str, signature: str | None) -> bool:
    """Base64 of HMAC-SHA256 over the exact body bytes, as SuperOffice signs."""
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return signature is not None and hmac.compare_digest(expected, signature.strip())


def create_app(*, secret: str, api: str, token: str = "bot-token") -> FastAPI:
    """The bot; ``api`` is where the chat API lives (SuperOffice's host, or sosim's --serve-api)."""
    app = FastAPI()
    # No pool timeout: under load, calls wait for a connection instead of failing.
    client = httpx.AsyncClient(
        headers={"Authorization": f"Bearer {token}"}, timeout=httpx.Timeout(30, pool=None)
    )
    newest: dict[int, int] = {}  # ChatSessionId -> the newest ChatMessageId fetched
    handed_off: set[int] = set()  # sessions a person has now: the bot keeps quiet
    app.state.log = log = []

    async def answer(event: dict[str, Any], received: float) -> None:
        session = f"{api}/{event['ContextIdentifier']}/api/v1/ChatSession/{event['PrimaryKey']}"
        after = newest.get(event["PrimaryKey"], 0)
        fetched = await client.get(f"{session}/Messages", params={"after": after})
        fetched.raise_for_status()  # a session the API does not know is a 404, not a list
        for message in fetched.json():
            newest[event["PrimaryKey"]] = max(after, message["ChatMessageId"])
            if message["Type"] != "ToUser" or event["PrimaryKey"] in handed_off:
                continue  # only the customer's messages need an answer, and only from the bot
            wrote, kind = time.time(), "reset" if "human" in message["Message"].lower() else "reply"
            if kind == "reset":
                handed_off.add(event["PrimaryKey"])
                await client.post(f"{session}/Reset")  # hand the chat to a person
            else:
                text = f"Thanks! About '{message['Message'][:40]}': here is what I found."
                await client.post(f"{session}/Messages", json={"Type": "ToCustomer", "Message": text})
            log.append(
                {
                    "trigger": event["EventId"],
                    "kind": kind,
                    "session": event["PrimaryKey"],
                    "answered": message["ChatMessageId"],
                    "received": received,
                    "wrote": wrote,
                    "posted": time.time(),
                }
            )

    @app.post("/webhook")
    async def webhook(request: Request, background: BackgroundTasks) -> Response:
        received = time.time()
        body = await request.body()
        if not signature_ok(body, secret, request.headers.get("X-SuperOffice-Signature")):
            return Response(status_code=401)
        event = json.loads(body)
        if event["Event"] == "chatsession.message":
            background.add_task(answer, event, received)  # after the 200: NetServer waits for it
        return Response(status_code=200)

    return app


def app_from_env() -> FastAPI:
    """The bot with SOSIM_SECRET, and SUPEROFFICE_API (default: sosim's http://127.0.0.1:8765)."""
    return create_app(
        secret=os.environ["SOSIM_SECRET"], api=os.environ.get("SUPEROFFICE_API", "http://127.0.0.1:8765")
    )
