/* What-if: choose bundled or uploaded scenarios, run a paired comparison, show the verdict. */
"use strict";

class WhatIf extends JobPanel {
  constructor() {
    super("whatif");
    this.list = document.getElementById("scenario-list");
    this.file = document.getElementById("scenario-file");
    this.uploadResult = document.getElementById("upload-result");
    this.verdict = document.getElementById("whatif-verdict");
    this.table = document.getElementById("whatif-table");
    this.uploaded = null;
    this.file.addEventListener("change", () => this.upload());
    this.list.addEventListener("change", () => this.coverDays());
  }

  async load() {
    const { scenarios } = await api("/api/scenarios");
    // scenarios given to the server come with their document, sent back to compare them
    this.documents = Object.fromEntries(scenarios.filter((s) => s.document).map((s) => [s.name, s.document]));
    this.list.replaceChildren(...scenarios.map((s) => {
      const label = document.createElement("label");
      label.title = s.applies ? (s.description || "") : s.error;
      label.className = s.applies ? "" : "disabled";
      label.innerHTML = `<input type="checkbox" name="scenario" value="${escapeHtml(s.name)}" data-min-days="${Number(s.min_days) || 0}"${s.applies ? "" : " disabled"}> ${escapeHtml(s.name)}`;
      return label;
    }));
  }

  async upload() {
    this.uploaded = null;
    const file = this.file.files[0];
    if (!file) { this.uploadResult.textContent = ""; return; }
    this.uploadResult.className = "small";
    this.uploadResult.textContent = "Đang kiểm tra…";
    try {
      const body = await file.arrayBuffer();
      const checked = await api("/api/scenarios/check?name=" + encodeURIComponent(file.name), { method: "POST", body });
      this.uploaded = checked;
      this.coverDays();
      this.uploadResult.className = "small ok";
      this.uploadResult.textContent = `Hợp lệ: kịch bản “${checked.name}” sẽ được so sánh.`;
    } catch (err) {
      this.uploadResult.className = "small error";
      this.uploadResult.textContent = "Tệp không hợp lệ: " + err.message;
    }
  }

  /* Simulate at least as many days as the chosen scenarios' events need (the server refuses less). */
  coverDays() {
    const ticked = [...this.list.querySelectorAll("input:checked")].map((i) => Number(i.dataset.minDays) || 0);
    const needed = Math.max(0, ...ticked, this.uploaded ? Number(this.uploaded.min_days) || 0 : 0);
    const days = document.getElementById("whatif-days");
    if (Number(days.value) < needed) days.value = String(needed);
  }

  chosen() {
    const names = [...this.list.querySelectorAll("input:checked")]
      .map((i) => (this.documents || {})[i.value] || i.value);
    return this.uploaded ? [...names, this.uploaded.document] : names;
  }

  async run() {
    const scenarios = this.chosen();
    this.showError(null);
    if (!scenarios.length) { this.showError("Hãy chọn ít nhất một kịch bản hoặc tải lên một tệp."); return; }
    const body = {
      scenarios,
      days: Number(document.getElementById("whatif-days").value),
      replications: Number(document.getElementById("whatif-reps").value),
    };
    try {
      this.verdict.replaceChildren();
      this.table.replaceChildren();
      await this.start("/api/compare", { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }, "Đã hủy phép so sánh.");
    } catch (err) {
      this.showError(err.message);
    }
  }

  finished(doc) { this.showResult(doc); }

  showResult(doc) {
    this.verdict.innerHTML = "<h2>Kết luận</h2>" + doc.verdicts.map((v) => `<p class="verdict-line">${escapeHtml(v)}</p>`).join("") +
      `<p class="muted small">${doc.replications} lần lặp ghép cặp (cùng số ngẫu nhiên), ${fmt(doc.days)} ngày sau 1 ngày khởi động; ` +
      "thay đổi = chênh lệch trung bình [khoảng tin cậy 95%] (% so với hiện trạng); in đậm = có ý nghĩa thống kê.</p>";
    const t = doc.table;
    const head = "<tr>" + t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("") + "</tr>";
    const row = (r, first) => `<tr${first ? ' class="section"' : ""}><td>${escapeHtml(r.kpi)}</td><td>${escapeHtml(r.unit)}</td>` +
      `<td>${escapeHtml(r.baseline)}</td>` + r.cells.map((c) => `<td class="${c.significant ? "sig" : "dim"}">${escapeHtml(c.text)}</td>`).join("") + "</tr>";
    const body = [...t.changed.map((r) => row(r, false)), ...t.unchanged.map((r, i) => row(r, i === 0 && t.changed.length > 0))].join("");
    const hidden = t.hidden ? `<p class="muted small">Còn ${t.hidden} chỉ số khác (từng nhóm bến, sản lượng): xem <code>parktwin compare --all</code>.</p>` : "";
    this.table.innerHTML = `<table class="compare"><thead>${head}</thead><tbody>${body}</tbody></table>${hidden}`;
  }
}
