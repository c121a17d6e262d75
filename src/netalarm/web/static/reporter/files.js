// The open alarm's files on their way to the server: those sent with the details form and
// those sent in the chat. Each is kept in the device store (`current.uploads`, its bytes in
// IndexedDB) until the server has it whole or refused it, so a reload or a lost connection
// resumes it from the server's offset. A chat file's message is made first, under a key of
// the device's making, so a file resumed after a reload finds its message instead of sending
// a second one, and goes into it (tus `message_id`). A failed upload (no connection, the
// server unavailable) is tried again: when the connection returns or the status page goes
// live, after a growing pause otherwise, and at once with its row's Retry button. A file the
// server refuses says why once and leaves the device.
import { api, ApiError } from "./api.js";
import { blobs } from "./blobs.js";
import { newIdempotencyKey, store } from "./store.js";
import { row, upload } from "./uploads.js";

// Pauses before another attempt after the 1st, 2nd, … failure in a row (the last repeats).
const BACKOFF_MS = [5000, 10000, 20000, 40000, 60000];

// `onMessage(message)`: a chat file's message was sent.
export function createFiles({ t, list, onMessage }) {
  const rows = new Map(); // entry key → its row
  const running = new Set();
  const failures = new Map(); // entry key → failed attempts in a row
  const timers = new Map();

  const entries = () => store.current?.uploads || [];
  const find = (key) => entries().find((e) => e.key === key);

  // Changes the entry `key` of alarm `alarmId` in the store (`null` removes it).
  function update(alarmId, key, change) {
    const current = store.current;
    if (!current || current.id !== alarmId) return;
    current.uploads = (current.uploads || []).flatMap((e) => (e.key !== key ? [e] : change ? [{ ...e, ...change }] : []));
    store.current = current;
  }

  function rowFor(entry) {
    if (!rows.has(entry.key)) {
      const ui = row(list, entry.name, t, () => attempt(entry.key));
      ui.show("uploads.progress", 0);
      rows.set(entry.key, ui);
    }
    return rows.get(entry.key);
  }

  // The chat file's message: sent now, or found again by its key.
  async function message(alarm, entry) {
    if (entry.message_id) return entry.message_id;
    const sent = await api.say(alarm, entry.text, [], entry.message_key);
    update(alarm.id, entry.key, { message_id: sent.id });
    onMessage(sent);
    return sent.id;
  }

  function finished(alarm, key) {
    failures.delete(key);
    update(alarm.id, key, null);
    blobs.remove(key).catch(() => {});
  }

  function later(key, ui) {
    const n = (failures.get(key) || 0) + 1;
    failures.set(key, n);
    ui.show(navigator.onLine ? "uploads.failed" : "uploads.waiting");
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => attempt(key), BACKOFF_MS[Math.min(n, BACKOFF_MS.length) - 1]));
  }

  async function attempt(key) {
    const alarm = store.current;
    const entry = find(key);
    if (!alarm || !entry || running.has(key)) return;
    running.add(key);
    clearTimeout(timers.get(key));
    const ui = rowFor(entry);
    try {
      const meta = entry.chat ? { message_id: await message(alarm, entry) } : {};
      await upload(alarm, find(key) || entry, ui, { meta, onUrl: (url) => update(alarm.id, key, { url }) });
      finished(alarm, key);
    } catch (err) {
      if (err instanceof ApiError) {
        // The chat refused the file's message (a closed case): the file cannot go either.
        ui.show(err.code === "incident_closed" ? "uploads.closed" : "uploads.notTaken");
        finished(alarm, key);
      } else if (err.permanent) {
        finished(alarm, key);
      } else {
        later(key, ui);
      }
    } finally {
      running.delete(key);
    }
  }

  // Every file of the open alarm not on its way now is tried now.
  function retry() {
    for (const entry of entries()) attempt(entry.key);
  }

  window.addEventListener("online", retry);

  return {
    // A file made or chosen, kept by capture.js: sent with the form (`chat` false; the
    // alarm is the open one) or in the chat.
    add(entry, chat = false) {
      const current = store.current;
      const kept = chat ? { ...entry, chat: true, text: t("chat.attachment", { name: entry.name }), message_key: newIdempotencyKey() } : entry;
      current.uploads = [...(current.uploads || []), kept];
      store.current = current;
      attempt(kept.key);
    },
    // The status page opened on the open alarm: its rows afresh, and every file tried again.
    resume() {
      for (const key of [...rows.keys()]) if (!running.has(key)) rows.delete(key);
      list.replaceChildren(...[...rows.values()].map((ui) => ui.item));
      retry();
    },
    retry,
    // The rows again in the page's language.
    render() {
      for (const ui of rows.values()) ui.render();
    },
  };
}
