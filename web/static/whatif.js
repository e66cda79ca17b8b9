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
    this.uploadResult.textContent = t("checking");
    try {
      const body = await file.arrayBuffer();
      const checked = await api("/api/scenarios/check?name=" + encodeURIComponent(file.name), { method: "POST", body });
      this.uploaded = checked;
      this.coverDays();
      this.uploadResult.className = "small ok";
      this.uploadResult.textContent = t("valid_scenario", { name: checked.name });
    } catch (err) {
      this.uploadResult.className = "small error";
      this.uploadResult.textContent = t("invalid_file", { message: err.message });
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
    if (!scenarios.length) { this.showError(t("pick_one")); return; }
    const body = {
      scenarios,
      days: Number(document.getElementById("whatif-days").value),
      replications: Number(document.getElementById("whatif-reps").value),
      lang: document.documentElement.lang,
    };
    try {
      this.verdict.replaceChildren();
      this.table.replaceChildren();
      await this.start("/api/compare", { body: JSON.stringify(body), headers: { "Content-Type": "application/json" } }, t("compare_cancelled"));
    } catch (err) {
      this.showError(err.message);
    }
  }

  finished(doc) { this.showResult(doc); }

  showResult(doc) {
    const summary = (doc.summary || []).map((line) => line.startsWith("  ")
      ? `<p class="summary-detail small">${escapeHtml(line.trim())}</p>` : `<p><b>${escapeHtml(line)}</b></p>`).join("");
    this.verdict.innerHTML = (summary ? `<h2>${t("summary")}</h2>${summary}` : "") +
      `<h2>${t("verdict")}</h2>` + doc.verdicts.map((v) => `<p class="verdict-line">${escapeHtml(v)}</p>`).join("") +
      `<p class="muted small">${t("compare_note", { n: doc.replications, days: fmt(doc.days) })}</p>` +
      (doc.notes || []).map((n) => `<p class="whatif-note small">${escapeHtml(n)}</p>`).join("") +
      (doc.warnings && doc.warnings.length ? `<h2>${t("whatif_warnings")}</h2>` +
        doc.warnings.map((w) => `<p class="whatif-warning small">${escapeHtml(w)}</p>`).join("") : "");
    const table = doc.table;
    const head = "<tr>" + table.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("") + "</tr>";
    const row = (r, first) => `<tr${first ? ' class="section"' : ""}><td title="${escapeHtml(r.kpi)}">${escapeHtml(r.label || r.kpi)}</td><td>${escapeHtml(r.unit)}</td>` +
      `<td>${escapeHtml(r.baseline)}</td>` + r.cells.map((c) => `<td class="${c.significant ? "sig" : "dim"}">${escapeHtml(c.text)}</td>`).join("") + "</tr>";
    const body = [...table.changed.map((r) => row(r, false)), ...table.unchanged.map((r, i) => row(r, i === 0 && table.changed.length > 0))].join("");
    const hidden = table.hidden ? `<p class="muted small">${t("more_kpis", { n: table.hidden })}</p>` : "";
    this.table.innerHTML = `<table class="compare"><thead>${head}</thead><tbody>${body}</tbody></table>${hidden}`;
  }
}
