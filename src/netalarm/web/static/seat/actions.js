// The actions on the open incident, as buttons and keyboard shortcuts: accept, take over a case
// another seat holds (its console gone, its shift over), priority and
// category, dispatch with a note, resolve with an outcome, close with a disposition,
// transfer to another centre, escalate to the parent centre, forward to the 110 seat (when this
// server has the 110 link), merge into another incident, a note on the case's record (any
// status). A refused action says why (a second accept says who took the incident).
import { api } from "./api.js";
import { esc } from "./dom.js";
import { refusal } from "./refusals.js";
import { CATEGORIES, DISPOSITIONS, PRIORITIES } from "./words.js";

// action -> [shortcut, statuses it applies to]
const ACTIONS = {
  accept: ["a", ["received"]],
  "take-over": ["o", ["accepted", "dispatched", "resolved"]],
  classify: ["p", ["received", "accepted", "dispatched", "resolved"]],
  dispatch: ["d", ["accepted"]],
  resolve: ["r", ["dispatched"]],
  close: ["x", ["received", "accepted", "resolved"]],
  transfer: ["t", ["received", "accepted", "dispatched", "resolved"]],
  escalate: ["e", ["received", "accepted", "dispatched", "resolved"]],
  "forward-110": ["f", ["accepted", "dispatched"]],
  merge: ["m", ["received", "accepted"]],
  add_note: ["l", ["received", "accepted", "dispatched", "resolved", "closed"]],
};

