"""The ``sosim`` command line: the group of commands, one module each, with lazy imports for speed.

Each command module imports only click and the option groups at the top; what a command runs is
imported when it runs, so ``sosim --help`` and ``sosim validate`` stay fast.
"""

from __future__ import annotations

import click

from simulator.cli import (
    api,
    events,
    generate,
    locustfile,
    receive,
    replay,
    run,
    sign,
    tenant,
    trigger,
    validate,
)
from simulator.cli.options import SosimGroup

__all__ = ["main"]


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


for _command in (
    validate.validate,
    generate.generate,
    sign.sign,
    events.events,
    run.run,
    trigger.trigger,
    replay.replay,
    api.api,
    receive.receive,
    locustfile.locustfile,
    tenant.tenant,
):
    main.add_command(_command)
