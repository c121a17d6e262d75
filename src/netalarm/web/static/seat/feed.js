// Live updates of the seat's centre: the WebSocket `/api/v1/seat/ws` when the server has it
// (resuming with ?after=<last event id> after a drop), and polling every 2 s whenever it is
// not connected — so the queue stays live with or without push.
const POLL_MS = 2000;
const SAFETY_POLL_MS = 10000; // even with push, look now and then
const MAX_BACKOFF_MS = 15000;

export function startFeed({ token, onEvent, onPoll, onMode }) {
  let socket = null;
  let lastId = null;
  let live = false;
  let stopped = false;
  let backoff = 1000;
  let pollTimer = null;
  let reconnectTimer = null;

  const schedulePoll = () => {
    clearTimeout(pollTimer);
    if (stopped) return;
    pollTimer = setTimeout(async () => {
      try { await onPoll(); } catch { /* the next poll tries again */ }
      schedulePoll();
    }, live ? SAFETY_POLL_MS : POLL_MS);
  };

  const setLive = (value) => {
    live = value;
    onMode(value ? "live" : "polling");
    schedulePoll();
  };

  const connect = () => {
    if (stopped || !("WebSocket" in window)) return;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const after = lastId ? `&after=${encodeURIComponent(lastId)}` : "";
    try {
      socket = new WebSocket(`${scheme}://${location.host}/api/v1/seat/ws?batch=1&access_token=${encodeURIComponent(token)}${after}`);
    } catch {
      return retry();
    }
    socket.onopen = () => { backoff = 1000; setLive(true); onPoll().catch(() => {}); };
    socket.onmessage = (message) => {
      let data;
      try { data = JSON.parse(message.data); } catch { return; }
      // With batch=1 a burst arrives as one array of frames, in order.
      for (const frame of Array.isArray(data) ? data : [data]) {
        if (frame.id) lastId = frame.id;
        if (frame.type === "hello" || frame.type === "heartbeat") continue;
        onEvent(frame);
      }
    };
    socket.onclose = () => { socket = null; if (live) setLive(false); retry(); };
    socket.onerror = () => { /* onclose follows */ };
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
    },
  };
}
