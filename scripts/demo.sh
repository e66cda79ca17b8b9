#!/usr/bin/env bash
# The main job on the bundled default park (Yên Bình): set up, validate, simulate a week,
# compare two what-ifs and render the park. Results go to ./out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PT=.venv/bin/parktwin
$PT validate yen-binh
$PT run --days 7 -r 3 --out out/run
