"""Locust peer for ``python -m bench.peers``: a signed chatsession.message built per request.

The same payload and signature as webhook.js (k6): base64 HMAC-SHA256 of the exact body bytes in
X-SuperOffice-Signature.

    locust -f bench/peers/locustfile.py --headless -u 32 -r 32 -t 8s --host http://127.0.0.1:8080
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
import uuid
from datetime import UTC, datetime

from locust import FastHttpUser, constant, task

SECRET = os.environ.get("SOSIM_SECRET", "change-me").encode()
PATH = os.environ.get("BENCH_PATH", "/webhook")
ALIASES = ["Hans", "Anne", "Ingrid", "Lars", "Sofie", "Jan", "Emma", "Noah", "Karin", "Erik"]
CHANGES = [
    *("chatSession.topicId", "chatSession.userId", "chatSession.customerId", "chatSession.customerName"),
    *("chatSession.customerEmail", "chatSession.companyName", "chatSession.customerPhone"),
    *("chatMessage.sessionId", "chatMessage.id", "chatMessage.message", "chatMessage.type"),
    *("chatMessage.specialType", "chatMessage.specialParam", "chatMessage.author"),
]


class WebhookUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def message(self) -> None:
        event_id = str(uuid.uuid4())
        payload = {
            "EventId": event_id,
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z"),
            "Changes": CHANGES,
            "Event": "chatsession.message",
            "PrimaryKey": random.randint(500000, 599999),
            "Entity": "chatsession",
            "ContextIdentifier": "Cust12345",
            "ChangedByAssociateId": 0,
            "WebhookName": "Load test bridge",
            "FieldValues": {
                "AlertLevel": 0,
                "ChatbotIsactive": True,
                "Consented": False,
                "ContactId": str(random.randint(1000, 9999)),
                "CustomerAlias": random.choice(ALIASES),
                "CustomerId": str(random.randint(1000, 20999)),
                "ProjectId": 0,
                "Rating": 0,
                "SaleId": 0,
                "Status": 4,
                "TicketId": 0,
                "TopicId": random.choice((1, 2, 10, 20)),
                "UserId": 0,
            },
        }
        body = json.dumps(payload, separators=(",", ":")).encode()
        signature = base64.b64encode(hmac.new(SECRET, body, hashlib.sha256).digest()).decode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "NetServer-Webhook/8.8.6684.1719",
            "X-SuperOffice-Event": "chatsession.message",
            "X-SuperOffice-EventId": event_id,
            "X-SuperOffice-Signature": signature,
        }
        self.client.post(PATH, data=body, headers=headers, name="chatsession.message")