export class Actions {
  constructor({ bar, dialog, i18n, view, queue, centres, config, onDone }) {
    Object.assign(this, { bar, dialog, i18n, view, queue, centres, onDone });
    const link = config.link_110 || {};
    // Forwarding is the Internet side's; an intranet (110) console has no such button.
    this.actions = Object.fromEntries(Object.entries(ACTIONS).filter(([name]) =>
      name !== "forward-110" || link.role === "internet"));
    this.forwarding = Boolean(link.enabled);
    this.superior = Boolean(config.superior);
    this.form = dialog.querySelector("form");
    this.bar.addEventListener("click", (e) => {
      const button = e.target.closest("[data-action]");
      if (button && !button.disabled) this.start(button.dataset.action);
    });
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      if (e.submitter && e.submitter.value === "cancel") { this.dialog.close(); return; }
      this.submit();
    });
    document.addEventListener("keydown", (e) => this.key(e));
  }

  // Whether action `name`, allowed from the statuses `from`, can be taken on the open incident
  // now: forwarding needs the 110 link; escalating needs a centre or a server above.
  can(name, from) {
    const i = this.view.incident;
    if (!i || !from.includes(i.status)) return false;
    if (name === "forward-110") return this.forwarding;
    if (name === "escalate") return Boolean(this.parent(i)) || this.superior;
    if (name === "take-over") return Boolean(i.accepted_by) && i.accepted_by !== this.view.seat.username;
    return true;
  }

  // Why an action is unavailable (a tooltip on its disabled button).
  why(name) {
    const { t } = this.i18n;
    if (name === "forward-110" && !this.forwarding) return t("no_link");
    if (name === "take-over" && this.view.incident && this.view.incident.accepted_by === this.view.seat.username) return t("take_over_yours");
    if (name === "escalate" && this.view.incident && !this.parent(this.view.incident) && !this.superior) return t("no_superior");
    return t("not_now");
  }

  render() {
    const { t } = this.i18n;
    this.bar.innerHTML = Object.entries(this.actions).map(([name, [key, from]]) =>
      `<button type="button" data-action="${name}" ${this.can(name, from) ? "" : "disabled"}
        ${this.can(name, from) ? "" : `title="${esc(this.why(name))}"`}>
        ${esc(t(name))} <kbd>${key.toUpperCase()}</kbd></button>`).join("");
  }

  key(e) {
    if (e.ctrlKey || e.metaKey || e.altKey || this.dialog.open) return;
    // Another panel (case history, supervisor) is in front: a key must not act on a case unseen.
    if (document.getElementById("workspace").hidden) return;
    const tag = (e.target.tagName || "").toLowerCase();
    if (["input", "textarea", "select"].includes(tag)) {
      // Escape leaves a text field (its text kept), so the single keys act again.
      if (e.key === "Escape") { e.preventDefault(); e.target.blur(); }
      return;
    }
    const k = e.key.toLowerCase();
    if (k === "n") { e.preventDefault(); this.next(); return; }
    if (!this.view.incident) return;
    if (k === "/") { e.preventDefault(); this.view.chat.focus(); return; }
    if (k === "i") { e.preventDefault(); this.view.showIdentity(); return; }
    if (k === "h") { e.preventDefault(); this.view.openReport(); return; }
    if (k === "s") { e.preventDefault(); this.view.reach.openSms(); return; }
    if (k === "c") { e.preventDefault(); this.view.reach.openCall(); return; }
    const found = Object.entries(this.actions).find(([, [key]]) => key === k);
    if (!found) return;
    e.preventDefault();
    const [name, [, from]] = found;
    if (this.can(name, from)) this.start(name);
  }

  // The next incident of the queue after the open one (or the first).
  next() {
    const ids = this.queue.ids();
    if (!ids.length) return;
    const at = ids.indexOf(this.view.id);
    this.queue.onOpen(ids[(at + 1) % ids.length]);
  }

  start(action) {
    if (action === "accept") { this.run("accept", {}); return; }
    const { t } = this.i18n;
    const i = this.view.incident;
    const options = (values, prefix, current) => values.map((v) =>
      `<option value="${v}" ${v === current ? "selected" : ""}>${esc(prefix ? t(`${prefix}${v}`) : v)}</option>`).join("");
    const fields = {
      classify: `<label>${t("priority")} <select name="priority">${options(PRIORITIES, "", i.priority)}</select></label>
        <label>${t("category")} <select name="category">${options(CATEGORIES, "cat_", i.category)}</select></label>`,
      dispatch: `<label>${t("note")} <textarea name="note" rows="3" required></textarea></label>`,
      resolve: `<label>${t("outcome")} <textarea name="outcome" rows="3" required></textarea></label>`,
      close: `<label>${t("disposition")} <select name="disposition">${options(
        i.status === "resolved" ? DISPOSITIONS : DISPOSITIONS.filter((d) => d !== "handled"), "disp_")}</select></label>`,
      transfer: `<label>${t("centre_to")} <select name="centre">${this.centres.filter((c) => c.code !== i.centre)
        .map((c) => `<option value="${esc(c.code)}">${esc(c.code)} ${esc(c.name)}</option>`).join("")}</select></label>`,
      escalate: `<p>${esc(this.escalationText(i))}</p>`,
      "take-over": `<p>${esc(t(i.holder_present === false ? "take_over_hint_away" : "take_over_hint", { seat: i.accepted_by }))}</p>`,
      "forward-110": `<p>${esc(t("forward_hint"))}</p>
        <label>${t("forward_note")} <textarea name="note" rows="3" required></textarea></label>`,
      add_note: `<label>${t("note_text")} <textarea name="text" rows="4" maxlength="10000" required></textarea></label>
        <p class="hint">${esc(t("note_hint"))}</p>`,
      merge: `<label>${t("merge_into")} <select name="into">${this.mergeTargets(i)}</select></label>`,
    }[action];
    this.action = action;
    this.form.querySelector(".fields").innerHTML = `<h3 id="action-title">${esc(t(action))} · ${esc(i.case_number)}</h3>${fields}`;
    this.form.querySelector("[value=ok]").textContent = t("ok");
    this.form.querySelector("[value=cancel]").textContent = t("cancel");
    this.dialog.showModal();
    const first = this.form.querySelector(".fields textarea, .fields select");
    if (first) first.focus();
  }

  // Open reports nearby first (nearest first, with their distance: the likely same event),
  // then the rest of the queue.
  mergeTargets(i) {
    const { t } = this.i18n;
    const near = this.view.nearby.incident && this.view.nearby.incident.id === i.id
      ? this.view.nearby.rows.filter((o) => o.status !== "closed") : [];
    const nearIds = new Set(near.map((o) => o.id));
    const option = (o, where = "") => `<option value="${o.id}">${esc(o.case_number)} (${esc(t(`cat_${o.category}`))})${where}</option>`;
    return [
      ...near.map((o) => option(o, ` · ${esc(t("nearby_distance", { m: o.distance_m }))}`)),
      ...this.queue.incidents.filter((o) => o.id !== i.id && !nearIds.has(o.id)).map((o) => option(o)),
    ].join("");
  }

  parent(incident) {
    const own = this.centres.find((c) => c.code === incident.centre);
    return own && this.centres.find((c) => c.code === own.parent);
  }

  // Where an escalation of `incident` goes: its parent centre, else the superior server.
  escalationText(incident) {
    const parent = this.parent(incident);
    if (parent) return this.i18n.t("escalate_to", { centre: `${parent.code} ${parent.name}` });
    return this.i18n.t("escalate_superior");
  }

  async submit() {
    const body = Object.fromEntries(new FormData(this.form).entries());
    this.dialog.close();
    if (this.action === "classify") {
      await this.run("classify", body, "PATCH");
    } else if (this.action === "add_note") {
      await this.run("add_note", body, "POST", `/api/v1/incidents/${this.view.id}/notes`);
    } else {
      await this.run(this.action, body);
    }
  }

  async run(action, body, method = "POST", to = null) {
    const { t } = this.i18n;
    const id = this.view.id;
    const path = to || (method === "PATCH" ? `/api/v1/incidents/${id}` : `/api/v1/incidents/${id}/actions/${action}`);
    try {
      await api(path, { method, body });
      this.view.say("");
    } catch (error) {
      // Only a lost race to accept is "taken by": any other conflict names the case's status.
      const by = action === "accept" && error.code === "already_accepted" && error.body.accepted_by;
      this.view.say(by ? t("taken_by", { seat: by }) : refusal(t, error), "error");
    }
    await this.onDone();
  }
}
