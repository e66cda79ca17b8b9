"""2D text over rendered frames: labels, legend, clock and KPI panel, drawn with Pillow.

VTK's built-in font drops characters outside Latin-1 and its label boxes misalign when centred,
so files (png, mp4, gif) get their text from Pillow with a font that covers Vietnamese
(:func:`viz.fonts.font_file`), composited onto each frame in numpy. The static part (labels,
legend) is drawn once per video; the clock and KPI panels are small patches redrawn per frame.
Pure Pillow and numpy: no VTK here.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from twin.language import Language, say
from twin.text import localized
from viz import palette
from viz.fonts import font_file

PANEL = (16, 24, 32, 178)
TRUCK_STATES = ("driving", "queued", "served")
"""The truck colours of the legend, in order (keys of ``palette.TRUCK_COLORS``)."""
WHITE = (248, 249, 250, 255)
MUTED = (190, 198, 206, 255)
ALERT = (255, 107, 107, 255)


@dataclass(frozen=True)
class Patch:
    """An RGBA image to blend onto a frame with its top-left corner at (x, y)."""

    x: int
    y: int
    rgba: np.ndarray  # (h, w, 4) uint8

    @classmethod
    def of(cls, image: Image.Image, x: int, y: int) -> Patch:
        """A patch of a Pillow image."""
        return cls(int(x), int(y), np.asarray(image.convert("RGBA"), dtype=np.uint8))

    @functools.cached_property
    def _blend(self) -> tuple[np.ndarray, np.ndarray]:
        """Premultiplied colour and inverse alpha, in 1/256 units, computed once per patch."""
        alpha = self.rgba[..., 3:4].astype(np.uint16)
        alpha = alpha + (alpha >> 7)  # 0..255 -> 0..256, so that 255 is fully opaque
        return self.rgba[..., :3].astype(np.uint16) * alpha, 256 - alpha


@functools.cache
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (bold) at a pixel size, falling back to Pillow's default font."""
    path = font_file()
    if path and bold:
        candidate = path.replace("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
        try:
            return ImageFont.truetype(candidate, size)
        except OSError:
            pass
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)  # pragma: no cover - the viz extra brings a font


def base_size(height: int) -> int:
    """Text size in pixels for a frame (or view) of this height."""
    return int(max(10, round(height / 50)))


def composite(frame: np.ndarray, patches: Sequence[Patch]) -> np.ndarray:
    """Blend patches onto an RGB frame in place (clipped to the frame) and return it.

    `frame` may be any (h, w, 3) uint8 view, e.g. the flipped RGB channels of an RGBA
    framebuffer; it is written through.
    """
    h, w = frame.shape[:2]
    for patch in patches:
        ph, pw = patch.rgba.shape[:2]
        x0, y0 = max(patch.x, 0), max(patch.y, 0)
        x1, y1 = min(patch.x + pw, w), min(patch.y + ph, h)
        if x0 >= x1 or y0 >= y1:
            continue
        colour, inverse = patch._blend
        rows = slice(y0 - patch.y, y1 - patch.y)
        cols = slice(x0 - patch.x, x1 - patch.x)
        region = frame[y0:y1, x0:x1]
        mixed = region.astype(np.uint16)  # in-place steps: several times faster than one expression
        mixed *= inverse[rows, cols]
        mixed += colour[rows, cols]
        mixed >>= 8
        region[...] = mixed
    return frame


def _rgba(color: str) -> tuple[int, int, int, int]:
    r, g, b = (int(v) for v in palette.rgb(color))
    return (r, g, b, 255)


Box = tuple[int, int, int, int]

RINGS = (0.0, 1.0, 2.0, 3.2, 4.6, 6.2)
"""How far from its anchor a label may move, in label heights beyond touching it (0: above)."""
DIRECTIONS = ((0, -1), (0, 1), (1, 0), (-1, 0), (1, -1), (-1, -1), (1, 1), (-1, 1))


@dataclass(frozen=True)
class Placed:
    """A label's text and box (view pixels) as placed, and the anchor it points to."""

    index: int
    text: str
    box: Box
    anchor: tuple[float, float]


