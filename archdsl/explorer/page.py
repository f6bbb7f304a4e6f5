"""The explorer page: one self-contained HTML file (styles, dagre, the explorer script and the model
inline), so it opens offline from disk and never makes a network request."""

from __future__ import annotations

import json
from functools import cache
from html import escape
from importlib import resources
from typing import Any

from ..api import Checked
from .model import explorer_model

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="archdsl">
<link rel="icon" href="data:,">
<title>{title} · archdsl</title>
<style>
{css}
</style>
</head>
<body class="{body_class}">
<div id="toolbar">
  <h1 id="title">{title}</h1><span class="subtitle" id="subtitle"></span>
  <input id="search" type="search" placeholder="find a layer (Enter: next)" aria-label="find a layer">
  <button id="expand-all" type="button">expand all</button>
  <button id="collapse-all" type="button">collapse all</button>
  <button id="fit" type="button">fit</button>
  <button id="download" type="button">download SVG</button>
</div>
<div id="legend"></div>
<div id="main">
  <div id="canvas"><svg id="diagram" xmlns="http://www.w3.org/2000/svg"></svg></div>
  <div id="side"><div id="status"></div><pre id="diagnostics"></pre><div id="summary"></div></div>
</div>
<div id="tooltip"></div>
<script id="archdsl-model" type="application/json">{model}</script>
<script>
{dagre}
</script>
<script>
{explorer}
</script>
{live}
<!--
{licence}
-->
</body>
</html>
"""


@cache
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("static", name).read_text(encoding="utf-8")


def _json_in_script(value: Any) -> str:
    """JSON that cannot end its <script> element early."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).replace("</", "<\\/").replace("<!--", "<\\!--")


def page(model: dict[str, Any] | None, title: str, live: bool = False) -> str:
    """The explorer page for `model` (from `explorer_model`); `live` adds the `archdsl serve` side panel,
    which receives new models from the server."""
    live_script = f"<script>\n{_asset('live.js')}\n</script>" if live else ""
    return TEMPLATE.format(
        title=escape(title),
        css=_asset("explorer.css"),
        body_class="live" if live else "",
        model=_json_in_script(model) if model is not None else "",
        dagre=_asset("dagre.min.js"),
        explorer=_asset("explorer.js"),
        live=live_script,
        licence=_asset("LICENSE-dagre.txt").replace("--", "- -"),
    )


def explorer_html(checked: Checked, depth: int | str = "auto", expand: tuple[str, ...] = ()) -> str:
    """The self-contained interactive diagram of a checked spec (`archdsl draw SPEC -o net.html`), first
    shown with the blocks `depth` and `expand` open (as in `archdsl.draw`)."""
    return page(explorer_model(checked, depth, tuple(expand)), checked.name)
