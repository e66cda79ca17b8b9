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
# The live twin without a broker: a day of the sample data (to 10:00 on its second day) into a
# store, then one nowcast of the next 4 hours from the park's state at 10:00.
mkdir -p out/day && rm -f out/live.db
for f in trucks meters; do  # rows before the cut: arrive (trucks, 5th column), timestamp (meters)
    awk -F, -v col=$([ $f = trucks ] && echo 5 || echo 1) \
        'NR == 1 || $col < "2026-01-06T10:00"' "assets/sensors/yen-binh/$f.csv" > "out/day/$f.csv"
done
$PT live --replay out/day --store out/live.db
$PT state --store out/live.db --at 2026-01-06T10:00
$PT nowcast --store out/live.db --at 2026-01-06T10:00 --seen-flows-only --out out/nowcast
echo "demo: results in out/ (run/, compare/report.html, park.png, outage-ab.mp4, nowcast/)"
