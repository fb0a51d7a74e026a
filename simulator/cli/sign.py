"""``sosim sign``: sign a body, or verify a signature."""

from __future__ import annotations

import sys
from typing import Any

import click

from simulator.cli.options import (
    ExamplesLast,
    fail,
    resolve_secret,
    secret_options,
)


@click.command(cls=ExamplesLast)
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
