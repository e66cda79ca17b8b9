"""A standalone ``.html`` page of the 3D scene at one moment, viewable offline.

The page is vtk.js's offline viewer with the scene's meshes embedded (through trame-pyvista's
exporter): buildings with their roof colours at that moment, roads, gates, utilities, feeders and
the trucks where they were, all of which can be turned, zoomed and panned in any browser without
a network. What it cannot do: animate (it holds one moment, not the trace), show VTK's 2D text
(the exporter drops labels), so the clock, KPIs and legend are added as an HTML panel over the
view instead, and the labels as HTML placed over it again whenever the camera moves
(:data:`LABELS_JS`).
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

from twin.errors import UsageError
from twin.language import Language, say
from viz import overlay, palette
from viz.clock import clock_parts
from viz.placement import PLACEMENT_JS

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
    with _without_wasm_widget():
        buffer = plotter.trame.export_html(None)
    return str(buffer.getvalue())


@contextlib.contextmanager
def _without_wasm_widget() -> Iterator[None]:
    """Keep trame-vtklocal out of the exporter's trame server while it starts.

    trame-pyvista depends on trame-vtklocal, and the server its exporter starts sets it up when
    it can import it: that downloads VTK's WebAssembly build from the internet and, offline,
    prints a traceback after the page is written. The page is vtk.js's offline viewer and uses
    none of it. A module set to None in ``sys.modules`` is an ImportError, which the exporter
    skips.
    """
    name = "trame.widgets.vtklocal"
    if name in sys.modules:
        yield
        return
    sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.modules.get(name, 0) is None:
            del sys.modules[name]


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
        + _power_legend(player.views[-1].scene.network, swatch, lang)
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


def _power_legend(network: bool, swatch: str, lang: Language = "en") -> str:
    """The legend's power line: the network's loading bands, or the feeders' ramp."""
    if not network:
        return (
            f"<br><b>{say('viz.feeders', lang)}</b> "
            + " ".join(
                swatch.format(c, say("viz.of_capacity", lang, share=f"{v:.0%}"))
                for v, c in palette.FEEDER_STOPS
            )
            + " "
            + swatch.format(palette.FEEDER_DEAD, say("viz.no_supply", lang))
        )
    (amber, green), (red, yellow), (_, high) = palette.LOADING_BANDS
    bands = [(green, f"&lt; {amber:g}%"), (yellow, f"{amber:g}-{red:g}%"), (high, f"&gt; {red:g}%")]
    return (
        f"<br><b>{say('viz.lines', lang)}</b> "
        + " ".join(swatch.format(c, text) for c, text in bands)
        + " "
        + swatch.format(palette.LINE_DEAD, say("viz.open_off", lang))
    )


LABELS_JS = """
(function () {
  const LABELS = %s;
  let layer = null, last = "";
  const canvas = document.createElement("canvas").getContext("2d");
  function scene() {
    const rw = window.global && window.global.renderWindow;
    if (!rw) return null;
    const rens = rw.getRenderers().filter((r) => r.getViewProps().length);
    return rens.length ? rens[rens.length - 1] : null;
  }
  function keepClear() {
    return [...document.querySelectorAll("#parktwin .view, #parktwin .legend")].map((n) => {
      const r = n.getBoundingClientRect();
      return [r.left, r.top, r.right, r.bottom];
    });
  }
  function draw() {
    const ren = scene(), view = document.querySelector("canvas");
    if (!ren || !view) return;
    const box = view.getBoundingClientRect();
    const cam = ren.getActiveCamera();
    const key = JSON.stringify([cam.getPosition(), cam.getFocalPoint(), cam.getViewUp(),
      cam.getViewAngle(), cam.getParallelScale(), box.width, box.height]);
    if (key === last || !box.width || !box.height) return;
    last = key;
    if (!layer) {
      layer = document.createElement("div");
      layer.id = "parktwin-labels";
      layer.setAttribute("style", "position:fixed;inset:0;pointer-events:none;z-index:5;" +
        "font:12px 'DejaVu Sans',sans-serif;color:#f8f9fa");
      document.body.appendChild(layer);
    }
    canvas.font = "12px 'DejaVu Sans', sans-serif";
    const measure = (text) => [canvas.measureText(text).width + 10, 18];
    const items = [], shown = [];
    LABELS.forEach(([text, x, y, z], i) => {
      const p = ren.worldToNormalizedDisplay(x, y, z, box.width / box.height);
      const at = [box.left + p[0] * box.width, box.top + (1 - p[1]) * box.height];
      if (p[2] < 0 || p[2] > 1 || at[0] < box.left || at[0] > box.right ||
          at[1] < box.top || at[1] > box.bottom) return;
      items.push({ texts: [text], anchor: at });
      shown.push(i);
    });
    const spots = placeLabels(items, measure, [box.left + 2, box.top + 2, box.right - 2,
      box.bottom - 2], keepClear(), 3);
    let svg = '<svg width="100%%" height="100%%" style="position:absolute;inset:0">';
    let html = "";
    spots.forEach((spot, k) => {
      if (!spot) return;
      const [x0, y0, x1, y1] = spot.box, [ax, ay] = items[k].anchor;
      const ex = Math.min(Math.max(ax, x0), x1), ey = Math.min(Math.max(ay, y0), y1);
      svg += `<line x1="${ax}" y1="${ay}" x2="${ex}" y2="${ey}" stroke="#f8f9fa" ` +
        `stroke-opacity=".8"/><circle cx="${ax}" cy="${ay}" r="2" fill="#f8f9fa"/>`;
      const label = document.createElement("span");
      label.textContent = spot.text;
      label.className = "parktwin-label";
      label.dataset.index = String(shown[k]);
      label.setAttribute("style", `position:absolute;left:${x0}px;top:${y0}px;` +
        `width:${x1 - x0}px;height:${y1 - y0}px;line-height:${y1 - y0}px;text-align:center;` +
        "background:rgba(16,24,32,.72);border-radius:4px;white-space:nowrap;overflow:hidden");
      html += label.outerHTML;
    });
    layer.innerHTML = svg + "</svg>" + html;
  }
  function loop() {
    try { draw(); } catch (e) { /* the view is not ready yet */ }
    requestAnimationFrame(loop);
  }
  requestAnimationFrame(loop);
})();
"""
"""The 3D page's labels: each frame the camera moved, the scene's label anchors are projected
with vtk.js's renderer and laid out by ``placement.js`` (none overlapping, none past the view,
none over the panels), as HTML over the view."""


def labels_script(player: Any) -> str:
    """The script that labels the 3D page (one view only; side-by-side pages have none)."""
    if len(player.views) != 1:
        return ""
    points, texts = player.views[0].scene.labels
    pairs = zip(points, texts, strict=True)
    data = [[text, *(round(float(v), 2) for v in point)] for point, text in pairs]
    script = PLACEMENT_JS.read_text(encoding="utf-8") + LABELS_JS % json.dumps(data)
    return "<script>" + script.replace("</", "<\\/") + "</script>"


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
    keeper += labels_script(player)
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
