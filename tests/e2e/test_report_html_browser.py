"""The HTML report in a real browser: Debian's chromium opens it headless and offline, every chart
draws, the page logs no JavaScript error and loads nothing from the network, and a click on a
swimlane shows that attempt's request and response.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``), so the
test needs no extra package. The screenshots are kept in ``tests/artifacts/`` for people to look at.
"""

from __future__ import annotations

import base64
import fcntl
import itertools
import json
import os
import random
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.core.events import Request
from simulator.core.outcome import Attempt, ErrorKind, RunInfo, StateChange
from simulator.engine.run import RunConfig, run
from simulator.report.html import write_html
from simulator.report.stats import RunStats

pytestmark = pytest.mark.e2e
StatsFactory = Callable[..., RunStats]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
WIDTH = 1400
BASE_CHARTS = {"throughput", "latency", "distribution", "lag", "answers", "retries", "sessions"}


class Browser:
    """Headless chromium on a DevTools pipe: one page, its console, exceptions and network requests."""

    def __init__(self, profile: Path) -> None:
        assert CHROMIUM is not None
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()
        # Move chromium's ends above 4, so that placing them on fds 3 and 4 cannot clobber one another.
        to_chrome_r, from_chrome_w = (_above_4(fd) for fd in (to_chrome_r, from_chrome_w))
        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
            "--mute-audio",
            f"--user-data-dir={profile}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        # DevTools reads commands on fd 3 and writes answers on fd 4: a tiny Python trampoline puts the
        # pipe ends there and becomes chromium (no preexec_fn, which is unsafe with threads).
        trampoline = "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
        trampoline += (
            "os.close(int(sys.argv[1])); os.close(int(sys.argv[2])); os.execv(sys.argv[3], sys.argv[3:])"
        )
        self._process = subprocess.Popen(
            [sys.executable, "-c", trampoline, str(to_chrome_r), str(from_chrome_w), CHROMIUM, *flags],
            pass_fds=(to_chrome_r, from_chrome_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buffer = b""
        self._ids = iter(range(1, 1_000_000))
        self.events: list[dict[str, Any]] = []
        target = self._call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self._call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def close(self) -> None:
        """Stop chromium and close the pipes."""
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._to_chrome)
        os.close(self._from_chrome)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send a command to the page and return its result."""
        return self._call(method, session=self._session, **params)

    def _call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params}
        if session is not None:
            message["sessionId"] = session
        os.write(self._to_chrome, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read(timeout=30)
            if reply.get("id") == ident:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self.events.append(reply)

    def _read(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([self._from_chrome], [], [], max(left, 0))
            if not ready:
                raise AssertionError("chromium did not answer on the DevTools pipe")
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise AssertionError("chromium closed the DevTools pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        parsed: dict[str, Any] = json.loads(message)
        return parsed

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page."""
        reply = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in reply:
            raise AssertionError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def open(self, url: str, height: int = 1000, width: int = WIDTH) -> None:
        """Load ``url`` in a ``width``-wide window and wait until the report's self-check has run."""
        self.resize(height, width)
        self.call("Page.navigate", url=url)
        self.wait_for("document.body && document.body.dataset.chartsOk !== undefined")

    def resize(self, height: int, width: int = WIDTH) -> None:
        """Set the window to width x height CSS pixels."""
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def wait_for(self, expression: str, timeout: float = 15) -> None:
        """Poll a JavaScript condition until it holds."""
        deadline = time.monotonic() + timeout
        while not self.evaluate(expression):
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {expression}")
            time.sleep(0.05)

    def click(self, x: float, y: float) -> None:
        """A left click at viewport coordinates."""
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def screenshot(self, path: Path) -> None:
        """A PNG of the whole page, saved to ``path``."""
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        self.resize(height)
        self.evaluate("new Promise(r => requestAnimationFrame(() => setTimeout(r, 200)))")
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def console_messages(self) -> list[str]:
        """Console calls, uncaught exceptions and log entries the page produced."""
        messages = []
        for event in self.events:
            params = event.get("params", {})
            if event.get("method") == "Runtime.consoleAPICalled":
                args = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
                messages.append(f"console.{params['type']}: {args}")
            elif event.get("method") == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                messages.append(
                    f"exception: {details.get('exception', {}).get('description', details['text'])}"
                )
            elif event.get("method") == "Log.entryAdded":
                entry = params["entry"]
                messages.append(f"log.{entry['level']}: {entry['text']}")
        return messages

    def requested_urls(self) -> list[str]:
        """Every URL the page asked the network stack for."""
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]


