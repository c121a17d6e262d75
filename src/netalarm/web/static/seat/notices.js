// Cases moving between centres, told to the seats concerned. A seat whose centre loses a
// case (escalated to the parent centre, or transferred) is told where it went and why; the
// seats of the centre it was escalated or transferred to are alerted as for a new P1 (tone,
// toast, notification); a case still not accepted at a centre with no parent is alerted once more.
// A case still not accepted at twice its time while its own centre's seats are at their desks
// stays there, and the parent centre's seats are alerted to help take it (the district's are
// told so in a note).
// A reporter taking an alarm back is told at once, in a note that opens the case; so is a
// reporter's message on a case this seat answers for and is not reading (with a chime, at
// most every CHIME_MS), or a text the reporter's phone sent to the alarm number after the case
// came over the 110 link (or another report merged into it there), and the network seats
// finishing or closing a case they forwarded to this (110) seat.
// Events are told once the queue has been refreshed after them, so "lost" means no longer
// in this seat's view.

import { chime, notify } from "./alerts.js";

const KEEP_MS = 15000; // an event not yet settled by a refresh is given up after this
const NOTE_MS = 30000;

const SNIPPET = 80; // characters of a message shown in its note
const NAMED = 3; // case numbers named in a toast telling of several
const CHIME_MS = 3000; // messages chime at most this often (many reporters write at once)

export class Notices {
  // `reading()`: the id of the incident open in front of the seat, if any.
  constructor({ toasts, i18n, seat, centres, queue, reading }) {
    Object.assign(this, { toasts, i18n, seat, centres, queue, reading });
    this.left = new Map(); // incident id -> why it left this seat's view
    this.pending = [];
    this.seenCounts = null; // incident id -> unread messages and withdrawals at the last refresh
    this.lastChime = 0;
    this.unlisted = []; // messages on cases not in the queue yet (read before the refresh after them)
  }

  // Every event of the feed, before the refresh it leads to.
  take(frame) {
    if (frame.type === "withdrawn") {
      this.withdrawn(frame);
      return;
    }
    if (frame.type === "message") {
      this.message(frame);
      return;
    }
    if (frame.type === "reporter_sms_at_source" || frame.type === "merged_at_source") {
      const words = frame.data.text || "";
      const note = frame.type === "merged_at_source" ? "merged_note" : "sms_note";
      this.wrote(frame.incident_id, words.length > SNIPPET ? `${words.slice(0, SNIPPET)}…` : words, { note });
      return;
    }
    if (frame.type === "closed_at_source") {
      this.closedAtSource(frame);
      return;
    }
    const overdue = frame.type === "sla_alert" && ["overdue", "parent_alerted"].includes(frame.data.stage);
    if (!overdue && !["escalated", "transferred", "received_by_transfer"].includes(frame.type)) return;
    const known = this.queue.find(frame.incident_id);
    this.pending.push({ ...frame, case_number: known && known.case_number, seen: Date.now() });
  }

