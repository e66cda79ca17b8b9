"""A small SVG chart toolkit for self-contained HTML pages: no JavaScript, no external URLs.

Line charts (:func:`svg_chart`), interval charts (:func:`svg_intervals`), round axis ticks
(:func:`nice_ticks`) and a colour palette; the page around them is :mod:`twin.reports.page`.
Every report draws with it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np

from twin.language import Language
from twin.text import fmt

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")


def nice_ticks(low: float, high: float, count: int = 5, inside: bool = False) -> list[float]:
    """About `count` round tick values (steps of 1, 2 or 5 times a power of ten) covering
    ``[low, high]``; with `inside`, only those within it."""
    if not high > low:
        return [low]
    raw = (high - low) / count
    power = 10.0 ** np.floor(np.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = np.floor(low / step) * step
    ticks = [
        float(round(first + k * step, 12)) for k in range(int(np.ceil((high - first) / step)) + 1)
    ]
    if inside:
        ticks = [t for t in ticks if low - 1e-9 <= t <= high + 1e-9]
    return ticks


def svg_chart(
    lines: dict[str, tuple[np.ndarray, np.ndarray]],
    xlabel: str,
    ylabel: str,
    width: int = 760,
    height: int = 260,
    lang: Language = "en",
) -> str:
    """A small inline SVG line chart with axes, ticks and a legend; tick numbers in `lang`'s
    style (``2,5`` in vi)."""
    if not lines:
        return "<p>(no data)</p>"
    left, right, top, bottom = 56, 150, 12, 36
    xs = np.concatenate([x for x, _ in lines.values()])
    ys = np.concatenate([y for _, y in lines.values()])
    x0, x1 = float(xs.min()), float(xs.max()) or 1.0
    top_value = float(np.nanmax(ys)) if ys.size and np.isfinite(np.nanmax(ys)) else 1.0
    y_ticks = nice_ticks(0.0, top_value if top_value > 0 else 1.0)
    y1 = max(float(y_ticks[-1]), top_value)
    pw, ph = width - left - right, height - top - bottom

    def sx(x: np.ndarray) -> np.ndarray:
        return left + (x - x0) / ((x1 - x0) or 1.0) * pw

    def sy(y: np.ndarray) -> np.ndarray:
        return top + ph - y / y1 * ph

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#ccc"/>',
    ]
    for yv in y_ticks:
        yp = sy(np.array(yv))
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{yp:.1f}" y2="{yp:.1f}" stroke="#eee"/>'
        )
        parts.append(
            f'<text x="{left - 4}" y="{yp + 4:.1f}" text-anchor="end">{fmt(yv, lang=lang)}</text>'
        )
    for xv in nice_ticks(x0, x1, inside=True):
        xp = sx(np.array(xv))
        parts.append(
            f'<text x="{xp:.1f}" y="{top + ph + 14}" text-anchor="middle">{fmt(xv, 2, lang)}</text>'
        )
    parts.append(
        f'<text x="{left + pw / 2}" y="{height - 4}" text-anchor="middle">{html.escape(xlabel)}'
        f'</text><text x="12" y="{top + ph / 2}" transform="rotate(-90 12 {top + ph / 2})" '
        f'text-anchor="middle">{html.escape(ylabel)}</text>'
    )
    for n, (name, (x, y)) in enumerate(lines.items()):
        color = PALETTE[n % len(PALETTE)]
        points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(sx(x), sy(y), strict=True))
        parts.append(
            f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="{points}"/>'
        )
        ly = top + 14 + 16 * n
        parts.append(
            f'<line x1="{left + pw + 10}" x2="{left + pw + 28}" y1="{ly - 4}" y2="{ly - 4}" '
            f'stroke="{color}" stroke-width="3"/><text x="{left + pw + 32}" y="{ly}">'
            f"{html.escape(str(name))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def svg_intervals(
    title: str,
    unit: str,
    entries: Sequence[tuple[str, float, float, float]],
    width: int = 460,
    lang: Language = "en",
) -> str:
    """A small inline SVG of 95% intervals side by side: one row per case.

    Args:
        title: the KPI's name, above the chart.
        unit: the unit, under the axis.
        entries: ``(case, mean, low, high)`` per row, top to bottom.
        width: the picture's width in pixels.
        lang: the style of the axis numbers and means (``2,5`` in vi).

    Returns:
        The ``<svg>`` element (or a note when there is nothing to draw).
    """
    finite = [e for e in entries if not any(math.isnan(v) for v in e[1:])]
    if not finite:
        return f"<p>{html.escape(title)}: (no data)</p>"
    left, right, top, row_h = 130, 70, 22, 20
    height = top + row_h * len(entries) + 26
    lo = min(e[2] for e in finite)
    hi = max(e[3] for e in finite)
    pad = (hi - lo) * 0.08 or max(abs(hi), 1.0) * 0.05
    x0, x1 = lo - pad, hi + pad
    if lo >= 0 > x0:  # a KPI that cannot be negative gets no negative axis
        x0 = 0.0
    pw = width - left - right

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * pw

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
        f'<text x="4" y="14" font-weight="bold">{html.escape(title)}</text>',
    ]
    axis_y = top + row_h * len(entries) + 4
    for k in range(5):
        xv = x0 + (x1 - x0) * k / 4
        xp = sx(xv)
        parts.append(
            f'<line x1="{xp:.1f}" x2="{xp:.1f}" y1="{top}" y2="{axis_y}" stroke="#eee"/>'
            f'<text x="{xp:.1f}" y="{axis_y + 12}" text-anchor="middle">{fmt(xv, lang=lang)}</text>'
        )
    parts.append(
        f'<text x="{left + pw / 2:.1f}" y="{height - 1}" text-anchor="middle">'
        f"{html.escape(unit)}</text>"
    )
    for n, (name, mean, low, high) in enumerate(entries):
        y = top + row_h * n + row_h / 2
        color = PALETTE[n % len(PALETTE)]
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{html.escape(name)}</text>'
        )
        if any(math.isnan(v) for v in (mean, low, high)):
            continue
        parts.append(
            f'<line x1="{sx(low):.1f}" x2="{sx(high):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{color}" stroke-width="2"/>'
            f'<line x1="{sx(low):.1f}" x2="{sx(low):.1f}" y1="{y - 5:.1f}" y2="{y + 5:.1f}" '
            f'stroke="{color}"/><line x1="{sx(high):.1f}" x2="{sx(high):.1f}" '
            f'y1="{y - 5:.1f}" y2="{y + 5:.1f}" stroke="{color}"/>'
            f'<circle cx="{sx(mean):.1f}" cy="{y:.1f}" r="3.5" fill="{color}"/>'
            f'<text x="{left + pw + 6}" y="{y + 4:.1f}">{fmt(mean, lang=lang)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
