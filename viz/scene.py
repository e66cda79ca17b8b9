"""The park as 3D meshes: ground, buildings, roads, gates, utilities, compass and scale.

:func:`build_scene` turns a :class:`~twin.model.schema.Park` into a few merged meshes with per-cell
colours (one draw call each, whatever the number of buildings): the static surfaces on the
ground (unlit), the static solids, the static lines, the buildings (whose roof colours playback
updates in place) and the feeder lines (likewise). :func:`add_scene` puts them in a plotter
under one sun-like light, and :func:`set_camera` applies a camera preset that fits the park.

Coordinates are the park's metres: x east, y north, z up; the ground is z = 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyvista as pv

from twin.language import Language, say
from twin.model.geometry import anticlockwise, centroid, contains, polygon_area
from twin.model.roads import RoadNetwork
from viz import palette
from viz.fonts import font_file
from viz.frames import TruckSize, gate_outwards, park_extent
from viz.network import line_ends

CAMERAS = ("overview", "oblique", "top")


@dataclass
class Scene:
    """Meshes of a park, ready to add to a plotter.

    Attributes:
        surfaces: Every static solid (gates, utilities) merged, with a ``rgb`` cell array.
        flats: Every static surface on the ground (plot, roads, compass, scale bar) merged,
            drawn without lighting (flat and horizontal, so shading would not change them).
        lines: Every static line merged (outlines, road markings), with a ``rgb`` cell array.
        buildings: Extruded footprints with ``rgb``; :attr:`roof_cells` lists the roof cells
            and :attr:`roof_building` the building of each, for playback to recolour.
        feeders: Arcs from each substation to the buildings of each feeder, with ``rgb``;
            :attr:`feeder_of_cell` gives the feeder of each line cell. With `power.network`,
            an arc per line of the network instead, and the line's index in each cell.
        labels: ``(points, texts)`` of the building, gate and utility labels.
        marks: ``(points, texts)`` of the compass and scale-bar marks.
        centre: Middle of the park at ground level.
        extent: The park's larger side, metres.
        top: Height of the tallest building.
    """

    surfaces: pv.PolyData
    flats: pv.PolyData
    lines: pv.PolyData
    buildings: pv.PolyData
    roof_cells: np.ndarray
    roof_building: np.ndarray
    feeders: pv.PolyData
    feeder_of_cell: np.ndarray
    labels: tuple[np.ndarray, list[str]]
    marks: tuple[np.ndarray, list[str]]
    centre: np.ndarray
    extent: float
    size: np.ndarray
    top: float
    plot_corners: tuple[tuple[float, float], tuple[float, float]] = ((0.0, 0.0), (1.0, 1.0))
    legend: list[tuple[str, str]] = field(default_factory=list)
    network: bool = False
    """True when the power lines are those of `power.network` (coloured by loading band)."""


# --------------------------------------------------------------------------- mesh helpers


def _with_rgb(mesh: pv.PolyData, color: str | np.ndarray) -> pv.PolyData:
    colour = palette.rgb(color) if isinstance(color, str) else np.asarray(color, np.uint8)
    mesh.cell_data["rgb"] = np.tile(colour, (mesh.n_cells, 1))
    return mesh


def _merge(meshes: Sequence[pv.PolyData]) -> pv.PolyData:
    meshes = [m for m in meshes if m.n_points]
    if not meshes:
        return pv.PolyData()
    merged = meshes[0].merge(list(meshes[1:]), merge_points=False) if len(meshes) > 1 else meshes[0]
    return merged.extract_surface(algorithm=None) if not isinstance(merged, pv.PolyData) else merged


def _polygon(points: np.ndarray, z: float) -> pv.PolyData:
    """A flat polygon at height z, triangulated (works for concave outlines)."""
    pts = np.column_stack([points, np.full(len(points), z)])
    return pv.PolyData(pts, faces=np.r_[len(points), np.arange(len(points))]).triangulate()


def _box(centre: Sequence[float], size: Sequence[float], angle: float = 0.0) -> pv.PolyData:
    """A box standing on z = centre[2], rotated by `angle` (radians) about its vertical axis."""
    lx, ly, lz = size
    box = pv.Box(bounds=(-lx / 2, lx / 2, -ly / 2, ly / 2, 0.0, lz))
    if angle:
        box = box.rotate_z(math.degrees(angle), inplace=False)
    return box.translate(centre, inplace=False).extract_surface(algorithm=None).triangulate()


def _cylinder(centre: Sequence[float], radius: float, height: float) -> pv.PolyData:
    cyl = pv.Cylinder(
        center=(centre[0], centre[1], centre[2] + height / 2),
        direction=(0, 0, 1),
        radius=radius,
        height=height,
        resolution=32,
    )
    return cyl.triangulate()


def _base_height(park: Any, point: Sequence[float] | np.ndarray) -> float:
    """Height of the roof a point stands on (utility markers sit on their building), else 0."""
    for building in park.buildings:
        if contains(np.asarray(building.footprint, float), point):
            return float(building.height_m)
    return 0.0


# --------------------------------------------------------------------------- the scene


@dataclass
class _Parts:
    """The meshes and labels of a scene as they are made, in drawing and label order."""

    surfaces: list[pv.PolyData] = field(default_factory=list)  # lit: gates, utilities
    flats: list[pv.PolyData] = field(default_factory=list)  # unlit, on the ground
    lines: list[pv.PolyData] = field(default_factory=list)
    label_points: list[Sequence[float]] = field(default_factory=list)
    label_texts: list[str] = field(default_factory=list)
    mark_points: list[Sequence[float]] = field(default_factory=list)
    mark_texts: list[str] = field(default_factory=list)
    feeder_lines: list[pv.PolyData] = field(default_factory=list)
    feeder_of: list[np.ndarray] = field(default_factory=list)

    def label(self, point: Sequence[float], text: str) -> None:
        self.label_points.append(point)
        self.label_texts.append(text)


@dataclass(frozen=True)
class _Layout:
    """Where the park lies and the scale of its markers."""

    lo: np.ndarray
    hi: np.ndarray
    size: np.ndarray
    extent: float
    margin: float
    unit: float  # scale of markers, 1 at a 2 km park
    road_width: float

    @classmethod
    def of(cls, park: Any) -> _Layout:
        lo, hi = park_extent(park)
        size = np.maximum(hi - lo, 1.0)
        extent = float(max(size))
        return cls(
            lo=lo,
            hi=hi,
            size=size,
            extent=extent,
            margin=max(0.06 * extent, 30.0),
            unit=float(np.clip(extent / 2000.0, 0.25, 2.5)),
            road_width=float(np.clip(extent / 150.0, 6.0, 16.0)),
        )


def build_scene(park: Any, label_limit: int | None = None, lang: Language = "en") -> Scene:
    """Meshes of a park.

    Args:
        park: A :class:`~twin.model.schema.Park`.
        label_limit: How many buildings to label, largest footprints first; None labels all.
        lang: The language of the scene's own words (the wastewater plant, the north mark).

    Returns:
        The :class:`Scene`.
    """
    layout = _Layout.of(park)
    parts = _Parts()
    plot = _add_ground(parts, layout)
    _add_roads(parts, park, layout)
    buildings, roof_cells, roof_building = _buildings(park)
    _add_building_edges(parts, park)
    _add_gates(parts, park, layout)
    _add_power(parts, park, layout)
    _add_water(parts, park, layout, lang)
    # Labels in priority order (the overlay drops what does not fit): utilities and gates,
    # then the largest buildings.
    for point, text in _building_labels(park, label_limit):
        parts.label(point, text)
    _add_compass_and_scale(parts, layout, lang)
    feeders = _merge(parts.feeder_lines)
    feeder_cells = (
        np.concatenate(parts.feeder_of) if parts.feeder_of else np.zeros(0, dtype=np.int64)
    )
    if feeders.n_cells:
        feeders.cell_data["rgb"] = np.tile(
            palette.rgb(palette.FEEDER_STOPS[0][1]), (feeders.n_cells, 1)
        )
    tallest = max((b.height_m for b in park.buildings), default=10.0)
    kinds = sorted({b.kind for b in park.buildings}, key=list(palette.KIND_COLORS).index)
    lo, hi = layout.lo, layout.hi
    return Scene(
        surfaces=_merge(parts.surfaces),
        flats=_merge(parts.flats),
        lines=_merge(parts.lines),
        buildings=buildings,
        roof_cells=roof_cells,
        roof_building=roof_building,
        feeders=feeders,
        feeder_of_cell=feeder_cells,
        labels=(np.asarray(parts.label_points, float).reshape(-1, 3), parts.label_texts),
        marks=(np.asarray(parts.mark_points, float).reshape(-1, 3), parts.mark_texts),
        centre=np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, 0.0]),
        extent=layout.extent,
        size=np.asarray(layout.size, float),
        top=float(tallest),
        legend=[(kind, palette.KIND_COLORS[kind]) for kind in kinds],
        network=bool(park.power and park.power.network is not None),
        plot_corners=(
            (float(plot[0, 0]), float(plot[0, 1])),
            (float(plot[2, 0]), float(plot[2, 1])),
        ),
    )


def _add_ground(parts: _Parts, layout: _Layout) -> np.ndarray:
    """The park's plot (the bounding box of everything, with a margin) and its outline."""
    lo, hi, margin = layout.lo, layout.hi, layout.margin
    plot = np.array(
        [
            [lo[0] - margin, lo[1] - margin],
            [hi[0] + margin, lo[1] - margin],
            [hi[0] + margin, hi[1] + margin],
            [lo[0] - margin, hi[1] + margin],
        ]
    )
    parts.flats.append(_with_rgb(_polygon(plot, -0.3 * layout.unit), palette.PLOT))
    outline = np.column_stack([plot, np.full(4, 0.0)])
    edge = pv.lines_from_points(np.vstack([outline, outline[:1]]))
    parts.lines.append(_with_rgb(edge, "#c9d1c3"))
    return plot


