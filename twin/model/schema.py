"""Pydantic models of the park and scenario files (SPEC.md), frozen and strict.

Parsing here is pure: no files are read. Field-level rules (types, ranges, units) live on the
fields; rules that tie several parts of a park together (a flow names a gate that exists, ids are
unique across the park) live in :func:`park_problems`, which the :class:`Park` model runs after
its fields validate. Each problem carries the place it concerns, so that :mod:`twin.io.load` can
point at the file, line and field. Rules that need more than the models (every used gate
reaches its dock group by road; plugin assets) are :mod:`twin.model.checks`'.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from difflib import get_close_matches
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from twin.errors import ParktwinError
from twin.model.geometry import first_crossing, signed_area

# Bounds that catch typos (a power in W instead of kW, a rate per day given per hour) while
# leaving room for the largest real parks.
MAX_COORD_M = 100_000.0
MAX_ASSETS = 10_000
"""Most buildings, dock groups, roads, flows or feeders of a park (and changes or events of a
scenario): bounds the work of checking and simulating one."""
MAX_GATES = 1_000
MAX_SUBSTATIONS = 1_000
MAX_MINUTES = 100_000.0

# Physical quantities are also bounded below: a positive value far under any real one (a power
# factor or an impedance of 1e-300) is a slip, and it would send the physics to infinities.
MIN_POWER_FACTOR = 0.3
"""A building's aggregate power factor below this is a reactor, not a load."""
MIN_CAPACITY_MW = 0.001
"""A substation or feeder rated under 1 kW."""
MIN_CAPACITY_M3H = 0.01
"""A water plant that treats under 10 litres an hour."""
MIN_ROAD_KMH = 1.0
"""A road driven slower than walking pace (trucks queueing are modelled at the docks)."""
MIN_LINE_KM = 0.001
"""A line shorter than a metre."""
OHM_PER_KM = (0.001, 100.0)
"""Resistance or reactance of a line per km: copper busbar to a thin overhead wire, with room."""
MIN_LINE_KA = 0.001
"""A line rated under 1 A."""
MIN_TRANSFORMER_MVA = 0.01
"""A transformer under 10 kVA."""
MIN_VK_PERCENT = 1.0
"""Short-circuit voltage: real transformers have 4 to 20 %."""
MIN_KV = 0.1
"""A network below 100 V."""

Coord = Annotated[float, Field(ge=-MAX_COORD_M, le=MAX_COORD_M)]
Point = tuple[Coord, Coord]
Id = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
Minutes = Annotated[float, Field(ge=0, le=MAX_MINUTES)]
PositiveMinutes = Annotated[float, Field(gt=0, le=MAX_MINUTES)]
TimeOfDay = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$")]


