"""Fixtures shared by the test files, and the settings every test runs under.

Helpers that are plain functions live in modules beside this one and are imported by name:
``tests.parks`` (small parks and start states built in code), ``tests.theory`` (queueing
formulas), ``tests.known_truth`` (the park calibration fits back), ``tests.history`` and
``tests.independent`` (data made by plain SimPy programs), ``tests.hostile_inputs`` and
``tests.reliability`` (hostile files, the command under limits), ``tests.mosquitto`` (a real
broker) and ``tests.web_helpers`` (the page's data and a headless Chromium).

The tiers are marks (pyproject.toml): the default run deselects ``slow`` and ``system``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir

from tests import mosquitto
from twin.io.load import load_park
from twin.model.schema import Park

# Hypothesis keeps no example database, and its other files (a cache of the constants in the
# code) go to a temporary folder removed at the end, not to .hypothesis/ in the checkout.
settings.register_profile("parktwin", database=None)
settings.load_profile("parktwin")
_HYPOTHESIS_HOME: Path | None = None
if "HYPOTHESIS_STORAGE_DIRECTORY" not in os.environ:
    _HYPOTHESIS_HOME = Path(tempfile.mkdtemp(prefix="parktwin-hypothesis-"))
    set_hypothesis_home_dir(_HYPOTHESIS_HOME)


FIRST_GROUPS = ("optimize-theory",)
"""xdist groups that keep one worker busy for minutes (tests/test_optimize_theory.py: 250 s of
the slow tier). Their tests are collected first, so that the other worker runs the rest beside
them rather than one worker running them alone at the end."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests of :data:`FIRST_GROUPS` first; the order is otherwise kept."""

    def rank(item: pytest.Item) -> int:
        group = item.get_closest_marker("xdist_group")
        return 0 if group is not None and group.args and group.args[0] in FIRST_GROUPS else 1

    items.sort(key=rank)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the temporary folder of Hypothesis."""
    if _HYPOTHESIS_HOME is not None:
        shutil.rmtree(_HYPOTHESIS_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def park() -> Park:
    """The bundled demo-small park, read once (a frozen model, so tests cannot change it)."""
    return load_park("demo-small")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[mosquitto.Mosquitto]:
    """A Mosquitto broker of this test alone, on a free loopback port; stopped afterwards."""
    if not mosquitto.available():
        pytest.skip("mosquitto is not installed")
    server = mosquitto.Mosquitto(tmp_path / "broker").start()
    yield server
    server.stop()


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Any]:
    """The operations-centre app of demo-small without a store, through Starlette's client."""
    from starlette.testclient import TestClient

    from web.app import create_app
    from web.server import build_services

    services = build_services("demo-small", None, tmp_path)
    with TestClient(create_app(services), base_url="http://127.0.0.1") as test_client:
        yield test_client
    services.jobs.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the browser tests save their screenshots.

    ``PARKTWIN_SCREENSHOTS`` names a folder to keep them in; otherwise they go to a folder
    of pytest's temporary directory (printed by ``pytest -s``), never into the checkout.
    """
    chosen = os.environ.get("PARKTWIN_SCREENSHOTS")
    folder = Path(chosen) if chosen else tmp_path_factory.mktemp("web-screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {folder}")
    return folder