def _add_roads(parts: _Parts, park: Any, layout: _Layout) -> None:
    """Flat ribbons with round joints (a centre line only flickers at park scale)."""
    width = layout.road_width
    for road in park.logistics.roads:
        pts = np.asarray(road.points, float)
        pts3 = np.column_stack([pts, np.full(len(pts), 0.05)])
        line = pv.lines_from_points(pts3)
        ribbon = line.ribbon(width=width / 2, normal=(0, 0, 1)).triangulate()
        parts.flats.append(_with_rgb(ribbon.extract_surface(algorithm=None), palette.ROAD))
        for p in pts3:  # round joints
            disk = pv.Disc(center=(p[0], p[1], 0.04), inner=0.0, outer=width / 2, c_res=16)
            parts.flats.append(
                _with_rgb(disk.triangulate().extract_surface(algorithm=None), palette.ROAD)
            )


def _add_building_edges(parts: _Parts, park: Any) -> None:
    """The roof outline and vertical edges of every building."""
    for building in park.buildings:
        ring = anticlockwise(np.asarray(building.footprint, float))
        h = float(building.height_m)
        top = np.column_stack([ring, np.full(len(ring), h + 0.05)])
        bottom = np.column_stack([ring, np.full(len(ring), 0.0)])
        parts.lines.append(_with_rgb(pv.lines_from_points(np.vstack([top, top[:1]])), palette.EDGE))
        for b, t in zip(bottom, top, strict=True):
            parts.lines.append(_with_rgb(pv.lines_from_points(np.vstack([b, t])), palette.EDGE))


