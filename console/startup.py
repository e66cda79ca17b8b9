"""The `parktwin` process around its one command: what Python does at start and at exit.

A command starts by creating hundreds of thousands of objects that live until the process
ends (modules, classes, the park's models) and, for a short run, does little else. Python's
cyclic garbage collector would walk them again and again while they are created, and once
more at exit, to find nothing to free: a fifth of the CPU time of a short run. So the
console script (:func:`cli.main`, never the library or a test's in-process call):

- turns collection off while the command line loads and parses its arguments
  (:func:`begin`);
- when the command starts, moves every object alive to the collector's permanent generation
  (``gc.freeze``) and turns collection back on (:func:`settle`): the command's own garbage is
  collected as usual, and no collection walks start-up's objects again (a worker process
  forked later shares their memory pages instead of touching each one). The youngest
  generation is collected after :data:`YOUNG_THRESHOLD` new objects rather than Python's 700,
  as the command's imports and reading of the park create many objects that live on;
- freezes again at exit (:func:`end`), so the interpreter's last collections skip what the
  command made. Nothing is left unflushed: the interpreter still closes its files and runs
  every ``atexit`` handler.

It also sets two libraries' settings, each only when the user has not set it (for itself and
its worker processes):

- ``PYDANTIC_DISABLE_PLUGINS=__all__``: pydantic reads the entry points of every installed
  distribution when it builds its first validator, looking for a plugin to call on each
  validation. A user who wants plugins to see parktwin's validation sets it to the empty
  string (or to the names of the plugins to leave out);
- ``OPENBLAS_THREAD_TIMEOUT=4``: the threads numpy's OpenBLAS starts at import wait for work
  by spinning, about a tenth of a second of a second core, before they sleep; with it they
  sleep at once (the number of threads, and so every result, is unchanged; a large matrix
  product wakes them as before).
"""

from __future__ import annotations

import gc
import os

SETTINGS = {"PYDANTIC_DISABLE_PLUGINS": "__all__", "OPENBLAS_THREAD_TIMEOUT": "4"}
"""The libraries' environment variables parktwin sets when the user has not. pydantic's:
``__all__`` loads no plugin, a comma-separated list of names leaves those out, empty loads
every plugin installed. OpenBLAS's: its threads wait 2**N cycles for work before sleeping
(N from 4 to 30)."""

YOUNG_THRESHOLD = 10_000
"""Allocations (net of frees) between two collections of the youngest generation once a
command runs; at most that many unreachable cycles wait for a collection."""

_collection_paused = False
"""True from :func:`begin` until :func:`settle`: collection was on and is paused."""


def begin() -> None:
    """At the start of the process: the libraries' :data:`SETTINGS`, no collection."""
    global _collection_paused
    for name, value in SETTINGS.items():
        os.environ.setdefault(name, value)
    _collection_paused = _collection_paused or gc.isenabled()
    gc.disable()


def settle() -> None:
    """When a command starts: start-up's objects frozen, collection on again (less often).

    Does nothing unless :func:`begin` paused collection (a command called in-process, by a
    test, leaves the collector as it is).
    """
    global _collection_paused
    if _collection_paused:
        _collection_paused = False
        gc.freeze()
        gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        gc.enable()


def end() -> None:
    """At exit: what the command made is frozen too, so the final collections skip it."""
    gc.freeze()
