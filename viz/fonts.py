"""The font of every text in the 3D views: one that covers Vietnamese."""

from __future__ import annotations

import functools
from pathlib import Path

_DEBIAN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@functools.cache
def font_file() -> str | None:
    """A TrueType font that covers Vietnamese: Debian's DejaVu Sans, else matplotlib's copy.

    VTK's built-in font drops every character outside Latin-1 (``Điềm Thụy`` would lose its
    ``Đ``, ``ề`` and ``ụ``), so every text actor gets this file.
    """
    if _DEBIAN_FONT.is_file():
        return str(_DEBIAN_FONT)
    try:
        import matplotlib
    except ImportError:  # pragma: no cover - matplotlib is in the viz extra
        return None
    candidate = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return str(candidate) if candidate.is_file() else None
