// The incident view: case data, map, description, reporter identity (each opening is
// recorded on the timeline), earlier alarms of the same person, open reports nearby to merge
// (nearby.js), the media (media.js), the chat, SMS and call-backs (reach.js), and the full
// timeline with its chain check.
import { api } from "./api.js";
import { Chat } from "./chat.js";
import { now as serverNow } from "./clock.js";
import { dateTime, time } from "../common/times.js";
import { esc } from "./dom.js";
import { IncidentMap } from "./map.js";
import { MediaList } from "./media.js";
import { Nearby } from "./nearby.js";
import { clock, waited } from "./queue.js";
import { phoneMark, Reach } from "./reach.js";
import { reason, refusal } from "./refusals.js";
import { icon, pictogram } from "./words.js";

const NEARBY_EVERY_MS = 10_000;

export class IncidentView {
  constructor({ root, i18n, config, seat, why }) {
    Object.assign(this, { root, i18n, config, seat, why });
    this.id = null;
    this.goneId = null;
    this.incident = null;
    this.map = null;
    this.$ = (sel) => root.querySelector(sel);
    this.chat = new Chat({ root: this.$(".chat"), i18n, onSent: () => this.refresh(), onFile: (id) => this.media.reveal(id) });
    this.media = new MediaList({ root: this.$("#media"), i18n, onRead: () => this.refresh() });
    this.reach = new Reach({ root: this.$("#reach"), i18n, onDone: () => this.refresh({ background: false }) });
    this.$("#identity-button").addEventListener("click", () => this.showIdentity());
    this.$("#report-button").addEventListener("click", () => this.openReport());
    this.nearby = new Nearby({
      root: this.$("#nearby"), badge: this.$("#inc-nearby"), i18n, onOpen: (id) => this.open(id), say: (text, kind) => this.say(text, kind),
      onMerged: () => this.refresh({ background: false, nearby: true }),
    });
    this.nearbyAt = 0;
    this.$("#earlier").addEventListener("click", (e) => {
      const link = e.target.closest("[data-id]");
      if (link) this.open(link.dataset.id);
    });
    setInterval(() => this.tickWaiting(), 1000);
  }

  async open(id) {
    if (id !== this.id) {
      this.id = id;
      this.goneId = null;
      this.$("#identity").innerHTML = "";
      this.say("");
    }
    this.root.hidden = false;
    document.getElementById("placeholder").hidden = true;
    if (!this.map) this.map = new IncidentMap(this.$("#map"), this.config);
    await this.refresh({ moveMap: true, background: false });
    this.root.dispatchEvent(new CustomEvent("opened", { detail: { id }, bubbles: true }));
  }

  // The incident `id`, open until now, left this seat's sight (transferred or escalated to
  // another centre): the placeholder says where it went and why, when the feed told.
  gone(id) {
    const { t } = this.i18n;
    this.id = null;
    this.incident = null;
    this.goneId = id;
    this.root.hidden = true;
    const placeholder = document.getElementById("placeholder");
    const why = this.why(id);
    placeholder.textContent = why ? `${why} ${t("pick_incident")}` : t("gone");
    placeholder.hidden = false;
  }

  say(text, kind = "info") {
    const box = this.$("#inc-message");
    box.textContent = text;
    box.className = text ? `notice ${kind}` : "notice";
  }

  async refresh({ moveMap = false, background = true, nearby = false } = {}) {
    if (!this.id) return;
    const base = `/api/v1/incidents/${this.id}`;
    const id = this.id;
    let incident, messages, timeline, verify, sms;
    try {
      [incident, messages, timeline, verify, sms] = await Promise.all([
        api(base, { background }),
        api(`${base}/messages`, { background }),
        api(`${base}/timeline?lang=${this.i18n.lang}`, { background }),
        api(`${base}/timeline/verify`, { background }),
        api(`${base}/sms`, { background }),
      ]);
    } catch (error) {
      if (error.status === 404 && this.incident && this.incident.id === id) this.gone(id);
      throw error;
    }
    if (id !== this.id) return;
    const positionChanged = JSON.stringify(incident.location) !== JSON.stringify(this.incident && this.incident.location);
    this.incident = incident;
    this.renderHead(incident);
    this.chat.show(incident, messages);
    this.reach.show(incident, sms);
    this.renderTimeline(timeline, verify);
    if (moveMap || positionChanged) {
      const trail = await api(`${base}/locations`, { background });
      // A position comes with the alarm or as a later update; the trail's last is the newest.
      this.positionAt = trail.length ? trail[trail.length - 1].at : incident.created_at;
      this.renderPosition(incident);
      this.map.show(incident, trail);
    }
    // New reports nearby come in all the time on a bad day: looked for again every 10 s.
    const lookNearby = moveMap || nearby || positionChanged || Date.now() - this.nearbyAt > NEARBY_EVERY_MS;
    if (lookNearby) this.nearbyAt = Date.now();
    await Promise.all([
      moveMap ? this.loadEarlier() : null,
      lookNearby ? this.nearby.show(incident) : null,
      this.media.show(id),
    ]);
    this.root.dispatchEvent(new CustomEvent("refreshed", { detail: incident, bubbles: true }));
  }

