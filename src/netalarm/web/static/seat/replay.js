// Replay of a case from its timeline alone (the record the chain check vouches for): step by
// step, or played at one step a second, the panel shows the case as it stood after each
// entry — status, priority, category, centre, who had it, the reporter's position and its
// trail on the map, the conversation so far — beside the entries, the current one marked.
import { api } from "./api.js";
import { dateTime } from "../common/times.js";
import { esc } from "./dom.js";
import { IncidentMap } from "./map.js";
import { reason } from "./refusals.js";
import { icon } from "./words.js";

const PLAY_MS = 1000;

// The status an entry leaves the case in, where it sets one.
const STATUS_AFTER = {
  alarm_received: "received",
  received_from_network: "received",
  escalated_in: "received",
  received_by_transfer: "received",
  accepted: "accepted",
  dispatched: "dispatched",
  resolved: "resolved",
  closed: "closed",
  merged: "closed",
};
const FIRST = ["alarm_received", "received_from_network", "escalated_in"];

// The case after `entry`, from the case before it (never changed in place).
function after(before, entry) {
  const data = entry.data || {};
  const state = { ...before, at: entry.at };
  if (STATUS_AFTER[entry.type]) state.status = STATUS_AFTER[entry.type];
  if (FIRST.includes(entry.type)) {
    Object.assign(state, { priority: data.priority, category: data.category, centre: data.centre, silent: Boolean(data.silent) });
  }
  const where = entry.type === "location" ? data : FIRST.includes(entry.type) ? data.location : null;
  if (where && where.lat != null) {
    state.location = { lat: where.lat, lon: where.lon, accuracy_m: where.accuracy_m, source: where.source };
    state.locationAt = entry.at;
    state.trail = [...before.trail, state.location];
  }
  if (entry.type === "accepted" || entry.type === "taken_over") state.acceptedBy = data.seat;
  if (entry.type === "transferred" || entry.type === "escalated") state.centre = data.to;
  if (entry.type === "classified" && data.to) {
    if (data.to.priority) state.priority = data.to.priority;
    if (data.to.category) state.category = data.to.category;
  }
  if (entry.type === "closed") state.disposition = data.disposition;
  if (entry.type === "merged") state.disposition = "duplicate";
  if (entry.type === "withdrawn") state.withdrawn = data.reason;
  if (entry.type === "quiet_requested") state.silent = true;
  if (entry.type === "message" && data.message) state.chat = [...before.chat, data.message];
  return state;
}

function states(entries) {
  const out = [];
  let state = { trail: [], chat: [], location: null };
  for (const entry of entries) {
    state = after(state, entry);
    out.push(state);
  }
  return out;
}

function elapsed(fromIso, toIso) {
  const s = Math.max(0, Math.round((new Date(toIso) - new Date(fromIso)) / 1000));
  const h = Math.floor(s / 3600);
  const m = String(Math.floor((s % 3600) / 60)).padStart(h ? 2 : 1, "0");
  return `${h ? `${h}:` : ""}${m}:${String(s % 60).padStart(2, "0")}`;
}

export class Replay {
  constructor({ root, i18n, config, onBack }) {
    Object.assign(this, { root, i18n, config });
    this.$ = (selector) => root.querySelector(selector);
    this.entries = [];
    this.states = [];
    this.index = 0;
    this.timer = null;
    this.map = null;
    for (const [name, glyph] of [["first", "skip-back"], ["prev", "step-back"], ["next", "step-forward"], ["last", "skip-forward"]]) {
      this.$(`.replay-${name}`).innerHTML = icon(glyph);
    }
    this.$(".replay-back").addEventListener("click", () => { this.stop(); onBack(); });
    this.$(".replay-first").addEventListener("click", () => this.go(0));
    this.$(".replay-prev").addEventListener("click", () => this.go(this.index - 1));
    this.$(".replay-next").addEventListener("click", () => this.go(this.index + 1));
    this.$(".replay-last").addEventListener("click", () => this.go(this.entries.length - 1));
    this.$(".replay-play").addEventListener("click", () => (this.timer ? this.stop() : this.play()));
    this.$(".replay-slider").addEventListener("input", (e) => this.go(Number(e.target.value)));
    this.$(".replay-entries").addEventListener("click", (e) => {
      const item = e.target.closest("[data-index]");
      if (item) this.go(Number(item.dataset.index));
    });
  }

  // Shows the case's first step (the panel is in sight by then, so the map can measure itself).
  async open(incidentId, caseNumber) {
    this.stop();
    Object.assign(this, { incidentId, caseNumber, entries: [], states: [] });
    this.render();
    await this.load(0);
    this.$(".replay-play").focus();
  }

