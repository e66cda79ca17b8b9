"""A standalone ``.html`` page of the 3D scene at one moment, viewable offline.

The page is vtk.js's offline viewer with the scene's meshes embedded (through trame-pyvista's
exporter): buildings with their roof colours at that moment, roads, gates, utilities, feeders and
the trucks where they were, all of which can be turned, zoomed and panned in any browser without
a network. What it cannot do: animate (it holds one moment, not the trace), show VTK's 2D text
(the exporter drops labels), so the clock, KPIs and legend are added as an HTML panel over the
view instead, and the building names are not shown.
"""

from __future__ import annotations

import html
import os
from typing import Any

from twin.errors import UsageError
from twin.language import Language, say
from viz import overlay, palette
from viz.clock import clock_parts

INSTALL = "pip install 'parktwin[viz]' (it brings trame-pyvista and trame-vtk)"


def scene_html(plotter: Any) -> str:
    """The exporter's page of the plotter's scene.

    Raises:
        UsageError: The trame exporter is not installed.
    """
    try:
        import trame_pyvista  # noqa: F401
        import trame_vtk  # noqa: F401
    except ImportError:
        raise UsageError(f"writing .html needs the trame exporter: {INSTALL}") from None
    buffer = plotter.trame.export_html(None)
    return str(buffer.getvalue())


def panel_html(player: Any, moment: float) -> str:
    """An HTML panel with the clock, caption, KPIs, legend and labels of each view."""
    lang: Language = getattr(player, "lang", "en")
    blocks = []
    count = len(player.views)
    for index, view in enumerate(player.views):
        frame = view.frame if view.frame is not None else view.maker.frame(moment)
        day_time, date = clock_parts(moment, view.trace.meta.get("start"), lang)
        rows = "".join(
            f"<tr><td>{html.escape(label)}</td><td class='v{' alert' if alert else ''}'>"
            f"{html.escape(value)}</td></tr>"
            for label, value, alert in overlay.panel_rows(frame.kpis, lang)
        )
        blocks.append(
            f"<div class='view' style='left:calc({index * 100 / count:.4g}vw + 8px)'>"
            f"<div class='clock'>{html.escape(day_time)}</div>"
            f"<div class='muted'>{html.escape(date)}</div>"
            f"<div>{html.escape(view.caption)}</div><table>{rows}</table></div>"
        )
    kinds = [k for k, _ in player.views[-1].scene.legend]
    swatch = "<span class='sw' style='background:{}'></span>{}"
    legend = (
        f"<div class='legend'><b>{say('viz.walls', lang)}</b> "
        + " ".join(
            swatch.format(palette.KIND_COLORS[k], html.escape(say(f"viz.kind.{k}", lang)))
            for k in kinds
        )
        + f"<br><b>{say('viz.roofs', lang)}</b> "
        + " ".join(
            swatch.format(c, say("viz.of_peak", lang, share=f"{v:.0%}"))
            for v, c in palette.LOAD_STOPS
        )
        + " "
        + swatch.format(palette.NO_POWER, say("viz.no_power", lang))
        + f"<br><b>{say('viz.feeders', lang)}</b> "
        + " ".join(
            swatch.format(c, say("viz.of_capacity", lang, share=f"{v:.0%}"))
            for v, c in palette.FEEDER_STOPS
        )
        + " "
        + swatch.format(palette.FEEDER_DEAD, say("viz.no_supply", lang))
        + f"<br><b>{say('viz.trucks', lang)}</b> "
        + " ".join(
            swatch.format(c, html.escape(say(f"viz.truck.{k}", lang)))
            for k, c in palette.TRUCK_COLORS.items()
        )
        + f"<br><span class='muted small'>{say('viz.still', lang)}</span></div>"
    )
    style = (
        "<style>#parktwin{font:12px 'DejaVu Sans',sans-serif;color:#f8f9fa}#parktwin .view{"
        "position:fixed;top:8px;z-index:10}#parktwin .legend{position:fixed;bottom:8px;"
        "right:8px;z-index:10;max-width:340px}#parktwin .view,#parktwin "
        ".legend{background:rgba(16,24,32,.72);border-radius:6px;padding:8px 10px}"
        "#parktwin .clock{font-size:20px;font-weight:bold}#parktwin "
        ".muted{color:#bec6ce}#parktwin .small{font-size:11px}#parktwin td.v{text-align:right;"
        "font-weight:bold;padding-left:14px}#parktwin .alert{color:#ff6b6b}#parktwin .sw{"
        "display:inline-block;width:11px;height:11px;margin:0 3px 0 8px;vertical-align:-1px;"
        "border:1px solid #0008}</style>"
    )
    return style + "<div id='parktwin'>" + "".join(blocks) + legend + "</div>"


def write_page(player: Any, path: str | os.PathLike[str], moment: float) -> None:
    """Write the page of the player's current scene (not atomic: the caller renames).

    The viewer replaces the page's body when it starts, so the panel waits in a ``<template>``
    in the head and a small inline script (no network) puts it back whenever it is missing.
    """
    page = scene_html(player.plotter)
    panel = panel_html(player, moment)
    keeper = (
        f"<template id='parktwin-panel'>{panel}</template><script>(function(){{"
        "function put(){if(document.body&&!document.getElementById('parktwin')){"
        "document.body.appendChild(document.getElementById('parktwin-panel')"
        ".content.cloneNode(true));}}"
        "document.addEventListener('DOMContentLoaded',put);setInterval(put,300);})();</script>"
    )
    at = page.find("</head>")
    page = page[:at] + keeper + page[at:] if at >= 0 else keeper + page
    # vtk.js adds favicon links to kitware.github.io: drop them so the page asks no network.
    page = page.replace("[16,32,96,160,196].forEach(", "[].forEach(", 1)
    title = html.escape(player.views[0].caption)
    page = page.replace(
        "<title>VTK.js | Example - OfflineLocalView</title>", f"<title>{title}</title>", 1
    )
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(page)
