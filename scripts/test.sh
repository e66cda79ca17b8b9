#!/usr/bin/env bash
# Set up (idempotent), then lint, format check, type check and the test suite in its three tiers:
#   default  every behaviour at small size (what a bare `pytest` runs)
#   slow     statistical validation: many replications, long horizons
#   system   the whole system: browser, broker, signals, subprocess-heavy cases, a built wheel
# Each tier runs on two worker processes (pytest-xdist), then its `serial` tests alone.
# Every check runs even when an earlier one fails; the exit status is non-zero if any failed.
# TIERS picks tiers (default: all three), e.g. `TIERS=default bash scripts/test.sh`.
# Extra arguments go to every pytest run, e.g. `bash scripts/test.sh -k engine -x`; a tier that
# they leave empty passes (with no arguments, an empty tier fails: its mark went missing).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

declare -A MARKS=(
    [default]="not slow and not system"
    [slow]="slow"
    [system]="system and not slow"
)
TIERS="${TIERS:-default slow system}"
for name in $TIERS; do
    if [[ -z "${MARKS[$name]+set}" ]]; then
        echo "test.sh: unknown tier '$name' in TIERS (known: default, slow, system)" >&2
        exit 2
    fi
done

bash scripts/setup.sh

failed=()
check() {
    local name="$1"
    shift
    printf '\n== %s\n' "$name"
    local started=$SECONDS
    if ! "$@"; then
        failed+=("$name")
    fi
    printf '== %s: %d s\n' "$name" $((SECONDS - started))
}

# One tier: its tests on two worker processes (pytest-xdist; tests of one xdist_group share a
# worker), then its `serial` tests alone, since they hold the command to a wall-clock bound.
# pytest exit 5 (nothing collected) passes for one pass when the other ran tests, and for both
# only when extra arguments narrowed the run.
tier() {
    local name="$1"
    shift
    local mark="(${MARKS[$name]})"
    local parallel=0 serial=0
    .venv/bin/python -m pytest -q -m "$mark and not serial" -n 2 --dist loadgroup "$@" ||
        parallel=$?
    .venv/bin/python -m pytest -q -m "$mark and serial" "$@" || serial=$?
    if ((parallel == 5 && serial == 5)); then
        if (($# > 0)); then
            echo "tier $name: no test of this tier matches the arguments"
            return 0
        fi
        return 5
    fi
    for code in "$parallel" "$serial"; do
        if ((code != 0 && code != 5)); then
            return "$code"
        fi
    done
}

check "ruff check" .venv/bin/ruff check .
check "ruff format --check" .venv/bin/ruff format --check .
check "mypy" .venv/bin/mypy
for name in $TIERS; do
    check "pytest, $name tier" tier "$name" "$@"
done

if ((${#failed[@]})); then
    printf '\ntest.sh: FAILED: %s\n' "$(IFS=','; echo "${failed[*]}" | sed 's/,/, /g')" >&2
    exit 1
fi
printf '\ntest.sh: all checks passed\n'
