// The alarm waiting to be sent. It is written to the device before the first attempt and
// retried with the same idempotency key until the server acknowledges it, so an alarm made
// without a connection arrives exactly once when the connection returns.
import { api, Offline } from "./api.js";
import { store } from "./store.js";

const RETRY_MS = 4000;

export function createOutbox({ onWaiting, onSent, onRefused }) {
  let sending = false;
  let timer = null;

  async function flush() {
    const pending = store.pending;
    if (!pending || sending) return;
    sending = true;
    try {
      const answer = await api.submit(pending.body);
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
    } catch (err) {
      if (!(err instanceof Offline)) {
        store.pending = null;
        onRefused(err, pending);
        return;
      }
      if (!timer) timer = setInterval(flush, RETRY_MS);
      onWaiting(pending);
    } finally {
      sending = false;
    }
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
