// The chat with the reporter: messages of both sides with delivered/read receipts, quick
// replies in the seat's language, and read receipts sent for the reporter's messages.
import { api } from "./api.js";
import { esc, time } from "./dom.js";
import { icon } from "./words.js";

const QUICK = ["quick_safe", "quick_stay", "quick_where"];

export class Chat {
  constructor({ root, i18n, onSent }) {
    Object.assign(this, { root, i18n, onSent });
    this.list = root.querySelector(".messages");
    this.form = root.querySelector("form");
    this.input = this.form.querySelector("textarea");
    this.quick = root.querySelector(".quick");
    this.incident = null;
    this.acknowledged = new Set();
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.send(this.input.value); });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); this.send(this.input.value); }
    });
    this.quick.addEventListener("click", (e) => {
      const button = e.target.closest("[data-quick]");
      if (button) this.send(this.i18n.t(button.dataset.quick));
    });
  }

  renderQuick() {
    this.quick.innerHTML = QUICK.map((k) => `<button type="button" data-quick="${k}">${esc(this.i18n.t(k))}</button>`).join("");
  }

  show(incident, messages) {
    const { t, lang } = this.i18n;
    this.incident = incident;
    this.renderQuick();
    const closed = incident.status === "closed";
    this.input.disabled = closed;
    this.form.querySelector("button").disabled = closed;
    const atBottom = this.list.scrollTop + this.list.clientHeight >= this.list.scrollHeight - 8;
    this.list.innerHTML = messages.map((m) => {
      const who = m.from === "seat" ? t("from_seat", { seat: m.seat || "" }) : t("from_reporter");
      const receipt = m.from === "seat" ? (m.read_at ? `✓✓ ${t("read")}` : m.delivered_at ? `✓ ${t("delivered")}` : "") : "";
      const media = (m.media_ids || []).length ? ` ${icon("paperclip")}${m.media_ids.length}` : "";
      return `<li class="msg from-${m.from}" data-id="${m.id}">
        <div class="meta">${esc(who)} · ${time(m.at, lang)}</div>
        <div class="text">${esc(m.text)}${media}</div>
        ${receipt ? `<div class="receipt">${receipt}</div>` : ""}</li>`;
    }).join("");
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
    this.acknowledge(messages);
  }

  // Read receipts for the reporter's messages now on screen (once each).
  acknowledge(messages) {
    for (const m of messages) {
      if (m.from !== "reporter" || m.read_at || this.acknowledged.has(m.id) || document.hidden) continue;
      this.acknowledged.add(m.id);
      api(`/api/v1/incidents/${this.incident.id}/messages/${m.id}/read`, { method: "POST", background: true }).catch(() => {});
    }
  }

  async send(text) {
    if (!text.trim() || !this.incident) return;
    await api(`/api/v1/incidents/${this.incident.id}/messages`, { method: "POST", body: { text: text.trim() } });
    this.input.value = "";
    this.onSent();
  }

  focus() { this.input.focus(); }
}
