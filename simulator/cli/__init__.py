"""The ``sosim`` command line: the group of commands, one module each, with lazy imports for speed.

A command's module is imported when the command runs or a help page lists it, so ``sosim
validate`` loads none of the others. Each command module imports only click and the option
groups at the top; what a command runs is imported when it runs, so ``sosim --help`` and
``sosim validate`` stay fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping

import click

from simulator.cli.options import SosimGroup

__all__ = ["COMMAND_MODULES", "main"]

#: Each command's module under ``simulator.cli``, whose function of the same name is the command.
COMMAND_MODULES = (
    "validate",
    "generate",
    "sign",
    "events",
    "run",
    "trigger",
    "replay",
    "api",
    "receive",
    "locustfile",
    "tenant",
)


class LazyCommands(MutableMapping[str, click.Command]):
    """The group's commands by name, each imported the first time it is looked up.

    Click's group keeps its commands in ``self.commands`` and only reads it by name (``get``,
    ``sorted``), so this mapping stands in for the dict without changing anything else."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self._names = names
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            if name not in self._names:
                raise KeyError(name)
            module = importlib.import_module(f"simulator.cli.{name}")
            self._loaded[name] = getattr(module, name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        yield from self._names
        yield from (name for name in self._loaded if name not in self._names)

    def __len__(self) -> int:
        return len(set(self._names) | set(self._loaded))


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


main.commands = LazyCommands(COMMAND_MODULES)