def _building_labels(park: Any, label_limit: int | None) -> list[tuple[Sequence[float], str]]:
    """Labels of the buildings (short name, else name, else id), largest footprint first."""
    order = sorted(
        range(len(park.buildings)),
        key=lambda i: -polygon_area(np.asarray(park.buildings[i].footprint, float)),
    )
    limit = label_limit if label_limit is not None else len(order)
    labels: list[tuple[Sequence[float], str]] = []
    for i in order[:limit]:
        building = park.buildings[i]
        c = centroid(np.asarray(building.footprint, float))
        text = building.short_name or building.name or building.id
        labels.append(((c[0], c[1], building.height_m + 2.0), text))
    return labels


def _add_gates(parts: _Parts, park: Any, layout: _Layout) -> None:
    """An arch over each gate's lanes, facing out of the park."""
    unit = layout.unit
    outwards = gate_outwards(park, RoadNetwork.of(park))
    truck = TruckSize.for_extent(layout.extent)
    for gate, direction in zip(park.logistics.gates, outwards, strict=True):
        p = np.asarray(gate.position, float)
        angle = math.atan2(direction[1], direction[0])
        # Wide enough for the lanes of trucks that frames.py lines up in it.
        half = max(gate.lanes * truck.width * 1.6 / 2 + 3.0 * unit, layout.road_width)
        along = np.array([-math.sin(angle), math.cos(angle)])
        post, height = 3.0 * unit, 12.0 * unit
        for side in (-1.0, 1.0):
            q = p + along * side * half
            parts.surfaces.append(
                _with_rgb(_box((q[0], q[1], 0.0), (post, post, height), angle), palette.GATE)
            )
        beam = _box((p[0], p[1], height), (post, 2 * half + post, post * 0.9), angle)
        parts.surfaces.append(_with_rgb(beam, palette.GATE))
        parts.label((p[0], p[1], height + 4 * unit), gate.name or gate.id)