class TakenBoxes:
    """Boxes already taken, bucketed on a grid so that a test looks only at its neighbours."""

    CELL = 64

    def __init__(self, boxes: Sequence[Box] = ()) -> None:
        self.cells: dict[tuple[int, int], list[Box]] = {}
        for box in boxes:
            self.add(box)

    def _cells(self, box: Box) -> list[tuple[int, int]]:
        c = self.CELL
        return [
            (i, j)
            for i in range(box[0] // c, box[2] // c + 1)
            for j in range(box[1] // c, box[3] // c + 1)
        ]

    def add(self, box: Box) -> None:
        """Take a box."""
        for cell in self._cells(box):
            self.cells.setdefault(cell, []).append(box)

    def hits(self, box: Box) -> bool:
        """True when the box overlaps a box taken."""
        return any(
            _overlap(box, other) for cell in self._cells(box) for other in self.cells.get(cell, ())
        )


def shorter_texts(text: str) -> list[str]:
    """A text, then cut at word boundaries with an ellipsis, longest first."""
    out = [text]
    words = text.split()
    for n in range(len(words) - 1, 0, -1):
        cut = " ".join(words[:n]).rstrip("–-,:( ").strip() + "…"
        if len(cut) > 1 and cut not in out:
            out.append(cut)
    return out


def _candidates(ax: float, ay: float, tw: int, th: int, tick: int) -> list[tuple[int, int]]:
    """Top-left corners to try for a tw x th box: above the anchor, below, then around it."""
    out = [(round(ax - tw / 2), round(ay - th - tick)), (round(ax - tw / 2), round(ay + tick))]
    for ring in RINGS[1:]:
        for dx, dy in DIRECTIONS:
            cx = ax + dx * (tw / 2 + tick + (ring - 1) * th)
            cy = ay + dy * (th / 2 + tick + (ring - 1) * th)
            out.append((round(cx - tw / 2), round(cy - th / 2)))
    return out


def place_labels(
    anchors: np.ndarray,
    texts: Sequence[str],
    width: int,
    height: int,
    size: int,
    keep_clear: Sequence[Box] = (),
) -> list[Placed]:
    """Boxes for labels, none overlapping another or `keep_clear`, none past the view's edge.

    Each label tries positions around its anchor, nearest first (then a leader line shows
    where it belongs), then the same with its text cut at a word with an ellipsis. A label
    whose anchor is outside the view is not placed; so is one that fits nowhere.

    Args:
        anchors: ``(n, 2)`` pixel positions in the view (x right, y down), in priority order.
        texts: One text per anchor.
        width: View width in pixels.
        height: View height in pixels.
        size: Text size in pixels.
        keep_clear: ``(x0, y0, x1, y1)`` boxes (view pixels) no label may cover.
    """
    placed = TakenBoxes(keep_clear)
    out: list[Placed] = []
    face = font(size)
    pad = max(2, size // 4)
    tick = max(4, size // 2)
    for i, ((ax, ay), text) in enumerate(zip(np.asarray(anchors, float), texts, strict=True)):
        if not (np.isfinite(ax) and np.isfinite(ay)) or not (0 <= ax < width and 0 <= ay < height):
            continue
        spot = _first_fit(face, pad, tick, (float(ax), float(ay)), text, placed, (width, height))
        if spot is not None:
            box, shown = spot
            placed.add((box[0] - 3, box[1] - 3, box[2] + 3, box[3] + 3))
            out.append(Placed(i, shown, box, (float(ax), float(ay))))
    return out


def _first_fit(
    face: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    pad: int,
    tick: int,
    anchor: tuple[float, float],
    text: str,
    placed: TakenBoxes,
    view: tuple[int, int],
) -> tuple[Box, str] | None:
    """The first free box for the text (or a shorter form of it) around the anchor."""
    for shown in shorter_texts(text):
        left, top, right, bottom = face.getbbox(shown)
        tw, th = int(right - left) + 2 * pad, int(bottom - top) + 2 * pad
        for x0, y0 in _candidates(anchor[0], anchor[1], tw, th, tick):
            box = (x0, y0, x0 + tw, y0 + th)
            if box[0] < 2 or box[1] < 2 or box[2] > view[0] - 2 or box[3] > view[1] - 2:
                continue
            if not placed.hits(box):
                return box, shown
    return None


def label_patches(
    placed: Sequence[Placed], size: int, offset: tuple[int, int] = (0, 0)
) -> list[Patch]:
    """The labels of :func:`place_labels` drawn: a panel with the text, a line to the anchor.

    Args:
        placed: The placed labels (view pixels).
        size: Text size in pixels (as placed).
        offset: Where the view's top-left corner is in the frame.

    Returns:
        One patch per label.
    """
    face = font(size)
    pad = max(2, size // 4)
    patches = []
    for spot in placed:
        x0, y0, x1, y1 = spot.box
        ax, ay = int(spot.anchor[0]), int(spot.anchor[1])
        x_lo, y_lo = min(x0, ax - 2), min(y0, ay - 2)
        x_hi, y_hi = max(x1, ax + 3), max(y1, ay + 3)
        image = Image.new("RGBA", (x_hi - x_lo, y_hi - y_lo), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        tip = (ax - x_lo, ay - y_lo)
        edge = (min(max(ax, x0), x1 - 1) - x_lo, min(max(ay, y0), y1 - 1) - y_lo)
        draw.line([edge, tip], fill=(248, 249, 250, 200), width=1)
        draw.ellipse([tip[0] - 2, tip[1] - 2, tip[0] + 2, tip[1] + 2], fill=WHITE)
        bx, by = x0 - x_lo, y0 - y_lo
        draw.rounded_rectangle([bx, by, bx + x1 - x0 - 1, by + y1 - y0 - 1], radius=pad, fill=PANEL)
        left, top, _, _ = face.getbbox(spot.text)
        draw.text((bx + pad - left, by + pad - top), spot.text, font=face, fill=WHITE)
        patches.append(Patch.of(image, x_lo + offset[0], y_lo + offset[1]))
    return patches


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


LegendRow = list[tuple[str, str | tuple[tuple[float, str], ...]]]
"""A legend row: ``(text, colour)`` swatches, a colour ramp's stops, or ``""`` for text alone."""


def legend_rows(
    kinds: Sequence[str], network: bool, lang: Language
) -> tuple[list[str], list[LegendRow]]:
    """The legend's row titles and rows in `lang` (every word from the translation table)."""
    rows: list[LegendRow] = [
        [(say(f"viz.kind.{kind}", lang), palette.KIND_COLORS[kind]) for kind in kinds],
        [
            ("0", palette.LOAD_STOPS),
            (say("viz.of_own_peak", lang), ""),
            (say("viz.no_power", lang), palette.NO_POWER),
        ],
        _power_row(network, lang),
        [(say(f"viz.truck.{k}", lang), palette.TRUCK_COLORS[k]) for k in TRUCK_STATES],
    ]
    titles = [
        say("viz.buildings_walls", lang),
        say("viz.roofs", lang),
        say("viz.lines" if network else "viz.feeders", lang),
        say("viz.trucks", lang),
    ]
    return titles, rows


def legend_patch(
    kinds: Sequence[str],
    size: int,
    corner: tuple[int, int],
    offset: tuple[int, int] = (0, 0),
    network: bool = False,
    lang: Language = "en",
) -> Patch:
    """The colour legend as one panel, in `lang`; `corner` is its bottom-right corner in the view.

    With `network`, the power row shows the network lines' loading bands instead of feeders.
    """
    face, small = font(size), font(max(9, int(size * 0.85)))
    pad, sw = size // 2 + 2, size
    line = int(size * 1.55)
    titles, rows = legend_rows(kinds, network, lang)
    title_w = max(int(face.getlength(t)) for t in titles) + 2 * pad
    bar_w = 4 * sw

    def row_width(row: Sequence[tuple[str, object]]) -> int:
        total = 0
        for text, colour in row:
            if isinstance(colour, tuple):
                total += int(small.getlength(text)) + 4 + bar_w + 4
            elif colour:
                total += sw + 4 + int(small.getlength(text)) + pad
            else:
                total += int(small.getlength(text)) + pad
        return total

    width = title_w + max(row_width(r) for r in rows) + pad
    height = len(rows) * line + 2 * pad - (line - size) // 2
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([0, 0, width - 1, height - 1], radius=pad, fill=PANEL)
    for r, (title, row) in enumerate(zip(titles, rows, strict=True)):
        y = pad + r * line
        draw.text((pad, y), title, font=face, fill=WHITE)
        x = title_w
        for text, colour in row:
            if isinstance(colour, tuple):
                draw.text((x, y + 1), text, font=small, fill=MUTED)
                x += int(small.getlength(text)) + 4
                values = np.linspace(0.0, 1.0, bar_w)
                strip = palette.ramp(values, colour)
                bar = np.repeat(strip[None, :, :], sw, axis=0)
                image.paste(Image.fromarray(bar, "RGB"), (x, y + 1))
                x += bar_w + 4
            elif colour:
                draw.rectangle([x, y + 1, x + sw - 1, y + sw], fill=_rgba(str(colour)))
                draw.rectangle([x, y + 1, x + sw - 1, y + sw], outline=(0, 0, 0, 160))
                x += sw + 4
                draw.text((x, y + 1), text, font=small, fill=MUTED)
                x += int(small.getlength(text)) + pad
            else:
                draw.text((x, y + 1), text, font=small, fill=MUTED)
                x += int(small.getlength(text)) + pad
    return Patch.of(image, corner[0] - width + offset[0], corner[1] - height + offset[1])


def _power_row(network: bool, lang: Language) -> LegendRow:
    """The legend's power row: loading bands of network lines, or the feeders' ramp."""
    if not network:
        return [
            ("0", palette.FEEDER_STOPS),
            (say("viz.of_full_capacity", lang), ""),
            (say("viz.no_supply", lang), palette.FEEDER_DEAD),
        ]
    (amber, green), (red, yellow), (_, high) = palette.LOADING_BANDS
    return [
        (localized(f"< {amber:g}%", lang), green),
        (localized(f"{amber:g}-{red:g}%", lang), yellow),
        (localized(f"> {red:g}%", lang), high),
        (say("viz.open_off", lang), palette.LINE_DEAD),
    ]


@functools.lru_cache(maxsize=64)
def _clock_base(subtitle: str, caption: str, size: int, clock_w: int) -> tuple[Image.Image, int]:
    """The clock panel without its time: background, date and caption (cached)."""
    big, face = font(int(size * 1.6), bold=True), font(size)
    pad = size // 2 + 2
    big_h = big.getbbox("day 0  00:00")[3] - big.getbbox("day 0  00:00")[1] + size // 3
    lines = [(t, face) for t in (subtitle, caption) if t]
    heights = [f.getbbox(t)[3] - f.getbbox(t)[1] + size // 3 for t, f in lines]
    width = max([clock_w, *(int(f.getlength(t)) for t, f in lines)]) + 2 * pad
    height = big_h + sum(heights) + 2 * pad
    image = Image.new("RGBA", (int(width), int(height)), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([0, 0, width - 1, height - 1], radius=pad, fill=PANEL)
    y = pad + big_h
    for (text, face_), h in zip(lines, heights, strict=True):
        draw.text(
            (pad, y - face_.getbbox(text)[1]),
            text,
            font=face_,
            fill=MUTED if text == subtitle else WHITE,
        )
        y += h
    return image, pad


def clock_patch(
    clock: str, subtitle: str, caption: str, size: int, offset: tuple[int, int] = (0, 0)
) -> Patch:
    """The clock panel (top left): big time, then date and caption."""
    big = font(int(size * 1.6), bold=True)
    clock_w = max(int(big.getlength(clock)), int(big.getlength("day 00  00:00")))
    base, pad = _clock_base(subtitle, caption, size, clock_w)
    image = base.copy()
    ImageDraw.Draw(image).text((pad, pad - big.getbbox(clock)[1]), clock, font=big, fill=WHITE)
    return Patch.of(image, offset[0] + pad, offset[1] + pad)


@functools.lru_cache(maxsize=64)
def _kpi_base(labels: tuple[tuple[str, bool], ...], size: int) -> tuple[Image.Image, int, int]:
    """The KPI panel without its values: background and labels (cached)."""
    face, bold = font(size), font(size, bold=True)
    pad = size // 2 + 2
    line = int(size * 1.45)
    label_w = max(int(face.getlength(label)) for label, _ in labels)
    value_w = int(bold.getlength("8888.8 MW"))
    width = label_w + value_w + 3 * pad
    height = len(labels) * line + 2 * pad - (line - size)
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([0, 0, width - 1, height - 1], radius=pad, fill=PANEL)
    for r, (label, alert) in enumerate(labels):
        draw.text((pad, pad + r * line), label, font=face, fill=ALERT if alert else MUTED)
    return image, pad, line


def kpi_patch(
    rows: Sequence[tuple[str, str, bool]], size: int, right: int, offset: tuple[int, int] = (0, 0)
) -> Patch:
    """The live KPI panel (top right): ``(label, value, alert)`` rows, values right-aligned."""
    bold = font(size, bold=True)
    base, pad, line = _kpi_base(tuple((label, alert) for label, _, alert in rows), size)
    image = base.copy()
    draw = ImageDraw.Draw(image)
    for r, (_, value, alert) in enumerate(rows):
        x = image.width - pad - int(bold.getlength(value))
        draw.text((x, pad + r * line), value, font=bold, fill=ALERT if alert else WHITE)
    return Patch.of(image, offset[0] + right - image.width - pad, offset[1] + pad)


def panel_rows(kpis: dict[str, float], lang: Language = "en") -> list[tuple[str, str, bool]]:
    """The KPI panel's rows from :attr:`viz.frames.Frame.kpis`, labelled in `lang`."""
    rows = [
        (say("viz.trucks_in_park", lang), f"{kpis['trucks_in_park']:.0f}", False),
        (say("viz.gate_queue", lang), f"{kpis['gate_queue']:.0f}", False),
        (say("viz.dock_queue", lang), f"{kpis['dock_queue']:.0f}", False),
        (say("viz.park_power", lang), f"{_one_decimal(kpis['park_power_mw'], lang)} MW", False),
    ]
    if kpis.get("unserved_mw", 0.0) > 0.05:
        rows.append(
            (say("viz.unserved", lang), f"{_one_decimal(kpis['unserved_mw'], lang)} MW", True)
        )
    return rows


def _one_decimal(value: float, lang: Language) -> str:
    """``134.9`` (``134,9`` in vi): a panel figure with one decimal, no thousands separator."""
    return localized(f"{value:.1f}", lang)