  renderHead(i) {
    const { t, lang } = this.i18n;
    this.$("#inc-case").textContent = i.case_number;
    this.$("#inc-facts").innerHTML = `
      <span class="picto">${pictogram(i.category, esc(t(`cat_${i.category}`)))}</span>
      <span class="prio prio-${i.priority}">${i.priority}</span>
      <span class="cat">${esc(t(`cat_${i.category}`))}</span>
      <span class="status status-${i.status}" id="inc-status" data-status="${i.status}">${esc(t(`status_${i.status}`))}</span>
      ${i.silent ? `<span class="silent">${icon("volume-x")} ${esc(t("silent"))}</span>` : ""}
      <span class="centre">${esc(i.centre)} ${esc(i.centre_name || "")}</span>
      <span class="created">${dateTime(i.created_at, lang)}</span>
      <span class="wait" id="inc-wait"></span>
      ${i.accepted_by ? `<span class="by" id="inc-accepted-by">${esc(i.accepted_by)}</span>` : ""}`;
    this.$("#description").textContent = i.description || t("no_description");
    this.renderFrom(i);
    this.renderWithdrawals(i);
    this.tickWaiting();
  }

  // A case from the 110 link: which network case it is, who forwarded it, and when the
  // reporter raised the alarm (the case here began when it arrived, maybe long after).
  renderFrom(i) {
    const { t, lang } = this.i18n;
    const box = this.$("#inc-from");
    const from = i.from_network;
    box.hidden = !from;
    if (!from) return;
    const reported = from.reported_at || i.created_at;
    box.textContent = t("from_network", {
      case: from.case_number, centre: from.centre || "", seat: from.forwarded_by || "",
      reported: dateTime(reported, lang),
      minutes: Math.max(0, Math.round((Date.parse(from.received_at || i.created_at) - Date.parse(reported)) / 60000)),
    });
  }

  // The reporter took the alarm back: said above the actions until the case is closed, with
  // what the seat still owes them (a withdrawal may be made under duress). Likewise a case
  // from the network side that its seats finished or closed there (the reporter then out of
  // reach of the chat).
  renderWithdrawals(i) {
    const { t, lang } = this.i18n;
    const box = this.$("#inc-withdrawn");
    const withdrawals = i.withdrawals || [];
    box.hidden = !withdrawals.length;
    box.innerHTML = withdrawals.map((w) => `<p>${icon("undo-2")} ${esc(t("withdrawn_banner", {
      time: time(w.at, lang), reason: t(`withdrawn_${w.reason}`),
    }))}${i.status === "closed" ? "" : ` ${esc(t("withdrawn_check"))}`}</p>`).join("");
    const source = i.closed_at_source;
    const outside = this.$("#inc-source-closed");
    outside.hidden = !source;
    outside.innerHTML = source ? `<p>${icon("circle-check")} ${esc(t(`source_${source.stage}_banner`, {
      case: source.source_case_number, seat: source.seat, time: time(source.at, lang),
      outcome: source.outcome || "", disposition: t(`disp_${source.disposition}`),
    }))}</p>` : "";
  }

  tickWaiting() {
    this.tickPositionAge();
    const i = this.incident;
    const box = this.$("#inc-wait");
    if (!i || !box) return;
    box.textContent = i.status === "closed" ? "" : clock(waited(i));
  }

