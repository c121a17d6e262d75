// The seat console: sign-in, the live queue, the incident view, actions, the supervisor
// view. Wires the modules together and keeps them fed by the live feed.
import { makeI18n } from "../common/i18n.js";
import { Actions } from "./actions.js";
import { api, session, signIn, signOut } from "./api.js";
import { sync as syncClock } from "./clock.js";
import { time } from "../common/times.js";
import { unlock } from "./alerts.js";
import { startFeed } from "./feed.js";
import { History } from "./history.js";
import { Replay } from "./replay.js";
import { IncidentView } from "./incident.js";
import { Notices } from "./notices.js";
import { Queue } from "./queue.js";
import { QueueSync } from "./queue_sync.js";
import { renderSupervisor } from "./supervisor.js";
import { Toasts } from "./toasts.js";
import { WORDS } from "./words.js";

const i18n = makeI18n(WORDS);
const $ = (id) => document.getElementById(id);
let feed = null;
let started = false;
let titleKey = "title"; // "title_110" on an intranet server: the console of the 110 seats
const CLOCK_SYNC_MS = 10 * 60 * 1000;

function setLanguage(next) {
  i18n.set(next);
  $("lang").textContent = i18n.t("language");
  document.title = i18n.t(titleKey);
}

function showLogin(message = "") {
  if (feed) feed.stop();
  feed = null;
  $("console").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message;
  $("username").focus();
}

