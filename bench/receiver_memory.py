"""Bytes the receiver's checker keeps per EventId, measured with tracemalloc.

    python -m bench.receiver_memory [REQUESTS] [WINDOW]

Feeds REQUESTS distinct, correctly signed chat events (ten per session) to a ``WebhookChecker``
with an EventId window of WINDOW (default: the checker's default) and prints what it still holds
afterwards. With WINDOW below REQUESTS the figure stays flat however many requests follow.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
import uuid

from simulator.core.checker import DEFAULT_WINDOW, WebhookChecker
from simulator.core.signing import sign
from simulator.superoffice import facts as so

SECRET = "bench-memory"


def request(index: int) -> tuple[dict[str, str], bytes]:
    """One signed chat event: the headers keyed lower-case as the server hands them over, the body."""
    event_id = str(uuid.UUID(int=index))
    event = so.EVENT_CREATED if index % 10 == 0 else so.EVENT_MESSAGE
    clock = f"{index // 3600 % 24:02d}:{index // 60 % 60:02d}:{index % 60:02d}"
    stamp = f"2026-01-01T{clock}.{index % 10**7:07d}Z"
    body = (
        f'{{"EventId": "{event_id}", "Timestamp": "{stamp}", "Event": "{event}", '
        f'"PrimaryKey": {1000 + index // 10}, "Entity": "chatsession", "FieldValues": {{"Status": 1}}}}'
    ).encode()
    headers = {
        so.HEADER_CONTENT_TYPE.lower(): so.CONTENT_TYPE_JSON,
        so.HEADER_EVENT.lower(): event,
        so.HEADER_EVENT_ID.lower(): event_id,
        so.HEADER_SIGNATURE.lower(): sign(body, SECRET),
    }
    return headers, body


def main(count: int, window: int) -> None:
    checker = WebhookChecker(SECRET, check_order=False, window=window)
    requests = [request(i) for i in range(count)]
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for headers, body in requests:
        checker.check_lowered("POST", headers, body)
    del requests
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - before
    tally = checker.tally
    assert tally.failed == 0, tally
    held = min(count, window)
    print(
        f"{count:,} requests, window {window:,}: checker keeps {kept / 1e6:.1f} MB "
        f"= {kept / held:.0f} B per remembered EventId ({tally.forgotten:,} forgotten)"
    )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 200_000,
        int(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_WINDOW,
    )
