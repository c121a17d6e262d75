// The chat with the reporter: messages of both sides with delivered/read receipts (on a case
// from the 110 link, a message the link has not taken yet says it waits for it), quick
// replies in the seat's language, read receipts sent for the reporter's messages, and a
// visible reason (the text kept) when a message cannot be sent. A message's paperclips show
// the files sent with it (`onFile`). A case with several reporters (cases merged into it) holds
// one conversation each: the messages say whose, and a reply goes to the reporter picked, by
// default the one who wrote last.
import { api } from "./api.js";
import { time } from "../common/times.js";
import { esc } from "./dom.js";
import { reason } from "./refusals.js";
import { icon } from "./words.js";

const QUICK = ["quick_safe", "quick_stay", "quick_where"];
const MAX_TEXT = 4000; // the server's longest message (messaging.service.MAX_TEXT)
const NEAR_LIMIT = 0.9; // share of the longest message from which the box counts characters
const RECHECK_MS = 3000; // how often a case looks again while a message waits for the 110 link

export class Chat {
  constructor({ root, i18n, onSent, onFile }) {
    Object.assign(this, { root, i18n, onSent, onFile });
    this.list = root.querySelector(".messages");
    this.form = root.querySelector("form");
    this.input = this.form.querySelector("textarea");
    this.input.maxLength = MAX_TEXT;
    this.quick = root.querySelector(".quick");
    this.count = root.querySelector(".chat-count");
    this.smsNote = root.querySelector(".chat-sms");
    this.limit = MAX_TEXT;
    this.error = root.querySelector(".chat-error");
    this.incident = null;
    this.failure = null; // why the last message could not be sent, until one is
    this.acknowledged = new Set();
    this.sending = false;
    this.recheck = null; // a timer looking again at a case whose message waits for the 110 link
    this.to = root.querySelector(".chat-to");
    this.toSelect = this.to.querySelector("select");
    this.toAlarm = null; // on a case with several reporters, the alarm whose conversation a reply goes to
    this.lastHeard = null; // the last reporter message seen, which moves the reply to its writer
    this.toSelect.addEventListener("change", () => { this.toAlarm = this.toSelect.value; });
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.send(this.input.value); });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); this.send(this.input.value); }
    });
    this.input.addEventListener("input", () => this.renderCount());
    this.list.addEventListener("click", (e) => {
      const button = e.target.closest("[data-media]");
      if (button) this.onFile(button.dataset.media);
    });
    this.quick.addEventListener("click", (e) => {
      const button = e.target.closest("[data-quick]");
      if (button) this.send(this.i18n.t(button.dataset.quick));
    });
  }

  renderQuick(closed) {
    this.quick.innerHTML = QUICK.map((k) =>
      `<button type="button" data-quick="${k}" ${closed ? "disabled" : ""}>${esc(this.i18n.t(k))}</button>`).join("");
  }

  show(incident, messages) {
    const { t, lang } = this.i18n;
    if (this.incident && this.incident.id !== incident.id) {
      this.failure = null;
      this.toAlarm = this.lastHeard = null;
    }
    this.incident = incident;
    const alarms = incident.alarm_ids || [];
    const several = alarms.length > 1;
    const reporter = (id) => t("reporter_n", { n: alarms.indexOf(id) + 1 });
    this.renderTo(alarms, messages, reporter);
    // On an SMS alarm a message also goes out as an SMS: the box holds what one can carry, and
    // on a silent one the note warns that it may be heard.
    this.limit = incident.sms_reply_max || MAX_TEXT;
    this.input.maxLength = this.limit;
    // A case from the network side that its seats have closed: the reporter is out of reach.
    const unreachable = (incident.closed_at_source || {}).stage === "closed";
    const sms = incident.sms_reply_max
      ? t(incident.silent ? "chat_sms_quiet" : "chat_sms", { max: incident.sms_reply_max }) : "";
    const note = unreachable ? t("chat_source_closed") : sms;
    this.smsNote.hidden = !note;
    this.smsNote.textContent = note;
    this.smsNote.classList.toggle("quiet-warning", Boolean(sms && incident.silent && !unreachable));
    const closed = incident.status === "closed" || unreachable;
    this.renderQuick(closed);
    this.renderError();
    this.renderCount();
    this.input.disabled = closed;
    this.form.querySelector("button").disabled = closed || this.sending;
    const atBottom = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 8;
    this.list.innerHTML = messages.map((m) => {
      const who = m.from === "seat"
        ? t("from_seat", { seat: m.seat || "" }) + (several ? ` → ${reporter(m.alarm_id)}` : "")
        : several ? reporter(m.alarm_id) : t("from_reporter");
      const receipt = m.from !== "seat" ? ""
        : m.read_at ? `✓✓ ${t("read")}` : m.delivered_at ? `✓ ${t("delivered")}`
          : m.waiting_for_link ? `⏳ ${t("waiting_for_link")}` : "";
      const media = (m.media_ids || []).map((id) => ` <button type="button" class="attachment" data-media="${esc(id)}"
        title="${esc(t("show_file"))}" aria-label="${esc(t("show_file"))}">${icon("paperclip")}</button>`).join("");
      return `<li class="msg from-${m.from}" data-id="${m.id}">
        <div class="meta">${esc(who)} · ${time(m.at, lang)}</div>
        <div class="text">${esc(m.text)}${media}</div>
        ${receipt ? `<div class="receipt">${receipt}</div>` : ""}</li>`;
    }).join("");
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
    this.acknowledge(messages);
    // The link confirming a message raises no event: look again while one waits for it.
    clearTimeout(this.recheck);
    if (messages.some((m) => m.waiting_for_link)) {
      this.recheck = setTimeout(() => Promise.resolve(this.onSent()).catch(() => {}), RECHECK_MS);
    }
  }

  // Whom a reply goes to, on a case with several reporters: the one picked, until another
  // reporter writes; at first the one who wrote last (else the first).
  renderTo(alarms, messages, reporter) {
    this.to.hidden = alarms.length < 2;
    if (this.to.hidden) { this.toAlarm = null; return; }
    const heard = [...messages].reverse().find((m) => m.from === "reporter" && alarms.includes(m.alarm_id));
    if (heard && heard.id !== this.lastHeard) this.toAlarm = heard.alarm_id;
    this.lastHeard = heard ? heard.id : null;
    if (!alarms.includes(this.toAlarm)) this.toAlarm = alarms[0];
    const options = alarms.map((id) => `<option value="${esc(id)}">${esc(reporter(id))}</option>`).join("");
    if (this.toSelect.innerHTML !== options) this.toSelect.innerHTML = options; // an open list stays open
    this.toSelect.value = this.toAlarm;
  }

  // Read receipts for the reporter's messages now on screen (once each): not while the tab,
  // or the console behind another panel (case history, supervisor), is out of sight.
  acknowledge(messages) {
    if (document.hidden || this.root.closest("[hidden]")) return;
    for (const m of messages) {
      if (m.from !== "reporter" || m.read_at || this.acknowledged.has(m.id)) continue;
      this.acknowledged.add(m.id);
      api(`/api/v1/incidents/${this.incident.id}/messages/${m.id}/read`, { method: "POST", background: true }).catch(() => {});
    }
  }

  // Near the limit the box counts its characters against the limit.
  renderCount() {
    const n = this.input.value.length;
    this.count.hidden = n < this.limit * NEAR_LIMIT;
    this.count.textContent = this.i18n.t("chat_count", { n, max: this.limit });
  }

  // A message that could not be sent says why beside the box and keeps its text there.
  // One message at a time: a second Enter while the first is on its way sends nothing.
  async send(text) {
    if (!text.trim() || !this.incident || this.sending) return;
    this.sending = true;
    const button = this.form.querySelector("button");
    button.disabled = true;
    try {
      const body = { text: text.trim(), ...(this.toAlarm ? { alarm_id: this.toAlarm } : {}) };
      await api(`/api/v1/incidents/${this.incident.id}/messages`, { method: "POST", body });
    } catch (error) {
      this.failure = error;
      this.renderError();
      return;
    } finally {
      this.sending = false;
      button.disabled = this.input.disabled;
    }
    this.failure = null;
    this.renderError();
    if (text === this.input.value) this.input.value = ""; // a quick reply leaves a draft alone
    this.renderCount();
    this.onSent();
  }

  renderError() {
    const { t } = this.i18n;
    const error = this.failure;
    this.error.hidden = !error;
    if (!error) return;
    if (!error.status) this.error.textContent = t("chat_offline");
    else if (error.status === 422 && error.field === "text") this.error.textContent = t("chat_too_long", { n: this.limit });
    else this.error.textContent = t("chat_failed", { message: reason(t, error) });
  }

  focus() { this.input.focus(); }
}