async function boot(login) {
  $("login").hidden = true;
  $("console").hidden = false;
  $("whoami").textContent = `${login.seat.username} · ${login.seat.centre}`;
  const config = await syncClock();
  setInterval(() => syncClock().catch(() => {}), CLOCK_SYNC_MS);
  if ((config.link_110 || {}).role === "intranet") { // a 110 console: its own title, no forwarding
    titleKey = "title_110";
    document.querySelectorAll('[data-i18n="title"]').forEach((el) => { el.dataset.i18n = titleKey; });
    document.querySelectorAll('[data-i18n="shortcuts"]').forEach((el) => { el.dataset.i18n = "shortcuts_110"; });
    setLanguage(i18n.lang);
  }
  const centres = await api("/api/v1/centres", { background: true });
  if (started) { location.reload(); return; } // a second sign-in in this tab starts clean
  started = true;
  keepAlive(config);
  const links = watchLinks(config);
  const view = new IncidentView({ root: $("incident"), i18n, config, seat: login.seat, why: (id) => notices.why(id) });
  const open = async (id) => {
    showPanel("console");
    queue.select(id);
    try { await view.open(id); } catch (error) { view.say(error.message, "error"); }
    history.replaceState(null, "", `#${id}`);
  };
  const toasts = new Toasts($("toasts"));
  const queue = new Queue({ list: $("queue"), banner: $("sla-banner"), toasts, i18n, config, onOpen: open });
  // The case the seat is reading: open in the console, with the console and the tab in sight.
  const reading = () => ($("workspace").hidden || document.hidden ? null : view.id);
  const notices = new Notices({ toasts, i18n, seat: login.seat, centres, queue, reading });
  // After a queue refresh: tell the moves of cases, and why the open one left if it did.
  const settle = () => { if (notices.settle().includes(view.goneId)) view.gone(view.goneId); };
  const actions = new Actions({
    bar: $("actions"), dialog: $("action-dialog"), i18n, view, queue, centres, config,
    onDone: async () => {
      await Promise.allSettled([view.refresh({ background: false }), sync.touched(view.id)]);
      actions.render();
    },
  });
  $("incident").addEventListener("refreshed", () => actions.render());
  actions.render();
  setInterval(() => queue.tick(), 1000);

  const isSupervisor = ["supervisor", "admin"].includes(login.seat.role);
  $("supervisor-tab").hidden = !isSupervisor;
  const caseHistory = new History({ root: $("history"), i18n, onOpen: open });
  const replay = new Replay({ root: $("replay"), i18n, config, onBack: () => showPanel("console") });
  const showPanel = (name) => {
    $("workspace").hidden = name !== "console";
    $("supervisor").hidden = name !== "supervisor";
    $("history").hidden = name !== "history";
    if (name !== "replay") replay.stop();
    $("replay").hidden = name !== "replay";
    $("history-tab").setAttribute("aria-pressed", String(name === "history"));
    $("supervisor-tab").setAttribute("aria-pressed", String(name === "supervisor"));
    if (name === "supervisor") renderSupervisor($("supervisor"), i18n, centres, open).catch(() => {});
    if (name === "history") $("history").querySelector("input[name=q]").focus();
    // Back in sight: what the reporter wrote meanwhile is read now (and receipted).
    if (name === "console" && view.id) view.refresh().catch(() => {});
  };
  $("supervisor-tab").onclick = () => showPanel($("supervisor").hidden ? "supervisor" : "console");
  $("history-tab").onclick = () => showPanel($("history").hidden ? "history" : "console");
  $("replay-open").onclick = () => {
    if (!view.incident) return;
    showPanel("replay");
    replay.open(view.incident.id, view.incident.case_number);
  };

  // The open case and the supervisor view are read again beside the queue, one read of them at
  // a time (one asked for meanwhile follows it), never holding up the queue's next read: a new
  // P1 must be listed within 2 s however slow the open case's five requests are.
  let besideBusy = false;
  let besideAgain = null;
  const beside = async (caseToo) => {
    if (besideBusy) { besideAgain = { caseToo: caseToo || (besideAgain && besideAgain.caseToo) }; return; }
    besideBusy = true;
    if (caseToo && view.id) await view.refresh().catch(() => {});
    if (!$("supervisor").hidden) await renderSupervisor($("supervisor"), i18n, centres, open).catch(() => {});
    besideBusy = false;
    if (besideAgain) { const next = besideAgain; besideAgain = null; beside(next.caseToo); }
  };
  // After each read of the queue: the notices it settles; the open case read again when the
  // read was whole or the periodic look, or when an event named it (not for every event of
  // every other case), and the supervisor view on a whole read or the look.
  const sync = new QueueSync({
    queue,
    onRead: ({ whole, named, look }) => {
      notices.polled(queue.incidents, $("mode").dataset.mode === "live");
      settle();
      const caseToo = Boolean(view.id) && (whole || look || named.includes(view.id));
      if (caseToo || whole || look) beside(caseToo);
    },
  });
  feed = startFeed({
    token: login.access_token,
    onEvent: (frame) => { notices.take(frame); sync.changed(frame); },
    onPoll: (kind) => (kind === "look" ? sync.check() : sync.reread()),
    onMode: (mode, since) => { // the badge's words are redrawn on a language switch
      $("mode").dataset.mode = mode;
      $("mode").dataset.since = since ? since.toISOString() : "";
      renderMode();
    },
  });
  $("lang").onclick = () => {
    setLanguage(i18n.lang === "zh" ? "en" : "zh");
    renderMode();
    queue.render();
    actions.render();
    caseHistory.render();
    if (!$("replay").hidden) replay.reload();
    links.render();
    if (view.id) view.open(view.id);
  };
  await sync.reread();
  // A link to /seat#<incident id> opens that incident (if this seat may see it).
  const follow = () => {
    const wanted = location.hash.slice(1);
    if (wanted && wanted !== view.id) open(wanted);
  };
  window.addEventListener("hashchange", follow);
  follow();
}

// The header's badge: live (push), polling, or offline since when (nothing answers).
function renderMode() {
  const badge = $("mode");
  const { mode, since } = badge.dataset;
  badge.textContent = mode === "offline" && since
    ? i18n.t("offline_since", { time: time(since, i18n.lang) })
    : i18n.t(mode || "polling");
}

// The links to other servers in the header, looked at every 5 s. The 110 link: on the
// intranet whether the puller reaches the Internet side (and why not); on the Internet side
// whether the 110 side has called lately, and how many forwards wait for 110 since when. The superior server: whether the sender reaches it, and
// how many escalations wait for it.

function watchLinks(config) {
  const watched = [];
  if ((config.link_110 || {}).enabled) {
    watched.push(watch($("link"), "/api/v1/link/110/status", "link", (s) => {
      if (s.role === "intranet") return s.last_error || !s.last_contact_at ? "down" : "up";
      // The Internet side knows the link only from the 110 side's calls (every second or so):
      // silent for longer than NETALARM_LINK_DOWN_S, it is down.
      if (s.down) return "down";
      return s.waiting ? "waiting" : "up";
    }));
  }
  if (config.superior) {
    watched.push(watch($("superior-link"), "/api/v1/federation/status", "superior",
      (s) => (s.last_error ? "down" : s.waiting ? "waiting" : "up")));
  }
  return { render: () => watched.forEach((w) => w.render()) };
}