def _add_power(parts: _Parts, park: Any, layout: _Layout) -> None:
    """Substations (transformers and a mast, on the yard or roof they stand on) and feeders."""
    if not park.power:
        return
    unit = layout.unit
    for sub in park.power.substations:
        p = np.asarray(sub.position, float)
        z = _base_height(park, p)
        for dx in (-1.0, 1.0):
            parts.surfaces.append(
                _with_rgb(
                    _box((p[0] + dx * 9 * unit, p[1], z), (12 * unit, 9 * unit, 9 * unit)),
                    palette.SUBSTATION,
                )
            )
        parts.surfaces.append(
            _with_rgb(_box((p[0], p[1], z), (3 * unit, 3 * unit, 30 * unit)), "#e9ecef")
        )
        parts.label((p[0], p[1], z + 34 * unit), sub.name or sub.id)
    if park.power.network is not None:
        _add_network(parts, park, unit)
    else:
        _add_feeders(parts, park, unit)


def _add_network(parts: _Parts, park: Any, unit: float) -> None:
    """Each line of `power.network` as a low arc between its buses (coloured per frame)."""
    for j, (_, start, end) in enumerate(line_ends(park)):
        if start is None or end is None or start == end:
            continue
        a = np.array([*start, _base_height(park, start) + 6 * unit])
        b = np.array([*end, _base_height(park, end) + 6 * unit])
        piece = _arc(a, b, lift=4 * unit + 0.04 * float(np.hypot(*(b - a)[:2])))
        parts.feeder_lines.append(piece)
        parts.feeder_of.append(np.full(piece.n_cells, j))


def _add_feeders(parts: _Parts, park: Any, unit: float) -> None:
    """A trunk from each feeder's substation to a hub above its buildings, then drops."""
    by_feeder: dict[str, list[Any]] = {}
    for building in park.buildings:
        if building.power is not None:
            by_feeder.setdefault(building.power.feeder, []).append(building)
    subs = {s.id: s for s in park.power.substations}
    for j, feeder in enumerate(park.power.feeders):
        sub = subs.get(feeder.substation)
        served = by_feeder.get(feeder.id, [])
        if sub is None or not served:
            continue
        p = np.asarray(sub.position, float)
        start = np.array([p[0], p[1], _base_height(park, p) + 28 * unit])
        ends = np.array(
            [[*centroid(np.asarray(b.footprint, float)), b.height_m + 1.0] for b in served]
        )
        hub = np.array([*ends[:, :2].mean(axis=0), ends[:, 2].max() + 22 * unit])
        if len(served) == 1:
            hub = ends[0]
        trunk = _arc(start, hub, lift=8 * unit + 0.06 * float(np.hypot(*(hub - start)[:2])))
        pieces = [trunk] + [
            pv.lines_from_points(np.vstack([hub, end])) for end in ends if len(served) > 1
        ]
        for piece in pieces:
            parts.feeder_lines.append(piece)
            parts.feeder_of.append(np.full(piece.n_cells, j))


