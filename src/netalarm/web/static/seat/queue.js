// The live queue: the open incidents of the seat's subtree, the most urgent priority first and
// then the longest waiting (the server orders them, `order=queue`, and sends at most LIMIT:
// on a disaster's worst day the P1s waiting longest are listed, never cut off by newer
// cases), each with its waiting time counting up (amber as the SLA to accept nears, red once
// it has passed), and the alerts a seat cannot miss: a tone and a notification for new P1s, a
// softer tone for any other new case, and a red banner (with a repeated tone) while any
// incident is over its SLA, counting every late case of the view, listed or not. The rows
// come from the server's reads (queue_sync.js): the whole page, or the rows events named,
// merged here in the queue's order. A read redraws only the rows that changed; new P1s
// arriving together are told in one toast ("12 new P1 alarms"), and the queue's tones sound at
// most every SOUND_GAP_MS, so a wave of alarms neither freezes the page nor drowns the seat.
import { flashTitle, notify, stopFlash, tone } from "./alerts.js";
import { now as serverNow } from "./clock.js";
import { esc } from "./dom.js";
import { icon, pictogram } from "./words.js";

export const LIMIT = 500; // rows listed at most (the server's largest page)
const NEAR = 2 / 3; // share of the SLA after which a waiting incident turns amber
const REPEAT_MS = 5000;
const ALERT_MS = 20000;
const SOUND_GAP_MS = 3000;
const BANNER_CASES = 12; // late cases named in the banner; the rest are counted

export function waited(incident, now = serverNow()) {
  return Math.max(0, (now - Date.parse(incident.sla_started_at)) / 1000);
}

