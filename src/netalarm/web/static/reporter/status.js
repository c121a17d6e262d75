// The status page of an open alarm: its progress with times and the chat with the seat.
// Live over the alarm's WebSocket when the server offers it, or over the same frames as
// server-sent events where a WebSocket cannot open (a proxy refusing the upgrade); polled
// every few seconds otherwise (and slowly as a safety net while live).
import { readEvents } from "/static/common/events.js";
import { time } from "/static/common/times.js";
import { api, ApiError } from "./api.js";

const STEPS = ["received", "accepted", "dispatched", "resolved", "closed"];
const FAST_MS = 3000;
const SLOW_MS = 30000;
const RECONNECT_MS = 10000;

const $ = (id) => document.getElementById(id);

// onStatus(status) follows every status read from the server; onJoined(alarm) is told when
// a seat joined the alarm to another case (a duplicate report): its case number changed;
// onLive() hears the page go live.
export function createStatus({ i18n, onGone, onClosed, onStatus, onJoined, onLive = () => {} }) {
  const t = i18n.t;
  let alarm = null;
  let status = null;
  let messages = [];
  let socket = null;
  let reading = null; // the event stream's AbortController while it is read
  let live = false;
  let poller = null;
  let reconnect = null;
  let lastEventId = null;
  // Refreshes overlap (a poll, a pushed change, a new message): the answer to an older one
  // arriving after a newer one's must not put the page back (a closed case shown open).
  let refreshesAsked = 0;
  let refreshShown = 0;
  let announced = null; // the alarm and status a screen reader was last told of

  function renderSteps() {
    const list = $("steps");
    list.replaceChildren();
    if (!status) return;
    const reached = STEPS.indexOf(status.status);
    STEPS.forEach((step, index) => {
      const at = step === "received" ? status.created_at : status[`${step}_at`];
      const item = document.createElement("li");
      item.className = at ? "done" : index < reached ? "skipped" : "todo";
      item.dataset.step = step;
      if (index === reached) item.setAttribute("aria-current", "step");
      const name = document.createElement("span");
      name.className = "step-name";
      name.textContent = t(`status.${step}`);
      const when = document.createElement("time");
      if (at) when.dateTime = at;
      when.textContent = at ? time(at, i18n.lang) : index < reached ? "—" : t("status.pending");
      item.append(name, when);
      list.append(item);
    });
    announce();
    $("case-number").textContent = t("status.case", { case: status.case_number });
    $("joined-note").hidden = !alarm.joined_from;
    $("joined-note").textContent = alarm.joined_from
      ? t("status.joined", { from: alarm.joined_from, to: status.case_number }) : "";
    $("disposition").hidden = !status.disposition;
    $("disposition").textContent = status.disposition ? t("status.disposition", { d: disposition(status.disposition) }) : "";
  }

  // Says a step the case reached while the page is open (a screen reader reads the list
  // only when asked); not the state found on opening, and each step once.
  function announce() {
    const now = `${status.id}:${status.status}`;
    if (announced !== null && announced !== now && announced.startsWith(`${status.id}:`)) {
      const at = status.status === "received" ? status.created_at : status[`${status.status}_at`];
      let text = t("status.announce", { step: t(`status.${status.status}`), time: at ? time(at, i18n.lang) : "" });
      if (status.disposition) text += ` ${t("status.disposition", { d: disposition(status.disposition) })}`;
      $("status-announce").textContent = text;
    }
    announced = now;
  }

  // A disposition code in plain words; a code this page does not know yet is shown as it is.
  function disposition(code) {
    const key = `disposition.${code}`;
    const words = t(key);
    return words === key ? code : words;
  }

  function receipt(message) {
    if (message.read_at) return t("chat.read");
    if (message.delivered_at) return t("chat.delivered");
    return t("chat.sent");
  }

  function renderMessages() {
    const list = $("messages");
    list.replaceChildren();
    $("chat-empty").hidden = messages.length > 0;
    for (const message of messages) {
      const mine = message.from === "reporter";
      const item = document.createElement("li");
      item.className = mine ? "msg mine" : "msg theirs";
      item.dataset.id = message.id;
      const text = document.createElement("p");
      text.textContent = message.text;
      const meta = document.createElement("p");
      meta.className = "meta";
      const parts = [mine ? t("chat.you") : t("chat.seat"), time(message.at, i18n.lang)];
      if (message.media_ids.length) parts.push(t("chat.files", { n: message.media_ids.length }));
      if (mine) parts.push(receipt(message));
      meta.textContent = parts.join(" · ");
      if (mine) meta.dataset.receipt = message.read_at ? "read" : message.delivered_at ? "delivered" : "sent";
      item.append(text, meta);
      list.append(item);
    }
  }

  function renderMode() {
    $("live-mode").textContent = live ? t("status.live") : t("status.polling");
  }

  function render() {
    renderSteps();
    renderMessages();
    renderMode();
    // A closed case takes no more messages, files, quick categories or positions.
    const closed = Boolean(status && status.status === "closed");
    $("chat-form").hidden = closed;
    document.querySelector('[data-media="chat"]').hidden = closed;
    $("quick").hidden = closed || !(alarm && alarm.silent);
    $("share-live-row").hidden = closed;
  }

  // Tells the server the reporter has seen the seat's messages (a read receipt for each).
  async function markRead() {
    if (!alarm || document.visibilityState !== "visible") return;
    for (const message of messages.filter((m) => m.from === "seat" && !m.read_at)) {
      try {
        await api.read(alarm, message.id);
        message.read_at = new Date().toISOString();
      } catch {
        return;
      }
    }
  }

  async function refresh() {
    if (!alarm) return;
    const current = alarm;
    const asked = ++refreshesAsked;
    try {
      const [s, m] = await Promise.all([api.status(current), api.messages(current)]);
      if (current !== alarm || asked < refreshShown) return;
      refreshShown = asked;
      if (s.case_number && alarm.case_number && s.case_number !== alarm.case_number) {
        alarm = { ...alarm, joined_from: alarm.joined_from || alarm.case_number, case_number: s.case_number };
        onJoined(alarm);
      }
      status = s;
      messages = m;
      render();
      onStatus(status);
      markRead();
      if (status.status === "closed") {
        stopLive();
        onClosed();
      }
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 404)) onGone();
    }
  }

  function poll(ms) {
    clearInterval(poller);
    poller = setInterval(refresh, ms);
  }

  // An event: note where to resume, and read the alarm afresh. Frames without an id (hello,
  // heartbeat) only say the line is alive: reading the alarm for each would cost the server
  // two requests per heartbeat and open page.
  function take(text) {
    let data;
    try {
      data = JSON.parse(text);
    } catch {
      return;
    }
    if (!data.id) return;
    lastEventId = data.id;
    refresh();
  }

  function goLive() {
    live = true;
    renderMode();
    poll(SLOW_MS);
    onLive();
  }

  function fellBack() {
    live = false;
    renderMode();
    if (!alarm) return;
    poll(FAST_MS);
    clearTimeout(reconnect);
    reconnect = setTimeout(connect, RECONNECT_MS);
  }

  function connect() {
    if (!alarm) return;
    if (!("WebSocket" in window)) return stream();
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const query = new URLSearchParams({ access_token: alarm.reporter_token });
    if (lastEventId) query.set("after", lastEventId);
    const ws = new WebSocket(`${scheme}//${location.host}/api/v1/alarms/${alarm.id}/ws?${query}`);
    let opened = false;
    socket = ws;
    ws.onopen = () => {
      opened = true;
      goLive();
      refresh();
    };
    ws.onmessage = (event) => take(event.data);
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      // A socket that never opened was refused on the way: the event stream may get through.
      if (opened) fellBack(); else stream();
    };
  }

  async function stream() {
    const controller = new AbortController();
    reading = controller;
    const after = lastEventId ? `?after=${encodeURIComponent(lastEventId)}` : "";
    const refused = await readEvents(`/api/v1/alarms/${alarm.id}/events${after}`, {
      token: alarm.reporter_token,
      controller,
      onData: (text) => {
        if (!live) {
          // The stream is open (its first frame is the hello): read what changed meanwhile,
          // as a WebSocket's open does.
          goLive();
          refresh();
        }
        take(text);
      },
    });
    if (reading !== controller) return; // stopped, or another alarm shown
    reading = null;
    // A cursor the server no longer knows is refused for ever: start afresh (going live
    // reads the alarm again).
    if (refused === "unknown_cursor") lastEventId = null;
    fellBack();
  }

  function stopLive() {
    clearInterval(poller);
    clearTimeout(reconnect);
    poller = reconnect = null;
    if (socket) {
      const ws = socket;
      socket = null;
      ws.close();
    }
    if (reading) {
      reading.abort();
      reading = null;
    }
    live = false;
  }

  document.addEventListener("visibilitychange", markRead);
  window.addEventListener("online", refresh);

  return {
    show(next) {
      stopLive();
      alarm = next;
      status = null;
      messages = [];
      lastEventId = null;
      onStatus(null);
      $("case-number").textContent = next.case_number ? t("status.case", { case: next.case_number }) : "";
      render();
      poll(FAST_MS);
      refresh();
      connect();
    },
    stop() {
      stopLive();
      alarm = null;
      onStatus(null);
    },
    refresh,
    render,
    async say(text, key = undefined) {
      const message = await api.say(alarm, text, [], key);
      messages = [...messages.filter((m) => m.id !== message.id), message];
      renderMessages();
      return message;
    },
  };
}