  // After a queue refresh: the ids of the cases this seat has just lost. Cases that moved the
  // same way (to the same centre, for the same reason) are told together while their toast
  // is up: a wave of escalations is one alert counting them, not one per case.
  settle() {
    const unlisted = this.unlisted;
    this.unlisted = [];
    unlisted.forEach((m) => this.wrote(m.incidentId, m.snippet, { note: m.note, seen: m.seen }));
    const lost = [];
    const told = new Map(); // group key -> {side, e, cases: [{id, case_number}]}
    const tell = (side, e, here, caseNumber) => {
      const { how, centre, seat } = this.parts(e, side);
      const key = `${side}:${how}:${centre}:${seat}`;
      if (!told.has(key)) told.set(key, { side, e, key, cases: [] });
      told.get(key).cases.push({ id: e.incident_id, case_number: caseNumber, here });
    };
    this.pending = this.pending.filter((e) => {
      const here = this.queue.find(e.incident_id);
      const caseNumber = (here && here.case_number) || e.case_number || e.data.case_number || "";
      if (e.type === "sla_alert" && e.data.stage === "parent_alerted") {
        const helping = e.data.to === this.seat.centre;
        if (!here) return helping && Date.now() - e.seen < KEEP_MS;
        if (helping) tell("help", e, here, caseNumber);
        else if (e.data.centre === this.seat.centre) tell("helped", e, here, caseNumber);
        return false;
      }
      if (e.type === "sla_alert") {
        if (here) tell("overdue", e, here, caseNumber);
        return false;
      }
      const toYou = (e.type === "escalated" && e.data.to === this.seat.centre)
        || (e.type === "received_by_transfer" && e.data.centre === this.seat.centre);
      if (toYou) {
        if (!here) return Date.now() - e.seen < KEEP_MS;
        tell("to_you", e, here, caseNumber);
        return false;
      }
      if (e.type === "received_by_transfer") return false; // a transfer within this seat's view
      if (here) return Date.now() - e.seen < KEEP_MS; // a refresh from before the move
      this.left.set(e.incident_id, { ...e, case_number: caseNumber });
      tell("left", e, null, caseNumber);
      lost.push(e.incident_id);
      return false;
    });
    told.forEach((group) => this.show(group));
    return lost;
  }

  // One toast for a group of cases that moved alike, counting those told under its key while
  // it is up; an alert (a tone, a notification) for those handed to this seat or overdue.
  show({ side, e, key, cases }) {
    const { t } = this.i18n;
    const all = this.toasts.gather(key, cases);
    const [first] = all;
    const text = all.length === 1 ? this.say(e, side, first.case_number) : this.sayMany(e, side, all);
    if (side === "left" || side === "helped") {
      const glyph = side === "left" ? "arrow-up-right" : "users";
      this.toasts.show({ text, glyph, kind: "note", ms: NOTE_MS, key });
      return;
    }
    const title = side === "overdue" ? "notification_title" : side === "help" ? "help_title"
      : e.type === "escalated" ? "escalated_title" : "transferred_title";
    this.queue.alert(first.here, text, t(all.length === 1 ? title : `${title}_many`), key);
  }

  // Why the case left this seat's view, in the console's language (null if not known).
  why(id) {
    const e = this.left.get(id);
    return e ? this.say(e, "left", e.case_number || "") : null;
  }

  say(e, side, caseNumber) {
    if (side === "overdue") return this.i18n.t("sla_overdue", { case: caseNumber });
    const { how, centre, seat } = this.parts(e, side);
    return this.i18n.t(`${side}_${how}`, { case: caseNumber, centre, seat });
  }

  sayMany(e, side, all) {
    const { t } = this.i18n;
    const shown = all.slice(0, NAMED).map((c) => c.case_number).join(", ");
    const cases = all.length > NAMED ? t("cases_more", { cases: shown, n: all.length - NAMED }) : shown;
    if (side === "overdue") return t("sla_overdue_many", { n: all.length, cases });
    const { how, centre, seat } = this.parts(e, side);
    return t(`${side}_${how}_many`, { n: all.length, cases, centre, seat });
  }

  // How a case moved (`how`: transferred, sla or by a seat), the centre on the other side and
  // the seat that moved it.
  parts(e, side) {
    if (side === "overdue") return { how: "overdue", centre: "", seat: "" };
    if (side === "help" || side === "helped") {
      return { how: "sla", centre: this.centreName(side === "help" ? e.data.centre : e.data.to), seat: "" };
    }
    const moved = ["transferred", "received_by_transfer"].includes(e.type);
    const how = moved ? "transferred" : e.data.reason === "sla" ? "sla" : "by";
    const centre = this.centreName(side === "left" ? e.data.to : e.data.from);
    return { how, centre, seat: String(e.data.actor || "").replace(/^seat:/, "") };
  }

  centreName(code) {
    const found = this.centres.find((c) => c.code === code);
    return found ? found.name : code;
  }

