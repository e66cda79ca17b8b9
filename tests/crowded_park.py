"""A crowded park with long names, as another park's engineer would write it (issue 23's
"12 factories, 2 gates, a customs yard, two substations"): no short names, buildings close
together, so that the page and the 3D view have to move and shorten labels."""

from __future__ import annotations

from typing import Any

from twin.io.load import load_park
from twin.model.schema import Park

TENANTS = (
    "Công ty TNHH Cơ khí Chính xác Minh Phát",
    "Công ty Cổ phần Linh kiện Điện tử Đông Á",
    "Nhà máy Sản xuất Bao bì Carton Thái Sơn",
    "Công ty TNHH Dệt may Xuất khẩu Hưng Thịnh",
    "Nhà máy Chế biến Gỗ Nội thất An Khang",
    "Công ty Cổ phần Nhựa Kỹ thuật Việt Tiến",
    "Nhà máy Lắp ráp Xe máy Điện Sao Việt",
    "Công ty TNHH Thực phẩm Đông lạnh Biển Xanh",
    "Nhà máy Sản xuất Pin Lithium Năng lượng Mới",
    "Công ty TNHH Khuôn mẫu và Dập Kim loại Tân Á",
    "Nhà máy Dược phẩm và Thiết bị Y tế Hòa Bình",
    "Công ty Cổ phần Vật liệu Xây dựng Phú Cường",
)


def _box(x: float, y: float, w: float, h: float) -> list[list[float]]:
    return [[x, y], [x + w, y], [x + w, y + h], [x, y + h]]


def crowded_park_data() -> dict[str, Any]:
    """12 factories in a 4 x 3 block, a customs yard, two gates and two substations."""
    buildings: list[dict[str, Any]] = []
    for i, name in enumerate(TENANTS):
        row, col = divmod(i, 4)
        buildings.append(
            {
                "id": f"nm-{i + 1:02d}",
                "name": f"{name} – Xưởng số {i + 1}",
                "kind": "factory",
                "footprint": _box(col * 150.0, row * 110.0, 120.0, 80.0),
                "height_m": 12 + 2 * (i % 3),
                "shifts": [{"start": "07:00", "end": "17:00"}],
                "power": {"feeder": "fd-1" if col < 2 else "fd-2", "base_kw": 200, "shift_kw": 800},
            }
        )
    buildings.append(
        {
            "id": "bai-hai-quan",
            "name": "Bãi kiểm hóa và Kho ngoại quan Hải quan Khu công nghiệp",
            "kind": "warehouse",
            "footprint": _box(620.0, 0.0, 90.0, 300.0),
            "height_m": 8,
        }
    )
    return {
        "park": {"name": "KCN Phú Cường (kiểm thử nhãn)", "start": "2026-01-05T00:00"},
        "buildings": buildings,
        "power": {
            "substations": [
                {"id": "tba-bac", "name": "Trạm 110 kV Bắc", "capacity_mw": 20,
                 "position": [300, 340]},
                {"id": "tba-nam", "name": "Trạm 110 kV Nam", "capacity_mw": 20,
                 "position": [300, -40]},
            ],
            "feeders": [
                {"id": "fd-1", "substation": "tba-bac", "capacity_mw": 8},
                {"id": "fd-2", "substation": "tba-nam", "capacity_mw": 8},
            ],
        },
        "water": {
            "supply": {"capacity_m3h": 80, "position": [-40, 150]},
            "wastewater": {"capacity_m3h": 40, "buffer_m3": 300, "position": [740, 150]},
        },
        "logistics": {
            "gates": [
                {"id": "cong-tay", "name": "Cổng phía Tây Quốc lộ 3", "lanes": 2,
                 "service": {"dist": "exponential", "mean": 1.5}, "position": [-60, 40]},
                {"id": "cong-dong", "name": "Cổng phía Đông Cao tốc", "lanes": 2,
                 "service": {"dist": "exponential", "mean": 1.5}, "position": [760, 40]},
            ],
            "dock_groups": [
                {"id": "hq-docks", "building": "bai-hai-quan", "docks": 4,
                 "service": {"dist": "exponential", "mean": 30}},
            ],
            "flows": [
                {"id": "vao-hq", "gate": "cong-tay", "dock_group": "hq-docks", "rate_per_hour": 4},
            ],
        },
    }  # fmt: skip


def crowded_park() -> Park:
    """The crowded park, validated."""
    return load_park(crowded_park_data())
