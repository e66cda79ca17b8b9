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
from viz import palette
from viz.fonts import font_file

PANEL = (16, 24, 32, 178)
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


def label_patches(
    anchors: np.ndarray,
    texts: Sequence[str],
    width: int,
    height: int,
    size: int,
    offset: tuple[int, int] = (0, 0),
    keep_clear: Sequence[tuple[int, int, int, int]] = (),
) -> list[Patch]:
    """Labels centred above their anchor points, skipping any that would overlap.

    Args:
        anchors: ``(n, 2)`` pixel positions in the view (x right, y down), in priority order.
        texts: One text per anchor.
        width: View width in pixels.
        height: View height in pixels.
        size: Text size in pixels.
        offset: Where the view's top-left corner is in the frame.
        keep_clear: ``(x0, y0, x1, y1)`` boxes (view pixels) no label may cover.

    Returns:
        One patch per label that fits.
    """
    placed: list[tuple[int, int, int, int]] = list(keep_clear)
    patches: list[Patch] = []
    face = font(size)
    pad = max(2, size // 4)
    for (ax, ay), text in zip(np.asarray(anchors, float), texts, strict=True):
        if not (np.isfinite(ax) and np.isfinite(ay)) or not (0 <= ax < width and 0 <= ay < height):
            continue
        left, top, right, bottom = face.getbbox(text)
        tw, th = int(right - left) + 2 * pad, int(bottom - top) + 2 * pad
        tick = max(4, size // 2)
        for dy in (-(th + tick), tick):  # above the anchor, else below it
            x0 = round(float(ax) - tw / 2)
            x0 = min(max(x0, 2), width - tw - 2)
            y0 = round(float(ay) + dy)
            box = (x0, y0, x0 + tw, y0 + th)
            if box[1] < 2 or box[3] > height - 2 or any(_overlap(box, other) for other in placed):
                continue
            placed.append((box[0] - 3, box[1] - 3, box[2] + 3, box[3] + 3))
            x_lo, y_lo = min(x0, int(ax) - 2), min(y0, int(ay) - 2)
            x_hi, y_hi = max(x0 + tw, int(ax) + 3), max(y0 + th, int(ay) + 3)
            image = Image.new("RGBA", (x_hi - x_lo, y_hi - y_lo), (0, 0, 0, 0))
            draw = ImageDraw.Draw(image)
            bx, by = x0 - x_lo, y0 - y_lo
            tip = (int(ax) - x_lo, int(ay) - y_lo)
            edge_y = by + th if dy < 0 else by
            draw.line([(tip[0], edge_y), tip], fill=(248, 249, 250, 200), width=1)
            draw.ellipse([tip[0] - 2, tip[1] - 2, tip[0] + 2, tip[1] + 2], fill=WHITE)
            draw.rounded_rectangle([bx, by, bx + tw - 1, by + th - 1], radius=pad, fill=PANEL)
            draw.text((bx + pad - left, by + pad - top), text, font=face, fill=WHITE)
            patches.append(Patch.of(image, x_lo + offset[0], y_lo + offset[1]))
            break
    return patches


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def legend_patch(
    kinds: Sequence[str], size: int, corner: tuple[int, int], offset: tuple[int, int] = (0, 0)
) -> Patch:
    """The colour legend as one panel; `corner` is its bottom-right corner in the view."""
    face, small = font(size), font(max(9, int(size * 0.85)))
    pad, sw = size // 2 + 2, size
    line = int(size * 1.55)
    rows: list[list[tuple[str, str | tuple[tuple[float, str], ...]]]] = [
        [(kind, palette.KIND_COLORS[kind]) for kind in kinds],
        [("0", palette.LOAD_STOPS), ("100% of own peak", ""), ("no power", palette.NO_POWER)],
        [("0", palette.FEEDER_STOPS), ("100% of capacity", ""), ("no supply", palette.FEEDER_DEAD)],
        [
            ("driving", palette.TRUCK_COLORS["driving"]),
            ("queued", palette.TRUCK_COLORS["queued"]),
            ("at gate or dock", palette.TRUCK_COLORS["served"]),
        ],
    ]
    titles = ["Buildings (walls)", "Roofs: power load", "Feeders: load", "Trucks"]
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
        (say("viz.park_power", lang), f"{kpis['park_power_mw']:.1f} MW", False),
    ]
    if kpis.get("unserved_mw", 0.0) > 0.05:
        rows.append((say("viz.unserved", lang), f"{kpis['unserved_mw']:.1f} MW", True))
    return rows
