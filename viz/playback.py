"""The plotter loop: one or two synchronised views of traces, updated in place frame by frame.

A :class:`Player` builds each view once (the merged scene meshes, one truck mesh with room for
the most trucks the span ever holds, the overlays) and then, for every moment, only copies the
arrays of :mod:`viz.frames` into those meshes: truck vertices and colours, roof colours, feeder
colours. Nothing is added or removed per frame, so the frame time is the drawing time.

Text for files (png, mp4, gif) is drawn by :mod:`viz.overlay` onto the grabbed pixels; the
interactive window uses VTK text actors with the same Vietnamese-capable font instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import pyvista as pv
from vtkmodules.util.numpy_support import vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkUnsignedCharArray

from twin.language import Language, language_of, say
from twin.sim.trace import Trace
from viz import headless, overlay, palette
from viz.clock import clock_parts
from viz.fonts import font_file
from viz.frames import Frame, FrameMaker, TruckSize, glyph_points
from viz.scene import Scene, SceneActors, add_scene, build_scene, set_camera


def truck_template(size: TruckSize) -> tuple[np.ndarray, np.ndarray]:
    """Vertices and quads of one truck glyph: a box trailer and a lower cab, x forward.

    Returns:
        ``(vertices (16, 3), quads (10, 4))``; the bottoms are left out (never seen).
    """
    length, width, height = size.length, size.width, size.height
    boxes = [
        (-length / 2, length * 0.24, height),  # trailer
        (length * 0.28, length / 2, height * 0.78),  # cab
    ]
    vertices = []
    quads = []
    for k, (x0, x1, top) in enumerate(boxes):
        y0, y1 = -width / 2, width / 2
        z0 = 0.0 if k == 0 else height * 0.1
        base = 8 * k
        vertices += [
            (x0, y0, z0),
            (x1, y0, z0),
            (x1, y1, z0),
            (x0, y1, z0),
            (x0, y0, top),
            (x1, y0, top),
            (x1, y1, top),
            (x0, y1, top),
        ]
        quads += [
            [base + i for i in face]
            for face in ((4, 5, 6, 7), (0, 1, 5, 4), (1, 2, 6, 5), (2, 3, 7, 6), (3, 0, 4, 7))
        ]
    return np.array(vertices, dtype=float), np.array(quads, dtype=np.int64)


class TruckMesh:
    """All trucks of a view as one mesh with fixed room, updated in place each frame."""

    def __init__(self, size: TruckSize, capacity: int, park_centre: np.ndarray) -> None:
        self.size = size
        self.template, quads = truck_template(size)
        self.per_truck = len(self.template)
        self.cells_per_truck = len(quads)
        self.capacity = max(int(capacity), 1)
        self.hidden = np.array([park_centre[0], park_centre[1], -100.0], dtype=np.float32)
        faces = (
            quads[None, :, :] + self.per_truck * np.arange(self.capacity)[:, None, None]
        ).reshape(-1, 4)
        cells = np.column_stack([np.full(len(faces), 4), faces]).ravel()
        points = np.tile(self.hidden, (self.capacity * self.per_truck, 1))
        self.mesh = pv.PolyData(points, faces=cells)
        self.mesh.cell_data["rgb"] = np.zeros((len(faces), 3), dtype=np.uint8)
        self._colours = palette.truck_state_colors()

    def update(self, frame: Frame) -> None:
        """Move and colour the glyphs to this frame's trucks; park the rest out of sight."""
        trucks = frame.trucks
        m = min(len(trucks), self.capacity)
        points: np.ndarray = self.mesh.points
        if m:
            z = 0.25 + trucks.level[:m] * self.size.height * 1.08
            points[: m * self.per_truck] = glyph_points(
                self.template, trucks.xy[:m], z, trucks.heading[:m]
            )
            rgb: np.ndarray = self.mesh.cell_data["rgb"]
            rgb[: m * self.cells_per_truck] = np.repeat(
                self._colours[trucks.state[:m]], self.cells_per_truck, axis=0
            )
            self.mesh.GetCellData().GetArray("rgb").Modified()
        points[m * self.per_truck :] = self.hidden
        self.mesh.GetPoints().Modified()
        self.mesh.Modified()


