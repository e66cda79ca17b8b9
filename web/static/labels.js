/* The page's words in each language (VI, EN: the same keys), the switch between them, and the
   number/time formatting shared by the page's scripts. `L` is the table in use: the park's
   `park.language` (from /api/park), or `?lang=vi|en` in the address; English without either.
   Page texts are `L.page.key`, with {fields} filled by `t(key, fields)`; elements of index.html
   carry `data-t` (text), `data-t-html` (markup), `data-t-title` or `data-t-aria`. */
"use strict";

const VI = {
  tiles: {
    "trucks.in_park": ["Xe tải trong khu", "xe"],
    "gates.queue": ["Hàng chờ tại cổng", "xe"],
    "docks.queue": ["Hàng chờ tại bến", "xe"],
    "power.park_mw": ["Công suất toàn khu", "MW"],
    "power.busiest_substation_pct": ["Trạm tải cao nhất", "%"],
    "water.demand_m3h": ["Nước cấp", "m³/h"],
    "wastewater.inflow_m3h": ["Nước thải", "m³/h"],
  },
  kinds: { factory: "Nhà máy", warehouse: "Kho", office: "Văn phòng", utility: "Hạ tầng", other: "Khác" },
  stages: ["Chờ ở cổng", "Đang qua cổng", "Đang chạy trên đường", "Chờ ở bến", "Đang bốc dỡ", "Đang rời khu"],
  truckColour: ["queued", "served", "driving", "queued", "served", "driving"],
  source: { meter: "đo", model: "mô hình", buildings: "tổng công trình" },
  weekdays: ["Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"],
  status: { queued: "Đang chờ", running: "Đang chạy", done: "Hoàn tất", failed: "Lỗi", cancelled: "Đã hủy" },
  network: {
    legend: "Lưới trung thế (tải so với định mức)", overload: "quá tải", dead: "mở / mất điện", tie: "điểm mở thường trực",
    line: "Đường dây", open: "đang mở", ofRating: "định mức", loading: "Mức tải", ends: "Hai đầu (điện áp)",
  },
  n1: {
    tab: "Lưới điện N-1", title: "Phân tích N-1: mất lần lượt từng phần tử của lưới",
    loading: "Đang tính N-1 (mô phỏng từng sự cố, có thể mất nửa phút)…",
    at: "Thời điểm", day: (d, hhmm) => `ngày ${d}, ${hhmm}`, peak: "đỉnh tải của tuần mô phỏng", hours: "giờ sau sự cố",
    summary: (secure, total) => `${secure}/${total} sự cố được khôi phục hoàn toàn, an toàn`,
    columns: ["Sự cố", "An toàn", "Tải lớn nhất", "Điện áp thấp nhất", "Mất (MW)", "Mất (MWh)", "Công trình mất điện", "Xe trễ"],
    kinds: { line: "đường dây", transformer: "máy biến áp", substation: "trạm biến áp" },
    secure: "an toàn", insecure: "không an toàn", none: "không",
    note: "An toàn: mọi phụ tải được khôi phục qua điểm mở, không phần tử nào quá định mức, mọi nút từ 0,95 pu trở lên.",
  },
  optimizeStatus: { best: "tốt nhất", eliminated: "bị loại", infeasible: "không đạt ràng buộc", "not decided": "chưa quyết định", pareto: "thuộc tập Pareto", dominated: "bị trội" },
  page: {
    title: "Trung tâm điều hành",
    clock_title: "Thời điểm của trạng thái đang hiển thị",
    connecting: "Đang kết nối…",
    messages_title: "Tin nhắn cảm biến đã lưu / bị loại / trùng lặp",
    plan: "Mặt bằng khu công nghiệp",
    plan_hint: "Di chuột hoặc bấm vào một công trình để xem số liệu",
    tab_forecast: "Dự báo",
    tab_whatif: "Kịch bản (what-if)",
    tab_3d: "Mô hình 3D",
    forecast_none: "Chưa có dự báo: <code>parktwin live --nowcast-every</code> sẽ công bố.",
    forecast_legend: " Đường đậm: trung bình; dải tô: 90% khả năng (P05–P95).",
    queue: "Hàng chờ",
    power: "Công suất",
    pick_scenario: "Chọn kịch bản có sẵn",
    upload_scenario: "Hoặc tải lên tệp kịch bản (.yaml, .json; tối đa 256 KB)",
    days: "Số ngày mô phỏng",
    reps: "Số lần lặp",
    run_compare: "Chạy so sánh",
    cancel: "Hủy",
    find_best_legend: "Tìm phương án tốt nhất: tải lên tệp bài toán quyết định (.yaml, .json)",
    find_best: "Tìm phương án",
    scene_3d: "Cùng cảnh với <code>parktwin render</code>: một thời điểm mô phỏng cùng giờ trong ngày. Kéo để xoay, cuộn để phóng to.",
    rebuild_3d: "Dựng lại theo giờ hiện tại",
    frame_3d: "Mô hình 3D khu công nghiệp",
    alerts: "Cảnh báo",
    alerts_at: "Cảnh báo (dự báo lúc {time})",
    no_alerts: "Không có cảnh báo.",
    alert_line: "<span class=\"p\">{p}%</span> khả năng <b>{series}</b> vượt ngưỡng {threshold}{from}{peak}",
    alert_from: " từ {time}",
    alert_peak: ", cao nhất lúc {time}",
    history: "Xem lại lịch sử",
    back_live: "Về trực tiếp",
    history_legend: "<span style=\"color:#ffd43b\">━ xe trong khu</span> <span style=\"color:#f1f3f5\">━ chờ ở cổng</span> <span style=\"color:#f06595\">━ chờ ở bến</span> (24 giờ gần nhất)",
    no_hour: "chưa đủ 1 giờ dữ liệu",
    in_last_hour: "{change} trong 1 giờ qua",
    messages: "Tin nhắn: {stored} đã lưu · {rejected} bị loại · {duplicates} trùng",
    live: "● Trực tiếp",
    simulated: "● Mô phỏng",
    outage_until: ", dự kiến đến {time}",
    outage_gate: "Cổng ngừng",
    outage_supply: "Mất nước",
    outage_power: "Mất điện",
    outage_since: "từ {time}",
    viewing_history: "Đang xem lại lịch sử",
    live_word: "trực tiếp",
    reconnecting: "Mất kết nối, đang thử lại…",
    no_live: "Không có dữ liệu trực tiếp (chạy với --store, --replay hoặc --simulate)",
    error: "Lỗi: {message}",
    hour: "Giờ",
    mean: "Trung bình",
    forecast_at: "Dự báo lúc {time} {date} cho {hours} giờ tới, {replications} lần lặp.",
    gate_wait: "Chờ ở cổng",
    dock_wait: "Chờ ở bến",
    seconds: " · {s} giây",
    pick_problem: "Hãy chọn một tệp bài toán quyết định.",
    cancelled: "Đã hủy.",
    objective: "mục tiêu",
    pareto_head: "Tập Pareto: {n} phương án",
    best: "Phương án tốt nhất",
    none_feasible: "Không phương án nào đạt ràng buộc; gần nhất",
    interval95: "(khoảng tin cậy 95%)",
    certificate: "{n} lần lặp, {streams}; {procedure}",
    crn: "cùng số ngẫu nhiên",
    independent: "số ngẫu nhiên độc lập",
    reps_column: "lần lặp",
    result_column: "kết quả",
    checking: "Đang kiểm tra…",
    valid_scenario: "Hợp lệ: kịch bản “{name}” sẽ được so sánh.",
    invalid_file: "Tệp không hợp lệ: {message}",
    pick_one: "Hãy chọn ít nhất một kịch bản hoặc tải lên một tệp.",
    compare_cancelled: "Đã hủy phép so sánh.",
    verdict: "Kết luận",
    summary: "Tóm tắt",
    whatif_warnings: "Cảnh báo",
    compare_note: "{n} lần lặp ghép cặp (cùng số ngẫu nhiên), {days} ngày sau 1 ngày khởi động; thay đổi = chênh lệch trung bình [khoảng tin cậy 95%] (% so với hiện trạng); in đậm = có ý nghĩa thống kê.",
    more_kpis: "Còn {n} chỉ số khác (từng nhóm bến, sản lượng): xem <code>parktwin compare --all</code>.",
    water_supply: "Cấp nước",
    wastewater_plant: "Xử lý nước thải",
    legend_load: "Tải công trình:",
    pct_peak: "{p}% đỉnh",
    no_power: "mất điện",
    legend_feeder: "Xuất tuyến:",
    pct_capacity: "{p}% công suất",
    feeder_dead: "mất nguồn",
    legend_trucks: "Xe tải:",
    driving: "đang chạy",
    queued: "đang chờ",
    served_gate: "qua cổng / bốc dỡ",
    no_figures: "Chưa có số liệu trực tiếp",
    dock: "Bến {id}",
    dock_state: "{busy}/{docks} đang bốc dỡ, {queue} chờ",
    electricity: "Điện",
    powered: "có điện",
    unpowered: "MẤT ĐIỆN",
    power_kw: "Công suất",
    vs_peak: "So với đỉnh",
    feeder: "Xuất tuyến",
    water: "Nước cấp",
    shift: "Ca làm việc",
    in_shift: "đang trong ca",
    off_shift: "ngoài ca",
    gate: "Cổng {name}",
    waiting_trucks: "Xe chờ",
    passing: "Đang qua cổng",
    lanes: "{busy}/{lanes} làn",
    state: "Trạng thái",
    closed: "ĐÓNG",
    feeder_id: "Xuất tuyến {id}",
    load: "Tải",
  },
};

