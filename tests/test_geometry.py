"""twin.model.geometry against closed forms and independent checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twin.model.geometry import (
    anticlockwise,
    boundary_distances,
    centroid,
    contains,
    extent,
    first_crossing,
    nearest_on_boundary,
    polygon_area,
    signed_area,
)


def regular(n: int, radius: float, centre: tuple[float, float], turn: float = 0.3) -> np.ndarray:
    """A regular n-gon, corners anticlockwise."""
    angles = turn + 2 * math.pi * np.arange(n) / n
    return np.column_stack(
        [centre[0] + radius * np.cos(angles), centre[1] + radius * np.sin(angles)]
    )


@pytest.mark.parametrize("n", [3, 4, 7, 50])
def test_a_regular_polygon_has_its_textbook_area_and_its_centre_as_centroid(n):
    poly = regular(n, 30.0, (120.0, -45.0))
    expected = n / 2 * 30.0**2 * math.sin(2 * math.pi / n)
    assert signed_area(poly) == pytest.approx(expected, rel=1e-12)
    assert signed_area(poly[::-1]) == pytest.approx(-expected, rel=1e-12)
    assert polygon_area(poly[::-1]) == pytest.approx(expected, rel=1e-12)
    assert centroid(poly) == pytest.approx([120.0, -45.0], abs=1e-9)
    assert centroid(poly[::-1]) == pytest.approx([120.0, -45.0], abs=1e-9)


def test_an_l_shape_centroid_is_the_area_weighted_mean_of_its_two_rectangles():
    # A 4 x 1 bar along x plus a 1 x 3 bar on top of its left end.
    ell = np.array([[0, 0], [4, 0], [4, 1], [1, 1], [1, 4], [0, 4]], dtype=float)
    bar, post = (4.0, np.array([2.0, 0.5])), (3.0, np.array([0.5, 2.5]))
    expected = (bar[0] * bar[1] + post[0] * post[1]) / (bar[0] + post[0])
    assert polygon_area(ell) == pytest.approx(7.0)
    assert centroid(ell) == pytest.approx(expected)


def test_a_degenerate_polygon_has_its_corner_mean_as_centroid():
    line = np.array([[0, 0], [1, 1], [3, 3]], dtype=float)
    assert polygon_area(line) == 0.0
    assert centroid(line) == pytest.approx([4 / 3, 4 / 3])


def test_anticlockwise_reverses_only_clockwise_corners():
    poly = regular(5, 10.0, (0.0, 0.0))
    assert anticlockwise(poly) is poly
    assert np.array_equal(anticlockwise(poly[::-1]), poly)


def _inside_convex(poly: np.ndarray, point: np.ndarray) -> bool:
    """Strictly left of every edge of an anticlockwise convex polygon (an independent test)."""
    edges = np.roll(poly, -1, axis=0) - poly
    rel = point - poly
    return bool((edges[:, 0] * rel[:, 1] - edges[:, 1] * rel[:, 0] > 0).all())


def test_containment_agrees_with_the_half_plane_test_on_convex_polygons():
    rng = np.random.default_rng(7)
    for n in (3, 6, 11):
        poly = regular(n, 50.0, (10.0, 20.0), turn=rng.uniform(0, 1))
        points = rng.uniform(-50, 80, size=(400, 2))
        for point in points:
            expected = _inside_convex(poly, point)
            assert contains(poly, point) is expected
            assert contains(poly[::-1], point) is expected


def test_containment_of_a_concave_polygon():
    ell = np.array([[0, 0], [4, 0], [4, 1], [1, 1], [1, 4], [0, 4]], dtype=float)
    assert contains(ell, (0.5, 3.5)) and contains(ell, (3.5, 0.5))
    assert not contains(ell, (3.0, 3.0))  # in the notch
    assert not contains(ell, (-0.5, 0.5))


def test_boundary_distance_and_nearest_point_on_a_square():
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], dtype=float)
    points = np.array([[5, 5], [5, -3], [13, 14], [10, 4]], dtype=float)
    assert boundary_distances(points, square) == pytest.approx([5.0, 3.0, 5.0, 0.0])
    for poly in (square, square[::-1]):  # the normal points out whichever way the corners run
        near, normal = nearest_on_boundary(np.array([5.0, -3.0]), poly)
        assert near == pytest.approx([5.0, 0.0]) and normal == pytest.approx([0.0, -1.0])
        near, normal = nearest_on_boundary(np.array([12.0, 6.0]), poly)
        assert near == pytest.approx([10.0, 6.0]) and normal == pytest.approx([1.0, 0.0])


def test_extent_bounds_the_points_and_is_the_origin_without_any():
    lo, hi = extent([(3, -1), (-2, 5), (0, 0)])
    assert list(lo) == [-2.0, -1.0] and list(hi) == [3.0, 5.0]
    lo, hi = extent([])
    assert list(lo) == [0.0, 0.0] and list(hi) == [0.0, 0.0]


def test_first_crossing_finds_a_bow_tie_and_not_a_square():
    assert first_crossing([(0, 0), (1, 0), (1, 1), (0, 1)]) is None
    assert first_crossing([(0, 0), (1, 1), (1, 0), (0, 1)]) == (0, 2)
    big = [tuple(p) for p in regular(60, 10.0, (0.0, 0.0))]
    assert first_crossing(big) is None
    big[10], big[40] = big[40], big[10]
    assert first_crossing(big) is not None
