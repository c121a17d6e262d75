// The reporter's side of the chat: the message form and the quick categories (a chat line,
// and the case's category until a seat has judged it). A message
// written without a connection is kept on the device with its alarm, listed as waiting, and
// sent in order when the connection returns. A message the server refuses is said beside the
// form, in the page's language, and the text stays to be corrected.
import { api, ApiError, Offline } from "./api.js";
import { newIdempotencyKey, store } from "./store.js";

const RETRY_MS = 4000;
const $ = (id) => document.getElementById(id);

export function createChat({ t, status }) {
  let flushing = false;
  let timer = null;

  let refusal = null; // why the last message was refused: a string key and its words

  // The server's reason in the page's language where the code says it; its own words otherwise.
  function mark(err) {
    const code = err instanceof ApiError ? err.code : null;
    if (code === "incident_closed") refusal = { key: "chat.closed" };
    else if (code === "invalid" && err.field === "text") refusal = { key: "chat.invalidText" };
    else refusal = { key: "chat.refused", vars: { message: err.message } };
    $("chat-text").setAttribute("aria-invalid", "true");
    renderRefusal();
  }

  function unmark() {
    refusal = null;
    $("chat-text").removeAttribute("aria-invalid");
    renderRefusal();
  }

  function renderRefusal() {
    $("chat-error").hidden = !refusal;
    $("chat-error").textContent = refusal ? t(refusal.key, refusal.vars) : "";
  }

  function renderQueued() {
    const current = store.current;
    const list = $("queued");
    list.replaceChildren();
    for (const entry of store.chat) {
      if (!current || entry.alarm.id !== current.id) continue;
      const item = document.createElement("li");
      item.className = "msg mine";
      item.dataset.state = "queued";
      const text = document.createElement("p");
      text.textContent = entry.text;
      const meta = document.createElement("p");
      meta.className = "meta";
      meta.textContent = t("chat.queued");
      item.append(text, meta);
      list.append(item);
    }
  }

  // Sends the kept messages, oldest first; stops at the first that finds no connection.
  async function flush() {
    if (flushing) return;
    flushing = true;
    try {
      for (let entry = store.chat[0]; entry; entry = store.chat[0]) {
        try {
          await api.say(entry.alarm, entry.text, [], entry.key);
        } catch (err) {
          if (err instanceof Offline) break;
          mark(err);
          if (!$("chat-text").value) $("chat-text").value = entry.text;
        }
        store.chat = store.chat.slice(1);
        renderQueued();
      }
    } finally {
      flushing = false;
    }
    clearInterval(timer);
    timer = store.chat.length ? setInterval(flush, RETRY_MS) : null;
    renderQueued();
    status.refresh();
  }

  function keep(text, key) {
    const current = store.current;
    store.chat = [...store.chat, { alarm: { id: current.id, reporter_token: current.reporter_token }, text, key }];
    renderQueued();
    if (!timer) timer = setInterval(flush, RETRY_MS);
  }

  // Sends `text` now, or keeps it when there is no connection (or older messages still wait).
  // Resolves true when sent or kept; a refusal is marked beside the form and resolves false.
  // Each message has its key from the start: a try whose answer was lost (the message may
  // have arrived) and its retry make one message, not two.
  async function say(text) {
    unmark();
    const key = newIdempotencyKey();
    if (store.chat.length) {
      keep(text, key);
      flush();
      return true;
    }
    try {
      await status.say(text, key);
      return true;
    } catch (err) {
      if (err instanceof Offline) {
        keep(text, key);
        return true;
      }
      mark(err);
      return false;
    }
  }

  $("chat-text").addEventListener("input", unmark);
  $("chat-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("chat-text").value.trim();
    if (!text) return;
    if (await say(text)) $("chat-text").value = "";
  });
  $("quick-categories").addEventListener("click", async (event) => {
    const button = event.target.closest("[data-quick]");
    if (!button) return;
    button.setAttribute("aria-pressed", "true");
    const category = button.dataset.quick;
    // The tap also classifies the case in the seats' queue while no seat has judged it; the
    // chat line is what the seat reads either way (and what waits on the device offline).
    api.category(store.current, category).catch(() => {});
    if (!(await say(t("status.quickMessage", { category: t(`cat.${category}`) })))) button.removeAttribute("aria-pressed");
  });
  window.addEventListener("online", flush);

  return {
    flush,
    render() {
      renderQueued();
      renderRefusal();
    },
    say,
  };
}