  // A reporter took an alarm back: a note that opens the case.
  withdrawn(frame) {
    const { t } = this.i18n;
    const known = this.queue.find(frame.incident_id);
    const text = t("withdrawn_note", {
      case: (known && known.case_number) || "", reason: t(`withdrawn_${frame.data.reason}`),
    });
    this.toasts.show({
      text, glyph: "undo-2", kind: "note", ms: NOTE_MS, onClick: () => this.queue.onOpen(frame.incident_id),
    });
  }

  // The network seats finished or closed the case a forward made here: a note that opens it.
  closedAtSource(frame) {
    const known = this.queue.find(frame.incident_id);
    if (!known) return;
    const text = this.i18n.t(`source_${frame.data.stage}_note`, {
      case: known.case_number, outcome: frame.data.outcome || "",
    });
    this.toasts.show({
      text, glyph: "circle-check", kind: "note", ms: NOTE_MS, onClick: () => this.queue.onOpen(frame.incident_id),
    });
  }

  // A reporter wrote on a case this seat has taken, or that nobody has taken yet: unless the
  // seat is reading that case now, a chime and a note with the first words, which opens it;
  // with the console's tab out of sight, a browser notification too.
  message(frame) {
    const { t } = this.i18n;
    const message = frame.data.message || {};
    if (message.from !== "reporter") return;
    const words = message.text ? message.text : t("message_files", { n: (message.media_ids || []).length });
    this.wrote(frame.incident_id, words.length > SNIPPET ? `${words.slice(0, SNIPPET)}…` : words);
  }

  // `snippet`: the message's first words, or null when only its arrival is known (polling);
  // `note`: the words of the note (a chat message, or a text the reporter's phone sent to
  // the alarm number on the network side). A case's newer message replaces its note, so one
  // reporter writing on fills no stack. A message on a case the queue does not list yet (it
  // came in a moment ago) waits for the refreshes after it, up to KEEP_MS.
  wrote(incidentId, snippet, { note = "message_note", seen = Date.now() } = {}) {
    const { t } = this.i18n;
    const known = this.queue.find(incidentId);
    if (!known) {
      if (Date.now() - seen < KEEP_MS) this.unlisted.push({ incidentId, snippet, note, seen });
      return;
    }
    // A case another seat holds is that seat's to answer, unless its console has gone.
    const mine = known.accepted_by === this.seat.username || known.status === "received" || known.holder_present === false;
    if (!mine) return;
    const visible = document.visibilityState === "visible";
    if (visible && this.reading() === incidentId) return;
    const text = snippet === null
      ? t("message_note_unseen", { case: known.case_number })
      : t(note, { case: known.case_number, text: snippet });
    if (Date.now() - this.lastChime >= CHIME_MS) {
      this.lastChime = Date.now();
      chime();
    }
    this.toasts.show({
      text, glyph: "message-circle", kind: "note", ms: NOTE_MS, key: `message-${incidentId}`,
      onClick: () => this.queue.onOpen(incidentId),
    });
    if (!visible) notify(t("message_title"), text, `message-${incidentId}`);
  }

  // After each queue refresh. Without push (`live` false) no frames tell of reporters'
  // messages or cancellations: a case's unread count going up, or a new withdrawal, does.
  polled(incidents, live) {
    const before = this.seenCounts;
    this.seenCounts = new Map(incidents.map((i) => [i.id, { unread: i.unread_count || 0, withdrawn: (i.withdrawals || []).length }]));
    if (live || !before) return;
    for (const i of incidents) {
      const was = before.get(i.id);
      if (!was) continue;
      const withdrawals = i.withdrawals || [];
      if (withdrawals.length > was.withdrawn) {
        this.withdrawn({ incident_id: i.id, data: { reason: withdrawals[withdrawals.length - 1].reason } });
      }
      if ((i.unread_count || 0) > was.unread) this.wrote(i.id, null);
    }
  }
}