def _above_4(fd: int) -> int:
    """A duplicate of ``fd`` numbered 10 or above; ``fd`` itself is closed."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    """A headless chromium; skipped only where chromium is not installed (.ci/run installs it)."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
    chrome = Browser(tmp_path / "profile")
    try:
        yield chrome
    finally:
        chrome.close()


# --- a synthetic run with every kind of trouble -----------------------------------------------

EVENTS = ("chatsession.created", "chatsession.message", "chatsession.changed")
OUTAGE = (60.0, 75.0)  # the receiver answers 503 to a third of the attempts
TOO_MANY_ERRORS_AT = 150.0


def _request(event: str, session: int, index: int, fault: str | None) -> Request:
    body = json.dumps(
        {
            "EventId": f"evt-{session}-{index}",
            "Event": event,
            "PrimaryKey": session,
            "Entity": "chatsession",
            "FieldValues": {"Status": index % 5, "CustomerAlias": "Åsa Ørsted", "Note": "x" * 300},
        }
    ).encode()
    headers = (
        ("Content-Type", "application/json; charset=utf-8"),
        ("X-SuperOffice-Event", event),
        ("X-SuperOffice-EventId", f"evt-{session}-{index}"),
        ("X-SuperOffice-Signature", "bad" if fault == "bad-signature" else "c2lnbmF0dXJl"),
    )
    return Request(event, f"evt-{session}-{index}", session, headers, body)


def _answer(rng: random.Random, due: float, fault: str | None) -> tuple[int | None, ErrorKind | None, float]:
    if fault == "bad-signature":
        return 401, None, 0.004
    if rng.random() < 0.002:
        return None, "timeout", 10.0
    if OUTAGE[0] <= due < OUTAGE[1] and rng.random() < 0.33:
        return 503, None, 0.002
    return 200, None, rng.lognormvariate(-4.2, 0.6)


@pytest.fixture
def synthetic_stats(make_stats: StatsFactory, make_run_info: Callable[..., RunInfo]) -> RunStats:
    """About 4,000 attempts over 150 s: a 503 outage with retries, timeouts, faults, TooManyErrors."""
    rng = random.Random(7)
    info = make_run_info(seed=7, timing="rate 25/s", concurrency=64, extra={"target_rate": "25"})
    attempts: list[Attempt] = []
    for session in range(1000, 1380):
        start = rng.uniform(0, 140)
        for index in range(10):
            event = EVENTS[0] if index == 0 else EVENTS[2] if index == 9 else EVENTS[1]
            fault = (
                "bad-signature" if rng.random() < 0.01 else "malformed-json" if rng.random() < 0.005 else None
            )
            due = start + index * rng.uniform(0.5, 2.0)
            for number, delay in enumerate((0.0, 1.0, 4.0), start=1):
                intended = due + delay
                if intended >= TOO_MANY_ERRORS_AT:
                    break
                status, error, service = _answer(rng, intended, fault)
                delivered = status == 200
                final = delivered or number == 3 or fault is not None
                sent = intended + rng.expovariate(1 / 0.004)
                attempts.append(
                    Attempt(
                        request=_request(event, session, index, fault),
                        scenario="support-chat",
                        cycle=1,
                        attempt=number,
                        intended_s=intended,
                        sent_s=sent,
                        done_s=sent + service,
                        status=status,
                        error=error,
                        error_detail="no answer within 10s" if error else "",
                        delivered=delivered,
                        final=final,
                        fault=fault,
                        response_body=b'{"error": "busy"}' if status == 503 else b"",
                    )
                )
                if final:
                    break
    return make_stats(
        sorted(attempts, key=lambda a: a.done_s),
        "p99 > 250ms",
        "error_rate > 1%",
        info=info,
        changes=[StateChange(TOO_MANY_ERRORS_AT, "Support chat bridge", "TooManyErrors", "9 failures")],
        elapsed=150.2,
        state="TooManyErrors",
        planned=len(attempts),
        reason="webhook disabled",
    )


