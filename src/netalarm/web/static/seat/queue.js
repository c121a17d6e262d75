// The live queue: open incidents of the seat's subtree, ordered by priority and then by
// waiting time, each with its waiting time counting up (amber as the SLA to accept nears,
// red once it has passed), and the alerts a seat cannot miss: a tone and a notification for
// every new P1, a softer tone for any other new case, and a red banner (with a repeated tone)
// while any incident is over its SLA.
import { api } from "./api.js";
import { flashTitle, notify, stopFlash, tone } from "./alerts.js";
import { now as serverNow } from "./clock.js";
import { icon, pictogram } from "./words.js";

const OPEN = "received,accepted,dispatched,resolved";
const NEAR = 2 / 3; // share of the SLA after which a waiting incident turns amber
const REPEAT_MS = 5000;
const ALERT_MS = 20000;

// Counted from `sla_started_at`, on the server's clock: a case handed over to another centre
// waits there anew.
export function waited(incident, now = serverNow()) {
  return Math.max(0, (now - Date.parse(incident.sla_started_at)) / 1000);
}

export function clock(seconds) {
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

export class Queue {
  constructor({ list, banner, toasts, i18n, config, onOpen }) {
    Object.assign(this, { list, banner, toasts, i18n, config, onOpen });
    this.incidents = [];
    this.alerted = new Set();
    this.seen = null; // ids of the cases shown so far (null before the first refresh)
    this.selected = null;
    this.lastRepeat = 0;
    // The queue re-renders on every event; a row replaced between press and release would
    // swallow a click, so a press and a release on rows of the same incident open it.
    let pressed = null;
    this.list.addEventListener("pointerdown", (e) => {
      pressed = e.button === 0 ? e.target.closest("[data-id]")?.dataset.id ?? null : null;
    });
    this.list.addEventListener("pointerup", (e) => {
      const row = e.target.closest("[data-id]");
      if (row && row.dataset.id === pressed) this.onOpen(row.dataset.id);
      pressed = null;
    });
    this.list.addEventListener("keydown", (e) => {
      const row = e.target.closest("[data-id]");
      if (row && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); this.onOpen(row.dataset.id); }
    });
    this.banner.addEventListener("click", (e) => {
      const button = e.target.closest("[data-id]");
      if (button) this.onOpen(button.dataset.id);
    });
  }

  slaLevel(incident, now) {
    if (incident.status !== "received") return "none";
    const limit = this.config.sla_s[incident.priority];
    const w = waited(incident, now);
    return w > limit ? "over" : w >= limit * NEAR ? "near" : "ok";
  }

  async refresh() {
    const rows = await api(`/api/v1/incidents?status=${OPEN}&limit=500`, { background: true });
    const order = { P1: 1, P2: 2, P3: 3, P4: 4 };
    rows.sort((a, b) => order[a.priority] - order[b.priority] || Date.parse(a.sla_started_at) - Date.parse(b.sla_started_at));
    this.incidents = rows;
    this.render();
    this.announce();
    return rows;
  }

  ids() { return this.incidents.map((i) => i.id); }
  find(id) { return this.incidents.find((i) => i.id === id); }

  select(id) {
    this.selected = id;
    this.list.querySelectorAll("[data-id]").forEach((row) => row.classList.toggle("selected", row.dataset.id === id));
  }

  render() {
    // A seat moving through the queue by keyboard keeps its place when the rows are redrawn.
    const focused = this.list.contains(document.activeElement) ? document.activeElement.dataset.id : null;
    this.draw();
    const again = focused && this.list.querySelector(`[data-id="${focused}"]`);
    if (again) again.focus();
  }

  draw() {
    const { t } = this.i18n;
    if (!this.incidents.length) {
      this.list.innerHTML = `<li class="empty">${t("queue_empty")}</li>`;
      this.tick();
      return;
    }
    this.list.innerHTML = this.incidents.map((i) => `
      <li class="row prio-${i.priority} status-${i.status}${i.id === this.selected ? " selected" : ""}" data-id="${i.id}"
          data-case="${i.case_number}" data-priority="${i.priority}" tabindex="0">
        <span class="picto">${pictogram(i.category, t(`cat_${i.category}`))}</span>
        <span class="prio">${i.priority}</span>
        <span class="case">${i.case_number}</span>
        <span class="status">${t(`status_${i.status}`)}</span>
        <span class="wait" title="${t("waiting")}">00:00</span>
        <span class="marks">
          ${i.silent ? `<span class="silent">${icon("volume-x")} ${t("silent")}</span>` : ""}
          ${i.withdrawals && i.withdrawals.length ? `<span class="withdrawn">${icon("undo-2")} ${t("withdrawn_mark")}</span>` : ""}
          ${i.media_count ? `<span class="media-count" title="${t("media")}">${icon("paperclip")}${i.media_count}</span>` : ""}
          ${i.unread_count ? `<span class="unread-count" title="${t("unread")}">${icon("message-circle")}${i.unread_count}</span>` : ""}
        </span>
      </li>`).join("");
    this.tick();
  }

  // Every second: waiting times, colours, the SLA banner.
  tick() {
    const now = serverNow();
    const over = [];
    for (const incident of this.incidents) {
      const row = this.list.querySelector(`[data-id="${incident.id}"]`);
      const level = this.slaLevel(incident, now);
      if (level === "over") over.push(incident);
      if (!row) continue;
      row.querySelector(".wait").textContent = clock(waited(incident, now));
      row.classList.toggle("sla-near", level === "near");
      row.classList.toggle("sla-over", level === "over");
    }
    this.showBanner(over, now);
  }

  showBanner(over, now) {
    const { t } = this.i18n;
    if (!over.length) {
      this.banner.hidden = true;
      document.body.classList.remove("sla-breach");
      stopFlash();
      return;
    }
    const key = `${this.i18n.lang}:${over.map((i) => i.id).join()}`; // redrawn for a new language too
    if (this.banner.dataset.key !== key) {
      const cases = over.map((i) => `<button type="button" data-id="${i.id}">${i.case_number}</button>`).join(" ");
      this.banner.innerHTML = t("sla_banner", { cases });
      this.banner.dataset.key = key;
    }
    this.banner.hidden = false;
    document.body.classList.add("sla-breach");
    flashTitle(t("sla_banner", { cases: over.map((i) => i.case_number).join(", ") }));
    if (now - this.lastRepeat >= REPEAT_MS) {
      this.lastRepeat = now;
      tone(true);
    }
  }

  // A tone, a toast and a browser notification for each P1 not yet announced; the alerts of
  // cases no longer in this seat's view are taken down.
  announce() {
    const { t } = this.i18n;
    const ids = new Set(this.ids());
    this.toasts.keep(ids);
    let fresh = false;
    let alarmed = false;
    for (const incident of this.incidents) {
      if (this.seen && !this.seen.has(incident.id) && incident.status === "received") fresh = true;
      if (incident.priority !== "P1" || incident.status !== "received" || this.alerted.has(incident.id)) continue;
      this.alerted.add(incident.id);
      this.alert(incident, t("new_p1", { case: incident.case_number }));
      alarmed = true;
    }
    if (fresh && !alarmed) tone(false); // a P1's own tone is enough
    this.seen = new Set([...(this.seen || []), ...ids]);
  }

  alert(incident, text, title = this.i18n.t("notification_title")) {
    tone(true);
    notify(title, text, incident.id);
    this.toasts.show({
      text, glyph: "siren", kind: "alert", ms: ALERT_MS, id: incident.id, onClick: () => this.onOpen(incident.id),
    });
  }
}