def _add_water(parts: _Parts, park: Any, layout: _Layout, lang: Language) -> None:
    """Clarifier tanks for the wastewater plant, a tower for the supply."""
    unit = layout.unit
    if park.water and park.water.wastewater and park.water.wastewater.position is not None:
        p = np.asarray(park.water.wastewater.position, float)
        z = _base_height(park, p)
        for dx in (-1.0, 1.0):
            parts.surfaces.append(
                _with_rgb(
                    _cylinder((p[0] + dx * 22 * unit, p[1], z), 18 * unit, 5 * unit),
                    palette.WASTEWATER,
                )
            )
        parts.label((p[0], p[1], z + 10 * unit), say("viz.wastewater_plant", lang))
    if park.water and park.water.supply and park.water.supply.position is not None:
        p = np.asarray(park.water.supply.position, float)
        z = _base_height(park, p)
        tower = _cylinder((p[0], p[1], z), 2.5 * unit, 22 * unit)
        parts.surfaces.append(_with_rgb(tower, "#dee2e6"))
        tank = _cylinder((p[0], p[1], z + 22 * unit), 9 * unit, 8 * unit)
        parts.surfaces.append(_with_rgb(tank, palette.WATER_SUPPLY))


def _add_compass_and_scale(parts: _Parts, layout: _Layout, lang: Language) -> None:
    """A north arrow and a scale bar in the south-west corner, on the plot's margin."""
    extent = layout.extent
    arrow_len = 0.07 * extent
    base = np.array([layout.lo[0] - layout.margin * 0.5, layout.lo[1] - layout.margin * 0.5])
    arrow = np.array(
        [
            [base[0] - arrow_len * 0.3, base[1]],
            [base[0], base[1] + arrow_len * 0.25],
            [base[0] + arrow_len * 0.3, base[1]],
            [base[0], base[1] + arrow_len],
        ]
    )
    parts.flats.append(_with_rgb(_polygon(arrow[[0, 1, 3]], 0.3), "#f8f9fa"))
    parts.flats.append(_with_rgb(_polygon(arrow[[1, 2, 3]], 0.3), "#adb5bd"))
    parts.mark_points.append((base[0], base[1] + arrow_len * 1.15, 0.5))
    parts.mark_texts.append(say("viz.north", lang))
    bar = _nice_length(extent / 5.0)
    pieces = 4
    thick = max(0.012 * extent, 4.0)
    bar_y = base[1]
    x0 = base[0] + arrow_len * 0.8
    for k in range(pieces):
        xa, xb = x0 + k * bar / pieces, x0 + (k + 1) * bar / pieces
        block = np.array([[xa, bar_y], [xb, bar_y], [xb, bar_y + thick], [xa, bar_y + thick]])
        colour = "#f8f9fa" if k % 2 == 0 else "#212529"
        parts.flats.append(_with_rgb(_polygon(block, 0.3), colour))
    parts.mark_points.extend([(x0, bar_y + thick * 4, 0.5), (x0 + bar, bar_y + thick * 4, 0.5)])
    parts.mark_texts.extend(["0", f"{bar:g} m" if bar < 1000 else f"{bar / 1000:g} km"])


def _buildings(park: Any) -> tuple[pv.PolyData, np.ndarray, np.ndarray]:
    """All buildings in one mesh: walls (kind colour) and roofs (load colour, recoloured)."""
    points: list[np.ndarray] = []
    faces: list[int] = []
    cell_building: list[int] = []
    cell_roof: list[bool] = []
    cell_rgb: list[np.ndarray] = []
    n = 0
    for index, building in enumerate(park.buildings):
        ring = anticlockwise(np.asarray(building.footprint, float))
        k = len(ring)
        h = float(building.height_m)
        wall = palette.rgb(palette.KIND_COLORS.get(building.kind, palette.KIND_COLORS["other"]))
        # Each wall its own four points, so that flat shading gives crisp corners.
        for i in range(k):
            a, b = ring[i], ring[(i + 1) % k]
            points.append(np.array([[*a, 0.0], [*b, 0.0], [*b, h], [*a, h]]))
            faces.extend([4, n, n + 1, n + 2, n + 3])
            n += 4
            cell_building.append(index)
            cell_roof.append(False)
            cell_rgb.append(wall)
        points.append(np.column_stack([ring, np.full(k, h)]))
        faces.extend([k, *range(n, n + k)])
        n += k
        cell_building.append(index)
        cell_roof.append(True)
        cell_rgb.append(palette.rgb(palette.LOAD_STOPS[0][1]))
    if not points:
        return pv.PolyData(), np.zeros(0, np.int64), np.zeros(0, np.int64)
    mesh = pv.PolyData(np.vstack(points), faces=np.array(faces))
    mesh.cell_data["building"] = np.array(cell_building, dtype=np.int64)
    mesh.cell_data["roof"] = np.array(cell_roof, dtype=np.uint8)
    mesh.cell_data["rgb"] = np.array(cell_rgb, dtype=np.uint8)
    mesh = mesh.triangulate()
    roof = np.flatnonzero(mesh.cell_data["roof"] == 1)
    return mesh, roof, np.asarray(mesh.cell_data["building"])[roof]


