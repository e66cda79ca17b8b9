/* What-if: choose bundled or uploaded scenarios, run a paired comparison, show the verdict. */
"use strict";

class WhatIf {
  constructor() {
    this.form = document.getElementById("whatif-form");
    this.list = document.getElementById("scenario-list");
    this.file = document.getElementById("scenario-file");
    this.uploadResult = document.getElementById("upload-result");
    this.progress = document.getElementById("whatif-progress");
    this.errorBox = document.getElementById("whatif-error");
    this.verdict = document.getElementById("whatif-verdict");
    this.table = document.getElementById("whatif-table");
    this.cancelButton = document.getElementById("whatif-cancel");
    this.runButton = document.getElementById("whatif-run");
    this.uploaded = null;
    this.job = null;
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.run(); });
    this.file.addEventListener("change", () => this.upload());
    this.cancelButton.addEventListener("click", () => this.cancel());
  }

  async load() {
    const { scenarios } = await api("/api/scenarios");
    this.list.replaceChildren(...scenarios.map((s) => {
      const label = document.createElement("label");
      label.title = s.applies ? (s.description || "") : s.error;
      label.className = s.applies ? "" : "disabled";
      label.innerHTML = `<input type="checkbox" name="scenario" value="${escapeHtml(s.name)}"${s.applies ? "" : " disabled"}> ${escapeHtml(s.name)}`;
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
      this.uploadResult.className = "small ok";
      this.uploadResult.textContent = `Hợp lệ: kịch bản “${checked.name}” sẽ được so sánh.`;
    } catch (err) {
      this.uploadResult.className = "small error";
      this.uploadResult.textContent = "Tệp không hợp lệ: " + err.message;
    }
  }

  chosen() {
    const names = [...this.list.querySelectorAll("input:checked")].map((i) => i.value);
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
      const { job } = await api("/api/compare", { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
      this.job = job;
      this.verdict.replaceChildren();
      this.table.replaceChildren();
      this.setRunning(true);
      this.poll();
    } catch (err) {
      this.showError(err.message);
    }
  }

  async cancel() {
    if (this.job) await api("/api/jobs/" + this.job, { method: "DELETE" }).catch(() => null);
  }

  setRunning(running) {
    this.progress.hidden = !running && !this.job;
    this.cancelButton.hidden = !running;
    this.runButton.disabled = running;
  }

  async poll() {
    const id = this.job;
    let doc;
    try { doc = await api("/api/jobs/" + id); } catch (err) { this.showError(err.message); this.setRunning(false); return; }
    if (id !== this.job) return;
    this.progress.querySelector(".bar").style.width = Math.round(100 * doc.progress) + "%";
    this.progress.querySelector("span").textContent = `${VI.status[doc.status]} · ${Math.round(100 * doc.progress)}%` +
      (doc.elapsed_s !== undefined ? ` · ${fmt(doc.elapsed_s, 0)} giây` : "");
    if (doc.status === "queued" || doc.status === "running") { setTimeout(() => this.poll(), 500); return; }
    this.setRunning(false);
    if (doc.status === "done") this.showResult(doc);
    else if (doc.status === "failed") this.showError(doc.error);
    else this.showError("Đã hủy phép so sánh.");
  }

  showError(message) {
    this.errorBox.hidden = !message;
    this.errorBox.textContent = message || "";
  }

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