const EN = {
  tiles: {
    "trucks.in_park": ["Trucks in the park", "trucks"],
    "gates.queue": ["Queue at the gates", "trucks"],
    "docks.queue": ["Queue at the docks", "trucks"],
    "power.park_mw": ["Park power", "MW"],
    "power.busiest_substation_pct": ["Busiest substation", "%"],
    "water.demand_m3h": ["Water supplied", "m³/h"],
    "wastewater.inflow_m3h": ["Wastewater", "m³/h"],
  },
  kinds: { factory: "Factory", warehouse: "Warehouse", office: "Office", utility: "Utility", other: "Other" },
  stages: ["Waiting at the gate", "Passing the gate", "Driving", "Waiting at the dock", "Loading or unloading", "Leaving"],
  truckColour: ["queued", "served", "driving", "queued", "served", "driving"],
  source: { meter: "metered", model: "model", buildings: "sum of buildings" },
  weekdays: ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
  status: { queued: "Queued", running: "Running", done: "Done", failed: "Failed", cancelled: "Cancelled" },
  network: {
    legend: "Medium-voltage network (load against rating)", overload: "overloaded", dead: "open / no power", tie: "normally open point",
    line: "Line", open: "open", ofRating: "of rating", loading: "Loading", ends: "Both ends (voltage)",
  },
  n1: {
    tab: "Grid N-1", title: "N-1 analysis: each element of the network out in turn",
    loading: "Computing N-1 (one simulation per outage, it may take half a minute)…",
    at: "Moment", day: (d, hhmm) => `day ${d}, ${hhmm}`, peak: "peak load of the simulated week", hours: "hours after the outage",
    summary: (secure, total) => `${secure}/${total} outages fully restored and secure`,
    columns: ["Outage", "Secure", "Highest loading", "Lowest voltage", "Lost (MW)", "Lost (MWh)", "Buildings without power", "Trucks delayed"],
    kinds: { line: "line", transformer: "transformer", substation: "substation" },
    secure: "secure", insecure: "not secure", none: "none",
    note: "Secure: every load restored through the open points, no element above its rating, every bus at 0.95 pu or more.",
  },
  optimizeStatus: { best: "best", eliminated: "eliminated", infeasible: "fails a constraint", "not decided": "not decided", pareto: "on the Pareto front", dominated: "dominated" },
  page: {
    title: "Operations centre",
    clock_title: "The time of the state shown",
    connecting: "Connecting…",
    messages_title: "Sensor messages stored / rejected / duplicate",
    plan: "Park plan",
    plan_hint: "Hover over or click a building to see its figures",
    tab_forecast: "Forecast",
    tab_whatif: "What-if",
    tab_3d: "3D model",
    forecast_none: "No forecast yet: <code>parktwin live --nowcast-every</code> publishes one.",
    forecast_legend: " Bold line: mean; band: 90% likely (P05–P95).",
    queue: "Queue",
    power: "Power",
    pick_scenario: "Pick a bundled scenario",
    upload_scenario: "Or upload a scenario file (.yaml, .json; at most 256 KB)",
    days: "Days simulated",
    reps: "Replications",
    run_compare: "Compare",
    cancel: "Cancel",
    find_best_legend: "Find the best: upload a decision-problem file (.yaml, .json)",
    find_best: "Find the best",
    scene_3d: "The scene of <code>parktwin render</code>: a simulated moment at the same time of day. Drag to turn, scroll to zoom.",
    rebuild_3d: "Rebuild at the current time",
    frame_3d: "3D model of the park",
    alerts: "Alerts",
    alerts_at: "Alerts (forecast at {time})",
    no_alerts: "No alerts.",
    alert_line: "<span class=\"p\">{p}%</span> likely that <b>{series}</b> exceeds {threshold}{from}{peak}",
    alert_from: " from {time}",
    alert_peak: ", highest at {time}",
    history: "Look back",
    back_live: "Back to live",
    history_legend: "<span style=\"color:#ffd43b\">━ trucks in the park</span> <span style=\"color:#f1f3f5\">━ waiting at gates</span> <span style=\"color:#f06595\">━ waiting at docks</span> (last 24 hours)",
    no_hour: "less than 1 hour of data",
    in_last_hour: "{change} in the last hour",
    messages: "Messages: {stored} stored · {rejected} rejected · {duplicates} duplicate",
    live: "● Live",
    simulated: "● Simulated",
    outage_until: ", expected to end {time}",
    outage_gate: "Gate closed",
    outage_supply: "No water",
    outage_power: "Power cut",
    outage_since: "since {time}",
    viewing_history: "Looking back in history",
    live_word: "live",
    reconnecting: "Connection lost, retrying…",
    no_live: "No live data (run with --store, --replay or --simulate)",
    error: "Error: {message}",
    hour: "Hour",
    mean: "Mean",
    forecast_at: "Forecast at {time} {date} for the next {hours} hours, {replications} replications.",
    gate_wait: "Waiting at gates",
    dock_wait: "Waiting at docks",
    seconds: " · {s} s",
    pick_problem: "Choose a decision-problem file.",
    cancelled: "Cancelled.",
    objective: "objective",
    pareto_head: "Pareto set: {n} candidates",
    best: "Best candidate",
    none_feasible: "No candidate meets the constraints; the closest",
    interval95: "(95% interval)",
    certificate: "{n} replications, {streams}; {procedure}",
    crn: "common random numbers",
    independent: "independent random numbers",
    reps_column: "replications",
    result_column: "result",
    checking: "Checking…",
    valid_scenario: "Valid: scenario “{name}” will be compared.",
    invalid_file: "Invalid file: {message}",
    pick_one: "Pick at least one scenario or upload a file.",
    compare_cancelled: "Comparison cancelled.",
    verdict: "Verdict",
    summary: "Summary",
    whatif_warnings: "Warnings",
    compare_note: "{n} paired replications (common random numbers), {days} days after 1 warm-up day; change = mean difference [95% interval] (% of the baseline); bold = significant.",
    more_kpis: "{n} more KPIs (each dock group, production): see <code>parktwin compare --all</code>.",
    water_supply: "Water supply",
    wastewater_plant: "Wastewater plant",
    legend_load: "Building load:",
    pct_peak: "{p}% of peak",
    no_power: "no power",
    legend_feeder: "Feeders:",
    pct_capacity: "{p}% of capacity",
    feeder_dead: "no supply",
    legend_trucks: "Trucks:",
    driving: "driving",
    queued: "waiting",
    served_gate: "at a gate / dock",
    no_figures: "No live figures yet",
    dock: "Docks {id}",
    dock_state: "{busy}/{docks} loading, {queue} waiting",
    electricity: "Power",
    powered: "on",
    unpowered: "NO POWER",
    power_kw: "Load",
    vs_peak: "Of peak",
    feeder: "Feeder",
    water: "Water",
    shift: "Shift",
    in_shift: "in shift",
    off_shift: "off shift",
    gate: "Gate {name}",
    waiting_trucks: "Trucks waiting",
    passing: "Passing the gate",
    lanes: "{busy}/{lanes} lanes",
    state: "State",
    closed: "CLOSED",
    feeder_id: "Feeder {id}",
    load: "Load",
  },
};