def _arc(start: np.ndarray, end: np.ndarray, lift: float, n: int = 16) -> pv.PolyData:
    """A sagging-upwards arc (like an overhead line seen from afar) from start to end."""
    s = np.linspace(0.0, 1.0, n)[:, None]
    pts = start + (end - start) * s
    pts[:, 2] += lift * 4 * s[:, 0] * (1 - s[:, 0])
    return pv.lines_from_points(pts)


def _nice_length(target: float) -> float:
    """1, 2 or 5 times a power of ten, at most `target`."""
    power = 10 ** math.floor(math.log10(max(target, 1e-9)))
    for step in (5, 2, 1):
        if step * power <= target:
            return float(step * power)
    return float(power)


# --------------------------------------------------------------------------- in a plotter


@dataclass
class SceneActors:
    """The actors of one view whose colours playback changes."""

    buildings: Any
    feeders: Any | None
    building_mesh: pv.PolyData
    feeder_mesh: pv.PolyData


def add_scene(
    plotter: pv.Plotter,
    scene: Scene,
    labels: bool = True,
    font_size: int = 12,
) -> SceneActors:
    """Add the scene's meshes (and, for the interactive window, VTK labels) to the plotter.

    Files get their labels and legend from :mod:`viz.overlay` instead.

    Args:
        plotter: The plotter; the active subplot receives the scene.
        scene: From :func:`build_scene`.
        labels: Draw building, gate and utility labels and the compass and scale marks as
            VTK actors (with a Vietnamese-capable font).
        font_size: Label size in points.

    Returns:
        The actors and meshes that playback recolours in place.
    """
    pl = _untyped(plotter)
    font = font_file()
    pl.set_background(palette.GROUND)  # the ground itself: no full-screen polygon to fill
    add_sun(plotter, scene)
    lit = {"ambient": 0.35, "diffuse": 0.7}

    def add(mesh: pv.PolyData, **options: Any) -> Any:
        if not mesh.n_cells:  # an empty park: nothing of this kind to draw
            return None
        return pl.add_mesh(mesh, scalars="rgb", rgb=True, show_scalar_bar=False, **options)

    add(scene.flats, lighting=False)
    add(scene.surfaces, **lit)
    add(scene.lines, line_width=1, lighting=False)
    buildings = add(scene.buildings, **lit)
    feeders = add(scene.feeders, line_width=3 if scene.network else 2, lighting=False)
    if labels and scene.labels[1]:
        pl.add_point_labels(
            scene.labels[0],
            scene.labels[1],
            font_size=font_size,
            font_file=font,
            text_color=palette.TEXT,
            shape_color="#101820",
            shape_opacity=0.55,
            margin=2,
            bold=False,
            show_points=False,
            always_visible=True,
            reset_camera=False,
            render=False,
        )
    if labels and scene.marks[1]:
        pl.add_point_labels(
            scene.marks[0],
            scene.marks[1],
            font_size=font_size,
            font_file=font,
            text_color=palette.TEXT,
            shape=None,
            bold=True,
            show_points=False,
            always_visible=True,
            reset_camera=False,
            render=False,
        )
    return SceneActors(buildings, feeders, scene.buildings, scene.feeders)


def _untyped(plotter: pv.Plotter) -> Any:
    """The plotter as Any: PyVista's decorated methods confuse type checkers."""
    return plotter