FAULT_CASES = [("fault bad-signature", None), ("fault malformed-json", "FAIL malformed-json: expected 4xx")]


def check_page(browser: Browser, expected: set[str]) -> list[dict[str, Any]]:
    """Assert that every expected chart drew data marks, with no script error or network request."""
    check = browser.evaluate("window.sosimReport")
    assert check["errors"] == []
    assert browser.console_messages() == []
    assert {c["id"] for c in check["charts"]} == expected
    for chart in check["charts"]:
        assert chart["marks"] > 0, f"{chart['title']} has no data"
        assert chart["pixels"] > 50, f"{chart['title']} drew nothing"
    assert browser.evaluate("document.body.dataset.chartsOk") == "true"
    assert all(url.startswith("file://") for url in browser.requested_urls()), browser.requested_urls()
    return list(check["charts"])


# --- the tests ---------------------------------------------------------------------------------


def test_every_chart_of_a_troubled_run_draws_offline(
    browser: Browser, tmp_path: Path, synthetic_stats: RunStats
) -> None:
    """A run with an outage, retries, timeouts, faults and TooManyErrors draws all eight charts."""
    stats = synthetic_stats
    report = tmp_path / "report.html"
    write_html(stats, stats.evaluate_thresholds(), report, FAULT_CASES)

    browser.open(report.as_uri())
    check_page(browser, BASE_CHARTS | {"faults"})
    assert "hunter2" not in browser.evaluate("document.documentElement.outerHTML")
    browser.screenshot(ARTIFACTS / "report-synthetic.png")
    assert (ARTIFACTS / "report-synthetic.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_clicking_a_swimlane_bar_shows_its_request_and_response(
    browser: Browser, tmp_path: Path, synthetic_stats: RunStats
) -> None:
    """A click on an attempt in the swimlanes shows that attempt's headers, body and response."""
    stats = synthetic_stats
    report = tmp_path / "report.html"
    write_html(stats, stats.evaluate_thresholds(), report, FAULT_CASES)
    browser.open(report.as_uri())
    browser.resize(int(browser.evaluate("document.documentElement.scrollHeight")))
    shown_first = browser.evaluate("window.sosimReport.selected()")
    bars = browser.evaluate("window.sosimReport.sessionBars()")
    bar = next(b for b in bars if b["lane"] < 10 and b["lane"] != shown_first["lane"])

    browser.click(bar["x"], bar["y"])

    assert browser.evaluate("window.sosimReport.selected()") == {
        "lane": bar["lane"],
        "attempt": bar["attempt"],
    }
    facts = browser.evaluate("document.querySelector('#detail .facts').textContent")
    assert f"Session {bar['session_id']}: {bar['event']}" in facts
    assert f"EventId {bar['event_id']}" in facts
    headers = browser.evaluate("document.getElementById('detail-headers').textContent")
    body = browser.evaluate("document.getElementById('detail-body').textContent")
    response = browser.evaluate("document.getElementById('detail-response').textContent")
    assert f"X-SuperOffice-Event: {bar['event']}" in headers
    assert f'"PrimaryKey": {bar["session_id"]}' in body
    assert response.startswith(("HTTP ", "no answer"))
    browser.screenshot(ARTIFACTS / "report-synthetic-clicked.png")


