// Case history: the seat looks up any case of its centre and those below it, open or closed —
// by case number or words of the description, by status and by the days it was made (the
// seat's local days) — newest first, 50 at a time; a row opens the case in the console.
import { api } from "./api.js";
import { dateTime } from "../common/times.js";
import { esc } from "./dom.js";

const PAGE = 50;
const OPEN = "received,accepted,dispatched,resolved";

export class History {
  constructor({ root, i18n, onOpen }) {
    Object.assign(this, { root, i18n, onOpen });
    this.form = root.querySelector("form");
    this.rows = [];
    this.total = 0;
    this.asked = null; // the query of the rows shown
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.search().catch((error) => this.fail(error)); });
    root.querySelector(".history-more").addEventListener("click", () => this.more().catch((error) => this.fail(error)));
    root.querySelector("tbody").addEventListener("click", (e) => {
      const row = e.target.closest("[data-id]");
      if (row) this.onOpen(row.dataset.id);
    });
    root.querySelector("tbody").addEventListener("keydown", (e) => {
      const row = e.target.closest("[data-id]");
      if (row && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); this.onOpen(row.dataset.id); }
    });
  }

  // The form as query parameters; a "to" day counts whole (up to the next local midnight).
  query() {
    const f = new FormData(this.form);
    const params = new URLSearchParams({ limit: String(PAGE) });
    const text = String(f.get("q") || "").trim();
    if (text) params.set("q", text);
    const status = f.get("status");
    if (status === "open") params.set("status", OPEN);
    if (status === "closed") params.set("status", "closed");
    const since = f.get("since");
    const until = f.get("until");
    if (since) params.set("since", new Date(`${since}T00:00`).toISOString());
    if (until) {
      const end = new Date(`${until}T00:00`);
      end.setDate(end.getDate() + 1);
      params.set("until", end.toISOString());
    }
    return params;
  }

  async search() {
    this.asked = this.query();
    this.rows = [];
    await this.more();
    this.root.querySelector("table").focus();
  }

  async more() {
    if (!this.asked) return;
    const params = new URLSearchParams(this.asked);
    params.set("offset", String(this.rows.length));
    const answer = await api(`/api/v1/incidents?${params}`, { raw: true });
    this.rows = [...this.rows, ...(await answer.json())];
    this.total = Number(answer.headers.get("X-Total-Count") || this.rows.length);
    this.render();
  }

  fail(error) {
    const box = this.root.querySelector(".history-count");
    box.textContent = error.message;
    box.classList.add("error");
  }

  render() {
    const { t, lang } = this.i18n;
    const count = this.root.querySelector(".history-count");
    count.classList.remove("error");
    count.textContent = this.asked ? t("history_count", { shown: this.rows.length, total: this.total }) : "";
    this.root.querySelector("tbody").innerHTML = this.rows.map((i) => `
      <tr data-id="${i.id}" tabindex="0">
        <td class="case">${esc(i.case_number)}</td>
        <td>${esc(dateTime(i.created_at, lang))}</td>
        <td title="${esc(i.centre_name || "")}">${esc(i.centre)}</td>
        <td>${esc(t(`cat_${i.category}`))}</td>
        <td><span class="prio prio-${i.priority}">${i.priority}</span></td>
        <td><span class="status status-${i.status}">${esc(t(`status_${i.status}`))}</span></td>
        <td>${i.disposition ? esc(t(`disp_${i.disposition}`)) : ""}</td>
        <td class="desc">${esc(i.description || "")}</td>
      </tr>`).join("");
    this.root.querySelector(".history-more").hidden = this.rows.length >= this.total;
  }
}
