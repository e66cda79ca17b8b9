"""The words of every report and terminal table, in each language parktwin writes (en, vi).

One table, :data:`TEXT`: a key, then its text in each language, with ``{fields}`` filled by
:func:`say`. A report never writes prose of its own: it asks for a key, so that one output is
in one language (``--lang vi|en``, else the park's ``park.language``, else English). The test
of this module checks that every key has every language and that a Vietnamese report has no
English words left in its prose.

KPI names for people (``docks.customs-bays.wait_mean_min`` as "Mean wait at Customs bays")
are keys too: ``kpi.<name>`` for park-wide KPIs and ``kpi.<family>.*.<metric>`` for the KPIs of
one asset, filled with the asset's name (:func:`twin.model.labels.kpi_label`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Literal, cast

from twin.errors import UsageError

Language = Literal["en", "vi"]
LANGUAGES: tuple[Language, ...] = ("en", "vi")
DEFAULT_LANGUAGE: Language = "en"

UNIT_TEXT: dict[str, dict[str, str]] = {
    "min": {"en": "min", "vi": "phút"},
    "trucks": {"en": "trucks", "vi": "xe"},
    "share": {"en": "share", "vi": "tỷ lệ"},
    "units": {"en": "units", "vi": "sản phẩm"},
    "m3": {"en": "m³", "vi": "m³"},
    "MWh": {"en": "MWh", "vi": "MWh"},
    "MW": {"en": "MW", "vi": "MW"},
    "%": {"en": "%", "vi": "%"},
    "pu": {"en": "pu", "vi": "pu"},
    "": {"en": "", "vi": ""},
}
"""Units as written in each language (``kpi.unit_of`` gives the key)."""

_KPIS: dict[str, tuple[str, str]] = {
    "kpi.trucks.arrived": ("Trucks arrived", "Số xe tải đến"),
    "kpi.trucks.completed": ("Trucks served", "Số xe tải đã phục vụ"),
    "kpi.trucks.in_park_end": (
        "Trucks in the park at the end",
        "Số xe tải còn trong khu lúc kết thúc",
    ),
    "kpi.trucks.wait_mean_min": ("Mean truck wait", "Thời gian chờ trung bình của xe tải"),
    "kpi.trucks.turnaround_mean_min": (
        "Mean truck turnaround",
        "Thời gian quay vòng trung bình của xe tải",
    ),
    "kpi.power.energy_mwh": ("Energy drawn", "Điện năng tiêu thụ"),
    "kpi.power.peak_mw": ("Peak power", "Công suất đỉnh"),
    "kpi.power.unserved_mwh": ("Unserved energy", "Điện năng không được cấp"),
    "kpi.power.losses_mwh": ("Network losses", "Tổn thất trên lưới"),
    "kpi.water.demand_m3": ("Water drawn", "Lượng nước cấp"),
    "kpi.water.shortfall_m3": ("Water shortfall", "Lượng nước thiếu"),
    "kpi.wastewater.overflow_m3": ("Wastewater overflow", "Nước thải tràn"),
    "kpi.gates.*.wait_mean_min": (
        "Mean wait at gate {name}",
        "Thời gian chờ trung bình tại cổng {name}",
    ),
    "kpi.docks.*.wait_mean_min": ("Mean wait at {name}", "Thời gian chờ trung bình tại bến {name}"),
    "kpi.docks.*.utilization": ("Dock use at {name}", "Mức sử dụng bến {name}"),
    "kpi.docks.*.queue_mean": ("Mean queue at {name}", "Hàng chờ trung bình tại bến {name}"),
    "kpi.power.*.peak_load_pct": ("Peak load of substation {name}", "Tải đỉnh của trạm {name}"),
    "kpi.power.lines.*.loading_max_pct": (
        "Peak loading of line {name}",
        "Mức mang tải đỉnh của đường dây {name}",
    ),
    "kpi.power.transformers.*.loading_max_pct": (
        "Peak loading of transformer {name}",
        "Mức mang tải đỉnh của máy biến áp {name}",
    ),
    "kpi.power.buses.*.v_min_pu": (
        "Lowest voltage at bus {name}",
        "Điện áp thấp nhất tại thanh cái {name}",
    ),
    "kpi.buildings.*.unserved_mwh": (
        "Unserved energy of {name}",
        "Điện năng không được cấp cho {name}",
    ),
    "kpi.production.*.units": ("Production of {name}", "Sản lượng của {name}"),
}

_WORDS: dict[str, tuple[str, str]] = {
    # shared
    "page.footer": ("Made by parktwin.", "Tạo bởi parktwin."),
    "word.baseline": ("baseline", "hiện trạng"),
    "word.kpi": ("KPI", "Chỉ số"),
    "word.unit": ("unit", "đơn vị"),
    "word.mean": ("mean", "trung bình"),
    "word.interval": ("95% interval", "khoảng tin cậy 95%"),
    "word.change": ("change", "thay đổi"),
    "word.scenario": ("scenario", "kịch bản"),
    "word.show": ("show", "hiện"),
    "word.in_every_replication": ("in every replication", "ở mọi lần lặp"),
    "word.pairs_of": ("{label} ({pairs} of {total} pairs)", "{label} ({pairs}/{total} cặp)"),
    "word.and": (" and ", " và "),
    # what -r auto and --warmup auto chose, warnings, incomplete results
    "choice.warning": ("warning: {text}", "cảnh báo: {text}"),
    "choice.warmup": (
        "warm-up {days} days ({hours} h), chosen by MSER-5 on the {series} of {pilots} pilot "
        "replications of {pilot_days} days",
        "khởi động {days} ngày ({hours} giờ), chọn bằng MSER-5 trên chuỗi {series} của {pilots} "
        "lần lặp thử, mỗi lần {pilot_days} ngày",
    ),
    "choice.replications_reached": (
        "-r auto: {n} replications reach ±{target}% (95% half-width / mean): {widths}",
        "-r auto: {n} lần lặp đạt ±{target}% (nửa độ rộng 95% / trung bình): {widths}",
    ),
    "choice.replications_capped": (
        "-r auto: precision ±{target}% NOT reached at the cap of {cap} replications: {widths}",
        "-r auto: KHÔNG đạt độ chính xác ±{target}% ở giới hạn {cap} lần lặp: {widths}",
    ),
    "choice.replications_unmeasured": (
        "-r auto: precision ±{target}% cannot be judged: no watched KPI has a value in {n} "
        "replications (a longer horizon, or a KPI that is measured): {widths}",
        "-r auto: không thể đánh giá độ chính xác ±{target}%: không KPI nào được theo dõi có "
        "giá trị trong {n} lần lặp (kéo dài thời gian mô phỏng, hoặc một KPI đo được): {widths}",
    ),
    "choice.incomplete": (
        "incomplete ({why}): replications {missing} are missing (null values)",
        "chưa đầy đủ ({why}): thiếu các lần lặp {missing} (giá trị null)",
    ),
    "choice.interrupted": ("interrupted", "bị ngắt"),
    "choice.failed": ("failed", "bị lỗi"),
    # intervals at few replications
    "note.few_replications": (
        "With {n} replications the intervals are wide: they reflect how little {n} runs can "
        "tell, not the park; run -r 5 or more for a decision.",
        "Với {n} lần lặp, các khoảng tin cậy rất rộng: đó là do {n} lần chạy cho biết quá ít, "
        "không phải do khu công nghiệp; hãy chạy -r 5 trở lên trước khi quyết định.",
    ),
    # run
    "run.intro": (
        "{n} replication(s), seed {seed}, {days} days after {warmup} warm-up day(s). Intervals "
        "are Student-t 95% intervals of the mean.",
        "{n} lần lặp, hạt giống {seed}, {days} ngày sau {warmup} ngày khởi động. Khoảng tin cậy "
        "là khoảng Student-t 95% của giá trị trung bình.",
    ),
    "run.kpis": ("KPIs", "Các chỉ số"),
    "run.power": ("Power (replication 0)", "Công suất (lần lặp 0)"),
    "run.queues": (
        "Dock queues (replication 0, busiest groups)",
        "Hàng chờ tại bến (lần lặp 0, các nhóm bận nhất)",
    ),
    "chart.day": ("day", "ngày"),
    "chart.demand": ("demand", "nhu cầu"),
    "chart.served": ("served", "được cấp"),
    "chart.trucks_waiting": ("trucks waiting", "xe đang chờ"),
    "chart.hour": ("hour of day", "giờ trong ngày"),
    # compare
    "compare.title": (
        "{park}: baseline against {scenarios}",
        "{park}: hiện trạng so với {scenarios}",
    ),
    "compare.intro": (
        "{n} paired replication(s) per case with common random numbers, seed {seed}, {days} days "
        "after {warmup} warm-up day(s). A change is significant when the 95% interval of the "
        "paired differences excludes 0.",
        "{n} cặp lần lặp cho mỗi trường hợp với cùng dãy số ngẫu nhiên, hạt giống {seed}, {days} "
        "ngày sau {warmup} ngày khởi động. Một thay đổi là có ý nghĩa thống kê khi khoảng tin cậy "
        "95% của các hiệu theo cặp không chứa 0.",
    ),
    "compare.summary": ("Summary", "Tóm tắt"),
    "compare.verdict": ("Verdict", "Kết luận"),
    "compare.changes": ("Changes", "Các thay đổi"),
    "compare.significance": (
        "Bold: significant. Change: mean of the paired differences [95% interval] (relative to "
        "the baseline mean).",
        "Chữ đậm: có ý nghĩa thống kê. Thay đổi: trung bình của các hiệu theo cặp [khoảng tin "
        "cậy 95%] (so với trung bình hiện trạng).",
    ),
    "compare.hidden": (
        "{n} more KPIs (each dock group, production) in comparison.csv.",
        "Thêm {n} chỉ số (từng nhóm bến, sản lượng) trong comparison.csv.",
    ),
    "compare.intervals": ("95% intervals, side by side", "Khoảng tin cậy 95%, cạnh nhau"),
    "compare.profiles": (
        "Hourly profiles (replication 0, averaged by hour of day)",
        "Biểu đồ theo giờ (lần lặp 0, trung bình theo giờ trong ngày)",
    ),
    "compare.profile_queues": ("Trucks waiting at docks, all groups", "Xe chờ tại bến, mọi nhóm"),
    "compare.profile_power": ("Power drawn (served), park", "Công suất được cấp, toàn khu"),
    "compare.every_kpi": ("Every KPI", "Mọi chỉ số"),
    "compare.no_verdict": (
        "{label}: no verdict: only {pairs} of {total} paired replications finished (missing: "
        "{missing})",
        "{label}: không kết luận được: chỉ {pairs}/{total} cặp lần lặp hoàn tất (thiếu: {missing})",
    ),
    "compare.one_replication": (
        "no interval with 1 replication; use -r 5 or more",
        "không có khoảng tin cậy với 1 lần lặp; hãy dùng -r 5 trở lên",
    ),
    "compare.no_change": (
        "no significant change in the park-wide KPIs",
        "không có thay đổi có ý nghĩa thống kê ở các chỉ số toàn khu",
    ),
    "compare.partial": (
        " (from {pairs} of {total} paired replications; missing: {missing})",
        " (từ {pairs}/{total} cặp lần lặp; thiếu: {missing})",
    ),
    "compare.most_affected_docks": (
        "most affected: {name} {change}",
        "bị ảnh hưởng nhiều nhất: {name} {change}",
    ),
    "console.compare_caption": (
        "{n} paired replication(s) with common random numbers, seed {seed}, {days} days after "
        "{warmup} warm-up day(s). Change = mean paired difference [95% interval] (% of "
        "baseline); bold = significant (interval excludes 0).",
        "{n} cặp lần lặp với cùng dãy số ngẫu nhiên, hạt giống {seed}, {days} ngày sau {warmup} "
        "ngày khởi động. Thay đổi = trung bình hiệu theo cặp [khoảng tin cậy 95%] (% so với "
        "hiện trạng); chữ đậm = có ý nghĩa thống kê (khoảng tin cậy không chứa 0).",
    ),
    "console.hidden": (
        "{n} more KPIs (dock groups, production): {options}",
        "Thêm {n} chỉ số (nhóm bến, sản lượng): {options}",
    ),
    # summary
    "summary.materiality": (
        "A change matters when it is significant and reaches its family's threshold: {rules}.",
        "Một thay đổi là đáng kể khi nó có ý nghĩa thống kê và đạt ngưỡng của nhóm chỉ số: "
        "{rules}.",
    ),
    "summary.rule": ("{family} {threshold}", "{family} {threshold}"),
    "summary.or": (" or ", " hoặc "),
    "summary.matters": (
        "{label}: {count} change(s) that matter.",
        "{label}: {count} thay đổi đáng kể.",
    ),
    "summary.partial": (
        " (from {pairs} of {total} paired replications)",
        " (từ {pairs}/{total} cặp lần lặp)",
    ),
    "summary.small": (
        "{label}: significant changes, but none that matters (below the thresholds).",
        "{label}: có thay đổi có ý nghĩa thống kê nhưng không đáng kể (dưới ngưỡng).",
    ),
    "summary.nothing": (
        "{label}: no significant change.",
        "{label}: không có thay đổi có ý nghĩa thống kê.",
    ),
    "summary.undecided": (
        "{label}: too few paired replications to judge.",
        "{label}: quá ít cặp lần lặp để đánh giá.",
    ),
    "summary.change": ("{what}: {change}", "{what}: {change}"),
    "summary.most_affected": (
        "Most affected: {what} {change}.",
        "Bị ảnh hưởng nhiều nhất: {what} {change}.",
    ),
    "summary.lost_production": (
        "Production: {change} in all{where}.",
        "Sản lượng: {change} tổng cộng{where}.",
    ),
    "summary.unserved": ("Unserved energy: {change}.", "Điện năng không được cấp: {change}."),
    "summary.no_cost": (
        "No significant loss of production or unserved energy.",
        "Không có tổn thất sản lượng hay điện năng không được cấp đáng kể.",
    ),
    "summary.where": (" ({items})", " ({items})"),
    "summary.new_assets": ("New in {label}: {items}.", "Mới trong {label}: {items}."),
    "summary.new_kpi": ("{what} {value}", "{what} {value}"),
    "family.wait": ("waits", "thời gian chờ"),
    "family.queue": ("queues", "hàng chờ"),
    "family.utilization": ("dock use", "mức sử dụng bến"),
    "family.trucks": ("truck counts", "số xe"),
    "family.energy": ("energy", "điện năng"),
    "family.power": ("power", "công suất"),
    "family.loading": ("loading", "mức mang tải"),
    "family.voltage": ("voltage", "điện áp"),
    "family.water": ("water", "nước"),
    "family.production": ("production", "sản lượng"),
    "family.other": ("other KPIs", "chỉ số khác"),
    # 3D views: panels and legend
    "viz.trucks_in_park": ("Trucks in park", "Xe tải trong khu"),
    "viz.gate_queue": ("Gate queue", "Hàng chờ tại cổng"),
    "viz.dock_queue": ("Dock queue", "Hàng chờ tại bến"),
    "viz.park_power": ("Park power", "Công suất toàn khu"),
    "viz.unserved": ("Unserved power", "Công suất không được cấp"),
    "viz.day": ("day {n}", "ngày {n}"),
    "viz.weekday.0": ("Mon", "Thứ Hai"),
    "viz.weekday.1": ("Tue", "Thứ Ba"),
    "viz.weekday.2": ("Wed", "Thứ Tư"),
    "viz.weekday.3": ("Thu", "Thứ Năm"),
    "viz.weekday.4": ("Fri", "Thứ Sáu"),
    "viz.weekday.5": ("Sat", "Thứ Bảy"),
    "viz.weekday.6": ("Sun", "Chủ nhật"),
    "viz.walls": ("Walls", "Tường"),
    "viz.kind.factory": ("factory", "nhà máy"),
    "viz.kind.warehouse": ("warehouse", "kho"),
    "viz.kind.office": ("office", "văn phòng"),
    "viz.kind.utility": ("utility", "hạ tầng"),
    "viz.kind.other": ("other", "khác"),
    "viz.roofs": ("Roofs: power load", "Mái: tải điện"),
    "viz.of_peak": ("{share} of own peak", "{share} đỉnh riêng"),
    "viz.no_power": ("no power", "mất điện"),
    "viz.feeders": ("Feeders: load", "Xuất tuyến: tải"),
    "viz.of_capacity": ("{share} of capacity", "{share} công suất"),
    "viz.no_supply": ("no supply", "mất nguồn"),
    "viz.lines": ("Lines: load/rating", "Đường dây: tải/định mức"),
    "viz.open_off": ("open / off", "hở / cắt"),
    "viz.trucks": ("Trucks", "Xe tải"),
    "viz.truck.driving": ("driving", "đang chạy"),
    "viz.truck.queued": ("queued", "đang chờ"),
    "viz.truck.served": ("at gate or dock", "tại cổng hoặc bến"),
    "viz.still": (
        "A still of one moment: drag to turn, scroll to zoom. The page does not animate; render "
        "an .mp4 or .gif for playback.",
        "Ảnh tĩnh của một thời điểm: kéo để xoay, cuộn để phóng to. Trang không chuyển động; "
        "hãy xuất .mp4 hoặc .gif để xem diễn biến.",
    ),
    "viz.wastewater_plant": ("Wastewater plant", "Trạm xử lý nước thải"),
    "viz.north": ("N", "B"),
    "viz.buildings_walls": ("Buildings (walls)", "Nhà (tường)"),
    "viz.of_own_peak": ("100% of own peak", "100% đỉnh riêng"),
    "viz.of_full_capacity": ("100% of capacity", "100% công suất"),
    "web.3d_waiting": (
        "Building the 3D scene of the park at {at}…",
        "Đang dựng cảnh 3D của khu công nghiệp lúc {at}…",
    ),
    "web.3d_failed": ("Could not build the 3D scene: {why}", "Không dựng được cảnh 3D: {why}"),
    # sweep
    "sweep.intro": (
        "{n} replication(s) per point with common random numbers, seed {seed}, {days} days after "
        "{warmup} warm-up day(s); mean [95% interval].",
        "{n} lần lặp cho mỗi điểm với cùng dãy số ngẫu nhiên, hạt giống {seed}, {days} ngày sau "
        "{warmup} ngày khởi động; trung bình [khoảng tin cậy 95%].",
    ),
    "sweep.incomplete": (
        " (incomplete: {done} of {total} replications)",
        " (chưa đủ: {done}/{total} lần lặp)",
    ),
    "sweep.charts": ("Charts", "Biểu đồ"),
    "sweep.table": ("Table", "Bảng"),
    "sweep.low": ("95% low", "cận dưới 95%"),
    "sweep.high": ("95% high", "cận trên 95%"),
    "sweep.target_met": (
        "Target {target}: the smallest setting that meets it is {point}: {what} {value}, one-sided "
        "95% bound {bound} (the mean meets the target with 95% confidence).",
        "Mục tiêu {target}: thiết lập nhỏ nhất đạt mục tiêu là {point}: {what} {value}, cận một "
        "phía 95% là {bound} (trung bình đạt mục tiêu với độ tin cậy 95%).",
    ),
    "sweep.target_unmet": (
        "Target {target}: no setting meets it with 95% confidence (one-sided 95% bound).",
        "Mục tiêu {target}: không thiết lập nào đạt mục tiêu với độ tin cậy 95% (cận một phía "
        "95%).",
    ),
    "sweep.target_unjudged": (
        "Target {target}: not judged: a one-sided 95% bound needs at least 2 replications of a "
        "setting, and no setting has them.",
        "Mục tiêu {target}: chưa đánh giá được: cận một phía 95% cần ít nhất 2 lần lặp của một "
        "thiết lập, và không thiết lập nào có đủ.",
    ),
    "sweep.target_column": ("meets {target}", "đạt {target}"),
    "sweep.yes": ("yes (bound {bound})", "có (cận {bound})"),
    "sweep.no": ("no (bound {bound})", "không (cận {bound})"),
    "sweep.range": (
        "{what}: from {low} to {high} over the grid.",
        "{what}: từ {low} đến {high} trên lưới.",
    ),
    # optimize
    "optimize.title": ("{name}: optimize", "{name}: tối ưu hóa"),
    "optimize.none_feasible": (
        "No candidate meets the constraints. The closest: {values}.",
        "Không phương án nào thỏa các ràng buộc. Gần nhất: {values}.",
    ),
    "optimize.undecided": (
        "Not decided; the best mean so far: {values}.",
        "Chưa quyết định được; trung bình tốt nhất đến nay: {values}.",
    ),
    "optimize.best": ("Best: {values}.", "Tốt nhất: {values}."),
    "optimize.objective": (
        "{what}: {mean} [95% interval {low}, {high}].",
        "{what}: {mean} [khoảng tin cậy 95% {low}, {high}].",
    ),
    "optimize.replications": (
        "{n} replications in all ({streams}).",
        "Tổng cộng {n} lần lặp ({streams}).",
    ),
    "optimize.crn": ("common random numbers", "cùng dãy số ngẫu nhiên"),
    "optimize.independent": ("independent streams", "dãy số ngẫu nhiên độc lập"),
    "optimize.guarantee": (
        "With probability at least {confidence} the chosen candidate is the best or within "
        "{indifference} of it ({procedure}).",
        "Với xác suất ít nhất {confidence}, phương án được chọn là tốt nhất hoặc kém không quá "
        "{indifference} so với phương án tốt nhất ({procedure}).",
    ),
    "optimize.why_interrupted": ("interrupted", "bị ngắt"),
    "optimize.why_capped": ("stopped at {n} replications", "dừng ở {n} lần lặp"),
    "optimize.no_guarantee": (
        "No guarantee: the procedure was {why} before every decision was made; the candidates "
        "left are ranked by their means only.",
        "Không có bảo đảm: quy trình đã {why} trước khi mọi quyết định được đưa ra; các phương "
        "án còn lại chỉ được xếp theo giá trị trung bình.",
    ),
    "optimize.guarantee_head": (
        "With probability at least {p}, if the replications' outputs are normally distributed, "
        "the selected candidate's objective is within {d} of the best candidate declared "
        "feasible",
        "Với xác suất ít nhất {p}, nếu kết quả các lần lặp có phân phối chuẩn, mục tiêu của "
        "phương án được chọn cách phương án khả thi tốt nhất không quá {d}",
    ),
    "optimize.guarantee_constraints": (
        ", every candidate whose constraint means lie at least the tolerance inside their limits "
        "is declared feasible, and every one at least the tolerance outside is declared "
        "infeasible",
        ", mọi phương án có trung bình ràng buộc nằm trong giới hạn ít nhất một dung sai được "
        "công nhận là khả thi, và mọi phương án nằm ngoài ít nhất một dung sai bị loại là "
        "không khả thi",
    ),
    "optimize.guarantee_tail": (
        ". Means closer to a limit than its tolerance may be declared either way.",
        ". Các trung bình gần giới hạn hơn dung sai có thể được kết luận theo cả hai chiều.",
    ),
    "optimize.normality_low": (
        " Normality check: {low} of {n} first-stage paired differences depart from normality "
        "(Shapiro-Wilk p < 0.01), so the stated probability is approximate.",
        " Kiểm tra phân phối chuẩn: {low}/{n} hiệu theo cặp ở giai đoạn đầu lệch khỏi phân phối "
        "chuẩn (Shapiro-Wilk p < 0.01), nên xác suất nêu trên chỉ là gần đúng.",
    ),
    "optimize.normality_ok": (
        " Normality check: no first-stage paired difference departs from normality "
        "(Shapiro-Wilk, smallest p {p}).",
        " Kiểm tra phân phối chuẩn: không hiệu theo cặp nào ở giai đoạn đầu lệch khỏi phân "
        "phối chuẩn (Shapiro-Wilk, p nhỏ nhất {p}).",
    ),
    "optimize.procedure_text": (
        "fully sequential selection with feasibility checks (Andradóttir and Kim 2010, Naval "
        "Research Logistics 57(5):403-421), comparison by procedure KN (Kim and Nelson 2001, "
        "ACM TOMACS 11(3):251-273), on paired differences under common random numbers",
        "lựa chọn tuần tự hoàn toàn có kiểm tra tính khả thi (Andradóttir và Kim 2010, Naval "
        "Research Logistics 57(5):403-421), so sánh theo quy trình KN (Kim và Nelson 2001, "
        "ACM TOMACS 11(3):251-273), trên các hiệu theo cặp với cùng dãy số ngẫu nhiên",
    ),
    "optimize.status.best": ("best", "tốt nhất"),
    "optimize.status.infeasible": ("infeasible", "không khả thi"),
    "optimize.status.eliminated": ("eliminated", "bị loại"),
    "optimize.status.not decided": ("not decided", "chưa quyết định"),
    "optimize.reason.selected": ("selected", "được chọn"),
    "optimize.reason.feasible": ("feasible", "khả thi"),
    "optimize.reason.best_mean": (
        "best mean among those left",
        "trung bình tốt nhất trong số còn lại",
    ),
    "optimize.reason.open": (
        "still in contention when the procedure stopped",
        "vẫn còn cạnh tranh khi quy trình dừng",
    ),
    "optimize.reason.infeasible": (
        "infeasible: constraint {which}",
        "không khả thi: ràng buộc {which}",
    ),
    "optimize.reason.eliminated": (
        "eliminated by candidate {which}",
        "bị loại bởi phương án {which}",
    ),
    "pareto.procedure": (
        "Pareto set of sample means over common random numbers; dominance checked with paired "
        "Student-t 95% intervals; no probability-of-correct-selection guarantee",
        "tập Pareto của các trung bình mẫu với cùng dãy số ngẫu nhiên; quan hệ trội được kiểm "
        "tra bằng khoảng tin cậy Student-t 95% theo cặp; không có bảo đảm chọn đúng",
    ),
    "pareto.guarantee": (
        "No single best and no selection guarantee: the Pareto set of the candidates' means, each "
        "with its Student-t 95% interval; a dominated candidate says whether paired intervals "
        "confirm the dominance.",
        "Không có một phương án tốt nhất và không có bảo đảm lựa chọn: tập Pareto của các trung "
        "bình, mỗi trung bình kèm khoảng tin cậy Student-t 95%; một phương án bị trội cho biết "
        "khoảng tin cậy theo cặp có xác nhận quan hệ trội hay không.",
    ),
    "pareto.front": (
        "{front} of {total} candidates are on the Pareto front of {goals}.",
        "{front}/{total} phương án thuộc biên Pareto của {goals}.",
    ),
    "pareto.title": ("{name}: Pareto set", "{name}: tập Pareto"),
    "optimize.status.pareto": ("on the Pareto front", "thuộc biên Pareto"),
    "optimize.status.dominated": ("dominated", "bị trội"),
    "optimize.reason.constraint": ("constraint {which}", "ràng buộc {which}"),
    "optimize.reason.front": (
        "no candidate is better on every objective",
        "không phương án nào tốt hơn ở mọi mục tiêu",
    ),
    "optimize.reason.clearly": (
        "by candidate {which} (clearly)",
        "bởi phương án {which} (rõ ràng)",
    ),
    "optimize.reason.by_means": (
        "by candidate {which} (by means only)",
        "bởi phương án {which} (chỉ theo trung bình)",
    ),
    "optimize.candidates": ("Candidates", "Các phương án"),
    "optimize.decisions": ("Decisions, in order", "Các quyết định, theo thứ tự"),
    "optimize.procedure": ("Procedure", "Quy trình"),
    "optimize.objective_column": ("objective [95%]", "mục tiêu [95%]"),
    "optimize.replications_column": ("replications", "lần lặp"),
    "optimize.status_column": ("status", "trạng thái"),
    "optimize.reason_column": ("reason", "lý do"),
    "optimize.meets": ("meets", "đạt"),
    "optimize.fails": ("fails", "không đạt"),
    "optimize.open": ("undecided", "chưa rõ"),
    "optimize.decision": (
        "after {n} replications: candidate {candidate} {what}",
        "sau {n} lần lặp: phương án {candidate} {what}",
    ),
    # n1
    "n1.title": ("N-1 of {park} at {at}", "Phân tích N-1 của {park} lúc {at}"),
    "n1.day": ("day {day} {time}", "ngày {day} {time}"),
    "n1.intro": (
        "{n} single outage(s), each lasting {hours} h from the moment; {insecure} not secure "
        "(load left unserved after restoration, a rating exceeded or a bus below {limit} pu). "
        "Worst first.",
        "{n} sự cố đơn lẻ, mỗi sự cố kéo dài {hours} giờ từ thời điểm này; {insecure} sự cố "
        "không an toàn (phụ tải vẫn mất điện sau khi khôi phục, vượt định mức hoặc một thanh "
        "cái dưới {limit} pu). Nặng nhất trước.",
    ),
    "n1.col.outage": ("outage", "sự cố"),
    "n1.col.kind": ("kind", "loại"),
    "n1.col.secure": ("secure", "an toàn"),
    "n1.col.unserved_mw": ("unserved MW", "MW không được cấp"),
    "n1.col.unserved_mwh": ("unserved MWh", "MWh không được cấp"),
    "n1.col.max_loading_pct": ("max loading %", "mang tải lớn nhất %"),
    "n1.col.min_v_pu": ("min V pu", "điện áp nhỏ nhất pu"),
    "n1.col.trucks_delayed": ("trucks delayed", "xe bị chậm"),
    "n1.col.restored_by": ("restored by", "khôi phục qua"),
    "n1.col.buildings_unserved": ("buildings unserved", "tòa nhà mất điện"),
    "n1.kind.line": ("line", "đường dây"),
    "n1.kind.transformer": ("transformer", "máy biến áp"),
    "n1.kind.substation": ("substation", "trạm biến áp"),
    "n1.yes": ("yes", "có"),
    "n1.no": ("NO", "KHÔNG"),
    "n1.sources": ("Sources: {items}.", "Nguồn: {items}."),
    "n1.source": ("{id} ({label}) holds {v} pu on its {on}", "{id} ({label}) giữ {v} pu ở {on}"),
    "n1.held_on_busbar": ("busbar", "thanh cái"),
    "n1.held_on_side": ("{kv} kV side", "phía {kv} kV"),
    "n1.source_busbar": (
        ", its busbar {v} pu at the moment (below by the transformers' drop)",
        ", thanh cái của nó {v} pu tại thời điểm này (thấp hơn do sụt áp qua máy biến áp)",
    ),
    "n1.no_plan": ("(no bus positions: no plan)", "(không có vị trí thanh cái: không vẽ sơ đồ)"),
    "n1.legend": (
        "worst loading after restoration in any single outage: green up to 60%, amber 90%, "
        "orange 100%, red above",
        "mức mang tải cao nhất sau khôi phục trong mọi sự cố đơn lẻ: xanh đến 60%, vàng 90%, "
        "cam 100%, đỏ trên mức đó",
    ),
    "n1.no_supply": ("no supply", "mất nguồn"),
    "n1.v_at_moment": ("{v} pu at the moment", "{v} pu tại thời điểm này"),
    "n1.console_head": (
        "N-1 at {at} ({n} outages, worst first)",
        "N-1 lúc {at} ({n} sự cố, nặng nhất trước)",
    ),
    "n1.console_row": (
        "unserved {mw} MW / {mwh} MWh, max loading {loading}%, min {v} pu, trucks delayed {trucks}",
        "không được cấp {mw} MW / {mwh} MWh, mang tải lớn nhất {loading}%, điện áp nhỏ nhất "
        "{v} pu, xe bị chậm {trucks}",
    ),
    "n1.secure_word": ("secure", "an toàn"),
    "n1.insecure_word": ("NOT SECURE", "KHÔNG AN TOÀN"),
    # headroom
    "headroom.title": (
        "Headroom of {park}'s network at {at}",
        "Khả năng nhận thêm tải của lưới {park} lúc {at}",
    ),
    "headroom.intro": (
        "The largest new load (power factor {pf}) each of the {n} buses takes at this moment, "
        "on top of the park's {mw} MW, in normal operation: every line and transformer within "
        "its rating, every substation within its capacity, every bus at {limit} pu or above. "
        "Most room first; 'binds' is what breaks just above it.",
        "Phụ tải mới lớn nhất (hệ số công suất {pf}) mà mỗi thanh cái trong {n} thanh cái nhận "
        "được tại thời điểm này, thêm vào {mw} MW của khu công nghiệp, ở chế độ vận hành bình "
        "thường: mọi đường dây và máy biến áp trong định mức, mọi trạm trong công suất, mọi "
        "thanh cái từ {limit} pu trở lên. Nhiều nhất trước; 'giới hạn' là phần tử vượt ngưỡng "
        "ngay trên mức đó.",
    ),
    "headroom.intro_broken": (
        "The park's own {mw} MW already break a limit at this moment (below): no bus of the "
        "{n} can take a new load (power factor {pf}; limits: ratings, capacities, {limit} pu).",
        "Chính {mw} MW của khu công nghiệp đã vượt một giới hạn tại thời điểm này (bên dưới): "
        "không thanh cái nào trong {n} thanh cái nhận thêm được phụ tải (hệ số công suất {pf}; "
        "giới hạn: định mức, công suất, {limit} pu).",
    ),
    "headroom.intro_n1": (
        "With N-1: the largest new load that keeps each of the {n} single outages the park "
        "withstands now secure after restoration (outages it does not withstand now: "
        "{insecure}); a bus that an outage leaves without supply has none.",
        "Với N-1: phụ tải mới lớn nhất mà vẫn giữ an toàn sau khôi phục cho mỗi sự cố trong "
        "{n} sự cố đơn lẻ khu công nghiệp đang chịu được (sự cố hiện không chịu được: "
        "{insecure}); thanh cái bị mất nguồn khi có sự cố thì không nhận thêm được.",
    ),
    "headroom.col.n1_mw": ("N-1 headroom MW", "nhận thêm N-1 MW"),
    "headroom.col.n1_outage": ("worst outage", "sự cố nặng nhất"),
    "headroom.col.n1_binding": ("N-1 binds", "giới hạn N-1"),
    "headroom.kind.supply": ("no supply at", "mất nguồn tại"),
    "headroom.col.bus": ("bus", "thanh cái"),
    "headroom.col.label": ("on it", "phụ tải/trạm"),
    "headroom.col.mw": ("headroom MW", "nhận thêm MW"),
    "headroom.col.binding": ("binds", "giới hạn"),
    "headroom.at_least": ("at least {mw}", "ít nhất {mw}"),
    "headroom.no_convergence": ("no load-flow solution", "không hội tụ trào lưu công suất"),
    "headroom.kind.line": ("line", "đường dây"),
    "headroom.kind.transformer": ("transformer", "máy biến áp"),
    "headroom.kind.substation": ("substation", "trạm biến áp"),
    "headroom.kind.bus": ("bus", "thanh cái"),
    "headroom.console_head": (
        "Headroom at {at}, in normal operation (power factor {pf}), most room first",
        "Khả năng nhận thêm tải lúc {at}, vận hành bình thường (hệ số công suất {pf}), "
        "nhiều nhất trước",
    ),
    # state and nowcast on the terminal
    "state.head": ("{time}: {n} trucks in the park", "{time}: {n} xe trong khu"),
    "state.gate_queue": ("gate queue", "hàng chờ tại cổng"),
    "state.at_gate": ("at gate", "tại cổng"),
    "state.dock_queue": ("dock queue", "hàng chờ tại bến"),
    "state.in_service": ("in service", "đang phục vụ"),
    "state.none": ("none", "không có"),
    "state.road": (
        "  on the road: {road}, leaving: {leaving}",
        "  trên đường: {road}, đang rời: {leaving}",
    ),
    "state.unknown": ("unknown", "chưa rõ"),
    "state.outage": (
        "  outage: {asset} since {since}, expected end {end}",
        "  sự cố: {asset} từ {since}, dự kiến kết thúc {end}",
    ),
    "state.meters": ("  meters: {n} with a reading", "  công tơ: {n} có số đo"),
    "state.messages": (
        "  messages: {stored} stored, {rejected} rejected, {duplicates} duplicates",
        "  tin nhắn: {stored} đã lưu, {rejected} bị từ chối, {duplicates} trùng lặp",
    ),
    "nowcast.head": (
        "nowcast from {origin}, {hours} h ahead, {n} replications ({trucks} trucks in the park "
        "now)",
        "dự báo tức thời từ {origin}, trước {hours} giờ, {n} lần lặp (hiện có {trucks} xe trong "
        "khu)",
    ),
    "nowcast.line": (
        "  {what} at {time}: {mean} (90%: {low} to {high})",
        "  {what} lúc {time}: {mean} (90%: {low} đến {high})",
    ),
    "nowcast.alert": (
        "  ALERT {what} above {threshold} from {time} (probability {p}, up to {peak})",
        "  CẢNH BÁO {what} vượt {threshold} từ {time} (xác suất {p}, tối đa {peak})",
    ),
    "nowcast.trucks_in_park": ("trucks in the park", "số xe trong khu"),
    "nowcast.dock_queue": ("dock queue at {name}", "hàng chờ tại bến {name}"),
    # backtest
    "backtest.title": ("Back-test of {park}", "Kiểm tra ngược của {park}"),
    "backtest.intro": (
        "{n} origins every {every} min from {first} to {last}; horizon {hours} h; {replications} "
        "replications; source {source}.",
        "{n} thời điểm gốc, cách nhau {every} phút, từ {first} đến {last}; tầm dự báo {hours} "
        "giờ; {replications} lần lặp; nguồn {source}.",
    ),
    "backtest.left_out": (
        "Flows with no truck in the history, left out: {flows}.",
        "Các luồng không có xe nào trong lịch sử, bị bỏ qua: {flows}.",
    ),
    "backtest.metric.docks.queue": (
        "dock queue (trucks, every dock group)",
        "hàng chờ tại bến (xe, mọi nhóm bến)",
    ),
    "backtest.metric.trucks.in_park": ("trucks in the park", "số xe trong khu"),
    "backtest.metric.trucks.gate_to_dock_min": (
        "gate-to-dock time (min)",
        "thời gian từ cổng đến bến (phút)",
    ),
    "backtest.metric.meters.power_kw": (
        "power (kW, every metered building)",
        "công suất (kW, mọi tòa nhà có công tơ)",
    ),
    "backtest.metric.meters.water_m3h": (
        "water (m³/h, every metered building)",
        "nước (m³/h, mọi tòa nhà có đồng hồ)",
    ),
    "backtest.nothing_to_score": (
        "{what}: no outcome to score",
        "{what}: không có kết quả để chấm",
    ),
    "backtest.metric_line": (
        "{what}: MAE {mae} vs persistence {persistence}, cold start {cold} ({beats}); 90% band "
        "holds {coverage}% ({band}); bias {bias} (cold start {bias_cold}); n = {n}",
        "{what}: MAE {mae} so với giữ nguyên {persistence}, khởi động nguội {cold} ({beats}); "
        "dải 90% chứa {coverage}% ({band}); độ lệch {bias} (khởi động nguội {bias_cold}); "
        "n = {n}",
    ),
    "backtest.beats": ("beats both", "tốt hơn cả hai"),
    "backtest.not_beats": ("does not beat both", "không tốt hơn cả hai"),
    "backtest.calibrated": ("calibrated", "hiệu chuẩn tốt"),
    "backtest.miscalibrated": ("miscalibrated", "hiệu chuẩn lệch"),
    "backtest.verdict": (
        "verdict: at {hours} h the nowcast beats persistence and the cold start on {wins} of "
        "{total} metrics over {origins} origins",
        "kết luận: ở {hours} giờ, dự báo tức thời tốt hơn cách giữ nguyên và khởi động nguội ở "
        "{wins}/{total} đại lượng qua {origins} thời điểm gốc",
    ),
    "backtest.following": ("Following", "Bám theo dữ liệu"),
    "backtest.following_off": (
        "following off: every origin's nowcast ran on the park's own rates and levels",
        "tắt bám theo: dự báo ở mọi thời điểm gốc dùng tần suất và mức của chính mô hình khu",
    ),
    "backtest.following_none": (
        "following on: no change found in arrival rates or meter levels",
        "bật bám theo: không thấy thay đổi nào về tần suất xe đến hay mức đo",
    ),
    "backtest.change": (
        "{name}: changed {size}% from {time} (first seen at the origin {first_seen})",
        "{name}: thay đổi {size}% từ {time} (thấy lần đầu ở thời điểm gốc {first_seen})",
    ),
    "backtest.col.metric": ("metric", "đại lượng"),
    "backtest.col.n": ("n", "n"),
    "backtest.col.mae": ("MAE nowcast", "MAE dự báo"),
    "backtest.col.mae_persistence": ("MAE persistence", "MAE giữ nguyên"),
    "backtest.col.mae_cold": ("MAE cold start", "MAE khởi động nguội"),
    "backtest.col.coverage": ("90% band coverage", "độ phủ dải 90%"),
    "backtest.col.coverage_cold": ("cold band coverage", "độ phủ dải khởi động nguội"),
    "backtest.col.bias": ("bias nowcast / cold", "độ lệch dự báo / nguội"),
    "backtest.col.rmse": (
        "RMSE nowcast / persistence / cold",
        "RMSE dự báo / giữ nguyên / nguội",
    ),
    "backtest.line.truth": ("happened", "thực tế"),
    "backtest.line.nowcast": ("nowcast", "dự báo"),
    "backtest.line.p05": ("p05", "p05"),
    "backtest.line.p95": ("p95", "p95"),
    "backtest.line.persistence": ("persistence", "giữ nguyên"),
    "backtest.line.cold": ("cold start", "khởi động nguội"),
    "backtest.axis": ("origin, hours after {first}", "thời điểm gốc, số giờ sau {first}"),
    "backtest.ahead": ("{what} {hours} h ahead", "{what} trước {hours} giờ"),
    # calibrate
    "calibration.title": ("Calibration of {park}", "Hiệu chỉnh mô hình {park}"),
    "calibration.intro": (
        "Sensor data from {folder}, covering {period}. Parameters were fitted on {training}",
        "Dữ liệu cảm biến từ {folder}, trong khoảng {period}. Các tham số được khớp trên "
        "{training}",
    ),
    "calibration.intro_held_out": (" and checked against {held}", " và kiểm tra trên {held}"),
    "calibration.intro_validation": (
        " by simulating the fitted park {n} times (seed {seed})",
        " bằng cách mô phỏng khu đã hiệu chỉnh {n} lần (hạt giống {seed})",
    ),
    "calibration.verdicts": (
        "Verdicts: good (the twin matches the held-out data within noise), fair (close, with "
        "visible differences), poor (the twin misses what was measured).",
        "Đánh giá: tốt (bản sao số khớp dữ liệu kiểm tra trong phạm vi nhiễu), khá (gần đúng, "
        "có khác biệt thấy được), kém (bản sao số không khớp với số đo).",
    ),
    "calibration.verdict.good": ("good", "tốt"),
    "calibration.verdict.fair": ("fair", "khá"),
    "calibration.verdict.poor": ("poor", "kém"),
    "calibration.col.asset": ("asset", "tài sản"),
    "calibration.col.what": ("what", "đại lượng"),
    "calibration.col.fitted": (
        "file → fitted (base + shift; trucks/day; service, docks)",
        "tệp → đã khớp (nền + ca; xe/ngày; phục vụ, số bến)",
    ),
    "calibration.col.fit": ("fit (training)", "độ khớp (huấn luyện)"),
    "calibration.col.validation": ("validation (held out)", "kiểm định (dữ liệu giữ lại)"),
    "calibration.col.verdict": ("verdict", "đánh giá"),
    "calibration.what.arrivals": ("arrivals", "xe đến"),
    "calibration.what.docks": ("dock service, docks", "thời gian phục vụ, số bến"),
    "calibration.what.gate": ("gate service", "phục vụ tại cổng"),
    "calibration.what.shifts": ("shifts", "ca làm việc"),
    "calibration.what.power": ("power_kw", "công suất (kW)"),
    "calibration.what.water": ("water_m3h", "nước (m³/h)"),
    "calibration.what.wastewater": ("wastewater_ratio", "tỷ lệ nước thải"),
    "calibration.what.feeder": ("feeder power_kw", "công suất xuất tuyến (kW)"),
    "calibration.what.substation": ("substation power_kw", "công suất trạm (kW)"),
    "calibration.what.speed": ("speed_kmh", "tốc độ (km/h)"),
    "calibration.roads": ("roads", "đường nội bộ"),
    "calibration.not_validated": (
        "The fitted park was not validated (no held-out span).",
        "Khu đã hiệu chỉnh chưa được kiểm định (không có khoảng dữ liệu giữ lại).",
    ),
    "calibration.changed": (
        "Changed since the fit: {items}.",
        "Đã thay đổi sau khi khớp: {items}.",
    ),
    "calibration.fits_well": ("Fits well: {items}.", "Khớp tốt: {items}."),
    "calibration.fits_roughly": ("Fits roughly: {items}.", "Khớp tương đối: {items}."),
    "calibration.fits_not": ("Does not fit: {items}.", "Không khớp: {items}."),
    "calibration.refused": (
        "REFUSED {place}: {why}; the park file's value was kept.",
        "TỪ CHỐI {place}: {why}; giữ nguyên giá trị trong tệp khu.",
    ),
    "calibration.starred": (
        "Rows marked * have notes on what the park format cannot represent.",
        "Các dòng đánh dấu * có ghi chú về điều định dạng tệp khu không biểu diễn được.",
    ),
    "calibration.charts": (
        "Charts of observed against simulated series are in report.html.",
        "Biểu đồ số đo so với mô phỏng có trong report.html.",
    ),
    "calibration.section.summary": ("Summary", "Tóm tắt"),
    "calibration.section.data": ("Data read", "Dữ liệu đã đọc"),
    "calibration.section.arrivals": ("Arrivals", "Xe đến"),
    "calibration.section.services": ("Service times", "Thời gian phục vụ"),
    "calibration.section.meters": ("Meters", "Công tơ và đồng hồ"),
    "calibration.section.gates_docks": (
        "Gates and docks (from the log)",
        "Cổng và bến (từ nhật ký)",
    ),
    "calibration.section.searches": (
        "Road speed and docks (searches)",
        "Tốc độ đường và số bến (tìm kiếm)",
    ),
    "calibration.section.changes": ("Changes", "Các thay đổi"),
    "calibration.section.uncertainty": (
        "Uncertainty and identifiability",
        "Độ bất định và khả năng nhận dạng",
    ),
    "calibration.section.validation": (
        "Validation on the held-out span",
        "Kiểm định trên khoảng dữ liệu giữ lại",
    ),
    "calibration.section.notes": ("Notes", "Ghi chú"),
    "calibration.console_title": ("{park}: calibration", "{park}: hiệu chỉnh"),
    "calibration.console_caption": (
        "base + shift levels; arrivals per day; service distribution and docks. Validation on "
        "the held-out span; * see the notes in the report.",
        "mức nền + ca; số xe đến mỗi ngày; phân phối thời gian phục vụ và số bến. Kiểm định "
        "trên khoảng dữ liệu giữ lại; * xem ghi chú trong báo cáo.",
    ),
    "calibration.console_col.asset": ("asset", "tài sản"),
    "calibration.console_col.what": ("what", "đại lượng"),
    "calibration.console_col.fitted": ("file → fitted", "tệp → đã khớp"),
    "calibration.console_col.fit": ("fit", "độ khớp"),
    "calibration.console_col.validation": ("validation", "kiểm định"),
    "calibration.console_col.verdict": ("verdict", "đánh giá"),
    # why a validation check of a calibration has its verdict (twin.calibration.validation)
    "calibration.reason.meter": ("hourly MAPE {mape}%, {band}", "MAPE theo giờ {mape}%, {band}"),
    "calibration.reason.band": (
        "{inside}/{days} days inside the 95% band",
        "{inside}/{days} ngày nằm trong dải 95%",
    ),
    "calibration.reason.no_day_to_compare": (
        "no full day to compare",
        "không có ngày trọn vẹn để so",
    ),
    "calibration.reason.no_day": ("no full day", "không có ngày trọn vẹn"),
    "calibration.reason.nothing": ("nothing to compare", "không có gì để so"),
    "calibration.reason.no_arrivals": ("no arrivals to compare", "không có lượt xe đến để so"),
    "calibration.reason.arrivals": (
        "hourly MAPE {mape}% (Poisson noise alone gives {floor}%), hourly counts against the "
        "fitted rates χ² p = {p}{adjusted}, {band}",
        "MAPE theo giờ {mape}% (riêng nhiễu Poisson đã cho {floor}%), số xe theo giờ so với "
        "cường độ đã khớp: χ² p = {p}{adjusted}, {band}",
    ),
    "calibration.reason.few_trucks": (
        "only {n} trucks finished in the held-out span: too few to judge",
        "chỉ {n} xe xong trong khoảng dữ liệu giữ lại: quá ít để đánh giá",
    ),
    "calibration.reason.few_replications": (
        "{n} replication(s): too few for the model's own spread (at least {least}); gate to "
        "dock KS D {to_dock}, turnaround {turnaround}",
        "{n} lần lặp: quá ít để có độ phân tán của chính mô hình (cần ít nhất {least}); từ cổng "
        "đến bến KS D {to_dock}, quay vòng {turnaround}",
    ),
    "calibration.reason.queues": (
        "gate to dock: {to_dock}; turnaround: {turnaround}; together p {p} (Holm, over the dock "
        "groups)",
        "từ cổng đến bến: {to_dock}; quay vòng: {turnaround}; gộp lại p {p} (Holm, trên các "
        "nhóm bến)",
    ),
    "calibration.reason.no_trucks": ("no trucks to compare", "không có xe để so"),
    "calibration.reason.distance": (
        "mean {mean} min (model's paths {low}-{high}), KS D {d} (model's {d_low}-{d_high}), p {p}",
        "trung bình {mean} phút (các diễn biến của mô hình {low}-{high}), KS D {d} (của mô "
        "hình {d_low}-{d_high}), p {p}",
    ),
    "calibration.short.series": (
        "MAPE {mape}%, {inside}/{days} days in band",
        "MAPE {mape}%, {inside}/{days} ngày trong dải",
    ),
    "calibration.short.arrivals": (
        "χ² p {p}, {inside}/{days} days in band",
        "χ² p {p}, {inside}/{days} ngày trong dải",
    ),
    "calibration.short.few_trucks": ("too few trucks", "quá ít xe"),
    "calibration.short.no_spread": (
        "no spread to judge by: -r {least} or more",
        "chưa có độ phân tán để đánh giá: cần -r {least} trở lên",
    ),
    "calibration.short.queues": (
        "KS D {to_dock} to dock, {turnaround} turnaround ({judged})",
        "KS D {to_dock} đến bến, {turnaround} quay vòng ({judged})",
    ),
    "calibration.reason.holm": (
        " ({p} after Holm's correction over {family} checks)",
        " ({p} sau hiệu chỉnh Holm trên {family} phép kiểm)",
    ),
    # cells of the calibration summary
    "calibration.cell.not_fitted": ("(not fitted)", "(không khớp)"),
    "calibration.cell.in_turnaround_check": (
        "(in the turnaround check)",
        "(trong phép kiểm thời gian quay vòng)",
    ),
    "calibration.cell.in_gate_checks": (
        "(in the gate-to-dock checks)",
        "(trong phép kiểm từ cổng đến bến)",
    ),
    "calibration.cell.speeds": ("all speeds ÷ {factor}", "mọi tốc độ ÷ {factor}"),
    "calibration.cell.drives": ("{n} drives", "{n} lượt chạy"),
    "calibration.cell.shape": (
        "{before} → {shape} shape, level {level}",
        "{before} → dạng tải {shape}, mức {level}",
    ),
    "calibration.cell.sum_only": (" (sum only)", " (chỉ tổng)"),
    "calibration.cell.per_day": (
        "{before} → {after} /day, {model}",
        "{before} → {after} /ngày, {model}",
    ),
    "calibration.cell.not_poisson": (
        "not Poisson (index {index})",
        "không theo Poisson (chỉ số {index})",
    ),
    "calibration.cell.docks": ("docks {before} → {after}", "số bến {before} → {after}"),
    "calibration.cell.from_gate_out": ("from gate_out", "từ gate_out"),
    "calibration.cell.deconvolved": ("deconvolved", "giải chập"),
    "calibration.cell.kept_before": ("{before} (kept)", "{before} (giữ nguyên)"),
    "calibration.cell.ks_trucks": ("{ks}, {n} trucks", "{ks}, {n} xe"),
    "calibration.cell.too_few_trucks": ("{n} trucks: too few", "{n} xe: quá ít"),
    # the detail sections of the calibration report
    "calibration.head.flow": ("flow", "luồng xe"),
    "calibration.head.trucks": ("trucks", "số xe"),
    "calibration.head.days": ("days", "số ngày"),
    "calibration.head.model_aic": ("model (AIC)", "mô hình (AIC)"),
    "calibration.head.per_day": ("per day", "mỗi ngày"),
    "calibration.head.daily_counts": ("daily counts", "số lượt theo ngày"),
    "calibration.head.family": ("family", "họ phân phối"),
    "calibration.head.parameters": ("parameters", "tham số"),
    "calibration.head.log_l": ("log L", "log L"),
    "calibration.head.delta_aic": ("ΔAIC", "ΔAIC"),
    "calibration.head.ks_d": ("KS D", "KS D"),
    "calibration.head.ks_p": ("KS p", "KS p"),
    "calibration.head.building": ("building", "tòa nhà"),
    "calibration.head.quantity": ("quantity", "đại lượng"),
    "calibration.head.readings": ("readings", "số lần đọc"),
    "calibration.head.step": ("step", "bước"),
    "calibration.head.base": ("base", "nền"),
    "calibration.head.shift": ("shift", "ca"),
    "calibration.head.mape": ("MAPE", "MAPE"),
    "calibration.head.r2": ("R²", "R²"),
    "calibration.head.method": ("method", "phương pháp"),
    "calibration.head.notes": ("notes", "ghi chú"),
    "calibration.head.wastewater_ratio": ("wastewater ratio", "tỷ lệ nước thải"),
    "calibration.head.gate": ("gate", "cổng"),
    "calibration.head.trucks_logged": ("trucks logged", "số xe ghi nhận"),
    "calibration.head.times_used": ("times used", "số thời gian dùng"),
    "calibration.head.chosen": ("chosen", "đã chọn"),
    "calibration.head.dock_group": ("dock group", "nhóm bến"),
    "calibration.head.services": ("services", "lượt phục vụ"),
    "calibration.head.most_at_once": ("most at once", "nhiều nhất cùng lúc"),
    "calibration.head.waits_seen": ("waits seen", "lượt chờ thấy được"),
    "calibration.head.file_fitted": ("file → fitted", "tệp → đã khớp"),
    "calibration.head.reading": ("reading", "diễn giải"),
    "calibration.head.observed_drive": (
        "observed drive (median, min)",
        "thời gian chạy quan sát (trung vị, phút)",
    ),
    "calibration.head.file_drive": ("file's drive (min)", "thời gian chạy theo tệp (phút)"),
    "calibration.head.observed": ("observed", "quan sát"),
    "calibration.head.k_docks": ("{k} docks", "{k} bến"),
    "calibration.head.result": ("result", "kết quả"),
    "calibration.head.asset": ("asset", "tài sản"),
    "calibration.head.from": ("from", "từ lúc"),
    "calibration.head.before": ("before", "trước"),
    "calibration.head.after": ("after", "sau"),
    "calibration.head.size": ("size", "độ lớn"),
    "calibration.head.span": ("span", "khoảng"),
    "calibration.head.place": ("place", "vị trí"),
    "calibration.head.fitted": ("fitted", "đã khớp"),
    "calibration.head.interval": ("95% interval", "khoảng tin cậy 95%"),
    "calibration.head.moved": ("moved", "đã dịch"),
    "calibration.head.identifiability": ("identifiability", "khả năng nhận dạng"),
    "calibration.head.meter": ("meter", "công tơ"),
    "calibration.head.hours": ("hours", "số giờ"),
    "calibration.head.hourly_mape": ("hourly MAPE", "MAPE theo giờ"),
    "calibration.head.days_in_band": ("days in band", "số ngày trong dải"),
    "calibration.head.verdict": ("verdict", "đánh giá"),
    "calibration.head.per_day_obs_sim": ("per day (obs / sim)", "mỗi ngày (quan sát / mô phỏng)"),
    "calibration.head.noise_alone": ("noise alone", "riêng nhiễu"),
    "calibration.head.chi2_holm": ("χ² p (Holm)", "χ² p (Holm)"),
    "calibration.head.to_dock_ks": ("gate→dock KS D (model's)", "cổng→bến KS D (của mô hình)"),
    "calibration.head.mean_min_model": ("mean, min (model's)", "trung bình, phút (của mô hình)"),
    "calibration.head.turnaround_ks": ("turnaround KS D (model's)", "quay vòng KS D (của mô hình)"),
    "calibration.head.p_holm": ("p (Holm)", "p (Holm)"),
    "calibration.sub.gates": ("Gates", "Cổng"),
    "calibration.sub.docks": ("Docks", "Bến"),
    "calibration.sub.meters": ("Meters", "Công tơ và đồng hồ"),
    "calibration.sub.arrivals": ("Truck arrivals", "Xe tải đến"),
    "calibration.sub.queues": ("Waits and turnaround", "Thời gian chờ và quay vòng"),
    "calibration.chart.fitted_rate": ("fitted rate", "cường độ đã khớp"),
    "calibration.chart.day_of_week": ("day of week (0 = Monday)", "ngày trong tuần (0 = thứ Hai)"),
    "calibration.chart.trucks_per_hour": ("trucks/h", "xe/giờ"),
    "calibration.chart.observed": ("observed", "quan sát"),
    "calibration.chart.simulated": ("simulated", "mô phỏng"),
    "calibration.chart.simulated_mean": ("simulated (mean)", "mô phỏng (trung bình)"),
    "calibration.chart.held_out_day": (
        "day of the held-out span",
        "ngày của khoảng dữ liệu giữ lại",
    ),
    "calibration.chart.minutes": ("minutes", "phút"),
    "calibration.chart.turnaround": (
        "{group}: turnaround, share of trucks done within x",
        "{group}: quay vòng, tỷ lệ xe xong trong vòng x",
    ),
    "calibration.follows_shape": (
        "{place}: follows a {shape} load shape now.",
        "{place}: nay theo dạng tải {shape}.",
    ),
    "calibration.note.lad": (
        "least absolute deviations: readings on the shift share of their interval",
        "độ lệch tuyệt đối nhỏ nhất: số đọc theo tỷ lệ thời gian trong ca của khoảng đo",
    ),
    "calibration.note.split": (
        "median of the readings, split as in the park file",
        "trung vị các số đọc, chia như trong tệp khu",
    ),
    "calibration.note.ratio": (
        "weighted median of wastewater / water over matching readings",
        "trung vị có trọng số của nước thải / nước cấp trên các số đọc khớp thời điểm",
    ),
    "calibration.note.ratio_fitted": (
        "weighted median of wastewater / fitted water flow",
        "trung vị có trọng số của nước thải / lưu lượng nước đã khớp",
    ),
    "calibration.note.shift_times": (
        "weekdays from the meters; start and end times are the park file's, not fitted: the "
        "levels are fitted given them, and an edge moved by less than the readings' interval "
        "does not show",
        "các ngày làm việc lấy từ công tơ; giờ bắt đầu và kết thúc theo tệp khu, không khớp: "
        "các mức được khớp theo chúng, và một mốc dịch ít hơn khoảng đo sẽ không thấy được",
    ),
    "calibration.note.lanes_unseen": (
        "not observed without gate_out: the file's lanes",
        "không quan sát được khi thiếu gate_out: giữ số làn trong tệp",
    ),
    "calibration.note.at_gate": ("gate '{gate}': {note}", "cổng '{gate}': {note}"),
    "calibration.note.unlogged_flows": (
        "flows {flows} pass this gate but are not in the log: their trucks' lane time is not seen",
        "các luồng xe {flows} qua cổng này nhưng không có trong nhật ký: không thấy thời gian "
        "qua làn của các xe đó",
    ),
    "calibration.note.gate_deconvolution": (
        "deconvolution by selection: dock_start − arrive − the flow's drive (median depart − "
        "dock_end) of trucks that provably found a free lane (fewer trucks ahead possibly at the "
        "gate than its {lanes} lanes) and a free dock; maximum likelihood of every family, "
        "lowest AIC",
        "giải chập bằng chọn lọc: dock_start − arrive − thời gian lái của luồng (trung vị "
        "depart − dock_end) của các xe chắc chắn gặp làn trống (số xe phía trước có thể còn ở "
        "cổng ít hơn {lanes} làn của cổng) và bến trống; hợp lý cực đại với mọi họ phân phối, "
        "chọn AIC nhỏ nhất",
    ),
    "calibration.note.cannot_split": (
        "base and shift cannot be told apart (the building is in shift {share}% of the time, "
        "without enough variation): their sum is fitted and split as in the park file",
        "không tách được mức nền và mức ca (tòa nhà ở trong ca {share}% thời gian, không đủ "
        "biến thiên): tổng của chúng được khớp rồi chia như trong tệp khu",
    ),
    "calibration.note.not_identifiable": (
        "not identifiable: the building is in shift {share}% of the time, so the data tell "
        "only {combination} (fitted with its interval); split as in the park file",
        "không nhận dạng được: tòa nhà ở trong ca {share}% thời gian, nên dữ liệu chỉ cho biết "
        "{combination} (được khớp cùng khoảng tin cậy); chia như trong tệp khu",
    ),
    "calibration.note.other_meters": (
        "feeder and substation meters ({meters}) are not fitted to; they are compared with the "
        "fitted twin in the validation",
        "công tơ xuất tuyến và trạm biến áp ({meters}) không dùng để khớp; chúng được so với "
        "mô hình đã khớp trong phần kiểm định",
    ),
    "calibration.note.meters_disagree": (
        "the meters disagree on whether the shifts run on {days} (median share of the fitted "
        "shift load: {shares}); shifts left as they are",
        "các công tơ không thống nhất về việc ca có chạy vào {days} hay không (tỷ lệ trung vị "
        "của tải ca đã khớp: {shares}); giữ nguyên các ca",
    ),
    "calibration.note.weekly_pattern": (
        "a weekly pattern the model cannot follow ({how}): against the other days, {days} of "
        "the mean level",
        "một quy luật theo tuần mà mô hình không theo được ({how}): so với các ngày khác, {days} "
        "của mức trung bình",
    ),
    "calibration.note.not_validated": (
        "no held-out span: the fitted park was not validated",
        "không có khoảng dữ liệu giữ lại: mô hình đã khớp chưa được kiểm định",
    ),
    "calibration.note.validation_interrupted": (
        "the validation was interrupted: the fitted park was not validated",
        "phần kiểm định bị ngắt giữa chừng: mô hình đã khớp chưa được kiểm định",
    ),
    "calibration.note.numerical": (
        "{stage}: numerical warning(s) ({warnings}); the values it gave were checked against "
        "the park format's ranges",
        "{stage}: có cảnh báo tính toán ({warnings}); các giá trị thu được đã được đối chiếu "
        "với phạm vi cho phép của định dạng tệp khu",
    ),
    "calibration.note.stage_trucks": ("trucks", "xe tải"),
    "calibration.note.stage_meters": ("meters", "công tơ"),
    "calibration.note.stage_changes": (
        "changes in the held-out span",
        "thay đổi trong khoảng dữ liệu giữ lại",
    ),
    "calibration.note.stage_validation": ("validation", "kiểm định"),
    "calibration.note.ratio_capped": (
        "the meters show {ratio} m³ of wastewater per m³ of water; capped at 1 (rain water or "
        "another inflow on the wastewater meter?)",
        "các đồng hồ cho thấy {ratio} m³ nước thải trên mỗi m³ nước cấp; lấy tối đa là 1 "
        "(nước mưa hay một nguồn chảy khác vào đồng hồ nước thải?)",
    ),
    "calibration.note.daily_above": (
        "a daily shape the two levels cannot follow: around {hour}:00 the meter runs {gap} "
        "{unit} above the fit ({share}% of the mean level)",
        "một dạng tải trong ngày mà hai mức không theo được: khoảng {hour}:00 công tơ đo cao "
        "hơn bản khớp {gap} {unit} ({share}% của mức trung bình)",
    ),
    "calibration.note.daily_below": (
        "a daily shape the two levels cannot follow: around {hour}:00 the meter runs {gap} "
        "{unit} below the fit ({share}% of the mean level)",
        "một dạng tải trong ngày mà hai mức không theo được: khoảng {hour}:00 công tơ đo thấp "
        "hơn bản khớp {gap} {unit} ({share}% của mức trung bình)",
    ),
    "calibration.note.level_shift": (
        "a level shift: from {at} on, readings run {size}% of the mean level off the earlier "
        "days (a meter change or a new load?)",
        "mức tải dịch chuyển: từ {at} trở đi, các số đọc lệch {size}% của mức trung bình so "
        "với những ngày trước (thay công tơ hay có tải mới?)",
    ),
    "calibration.note.level_shift_day": (
        "a level shift: from day {day} on, readings run {size}% of the mean level off the "
        "earlier days (a meter change or a new load?)",
        "mức tải dịch chuyển: từ ngày {day} trở đi, các số đọc lệch {size}% của mức trung bình "
        "so với những ngày trước (thay công tơ hay có tải mới?)",
    ),
    "calibration.note.no_power_section": (
        "building '{asset}' has {quantity} readings but no power section in the park file; add "
        "one (with its feeder) to fit it",
        "tòa nhà '{asset}' có số đọc {quantity} nhưng tệp khu không có mục power của nó; thêm "
        "mục đó (cùng xuất tuyến cấp điện) để khớp",
    ),
    "calibration.note.no_water_section": (
        "building '{asset}' has {quantity} readings but no water section in the park file; add "
        "one (with its rates) to fit it",
        "tòa nhà '{asset}' có số đọc {quantity} nhưng tệp khu không có mục water của nó; thêm "
        "mục đó (cùng các lưu lượng) để khớp",
    ),
    "calibration.note.under_a_day": (
        "{asset} {quantity}: under a day of readings, not fitted",
        "{asset} {quantity}: chưa đủ một ngày số đọc, không khớp",
    ),
    "calibration.note.wastewater_no_water": (
        "building '{asset}' has wastewater readings but no water section; not fitted",
        "tòa nhà '{asset}' có số đọc nước thải nhưng không có mục water; không khớp",
    ),
    "calibration.note.wastewater_few": (
        "{asset} wastewater: too few readings to fit the ratio",
        "{asset} nước thải: quá ít số đọc để khớp tỷ lệ",
    ),
    "calibration.note.routes_disagree": (
        "routes disagree: their drive ratios run from {low} to {high}, so one factor for all "
        "roads fits some routes poorly",
        "các tuyến không thống nhất: tỷ số thời gian chạy của chúng từ {low} đến {high}, nên "
        "một hệ số chung cho mọi con đường khớp kém với một số tuyến",
    ),
    "calibration.note.at_flow": ("flow '{flow}': {note}", "luồng xe '{flow}': {note}"),
    "calibration.note.at_dock_group": (
        "dock group '{group}': {note}",
        "nhóm bến '{group}': {note}",
    ),
    "calibration.note.arrivals_under_a_day": (
        "under a day of arrivals, not fitted",
        "chưa đủ một ngày xe đến, không khớp",
    ),
    "calibration.note.rate_change": (
        "its arrival rate changed by {size}% on {at} ({before} → {after} trucks a day); "
        "fitted on the arrivals after it",
        "tần suất xe đến đổi {size}% vào {at} ({before} → {after} xe mỗi ngày); khớp trên các "
        "lượt xe đến sau thời điểm đó",
    ),
    "calibration.note.service_change": (
        "its service times changed by {size}% on {at} ({before} → {after} min on average); "
        "fitted on the services after it",
        "thời gian phục vụ đổi {size}% vào {at} (trung bình {before} → {after} phút); khớp "
        "trên các lượt phục vụ sau thời điểm đó",
    ),
    "calibration.note.service_gaps": (
        "{gaps} visit(s) without dock_end long before the end of the record were left out of "
        "the service fit",
        "{gaps} lượt xe thiếu dock_end từ lâu trước khi bản ghi kết thúc đã bị bỏ khỏi phép "
        "khớp thời gian phục vụ",
    ),
    "calibration.note.how_every_day": ("shifts repeat every day", "các ca lặp lại mọi ngày"),
    "calibration.note.how_workday": (
        "shift loads repeat every workday",
        "tải ca lặp lại mọi ngày làm việc",
    ),
    "calibration.data.head": (
        "{file}: {rows} rows, {kept} used",
        "{file}: {rows} dòng, dùng {kept}",
    ),
    "calibration.data.dropped": ("; dropped ", "; bỏ "),
    "calibration.data.nothing_dropped": ("; nothing dropped", "; không bỏ dòng nào"),
    "calibration.data.line": ("line {shown}", "dòng {shown}"),
    "calibration.data.lines": ("lines {shown}", "các dòng {shown}"),
    "calibration.data.more": (" and {n} more", " và {n} dòng khác"),
    "calibration.data.conflicts": (
        "{n} of the duplicates had a different value ({lines})",
        "{n} bản lặp có giá trị khác ({lines})",
    ),
    "calibration.data.no_columns": (
        "no column(s) {columns}: taken as empty",
        "không có cột {columns}: coi như trống",
    ),
    "calibration.data.unused_columns": (
        "column(s) {columns} not used (ignored)",
        "cột {columns} không dùng (bỏ qua)",
    ),
    "calibration.data.utf16": (
        "read as UTF-16 text (a spreadsheet's 'Unicode text' export)",
        "đọc như văn bản UTF-16 (tệp 'Unicode text' xuất từ bảng tính)",
    ),
    "calibration.data.semicolons": (
        "read as a spreadsheet export: ';' separates the fields",
        "đọc như tệp xuất từ bảng tính: ';' ngăn cách các trường",
    ),
    "calibration.data.semicolons_commas": (
        "read as a spreadsheet export: ';' separates the fields, decimal commas read as points",
        "đọc như tệp xuất từ bảng tính: ';' ngăn cách các trường, dấu phẩy thập phân đọc "
        "thành dấu chấm",
    ),
    "calibration.drop.no_timestamp": ("row(s) without a timestamp", "dòng không có thời điểm"),
    "calibration.drop.bad_timestamp": (
        "row(s) with a timestamp that is not ISO 8601",
        "dòng có thời điểm không theo ISO 8601",
    ),
    "calibration.drop.bad_value": (
        "row(s) with a value that is not a number",
        "dòng có giá trị không phải là số",
    ),
    "calibration.drop.empty_value": ("row(s) with an empty value", "dòng có giá trị trống"),
    "calibration.drop.negative": ("reading(s) below zero", "số đọc âm"),
    "calibration.drop.spike": (
        "spike(s) (far from the meter's rolling median)",
        "đột biến (xa trung vị trượt của công tơ)",
    ),
    "calibration.drop.unknown_quantity": (
        "row(s) with unknown quantity '{quantity}' ({hint})",
        "dòng có đại lượng lạ '{quantity}' ({hint})",
    ),
    "calibration.drop.hint_meant": ("did you mean '{name}'?", "có phải là '{name}'?"),
    "calibration.drop.hint_expected": ("expected {names}", "cần một trong {names}"),
    "calibration.drop.no_asset": ("row(s) without an asset", "dòng không ghi tài sản"),
    "calibration.drop.water_on": (
        "row(s) of water on {kind} '{asset}' (power only)",
        "dòng đo nước trên {kind} '{asset}' (chỉ đo điện)",
    ),
    "calibration.drop.kind.feeder": ("feeder", "xuất tuyến"),
    "calibration.drop.kind.substation": ("substation", "trạm biến áp"),
    "calibration.drop.repeated_reading": (
        "reading(s) repeated (same meter and time; the first is kept)",
        "số đọc lặp (cùng công tơ và thời điểm; giữ số đầu tiên)",
    ),
    "calibration.drop.bad_time": (
        "row(s) whose {column} is not an ISO 8601 time",
        "dòng có {column} không phải thời điểm ISO 8601",
    ),
    "calibration.drop.no_flow": (
        "row(s) whose flow is empty and cannot be told from gate and dock group",
        "dòng có luồng xe trống và không suy ra được từ cổng và nhóm bến",
    ),
    "calibration.drop.wrong_gate": (
        "row(s) whose gate is not flow '{flow}''s gate '{gate}'",
        "dòng có cổng không phải cổng '{gate}' của luồng '{flow}'",
    ),
    "calibration.drop.wrong_group": (
        "row(s) whose dock group is not flow '{flow}''s '{group}'",
        "dòng có nhóm bến không phải '{group}' của luồng '{flow}'",
    ),
    "calibration.drop.disorder": (
        "row(s) whose times are out of order ({columns})",
        "dòng có các thời điểm sai thứ tự ({columns})",
    ),
    "calibration.drop.no_time": ("row(s) without any time", "dòng không có thời điểm nào"),
    "calibration.drop.repeated_visit": (
        "visit(s) repeated (same truck_id and times; the first is kept)",
        "lượt xe lặp (cùng truck_id và thời điểm; giữ lượt đầu tiên)",
    ),
    "calibration.drop.field_count.one": (
        "row(s) with {n} field instead of {expected}",
        "dòng có {n} trường thay vì {expected}",
    ),
    "calibration.drop.field_count.other": (
        "row(s) with {n} fields instead of {expected}",
        "dòng có {n} trường thay vì {expected}",
    ),
    "calibration.drop.long_field": (
        "row(s) with a field longer than {limit} bytes",
        "dòng có trường dài quá {limit} byte",
    ),
    "calibration.note.cv_mape": (
        "cross-validated MAPE (7 day blocks) {models}",
        "MAPE kiểm định chéo (khối 7 ngày) {models}",
    ),
    "calibration.shape.base_shift": ("base + shift", "nền + ca"),
    "calibration.word.power": ("power", "điện"),
    "calibration.word.water": ("water", "nước"),
    "calibration.word.and": (" and ", " và "),
    "calibration.word.power_meter": ("power meter", "công tơ điện"),
    "calibration.word.water_meter": ("water meter", "đồng hồ nước"),
    **{
        f"calibration.word.day.{d}": (en, vi)
        for d, (en, vi) in enumerate(
            zip(
                ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
                ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"),
                strict=True,
            )
        )
    },
    "calibration.note.level_change": (
        "{asset} {quantity}: the level changed by {size}% on {at} ({before} → {after}); fitted "
        "on the readings after it",
        "{asset} {quantity}: mức tải đổi {size}% vào {at} ({before} → {after}); khớp trên các "
        "số đọc sau thời điểm đó",
    ),
    "calibration.shape.daily": ("daily", "theo ngày"),
    "calibration.shape.day_types": ("day types", "theo loại ngày"),
    "calibration.shape.weekly": ("weekly", "theo tuần"),
    "calibration.reason.changed": (
        "{changed}: the fit is older than the held-out data; {reason}",
        "{changed}: bản khớp cũ hơn dữ liệu giữ lại; {reason}",
    ),
    "calibration.cell.run_days": ("run {days}", "chạy {days}"),
    "calibration.cell.kept": ("(kept)", "(giữ nguyên)"),
    "calibration.cell.shift_load": ("{days} shift load: {shares}", "tải ca {days}: {shares}"),
    "calibration.cell.in_meter_checks": ("(in the meter checks)", "(trong phép kiểm công tơ)"),
    "calibration.cell.kept_too_few": ("(kept: too few)", "(giữ nguyên: quá ít)"),
    "calibration.cell.file_mark": (" (file)", " (tệp)"),
    "calibration.cell.span_training": (
        "training (fitted after it)",
        "huấn luyện (khớp sau thay đổi)",
    ),
    "calibration.cell.span_validation": (
        "validation (the fit is older)",
        "kiểm định (bản khớp cũ hơn)",
    ),
    "calibration.cell.from_zero": ("from zero", "từ số không"),
    "calibration.cell.yes": ("yes", "có"),
    "calibration.cell.values": ("[{n} values]", "[{n} giá trị]"),
    "calibration.cell.all_flows": ("all logged flows", "mọi luồng có trong nhật ký"),
    "calibration.text.arrivals": (
        "Rates are the maximum-likelihood estimates of a Poisson process with piecewise-"
        "constant hourly rates (arrivals / hours observed). Models: hourly (24 rates), weekday "
        "(24 rates × a factor per weekday), weekly (168 rates); the lowest AIC is written. "
        "The daily-count check is Pearson's χ² of the counts per day against the fitted "
        "expectation (index of dispersion ≈ 1 for a Poisson process).",
        "Cường độ là ước lượng hợp lý cực đại của một quá trình Poisson có cường độ không đổi "
        "trong từng giờ (số lượt đến / số giờ quan sát). Mô hình: theo giờ (24 cường độ), theo "
        "thứ (24 cường độ × một hệ số cho mỗi thứ), theo tuần (168 cường độ); ghi mô hình có AIC "
        "nhỏ nhất. Phép kiểm số lượt theo ngày là χ² Pearson của số lượt mỗi ngày so với kỳ vọng "
        "đã khớp (chỉ số phân tán ≈ 1 với quá trình Poisson).",
    ),
    "calibration.text.services": (
        "Every family fitted by maximum likelihood; services still running when the span "
        "ends are right-censored (they add the probability of lasting at least as long). "
        "Lowest AIC wins. The KS test compares complete times with the fitted distribution "
        "(parameters estimated from the same data, so its p-value is optimistic).",
        "Mỗi họ phân phối được khớp bằng hợp lý cực đại; lượt phục vụ chưa xong khi hết khoảng "
        "dữ liệu bị kiểm duyệt phải (đóng góp xác suất kéo dài ít nhất chừng đó). AIC nhỏ nhất "
        "được chọn. Phép kiểm KS so các thời gian trọn vẹn với phân phối đã khớp (tham số ước "
        "lượng từ chính dữ liệu đó, nên giá trị p của nó lạc quan).",
    ),
    "calibration.text.services_chosen": (
        "{n} complete services, {censored} censored; chosen: {family}",
        "{n} lượt phục vụ trọn vẹn, {censored} bị kiểm duyệt; đã chọn: {family}",
    ),
    "calibration.text.uncertain_choice": (
        " (only {margin} AIC ahead of {other}: the choice is uncertain)",
        " (chỉ hơn {other} {margin} AIC: lựa chọn chưa chắc chắn)",
    ),
    "calibration.text.meters": (
        "Readings are regressed on the shift share of their interval by least absolute deviations "
        "(levels ≥ 0). MAPE and R² are per reading on the training span.",
        "Số đọc được hồi quy theo tỷ lệ thời gian trong ca của khoảng đo bằng độ lệch tuyệt đối "
        "nhỏ nhất (mức ≥ 0). MAPE và R² tính theo từng số đọc trên khoảng huấn luyện.",
    ),
    "calibration.text.dock_counts": (
        "Docks staffed from the occupancy (dock_start .. dock_end): the most services in "
        "progress at once bound the count from below; trucks that took a dock the instant "
        "another left, while all were busy, show the docks saturated, and then the bound "
        "is the count.",
        "Số bến hoạt động suy từ mức chiếm dụng (dock_start .. dock_end): số lượt phục vụ đồng "
        "thời lớn nhất là cận dưới của số bến; xe vào bến ngay lúc xe khác rời đi, khi mọi bến "
        "đều bận, cho thấy các bến đã bão hòa, và khi đó cận dưới chính là số bến.",
    ),
    "calibration.text.speed": (
        "Road speed: the drive out (depart − dock_end) of {n} trucks takes {factor}× the drive "
        "at the file's speeds (median ratio); every road's speed is divided by that factor.",
        "Tốc độ đường: quãng chạy ra (depart − dock_end) của {n} xe mất {factor}× thời gian "
        "chạy theo tốc độ trong tệp (tỷ số trung vị); tốc độ mọi tuyến đường được chia cho hệ "
        "số đó.",
    ),
    "calibration.text.note": (" Note: {note}.", " Ghi chú: {note}."),
    "calibration.text.dock_search": (
        "Docks staffed, where the log has no service times: the fitted park simulated over "
        "the training span with each dock group's count changed by −2 … +2, widening while "
        "the best count is on the edge (common random numbers, four replications), "
        "compared on the mean minutes from gate arrival to dock start. Observed: mean ± "
        "batch-means standard error (daily batches); simulated: mean ± standard deviation "
        "of the replications' means. The file's count is kept unless the observation lies "
        "outside its 95% prediction interval.",
        "Số bến hoạt động, khi nhật ký không có thời gian phục vụ: mô phỏng khu đã khớp trên "
        "khoảng huấn luyện với số bến của mỗi nhóm đổi từ −2 … +2, mở rộng khi số tốt nhất nằm "
        "ở biên (cùng dãy số ngẫu nhiên, bốn lần lặp), so theo số phút trung bình từ lúc đến "
        "cổng tới lúc vào bến. Quan sát: trung bình ± sai số chuẩn theo lô (lô theo ngày); mô "
        "phỏng: trung bình ± độ lệch chuẩn của trung bình các lần lặp. Giữ số bến trong tệp "
        "trừ khi giá trị quan sát nằm ngoài khoảng dự báo 95% của nó.",
    ),
    "calibration.text.changes": (
        "Steps found by binary segmentation with a penalty: meters and arrivals on daily "
        "values, service times on the log time of each service. A change in the training span "
        "is followed (the value is fitted after it); one in or just before the validation span "
        "marks the checks it makes unlike the fit.",
        "Các bước nhảy tìm bằng phân đoạn nhị phân có phạt: công tơ và lượt xe đến theo giá trị "
        "từng ngày, thời gian phục vụ theo thời điểm ghi của từng lượt. Thay đổi trong khoảng "
        "huấn luyện được bám theo (giá trị được khớp sau thay đổi); thay đổi trong hoặc ngay "
        "trước khoảng kiểm định đánh dấu các phép kiểm mà nó làm khác với bản khớp.",
    ),
    "calibration.text.uncertainty": (
        "Every fitted value with its 95% interval (calibration.json has them all): service "
        "times by bootstrap of the mean and sd, arrivals by exact Poisson limits (widened when "
        "over-dispersed), meter levels and ratios by a jackknife over blocks of days, docks "
        "from the occupancy. 'moved' marks a file's value outside the interval: the data "
        "contradict it. 'identifiability' says what the data could not tell apart.",
        "Mọi giá trị đã khớp cùng khoảng tin cậy 95% (calibration.json có đủ): thời gian phục "
        "vụ bằng bootstrap của trung bình và độ lệch chuẩn, lượt xe đến bằng giới hạn Poisson "
        "chính xác (nới rộng khi phân tán quá mức), mức công tơ và tỷ lệ bằng jackknife theo "
        "khối ngày, số bến từ mức chiếm dụng. 'đã dịch' đánh dấu giá trị trong tệp nằm ngoài "
        "khoảng: dữ liệu mâu thuẫn với nó. 'khả năng nhận dạng' cho biết điều dữ liệu không "
        "phân biệt được.",
    ),
    "calibration.text.moved": (
        "{n} value(s) moved from the file's beyond their interval: {places}.",
        "{n} giá trị đã dịch khỏi giá trị trong tệp, ra ngoài khoảng của chúng: {places}.",
    ),
    "calibration.text.none_moved": (
        "No file value lies outside its fitted interval.",
        "Không giá trị nào trong tệp nằm ngoài khoảng đã khớp.",
    ),
    "calibration.text.queues": (
        "One path of a queue is not a sample of independent trucks: a busy hour delays many at "
        "once. So the observed trucks are judged against the model's own paths (the "
        "replications): the KS distance D of the observed times from all replications, "
        "beside how far each replication lies from the others (median-95%), and the observed "
        "mean beside the replications' means (5-95%). p is the chance that the model itself "
        "lies this far out on the least likely of the four (Bonferroni), adjusted by Holm's "
        "method over the dock groups.",
        "Một diễn biến của hàng chờ không phải là mẫu các xe độc lập: một giờ đông làm nhiều xe "
        "chậm cùng lúc. Vì thế các xe quan sát được đánh giá so với chính các diễn biến của mô "
        "hình (các lần lặp): khoảng cách KS D của thời gian quan sát so với mọi lần lặp, bên cạnh "
        "độ xa giữa từng lần lặp với các lần khác (trung vị-95%), và trung bình quan sát bên cạnh "
        "trung bình các lần lặp (5-95%). p là xác suất chính mô hình lệch xa đến vậy ở đại lượng "
        "ít khả dĩ nhất trong bốn (Bonferroni), hiệu chỉnh theo phương pháp Holm trên các nhóm "
        "bến.",
    ),
    "docks.identified": (
        "{n} docks: at most {n} services ran at once, and {waits} trucks waited for a dock "
        "while all {n} were busy",
        "{n} bến: nhiều nhất {n} lượt phục vụ cùng lúc, và {waits} xe phải chờ bến khi cả {n} "
        "bến đều bận",
    ),
    "docks.unbounded": (
        "at least {n} docks ({n} services ran at once) and no truck was seen waiting for a "
        "dock, so any count from {n} up behaves alike: {chosen} ({kept})",
        "ít nhất {n} bến ({n} lượt phục vụ cùng lúc) và không thấy xe nào chờ bến, nên mọi số "
        "bến từ {n} trở lên đều như nhau: {chosen} ({kept})",
    ),
    "docks.kept": ("kept", "giữ nguyên"),
    "docks.raised": ("raised from {current}", "tăng từ {current}"),
    "dispersion.stats": ("index {index}, χ² p = {p}", "chỉ số {index}, χ² p = {p}"),
    "dispersion.over": (
        "not Poisson: daily counts vary {times}× as much as a Poisson process's ({stats}); the "
        "fitted rates are right on average, but the twin will show too little day-to-day variation",
        "không theo Poisson: số lượt theo ngày dao động gấp {times}× quá trình Poisson ({stats}); "
        "cường độ đã khớp đúng về trung bình, nhưng mô hình số sẽ dao động giữa các ngày quá ít",
    ),
    "dispersion.under": (
        "more regular than Poisson ({stats}): arrivals look booked or scheduled; the twin will "
        "show too much variation",
        "đều hơn Poisson ({stats}): lượt xe đến có vẻ đã đặt lịch; mô hình số sẽ dao động quá "
        "nhiều",
    ),
    "dispersion.poisson": ("consistent with Poisson ({stats})", "phù hợp với Poisson ({stats})"),
    # the model checks' warnings (twin.model.sanity): {where} is the park file's field
    "sanity.feeder": (
        "{where}.capacity_mw: {value} MW is more than its substation '{substation}' ({above} MW)"
        "; kW meant?",
        "{where}.capacity_mw: {value} MW, lớn hơn trạm biến áp '{substation}' cấp điện cho nó "
        "({above} MW); có phải định ghi kW?",
    ),
    "sanity.factory": (
        "{where}.power: a factory drawing at most {peak} kW (under {limit} kW); MW meant?",
        "{where}.power: nhà máy tiêu thụ tối đa {peak} kW (dưới {limit} kW); có phải định ghi MW?",
    ),
    "sanity.dock": (
        "{where}.service: a mean of {mean} min to serve a truck (under {limit} min); hours meant?",
        "{where}.service: trung bình {mean} phút để phục vụ một xe tải (dưới {limit} phút); "
        "có phải định ghi giờ?",
    ),
    "sanity.flow": (
        "{where}: {busiest} trucks in its busiest hour (over {limit}); trucks a day meant?",
        "{where}: {busiest} xe tải trong giờ đông nhất (trên {limit}); có phải định ghi số xe "
        "mỗi ngày?",
    ),
    "sanity.road": (
        "{where}.speed_kmh: {speed} km/h (over {limit}); m/s or a typo?",
        "{where}.speed_kmh: {speed} km/h (trên {limit}); có phải m/s, hay gõ nhầm?",
    ),
    "sanity.far": (
        "{where}: {distance} km from the middle of the plan (over {limit} km); positions are "
        "metres: km or degrees meant?",
        "{where}: cách tâm mặt bằng {distance} km (trên {limit} km); vị trí tính bằng mét: có "
        "phải định ghi km hay độ?",
    ),
}

TEXT: dict[str, dict[str, str]] = {
    key: dict(zip(LANGUAGES, texts, strict=True)) for key, texts in {**_KPIS, **_WORDS}.items()
}
"""Every text of the reports and terminal tables: key, then language, then text."""


def language_of(value: str | None, default: str | None = None) -> Language:
    """The language of an output: `value` (``--lang``), else `default` (the park's), else en.

    Raises:
        UsageError: a language parktwin does not write.
    """
    chosen = value if value is not None else default
    if chosen is None:
        return DEFAULT_LANGUAGE
    if chosen not in LANGUAGES:
        raise UsageError(f"`lang` must be one of {', '.join(LANGUAGES)}, not {chosen!r}")
    return cast(Language, chosen)


def say(key: str, lang: Language, **fields: object) -> str:
    """The text of `key` in `lang`, with its ``{fields}`` filled.

    Raises:
        KeyError: a key the table does not have (a report asking for a text nobody wrote).
    """
    text = TEXT[key][lang]
    return text.format(**fields) if fields else text


def unit_text(unit: str, lang: Language) -> str:
    """A unit as written in `lang` (an unknown unit, a plugin's, as it is)."""
    return UNIT_TEXT.get(unit, {}).get(lang, unit)


def with_unit(number: str, unit: str, lang: Language) -> str:
    """A number and its unit (none for a share): ``4.9 min``, ``4,9 phút``."""
    shown = unit_text(unit, lang) if unit != "share" else ""
    return f"{number} {shown}".strip() if shown != "%" else f"{number}%"


def read_back(text: str, keys: Iterable[str]) -> tuple[str, dict[str, str]] | None:
    """The key among `keys` whose English text, filled, is `text`, and the fields that filled
    it (a document keeps the English text; another language is written from these); None
    when it is none of theirs."""
    for key in keys:
        found = _template_pattern(key).fullmatch(text)
        if found is not None:
            return key, found.groupdict()
    return None


@functools.cache
def _template_pattern(key: str) -> re.Pattern[str]:
    """The English text of `key` as a pattern with one named group per field."""
    parts = re.split(r"\{(\w+)\}", TEXT[key]["en"])
    pattern = "".join(
        re.escape(part) if n % 2 == 0 else f"(?P<{part}>.+?)" for n, part in enumerate(parts)
    )
    return re.compile(pattern, re.S)