// The queue's order, as the server's: the most urgent priority first, then the longest waiting.
function order(a, b) {
  if (a.priority !== b.priority) return a.priority < b.priority ? -1 : 1;
  const waits = Date.parse(a.sla_started_at) - Date.parse(b.sla_started_at);
  if (waits) return waits;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
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
    this.total = 0; // open incidents in all, listed or not
    this.lateUnlisted = 0; // open incidents past their SLA that are not listed, at the last read
    this.rows = new Map(); // incident id -> its row in the list
    this.alerted = new Set();
    this.seen = null; // ids of the cases shown so far (null before the first refresh)
    this.selected = null;
    this.lastRepeat = 0;
    this.lastSound = 0;
    // A row may move between press and release; a press and a release on rows of the same
    // incident open it.
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

  // A read of `GET /api/v1/seat/queue`: the whole page (`ids` null), or the rows of `ids` still
  // open in view (the others of `ids` have left it). The seats gone (`away`) mark every row they
  // hold; the late cases not listed are the server's exact count less those listed.
  apply(answer, ids) {
    this.incidents = ids === null ? answer.rows : this.merge(answer.rows, ids);
    this.total = answer.total;
    const away = new Set(answer.away);
    for (const i of this.incidents) {
      if (i.holder_present !== null) i.holder_present = !away.has(i.accepted_by);
    }
    const at = Date.parse(answer.server_time);
    const listedLate = this.incidents.filter((i) => this.slaLevel(i, at) === "over").length;
    this.lateUnlisted = Math.max(0, answer.overdue - listedLate);
    this.render();
    this.announce();
  }

  // The rows read again put in place. While the list does not hold every open case, a row that
  // would fall past its last is left out: cases not listed may come before it (the next whole
  // read lists it if it belongs).
  merge(rows, ids) {
    const read = new Set(ids);
    const last = this.total > this.incidents.length ? this.incidents[this.incidents.length - 1] : null;
    const kept = this.incidents.filter((i) => !read.has(i.id));
    const fresh = last ? rows.filter((r) => order(r, last) <= 0) : rows;
    return [...kept, ...fresh].sort(order).slice(0, LIMIT);
  }

  // Whether fewer rows are listed than the page holds while more cases are open (cases that
  // left made room): the whole page fills it.
  short() {
    return this.total > this.incidents.length && this.incidents.length < LIMIT;
  }

  ids() { return this.incidents.map((i) => i.id); }
  find(id) { return this.incidents.find((i) => i.id === id); }

  select(id) {
    this.selected = id;
    this.rows.forEach((row, rowId) => row.classList.toggle("selected", rowId === id));
  }

  render() {
    // A seat moving through the queue by keyboard keeps its place when rows move.
    const focused = this.list.contains(document.activeElement) ? document.activeElement.dataset.id : null;
    this.draw();
    const again = focused && this.rows.get(focused);
    if (again && document.activeElement !== again) again.focus();
  }

  // Puts the rows in the queue's order, reusing each incident's row and rewriting it only
  // when what it shows has changed.
  draw() {
    const { t } = this.i18n;
    this.list.querySelectorAll(":scope > li:not([data-id])").forEach((li) => li.remove());
    const rows = new Map();
    let next = this.list.firstElementChild;
    for (const incident of this.incidents) {
      const row = this.rows.get(incident.id) || document.createElement("li");
      this.fill(row, incident, t);
      rows.set(incident.id, row);
      if (row === next) next = next.nextElementSibling;
      else this.list.insertBefore(row, next);
    }
    while (next) {
      const after = next.nextElementSibling;
      next.remove();
      next = after;
    }
    this.rows = rows;
    if (!this.incidents.length) this.list.insertAdjacentHTML("beforeend", `<li class="empty">${t("queue_empty")}</li>`);
    if (this.total > this.incidents.length) {
      const more = t("queue_more", { shown: this.incidents.length, total: this.total });
      this.list.insertAdjacentHTML("beforeend", `<li class="more">${more}</li>`);
    }
    this.tick();
  }

  fill(row, i, t) {
    const withdrawn = i.withdrawals && i.withdrawals.length;
    const away = i.holder_present === false;
    const shows = [this.i18n.lang, i.priority, i.status, i.case_number, i.category, i.silent, withdrawn, away, i.media_count, i.unread_count].join("|");
    row.classList.toggle("selected", i.id === this.selected);
    if (row.dataset.shows === shows) return;
    row.className = `row prio-${i.priority} status-${i.status}${i.id === this.selected ? " selected" : ""}`;
    Object.assign(row.dataset, { id: i.id, case: i.case_number, priority: i.priority, shows });
    row.tabIndex = 0;
    row.innerHTML = `
        <span class="picto">${pictogram(i.category, t(`cat_${i.category}`))}</span>
        <span class="prio">${i.priority}</span>
        <span class="case">${i.case_number}</span>
        <span class="status">${t(`status_${i.status}`)}</span>
        <span class="wait" title="${t("waiting")}">00:00</span>
        <span class="marks">
          ${i.silent ? `<span class="silent">${icon("volume-x")} ${t("silent")}</span>` : ""}
          ${withdrawn ? `<span class="withdrawn">${icon("undo-2")} ${t("withdrawn_mark")}</span>` : ""}
          ${away ? `<span class="holder-away" title="${esc(t("holder_away_title", { seat: i.accepted_by }))}">${icon("user-x")} ${t("holder_away")}</span>` : ""}
          ${i.media_count ? `<span class="media-count" title="${t("media")}">${icon("paperclip")}${i.media_count}</span>` : ""}
          ${i.unread_count ? `<span class="unread-count" title="${t("unread")}">${icon("message-circle")}${i.unread_count}</span>` : ""}
        </span>`;
  }

  // Every second: waiting times, colours, the SLA banner.
  tick() {
    const now = serverNow();
    const over = [];
    for (const incident of this.incidents) {
      const row = this.rows.get(incident.id);
      const level = this.slaLevel(incident, now);
      if (level === "over") over.push(incident);
      if (!row) continue;
      const wait = row.querySelector(".wait");
      const text = clock(waited(incident, now));
      if (wait.textContent !== text) wait.textContent = text;
      row.classList.toggle("sla-near", level === "near");
      row.classList.toggle("sla-over", level === "over");
    }
    this.showBanner(over, over.length + this.lateUnlisted, now);
  }

  // `over`: the listed cases past their SLA, named (the first BANNER_CASES); `late`: every
  // case of the view past it, listed or not, counted.
  showBanner(over, late, now) {
    const { t } = this.i18n;
    if (!late) {
      this.banner.hidden = true;
      document.body.classList.remove("sla-breach");
      stopFlash();
      return;
    }
    const named = over.slice(0, BANNER_CASES);
    const more = late - named.length;
    const key = `${this.i18n.lang}:${named.map((i) => i.id).join()}:${late}`; // redrawn for a new language too
    if (this.banner.dataset.key !== key) {
      const buttons = named.map((i) => `<button type="button" data-id="${i.id}">${i.case_number}</button>`);
      if (more > 0) buttons.push(`<span class="more">${this.lateMore(named.length, more)}</span>`);
      this.banner.innerHTML = t("sla_banner", { cases: buttons.join(" ") });
      this.banner.dataset.key = key;
      this.banner.dataset.late = String(late);
    }
    this.banner.hidden = false;
    document.body.classList.add("sla-breach");
    const cases = named.map((i) => i.case_number);
    if (more > 0) cases.push(this.lateMore(named.length, more));
    flashTitle(t("sla_banner", { cases: cases.join(", ") }));
    if (now - this.lastRepeat >= REPEAT_MS) {
      this.lastRepeat = now;
      tone(true);
    }
  }

  // The banner's words for the late cases it does not name: "and 3 more" after named ones,
  // "3 cases not listed" when none of the late cases is listed.
  lateMore(named, more) {
    const { t } = this.i18n;
    if (named) return t("sla_banner_more", { n: more });
    return t(more === 1 ? "sla_banner_unlisted_one" : "sla_banner_unlisted", { n: more });
  }

  // A new case's or an alert's tone, unless one sounded less than SOUND_GAP_MS ago: a wave of
  // arrivals or escalations is one siren, not dozens at once.
  sound(urgent) {
    if (Date.now() - this.lastSound < SOUND_GAP_MS) return;
    this.lastSound = Date.now();
    tone(urgent);
  }

  // The P1s not yet announced, in one alert: a tone, a toast and a browser notification
  // naming the case; when more come while it is up, it counts them instead ("12 new P1
  // alarms") and still opens the longest waiting. A new case of another priority sounds a
  // softer tone. The alerts of cases no longer in this seat's view are taken down.
  announce() {
    const { t } = this.i18n;
    const ids = new Set(this.ids());
    this.toasts.keep(ids);
    let fresh = false;
    const p1s = [];
    for (const incident of this.incidents) {
      if (this.seen && !this.seen.has(incident.id) && incident.status === "received") fresh = true;
      if (incident.priority !== "P1" || incident.status !== "received" || this.alerted.has(incident.id)) continue;
      this.alerted.add(incident.id);
      p1s.push(incident);
    }
    this.seen = new Set([...(this.seen || []), ...ids]);
    if (!p1s.length) {
      if (fresh) this.sound(false);
      return;
    }
    const all = this.toasts.gather("new-p1", p1s);
    const [first] = all;
    const many = all.length > 1;
    const text = many ? t("new_p1_many", { n: all.length, case: first.case_number }) : t("new_p1", { case: first.case_number });
    this.alert(first, text, t(many ? "notification_title_many" : "notification_title"), "new-p1");
  }

  // A case to act on: new, handed to this centre, or overdue (see notices.js). `key` makes it
  // replace the alert (and notification) of that key still up, which counts a burst.
  alert(incident, text, title, key) {
    this.sound(true);
    notify(title, text, key);
    this.toasts.show({
      text, glyph: "siren", kind: "alert", ms: ALERT_MS, id: incident.id, key, onClick: () => this.onOpen(incident.id),
    });
  }
}
