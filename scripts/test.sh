#!/usr/bin/env bash
# Set up (idempotent), then lint, format check, type check and the whole test suite.
# Every check runs even when an earlier one fails; the exit status is non-zero if any failed.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not slow" -x`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh

failed=()
check() {
    local name="$1"
    shift
    printf '\n== %s\n' "$name"
    if ! "$@"; then
        failed+=("$name")
    fi
}

check "ruff check" .venv/bin/ruff check .
check "ruff format --check" .venv/bin/ruff format --check .
check "mypy" .venv/bin/mypy
check "pytest" .venv/bin/python -m pytest -q "$@"

if ((${#failed[@]})); then
    printf '\ntest.sh: FAILED: %s\n' "$(IFS=','; echo "${failed[*]}" | sed 's/,/, /g')" >&2
    exit 1
fi
printf '\ntest.sh: all checks passed\n'
