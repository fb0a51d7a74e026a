"""The ``sosim`` command line: thin wiring over the library, with lazy imports for speed."""

from __future__ import annotations

import gc
import sys
from typing import Any

import click

from simulator.cli.options import (
    EXIT_USAGE,
    SosimGroup,
    delivery_options,
    deterministic_ids_option,
    fail,
    gc_paused,
    no_preflight_option,
    processes_option,
    report_options,
    report_options_tenant,
    resolve_secret,
    secret_options,
    stop_on_sigterm,
    timing_options,
)
from simulator.core.errors import ScenarioError, SimulatorError


@click.group(cls=SosimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sosim", prog_name="sosim")
def main() -> None:
    """sosim: signed SuperOffice chatsession.* webhooks from YAML scenarios.

    \b
    Quick start:
      sosim run scenarios/support-chat.yaml          # fire at a built-in local receiver
      sosim run scenarios/busy-hour.yaml --target http://127.0.0.1:8000/hook --speed 60
      sosim generate scenarios/support-chat.yaml --out fixtures.jsonl
      sosim validate scenarios/*.yaml
      sosim api scenarios/support-chat.yaml --port 8765   # the mock SuperOffice chat API
    """


# --- validate -------------------------------------------------------------------------


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check scenario files; print file:line: field: problem for each error (exit 2)."""
    with gc_paused():
        from simulator.core.scenario import load_scenario

    bad = 0
    for file in files:
        try:
            scenario = load_scenario(file)
        except ScenarioError as exc:
            for error in exc.every:  # every error in the file, not only the first
                click.echo(str(error), err=True)
            bad += 1
            continue
        except SimulatorError as exc:
            click.echo(str(exc), err=True)
            bad += 1
            continue
        bound = scenario.arrivals.sessions or "unbounded"
        limit = f"{bound} sessions" if scenario.arrivals.sessions else ""
        if scenario.arrivals.duration:
            limit = (limit + ", " if limit else "") + f"{scenario.arrivals.duration:g}s"
        click.echo(f"ok: {file} ({scenario.name}: {limit}, {scenario.arrivals.process})")
    # The process exits next: keep the interpreter's final garbage collection from walking
    # pydantic's schema objects, a fifth of validate's time (about 20 ms of 150).
    gc.freeze()
    if bad:
        sys.exit(EXIT_USAGE)


# --- generate -------------------------------------------------------------------------


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(),
    help="Output file (jsonl; - for stdout) or directory (dir, http); missing directories are created.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "dir", "http"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one request per line; dir: body + headers files; http: raw HTTP request files.",
)
@click.option("--seed", type=int, help="Override the scenarios' seed.")
@click.option("--sessions", type=click.IntRange(min=1), help="Override how many sessions to generate.")
@click.option(
    "--now",
    "use_now",
    is_flag=True,
    help="Use wall-clock Timestamps (from now) instead of the scenario's fixed start.",
)
@click.option("--http-path", default="/webhook", show_default=True, help="Request path in http files.")
@secret_options("generate")
def generate(
    scenarios: tuple[str, ...],
    out: str,
    fmt: str,
    seed: int | None,
    sessions: int | None,
    use_now: bool,
    http_path: str,
    secret: str | None,
    secret_env: str | None,
    secret_file: str | None,
) -> None:
    """Write every request exactly as it would be sent, as fixture files.

    \b
    Examples:
      sosim generate scenarios/support-chat.yaml --sessions 3 --out fixtures.jsonl
      sosim generate scenarios/support-chat.yaml --sessions 3 --out http/ --format http
      sosim generate scenarios/support-chat.yaml --seed 7 --now --out -   # to stdout, Timestamps from now
    """
    from datetime import UTC, datetime

    from simulator.core.plan import PlanOptions, plan
    from simulator.core.scenario import load_scenarios
    from simulator.engine.default_secret import warn_default_secret
    from simulator.recording.fixtures import write_fixtures
    from simulator.report.paths import check_output

    loaded = load_scenarios(scenarios)
    if any(s.arrivals.sessions is None for s in loaded) and sessions is None:
        _check_bounded(loaded)
    check_output(out, "--out", stdout_ok=fmt == "jsonl", directory=fmt != "jsonl")
    chosen_secret = resolve_secret(secret, secret_env, secret_file)
    if chosen_secret is None:
        warn_default_secret(loaded)
    options = PlanOptions(
        seed=seed,
        sessions=sessions,
        secret=chosen_secret,
        start=datetime.now(UTC) if use_now else None,
    )
    header = {
        "scenarios": list(scenarios),
        "seed": seed if seed is not None else loaded[0].seed,
        "now": use_now,
    }
    items = ((p.due_s, p.scenario, p.request) for p in plan(loaded, options))
    count = write_fixtures(items, out, fmt, header, http_path=http_path)  # type: ignore[arg-type]
    click.echo(f"wrote {count} requests to {out} ({fmt})", err=True)


def _check_bounded(scenarios: list[Any]) -> None:
    for scenario in scenarios:
        if scenario.arrivals.duration is None and scenario.arrivals.sessions is None:
            fail(f"{scenario.source}: arrivals has neither sessions nor duration")


# --- sign -----------------------------------------------------------------------------


@main.command()
@click.argument("file", required=False, type=click.File("rb"))
@click.option(
    "--verify",
    "signature",
    metavar="SIGNATURE",
    help="Check this X-SuperOffice-Signature instead of printing one (exit 1 if invalid).",
)
@secret_options("sign")
def sign(
    file: Any, signature: str | None, secret: str | None, secret_env: str | None, secret_file: str | None
) -> None:
    """Sign a body from FILE or stdin (base64 HMAC-SHA256), or --verify a signature."""
    from simulator.core import signing

    key = resolve_secret(secret, secret_env, secret_file)
    if not key:
        fail("a secret is needed: --secret, --secret-env or --secret-file")
    stream: Any = file if file is not None else sys.stdin.buffer
    body: bytes = stream.read()
    if signature is None:
        click.echo(signing.sign(body, key))
        return
    if signing.verify(body, key, signature):
        click.echo("valid")
        return
    click.echo("invalid signature", err=True)
    sys.exit(1)


# --- events ---------------------------------------------------------------------------


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
def events(as_json: bool) -> None:
    """List the chat event catalogue with its fields and enums."""
    from simulator.superoffice.catalogue import catalogue, format_catalogue

    data = catalogue()
    if as_json:
        import json

        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(format_catalogue(data))


# --- run ------------------------------------------------------------------------------


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--target",
    metavar="URL",
    help="Where to send: http(s)://host:port/path or asgi://module:app/path. "
    "Without it, a built-in verifying receiver on 127.0.0.1 takes the traffic.",
)
@secret_options("run")
@click.option("--seed", type=int, help="Override the scenarios' seed.")
@click.option("--sessions", type=click.IntRange(min=1), help="Override how many sessions to play.")
@click.option("--duration", metavar="DURATION", help="Play sessions arriving within this time, e.g. 10m.")
@timing_options
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Requests in flight at once (sessions run concurrently, each in order).",
)
@click.option("--timeout", metavar="DURATION", default="10s", show_default=True, help="Per-request timeout.")
@click.option(
    "--scenario-time", is_flag=True, help="Keep the scenarios' own start time in Timestamps instead of now."
)
@click.option(
    "--fault",
    multiple=True,
    metavar="NAME[=RATE]",
    help="Inject a fault (repeatable): duplicate, reorder, bad-signature, missing-signature, "
    "stale-replay, tampered-body, malformed-json, wrong-content-type, oversized-body, slow-body, "
    "burst=N, header-case.",
)
@click.option(
    "--expect",
    multiple=True,
    metavar="FAULT=CODES",
    help="What a correct receiver answers a fault, e.g. bad-signature=401,403 or malformed-json=4xx.",
)
@click.option(
    "--serve-api",
    metavar="HOST:PORT",
    help="While the run goes, serve the mock SuperOffice chat REST API on HOST:PORT "
    "(e.g. 127.0.0.1:8765): each session as of the last webhook sent, for receivers that call back.",
)
@deterministic_ids_option
@no_preflight_option
@processes_option
@report_options
@delivery_options
def run(scenarios: tuple[str, ...], **options: Any) -> None:
    """Fire scenarios at a URL with controlled timing; report and exit 0, 1 (threshold) or 2.

    \b
    Examples:
      sosim run scenarios/support-chat.yaml                       # the built-in receiver
      sosim run scenarios/busy-hour.yaml --target http://127.0.0.1:8000/webhook --speed 60
      sosim run scenarios/busy-hour.yaml --target URL --max-rate --fail-if 'p99 > 250ms' --junit out/junit.xml

    \b
    Exit codes:
      0    the run finished and no check failed
      1    a --fail-if threshold crossed, TooManyErrors, nothing delivered, the built-in
           receiver saw bad requests, or an injected fault got an unexpected answer
      2    bad input (scenario, option, output path) or the target cannot be reached
      130  Ctrl-C (reports and the recording are still written)
      143  SIGTERM (the same)
    """
    from simulator.engine.run import RunConfig, run_from_cli

    secret = resolve_secret(options.pop("secret"), options.pop("secret_env"), options.pop("secret_file"))
    config = RunConfig.from_cli(scenarios, secret=secret, **options)
    sys.exit(run_from_cli(config))


# --- trigger --------------------------------------------------------------------------


@main.command()
@click.argument("event", metavar="EVENT")
@click.option("--target", metavar="URL", required=True, help="Where to send: http(s)://host:port/path.")
@secret_options("trigger")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="Fix a payload field, as a scenario's payload.overrides does (repeatable): a top-level key "
    "or FieldValues.<Key>; VALUE is JSON when it parses (5, true), else text (Status names work).",
)
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False),
    help="Generate the event from this scenario (its tenant, webhook and payload options); "
    "default: a one-session built-in scenario.",
)
@click.option("--seed", type=int, help="Override the scenario's seed.")
@click.option("--timeout", metavar="DURATION", default="10s", show_default=True, help="Request timeout.")
def trigger(
    event: str,
    target: str,
    secret: str | None,
    secret_env: str | None,
    secret_file: str | None,
    sets: tuple[str, ...],
    scenario: str | None,
    seed: int | None,
    timeout: str,
) -> None:
    """Send ONE signed chatsession event (created, message or changed); print request and answer.

    Exit 0 on a 2xx answer, 1 on any other answer or none, 2 on bad input.

    \b
    Examples:
      sosim trigger message --target http://127.0.0.1:8000/webhook --secret-env SOSIM_SECRET
      sosim trigger chatsession.changed --target URL --secret s3cret --set FieldValues.Status=5
      sosim trigger created --target URL --scenario scenarios/support-chat.yaml --seed 7
    """
    from simulator.cli.trigger import build_trigger_request, format_exchange, format_request, send_one
    from simulator.core.scenario import load_scenario, parse_scenario
    from simulator.core.units import parse_duration
    from simulator.delivery.transport import TransportError
    from simulator.engine.default_secret import warn_default_secret
    from simulator.testing.helpers import DEFAULT_SCENARIO

    loaded = load_scenario(scenario) if scenario else parse_scenario(DEFAULT_SCENARIO, source="<built-in>")
    chosen = resolve_secret(secret, secret_env, secret_file)
    if chosen is None:
        warn_default_secret([loaded])
    try:
        seconds = parse_duration(timeout)
    except ValueError as exc:
        fail(f"--timeout: {exc}")
    request = build_trigger_request(loaded, event, secret=chosen, sets=sets, seed=seed)
    try:
        response = send_one(target, request, timeout=seconds)
    except TransportError as exc:
        click.echo(f"--- request\n{format_request(target, request)}")
        click.echo(f"--- no response: {exc}", err=True)
        sys.exit(1)
    click.echo(format_exchange(target, request, response))
    sys.exit(0 if 200 <= response.status < 300 else 1)


# --- replay ---------------------------------------------------------------------------


@main.command()
@click.argument("source", type=click.Path())
@click.option("--target", metavar="URL", help="Where to send (default: the built-in verifying receiver).")
@timing_options
@secret_options("replay")
@click.option("--resign", is_flag=True, help="Sign every request again with the given secret.")
@click.option(
    "--new-event-ids",
    is_flag=True,
    help="Give each request a fresh EventId (body and header agree; re-signed).",
)
@click.option("--shift-timestamps", is_flag=True, help="Move Timestamps to now, keeping their spacing.")
@click.option(
    "--only", "only_events", multiple=True, metavar="EVENT", help="Replay only this event type (repeatable)."
)
@click.option("--only-failed", is_flag=True, help="Replay only requests that were never delivered.")
@click.option("--sessions", "session_ids", metavar="ID,...", help="Replay only these sessions (PrimaryKey).")
@click.option("--with-retries", is_flag=True, help="Replay every recorded attempt, not only the first.")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Requests in flight at once.",
)
@click.option("--timeout", metavar="DURATION", default="10s", show_default=True, help="Per-request timeout.")
@click.option(
    "--fault",
    multiple=True,
    metavar="NAME[=RATE]",
    help="Inject a fault (repeatable): duplicate, reorder, bad-signature, missing-signature, "
    "stale-replay, tampered-body, malformed-json, wrong-content-type, oversized-body, slow-body, "
    "burst=N, header-case.",
)
@click.option(
    "--expect",
    multiple=True,
    metavar="FAULT=CODES",
    help="What a correct receiver answers a fault, e.g. bad-signature=401,403 or malformed-json=4xx.",
)
@no_preflight_option
@processes_option
@report_options
@delivery_options
def replay(source: str, **options: Any) -> None:
    """Replay a recording, capture or fixture output: same bytes, same relative timing.

    \b
    Examples:
      sosim replay out/run.jsonl --target http://127.0.0.1:8000/webhook --speed 10
      sosim replay fixtures.jsonl --target URL --max-rate --secret-env SOSIM_SECRET
      sosim replay out/run.jsonl --target URL --only-failed

    Exit codes are those of sosim run (0, 1, 2, 130, 143).
    """
    from simulator.engine.replay import replay_from_cli

    secret = resolve_secret(options.pop("secret"), options.pop("secret_env"), options.pop("secret_file"))
    sys.exit(replay_from_cli(source, secret=secret, **options))


# --- api ------------------------------------------------------------------------------


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="Port (0: any free)."
)
@click.option("--seed", type=int, help="Override the scenarios' seed (use the one you generated with).")
@click.option("--sessions", type=click.IntRange(min=1), help="Override how many sessions to generate.")
@click.option(
    "--token",
    "tokens",
    multiple=True,
    metavar="TOKEN",
    help="Accept only this Bearer/SOTicket/Basic credential (repeatable; Basic also as user:password); "
    "default: any non-empty one.",
)
def api(
    scenarios: tuple[str, ...],
    host: str,
    port: int,
    seed: int | None,
    sessions: int | None,
    tokens: tuple[str, ...],
) -> None:
    """Serve the mock SuperOffice chat REST API with the scenarios' generated sessions (final state).

    \b
    Examples:
      sosim api scenarios/support-chat.yaml --sessions 5                 # on 127.0.0.1:8765
      sosim api scenarios/support-chat.yaml --port 0 --token s3cret      # any free port, one token
      curl -H 'Authorization: Bearer x' http://127.0.0.1:8765/<ContextIdentifier>/api/v1/ChatSession
    """
    from simulator.mockapi.server import serve_scenarios

    with stop_on_sigterm():
        code = serve_scenarios(
            scenarios,
            host=host,
            port=port,
            seed=seed,
            sessions=sessions,
            tokens=tokens,
            echo=lambda line: click.echo(line, err=True),
        )
    sys.exit(code)


# --- receive --------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: any free)."
)
@secret_options("receive")
@click.option("--path", help="Only accept this path (others get 404).")
@click.option(
    "--respond",
    type=click.IntRange(100, 599),
    default=200,
    show_default=True,
    help="Status for requests that pass verification.",
)
@click.option(
    "--fail-rate",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Share of requests answered 500 anyway (exercises the sender's retries).",
)
@click.option(
    "--latency", metavar="DURATION", default="0ms", show_default=True, help="Wait this long before answering."
)
@click.option("--record", type=click.Path(dir_okay=False), help="Capture what arrives to this JSONL file.")
@click.option("--max-requests", type=click.IntRange(min=1), help="Stop after this many requests.")
@click.option("--quiet", "-q", is_flag=True, help="No live tally.")
def receive(**options: Any) -> None:
    """Run a verifying webhook receiver; exit 1 when anything failed verification.

    \b
    Examples:
      sosim receive --port 8000 --secret-env SOSIM_SECRET
      sosim receive --port 8000 --fail-rate 0.1 --latency 50ms         # exercise the sender's retries
      sosim receive --port 8000 --record capture.jsonl --max-requests 100
    """
    from simulator.engine.receive import ReceiveConfig, receive_from_cli

    secret = resolve_secret(options.pop("secret"), options.pop("secret_env"), options.pop("secret_file"))
    sys.exit(receive_from_cli(ReceiveConfig.from_cli(secret=secret, **options)))


# --- locustfile -----------------------------------------------------------------------


@main.command()
@click.option("--options", "show_options", is_flag=True, help="List sosim's options for Locust instead.")
def locustfile(show_options: bool) -> None:
    """Print the path of the locustfile shipped with sosim, for Locust's own CLI.

    \b
      pip install 'sosim[locust]'
      locust -f "$(sosim locustfile)" --scenario scenarios/busy-hour.yaml \\
          --secret-env HOOK_SECRET --host http://receiver:8000/hook
    """
    import importlib.util

    from simulator.locust import locustfile_path

    if show_options:
        from simulator.locust.options import describe_options

        click.echo(describe_options())
        return
    click.echo(str(locustfile_path()))
    if importlib.util.find_spec("locust") is None:
        click.echo("sosim: note: Locust is not installed: pip install 'sosim[locust]'", err=True)


# --- tenant ---------------------------------------------------------------------------


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the API listens on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="API port (0: any free)."
)
@click.option(
    "--wait-for-webhooks",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Play once this many webhooks are registered through the API.",
)
@click.option(
    "--wait-timeout", metavar="DURATION", default="10m", show_default=True, help="Give up waiting after this."
)
@click.option("--seed", type=int, help="Override the scenarios' seed.")
@click.option("--sessions", type=click.IntRange(min=1), help="Override how many sessions to play.")
@click.option("--duration", metavar="DURATION", help="Play sessions arriving within this time, e.g. 10m.")
@click.option("--speed", type=float, metavar="X", help="Play the timeline X times faster.")
@click.option("--rate", metavar="N/s", help="Raise events at a fixed rate, e.g. 50/s.")
@click.option(
    "--scenario-time", is_flag=True, help="Keep the scenarios' own start time in Timestamps instead of now."
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Requests in flight at once, per webhook.",
)
@click.option("--timeout", metavar="DURATION", default="10s", show_default=True, help="Per-request timeout.")
@click.option(
    "--ping-timeout", metavar="DURATION", default="10s", show_default=True, help="Timeout of the test event."
)
@click.option(
    "--drain-timeout",
    metavar="DURATION",
    default="60s",
    show_default=True,
    help="After the last event, how long webhooks may take to send what they still have "
    "(state events such as webhook{id}.errors included).",
)
@click.option("--insecure", is_flag=True, help="Accept any TLS certificate (NetServer does not).")
@click.option(
    "--allow-http",
    type=click.Choice(["localhost", "always", "never"]),
    default="localhost",
    show_default=True,
    help="Accept http:// TargetUrls: on this machine only, anywhere, or never (NetServer: never).",
)
@click.option(
    "--ping-on",
    type=click.Choice(["active", "always", "create", "never"]),
    default="active",
    show_default=True,
    help="Which saves send the test event: those that leave the webhook Active, every save, "
    "only POST, or none.",
)
@click.option(
    "--while-inactive",
    type=click.Choice(["drop", "hold"]),
    default="drop",
    show_default=True,
    help="Events raised while a webhook is Stopped or TooManyErrors: never sent to it, or sent on resume.",
)
@click.option(
    "--rotation",
    type=click.Choice(["keep", "resign"]),
    default="keep",
    show_default=True,
    help="After a secret change, a request in a retry cycle keeps its signature, or is signed again.",
)
@click.option(
    "--rotate-secret",
    multiple=True,
    metavar="AT=ENVVAR[@WEBHOOK]",
    help="Change the secret AT into the run to the value of ENVVAR (repeatable), e.g. 30s=NEW_SECRET; "
    "@ID or @NAME limits it to one webhook.",
)
@click.option(
    "--state-numbering",
    type=click.Choice(["note", "enum"]),
    default="note",
    show_default=True,
    help="FieldValues.state of webhook state events: 0-2 as the state-events page notes, or 1-3.",
)
@click.option(
    "--test-associate-id",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="ChangedByAssociateId of the registration ping (the test event): the associate who saves "
    "the webhook; the docs' examples show 316.",
)
@click.option(
    "--properties-in-body/--no-properties-in-body",
    default=True,
    show_default=True,
    help="Add each webhook's Properties to its bodies as top-level keys, after the documented keys "
    "(which win a clash). Where they land is undocumented.",
)
@click.option(
    "--app-scoping/--no-app-scoping",
    default=True,
    show_default=True,
    help="Each app (its SO-AppToken, else its credential) sees only the webhooks it created; "
    "another app's webhook answers 404.",
)
@click.option(
    "--restricted-token",
    "restricted_tokens",
    multiple=True,
    metavar="TOKEN",
    help="A credential or SO-AppToken without the Online Restricted Webhook agent: 403 on the Webhook "
    "endpoints (repeatable).",
)
@click.option(
    "--token",
    "tokens",
    multiple=True,
    metavar="TOKEN",
    help="Accept only this Bearer/SOTicket/Basic credential (repeatable; Basic also as user:password); "
    "default: any non-empty one.",
)
@deterministic_ids_option
@report_options_tenant
@delivery_options
def tenant(scenarios: tuple[str, ...], **options: Any) -> None:
    """Be the SuperOffice tenant: apps register webhooks through the API, sosim fans the scenarios out.

    \b
    Examples:
      sosim tenant scenarios/support-chat.yaml --sessions 5 --port 8765
      sosim tenant scenarios/support-chat.yaml --wait-for-webhooks 2 --speed 60 --junit out/junit.xml
      sosim tenant scenarios/support-chat.yaml --rotate-secret 30s=NEW_SECRET --report out/tenant.json
    """
    from simulator.cli.tenant import tenant_from_cli
    from simulator.tenant.config import TenantConfig

    config = TenantConfig.from_cli(scenarios, **options)
    with stop_on_sigterm():
        code = tenant_from_cli(config)
    sys.exit(code)
