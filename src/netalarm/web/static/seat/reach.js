// Reaching the reporter besides the chat: an SMS (short form with quick texts; its delivery
// status follows live: pending → sent or failed) and a call-back (the number is read through
// the recorded identity read, dialled with a tel: link, and its outcome recorded).
// Both need the reporter's phone and an open incident; otherwise they say why not. On a
// silent case both warn that the reporter's phone may be heard. By the buttons and the
// number: whether the phone is verified (a code typed back, or an alarm texted from it).
import { api } from "./api.js";
import { time } from "../common/times.js";
import { esc } from "./dom.js";
import { refusal } from "./refusals.js";

const QUICK = ["sms_quick_coming", "sms_quick_answer", "sms_quick_safe"];
const OUTCOMES = ["reached", "no_answer", "busy", "failed"];
const SMS_MAX = 480; // the server's longest SMS (channels.sms.service.MAX_TEXT)

// How many SMS a text goes out as: 160 plain (ASCII) characters in one, 153 each when split;
// with any other character (Chinese), 70 in one, 67 each when split.
export function smsParts(text) {
  const chars = [...text].length;
  if (!chars) return 0;
  const plain = /^[\x20-\x7e\n\r]*$/.test(text);
  const [single, part] = plain ? [160, 153] : [70, 67];
  return chars <= single ? 1 : Math.ceil(chars / part);
}

// Whether the reporter's phone is verified (`incident.reporter` or the identity read), as a
// mark to put by the number: "verified" with how in its title, or "not verified". "" when no
// phone was given.
export function phoneMark(t, who) {
  if (!who || !who.phone_given) return "";
  const verified = Boolean(who.phone_verified);
  const title = verified ? t(`phone_verified_${who.phone_verified_via}`) : t("phone_unverified");
  return `<span class="phone-mark" data-verified="${verified}" title="${esc(title)}">${verified ? "✔" : "?"} ${esc(t(verified ? "phone_mark_verified" : "phone_mark_unverified"))}</span>`;
}

export class Reach {
  constructor({ root, i18n, onDone }) {
    Object.assign(this, { root, i18n, onDone });
    this.$ = (sel) => root.querySelector(sel);
    this.incident = null;
    this.error = ""; // the last refusal, shown until the next success or another incident
    this.smsForm = this.$("#sms-form");
    this.callForm = this.$("#call-form");
    this.$("#sms-button").addEventListener("click", () => this.openSms());
    this.$("#call-button").addEventListener("click", () => this.openCall());
    this.$("#sms-quick").addEventListener("click", (e) => {
      const button = e.target.closest("[data-quick]");
      if (button) this.smsForm.elements.text.value = this.i18n.t(button.dataset.quick);
      this.renderCount();
    });
    this.smsForm.elements.text.addEventListener("input", () => this.renderCount());
    this.smsForm.addEventListener("submit", (e) => { e.preventDefault(); this.sendSms(); });
    this.callForm.addEventListener("submit", (e) => { e.preventDefault(); this.recordCall(); });
    root.querySelectorAll("[data-cancel]").forEach((b) => b.addEventListener("click", () => this.closeForms(true)));
    // Escape closes the form (its text kept) and gives the focus back to the button that
    // opened it, so the console's single keys act again.
    for (const form of [this.smsForm, this.callForm]) {
      form.addEventListener("keydown", (e) => {
        if (e.key !== "Escape") return;
        e.preventDefault();
        e.stopPropagation();
        this.closeForms(true);
      });
    }
  }

  // Why the channels cannot be used on this incident now, or "" when they can.
  blocked() {
    const i = this.incident;
    if (!i) return "no_incident";
    if (i.status === "closed") return "reach_closed";
    if (!i.reporter_reachable) return "reach_no_phone";
    return "";
  }

  show(incident, deliveries) {
    const { t, lang } = this.i18n;
    if (!this.incident || this.incident.id !== incident.id) {
      this.closeForms();
      this.error = "";
    }
    this.incident = incident;
    const reason = this.blocked();
    this.$("#sms-button").disabled = Boolean(reason);
    this.$("#call-button").disabled = Boolean(reason);
    this.renderReason();
    this.renderPhone();
    if (reason) this.closeForms();
    this.$("#sms-list").innerHTML = deliveries.slice().reverse().map((d) => `
      <li data-id="${d.id}" data-status="${d.status}">
        <span class="sms-status">${esc(t(d.withheld ? "sms_withheld" : `sms_${d.status}`))}</span>
        <span class="meta">${time(d.at, lang)} · ${esc(d.to)}${d.attempts > 1 ? ` · ${esc(t("sms_attempts", { n: d.attempts }))}` : ""}</span>
        <div class="text">${esc(d.text)}</div>
        ${d.withheld ? `<div class="sms-error">${esc(t("sms_withheld_why"))}</div>`
          : d.error ? `<div class="sms-error">${esc(d.error)}</div>` : ""}</li>`).join("");
  }

