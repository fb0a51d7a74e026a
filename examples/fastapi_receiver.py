"""A tiny SuperOffice chat webhook receiver (FastAPI), as the README's pytest example tests it.

It does what a real receiver must: verify ``X-SuperOffice-Signature`` over the raw body, and on
``chatsession.message`` call SuperOffice back for the new messages (the webhook names the
session, never the message), keeping the newest one per session.

    uvicorn --factory examples.fastapi_receiver:app_from_env
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response


def signature_ok(body: bytes, secret: str, signature: str | None) -> bool:
    """Check the webhook signature: base64 of HMAC-SHA256 over the exact body bytes."""
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return signature is not None and hmac.compare_digest(expected, signature.strip())


def create_app(*, secret: str, api_base: str, token: str) -> FastAPI:
    """The receiver: ``api_base`` is the SuperOffice host (``https://sod.superoffice.com``)."""
    app = FastAPI()
    newest: dict[int, dict[str, Any]] = {}  # ChatSessionId -> newest ChatMessage
    seen: dict[int, list[int]] = {}  # ChatSessionId -> ChatMessageIds fetched, in order
    app.state.newest, app.state.seen = newest, seen

    @app.post("/webhook")
    async def webhook(request: Request) -> Response:
        body = await request.body()
        if not signature_ok(body, secret, request.headers.get("X-SuperOffice-Signature")):
            return Response(status_code=401)
        event = json.loads(body)
        if event["Event"] == "chatsession.message":
            session_id = event["PrimaryKey"]
            after = seen.get(session_id, [0])[-1]
            url = f"{api_base}/{event['ContextIdentifier']}/api/v1/ChatSession/{session_id}/Messages"
            async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as client:
                answer = await client.get(url, params={"after": after})
            answer.raise_for_status()
            for message in answer.json():
                seen.setdefault(session_id, []).append(message["ChatMessageId"])
                newest[session_id] = message
        return Response(status_code=200)

    return app


def app_from_env() -> FastAPI:
    """Build the receiver from SOSIM_SECRET, SUPEROFFICE_API_BASE and SUPEROFFICE_TOKEN."""
    return create_app(
        secret=os.environ["SOSIM_SECRET"],
        api_base=os.environ.get("SUPEROFFICE_API_BASE", "https://sod.superoffice.com"),
        token=os.environ["SUPEROFFICE_TOKEN"],
    )
