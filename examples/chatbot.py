"""A tiny chatbot for SuperOffice chat (FastAPI), the one the "load-test your chatbot" tutorial runs.

On each ``chatsession.message`` webhook it verifies the signature, fetches the new messages from
the chat API, and answers each customer message, or hands the chat to a person (a reset to the
queue) when the customer asks for a human. It logs when it got each webhook and when it wrote.

    SOSIM_SECRET=s3cret SUPEROFFICE_API=http://127.0.0.1:8765 uvicorn --factory examples.chatbot:app_from_env
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time

import httpx
from fastapi import BackgroundTasks, FastAPI, Request, Response


def signature_ok(body: bytes, secret: str, signature: str | None) -> bool:
    """Base64 of HMAC-SHA256 over the exact body bytes, as SuperOffice signs."""
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return signature is not None and hmac.compare_digest(expected, signature.strip())


def create_app(
    *, secret: str, api: str, token: str = "bot-token", log: list[dict[str, object]] | None = None
) -> FastAPI:
    """The bot; ``api`` is the SuperOffice host, ``log`` collects what it did and when."""
    app = FastAPI()
    client = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=10)
    last_seen: dict[int, int] = {}  # ChatSessionId -> newest ChatMessageId fetched
    done = log if log is not None else []
    app.state.log = done

    async def answer(event: dict[str, object], received: float) -> None:
        session_id = int(event["PrimaryKey"])  # type: ignore[call-overload]
        base = f"{api}/{event['ContextIdentifier']}/api/v1/ChatSession/{session_id}"
        messages = (
            await client.get(f"{base}/Messages", params={"after": last_seen.get(session_id, 0)})
        ).json()
        for message in messages:
            last_seen[session_id] = max(last_seen.get(session_id, 0), message["ChatMessageId"])
            if message["Type"] != "ToUser":  # only the customer's messages need an answer
                continue
            if "human" in message["Message"].lower():
                wrote = time.time()
                await client.post(f"{base}/Reset")
            else:
                wrote = time.time()
                reply = {
                    "Type": "ToCustomer",
                    "Author": "Botty",
                    "Message": f"You said: {message['Message'][:40]}",
                }
                await client.post(f"{base}/Messages", json=reply)
            done.append(
                {
                    "session": session_id,
                    "message": message["ChatMessageId"],
                    "received": received,
                    "wrote": wrote,
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
            background.add_task(answer, event, received)  # answer after the 200: NetServer waits for it
        return Response(status_code=200)

    return app


def app_from_env() -> FastAPI:
    """Build the bot from SOSIM_SECRET and SUPEROFFICE_API (default http://127.0.0.1:8765)."""
    return create_app(
        secret=os.environ["SOSIM_SECRET"], api=os.environ.get("SUPEROFFICE_API", "http://127.0.0.1:8765")
    )
