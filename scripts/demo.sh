#!/usr/bin/env bash
# The main job on the bundled default park (Yên Bình): set up, validate, simulate a week,
# compare two what-ifs with paired replications, and render the park and an A/B playback of a
# substation outage. Everything is written under ./out/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PT=.venv/bin/parktwin
$PT validate yen-binh peak-season substation-outage
$PT run --days 7 -r 3 --out out/run
$PT compare yen-binh peak-season substation-outage -r 10 -j 2 --out out/compare
$PT render --out out/park.png --at "day 2 10:00"
$PT render --compare substation-outage --out out/outage-ab.mp4 \
    --from "day 2 07:00" --to "day 2 14:00" --size 1280x720 --speed 30
echo "demo: results in out/ (run/, compare/report.html, park.png, outage-ab.mp4)"
