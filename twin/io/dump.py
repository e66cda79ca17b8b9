"""YAML text of a park, as people write park files (:func:`dump_park`)."""

from __future__ import annotations

from typing import Any

import yaml

from twin.model.schema import Park

_SafeDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
"""libyaml's dumper when PyYAML has it: the same text, several times faster."""


class _ParkDumper(_SafeDumper):  # type: ignore[misc,valid-type]
    """Writes lists of plain values (points, profiles) and small flat mappings on one line."""


def _represent_list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    flat = all(not isinstance(x, dict | list) for x in items)
    points = all(isinstance(x, list) and not any(isinstance(y, dict | list) for y in x)
                 for x in items)  # fmt: skip
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flat or points)


def _represent_dict(dumper: yaml.SafeDumper, mapping: dict[str, Any]) -> yaml.Node:
    flat = (
        len(mapping) <= 4
        and all(not isinstance(v, dict | list) for v in mapping.values())
        and len(str(mapping)) <= 80
    )
    return dumper.represent_mapping("tag:yaml.org,2002:map", mapping, flow_style=flat)


_ParkDumper.add_representer(list, _represent_list)
_ParkDumper.add_representer(dict, _represent_dict)


def dump_park(park: Park) -> str:
    """The park as YAML text that :func:`load_park` reads back to an equal park.

    Short lists (footprints, hourly profiles) and small flat mappings (shifts, distributions)
    are written on one line, as people write park files.
    """
    data = park.model_dump(mode="json", by_alias=True, exclude_none=True, exclude_defaults=False)
    return yaml.dump(data, Dumper=_ParkDumper, sort_keys=False, allow_unicode=True, width=100)
