#!/usr/bin/env bash
# Set up (idempotent), then lint, format check, type check and the test suite in its three tiers:
#   default  every behaviour at small size (what a bare `pytest` runs)
#   slow     statistical validation: many replications, long horizons
#   system   the whole system: browser, broker, signals, subprocess-heavy cases, a built wheel
# Each tier runs on two worker processes (pytest-xdist); then the tiers' `serial` tests, alone.
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

# One tier on two worker processes (pytest-xdist; the tests of one xdist_group share a worker),
# leaving out its `serial` tests. pytest exit 5 (nothing collected) passes only when extra
# arguments narrowed the run.
tier() {
    local name="$1"
    shift
    local code=0
    .venv/bin/python -m pytest -q -m "(${MARKS[$name]}) and not serial" -n 2 --dist loadgroup \
        "$@" || code=$?
    if ((code == 5 && $# > 0)); then
        echo "tier $name: no test of this tier matches the arguments"
        return 0
    fi
    return "$code"
}

# The `serial` tests of the tiers run, alone, in one process: they hold the code to a wall-clock
# bound or lose a race when both cores are busy. Tiers without such tests pass (exit 5).
serial() {
    local tiers="" name code=0
    for name in $TIERS; do
        tiers+="${tiers:+ or }(${MARKS[$name]})"
    done
    .venv/bin/python -m pytest -q -m "($tiers) and serial" "$@" || code=$?
    if ((code == 5)); then
        echo "no serial test in the tiers run"
        return 0
    fi
    return "$code"
}

check "ruff check" .venv/bin/ruff check .
check "ruff format --check" .venv/bin/ruff format --check .
check "mypy" .venv/bin/mypy
for name in $TIERS; do
    check "pytest, $name tier" tier "$name" "$@"
done
check "pytest, serial tests of the tiers" serial "$@"

if ((${#failed[@]})); then
    printf '\ntest.sh: FAILED: %s\n' "$(IFS=','; echo "${failed[*]}" | sed 's/,/, /g')" >&2
    exit 1
fi
printf '\ntest.sh: all checks passed\n'