def add_sun(plotter: pv.Plotter, scene: Scene) -> pv.Light:
    """One sun-like light from the south-east, high up, instead of VTK's five-light kit.

    A single light costs a third of the light kit's fragment shading on a CPU renderer; the
    meshes add an ambient term so that walls in shade keep their colour.
    """
    renderer = plotter.renderer
    renderer.remove_all_lights()
    sun = pv.Light(light_type="scene light", intensity=1.0)
    sun.focal_point = tuple(scene.centre)
    sun.position = tuple(scene.centre + np.array([0.5, -0.7, 1.0]) * scene.extent)
    sun.positional = False
    renderer.add_light(sun)
    return sun


def set_camera(plotter: pv.Plotter, scene: Scene, preset: str = "overview") -> None:
    """Point the current view's camera with a preset.

    Args:
        plotter: The plotter (its active subplot).
        scene: The scene whose extent frames the view.
        preset: ``overview`` (from the south-south-east, 35° up), ``oblique`` (lower and
            closer, from the south-east) or ``top`` (straight down, north up, no perspective).

    Raises:
        ValueError: Unknown preset.
    """
    c = scene.centre.copy()
    w, h = scene.size
    e = scene.extent
    camera = plotter.camera
    if preset == "top":
        camera.parallel_projection = True
        camera.focal_point = tuple(c)
        camera.position = (c[0], c[1], c[2] + 3.0 * e)
        camera.up = (0.0, 1.0, 0.0)
        width, height = plotter.window_size
        shape = getattr(plotter, "shape", (1, 1))
        aspect = (width / max(shape[1], 1)) / max(height / max(shape[0], 1), 1)
        camera.parallel_scale = 0.5 * max(h, w / aspect) * 1.12 + 0.06 * e
    elif preset in ("overview", "oblique"):
        camera.parallel_projection = False
        if preset == "overview":
            direction = np.array([0.3, -1.0, 0.8])
        else:
            direction = np.array([0.85, -0.75, 0.5])
        direction /= np.linalg.norm(direction)
        camera.focal_point = tuple(c)
        camera.position = tuple(c + direction * 1.6 * e)
        camera.up = (0.0, 0.0, 1.0)
        camera.view_angle = 30.0
        _fit(plotter, scene, fill=0.94 if preset == "overview" else 1.0)
    else:
        raise ValueError(f"unknown camera preset '{preset}'; choose one of {', '.join(CAMERAS)}")
    plotter.renderer.reset_camera_clipping_range()


def _fit(plotter: pv.Plotter, scene: Scene, fill: float, rounds: int = 4) -> None:
    """Pan and zoom a perspective camera until the park's plot fills `fill` of the view.

    The plot's corners (on the ground and at the tallest roof) are projected to normalised
    view coordinates; the camera moves sideways to centre them and dollies to size them.
    """
    renderer = plotter.renderer
    camera = renderer.GetActiveCamera()
    (x0, y0), (x1, y1) = scene.plot_corners
    corners = np.array(
        [(x, y, z) for x in (x0, x1) for y in (y0, y1) for z in (0.0, scene.top)], dtype=float
    )
    for _ in range(rounds):
        renderer.ResetCameraClippingRange()
        view = np.empty((len(corners), 2))
        for k, p in enumerate(corners):
            renderer.SetWorldPoint(*p, 1.0)
            renderer.WorldToView()
            view[k] = renderer.GetViewPoint()[:2]
        lo, hi = view.min(axis=0), view.max(axis=0)
        centre = (lo + hi) / 2.0
        half = max(float((hi - lo).max()) / 2.0, 1e-6)
        # Pan: move the focal point to the world point now at the centre of the corners.
        focal = np.array(camera.GetFocalPoint())
        position = np.array(camera.GetPosition())
        renderer.SetWorldPoint(*focal, 1.0)
        renderer.WorldToView()
        depth = renderer.GetViewPoint()[2]
        renderer.SetViewPoint(float(centre[0]), float(centre[1]), depth)
        renderer.ViewToWorld()
        world = np.array(renderer.GetWorldPoint()[:3]) / max(renderer.GetWorldPoint()[3], 1e-12)
        shift = world - focal
        camera.SetFocalPoint(*(focal + shift))
        camera.SetPosition(*(position + shift))
        # Dolly: bring the corners to `fill` of the view's half-size.
        camera.Dolly(fill / half if half > 0 else 1.0)
    renderer.ResetCameraClippingRange()
