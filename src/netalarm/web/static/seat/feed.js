// Live updates of the seat's centre: the WebSocket `/api/v1/seat/ws` when it connects
// (resuming with ?after=<last event id> after a drop); where it cannot (a proxy that refuses
// the upgrade, a browser without it), the same frames as server-sent events from
// `/api/v1/seat/events` (common/events.js); and polling every 2 s whenever neither is
// connected — so the queue stays live with or without push, and with push from either door
// the seat is also told of cases that move away. `onPoll(kind)`: "whole" when the queue must
// be read whole (push connected or resumed after a gap, every poll without push), "look" for
// the periodic look while live. `onMode(mode, since)`: "live", "polling", or "offline" with
// the moment polls began to fail.
import { readEvents } from "../common/events.js";

const POLL_MS = 2000;
const LOOK_MS = 10000; // even with push, look now and then
const MAX_BACKOFF_MS = 15000;

export function startFeed({ token, onEvent, onPoll, onMode }) {
  let socket = null;
  let lastId = null;
  let live = false;
  let stopped = false;
  let backoff = 1000;
  let pollTimer = null;
  let reconnectTimer = null;
  let reading = null; // the event stream's AbortController while it is read
  let offlineSince = null; // when polls began to fail, while they do

  // A poll that fails (no answer, or an error) marks the console offline from then until a
  // poll succeeds: a stale queue must not look current.
  const polled = async (kind) => {
    try {
      await onPoll(kind);
      if (offlineSince) {
        offlineSince = null;
        onMode(live ? "live" : "polling");
      }
    } catch {
      if (!offlineSince && !live) {
        offlineSince = new Date();
        onMode("offline", offlineSince);
      }
    }
  };

  const schedulePoll = () => {
    clearTimeout(pollTimer);
    if (stopped) return;
    pollTimer = setTimeout(async () => {
      await polled(live ? "look" : "whole");
      schedulePoll();
    }, live ? LOOK_MS : POLL_MS);
  };

  const setLive = (value) => {
    live = value;
    if (value) offlineSince = null;
    onMode(value ? "live" : offlineSince ? "offline" : "polling", offlineSince);
    schedulePoll();
  };

  // Push is on (socket or stream): back-off reset, and the queue read whole now (what happened
  // while it was off is not missed, whatever the resumed events tell).
  const connected = () => { backoff = 1000; setLive(true); polled("whole"); };

  const take = (text) => {
    let data;
    try { data = JSON.parse(text); } catch { return; }
    // With batch=1 a burst arrives as one array of frames, in order.
    for (const frame of Array.isArray(data) ? data : [data]) {
      if (frame.id) lastId = frame.id;
      if (frame.type === "hello" || frame.type === "heartbeat") continue;
      onEvent(frame);
    }
  };

  const connect = () => {
    if (stopped) return;
    if (!("WebSocket" in window)) return stream();
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const after = lastId ? `&after=${encodeURIComponent(lastId)}` : "";
    let opened = false;
    try {
      socket = new WebSocket(`${scheme}://${location.host}/api/v1/seat/ws?batch=1&access_token=${encodeURIComponent(token)}${after}`);
    } catch {
      return stream();
    }
    socket.onopen = () => { opened = true; connected(); };
    socket.onmessage = (message) => take(message.data);
    socket.onclose = () => {
      socket = null;
      if (live) setLive(false);
      // A socket that never opened was refused on the way: try the event stream instead.
      if (opened) retry(); else stream();
    };
    socket.onerror = () => { /* onclose follows */ };
  };

  // The same frames as server-sent events; live once the first one (the server's hello)
  // has arrived, not when the request was answered.
  const stream = async () => {
    if (stopped) return;
    const controller = new AbortController();
    reading = controller;
    const after = lastId ? `?after=${encodeURIComponent(lastId)}` : "";
    const refused = await readEvents(`/api/v1/seat/events${after}`, {
      token,
      controller,
      onData: (text) => {
        if (!live) connected();
        take(text);
      },
    });
    if (reading !== controller) return; // stopped
    reading = null;
    if (live) setLive(false);
    // The server no longer knows the last event this console saw (its database was restored,
    // say): resuming from it is refused for ever, so start afresh. Going live reads the queue
    // again, so what happened meanwhile is not missed.
    if (refused === "unknown_cursor") lastId = null;
    retry();
  };

  const retry = () => {
    if (stopped) return;
    clearTimeout(reconnectTimer);
    reconnectTimer = setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  };

  onMode("polling");
  schedulePoll();
  connect();
  return {
    stop() {
      stopped = true;
      clearTimeout(pollTimer);
      clearTimeout(reconnectTimer);
      if (socket) socket.close();
      if (reading) { reading.abort(); reading = null; }
    },
  };
}