const LABELS = { vi: VI, en: EN };
let L = EN;

/* The language asked for in the address (?lang=vi|en), else the served default (/api/park's
   `language`: `serve --lang`, else the park's), else English. */
function pageLanguage(parkLanguage) {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked in LABELS) return asked;
  return parkLanguage in LABELS ? parkLanguage : "en";
}

/* Use one language on the whole page: the table `L` and every marked element of index.html. */
function setLanguage(lang) {
  L = LABELS[lang] || EN;
  document.documentElement.lang = lang in LABELS ? lang : "en";
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = L.page[el.dataset.t];
  for (const el of document.querySelectorAll("[data-t-html]")) el.innerHTML = L.page[el.dataset.tHtml];
  for (const el of document.querySelectorAll("[data-t-title]")) el.title = L.page[el.dataset.tTitle];
  for (const el of document.querySelectorAll("[data-t-aria]")) el.setAttribute("aria-label", L.page[el.dataset.tAria]);
}

/* A page text with its {fields} filled (values as given: escape them first where needed). */
function t(key, fields) {
  return L.page[key].replace(/\{(\w+)\}/g, (_, name) => (fields && name in fields ? String(fields[name]) : ""));
}

const NUMBER = {
  vi: new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 1 }),
  en: new Intl.NumberFormat("en-GB", { maximumFractionDigits: 1 }),
};
const NUMBER0 = {
  vi: new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 0 }),
  en: new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 }),
};