def test_a_real_run_writes_a_report_that_draws(browser: Browser, tmp_path: Path) -> None:
    """A real run against the built-in receiver writes a report whose charts all draw."""
    config = RunConfig(
        scenarios=(str(ROOT / "scenarios" / "support-chat.yaml"),), sessions=3, rate=50, quiet=True
    )
    outcome = run(config)
    report = tmp_path / "run.html"
    write_html(outcome.stats, outcome.thresholds, report)

    browser.open(report.as_uri())
    charts = check_page(browser, BASE_CHARTS)
    assert next(c for c in charts if c["id"] == "sessions")["marks"] >= outcome.stats.attempts // 10
    browser.screenshot(ARTIFACTS / "report-run.png")


def test_a_closed_loop_runs_conversation_charts_draw(
    browser: Browser, tmp_path: Path, synthetic_stats: RunStats
) -> None:
    """The conversation card and its two charts (answers and timeouts, reply latency) draw."""
    from simulator.core.conversation import Observation
    from simulator.core.events import ChatMessage
    from simulator.report.conversation import ConversationStats
    from simulator.superoffice import facts as so

    stats = synthetic_stats
    conversation = ConversationStats()
    rng = random.Random(5)
    for session in range(60):
        question = ChatMessage(session * 1000 + 1, session, so.ChatMessageType.ToUser, "?", "Kari")
        at = session * 2.0
        conversation.observe(Observation("started", session, at), None)
        if session % 7:
            conversation.observe(
                Observation("reply", session, at + 1.0, question), at + 1.0 - rng.uniform(0.01, 2)
            )
        else:
            conversation.observe(Observation("unanswered", session, at + 30, question), None)
        conversation.observe(Observation("ended", session, at + 31, ending="customer"), None)
    stats.conversation = conversation
    report = tmp_path / "loop.html"
    write_html(stats, stats.evaluate_thresholds(), report, FAULT_CASES)

    browser.open(report.as_uri())
    check_page(browser, BASE_CHARTS | {"faults", "conversation", "reply-latency"})
    assert "Conversations" in browser.evaluate("document.getElementById('conversation-card').textContent")
    browser.screenshot(ARTIFACTS / "report-closed-loop.png")


# --- twelve faults: the fault chart's labels stay readable ----------------------------------------

TWELVE_FAULTS = (
    "duplicate",
    "reorder",
    "bad-signature",
    "missing-signature",
    "stale-replay",
    "tampered-body",
    "malformed-json",
    "wrong-content-type",
    "oversized-body",
    "slow-body",
    "burst",
    "header-case",
)


@pytest.fixture
def fault_stats(make_stats: StatsFactory, make_run_info: Callable[..., RunInfo]) -> Callable[..., RunStats]:
    """``fault_stats(faults)``: a short run with each of ``faults`` injected a few times."""
    info = make_run_info(seed=12, target="http://127.0.0.1:8080/hook", timing="max rate", delivery="once")

    def build(faults: tuple[str, ...] = TWELVE_FAULTS) -> RunStats:
        attempts = _fault_attempts(faults)
        return make_stats(attempts, info=info, elapsed=30.0, state="", planned=len(attempts), reason="")

    return build


