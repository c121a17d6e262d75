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

// Two-tone siren-like beeps: `urgent` is higher and longer.
export function tone(urgent = false) {
  if (!audio) return;
  const now = audio.currentTime;
  const notes = urgent ? [988, 740, 988, 740] : [880, 660];
  notes.forEach((freq, i) => {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "square";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + i * 0.22);
    gain.gain.exponentialRampToValueAtTime(0.2, now + i * 0.22 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.22 + 0.2);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + i * 0.22);
    osc.stop(now + i * 0.22 + 0.21);
  });
}

// A soft rising two-note chime: something to read (a reporter's message), not an alarm.
export function chime() {
  if (!audio) return;
  const now = audio.currentTime;
  [660, 880].forEach((freq, i) => {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + i * 0.15);
    gain.gain.exponentialRampToValueAtTime(0.15, now + i * 0.15 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + i * 0.15 + 0.14);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + i * 0.15);
    osc.stop(now + i * 0.15 + 0.15);
  });
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
