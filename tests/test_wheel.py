"""A wheel built from the repo works on its own, outside the source checkout.

The wheel is installed without dependencies into a fresh venv. Its dependencies come from this
environment's site-packages through a ``.pth`` line; such a line only adds the folder to
``sys.path`` and does not run the ``.pth`` files inside it, so the repo's editable install (a
``.pth`` file in that same folder) stays invisible and ``twin`` must come from the wheel.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from twin.io.bundled import bundled_parks, bundled_scenarios

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.system


def _run(
    args: list[str | Path], cwd: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A new venv with only the wheel installed, dependencies borrowed from this one."""
    root = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PYTHONNOUSERSITE"] = "1"
    build: list[str | Path] = [sys.executable, "-m", "build", "--wheel", "--outdir", root / "dist"]
    if importlib.util.find_spec("hatchling") is not None:
        build.append("--no-isolation")  # no download of the build backend when it is here
    _run([*build, REPO], cwd=root, env=env)
    wheels = sorted((root / "dist").glob("parktwin-*.whl"))
    assert len(wheels) == 1, wheels

    venv = root / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=root, env=env)
    python = venv / "bin" / "python"
    pip: list[str | Path] = [sys.executable, "-m", "pip", "--python", python]
    _run([*pip, "install", "--quiet", "--no-deps", "--no-index", wheels[0]], cwd=root, env=env)
    site = _run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        cwd=root,
        env=env,
    ).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    (Path(site) / "_borrowed_dependencies.pth").write_text(ours + "\n", encoding="utf-8")
    return venv, env


def test_wheel_imports_from_its_own_venv(fresh_venv: tuple[Path, dict[str, str]]) -> None:
    venv, env = fresh_venv
    outside = venv.parent / "elsewhere"
    outside.mkdir(exist_ok=True)
    proc = _run(
        [
            venv / "bin" / "python",
            "-c",
            "import cli, twin, twin.io.bundled as l; print(twin.__file__); print(cli.__file__); "
            "print(l.data_root())",
        ],
        cwd=outside,
        env=env,
    )
    for line in proc.stdout.splitlines():
        location = Path(line).resolve()
        assert location.is_relative_to(venv.resolve()), f"{line} is not from the wheel"
        assert not location.is_relative_to(REPO), f"{line} comes from the source checkout"


def test_wheel_validates_bundled_files(fresh_venv: tuple[Path, dict[str, str]]) -> None:
    venv, env = fresh_venv
    outside = venv.parent / "elsewhere"
    outside.mkdir(exist_ok=True)
    names = sorted(bundled_parks()) + sorted(bundled_scenarios())
    assert "demo-small" in names
    proc = _run([venv / "bin" / "parktwin", "validate", *names], cwd=outside, env=env)
    assert proc.stdout.count("ok: ") == len(names), proc.stdout


def test_wheel_init_copies_bundled_parks(fresh_venv: tuple[Path, dict[str, str]]) -> None:
    venv, env = fresh_venv
    target = venv.parent / "initialised"
    _run([venv / "bin" / "parktwin", "init", target], cwd=venv.parent, env=env)
    assert sorted(p.stem for p in (target / "parks").glob("*.yaml")) == sorted(bundled_parks())
    _run(
        [venv / "bin" / "parktwin", "validate", target / "parks" / "demo-small.yaml"],
        cwd=venv.parent,
        env=env,
    )


def test_wheel_ships_the_web_page(fresh_venv: tuple[Path, dict[str, str]]) -> None:
    venv, env = fresh_venv
    proc = _run(
        [venv / "bin" / "python", "-c", "import web.app as a; print(a.STATIC)"],
        cwd=venv.parent,
        env=env,
    )
    static = Path(proc.stdout.strip())
    assert static.resolve().is_relative_to(venv.resolve()), static
    for name in ("index.html", "app.js", "plan.js", "style.css", "vendor/uPlot.iife.min.js"):
        assert (static / name).is_file(), name
