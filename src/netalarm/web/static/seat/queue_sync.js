// Keeps the queue true to the server at a small part of its cost: `GET /api/v1/seat/queue`
// reads the whole page (up to LIMIT light rows) only when the console must — signing in, push
// connected or resumed after a gap, polling without push, a reconciliation every
// RECONCILE_MS, a list left short of rows by cases that went — and otherwise only the rows the
// push events named since the last read (`?ids=`), or, for the periodic look, the counts alone
// (`?limit=0`: open cases, cases past their time to accept, seats gone). Any event naming a
// case, of whatever type, has that case's row read again, so no event type is missed for
// being unknown here.
//
// One read at a time, in order: a read answers for every event that came before it began, and
// the events that come while it runs are read after it, so an older answer never overwrites
// a newer one. An event's read waits EVENT_READ_MS for its fellows, and under a stream of
// events starts at most once every BUSY_READ_MS.
import { api } from "./api.js";
import { LIMIT } from "./queue.js";

const IDS_MAX = 100; // rows named in one read (the server's most); more changed is a whole read
const EVENT_READ_MS = 100;
const BUSY_READ_MS = 1000;
const RECONCILE_MS = 5 * 60 * 1000;
const REFILL_MS = 15000; // a list short of rows is filled from the whole page at most this often

export class QueueSync {
  // `onRead({whole, named, look})`: after each read has been applied to `queue`; `named`: the
  // ids events named since the read before.
  constructor({ queue, onRead }) {
    Object.assign(this, { queue, onRead });
    this.dirty = new Set(); // ids named by events since the last read began
    this.asked = new Set(); // ids of cases the seat acted on since then
    this.whole = true; // the next read is the whole page
    this.look = false; // the next read is the periodic look
    this.lastRead = 0;
    this.lastWhole = 0;
    this.timer = null;
    this.queued = null; // the read waiting for the one under way
    this.chain = Promise.resolve();
  }

  // An event of the feed: its case's row is read soon (a frame naming no case: the page).
  changed(frame) {
    if (frame.incident_id) this.dirty.add(frame.incident_id);
    else this.whole = true;
    this.soon();
  }

  // A case the seat has just acted on: its row now.
  touched(id) {
    if (id) this.asked.add(id);
    return this.now();
  }

  // The whole page now (signing in, push connected or resumed, polling without push).
  reread() {
    this.whole = true;
    return this.now();
  }

  // The periodic look while live: the counts and the seats gone, the rows events named, and
  // the whole page when a reconciliation is due or the list is short of rows.
  check() {
    const since = Date.now() - this.lastWhole;
    if (since >= RECONCILE_MS || (this.queue.short() && since >= REFILL_MS)) this.whole = true;
    this.look = true;
    return this.now();
  }

  // A read after the one under way (if any); a read already waiting takes this one's part.
  now() {
    clearTimeout(this.timer);
    this.timer = null;
    if (!this.queued) {
      this.queued = this.chain.then(() => {
        this.queued = null;
        return this.read();
      });
      this.chain = this.queued.catch(() => {});
    }
    return this.queued;
  }

  soon() {
    if (this.timer || this.queued) return;
    const wait = Math.max(EVENT_READ_MS, this.lastRead + BUSY_READ_MS - Date.now());
    this.timer = setTimeout(() => { this.timer = null; this.now().catch(() => {}); }, wait);
  }

  async read() {
    const named = [...this.dirty];
    const all = new Set([...named, ...this.asked]);
    const whole = this.whole || all.size > IDS_MAX;
    const ids = whole ? [] : [...all];
    const look = this.look;
    this.whole = false;
    this.look = false;
    this.dirty.clear();
    this.asked.clear();
    this.lastRead = Date.now();
    const query = whole ? `limit=${LIMIT}` : ids.length ? `ids=${ids.join(",")}` : "limit=0";
    let answer;
    try {
      answer = await api(`/api/v1/seat/queue?${query}`, { background: true });
    } catch (error) { // asked again by the next read
      if (whole) this.whole = true;
      named.forEach((id) => this.dirty.add(id));
      all.forEach((id) => { if (!this.dirty.has(id)) this.asked.add(id); });
      throw error;
    }
    if (whole) this.lastWhole = this.lastRead;
    this.queue.apply(answer, whole ? null : ids);
    this.onRead({ whole, named, look });
    return answer;
  }
}