class Model(BaseModel):
    """Base of every input model: immutable, no unknown fields, no NaN or infinity.

    Validators are built on first use (`defer_build`), not when the module loads: a command
    validates a few of these models, not all of them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, defer_build=True)


# --------------------------------------------------------------------------- distributions


class Constant(Model):
    """Always the same value."""

    dist: Literal["constant"]
    value: Minutes = Field(description="the value every draw takes")


class Exponential(Model):
    """Exponential with the given mean."""

    dist: Literal["exponential"]
    mean: PositiveMinutes = Field(description="mean")


class _MeanSd(Model):
    mean: PositiveMinutes = Field(description="mean of the variable itself")
    sd: Annotated[float, Field(gt=0, le=MAX_MINUTES, description="standard deviation")]


class Lognormal(_MeanSd):
    """Lognormal given by the mean and standard deviation of the variable itself."""

    dist: Literal["lognormal"]


class Gamma(_MeanSd):
    """Gamma given by its mean and standard deviation."""

    dist: Literal["gamma"]


class Normal(Model):
    """Normal truncated at 0 (negative draws are redrawn)."""

    dist: Literal["normal"]
    mean: Minutes = Field(description="mean before truncation at 0")
    sd: Annotated[
        float, Field(ge=0, le=MAX_MINUTES, description="standard deviation before truncation")
    ]

    @model_validator(mode="after")
    def _mass_above_zero(self) -> Normal:
        if self.sd == 0 and self.mean == 0:
            return self
        if self.sd > 0 and self.mean / self.sd < -5:
            raise ValueError("mean is so far below 0 that almost no draw is positive")
        return self


class Triangular(Model):
    """Triangular on [min, max] with its peak at mode."""

    dist: Literal["triangular"]
    min: Minutes = Field(description="smallest value")
    mode: Minutes = Field(description="most likely value")
    max: Minutes = Field(description="largest value")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.min <= self.mode <= self.max or self.min == self.max:
            raise ValueError(
                f"needs min <= mode <= max and min < max, got {self.min}, {self.mode}, {self.max}"
            )
        return self


class Uniform(Model):
    """Uniform on [min, max]."""

    dist: Literal["uniform"]
    min: Minutes = Field(description="smallest value")
    max: Minutes = Field(description="largest value")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.min < self.max:
            raise ValueError(f"needs min < max, got min={self.min}, max={self.max}")
        return self


class Empirical(Model):
    """Resampling of observed values."""

    dist: Literal["empirical"]
    values: Annotated[
        list[Minutes],
        Field(
            min_length=1,
            max_length=1_000_000,
            description="observed values, drawn with equal probability",
        ),
    ]


Distribution = Annotated[
    Constant | Exponential | Lognormal | Gamma | Normal | Triangular | Uniform | Empirical,
    Field(discriminator="dist"),
]
DIST_NAMES = (
    "constant",
    "exponential",
    "lognormal",
    "gamma",
    "normal",
    "triangular",
    "uniform",
    "empirical",
)


# --------------------------------------------------------------------------- buildings


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Window(Model):
    """A daily time window; an `end` not after `start` runs past midnight.

    With `days`, the window opens only on those weekdays (a night shift from 22:00 on Friday
    runs into Saturday morning).
    """

    start: TimeOfDay = Field(description='local time of day "HH:MM"')
    end: TimeOfDay = Field(description='"HH:MM"; not after start: past midnight; "24:00" allowed')
    days: Annotated[list[Weekday], Field(min_length=1, max_length=7)] | None = Field(
        None, description="weekdays it opens on (mon..sun); none: every day"
    )

    @field_validator("start")
    @classmethod
    def _start_before_midnight(cls, value: str) -> str:
        if value == "24:00":
            raise ValueError("a window cannot start at 24:00; use 00:00")
        return value


ShapeValue = Annotated[float, Field(ge=0, le=1_000_000)]
DayShape = Annotated[
    list[ShapeValue],
    Field(min_length=24, max_length=96, description="24 hourly or 96 quarter-hour values"),
]


class LoadShape(Model):
    """A load's shape over the day or the week, relative; scaled by the section's level.

    Give exactly one of `daily` (the same every day), the day types `weekday` (Monday to
    Friday) with `saturday` and `sunday` (Sundays and the park's holidays; each defaults to
    `weekday`), or `weekly` (Monday 00:00 first). A day has 24 hourly or 96 quarter-hour values,
    a week 168 or 672. The shape is normalised to a mean of 1 over its week, so the level is
    the mean load it adds.
    """

    daily: DayShape | None = Field(None, description="every day: 24 or 96 values")
    weekday: DayShape | None = Field(None, description="Monday to Friday: 24 or 96 values")
    saturday: DayShape | None = Field(None, description="Saturdays (default: weekday)")
    sunday: DayShape | None = Field(None, description="Sundays and holidays (default: weekday)")
    weekly: Annotated[list[ShapeValue], Field(min_length=168, max_length=672)] | None = Field(
        None, description="168 hourly or 672 quarter-hour values, Monday 00:00 first"
    )

    @model_validator(mode="after")
    def _one_form(self) -> LoadShape:
        forms = [
            name
            for name, given in (
                ("daily", self.daily is not None),
                ("weekday/saturday/sunday", self.weekday is not None),
                ("weekly", self.weekly is not None),
            )
            if given
        ]
        if len(forms) != 1:
            raise ValueError(
                "give exactly one of daily, weekday (with saturday and sunday) or weekly"
                + (f" (got {', '.join(forms)})" if forms else "")
            )
        if self.weekday is None and (self.saturday is not None or self.sunday is not None):
            raise ValueError("saturday and sunday need weekday")
        for name in ("daily", "weekday", "saturday", "sunday"):
            values = getattr(self, name)
            if values is not None and len(values) not in (24, 96):
                raise ValueError(f"{name} has {len(values)} values; give 24 or 96")
        if self.weekly is not None and len(self.weekly) not in (168, 672):
            raise ValueError(f"weekly has {len(self.weekly)} values; give 168 or 672")
        if max(self.week()) <= 0:
            raise ValueError("the shape is zero everywhere")
        return self

    def week(self) -> list[float]:
        """The shape over a week (Monday 00:00 first), on its own slots (hours or quarters)."""
        if self.weekly is not None:
            return list(self.weekly)
        if self.daily is not None:
            return list(self.daily) * 7
        assert self.weekday is not None
        saturday = self.saturday if self.saturday is not None else self.weekday
        sunday = self.sunday if self.sunday is not None else self.weekday
        width = max(len(self.weekday), len(saturday), len(sunday))
        days = [_resample(d, width) for d in (self.weekday, saturday, sunday)]
        return days[0] * 5 + days[1] + days[2]


def _resample(values: list[float], width: int) -> list[float]:
    """A day's values on `width` slots (24 hourly values repeat four times on 96)."""
    return [v for v in values for _ in range(width // len(values))]


def _shape_and_level(shape: LoadShape | None, level: float | None, unit: str) -> None:
    if shape is None and level is not None:
        raise ValueError(f"level_{unit} needs a shape (daily, weekday/saturday/sunday or weekly)")
    if shape is not None and level is None:
        raise ValueError(f"a shape needs level_{unit}, the mean load it scales to")


class BuildingPower(Model):
    """Electrical load: `base_kw` always, `shift_kw` while a shift runs, `level_kw` × `shape`."""

    feeder: Id | None = Field(
        None,
        description="id of the feeder that supplies the building; with `power.network` "
        "optional, a label only",
    )
    bus: Id | None = Field(
        None, description="id of the network bus it connects to (parks with `power.network`)"
    )
    power_factor: (
        Annotated[
            float,
            Field(
                ge=MIN_POWER_FACTOR,
                le=1,
                description="lagging power factor of the load; default 0.95",
            ),
        ]
        | None
    ) = None
    priority: (
        Annotated[
            int,
            Field(
                ge=0, le=1000, description="larger is more important: the last left off; default 1"
            ),
        ]
        | None
    ) = None
    base_kw: Annotated[float, Field(ge=0, le=1_000_000, description="always-on load, kW")] = 0
    shift_kw: Annotated[float, Field(ge=0, le=1_000_000, description="extra load in shift, kW")] = 0
    level_kw: (
        Annotated[
            float, Field(ge=0, le=1_000_000, description="mean load that follows `shape`, kW")
        ]
        | None
    ) = None
    shape: LoadShape | None = Field(None, description="daily or weekly shape of `level_kw`")

    @model_validator(mode="after")
    def _shaped(self) -> BuildingPower:
        _shape_and_level(self.shape, self.level_kw, "kw")
        return self


class BuildingWater(Model):
    """Water drawn: `base_m3h` always, `shift_m3h` in shift with power, `level_m3h` × `shape`."""

    base_m3h: Annotated[float, Field(ge=0, le=100_000)] = 0
    shift_m3h: Annotated[float, Field(ge=0, le=100_000)] = 0
    wastewater_ratio: Annotated[
        float, Field(ge=0, le=1, description="share of the water drawn that returns as wastewater")
    ] = 0.8
    level_m3h: (
        Annotated[
            float, Field(ge=0, le=100_000, description="mean flow that follows `shape`, m³/h")
        ]
        | None
    ) = None
    shape: LoadShape | None = Field(None, description="daily or weekly shape of `level_m3h`")

    @model_validator(mode="after")
    def _shaped(self) -> BuildingWater:
        _shape_and_level(self.shape, self.level_m3h, "m3h")
        return self


class Production(Model):
    """Output while a shift runs and the building has power."""

    units_per_hour: Annotated[
        float, Field(gt=0, le=10_000_000, description="output while a shift runs with power")
    ]


class Building(Model):
    """A building: footprint polygon in metres, height, shifts and what it consumes."""

    id: Id = Field(description="unique among buildings")
    name: str | None = Field(None, max_length=200, description="display name, any script")
    short_name: str | None = Field(
        None,
        min_length=1,
        max_length=40,
        description="label on the page's plan and in 3D where `name` is long (default: `name`, "
        "else `id`); the full name stays in tooltips and reports",
    )
    kind: Literal["factory", "warehouse", "office", "utility", "other"] = Field(
        description="what the building is; sets its colour in 3D"
    )
    footprint: Annotated[
        list[Point],
        Field(
            min_length=3,
            max_length=1000,
            description="corners [x, y] in metres (x east, y north), a simple polygon",
        ),
    ]
    height_m: Annotated[float, Field(gt=0, le=1000, description="height in metres")]
    entrance: Point | None = Field(
        None,
        description="where trucks join the roads; default: the road point nearest the footprint",
    )
    tenant: str | None = Field(None, max_length=200, description="company using the building")
    sector: str | None = Field(None, max_length=200, description="what it makes or stores")
    shifts: list[Window] = Field(
        [], description="daily shift windows; none: no shift load, no production"
    )
    power: BuildingPower | None = Field(None, description="electrical load; none: draws no power")
    water: BuildingWater | None = Field(None, description="water use; none: draws no water")
    production: Production | None = Field(None, description="output; none: produces nothing")

    @field_validator("short_name")
    @classmethod
    def _visible_label(cls, text: str | None) -> str | None:
        if text is not None and not text.strip():
            raise ValueError("a short name needs a visible character (leave it out to use `name`)")
        return text.strip() if text is not None else None

    @field_validator("footprint")
    @classmethod
    def _simple_polygon(cls, points: list[Point]) -> list[Point]:
        problem = polygon_problem(points)
        if problem:
            raise ValueError(problem)
        return points


# --------------------------------------------------------------------------- utilities


class Transformer(Model):
    """A 110/22 kV transformer of a substation (two-winding, sym.)."""

    id: Id = Field(description="unique across the park")
    sn_mva: Annotated[
        float, Field(ge=MIN_TRANSFORMER_MVA, le=10_000, description="rated apparent power, MVA")
    ]
    vk_percent: Annotated[
        float, Field(ge=MIN_VK_PERCENT, lt=100, description="short-circuit voltage, %")
    ]
    vkr_percent: Annotated[float, Field(ge=0, lt=100, description="its real part, %")] = 0.0
    hv_kv: Annotated[
        float,
        Field(ge=MIN_KV, le=1000, description="high-voltage side, kV; above `power.network.kv`"),
    ] = 110.0

    @model_validator(mode="after")
    def _real_part_below_whole(self) -> Transformer:
        if self.vkr_percent >= self.vk_percent:
            raise ValueError("vkr_percent must be below vk_percent")
        return self


class Substation(Model):
    """A substation feeding the park's feeders."""

    id: Id = Field(description="unique among substations")
    name: str | None = Field(None, max_length=200)
    capacity_mw: Annotated[
        float, Field(ge=MIN_CAPACITY_MW, le=100_000, description="largest load it can serve, MW")
    ]
    position: Point = Field((0.0, 0.0), description="[x, y] in metres, for the 3D view")
    transformers: Annotated[list[Transformer], Field(max_length=100)] | None = Field(
        None,
        description="110/22 kV transformers (with `power.network`); the source is their HV side",
    )


class Feeder(Model):
    """A medium-voltage feeder from a substation to buildings."""

    id: Id = Field(description="unique among feeders")
    substation: Id = Field(description="id of the substation it leaves from")
    capacity_mw: Annotated[
        float, Field(ge=MIN_CAPACITY_MW, le=100_000, description="largest load it can carry, MW")
    ]


CABLE_TYPES: dict[str, dict[str, float]] = {
    "NA2XS2Y 1x95 RM/25 12/20 kV": {
        "r_ohm_per_km": 0.313, "x_ohm_per_km": 0.132, "c_nf_per_km": 216.0, "max_i_ka": 0.252,
    },
    "NA2XS2Y 1x150 RM/25 12/20 kV": {
        "r_ohm_per_km": 0.206, "x_ohm_per_km": 0.116, "c_nf_per_km": 250.0, "max_i_ka": 0.319,
    },
    "NA2XS2Y 1x185 RM/25 12/20 kV": {
        "r_ohm_per_km": 0.161, "x_ohm_per_km": 0.117, "c_nf_per_km": 273.0, "max_i_ka": 0.362,
    },
    "NA2XS2Y 1x240 RM/25 12/20 kV": {
        "r_ohm_per_km": 0.122, "x_ohm_per_km": 0.112, "c_nf_per_km": 304.0, "max_i_ka": 0.421,
    },
}  # fmt: skip
"""Standard medium-voltage cables a line may name as `type` (pandapower's standard types)."""

OhmPerKm = Annotated[float, Field(ge=OHM_PER_KM[0], le=OHM_PER_KM[1])]


class NetworkBus(Model):
    """A node of the power network: a substation's busbar (a source) or a ring main unit."""

    id: Id = Field(description="unique across the park")
    substation: Id | None = Field(
        None, description="the substation whose medium-voltage busbar this is: a source"
    )
    position: Point | None = Field(None, description="[x, y] in metres, for plans and 3D")


class NetworkLine(Model):
    """A cable or overhead line between two buses: `type`, or r, x and max_i per km."""

    id: Id = Field(description="unique across the park")
    from_bus: Id = Field(validation_alias="from", serialization_alias="from")
    to_bus: Id = Field(validation_alias="to", serialization_alias="to")
    length_km: Annotated[float, Field(ge=MIN_LINE_KM, le=1000, description="route length, km")]
    type: str | None = Field(None, description="a standard cable type (see the reference)")
    r_ohm_per_km: OhmPerKm | None = None
    x_ohm_per_km: OhmPerKm | None = None
    max_i_ka: (
        Annotated[float, Field(ge=MIN_LINE_KA, le=100, description="rated current, kA")] | None
    ) = None
    c_nf_per_km: Annotated[float, Field(ge=0, le=100_000)] | None = None

    model_config = ConfigDict(populate_by_name=True)

    @model_validator(mode="after")
    def _typed_or_given(self) -> NetworkLine:
        own = (self.r_ohm_per_km, self.x_ohm_per_km, self.max_i_ka)
        if self.type is not None:
            if self.type not in CABLE_TYPES:
                raise ValueError(dangling("cable type", self.type, CABLE_TYPES))
            return self
        if any(value is None for value in own):
            raise ValueError("a line needs a `type` or all of r_ohm_per_km, x_ohm_per_km, max_i_ka")
        return self

    def data(self) -> dict[str, float]:
        """r, x (ohm/km), c (nF/km) and max_i (kA): its own values over its type's."""
        values = dict(CABLE_TYPES[self.type]) if self.type else {"c_nf_per_km": 0.0}
        own = {
            "r_ohm_per_km": self.r_ohm_per_km,
            "x_ohm_per_km": self.x_ohm_per_km,
            "max_i_ka": self.max_i_ka,
            "c_nf_per_km": self.c_nf_per_km,
        }
        values.update({k: v for k, v in own.items() if v is not None})
        return values


class NetworkSwitch(Model):
    """A switch on a line; a normally open one (`closed: false`) is a tie for restoration."""

    id: Id = Field(description="unique across the park")
    line: Id = Field(description="the line it opens or closes")
    closed: bool = Field(False, description="normal state; false: a normally open point")


class PowerNetwork(Model):
    """The medium-voltage network behind the substations (SPEC.md "Power network")."""

    kv: Annotated[float, Field(ge=MIN_KV, le=500, description="nominal voltage, kV")] = 22.0
    restoration_min: Minutes = Field(
        30.0, description="time to isolate a fault and close normally open switches"
    )
    source_v_pu: Annotated[float, Field(ge=0.9, le=1.1)] = Field(
        1.0,
        description="voltage the sources hold, per unit (behind transformers: on their "
        "high-voltage side; a tap changer holding the busbar high is written here)",
    )
    buses: Annotated[list[NetworkBus], Field(min_length=1, max_length=MAX_ASSETS)]
    lines: Annotated[list[NetworkLine], Field(max_length=MAX_ASSETS)] = []
    switches: Annotated[list[NetworkSwitch], Field(max_length=MAX_ASSETS)] = []


class PowerSection(Model):
    """The park's electrical network."""

    substations: Annotated[list[Substation], Field(max_length=MAX_SUBSTATIONS)] = []
    feeders: Annotated[list[Feeder], Field(max_length=MAX_ASSETS)] = []
    network: PowerNetwork | None = Field(
        None, description="the network behind the substations; none: capacities only"
    )


class WaterSupply(Model):
    """Clean water supply."""

    capacity_m3h: Annotated[float, Field(ge=MIN_CAPACITY_M3H, le=1_000_000)]
    position: Point | None = Field(None, description="[x, y] in metres, for the 3D view")


class WastewaterPlant(Model):
    """Central wastewater plant with a buffer tank."""

    capacity_m3h: Annotated[float, Field(ge=MIN_CAPACITY_M3H, le=1_000_000)]
    buffer_m3: Annotated[float, Field(ge=0, le=100_000_000)] = 0
    position: Point | None = Field(None, description="[x, y] in metres, for the 3D view")


class WaterSection(Model):
    """The park's water supply and wastewater treatment."""

    supply: WaterSupply | None = None
    wastewater: WastewaterPlant | None = None


# --------------------------------------------------------------------------- logistics


class Gate(Model):
    """A gate: trucks queue for one of `lanes` lanes, then pass in a service time (minutes)."""

    id: Id = Field(description="unique among gates")
    name: str | None = Field(None, max_length=200)
    lanes: Annotated[int, Field(ge=1, le=1000, description="trucks served at once on the way in")]
    service: Distribution = Field(
        description="time to pass the gate, minutes; {dist: constant, value: 0} adds no delay"
    )
    position: Point = Field(description="[x, y] in metres; joins the nearest road point")


class Staffing(Window):
    """Docks staffed in a daily time window (outside every window: the group's `docks`)."""

    docks: Annotated[int, Field(ge=0, le=10_000, description="docks staffed in the window")]


class DockGroup(Model):
    """Docks of a building: trucks queue for one of `docks`, served in `service` minutes."""

    id: Id = Field(description="unique among dock groups")
    building: Id = Field(description="id of the building whose docks these are")
    docks: Annotated[int, Field(ge=1, le=10_000, description="trucks served at once")]
    service: Distribution = Field(description="time to load or unload a truck, minutes")
    hours: list[Window] | None = Field(
        None, description="when service may start; none: around the clock"
    )
    staffing: list[Staffing] | None = Field(
        None,
        description="docks staffed by time window (a docked truck finishes before its dock "
        "closes); outside the windows: docks",
    )


class Road(Model):
    """A road polyline; roads join where they share a point."""

    id: Id = Field(description="unique among roads")
    points: Annotated[
        list[Point],
        Field(
            min_length=2,
            max_length=10_000,
            description="polyline [x, y] in metres; roads join where they share a point",
        ),
    ]
    speed_kmh: Annotated[float, Field(ge=MIN_ROAD_KMH, le=200, description="driving speed, km/h")]


class Flow(Model):
    """A stream of truck visits from a gate to a dock group and back.

    Exactly one of `rate_per_hour` (Poisson), `hourly_profile` (24 rates, hour 0 first),
    `weekly_profile` (168 rates, Monday 00:00 first) or `timetable` (a truck at each of these
    times of day, every day: scheduled deliveries) gives the arrivals.
    """

    id: Id = Field(description="unique among flows")
    gate: Id = Field(description="gate the trucks enter and leave by")
    dock_group: Id = Field(description="dock group the trucks visit")
    rate_per_hour: (
        Annotated[float, Field(ge=0, le=10_000, description="Poisson arrivals per hour, all day")]
        | None
    ) = None
    hourly_profile: (
        Annotated[
            list[Annotated[float, Field(ge=0, le=10_000)]], Field(min_length=24, max_length=24)
        ]
        | None
    ) = None
    weekly_profile: (
        Annotated[
            list[Annotated[float, Field(ge=0, le=10_000)]], Field(min_length=168, max_length=168)
        ]
        | None
    ) = None

    timetable: (
        Annotated[
            list[TimeOfDay],
            Field(min_length=1, max_length=1440, description='a truck at each "HH:MM", every day'),
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _one_rate(self) -> Flow:
        given = [
            n
            for n in ("rate_per_hour", "hourly_profile", "weekly_profile", "timetable")
            if getattr(self, n) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of rate_per_hour, hourly_profile, weekly_profile or timetable"
                + (f" (got {', '.join(given)})" if given else "")
            )
        return self

    def weekly_rates(self) -> list[float]:
        """Arrival rate per hour for each of the 168 hours of a week, Monday 00:00 first."""
        if self.weekly_profile is not None:
            return list(self.weekly_profile)
        if self.hourly_profile is not None:
            return list(self.hourly_profile) * 7
        return [float(self.rate_per_hour or 0.0)] * 168


class Logistics(Model):
    """Gates, dock groups, roads and truck flows."""

    gates: Annotated[list[Gate], Field(max_length=MAX_GATES)] = []
    dock_groups: Annotated[list[DockGroup], Field(max_length=MAX_ASSETS)] = []
    roads: Annotated[list[Road], Field(max_length=MAX_ASSETS)] = []
    flows: Annotated[list[Flow], Field(max_length=MAX_ASSETS)] = []


# --------------------------------------------------------------------------- the park


FIRST_YEAR, LAST_YEAR = 1900, 9000
"""The years a park's start may be in: dates ten years either side must still be written."""


class ParkInfo(Model):
    """Name, time zone and the calendar start of the simulation horizon."""

    name: Annotated[
        str, Field(min_length=1, max_length=200, description="display name, any script")
    ]
    timezone: str = Field("Asia/Ho_Chi_Minh", description="IANA time zone of the local times")
    start: Annotated[
        str,
        Field(
            pattern=r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$",
            description="local date (and time) where the simulation's calendar starts, "
            "in the years 1900 to 9000",
        ),
    ] = "2026-01-05T00:00"
    description: str | None = Field(None, description="what the park file models")
    holidays: list[Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")]] | None = Field(
        None, description='dates ("YYYY-MM-DD") whose load shapes are those of a Sunday'
    )
    language: Literal["vi", "en"] | None = Field(
        None, description="the language of reports, tables and the page (vi or en; default en)"
    )

    @field_validator("holidays")
    @classmethod
    def _real_dates(cls, value: list[str] | None) -> list[str] | None:
        for text in value or []:
            try:
                date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"'{text}' is not a real date") from None
        return value

    @field_validator("start")
    @classmethod
    def _real_date(cls, value: str) -> str:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"not a real date and time: {exc}") from None
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise ValueError(
                f"year {moment.year} is out of range: a park starts from {FIRST_YEAR} to "
                f"{LAST_YEAR} (a run and its warm-up reach ten years either side)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
            raise ValueError(
                f"unknown time zone '{value}': give an IANA name such as Asia/Ho_Chi_Minh or UTC"
            ) from None
        return value


class AlertRule(Model):
    """An alert the nowcast raises when a forecast series may go above a threshold."""

    series: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="a forecast series, e.g. docks.f1-docks.queue or power.fd1.load_mw"
    )
    above: float = Field(
        description="alert when the forecast's 5-95% band goes above this (the series' unit)",
        allow_inf_nan=False,
    )


class Park(Model):
    """A whole industrial park, as read from a park file."""

    park: ParkInfo
    buildings: Annotated[list[Building], Field(max_length=MAX_ASSETS)] = []
    power: PowerSection | None = None
    water: WaterSection | None = None
    logistics: Logistics = Logistics()
    metadata: dict[str, Any] | None = Field(
        None, description="free-form provenance, e.g. where calibrated values came from"
    )
    extensions: dict[str, list[dict[str, Any]]] | None = Field(
        None,
        description="assets of plugin families (twin.model.assets), by family name; each item is "
        "validated by its family's spec",
    )
    alerts: list[AlertRule] | None = Field(
        None, description="thresholds the live twin's nowcast alerts on (parktwin nowcast, live)"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Park:
        problems = park_problems(self)
        if problems:
            raise Problems(problems)
        return self


# --------------------------------------------------------------------------- scenario


class Moment(Model):
    """A time counted from the start of the horizon: day 0 is the first day."""

    day: Annotated[int, Field(ge=0, le=3660, description="day of the horizon, 0 the first")]
    at: TimeOfDay = Field("00:00", description='local time of day "HH:MM"')

    def minutes(self) -> float:
        """Minutes from the start of the horizon."""
        return self.day * 1440.0 + clock_minutes(self.at)


class SetChange(Model):
    """Set the field(s) at a path to a value."""

    set: str
    value: Any


class ScaleChange(Model):
    """Multiply the number(s) at a path."""

    scale: str
    by: Annotated[float, Field(ge=0, le=1_000_000)]


class AddChange(Model):
    """Append an item to a list (e.g. `buildings`, `logistics.flows`)."""

    add: str
    value: Any


class RemoveChange(Model):
    """Remove items selected by id, e.g. `buildings[id=f7]`."""

    remove: str


Change = SetChange | ScaleChange | AddChange | RemoveChange


class OutageEvent(Model):
    """An asset (substation, feeder, `water.supply` or gate id) is out for a duration."""

    outage: str = Field(
        description="substation, feeder or gate id, or water.supply / water.wastewater"
    )
    at: Moment = Field(validation_alias="from", serialization_alias="from")
    duration_h: Annotated[float, Field(gt=0, le=100_000, description="how long it is out, hours")]

    model_config = ConfigDict(populate_by_name=True)


class RateEvent(Model):
    """From a moment on, a flow's arrival rate is multiplied by `factor`."""

    flow: Id = Field(description="id of the flow")
    at: Moment = Field(validation_alias="from", serialization_alias="from")
    factor: Annotated[
        float,
        Field(
            ge=0,
            le=1000,
            description="multiplies the flow's rate from then on, in place of the factor of "
            "an earlier rate event of the flow",
        ),
    ]

    model_config = ConfigDict(populate_by_name=True)


Event = OutageEvent | RateEvent


class ScenarioInfo(Model):
    """Name and description of a scenario."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: str | None = None


class Scenario(Model):
    """Changes and timed events applied to a base park."""

    scenario: ScenarioInfo
    base: str | None = Field(
        None, description="park path or bundled name; none: the park given on the command line"
    )
    changes: Annotated[list[Change], Field(max_length=MAX_ASSETS)] = []
    events: Annotated[list[Event], Field(max_length=MAX_ASSETS)] = []


# --------------------------------------------------------------------------- rules


def clock_minutes(text: str) -> float:
    """Minutes after midnight of an "HH:MM" time of day ("24:00" is 1440)."""
    hours, minutes = text.split(":")
    return int(hours) * 60.0 + int(minutes)


class Problem(ParktwinError, ValueError):
    """A rule broken at a place in the park, e.g. ``("logistics", "flows", 2, "gate")``."""

    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(loc, message)
        self.loc = loc
        self.message = message

    def text(self) -> str:
        """The place, then the rule broken there."""
        return f"{format_loc(self.loc)}: {self.message}"


class Problems(Problem):
    """Several rules broken at once: the first one's place and message, and all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems[0].loc, problems[0].message)
        self.problems = problems


def format_loc(loc: Iterable[str | int]) -> str:
    """``("logistics", "flows", 2, "gate")`` as ``logistics.flows[2].gate``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def polygon_problem(points: list[Point]) -> str | None:
    """Why a footprint is not a simple polygon with area, or None when it is."""
    pts = list(points)
    if len(pts) > 3 and pts[0] == pts[-1]:
        pts = pts[:-1]
    if len(set(pts)) != len(pts):
        return "footprint repeats a corner"
    if abs(signed_area(np.asarray(pts, dtype=float))) < 0.5e-6:
        return "footprint has no area (its corners are on one line)"
    crossing = first_crossing(pts)
    if crossing is not None:
        return f"footprint crosses itself (edges {crossing[0]} and {crossing[1]})"
    return None


def duplicate_ids(items: Iterable[Any], where: tuple[str | int, ...]) -> Iterator[Problem]:
    """A problem for each item whose id an earlier item of the same list has."""
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        if item.id in seen:
            yield Problem(
                (*where, index, "id"),
                f"duplicate id '{item.id}' (first used at {format_loc((*where, seen[item.id]))})",
            )
        seen.setdefault(item.id, index)


def dangling(kind: str, name: str, known: Iterable[str]) -> str:
    """The message for a reference to a `kind` named `name` that is not among `known`."""
    known = sorted(known)
    close = get_close_matches(name, known, n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    listing = ", ".join(known[:12]) + (" ..." if len(known) > 12 else "") if known else "none"
    kinds = kind + ("es" if kind.endswith("s") else "s")
    return f"names {kind} '{name}', which does not exist{hint} (known {kinds}: {listing})"


RESERVED_IDS = ("water.supply", "water.wastewater")
"""Names of the park's water assets in outage events, alarms and meters: no id may take them."""


def _id_lists(park: Park) -> list[tuple[Sequence[Any], tuple[str | int, ...]]]:
    """Every list of assets with ids, and where it is in the park file."""
    power = park.power or PowerSection()
    logi = park.logistics
    return [
        (park.buildings, ("buildings",)),
        (power.substations, ("power", "substations")),
        (power.feeders, ("power", "feeders")),
        (logi.gates, ("logistics", "gates")),
        (logi.dock_groups, ("logistics", "dock_groups")),
        (logi.roads, ("logistics", "roads")),
        (logi.flows, ("logistics", "flows")),
        *_network_id_lists(power),
    ]


def _network_id_lists(power: PowerSection) -> list[tuple[Sequence[Any], tuple[str | int, ...]]]:
    """The network's lists of assets with ids (buses, lines, switches, transformers)."""
    lists: list[tuple[Sequence[Any], tuple[str | int, ...]]] = [
        (sub.transformers, ("power", "substations", i, "transformers"))
        for i, sub in enumerate(power.substations)
        if sub.transformers
    ]
    net = power.network
    if net is not None:
        lists += [
            (net.buses, ("power", "network", "buses")),
            (net.lines, ("power", "network", "lines")),
            (net.switches, ("power", "network", "switches")),
        ]
    return lists


def _ids_shared_across_kinds(park: Park) -> Iterator[Problem]:
    """An id used by two kinds of asset (a gate and a feeder both ``fd1``), or a reserved one.

    Outage events, live alarms, meters and the live state name an asset by its id alone, so an
    id must name one asset in the whole park.
    """
    owner: dict[str, tuple[str | int, ...]] = {name: ("water",) for name in RESERVED_IDS}
    for items, where in _id_lists(park):
        for i, item in enumerate(items):
            first = owner.setdefault(item.id, (*where, i))
            if first[: len(where)] == where:
                continue  # the same list: duplicate_ids reports it
            what = (
                "a name reserved for the water assets"
                if first == ("water",)
                else f"also the id of {format_loc(first)}"
            )
            yield Problem(
                (*where, i, "id"),
                f"id '{item.id}' is {what}; ids must be unique across the park, because "
                "outages, alarms and meters name an asset by its id alone",
            )


def park_problems(park: Park) -> list[Problem]:
    """Every cross-reference rule the park breaks, in file order.

    Road reachability and plugin assets need more than the models: :mod:`twin.model.checks`.
    """
    problems: list[Problem] = []
    logi = park.logistics
    power = park.power or PowerSection()
    water = park.water or WaterSection()
    for items, where in _id_lists(park):
        problems.extend(duplicate_ids(items, where))
    problems.extend(_ids_shared_across_kinds(park))

    substations = {s.id for s in power.substations}
    buildings = {b.id for b in park.buildings}
    gates = {g.id for g in logi.gates}
    groups = {g.id for g in logi.dock_groups}
    for i, feeder in enumerate(power.feeders):
        if feeder.substation not in substations:
            problems.append(
                Problem(
                    ("power", "feeders", i, "substation"),
                    dangling("substation", feeder.substation, substations),
                )
            )
    problems.extend(_building_supply_problems(park))
    if power.network is not None:
        problems.extend(network_problems(power.network, substations))
        problems.extend(_substations_without_busbar(power))
        problems.extend(_transformers_not_stepping_down(power))
        problems.extend(_loads_dead_in_normal_state(park.buildings, power.network))
    for i, building in enumerate(park.buildings):
        if building.water and water.supply is None:
            problems.append(
                Problem(
                    ("buildings", i, "water"),
                    "the building draws water but the park has no water.supply",
                )
            )
        if building.water and building.water.wastewater_ratio > 0 and water.wastewater is None:
            problems.append(
                Problem(
                    ("buildings", i, "water", "wastewater_ratio"),
                    "the building discharges wastewater but the park has no water.wastewater plant",
                )
            )
    for i, group in enumerate(logi.dock_groups):
        if group.building not in buildings:
            problems.append(
                Problem(
                    ("logistics", "dock_groups", i, "building"),
                    dangling("building", group.building, buildings),
                )
            )
    for i, flow in enumerate(logi.flows):
        if flow.gate not in gates:
            problems.append(
                Problem(("logistics", "flows", i, "gate"), dangling("gate", flow.gate, gates))
            )
        if flow.dock_group not in groups:
            problems.append(
                Problem(
                    ("logistics", "flows", i, "dock_group"),
                    dangling("dock group", flow.dock_group, groups),
                )
            )
    return problems


def _building_supply_problems(park: Park) -> Iterator[Problem]:
    """A building's power names a feeder (no network) or a bus (network) that does not exist."""
    power = park.power or PowerSection()
    feeders = {f.id for f in power.feeders}
    buses = {b.id for b in power.network.buses} if power.network else None
    for i, building in enumerate(park.buildings):
        supply = building.power
        if supply is None:
            continue
        place = ("buildings", i, "power")
        if supply.feeder is not None and supply.feeder not in feeders:
            yield Problem((*place, "feeder"), dangling("feeder", supply.feeder, feeders))
        if buses is None and supply.feeder is None:
            yield Problem(place, "the building draws power but names no feeder")
        if buses is None and supply.bus is not None:
            yield Problem((*place, "bus"), "names a bus, but the park has no power.network")
        if buses is not None and supply.bus is None:
            yield Problem(place, "the park has a power.network: the building needs its `bus`")
        if buses is not None and supply.bus is not None and supply.bus not in buses:
            yield Problem((*place, "bus"), dangling("bus", supply.bus, buses))


def network_problems(net: PowerNetwork, substations: set[str]) -> Iterator[Problem]:
    """Every rule of the network the park breaks: references, loops, buses no source reaches."""
    where = ("power", "network")
    buses = {b.id for b in net.buses}
    busbars: dict[str, int] = {}
    for i, bus in enumerate(net.buses):
        if bus.substation is None:
            continue
        if bus.substation not in substations:
            yield Problem(
                (*where, "buses", i, "substation"),
                dangling("substation", bus.substation, substations),
            )
        elif bus.substation in busbars:
            first = format_loc((*where, "buses", busbars[bus.substation]))
            yield Problem(
                (*where, "buses", i, "substation"),
                f"substation '{bus.substation}' already has its busbar at {first}",
            )
        busbars.setdefault(bus.substation, i)
    for i, line in enumerate(net.lines):
        for end, name in (("from", line.from_bus), ("to", line.to_bus)):
            if name not in buses:
                yield Problem((*where, "lines", i, end), dangling("bus", name, buses))
        if line.from_bus == line.to_bus:
            yield Problem(
                (*where, "lines", i, "to"), f"line '{line.id}' joins bus '{line.to_bus}' to itself"
            )
    yield from _switch_problems(net)
    if not busbars:
        yield Problem(
            (*where, "buses"), "no bus is a substation's busbar: the network has no source"
        )
    else:
        yield from _unreachable_buses(net)


def _substations_without_busbar(power: PowerSection) -> Iterator[Problem]:
    """Substations (with or without transformers) that no bus of the network is the busbar
    of: they would supply nothing (their outages and KPIs would be silently void)."""
    assert power.network is not None
    busbars = {b.substation for b in power.network.buses}
    for i, sub in enumerate(power.substations):
        if sub.id in busbars:
            continue
        if sub.transformers:
            yield Problem(
                ("power", "substations", i, "transformers"),
                f"substation '{sub.id}' has transformers, but no bus of power.network is its "
                f"busbar: add a bus with `substation: {sub.id}`, or remove its transformers",
            )
        else:
            yield Problem(
                ("power", "substations", i),
                f"no bus of power.network is the busbar of substation '{sub.id}': with a "
                "network, a substation supplies through its busbar alone, so it would supply "
                f"nothing and its outages would cut nothing; add a bus with `substation: "
                f"{sub.id}`, or remove the substation",
            )


def _transformers_not_stepping_down(power: PowerSection) -> Iterator[Problem]:
    """Transformers whose high-voltage side is not above the network they feed: the source
    would be held on the low side of a step-up (a typo, such as 22 for 220)."""
    assert power.network is not None
    kv = power.network.kv
    for i, sub in enumerate(power.substations):
        for j, trafo in enumerate(sub.transformers or []):
            if trafo.hv_kv <= kv:
                yield Problem(
                    ("power", "substations", i, "transformers", j, "hv_kv"),
                    f"transformer '{trafo.id}': hv_kv {trafo.hv_kv:g} is not above the "
                    f"network's kv {kv:g}; a substation's transformers step down to the network",
                )


def _switch_problems(net: PowerNetwork) -> Iterator[Problem]:
    lines = {line.id for line in net.lines}
    used: dict[str, int] = {}
    for i, switch in enumerate(net.switches):
        place = ("power", "network", "switches", i, "line")
        if switch.line not in lines:
            yield Problem(place, dangling("line", switch.line, lines))
        elif switch.line in used:
            first = format_loc(("power", "network", "switches", used[switch.line]))
            yield Problem(place, f"line '{switch.line}' already has a switch ({first})")
        used.setdefault(switch.line, i)


def _reached(net: PowerNetwork, lines: Iterable[NetworkLine]) -> set[str]:
    """The buses that the substations' busbars reach through `lines`."""
    neighbours: dict[str, list[str]] = {b.id: [] for b in net.buses}
    for line in lines:
        if line.from_bus in neighbours and line.to_bus in neighbours:
            neighbours[line.from_bus].append(line.to_bus)
            neighbours[line.to_bus].append(line.from_bus)
    reached = {b.id for b in net.buses if b.substation is not None}
    frontier = list(reached)
    while frontier:
        for other in neighbours[frontier.pop()]:
            if other not in reached:
                reached.add(other)
                frontier.append(other)
    return reached


def _unreachable_buses(net: PowerNetwork) -> Iterator[Problem]:
    """Buses that no substation's busbar reaches even with every switch closed."""
    reached = _reached(net, net.lines)
    for i, bus in enumerate(net.buses):
        if bus.id not in reached:
            yield Problem(
                ("power", "network", "buses", i),
                f"no source reaches bus '{bus.id}', even with every switch closed: "
                "connect it by a line to a bus that a substation feeds",
            )


def _loads_dead_in_normal_state(
    buildings: Sequence[Building], net: PowerNetwork
) -> Iterator[Problem]:
    """Buses with buildings that only a normally open switch joins to a source.

    Such a bus would be without supply from the start, until restoration closes a tie for
    good: the switches of the file would not be the park's normal state.
    """
    open_lines = {s.line for s in net.switches if not s.closed}
    normal = _reached(net, [line for line in net.lines if line.id not in open_lines])
    dead = _reached(net, net.lines) - normal
    loads: dict[str, list[str]] = {}
    for building in buildings:
        if building.power is not None and building.power.bus is not None:
            loads.setdefault(building.power.bus, []).append(building.id)
    ends = {line.id: (line.from_bus, line.to_bus) for line in net.lines}
    ties = [s.id for s in net.switches if not s.closed and set(ends.get(s.line, ())) & dead]
    for i, bus in enumerate(net.buses):
        if bus.id in loads and bus.id in dead:
            yield Problem(
                ("power", "network", "buses", i),
                f"bus '{bus.id}' (buildings {', '.join(loads[bus.id])}) has no supply in the "
                "normal state: every way to it from a substation passes a normally open switch "
                f"({', '.join(ties[:5])}); close one of them (`closed: true`)",
            )
