// Open reports near the open case (GET …/nearby: within 500 m and an hour): on a bad day many
// people report the same fire or crash. Each row says how far and how much earlier or later it
// came and how it starts; a case is opened by its number, merged into the open case with one
// button (after a confirmation), or all of them at once.
import { api } from "./api.js";
import { esc } from "./dom.js";
import { refusal } from "./refusals.js";
import { pictogram } from "./words.js";

const MERGEABLE = ["received", "accepted"];

export class Nearby {
  // `badge`: a button in the case's header saying how many there are, leading to the list.
  constructor({ root, badge, i18n, onOpen, onMerged, say }) {
    Object.assign(this, { root, badge, i18n, onOpen, onMerged, say });
    this.incident = null;
    this.rows = [];
    root.addEventListener("click", (e) => {
      const open = e.target.closest("[data-open]");
      if (open) this.onOpen(open.dataset.open);
      const merge = e.target.closest("[data-merge]");
      if (merge) this.merge([this.rows.find((r) => r.id === merge.dataset.merge)]);
      if (e.target.closest("[data-merge-all]")) this.merge(this.mergeable());
    });
    badge.addEventListener("click", () => {
      this.root.scrollIntoView({ block: "center" });
      const first = this.root.querySelector("button");
      if (first) first.focus();
    });
  }

  mergeable() {
    return this.incident && this.incident.status !== "closed" ? this.rows.filter((r) => MERGEABLE.includes(r.status)) : [];
  }

  async show(incident) {
    this.incident = incident;
    const rows = await api(`/api/v1/incidents/${incident.id}/nearby`, { background: true });
    if (this.incident !== incident) return; // another case was opened meanwhile
    this.rows = rows;
    this.render();
  }

  render() {
    const { t } = this.i18n;
    const list = this.root.querySelector("ul");
    const here = this.incident;
    if (!here) return;
    const can = new Set(this.mergeable().map((r) => r.id));
    list.innerHTML = this.rows.length
      ? this.rows.map((r) => {
        const minutes = Math.round((new Date(r.created_at) - new Date(here.created_at)) / 60000);
        return `<li>
          <button type="button" class="link" data-open="${r.id}">${esc(r.case_number)}</button>
          ${pictogram(r.category, esc(t(`cat_${r.category}`)))}
          <span class="prio prio-${esc(r.priority)}">${esc(r.priority)}</span>
          ${esc(t("nearby_where", { m: r.distance_m, minutes: minutes > 0 ? `+${minutes}` : String(minutes) }))}
          · ${esc(t(`status_${r.status}`))}
          ${r.description ? `<q>${esc(r.description)}</q>` : ""}
          ${can.has(r.id) ? `<button type="button" data-merge="${r.id}">${esc(t("nearby_merge"))}</button>` : ""}
        </li>`;
      }).join("")
      : `<li>${esc(t(here.location ? "nearby_none" : "nearby_no_position"))}</li>`;
    this.badge.hidden = !this.rows.length;
    this.badge.textContent = t("nearby_badge", { n: this.rows.length });
    const all = this.root.querySelector("[data-merge-all]");
    all.hidden = can.size < 2;
    all.textContent = t("nearby_merge_all", { n: can.size });
  }

  // Each report merged into the open case in turn; what was refused is said, with why.
  async merge(rows) {
    const { t } = this.i18n;
    const into = this.incident;
    if (!rows.length || !into) return;
    const cases = rows.map((r) => r.case_number).join(", ");
    if (!confirm(t("nearby_confirm", { cases, into: into.case_number }))) return;
    const refused = [];
    for (const r of rows) {
      try {
        await api(`/api/v1/incidents/${r.id}/actions/merge`, { method: "POST", body: { into: into.id } });
      } catch (error) {
        refused.push(`${r.case_number}: ${refusal(t, error)}`);
      }
    }
    const merged = rows.length - refused.length;
    this.say(
      [t("nearby_merged", { n: merged, into: into.case_number }), ...refused].join(" "),
      refused.length ? "error" : "info",
    );
    await this.onMerged();
  }
}
