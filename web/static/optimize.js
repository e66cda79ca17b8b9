/* Find the best: upload a decision problem, run it as a job, show the best and its certificate. */
"use strict";

const STATUS_VI = { best: "tốt nhất", eliminated: "bị loại", infeasible: "không đạt ràng buộc", "not decided": "chưa quyết định" };

class FindBest {
  constructor() {
    this.form = document.getElementById("optimize-form");
    this.file = document.getElementById("problem-file");
    this.progress = document.getElementById("optimize-progress");
    this.errorBox = document.getElementById("optimize-error");
    this.result = document.getElementById("optimize-result");
    this.cancelButton = document.getElementById("optimize-cancel");
    this.runButton = document.getElementById("optimize-run");
    this.job = null;
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.run(); });
    this.cancelButton.addEventListener("click", () => this.cancel());
  }

  async run() {
    const file = this.file.files[0];
    this.showError(null);
    if (!file) { this.showError("Hãy chọn một tệp bài toán quyết định."); return; }
    try {
      const body = await file.arrayBuffer();
      const { job } = await api("/api/optimize?name=" + encodeURIComponent(file.name), { method: "POST", body });
      this.job = job;
      this.result.replaceChildren();
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
    this.progress.hidden = !running;
    this.cancelButton.hidden = !running;
    this.runButton.disabled = running;
  }

  async poll() {
    const id = this.job;
    let doc;
    try { doc = await api("/api/jobs/" + id); } catch (err) { this.showError(err.message); this.setRunning(false); return; }
    if (id !== this.job) return;
    this.progress.querySelector(".bar").style.width = Math.round(100 * doc.progress) + "%";
    this.progress.querySelector("span").textContent = `${VI.status[doc.status]} · ${Math.round(100 * doc.progress)}%`;
    if (doc.status === "queued" || doc.status === "running") { setTimeout(() => this.poll(), 500); return; }
    this.setRunning(false);
    if (doc.status === "done") this.show(doc.optimum);
    else if (doc.status === "failed") this.showError(doc.error);
    else this.showError("Đã hủy.");
  }

  showError(message) {
    this.errorBox.hidden = !message;
    this.errorBox.textContent = message || "";
  }

  show(opt) {
    const values = (v) => Object.entries(v).map(([k, x]) => `${escapeHtml(k)} = ${escapeHtml(x)}`).join(", ");
    const head = opt.best.feasible ? "Phương án tốt nhất" : "Không phương án nào đạt ràng buộc; gần nhất";
    const o = opt.best.objective;
    const keys = opt.candidates.length ? Object.keys(opt.candidates[0].values) : [];
    const rows = opt.candidates.map((c) => "<tr>" + keys.map((k) => `<td>${escapeHtml(c.values[k])}</td>`).join("") +
      `<td class="n">${fmt(c.objective.mean)} [${fmt(c.objective.ci95[0])}, ${fmt(c.objective.ci95[1])}]</td>` +
      `<td class="n">${c.replications}</td><td>${escapeHtml(STATUS_VI[c.status] || c.status)}</td></tr>`).join("");
    this.result.innerHTML = `<h2>${head}: ${values(opt.best.values)}</h2>` +
      `<p>${escapeHtml(opt.objective.target)}: ${fmt(o.mean)} [khoảng tin cậy 95% ${fmt(o.ci95[0])}, ${fmt(o.ci95[1])}]</p>` +
      `<p class="small">${escapeHtml(opt.certificate.guarantee)}</p>` +
      `<p class="muted small">${opt.certificate.total_replications} lần lặp, ${opt.certificate.common_random_numbers ? "cùng số ngẫu nhiên" : "số ngẫu nhiên độc lập"}; ${escapeHtml(opt.certificate.procedure)}</p>` +
      `<table class="compare"><thead><tr>${keys.map((k) => `<th>${escapeHtml(k)}</th>`).join("")}<th>mục tiêu [95%]</th><th>lần lặp</th><th>kết quả</th></tr></thead><tbody>${rows}</tbody></table>`;
  }
}
