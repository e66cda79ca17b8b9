"""The word-list check of the language tests: English prose left in a Vietnamese output."""

from __future__ import annotations

import re

ENGLISH_WORDS = {
    "the", "and", "of", "with", "after", "per", "in", "at", "no", "more", "from", "when",
    "replication", "replications", "interval", "intervals", "baseline", "change", "changes",
    "significant", "wait", "mean", "scenario", "days", "day", "seed", "warm", "up", "verdict",
    "summary", "energy", "power", "trucks", "truck", "production", "unit", "units", "most",
    "affected", "hour", "every", "show", "made", "by", "matters", "matter", "threshold",
    "unserved", "lost", "paired", "common", "random", "numbers", "excludes", "bold", "peak",
    "queue", "dock", "docks", "drawn", "served", "waiting", "profiles", "side", "kpis", "min",
    "share", "candidates", "best", "procedure", "replication(s)", "none", "table", "charts",
    "outage", "outages", "secure", "line", "transformer", "substation", "loading", "restored",
    "buildings", "sources", "holds", "busbar", "moment", "worst", "first", "delayed", "supply",
    "origins", "horizon", "source", "following", "nowcast", "persistence", "cold", "start",
    "beats", "both", "band", "bias", "calibrated", "miscalibrated", "happened", "ahead",
    "metric", "flows", "yes", "changed", "seen", "found", "left", "out", "gate", "time",
}  # fmt: skip
"""Words that would betray English prose left in a Vietnamese output."""


def english_words_in(text: str, allowed: set[str]) -> set[str]:
    """English words of the list in `text`, after taking out what may stay (ids, names)."""
    for item in sorted(allowed, key=len, reverse=True):
        text = text.replace(item, " ")
    words = set(re.findall(r"[A-Za-z][A-Za-z()\-]*", text.lower()))
    return words & ENGLISH_WORDS


def prose_of_html(page: str) -> str:
    """The visible text of a report page, without its inline SVG markup."""
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)
