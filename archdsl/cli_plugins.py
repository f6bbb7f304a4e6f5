"""`--plugin`, one option shared by every command: loads op plugins before the command runs.

It is added to each command by the CLI's group (cli_help.PlainHelpGroup.get_command), so commands added
later (train, prune, ...) take it too without declaring it. The loading itself is archdsl.ops.plugins.
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import typer

PLUGIN_OPTION_NAME = "plugin"


def _load_plugins(ctx: Any, param: Any, values: tuple[str, ...]) -> tuple[str, ...]:
    if not values or ctx.resilient_parsing:  # shell completion parses without running anything
        return values
    from .errors import ArchError
    from .ops.plugins import load_plugin

    for value in values:
        try:
            load_plugin(value)
        except ArchError as error:
            sys.stderr.write(str(error).rstrip("\n") + "\n")
            raise typer.Exit(1) from None
    return values


def _declares_the_option(
    plugin: list[str] = typer.Option(
        None,
        "--plugin",
        metavar="FILE.py[:ATTR]",
        expose_value=False,
        is_eager=True,  # before the other options' callbacks, which may look ops up
        callback=_load_plugins,
        help="Load ops from a plugin first: a .py file or a module, optionally :ATTR to call (repeatable; "
        "docs/plugins.md).",
    ),
) -> None:
    """Only declares `--plugin`: Typer turns it into the option that `plugin_option` hands out."""


@functools.cache
def plugin_option() -> Any:
    """The `--plugin` option, built by Typer from the declaration above (so it prints as Typer's do); one
    object shared by every command, as click parameters hold no state of a run."""
    holder = typer.Typer()
    holder.command()(_declares_the_option)
    return next(param for param in typer.main.get_command(holder).params if param.name == PLUGIN_OPTION_NAME)


def add_plugin_option(command: Any) -> None:
    """Give `command` the --plugin option, once."""
    if not any(param.name == PLUGIN_OPTION_NAME for param in command.params):
        command.params.append(plugin_option())