  // The timeline again, in the console's language (after a switch), staying at the same step.
  async reload() {
    if (this.incidentId) await this.load(this.index);
  }

  async load(index) {
    const error = this.$(".replay-error");
    try {
      this.entries = await api(`/api/v1/incidents/${this.incidentId}/timeline?lang=${this.i18n.lang}`);
    } catch (failure) {
      error.textContent = reason(this.i18n.t, failure);
      error.hidden = false;
      return;
    }
    error.hidden = true;
    this.states = states(this.entries);
    if (!this.map) this.map = new IncidentMap(this.$(".replay-map"), this.config);
    this.$(".replay-slider").max = String(Math.max(0, this.entries.length - 1));
    this.go(index);
  }

  play() {
    if (this.index >= this.entries.length - 1) this.go(0);
    this.timer = setInterval(() => {
      if (this.index >= this.entries.length - 1) this.stop();
      else this.go(this.index + 1);
    }, PLAY_MS);
    this.renderPlay();
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
    this.renderPlay();
  }

  go(index) {
    if (!this.entries.length) return;
    this.index = Math.min(Math.max(index, 0), this.entries.length - 1);
    this.render();
  }

  renderPlay() {
    const button = this.$(".replay-play");
    const playing = Boolean(this.timer);
    button.innerHTML = `${icon(playing ? "pause" : "play")} ${esc(this.i18n.t(playing ? "replay_pause" : "replay_play"))}`;
    button.setAttribute("aria-pressed", String(playing));
  }

  // Everything again in the current language (after a switch too).
  render() {
    const { t, lang } = this.i18n;
    this.$("h2").textContent = t("replay_title", { case: this.caseNumber || "" });
    this.renderPlay();
    if (!this.entries.length) return;
    const entry = this.entries[this.index];
    const state = this.states[this.index];
    this.$(".replay-slider").value = String(this.index);
    this.$(".replay-clock").textContent = t("replay_clock", {
      n: this.index + 1,
      total: this.entries.length,
      time: dateTime(entry.at, lang),
      elapsed: elapsed(this.entries[0].at, entry.at),
    });
    this.renderState(state);
    this.renderChat(state.chat);
    this.renderEntries();
    this.map.show({ location: state.location }, state.trail);
  }

  renderState(s) {
    const { t, lang } = this.i18n;
    const rows = [
      [t("history_state"), s.status ? t(`status_${s.status}`) + (s.disposition ? ` (${t(`disp_${s.disposition}`)})` : "") : "—"],
      [t("priority"), s.priority ? `${s.priority}${s.silent ? ` · ${t("silent")}` : ""}` : "—"],
      [t("category"), s.category ? t(`cat_${s.category}`) : "—"],
      [t("history_centre"), s.centre || "—"],
      [t("replay_seat"), s.acceptedBy || "—"],
      [t("position"), s.location
        ? t("replay_where", { lat: s.location.lat.toFixed(5), lon: s.location.lon.toFixed(5), m: Math.round(s.location.accuracy_m ?? 0), time: dateTime(s.locationAt, lang) })
        : t("no_position")],
    ];
    if (s.withdrawn) rows.push([t("replay_withdrawn"), t(`withdrawn_${s.withdrawn}`)]);
    this.$(".replay-state").innerHTML = rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("");
  }

  renderChat(chat) {
    const { t, lang } = this.i18n;
    this.$(".replay-chat").innerHTML = chat.length
      ? chat.map((m) => `<li class="msg from-${esc(m.from)}"><span class="at">${esc(dateTime(m.at, lang))}</span>
          <b>${esc(t(m.from === "reporter" ? "replay_reporter" : "replay_seat_said"))}</b> ${esc(m.text)}</li>`).join("")
      : `<li>${esc(t("replay_no_chat"))}</li>`;
  }

  renderEntries() {
    const { lang } = this.i18n;
    const list = this.$(".replay-entries");
    list.innerHTML = this.entries.map((e, i) => `
      <li data-index="${i}" class="${i > this.index ? "later" : ""}" ${i === this.index ? 'aria-current="step"' : ""}>
        <span class="seq">#${e.seq}</span> <span class="at">${esc(dateTime(e.at, lang))}</span>
        <span class="actor">${esc(e.who)}</span> <span class="words">${esc(e.words)}</span></li>`).join("");
    const current = list.querySelector('[aria-current="step"]');
    if (current) current.scrollIntoView({ block: "nearest" });
  }
}
