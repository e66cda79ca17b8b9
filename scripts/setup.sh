#!/usr/bin/env bash
# Set up parktwin on a fresh Debian machine with Python 3.11+: the system libraries that headless
# VTK rendering needs, a .venv in the repo root, and the package with all extras installed
# editable into it. Safe to run again: it only does what is missing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
VENV="$ROOT/.venv"
PYTHON="${PYTHON:-python3}"

say() { printf 'setup: %s\n' "$*"; }
warn() { printf 'setup: warning: %s\n' "$*" >&2; }

# --------------------------------------------------------------------------- system libraries
# EGL/OSMesa for offscreen VTK, and a font for labels; the Mosquitto MQTT broker for the live
# twin's tests (they start their own on a free loopback port; the package's service is not used).
DEB_PACKAGES=(libegl1 libegl-mesa0 libgl1-mesa-dri libosmesa6 fonts-dejavu-core mosquitto)
# Headless Chromium and its driver for the web page's browser tests (tests/test_web_browser.py).
DEB_PACKAGES+=(chromium chromium-driver)

missing=()
if command -v dpkg >/dev/null 2>&1; then
    for pkg in "${DEB_PACKAGES[@]}"; do
        if ! dpkg -s "$pkg" >/dev/null 2>&1; then
            missing+=("$pkg")
        fi
    done
else
    warn "dpkg not found: not a Debian system? skipping system libraries (${DEB_PACKAGES[*]})"
fi

if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        warn "not root: cannot install ${missing[*]}; 3D rendering may not work (run as root or install them)"
    elif ! command -v apt-get >/dev/null 2>&1; then
        warn "apt-get not found: cannot install ${missing[*]}; 3D rendering may not work"
    else
        say "installing system libraries: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        if ! apt-get update -qq >/dev/null || ! apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" >/dev/null; then
            warn "apt-get could not install ${missing[*]}; 3D rendering may not work"
        fi
    fi
else
    say "system libraries present"
fi

# --------------------------------------------------------------------------- python environment
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    printf 'setup: error: %s not found; install Python 3.11 or newer\n' "$PYTHON" >&2
    exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    printf 'setup: error: Python 3.11 or newer needed, %s is %s\n' "$PYTHON" \
        "$("$PYTHON" -c 'import platform; print(platform.python_version())')" >&2
    exit 1
fi

if [[ ! -x "$VENV/bin/python" ]]; then
    say "creating $VENV"
    if ! "$PYTHON" -m venv "$VENV"; then
        printf 'setup: error: could not create the venv (on Debian: apt-get install python3-venv)\n' >&2
        exit 1
    fi
else
    say "using $VENV"
fi

# Reinstall only when pyproject.toml changed since the last good install (or it never happened).
STAMP="$VENV/.parktwin-setup"
want="$(cat "$ROOT/pyproject.toml" "$VENV/pyvenv.cfg" | sha256sum | cut -d' ' -f1)"
have="$(cat "$STAMP" 2>/dev/null || true)"
installed_here() { # the editable install in .venv points at this checkout
    "$VENV/bin/python" -c 'import sys, pathlib, cli, twin
sys.exit(pathlib.Path(cli.__file__).resolve().parent != pathlib.Path(sys.argv[1]).resolve())' \
        "$ROOT" >/dev/null 2>&1
}
if [[ "$want" == "$have" ]] && installed_here; then
    say "parktwin already installed in .venv"
else
    say "installing parktwin with all extras into .venv (a few minutes the first time)"
    export PIP_DISABLE_PIP_VERSION_CHECK=1
    # --quiet hides progress only; errors still show.
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[all]"
    printf '%s\n' "$want" >"$STAMP"
fi

say "ready: $("$VENV/bin/parktwin" --version) in $VENV"