  renderPosition(i) {
    const { t } = this.i18n;
    const where = i.location;
    this.$("#position").innerHTML = where
      ? `${esc(`${where.lat.toFixed(6)}, ${where.lon.toFixed(6)} · ${t("accuracy", { m: Math.round(where.accuracy_m || 0) })} · ${where.source}`)}
        · <span id="position-age"></span>`
      : esc(t("no_position"));
    this.tickPositionAge();
  }

  // How old the position is, counting up: a seat sending help must know if it is stale.
  tickPositionAge() {
    const box = this.$("#position-age");
    if (!box || !this.positionAt) return;
    const { t, lang } = this.i18n;
    const s = Math.max(0, Math.floor((serverNow() - Date.parse(this.positionAt)) / 1000));
    const ago = s < 60 ? t("ago_s", { n: s }) : s < 3600 ? t("ago_min", { n: Math.floor(s / 60) }) : t("ago_h", { n: Math.floor(s / 3600) });
    box.textContent = t("position_at", { time: time(this.positionAt, lang), ago });
  }

  renderTimeline(entries, verify) {
    const { t, lang } = this.i18n;
    this.$("#chain").innerHTML = verify.ok
      ? `<span class="ok">✔ ${esc(t("chain_ok", { n: verify.entries }))}</span>`
      : `<span class="broken">✖ ${esc(t("chain_broken", { seq: verify.first_broken }))}</span>`;
    // New entries come at the bottom: follow them if the seat was there (or has just opened
    // this incident), stay put if they scrolled up to read.
    const list = this.$("#timeline");
    const follow = list.dataset.incident !== this.id || list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
    list.innerHTML = entries.map((e) => `
      <li data-type="${esc(e.type)}"><span class="seq">#${e.seq}</span> <span class="at">${time(e.at, lang)}</span>
      <span class="actor">${esc(e.who)}</span>
      <span class="words">${esc(e.words)}</span></li>`).join("");
    list.dataset.incident = this.id;
    if (follow) list.scrollTop = list.scrollHeight;
  }

  async showIdentity() {
    const { t } = this.i18n;
    const box = this.$("#identity");
    try {
      const who = await api(`/api/v1/incidents/${this.id}/reporter`);
      const rows = [["name", who.name], ["phone", who.phone], ["id_number", who.id_number], ["language", who.language]]
        .filter(([, v]) => v).map(([k, v]) => `<dt>${esc(t(`who_${k}`))}</dt><dd>${esc(v)}${k === "phone" ? ` ${phoneMark(t, who)}` : ""}</dd>`).join("");
      box.innerHTML = `<dl>${rows || `<dd>${esc(t("no_identity"))}</dd>`}</dl>
        <p class="recorded">${esc(t("identity_recorded", { seat: this.seat.username }))}</p>`;
    } catch (error) {
      box.innerHTML = `<p>${esc(error.status === 404 ? t("no_identity") : refusal(t, error))}</p>`;
    }
    await this.refresh();
  }

  async loadEarlier() {
    const { t, lang } = this.i18n;
    const rows = await api(`/api/v1/incidents/${this.id}/earlier`, { background: true });
    this.$("#earlier").innerHTML = rows.length
      ? rows.map((r) => `<li><button type="button" class="link" data-id="${r.id}">${esc(r.case_number)}</button>
          ${dateTime(r.created_at, lang)} · ${esc(t(`cat_${r.category}`))} · ${esc(t(`status_${r.status}`))}
          ${r.disposition ? `(${esc(t(`disp_${r.disposition}`))})` : ""} · ${esc(t(`same_${r.same}`))}</li>`).join("")
      : `<li>${esc(t("no_earlier"))}</li>`;
  }

  // The tab is opened at once, in the click (a tab opened after waiting for the server may be
  // blocked as a pop-up), and pointed at the signed link when it comes.
  async openReport() {
    const { t } = this.i18n;
    const tab = window.open("", "_blank");
    try {
      const { url } = await api(`/api/v1/incidents/${this.id}/report-link?lang=${this.i18n.lang}`, { method: "POST" });
      if (tab) {
        tab.opener = null;
        tab.location.href = url;
      } else {
        window.open(url, "_blank", "noopener");
      }
    } catch (error) {
      if (tab) tab.close();
      this.say(t("report_failed", { message: reason(t, error) }), "error");
    }
  }
}

