// The reporter's position: the browser's geolocation (with its accuracy) unless the reporter
// placed the pin by hand for the alarm being made; and, with consent, live updates of the
// device's own position sent while the alarm is open.
import { api } from "./api.js";

const LIVE_MIN_INTERVAL_MS = 10000;
const LIVE_MIN_MOVE_M = 15;
const LIVE_MAX_SILENCE_MS = 60000;

export function createPosition() {
  let fix = null;
  let manual = null;
  let failed = false;
  const listeners = new Set();
  const notify = () => listeners.forEach((fn) => fn());

  if ("geolocation" in navigator) {
    navigator.geolocation.watchPosition(
      (p) => {
        fix = { lat: p.coords.latitude, lon: p.coords.longitude, accuracy_m: Math.round(p.coords.accuracy) };
        failed = false;
        notify();
      },
      () => { failed = !fix; notify(); },
      { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 },
    );
  } else {
    failed = true;
  }

  return {
    get fix() { return fix; },
    get manual() { return manual; },
    get failed() { return failed; },
    // The position to send with an alarm: a hand-placed pin wins; the browser does not say
    // whether its fix came from satellites, so a tight one counts as gps and a loose one as network.
    best() {
      if (manual) return { lat: manual.lat, lon: manual.lon, source: "manual" };
      return this.live();
    },
    // Where the device is now (never a pin): what following the reporter sends.
    live() {
      return fix ? { ...fix, source: fix.accuracy_m <= 100 ? "gps" : "network" } : null;
    },
    setManual(lat, lon) { manual = { lat, lon }; notify(); },
    // A pin is placed for one alarm (or one position sent from the status page): once that
    // has gone, the next alarm starts from where the device is, not from an old pin.
    clearManual() {
      if (!manual) return;
      manual = null;
      notify();
    },
    onChange(fn) { listeners.add(fn); return () => listeners.delete(fn); },
  };
}

function metres(a, b) {
  const rad = Math.PI / 180;
  const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  const y = (b.lat - a.lat) * rad;
  return Math.sqrt(x * x + y * y) * 6371000;
}

// Sends the position of an open alarm as the reporter moves, at most every few seconds.
export function createLiveShare(position) {
  let alarm = null;
  let enabled = false;
  let last = null;
  let lastAt = 0;
  let again = null;

  // Following the reporter sends where the device is: a pin marked where they were once
  // would hold the police at the old place however far they have gone.
  async function maybeSend() {
    const here = position.live();
    if (!alarm || !enabled || !here) return;
    const now = Date.now();
    if (now - lastAt < LIVE_MIN_INTERVAL_MS) {
      // Too soon after the last one: look again when the interval is over, not only at the
      // next move (a phone at rest reports none) or after a minute of silence.
      clearTimeout(again);
      again = setTimeout(maybeSend, lastAt + LIVE_MIN_INTERVAL_MS - now);
      return;
    }
    if (last && metres(last, here) < LIVE_MIN_MOVE_M && now - lastAt < LIVE_MAX_SILENCE_MS) return;
    lastAt = now;
    try {
      await api.locate(alarm, here);
      last = here;
    } catch {
      lastAt = 0;
    }
  }

  position.onChange(maybeSend);
  setInterval(maybeSend, LIVE_MAX_SILENCE_MS);

  return {
    follow(next) { alarm = next; last = null; lastAt = 0; maybeSend(); },
    stop() { alarm = null; },
    set enabled(value) { enabled = value; if (value) { lastAt = 0; maybeSend(); } },
    // The first position after an alarm sent without one: sent once, consent or not,
    // because the alarm itself asked for help at this place.
    async sendOnce(target) {
      const here = position.best();
      if (here) await api.locate(target, here);
    },
  };
}
