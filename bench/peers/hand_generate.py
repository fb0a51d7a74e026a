"""The hand-written peer of `sosim generate`: Faker + json + hmac, signed webhooks as JSONL lines.

python bench/peers/hand_generate.py --out fixtures.jsonl --count 100000 --seconds 8
"""

import argparse
import base64
import hashlib
import hmac
import json
import random
import time
import uuid
from datetime import UTC, datetime

from faker import Faker

LOCALES = ["no_NO", "sv_SE", "da_DK", "de_DE", "nl_NL", "en_GB", "en_US"]  # busy-hour's markets
CHANGES = ["chatSession.customerName", "chatSession.customerEmail", "chatMessage.id", "chatMessage.message"]

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--count", type=int, default=100_000)
parser.add_argument("--seconds", type=float, default=8.0)
parser.add_argument("--secret", default="change-me")
args = parser.parse_args()
fake, secret, deadline = Faker(LOCALES), args.secret.encode(), time.monotonic() + args.seconds
written, session = 0, 500000
with open(args.out, "w", encoding="utf-8") as out:
    while written < args.count and time.monotonic() < deadline:
        session += 1
        alias, customer = fake.first_name(), str(random.randint(1000, 20999))
        turns = ["chatsession.message", "chatsession.changed"] * random.randint(4, 12)
        for event in ["chatsession.created", *turns][: args.count - written]:
            event_id = str(uuid.uuid4())
            message = event == "chatsession.message"
            body = json.dumps(
                {
                    "EventId": event_id,
                    "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0Z"),
                    "Changes": CHANGES if message else [],
                    "Event": event,
                    "PrimaryKey": session,
                    "Entity": "chatsession",
                    "ContextIdentifier": "Cust12345",
                    "ChangedByAssociateId": 0,
                    "WebhookName": "Load test bridge",
                    "FieldValues": {
                        "CustomerAlias": alias,
                        "CustomerId": customer,
                        "Status": 4,
                        "Message": fake.sentence() if message else "",
                    },
                },
                separators=(",", ":"),
            )
            signature = base64.b64encode(hmac.new(secret, body.encode(), hashlib.sha256).digest()).decode()
            headers = [
                ["Content-Type", "application/json; charset=utf-8"],
                ["X-SuperOffice-Event", event],
                ["X-SuperOffice-EventId", event_id],
                ["X-SuperOffice-Signature", signature],
            ]
            line = {"type": "request", "event": event, "headers": headers, "body": body}
            out.write(json.dumps(line) + "\n")
            written += 1
print(f"wrote {written} requests to {args.out}")
