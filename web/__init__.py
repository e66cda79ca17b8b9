"""The operations centre: ``parktwin serve``, a web page and its HTTP API over the live twin.

The page (``web/static``, served from the package, no CDN) reads only the JSON API; the API
mirrors the CLI's documents (SPEC.md, "Operations centre"). The modules, one job each:
:mod:`~web.server` (bind, replay, run), :mod:`~web.app` (routes and handlers),
:mod:`~web.security` (loopback rule and token), :mod:`~web.push` (the server-sent events hub),
:mod:`~web.live` (what the page needs of the live twin), :mod:`~web.store_source` (that, from
the live store), :mod:`~web.plan` and :mod:`~web.status` (the plan view's geometry and colours),
:mod:`~web.scenarios` and :mod:`~web.jobs` (what-ifs in worker processes), :mod:`~web.threed`
(the 3D park as a vtk.js page).
"""

from __future__ import annotations

__all__ = ["serve"]


def serve(*args: object, **kwargs: object) -> None:
    """Serve the page and its API until interrupted: see :func:`web.server.serve`."""
    from web.server import serve as _serve

    _serve(*args, **kwargs)  # type: ignore[arg-type]
