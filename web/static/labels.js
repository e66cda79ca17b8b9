/* Vietnamese labels and number/time formatting shared by the page's scripts. */
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
};

const NUMBER = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 1 });
const NUMBER0 = new Intl.NumberFormat("vi-VN", { maximumFractionDigits: 0 });

function fmt(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (digits === 0 || Math.abs(value) >= 100) return NUMBER0.format(value);
  return NUMBER.format(value);
}

/* A number with exactly `digits` decimals (voltages in per unit: 0,962). */
function fmtFixed(value, digits) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return new Intl.NumberFormat("vi-VN", { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
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
  return VI.weekdays[d.getUTCDay()] + ", " + String(d.getUTCDate()).padStart(2, "0") + "/" +
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
