// The server's clock as the console reads it: waiting times, SLA colours and the age of a
// position compare server timestamps with "now", and a seat PC whose clock runs minutes slow
// (no time sync on an isolated network) would otherwise leave a late P1 uncoloured and
// silent. `sync` reads the server's time (from /api/v1/seat/config) and keeps the offset.
import { api } from "./api.js";

let offsetMs = 0;

export function now() {
  return Date.now() + offsetMs;
}

// Asks the server its time; half the round trip is taken as the answer's travel time.
export async function sync() {
  const sent = Date.now();
  const config = await api("/api/v1/seat/config", { background: true });
  const received = Date.now();
  offsetMs = Date.parse(config.server_time) - (sent + received) / 2;
  return config;
}