@dataclass
class View:
    """One viewport: a trace, its scene, and what changes in it."""

    trace: Trace
    maker: FrameMaker
    scene: Scene
    actors: SceneActors
    trucks: TruckMesh
    caption: str
    origin: tuple[int, int]  # top-left pixel of the view in the frame
    size: tuple[int, int]
    static: list[overlay.Patch] = field(default_factory=list)
    labels: list[overlay.Placed] = field(default_factory=list)
    """The labels as placed on the view (pixels), once the static overlays are drawn."""
    texts: dict[str, Any] = field(default_factory=dict)
    frame: Frame | None = None


class Player:
    """Plays traces side by side in one plotter, synchronised, with one shared camera.

    Args:
        traces: One trace, or several (A/B: baseline first) shown in views left to right.
        start: First moment the player will show (minutes).
        end: Last moment.
        times: The moments that will be shown, to size the truck meshes; defaults to
            ``start..end`` every 5 minutes.
        size: Window size in pixels (width, height) for all views together.
        off_screen: Render without a window (files) or open one (interactive).
        camera: Camera preset of :func:`viz.scene.set_camera`.
        captions: A caption per view; defaults to the park and scenario names.
        multi_samples: MSAA samples (0 for video: it halves the frame rate on CPUs).
        vtk_text: Draw labels, clock and KPIs with VTK actors (the interactive window)
            instead of onto grabbed frames.
        labels: Draw building, gate and utility labels.
        lang: The language of the clock, panels, legend and scene (None: the first
            trace's park's ``park.language``, else en).
    """

    def __init__(
        self,
        traces: Sequence[Trace],
        start: float,
        end: float,
        times: Sequence[float] | np.ndarray | None = None,
        size: tuple[int, int] = (1280, 720),
        off_screen: bool = True,
        camera: str = "overview",
        captions: Sequence[str] | None = None,
        multi_samples: int = 0,
        vtk_text: bool = False,
        labels: bool = True,
        lang: Language | None = None,
    ) -> None:
        if not traces:
            raise ValueError("nothing to play: no trace given")
        if off_screen:
            headless.require_offscreen()
        self.size = (int(size[0]), int(size[1]))
        self.vtk_text = vtk_text
        self.labels = labels
        self.lang = lang if lang is not None else language_of(None, traces[0].park.park.language)
        n = len(traces)
        self.plotter = pv.Plotter(
            off_screen=off_screen,
            shape=(1, n),
            window_size=list(self.size),
            border=n > 1,
            border_color="#0b1117",
            border_width=2.0,
        )
        self.window = cast(Any, self.plotter.ren_win)
        self.window.SetMultiSamples(int(multi_samples))
        grid = np.asarray(times if times is not None else np.arange(start, end + 5.0, 5.0))
        captions = (
            list(captions)
            if captions is not None
            else [default_caption(t, self.lang) for t in traces]
        )
        width = self.size[0] // n
        self.views: list[View] = []
        for i, trace in enumerate(traces):
            self.plotter.subplot(0, i)
            scene = build_scene(trace.park, lang=self.lang)
            maker = FrameMaker(trace, start=start, end=end)
            capacity = int(maker.active_count(grid).max(initial=0)) + 8
            actors = add_scene(self.plotter, scene, labels=labels and vtk_text, font_size=12)
            trucks = TruckMesh(maker.truck, capacity, scene.centre)
            self.plotter.add_mesh(
                trucks.mesh, scalars="rgb", rgb=True, show_scalar_bar=False, reset_camera=False
            )
            set_camera(self.plotter, scene, camera)
            view = View(
                trace=trace,
                maker=maker,
                scene=scene,
                actors=actors,
                trucks=trucks,
                caption=captions[i],
                origin=(i * width, 0),
                size=(width, self.size[1]),
            )
            if vtk_text:
                self._vtk_texts(view, legend=i == n - 1)
            self.views.append(view)
        if n > 1:
            self.plotter.link_views()
        self._overlays_ready = False
        self._buffer = vtkUnsignedCharArray()

    # ------------------------------------------------------------------ per frame

    def show_moment(self, t: float) -> None:
        """Bring every view to moment `t` (meshes and text); does not render."""
        for view in self.views:
            frame = view.maker.frame(t)
            view.frame = frame
            view.trucks.update(frame)
            mesh = view.actors.building_mesh
            if mesh.n_cells:
                rgb = mesh.cell_data["rgb"]
                rgb[view.scene.roof_cells] = frame.roof_rgb[view.scene.roof_building]
                mesh.GetCellData().GetArray("rgb").Modified()
                mesh.Modified()
            feeders = view.actors.feeder_mesh
            if feeders.n_cells and len(frame.feeder_rgb):
                colours: np.ndarray = feeders.cell_data["rgb"]
                colours[:] = frame.feeder_rgb[view.scene.feeder_of_cell]
                feeders.GetCellData().GetArray("rgb").Modified()
                feeders.Modified()
            if self.vtk_text:
                self._update_vtk_texts(view, frame)

    def render(self) -> None:
        """Draw the current state."""
        self.window.Render()

    def grab_raw(self) -> np.ndarray:
        """The rendered window with the overlays drawn, as the framebuffer holds it.

        Returns:
            RGBA, shape (height, width, 4), rows bottom-up; a view of VTK's buffer that the
            next call overwrites. Video encoders take it as is (ffmpeg flips it on its own
            core): dropping alpha and flipping in numpy would cost more than drawing.
        """
        window = self.window
        w, h = window.GetSize()
        window.GetRGBACharPixelData(0, 0, w - 1, h - 1, 0, self._buffer)
        rgba = vtk_to_numpy(self._buffer).reshape(h, w, 4)
        if not self.vtk_text:
            if not self._overlays_ready:
                self._static_overlays()
            patches: list[overlay.Patch] = []
            for view in self.views:
                patches += view.static
                patches += self._dynamic_overlays(view)
            overlay.composite(rgba[::-1, :, :3], patches)
        return rgba

    def grab(self) -> np.ndarray:
        """The rendered window as an RGB array (height, width, 3), top row first, overlays drawn."""
        return np.ascontiguousarray(self.grab_raw()[::-1, :, :3])

    def frame_at(self, t: float) -> np.ndarray:
        """Show, render and grab the picture of moment `t` (RGB, top row first)."""
        self.show_moment(t)
        self.render()
        return self.grab()

    def raw_frame_at(self, t: float) -> np.ndarray:
        """Show, render and grab moment `t` as :meth:`grab_raw` does (for video encoders)."""
        self.show_moment(t)
        self.render()
        return self.grab_raw()

    def close(self) -> None:
        """Release the window and its OpenGL context."""
        self.plotter.close()

    def __enter__(self) -> Player:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ overlays for files

    def _static_overlays(self) -> None:
        """Labels (projected with the current camera) and the legend, drawn once."""
        for i, view in enumerate(self.views):
            vw, vh = view.size
            text = overlay.base_size(vh) if len(self.views) == 1 else overlay.base_size(vh) - 1
            patches: list[overlay.Patch] = []
            legend = None
            if i == len(self.views) - 1:
                kinds = [k for k, _ in view.scene.legend]
                legend = overlay.legend_patch(
                    kinds,
                    max(9, text - 2),
                    (vw - text // 2, vh - text // 2),
                    view.origin,
                    network=view.scene.network,
                    lang=self.lang,
                )
            keep = [(0, 0, vw // 3 + 40, int(vh * 0.2)), (vw - vw // 3, 0, vw, int(vh * 0.24))]
            if legend is not None:
                lw = legend.rgba.shape[1]
                keep.append(
                    (legend.x - view.origin[0], legend.y, legend.x - view.origin[0] + lw, vh)
                )
            if self.labels and view.scene.labels[1]:
                self.plotter.subplot(0, i)
                anchors = self._project(view.scene.labels[0])
                anchors[:, 0] -= view.origin[0]
                view.labels = overlay.place_labels(
                    anchors, view.scene.labels[1], vw, vh, text, keep
                )
                patches += overlay.label_patches(view.labels, text, view.origin)
            if view.scene.marks[1]:
                self.plotter.subplot(0, i)
                marks = self._project(view.scene.marks[0])
                marks[:, 0] -= view.origin[0]
                patches += _mark_patches(marks, view.scene.marks[1], vw, vh, text, view.origin)
            if legend is not None:
                patches.append(legend)
            view.static = patches
        self._overlays_ready = True

    def _project(self, points: np.ndarray) -> np.ndarray:
        """Window pixel positions (x right, y down) of world points in the current view."""
        renderer = self.plotter.renderer
        height = self.size[1]
        out = np.empty((len(points), 2))
        for k, p in enumerate(points):
            renderer.SetWorldPoint(float(p[0]), float(p[1]), float(p[2]), 1.0)
            renderer.WorldToDisplay()
            x, y, z = renderer.GetDisplayPoint()
            out[k] = (x, height - 1 - y) if 0.0 <= z <= 1.0 else (np.nan, np.nan)
        return out

    def _dynamic_overlays(self, view: View) -> list[overlay.Patch]:
        frame = view.frame
        if frame is None:
            return []
        vw, vh = view.size
        text = overlay.base_size(vh) if len(self.views) == 1 else overlay.base_size(vh) - 1
        day_time, date = clock_parts(frame.t, view.trace.meta.get("start"), self.lang)
        patches = [
            overlay.clock_patch(day_time, date, view.caption, text, view.origin),
            overlay.kpi_patch(overlay.panel_rows(frame.kpis, self.lang), text, vw, view.origin),
        ]
        return patches

    # ------------------------------------------------------------------ text for the window

    def _vtk_texts(self, view: View, legend: bool) -> None:
        font = font_file()
        view.texts["clock"] = self.plotter.add_text(
            "", position="upper_left", font_size=14, font_file=font, color=palette.TEXT
        )
        view.texts["kpis"] = self.plotter.add_text(
            "", position="upper_right", font_size=11, font_file=font, color=palette.TEXT
        )
        if legend:
            kinds = [k for k, _ in view.scene.legend]
            patch = overlay.legend_patch(
                kinds, 12, (0, 0), network=view.scene.network, lang=self.lang
            )
            view.texts["legend"] = _image_actor(
                patch.rgba, view.size[0] - patch.rgba.shape[1] - 8, 8
            )
            self.plotter.renderer.AddViewProp(view.texts["legend"])

    def _update_vtk_texts(self, view: View, frame: Frame) -> None:
        day_time, date = clock_parts(frame.t, view.trace.meta.get("start"), self.lang)
        view.texts["clock"].SetText(2, f"{day_time}   {date}\n{view.caption}")
        rows = overlay.panel_rows(frame.kpis, self.lang)
        view.texts["kpis"].SetText(3, "\n".join(f"{label}: {value}" for label, value, _ in rows))


def _image_actor(rgba: np.ndarray, x: int, y: int) -> Any:
    """A 2D actor showing an RGBA image (top row first) with its lower-left corner at (x, y)."""
    from vtkmodules.util.numpy_support import numpy_to_vtk
    from vtkmodules.vtkCommonDataModel import vtkImageData
    from vtkmodules.vtkRenderingCore import vtkActor2D, vtkImageMapper

    h, w = rgba.shape[:2]
    image = vtkImageData()
    image.SetDimensions(w, h, 1)
    scalars = numpy_to_vtk(np.ascontiguousarray(rgba[::-1]).reshape(-1, 4), deep=True)
    image.GetPointData().SetScalars(scalars)
    mapper = vtkImageMapper()
    mapper.SetInputData(image)
    mapper.SetColorWindow(255.0)
    mapper.SetColorLevel(127.5)
    actor = vtkActor2D()
    actor.SetMapper(mapper)
    actor.SetPosition(x, y)
    return actor


def _mark_patches(
    anchors: np.ndarray,
    texts: Sequence[str],
    width: int,
    height: int,
    size: int,
    offset: tuple[int, int],
) -> list[overlay.Patch]:
    """Compass and scale-bar marks: bare bold text centred on their points."""
    from PIL import Image, ImageDraw

    face = overlay.font(size, bold=True)
    patches = []
    for (x, y), text in zip(anchors, texts, strict=True):
        if not (np.isfinite(x) and np.isfinite(y)) or not (0 <= x < width and 0 <= y < height):
            continue
        left, top, right, bottom = face.getbbox(text)
        image = Image.new("RGBA", (int(right - left) + 4, int(bottom - top) + 4), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        draw.text((2 - left + 1, 2 - top + 1), text, font=face, fill=(0, 0, 0, 200))
        draw.text((2 - left, 2 - top), text, font=face, fill=overlay.WHITE)
        patches.append(
            overlay.Patch.of(
                image, int(x - image.width / 2) + offset[0], int(y - image.height / 2) + offset[1]
            )
        )
    return patches


def default_caption(trace: Trace, lang: Language = "en") -> str:
    """``"park — scenario"`` of a trace (``baseline`` in `lang` when it has no scenario)."""
    scenario = trace.meta.get("scenario")
    return f"{trace.meta.get('park', 'park')} — {scenario or say('word.baseline', lang)}"