def _fault_attempts(faults: tuple[str, ...]) -> list[Attempt]:
    rng = random.Random(12)
    attempts = []
    for index in range(600):
        fault = faults[(index // 3) % len(faults)] if index % 3 == 0 else None
        status = 401 if fault in ("bad-signature", "missing-signature", "tampered-body") else 200
        intended = index * 0.05
        attempts.append(
            Attempt(
                request=_request(EVENTS[index % 3], 2000 + index // 10, index % 10, fault),
                scenario="support-chat",
                cycle=1,
                attempt=1,
                intended_s=intended,
                sent_s=intended,
                done_s=intended + rng.lognormvariate(-4.2, 0.6),
                status=status,
                error=None,
                error_detail="",
                delivered=status == 200,
                final=True,
                fault=fault,
            )
        )
    return attempts


#: What uPlot drew under the fault chart: one box per category label, in CSS pixels of the chart,
#: from uPlot's own axis state (the values and rotation it drew with) and the canvas's text metrics.
LABEL_BOXES = """(() => {
  const u = window.sosimReport.plot("faults");
  const ax = u.axes[0];
  const dpr = window.devicePixelRatio || 1;
  const ctx = document.createElement("canvas").getContext("2d");
  ctx.font = ax.font[0];
  const lineHeight = (ax.font[1] * ax.lineGap) / dpr;
  const top = (u.bbox.top + u.bbox.height) / dpr + ax.ticks.size + ax.gap;
  const boxes = ax._values.map((text, i) => {
    const lines = String(text).split("\\n");
    const width = Math.max(...lines.map((l) => ctx.measureText(l).width)) / dpr;
    const x = u.valToPos(ax._splits[i], "x") + u.bbox.left / dpr;
    return ax._rotate === 0
      ? { text, left: x - width / 2, right: x + width / 2, top, bottom: top + lines.length * lineHeight }
      : { text, left: x - lineHeight / 2, right: x + lineHeight / 2, top, bottom: top + width };
  });
  return { rotate: ax._rotate, axisBottom: top - ax.ticks.size - ax.gap + ax._size, boxes };
})()"""


@pytest.mark.parametrize(
    ("count", "width", "rotate"),
    [(12, WIDTH, 90), (12, 700, 90), (6, WIDTH, 0)],
    ids=["12", "12-narrow", "6"],
)
def test_fault_labels_do_not_overlap(
    browser: Browser,
    tmp_path: Path,
    count: int,
    width: int,
    rotate: int,
    fault_stats: Callable[..., RunStats],
) -> None:
    """With all twelve faults, the fault chart's labels (name and verdict) neither overlap one
    another nor run out of the axis: upright where a category is too narrow for a word, else
    wrapped at spaces and hyphens (six faults on a wide page)."""
    faults = TWELVE_FAULTS[:count]
    stats = fault_stats(faults)
    report = tmp_path / "faults.html"
    cases = [(f"fault {name}", None) for name in faults]
    write_html(stats, stats.evaluate_thresholds(), report, cases)
    browser.call(
        "Emulation.setDeviceMetricsOverride", width=width, height=1000, deviceScaleFactor=1, mobile=False
    )
    browser.call("Page.navigate", url=report.as_uri())
    browser.wait_for("document.body && document.body.dataset.chartsOk !== undefined")

    layout = browser.evaluate(LABEL_BOXES)
    boxes = layout["boxes"]
    assert len(boxes) == count
    assert layout["rotate"] == rotate
    if rotate == 0:
        assert any("\n" in box["text"] for box in boxes)  # wrapped, not cut
    assert all("PASS" in box["text"] or "FAIL" in box["text"] for box in boxes)
    for left, right in itertools.pairwise(boxes):
        assert left["right"] <= right["left"], f"{left['text']!r} overlaps {right['text']!r}"
    assert all(box["bottom"] <= layout["axisBottom"] + 0.5 for box in boxes), layout
    shot = ARTIFACTS / f"report-{count}-faults-{width}.png"
    browser.call(
        "Emulation.setDeviceMetricsOverride", width=width, height=1000, deviceScaleFactor=1, mobile=False
    )
    browser.evaluate("document.getElementById('faults').scrollIntoView()")
    browser.evaluate("new Promise(r => requestAnimationFrame(() => setTimeout(r, 200)))")
    data = browser.call("Page.captureScreenshot", format="png")["data"]
    shot.parent.mkdir(parents=True, exist_ok=True)
    shot.write_bytes(base64.b64decode(data))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
