// The alarm waiting to be sent. It is written to the device before the first attempt and
// retried with the same idempotency key until the server acknowledges it, so an alarm made
// without a connection arrives exactly once when the connection returns.
import { api, Offline } from "./api.js";
import { store } from "./store.js";

const RETRY_MS = 4000;

export function createOutbox({ onWaiting, onSent, onRefused }) {
  let sending = false;
  let timer = null;

  // The callbacks run once the attempt is over, so they may send again.
  async function flush() {
    const pending = store.pending;
    if (!pending || sending) return;
    sending = true;
    let answer = null;
    let error = null;
    try {
      answer = await api.submit(pending.body);
    } catch (err) {
      error = err;
    } finally {
      sending = false;
    }
    if (error instanceof Offline) {
      if (!timer) timer = setInterval(flush, RETRY_MS);
      onWaiting(pending);
      return;
    }
    if (error) {
      store.pending = null;
      onRefused(error, pending);
      return;
    }
    store.current = {
      id: answer.id,
      incident_id: answer.incident_id,
      case_number: answer.case_number,
      reporter_token: answer.reporter_token,
      silent: Boolean(pending.body.silent),
      located: Boolean(pending.body.location),
      dim: Boolean(pending.body.silent),
      uploads: pending.attachments || [],
    };
    store.pending = null;
    clearInterval(timer);
    timer = null;
    onSent(store.current);
  }

  window.addEventListener("online", flush);

  return {
    send(body, attachments = []) {
      store.pending = { body, attachments, made_at: new Date().toISOString() };
      return flush();
    },
    flush,
    // True while an attempt to send is on the way.
    get sending() { return sending; },
  };
}
