"""Pick the offscreen OpenGL window and make sure it works before VTK can crash on it.

On a machine with no display and no GPU, VTK renders through EGL (Mesa's ``libEGL``) or OSMesa.
Without those libraries VTK does not raise: it segfaults. So :func:`require_offscreen` first
renders a 16x16 picture in a subprocess with each candidate window, keeps the first that works
(in ``VTK_DEFAULT_OPENGL_WINDOW``, unless the user already set it) and otherwise raises a
:class:`~twin.errors.UsageError` that says what to install. The answer is cached for the process
and handed to child processes through the environment.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys

from twin.errors import UsageError

WINDOW_VAR = "VTK_DEFAULT_OPENGL_WINDOW"
PROBED_VAR = "PARKTWIN_OFFSCREEN_OK"
CANDIDATES = ("vtkEGLRenderWindow", "vtkOSOpenGLRenderWindow")
INSTALL_HINT = (
    "install Mesa's offscreen OpenGL, e.g. on Debian or Ubuntu: "
    "apt-get install -y libegl1 libegl-mesa0 libgl1-mesa-dri (EGL) or libosmesa6 (OSMesa)"
)

_PROBE = """
import vtkmodules.vtkRenderingOpenGL2  # registers the OpenGL factory
from vtkmodules.vtkFiltersSources import vtkSphereSource
from vtkmodules.vtkRenderingCore import (
    vtkActor, vtkPolyDataMapper, vtkRenderWindow, vtkRenderer, vtkWindowToImageFilter,
)
window = vtkRenderWindow()
window.SetOffScreenRendering(1)
window.SetSize(16, 16)
renderer = vtkRenderer()
window.AddRenderer(renderer)
sphere = vtkSphereSource()
mapper = vtkPolyDataMapper()
mapper.SetInputConnection(sphere.GetOutputPort())
actor = vtkActor()
actor.SetMapper(mapper)
renderer.AddActor(actor)
window.Render()
grab = vtkWindowToImageFilter()
grab.SetInput(window)
grab.Update()
assert grab.GetOutput().GetDimensions()[:2] == (16, 16)
print(window.GetClassName())
"""


def has_display() -> bool:
    """Whether an on-screen window can open (an X11 or Wayland display, or not Linux)."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def probe(window: str | None, timeout: float = 120.0) -> tuple[bool, str]:
    """Render 16x16 offscreen in a subprocess with the given window class.

    Args:
        window: A ``VTK_DEFAULT_OPENGL_WINDOW`` value, or None for VTK's own choice.
        timeout: Seconds before the attempt counts as failed.

    Returns:
        ``(True, window class used)`` or ``(False, why it failed)``.
    """
    env = dict(os.environ)
    env.pop(PROBED_VAR, None)
    if window:
        env[WINDOW_VAR] = window
    try:
        done = subprocess.run(
            [sys.executable, "-c", _PROBE],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False, f"{window or 'default window'}: no picture within {timeout:g} s"
    if done.returncode == 0:
        return True, done.stdout.strip().splitlines()[-1] if done.stdout.strip() else str(window)
    if done.returncode < 0:
        reason = f"crashed with signal {-done.returncode}"
    else:
        tail = [line for line in done.stderr.strip().splitlines() if line.strip()]
        reason = tail[-1][:200] if tail else f"exit status {done.returncode}"
    return False, f"{window or 'default window'}: {reason}"


@functools.cache
def offscreen_window() -> str:
    """The offscreen window class to use, probed once per process (see the module docstring).

    Returns:
        The VTK window class that rendered the probe.

    Raises:
        UsageError: No candidate could render; the message says what to install.
    """
    known = os.environ.get(PROBED_VAR)
    if known and os.environ.get(WINDOW_VAR, known) == known:
        os.environ.setdefault(WINDOW_VAR, known)
        return known
    chosen = os.environ.get(WINDOW_VAR)
    candidates = (chosen,) if chosen else CANDIDATES
    failures = []
    for window in candidates:
        ok, detail = probe(window)
        if ok:
            os.environ.setdefault(WINDOW_VAR, str(window))
            os.environ[PROBED_VAR] = os.environ[WINDOW_VAR]
            return os.environ[WINDOW_VAR]
        failures.append(detail)
    raise UsageError(
        "cannot render offscreen: VTK found no working offscreen OpenGL ("
        + "; ".join(failures)
        + f"). To fix it, {INSTALL_HINT}"
    )


def require_offscreen() -> str:
    """Make offscreen rendering safe before the first plotter; see :func:`offscreen_window`."""
    return offscreen_window()


def offscreen_problem() -> str | None:
    """None when offscreen rendering works here, else the reason (for tests to skip with)."""
    try:
        offscreen_window()
    except UsageError as exc:
        return str(exc)
    return None