function fmt(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const lang = L === VI ? "vi" : "en";
  if (digits === 0 || Math.abs(value) >= 100) return NUMBER0[lang].format(value);
  return NUMBER[lang].format(value);
}

/* A number with exactly `digits` decimals (voltages in per unit: 0,962 / 0.962). */
function fmtFixed(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  const locale = L === VI ? "vi-VN" : "en-GB";
  return new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

function signed(value) {
  if (value === null || value === undefined) return "";
  const text = fmt(Math.abs(value));
  if (Math.abs(value) < 0.05) return "±0";
  return (value > 0 ? "+" : "−") + text;
}

/* "2026-01-05T10:15:00" (park-local, no offset) as a Date whose UTC fields are park time. */
function parkDate(iso) {
  return new Date(iso.length <= 19 ? iso + "Z" : iso);
}

function clockText(iso) {
  const d = parkDate(iso);
  return String(d.getUTCHours()).padStart(2, "0") + ":" + String(d.getUTCMinutes()).padStart(2, "0");
}

function dateText(iso) {
  const d = parkDate(iso);
  return L.weekdays[d.getUTCDay()] + ", " + String(d.getUTCDate()).padStart(2, "0") + "/" +
    String(d.getUTCMonth() + 1).padStart(2, "0") + "/" + d.getUTCFullYear();
}

/* Park-local ISO text of a Date made by parkDate. */
function isoText(date) {
  return date.toISOString().slice(0, 19);
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

/* Every request carries the token when the page was opened with ?token=. */
const TOKEN = new URLSearchParams(location.search).get("token");

function withToken(url) {
  if (!TOKEN) return url;
  return url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(TOKEN);
}

async function api(url, options) {
  const opts = Object.assign({ headers: {} }, options || {});
  if (TOKEN) opts.headers.Authorization = "Bearer " + TOKEN;
  const response = await fetch(url, opts);
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    const message = body && body.error ? body.error : response.status + " " + response.statusText;
    const err = new Error(message);
    err.status = response.status;
    throw err;
  }
  return body;
}
