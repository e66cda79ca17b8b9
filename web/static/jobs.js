/* A job panel: start a background job (what-if, find the best), show its progress, cancel it. */
"use strict";

class JobPanel {
  /* Elements by id: PREFIX-form, -run, -cancel, -progress, -error. */
  constructor(prefix) {
    this.form = document.getElementById(prefix + "-form");
    this.runButton = document.getElementById(prefix + "-run");
    this.cancelButton = document.getElementById(prefix + "-cancel");
    this.progress = document.getElementById(prefix + "-progress");
    this.errorBox = document.getElementById(prefix + "-error");
    this.job = null;
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.run(); });
    this.cancelButton.addEventListener("click", () => this.cancel());
  }

  /* POST to url; then poll the job until it ends and call this.finished(doc) when done. */
  async start(url, options, cancelledText) {
    this.cancelledText = cancelledText;
    const { job } = await api(url, Object.assign({ method: "POST" }, options));
    this.job = job;
    this.setRunning(true);
    this.poll();
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
    this.progress.querySelector("span").textContent = `${L.status[doc.status]} · ${Math.round(100 * doc.progress)}%` +
      (doc.elapsed_s !== undefined ? t("seconds", { s: fmt(doc.elapsed_s, 0) }) : "");
    if (doc.status === "queued" || doc.status === "running") { setTimeout(() => this.poll(), 500); return; }
    this.setRunning(false);
    if (doc.status === "done") this.finished(doc);
    else if (doc.status === "failed") this.showError(doc.error);
    else this.showError(this.cancelledText);
  }

  showError(message) {
    this.errorBox.hidden = !message;
    this.errorBox.textContent = message || "";
  }
}
