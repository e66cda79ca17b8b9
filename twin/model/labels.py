"""Names for people: an asset by its name, a KPI as words ("Mean wait at Customs bays (min)").

An asset's name is its ``name`` field; a dock group, which has none, is called by its
building's name; an asset without a name keeps its id. A KPI's words come from
:data:`twin.language.TEXT` (``kpi.<name>`` or ``kpi.<family>.*.<metric>``); a KPI no key
describes (a plugin family's) keeps its id.
"""

from __future__ import annotations

from collections.abc import Mapping

from twin.language import TEXT, Language, say, unit_text
from twin.model.schema import Park

ASSET_FAMILIES = (
    "power.lines",
    "power.transformers",
    "power.buses",
    "gates",
    "docks",
    "production",
    "buildings",
    "power",
)
"""KPI prefixes followed by one asset's id, the longest first (``power.lines`` before ``power``)."""


def asset_names(park: Park) -> dict[str, str]:
    """Every asset's id mapped to its name for people (assets without a name are left out)."""
    names: dict[str, str] = {b.id: b.name for b in park.buildings if b.name}
    if park.power is not None:
        names.update({s.id: s.name for s in park.power.substations if s.name})
    names.update({g.id: g.name for g in park.logistics.gates if g.name})
    for group in park.logistics.dock_groups:
        if group.building in names:
            names[group.id] = names[group.building]
    return names


def split_kpi(kpi: str) -> tuple[str, str | None, str]:
    """``(family, asset id or None, metric)`` of a KPI name.

    ``docks.a.b.wait_mean_min`` is ``("docks", "a.b", "wait_mean_min")`` (ids may hold dots);
    a park-wide KPI such as ``power.peak_mw`` is ``("power", None, "peak_mw")``.
    """
    for family in ASSET_FAMILIES:
        head = family + "."
        if kpi.startswith(head) and "." in kpi[len(head) :]:
            asset, metric = kpi[len(head) :].rsplit(".", 1)
            if f"kpi.{family}.*.{metric}" in TEXT:
                return family, asset, metric
    family, _, metric = kpi.rpartition(".")
    return family, None, metric


def kpi_key(kpi: str) -> str | None:
    """The key of a KPI's words in the language table, or None for a KPI it does not know."""
    family, asset, metric = split_kpi(kpi)
    key = f"kpi.{family}.*.{metric}" if asset is not None else f"kpi.{kpi}"
    return key if key in TEXT else None


def _with_name(template: str, name: str) -> str:
    """`template` with its ``{name}``, the word before it left out when the name starts with
    that word ("at gate Main gate" is "at Main gate", "trạm Trạm 110 kV" is "Trạm 110 kV")."""
    head, _, tail = template.partition("{name}")
    before = head.rstrip().rsplit(" ", 1)
    if len(before) == 2 and name.casefold().startswith(before[1].casefold() + " "):
        head = before[0] + " "
    return f"{head}{name}{tail}"


def kpi_label(kpi: str, lang: Language, names: Mapping[str, str], unit: str | None = None) -> str:
    """A KPI in words, with its unit in brackets when `unit` is given.

    Args:
        kpi: the KPI's name (``docks.customs-bays.wait_mean_min``).
        lang: the language of the output.
        names: asset ids to names (:func:`asset_names`); an id not in it is shown as it is.
        unit: the KPI's unit (``min``), or None to leave it out.
    """
    key = kpi_key(kpi)
    if key is None:
        words = kpi
    else:
        _, asset, _ = split_kpi(kpi)
        words = _with_name(TEXT[key][lang], names.get(asset, asset)) if asset else say(key, lang)
    shown = unit_text(unit, lang) if unit and unit != "share" else ""
    return f"{words} ({shown})" if shown else words
