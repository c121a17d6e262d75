// What the reporter app keeps on the device (localStorage): the open alarm and its token,
// an alarm still waiting to be sent, the remembered identity and the live-position consent.
const PREFIX = "netalarm.reporter.";

function read(key) {
  try {
    return JSON.parse(localStorage.getItem(PREFIX + key) || "null");
  } catch {
    return null;
  }
}

function write(key, value) {
  if (value === null || value === undefined) localStorage.removeItem(PREFIX + key);
  else localStorage.setItem(PREFIX + key, JSON.stringify(value));
}

export const store = {
  // {id, incident_id, case_number, reporter_token, silent, dim, closed}
  get current() { return read("current"); },
  set current(value) { write("current", value); },
  // {body, attachments: [{key, name}], made_at}
  get pending() { return read("pending"); },
  set pending(value) { write("pending", value); },
  // chat messages written without a connection: [{alarm: {id, reporter_token}, text}]
  get chat() { return read("chat") || []; },
  set chat(value) { write("chat", value.length ? value : null); },
  // {name, phone}
  get identity() { return read("identity"); },
  set identity(value) { write("identity", value); },
  get shareLive() { return read("shareLive") === true; },
  set shareLive(value) { write("shareLive", Boolean(value)); },
};

// A client-made key that makes every retry of one alarm land as that same alarm.
export function newIdempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return "web-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
