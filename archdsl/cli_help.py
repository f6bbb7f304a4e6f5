"""Typer's help as people read it: flags without a `<bool>` type, arguments as `SPEC` in usage lines.

Typer prints `--help <bool>` and `Usage: ... {spec}`; click's own style is `--help` and `SPEC`. The group
below applies that style to every command it hands out, so new commands get it without doing anything.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperGroup, TyperOption


class _Argument(TyperArgument):
    def _usage_display_name(self) -> str:
        name = (self.metavar or self.name or "").upper()
        name = name if self.required else f"[{name}]"
        return name + ("..." if self.nargs != 1 else "")


class _FlagOption(TyperOption):
    def display_type_rich(self, ctx: Any) -> str | None:
        return None  # a flag takes no value: the column stays empty


def _restyle(params: list[Any]) -> list[Any]:
    for param in params:
        if type(param) is TyperArgument:
            param.__class__ = _Argument
        elif type(param) is TyperOption and param.is_flag:
            param.__class__ = _FlagOption
    return params


class PlainHelpGroup(TyperGroup):
    """The CLI's group: restyles its own parameters and those of each command it returns."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _restyle(super().get_params(ctx))

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            from .cli_plugins import add_plugin_option

            add_plugin_option(command)  # `--plugin`, shared by every command
            _restyle(command.get_params(ctx))
        return command
