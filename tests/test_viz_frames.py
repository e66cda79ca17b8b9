"""Per-frame arrays of the 3D playback (viz.frames, viz.palette, viz.clock): pure numpy, no GL."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

from twin.errors import UsageError
from twin.io.load import load_park
from twin.model.roads import RoadNetwork
from twin.model.schema import Park
from twin.sim.trace import TIME_COLUMNS, Trace
from viz import palette
from viz.clock import clock_parts, format_moment, parse_day_time
from viz.frames import (
    DRIVING,
    QUEUED,
    SERVED,
    FrameMaker,
    assign_slots,
    frame_times,
    glyph_points,
)

# A gate at (0, -200); a road north 100 m, east 100 m, north 90 m to the building's entrance.
# 6 km/h is 100 m per minute, so the 290 m route takes 2.9 minutes.
ROUTE = np.array([[0, -200], [0, -100], [100, -100], [100, -10]], dtype=float)
SPEED_M_PER_MIN = 100.0


def tiny_park(lanes: int = 2, docks: int = 2) -> Park:
    return load_park(
        {
            "park": {"name": "Điềm Thụy test", "start": "2026-01-05T00:00"},
            "buildings": [
                {
                    "id": "f1",
                    "name": "Nhà máy Điềm Thụy",
                    "kind": "factory",
                    "footprint": [[50, 0], [150, 0], [150, 60], [50, 60]],
                    "entrance": [100, 0],
                    "height_m": 12,
                    "power": {"feeder": "fd1", "base_kw": 100, "shift_kw": 900},
                }
            ],
            "power": {
                "substations": [{"id": "s1", "capacity_mw": 5, "position": [200, -50]}],
                "feeders": [{"id": "fd1", "substation": "s1", "capacity_mw": 1}],
            },
            "logistics": {
                "gates": [
                    {
                        "id": "g1",
                        "lanes": lanes,
                        "service": {"dist": "constant", "value": 1},
                        "position": [0, -200],
                    }
                ],
                "dock_groups": [
                    {
                        "id": "d1",
                        "building": "f1",
                        "docks": docks,
                        "service": {"dist": "constant", "value": 30},
                    }
                ],
                "roads": [{"id": "r1", "points": ROUTE.tolist(), "speed_kmh": 6}],
                "flows": [{"id": "in", "gate": "g1", "dock_group": "d1", "rate_per_hour": 1}],
            },
        }
    )


def make_trace(
    park: Park, rows: list[list[float]], series: dict[str, np.ndarray] | None = None
) -> Trace:
    """A trace with hand-written truck rows (TIME_COLUMNS order) on a 15-minute grid."""
    times = np.array(rows, dtype=float).reshape(-1, len(TIME_COLUMNS))
    trucks: dict[str, np.ndarray] = {c: times[:, i] for i, c in enumerate(TIME_COLUMNS)}
    n = len(times)
    trucks.update(
        flow=np.zeros(n, np.int16), gate=np.zeros(n, np.int16), dock_group=np.zeros(n, np.int16)
    )
    edges = np.arange(0.0, 61.0, 15.0)
    return Trace(
        meta={
            "park": park.park.name,
            "scenario": None,
            "seed": 0,
            "horizon_min": 60.0,
            "warmup_min": 0.0,
            "start": park.park.start,
        },
        names={
            "buildings": ["f1"],
            "feeders": ["fd1"],
            "substations": ["s1"],
            "gates": ["g1"],
            "dock_groups": ["d1"],
            "flows": ["in"],
        },
        trucks=trucks,
        edges=edges,
        series=series or {},
        park_json=park.model_dump_json(by_alias=True, exclude_none=True),
    )


def point_at(distance: float) -> np.ndarray:
    """The point of ROUTE at a driven distance."""
    cumulative = np.r_[0.0, np.cumsum(np.hypot(*np.diff(ROUTE, axis=0).T))]
    return np.array([np.interp(distance, cumulative, ROUTE[:, k]) for k in range(2)])


# --------------------------------------------------------------------------- positions


def test_the_route_matches_the_road_network() -> None:
    route = RoadNetwork.of(tiny_park()).route("g1", "f1")
    np.testing.assert_allclose(route.points, ROUTE)
    assert route.minutes == pytest.approx(2.9)


@pytest.mark.parametrize("driven_min", [0.0, 0.4, 1.0, 1.5, 2.2, 2.9])
def test_driving_in_lies_on_the_road_at_the_distance_driven(driven_min: float) -> None:
    park = tiny_park()
    gate_end = 1.0
    trace = make_trace(park, [[0.0, 0.0, gate_end, gate_end + 2.9, 4.0, 34.0, 36.9]])
    maker = FrameMaker(trace)
    t = gate_end + driven_min
    if driven_min == 2.9:
        t -= 1e-6  # still driving, at the building's road point
    trucks = maker.trucks_at(t)
    assert len(trucks) == 1
    assert trucks.state[0] == DRIVING
    expected = point_at(driven_min * SPEED_M_PER_MIN)
    # Trucks keep to the right of the road by a fixed offset.
    offset = maker.truck.width * 0.9
    assert np.hypot(*(trucks.xy[0] - expected)) == pytest.approx(offset, abs=1e-3)
    heading = trucks.heading[0]
    right = np.array([math.sin(heading), -math.cos(heading)])
    np.testing.assert_allclose(trucks.xy[0], expected + right * offset, atol=1e-3)


def test_heading_follows_the_segment_driven() -> None:
    trace = make_trace(tiny_park(), [[0.0, 0.0, 1.0, 3.9, 4.0, 34.0, 36.9]])
    maker = FrameMaker(trace)
    north, east = math.pi / 2, 0.0
    assert maker.trucks_at(1.5).heading[0] == pytest.approx(north)  # first leg, 50 m
    assert maker.trucks_at(2.5).heading[0] == pytest.approx(east)  # second leg, 150 m
    assert maker.trucks_at(3.5).heading[0] == pytest.approx(north)  # third leg, 250 m


@pytest.mark.parametrize("back_min", [0.5, 1.2, 2.5])
def test_driving_out_follows_the_reversed_route(back_min: float) -> None:
    trace = make_trace(tiny_park(), [[0.0, 0.0, 1.0, 3.9, 4.0, 34.0, 36.9]])
    maker = FrameMaker(trace)
    trucks = maker.trucks_at(34.0 + back_min)
    assert trucks.state[0] == DRIVING
    expected = point_at((2.9 - back_min) * SPEED_M_PER_MIN)
    heading = trucks.heading[0]
    right = np.array([math.sin(heading), -math.cos(heading)])
    np.testing.assert_allclose(trucks.xy[0], expected + right * maker.truck.width * 0.9, atol=1e-3)
    # Driving back towards the gate: the heading points from later to earlier route points.
    ahead = point_at((2.9 - back_min) * SPEED_M_PER_MIN - 1.0) - expected
    assert np.dot(ahead, [math.cos(heading), math.sin(heading)]) > 0.99


def test_trucks_outside_the_park_are_not_drawn() -> None:
    trace = make_trace(tiny_park(), [[10.0, 10.0, 11.0, 13.9, 14.0, 44.0, 46.9]])
    maker = FrameMaker(trace)
    assert len(maker.trucks_at(9.99)) == 0
    assert len(maker.trucks_at(10.0)) == 1
    assert len(maker.trucks_at(46.9)) == 0
    np.testing.assert_array_equal(maker.active_count([5.0, 20.0, 50.0]), [0, 1, 0])


def test_a_truck_that_never_left_stays_at_its_dock() -> None:
    nan = math.nan
    trace = make_trace(tiny_park(), [[0.0, 0.0, 1.0, 3.9, 4.0, nan, nan]])
    trucks = FrameMaker(trace).trucks_at(59.0)
    assert len(trucks) == 1 and trucks.state[0] == SERVED


# --------------------------------------------------------------------------- queues


def test_queued_trucks_line_up_outside_the_gate_in_rows_of_lanes() -> None:
    park = tiny_park(lanes=2)
    n = 12
    rows = []
    for k in range(n):  # all arrive at once; two lanes, one minute of service each
        start = float(k // 2)
        rows.append([0.0 + k * 1e-3, start, start + 1.0, start + 3.9, 40.0, 41.0, 43.9])
    maker = FrameMaker(make_trace(park, rows))
    trucks = maker.trucks_at(0.5)
    order = np.argsort(trucks.row)
    state, xy = trucks.state[order], trucks.xy[order]
    assert list(state[:2]) == [SERVED, SERVED]  # in the two lanes
    assert (state[2:] == QUEUED).all()
    gate = np.array([0.0, -200.0])
    outward = maker.gate_out[0]
    depth = (xy[2:] - gate) @ outward
    # Rows of two, each row further out than the last; earlier arrivals closer to the gate.
    np.testing.assert_allclose(depth[0::2], depth[1::2])
    assert (np.diff(depth[0::2]) > 0).all()
    assert len({tuple(np.round(p, 6)) for p in xy}) == n  # no two trucks on one spot
    # Served trucks keep their lane: a truck's lane does not change while it is served.
    later = maker.trucks_at(0.9)
    assert np.allclose(later.xy[np.argsort(later.row)][:2], xy[:2])


def test_queued_trucks_stack_upwards_at_the_docks() -> None:
    park = tiny_park(docks=2)
    n = 30
    rows = []
    for k in range(n):  # all at the docks at minute 4; two docks, 30 minutes each
        start = 4.0 + 30.0 * (k // 2)
        rows.append([0.0, 0.0, 1.0, 3.9 + k * 1e-3, start, start + 30.0, start + 32.9])
    maker = FrameMaker(make_trace(park, rows))
    trucks = maker.trucks_at(10.0)
    served = trucks.state == SERVED
    queued = trucks.state == QUEUED
    assert served.sum() == 2 and queued.sum() == n - 2
    assert (trucks.level[served] == 0).all()
    levels = trucks.level[queued]
    # 28 queued trucks: rows of 12, so levels of 12, 12 and 4.
    np.testing.assert_array_equal(np.bincount(levels.astype(int)), [12, 12, 4])
    # A stack is trucks on the same spot at different levels.
    spots = {tuple(np.round(p, 6)) for p in trucks.xy[queued]}
    assert len(spots) == 12
    # The queue stands in front of the docks, towards the road.
    facade = np.array([100.0, 0.0])
    assert ((trucks.xy[queued] - facade) @ maker.dock_out[0] > 0).all()
    np.testing.assert_allclose(maker.dock_out[0], [0.0, -1.0], atol=1e-9)


def test_assign_slots_keeps_a_server_for_the_whole_service() -> None:
    group = np.array([0, 0, 0, 0, 1])
    start = np.array([0.0, 0.0, 5.0, 12.0, 0.0])
    end = np.array([10.0, 20.0, 15.0, 30.0, math.nan])
    slots = assign_slots(group, start, end)
    # Truck 2 starts while 0 and 1 are busy: a third slot; truck 3 reuses slot 0 (free at 10).
    np.testing.assert_array_equal(slots, [0, 1, 2, 0, 0])
    assert assign_slots(np.array([0]), np.array([math.nan]), np.array([math.nan]))[0] == -1


# --------------------------------------------------------------------------- colours


def powered_trace() -> Trace:
    demand = np.array([[0.0], [500.0], [1000.0], [1000.0]])
    served = np.array([[0.0], [500.0], [1000.0], [0.0]])
    powered = np.array([[1.0], [1.0], [1.0], [0.0]])
    feeder = np.array([[0.0], [500.0], [1000.0], [0.0]])
    return make_trace(
        tiny_park(),
        [],
        {
            "building_power_demand_kw": demand,
            "building_power_served_kw": served,
            "building_powered_share": powered,
            "building_power_unserved_kw": demand - served,
            "feeder_load_kw": feeder,
        },
    )


@pytest.mark.parametrize(
    ("t", "share", "colour"),
    [
        (5.0, 0.0, palette.LOAD_STOPS[0][1]),
        (20.0, 0.5, palette.LOAD_STOPS[1][1]),
        (35.0, 1.0, palette.LOAD_STOPS[2][1]),
        (50.0, 0.0, palette.NO_POWER),
    ],
)
def test_roofs_show_load_as_a_share_of_the_buildings_peak(
    t: float, share: float, colour: str
) -> None:
    frame = FrameMaker(powered_trace()).frame(t)
    assert frame.load_share[0] == pytest.approx(share)
    np.testing.assert_array_equal(frame.roof_rgb[0], palette.rgb(colour))


@pytest.mark.parametrize(
    ("t", "colour"),
    [
        (5.0, palette.FEEDER_STOPS[0][1]),  # no load: green
        (35.0, palette.FEEDER_STOPS[2][1]),  # at capacity: red
        (50.0, palette.FEEDER_DEAD),  # its building has no power: no supply
    ],
)
def test_feeders_show_loading_over_capacity(t: float, colour: str) -> None:
    frame = FrameMaker(powered_trace()).frame(t)
    np.testing.assert_array_equal(frame.feeder_rgb[0], palette.rgb(colour))


def test_kpis_count_trucks_and_power() -> None:
    rows = [[0.0, 0.0, 1.0, 3.9, 4.0, 34.0, 36.9], [0.0, 0.0, 1.0, 3.9, 34.0, 64.0, math.nan]]
    trace = make_trace(tiny_park(docks=1), rows, powered_trace().series)
    kpis = FrameMaker(trace).frame(20.0).kpis
    assert kpis["trucks_in_park"] == 2
    assert kpis["dock_queue"] == 1
    assert kpis["gate_queue"] == 0
    assert kpis["park_power_mw"] == pytest.approx(0.5)
    assert FrameMaker(trace).frame(50.0).kpis["unserved_mw"] == pytest.approx(1.0)


def test_ramp_interpolates_between_stops_and_clips() -> None:
    stops = ((0.0, "#000000"), (1.0, "#ff0080"))
    np.testing.assert_array_equal(
        palette.ramp(np.array([-1.0, 0.5, 2.0, np.nan]), stops),
        [[0, 0, 0], [128, 0, 64], [255, 0, 128], [0, 0, 0]],
    )


# --------------------------------------------------------------------------- simulation


def test_every_driving_truck_of_a_simulated_day_is_on_its_route() -> None:
    from viz.sources import simulate

    trace = simulate("demo-small", None, days=1.0, warmup_days=0.5, seed=3)
    maker = FrameMaker(trace)
    network = RoadNetwork.of(trace.park)
    park = trace.park
    checked = 0
    offset = maker.truck.width * 0.9
    for t in np.arange(360.0, 1080.0, 1.3):
        trucks = maker.trucks_at(float(t))
        for row, xy, heading, state in zip(
            trucks.row, trucks.xy, trucks.heading, trucks.state, strict=True
        ):
            if state != DRIVING:
                continue
            gate = park.logistics.gates[int(trace.trucks["gate"][row])].id
            group = park.logistics.dock_groups[int(trace.trucks["dock_group"][row])]
            route = network.route(gate, group.building)
            centre = xy - offset * np.array([math.sin(heading), -math.cos(heading)])
            assert _distance_to_polyline(centre, np.asarray(route.points, float)) < 1e-6
            checked += 1
    assert checked > 30


def _distance_to_polyline(point: np.ndarray, line: np.ndarray) -> float:
    a, b = line[:-1], line[1:]
    seg = b - a
    s = np.clip(((point - a) * seg).sum(axis=1) / np.maximum((seg**2).sum(axis=1), 1e-12), 0, 1)
    return float(np.hypot(*(a + s[:, None] * seg - point).T).min())


# --------------------------------------------------------------------------- time and glyphs


def test_frame_times_last_span_over_speed() -> None:
    times = frame_times(360.0, 420.0, fps=5.0, speed=60.0)  # an hour at an hour per second
    np.testing.assert_allclose(times, [360.0, 372.0, 384.0, 396.0, 408.0])
    assert len(frame_times(0.0, 1440.0, 25.0, 60.0)) == 600
    assert len(frame_times(0.0, 0.5, 25.0, 60.0)) == 1


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("day 0 00:00", 0.0), ("day 2 10:00", 3480.0), ("Day 1, 06:30", 1830.0), ("day 3", 4320.0)],
)
def test_moments_parse(text: str, minutes: float) -> None:
    assert parse_day_time(text) == minutes


@pytest.mark.parametrize("text", ["10:00", "day two 10:00", "day 1 25:00", "day 1 10:75", ""])
def test_bad_moments_say_how_to_write_them(text: str) -> None:
    with pytest.raises(UsageError, match="day"):
        parse_day_time(text, "--at")


def test_moments_format_back() -> None:
    assert format_moment(3480.0) == "day 2 10:00"
    assert clock_parts(3480.0, "2026-01-05T00:00") == ("day 2  10:00", "Wed 07 Jan 2026")


def test_glyph_points_rotate_and_place_the_template() -> None:
    template = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 2.0]])
    points = glyph_points(
        template, np.array([[10.0, 20.0]]), np.array([5.0]), np.array([np.pi / 2])
    )
    np.testing.assert_allclose(points, [[10.0, 21.0, 5.0], [9.0, 20.0, 7.0]], atol=1e-6)


# --------------------------------------------------------------------------- text and imports


def test_the_label_font_covers_vietnamese() -> None:
    from fontTools.ttLib import TTFont

    from viz.fonts import font_file

    path = font_file()
    assert path is not None
    cmap = TTFont(path).getBestCmap()
    missing = {c for c in "Điềm Thụy Yên Bình Cổng phía Bắc Xưởng ạ ẫ ộ ữ" if ord(c) not in cmap}
    assert not missing


def test_importing_viz_does_not_load_pyvista() -> None:
    import subprocess

    code = "import sys, viz, viz.clock, viz.frames; print('pyvista' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_no_offscreen_opengl_is_a_usage_error_that_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from viz import headless

    monkeypatch.delenv(headless.PROBED_VAR, raising=False)
    monkeypatch.delenv(headless.WINDOW_VAR, raising=False)
    monkeypatch.setattr(headless, "probe", lambda window: (False, f"{window}: crashed"))
    headless.offscreen_window.cache_clear()
    try:
        with pytest.raises(UsageError, match="apt-get install -y libegl1"):
            headless.require_offscreen()
    finally:
        headless.offscreen_window.cache_clear()
