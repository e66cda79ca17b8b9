"""Plane geometry of the park's outlines: areas, centroids, containment, nearest points, extents.

Every polygon here is an ``(n, 2)`` array of corners in park metres (x east, y north), not
closed (the last corner joins the first). Pure numpy; the road network, the footprint check,
the 3D views and the web plan all call these functions rather than their own copies.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

Corner = tuple[float, float]


def signed_area(polygon: np.ndarray) -> float:
    """Signed area of a polygon (shoelace): positive when its corners run anticlockwise."""
    x, y = polygon[:, 0], polygon[:, 1]
    return float((x * np.roll(y, -1) - np.roll(x, -1) * y).sum() / 2.0)


def polygon_area(polygon: np.ndarray) -> float:
    """Unsigned area of a simple polygon."""
    return abs(signed_area(polygon))


def centroid(polygon: np.ndarray) -> np.ndarray:
    """Area centroid of a simple polygon (its corner mean when the area is zero)."""
    x, y = polygon[:, 0], polygon[:, 1]
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    cross = x * yn - xn * y
    area = cross.sum() / 2.0
    if abs(area) < 1e-9:
        return np.asarray(polygon.mean(axis=0), dtype=float)
    return np.array([((x + xn) * cross).sum(), ((y + yn) * cross).sum()]) / (6.0 * area)


def anticlockwise(polygon: np.ndarray) -> np.ndarray:
    """The polygon with its corners in anticlockwise order (reversed when they run clockwise)."""
    return polygon if signed_area(polygon) >= 0 else polygon[::-1]


def contains(polygon: np.ndarray, point: Sequence[float] | np.ndarray) -> bool:
    """Whether a point lies inside a simple polygon (ray casting; corners in either order)."""
    x, y = float(point[0]), float(point[1])
    px, py = polygon[:, 0], polygon[:, 1]
    qx, qy = np.roll(px, -1), np.roll(py, -1)
    crosses = ((py > y) != (qy > y)) & (
        x < (qx - px) * (y - py) / np.where(qy == py, 1, qy - py) + px
    )
    return bool(crosses.sum() % 2)


def boundary_distances(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Distance from each of ``points`` (``(n, 2)``) to the polygon's boundary (0 on it)."""
    starts = polygon
    ends = np.roll(polygon, -1, axis=0)
    seg = ends - starts  # (m, 2)
    rel = points[:, None, :] - starts[None, :, :]  # (n, m, 2)
    length2 = np.maximum((seg**2).sum(axis=1), 1e-12)
    t = np.clip((rel * seg[None]).sum(axis=2) / length2, 0.0, 1.0)
    nearest = starts[None] + t[..., None] * seg[None]
    return np.hypot(*(points[:, None, :] - nearest).transpose(2, 0, 1)).min(axis=1)


def nearest_on_boundary(point: np.ndarray, polygon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The point of the polygon's boundary nearest ``point``, and the outward unit normal there."""
    starts, ends = polygon, np.roll(polygon, -1, axis=0)
    seg = ends - starts
    length2 = np.maximum((seg**2).sum(axis=1), 1e-12)
    s = np.clip(((point - starts) * seg).sum(axis=1) / length2, 0.0, 1.0)
    nearest = starts + s[:, None] * seg
    i = int(np.argmin(np.hypot(*(nearest - point).T)))
    normal = np.array([seg[i, 1], -seg[i, 0]]) / math.sqrt(length2[i])
    if signed_area(polygon) < 0:  # clockwise: the right-hand normal points inwards
        normal = -normal
    return nearest[i], normal


def extent(points: Iterable[Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    """Lower-left and upper-right corners ``(x, y)`` of some points (the origin when none)."""
    array = np.asarray(list(points), dtype=float)
    if not len(array):
        array = np.zeros((1, 2))
    return array.min(axis=0), array.max(axis=0)


def first_crossing(corners: Sequence[Corner]) -> tuple[int, int] | None:
    """The first pair ``(i, j)``, ``i < j``, of non-adjacent edges that touch or cross, or None.

    Edge k runs from corner k to corner k + 1 (the last back to the first). Small polygons are
    checked one edge pair at a time, large ones all at once with numpy; both give the same pair.
    """
    if len(corners) <= SMALL_POLYGON:
        return crossing_by_loop(list(corners))
    return crossing_by_arrays(np.asarray(corners, dtype=float))


SMALL_POLYGON = 24
"""Up to this many corners a loop over the edge pairs is faster than numpy's set-up."""


def crossing_by_loop(corners: list[Corner]) -> tuple[int, int] | None:
    """:func:`first_crossing` for a small polygon, one edge pair at a time."""
    edges = list(zip(corners, corners[1:] + corners[:1], strict=True))
    n = len(edges)
    for i in range(n):
        for j in range(i + 2, n):
            if not (i == 0 and j == n - 1) and _segments_cross(*edges[i], *edges[j]):
                return i, j
    return None


def _segments_cross(a: Corner, b: Corner, c: Corner, d: Corner) -> bool:
    def orient(p: Corner, q: Corner, r: Corner) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])

    def on_segment(p: Corner, q: Corner, r: Corner) -> bool:
        return min(p[0], q[0]) <= r[0] <= max(p[0], q[0]) and min(p[1], q[1]) <= r[1] <= max(
            p[1], q[1]
        )

    o1, o2, o3, o4 = orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)
    if o1 * o2 < 0 and o3 * o4 < 0:
        return True
    return any(
        o == 0 and on_segment(p, q, r)
        for o, p, q, r in ((o1, a, b, c), (o2, a, b, d), (o3, c, d, a), (o4, c, d, b))
    )


def crossing_by_arrays(corners: np.ndarray) -> tuple[int, int] | None:
    """:func:`first_crossing` with all edge pairs tested at once.

    A footprint may have 1000 corners: half a million pairs. The orientation arithmetic is the
    loop's, so the answer is the loop's.
    """
    a, b = corners, np.roll(corners, -1, axis=0)
    n = len(a)

    def orient(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
        return (q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1]) - (q[..., 1] - p[..., 1]) * (
            r[..., 0] - p[..., 0]
        )

    def on_segment(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
        inside = np.ones(np.broadcast_shapes(p.shape, r.shape)[:-1], dtype=bool)
        for axis in (0, 1):
            low = np.minimum(p[..., axis], q[..., axis])
            high = np.maximum(p[..., axis], q[..., axis])
            inside &= (low <= r[..., axis]) & (r[..., axis] <= high)
        return inside

    ai, bi, cj, dj = a[:, None], b[:, None], a[None, :], b[None, :]
    o1, o2, o3, o4 = orient(ai, bi, cj), orient(ai, bi, dj), orient(cj, dj, ai), orient(cj, dj, bi)
    cross = (o1 * o2 < 0) & (o3 * o4 < 0)
    cross |= (o1 == 0) & on_segment(ai, bi, cj)
    cross |= (o2 == 0) & on_segment(ai, bi, dj)
    cross |= (o3 == 0) & on_segment(cj, dj, ai)
    cross |= (o4 == 0) & on_segment(cj, dj, bi)
    i, j = np.triu_indices(n, k=2)
    keep = ~((i == 0) & (j == n - 1))
    hits = np.flatnonzero(cross[i[keep], j[keep]])
    if not len(hits):
        return None
    return int(i[keep][hits[0]]), int(j[keep][hits[0]])