  // Hides both forms; `refocus` puts the focus back on the button of the form that was open.
  closeForms(refocus = false) {
    const open = !this.smsForm.hidden ? "#sms-button" : !this.callForm.hidden ? "#call-button" : null;
    this.smsForm.hidden = true;
    this.callForm.hidden = true;
    if (refocus && open) this.$(open).focus();
  }

  openSms() {
    if (this.blocked()) return;
    const { t } = this.i18n;
    this.callForm.hidden = true;
    this.$("#sms-quick").innerHTML = QUICK.map((k) => `<button type="button" data-quick="${k}">${esc(t(k))}</button>`).join("");
    this.smsForm.hidden = false;
    this.renderCount();
    this.smsForm.elements.text.focus();
  }

  // Characters against the limit, and how many SMS the text costs the reporter's phone.
  renderCount() {
    const text = this.smsForm.elements.text.value;
    this.$("#sms-count").textContent = this.i18n.t("sms_count", { n: [...text].length, max: SMS_MAX, parts: smsParts(text) });
  }

  async sendSms() {
    const text = this.smsForm.elements.text.value.trim();
    // One SMS per press: a double click would text the reporter twice (and cost them twice).
    if (!text || this.sending) return;
    this.sending = true;
    const button = this.smsForm.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await api(`/api/v1/incidents/${this.incident.id}/sms`, { method: "POST", body: { text } });
      this.smsForm.elements.text.value = "";
      this.renderCount();
      this.closeForms(true);
      this.say("");
    } catch (error) {
      this.say(refusal(this.i18n.t, error));
    } finally {
      this.sending = false;
      button.disabled = false;
    }
    await this.onDone();
  }

  // The number is part of the reporter's identity: reading it is recorded on the timeline.
  async openCall() {
    if (this.blocked()) return;
    const { t } = this.i18n;
    this.smsForm.hidden = true;
    let who;
    try {
      who = await api(`/api/v1/incidents/${this.incident.id}/reporter`);
    } catch (error) {
      this.say(refusal(t, error));
      return;
    }
    const link = this.$("#call-link");
    link.href = `tel:${who.phone}`;
    link.textContent = who.phone;
    this.$("#call-mark").innerHTML = phoneMark(t, who);
    this.$("#call-outcomes").innerHTML = OUTCOMES.map((o) =>
      `<label><input type="radio" name="outcome" value="${o}"> ${esc(t(`call_${o}`))}</label>`).join("");
    this.callForm.elements.note.value = "";
    this.callForm.hidden = false;
    link.focus();
    await this.onDone();
  }

  // No outcome is chosen in advance: a hurried click must not record a call as reached.
  async recordCall() {
    const form = this.callForm.elements;
    if (!form.outcome.value) {
      this.say(this.i18n.t("call_pick_outcome"));
      form.outcome[0].focus();
      return;
    }
    const body = { outcome: form.outcome.value, note: form.note.value.trim() || null };
    try {
      await api(`/api/v1/incidents/${this.incident.id}/call`, { method: "POST", body });
      this.closeForms(true);
      this.say("");
    } catch (error) {
      this.say(refusal(this.i18n.t, error));
    }
    await this.onDone();
  }

  // By the buttons: whether the number they reach is the reporter's own, without reading it.
  renderPhone() {
    const who = this.incident && this.incident.reporter;
    const box = this.$("#phone-status");
    box.hidden = !(who && who.phone_given);
    box.innerHTML = box.hidden ? "" : `${phoneMark(this.i18n.t, who)} <span class="phone-how">${esc(this.i18n.t(
      who.phone_verified ? `phone_verified_${who.phone_verified_via}` : "phone_unverified"))}</span>`;
  }

  say(text) {
    this.error = text;
    this.renderReason();
  }

  // Why not, or the last refusal; and, on a silent case the seat can reach, that the reporter
  // may be hiding where a text or a ring is heard.
  renderReason() {
    const reason = this.blocked();
    this.$("#reach-reason").textContent = reason ? this.i18n.t(reason) : this.error;
    const quiet = this.$("#reach-quiet");
    quiet.hidden = Boolean(reason) || !this.incident.silent;
    quiet.textContent = quiet.hidden ? "" : this.i18n.t("reach_quiet");
  }
}