// A link that is down says since when and why in the console's language (by the kind of
// failure: the other server unreachable, refusing, or an error here); the server's own words
// are the badge's tooltip.
function watch(badge, path, prefix, stateOf) {
  let status = null;
  const render = () => {
    if (!status) return;
    const { t, lang } = i18n;
    const state = stateOf(status);
    badge.dataset.state = state;
    badge.title = status.last_error || "";
    const kind = status.error_kind;
    const reason = kind ? t(`${prefix}_${kind}`, { status: status.error_status || "" }) : status.last_error || t("link_never");
    const heard = status.role === "internet" && status.last_contact_at ? time(status.last_contact_at, lang) : null;
    if (state === "down" && status.role === "internet") {
      badge.textContent = heard ? t("link_silent", { time: heard }) : t("link_unheard");
    } else if (state === "down" && status.down_since) {
      badge.textContent = t(`${prefix}_down_since`, { time: time(status.down_since, lang), reason });
    } else if (state === "waiting" && status.oldest_waiting_since) {
      badge.textContent = t(`${prefix}_waiting_since`, { n: status.waiting, time: time(status.oldest_waiting_since, lang) });
    } else {
      badge.textContent = t(`${prefix}_${state}`, { n: status.waiting, error: reason });
    }
  };
  const look = async () => {
    try { status = await api(path, { background: true }); } catch { return; }
    badge.hidden = false;
    render();
  };
  look();
  setInterval(look, 5000);
  return { render };
}

// Pointer and key input count as the seat acting: tell the server now and then, so a seat
// that reads and types without making requests is not signed out as idle.
function keepAlive(config) {
  let last = Date.now();
  const every = Math.min(60, config.idle_timeout_s / 4) * 1000;
  const touch = () => {
    if (Date.now() - last < every || !session.get()) return;
    last = Date.now();
    api("/api/v1/auth/me").catch(() => {});
  };
  ["keydown", "pointerdown", "wheel"].forEach((type) => document.addEventListener(type, touch, { passive: true }));
  // Ask now and then, without counting as activity, whether the session is still alive, so an
  // idle console shows the sign-in page soon after the server has signed it out.
  setInterval(() => { if (session.get()) api("/api/v1/auth/me", { background: true }).catch(() => {}); },
    Math.min(30, config.idle_timeout_s / 3) * 1000);
}

// Why a sign-in failed, in the console's language: a wrong name or password, or a name locked
// after too many failures (the server says for how many seconds more).
function signInRefusal(error) {
  if (error.status === 401) return i18n.t("wrong_login");
  if (error.status === 429 && error.code === "too_many_attempts") {
    const minutes = Math.max(1, Math.ceil((Number(error.body.retry_after_s) || 60) / 60));
    return minutes === 1 ? i18n.t("login_locked_one") : i18n.t("login_locked", { minutes });
  }
  return error.message;
}

function main() {
  setLanguage(i18n.lang);
  $("lang").onclick = () => setLanguage(i18n.lang === "zh" ? "en" : "zh");
  // The server stopped taking this console's token: idle too long, or the session ended
  // (expired, signed out on another tab, the seat disabled or its password changed).
  session.onSignedOut((error) => showLogin(i18n.t(error.code === "session_idle" ? "signed_out_idle" : "signed_out_ended")));
  // Sound needs a user gesture: after a reload that kept the session, the first one unlocks it.
  ["pointerdown", "keydown"].forEach((type) => document.addEventListener(type, unlock, { once: true }));
  $("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    unlock();
    try {
      await boot(await signIn($("username").value, $("password").value));
    } catch (error) {
      $("login-error").textContent = signInRefusal(error);
    }
  });
  $("sign-out").onclick = async () => { await signOut(); location.hash = ""; location.reload(); };
  const login = session.get();
  if (login) boot(login).catch((error) => { if (error.status !== 401) showLogin(error.message); });
  else showLogin();
}

main();
