// Alerts a seat cannot miss: a tone made with WebAudio (no audio files), a browser
// notification, and a flashing tab title. Browsers allow sound only after a user gesture,
// so `unlock()` is called from the sign-in click.
let audio = null;
let titleTimer = null;
let titleText = "";
let baseTitle = document.title;

export function unlock() {
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume();
  } catch { audio = null; }
  if ("Notification" in window && Notification.permission === "default") {
    Notification.requestPermission().catch(() => {});
  }
}

// Notes played one after another, each `step` seconds apart, rising to `peak` volume.
function play(freqs, { wave, step, peak }) {
  if (!audio) return;
  const now = audio.currentTime;
  freqs.forEach((freq, i) => {
    const at = now + i * step;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = wave;
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(peak, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + step - 0.01);
    osc.connect(gain).connect(audio.destination);
    osc.start(at);
    osc.stop(at + step - 0.005);
  });
}

// Two-tone siren-like beeps: `urgent` is higher and longer.
export function tone(urgent = false) {
  play(urgent ? [988, 740, 988, 740] : [880, 660], { wave: "square", step: 0.22, peak: 0.2 });
}

// A soft rising two-note chime: something to read (a reporter's message), not an alarm.
export function chime() {
  play([660, 880], { wave: "sine", step: 0.15, peak: 0.15 });
}

export function notify(title, body, tag) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try {
    const n = new Notification(title, { body, tag, requireInteraction: true });
    n.onclick = () => { window.focus(); n.close(); };
  } catch { /* some browsers only allow notifications from a service worker */ }
}

// Called every second while flashing: the newest text (such as after a language switch) shows.
export function flashTitle(text) {
  titleText = text;
  if (titleTimer) return;
  baseTitle = document.title; // the page's title in the language it is in now
  let on = false;
  titleTimer = setInterval(() => {
    on = !on;
    document.title = on ? `⚠ ${titleText}` : baseTitle;
  }, 700);
}

export function stopFlash() {
  clearInterval(titleTimer);
  titleTimer = null;
  document.title = baseTitle;
}
