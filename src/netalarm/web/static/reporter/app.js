// The reporter app: one-tap silent SOS, a details form (category, text, position, media,
// identity), a waiting page for alarms made offline, and the status page with the chat (and,
// when a phone was given, the optional confirmation of that number by an SMS code).
import { makeI18n } from "/static/common/i18n.js";
import { api } from "./api.js";
import { mediaButtons } from "./capture.js";
import { createChat } from "./chat.js";
import { clearField, markField, markServerField, phoneLooksValid } from "./fields.js";
import { createFiles } from "./files.js";
import { CATEGORIES, pictogram } from "./icons.js";
import { createLocate } from "./locate.js";
import { createOutbox } from "./outbox.js";
import { createLiveShare, createPosition } from "./position.js";
import { createStatus } from "./status.js";
import { STRINGS } from "./strings.js";
import { newIdempotencyKey, store } from "./store.js";
import { library as uploadLibrary } from "./uploads.js";
import { createVerify } from "./verify.js";
import { createWithdraw } from "./withdraw.js";

const i18n = makeI18n(STRINGS);
const t = i18n.t;
const $ = (id) => document.getElementById(id);
const VIEWS = ["home", "details", "waiting", "status"];
const CONFIG_KEY = "netalarm.reporter.config";
const SLOW_FEEDBACK_MS = 400; // an SOS not answered by then shows the "sending" page

let config = JSON.parse(localStorage.getItem(CONFIG_KEY) || "null") || { sms_number: "12110", map_tile_url: "" };
let category = "other";
let attachments = [];
let mapShown = false;

const position = createPosition();
const liveShare = createLiveShare(position);
const status = createStatus({
  i18n,
  onGone: () => forget(),
  onClosed: closed,
  onStatus: (s) => { locate.update(s); withdraw.update(s); verify.update(s); },
  onJoined: (joined) => {
    const current = store.current;
    if (current && current.id === joined.id) {
      store.current = { ...current, case_number: joined.case_number, joined_from: joined.joined_from };
    }
    renderLastCase();
  },
  onLive: () => files.retry(),
});
const chat = createChat({ t, status });
const locate = createLocate({ t, position, config: () => config, chat, status });
const withdraw = createWithdraw({ i18n, status });
const verify = createVerify({ i18n });
const files = createFiles({ t, list: $("uploads"), onMessage: () => status.refresh() });
const outbox = createOutbox({ onWaiting: showWaiting, onSent: showSent, onRefused: showRefused });

// A new screen takes the focus (its note if it shows one, else its heading), so a screen
// reader says what changed; not on the app's first screen.
let firstScreen = true;
function show(name) {
  for (const v of VIEWS) $(`view-${v}`).hidden = v !== name;
  window.scrollTo(0, 0);
  if (firstScreen) {
    firstScreen = false;
    return;
  }
  const view = $(`view-${name}`);
  const target = [...view.querySelectorAll("[data-focus-first], h2")].find((el) => !el.hidden);
  if (target) {
    target.tabIndex = -1;
    target.focus({ preventScroll: true });
  }
}

function setDim(dim) {
  document.body.classList.toggle("dim", dim);
  document.querySelector('meta[name="theme-color"]').content = dim ? "#000000" : "#b3261e";
  $("undim").hidden = !dim;
}

// ---- position -------------------------------------------------------------------------

function positionText() {
  const here = position.best();
  if (!here) return position.failed ? t("position.none") : t("position.locating");
  const vars = { lat: here.lat.toFixed(5), lon: here.lon.toFixed(5), acc: here.accuracy_m };
  return here.source === "manual" ? t("position.manual", vars) : t("position.fix", vars);
}

function renderPosition() {
  document.querySelectorAll("[data-position]").forEach((el) => { el.textContent = positionText(); });
  renderSms();
}

// ---- home -----------------------------------------------------------------------------

function renderCategories() {
  $("categories").innerHTML = CATEGORIES.map((c) => `<li><button type="button" class="category" data-category="${c}">${pictogram(c)}<span data-i18n="cat.${c}"></span></button></li>`).join("");
  $("quick-categories").innerHTML = CATEGORIES.map((c) => `<li><button type="button" class="category" data-quick="${c}">${pictogram(c)}<span data-i18n="cat.${c}"></span></button></li>`).join("");
  $("category-choice").innerHTML = CATEGORIES.map((c) => `<label class="category"><input type="radio" name="category" value="${c}">${pictogram(c)}<span data-i18n="cat.${c}"></span></label>`).join("");
}

function reporterFields() {
  const saved = store.identity;
  const fields = { language: i18n.lang === "zh" ? "zh-CN" : "en" };
  if (saved && saved.name) fields.name = saved.name;
  if (saved && saved.phone && phoneLooksValid(saved.phone)) fields.phone = saved.phone;
  return fields;
}

// A second tap while an alarm is on its way must not make (or drop) another one: it shows
// the alarm that is on its way.
function silentSos() {
  if (store.pending) {
    showWaiting(store.pending, outbox.sending);
    return;
  }
  setDim(true);
  const body = { idempotency_key: newIdempotencyKey(), category: "other", silent: true, channel: "web", reporter: reporterFields() };
  const here = position.best();
  if (here) body.location = here;
  position.clearManual();
  outbox.send(body);
  // On a slow network the tap must still show at once that the alarm is on its way.
  setTimeout(() => { if (store.pending && outbox.sending) showWaiting(store.pending, true); }, SLOW_FEEDBACK_MS);
}

async function openDetails(chosen) {
  category = chosen || category;
  document.querySelectorAll('input[name="category"]').forEach((input) => { input.checked = input.value === category; });
  const saved = store.identity;
  if (saved) {
    $("name").value = saved.name || "";
    $("phone").value = saved.phone || "";
    $("remember").checked = true;
  }
  $("share-live").checked = store.shareLive;
  show("details");
  uploadLibrary().catch(() => {}); // ready before a file is picked; an upload asks again
  if (!mapShown) {
    mapShown = true;
    try {
      await showMap();
    } catch {
      $("map").hidden = true;
    }
  }
}

async function showMap() {
  const { showMap: draw } = await import("./map.js");
  await draw($("map"), position, config, t("details.map"));
}

// ---- media ----------------------------------------------------------------------------

function renderAttachments() {
  $("attachments").innerHTML = "";
  attachments.forEach((entry, index) => {
    const item = document.createElement("li");
    item.textContent = entry.name;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link";
    remove.textContent = "✕";
    remove.setAttribute("aria-label", t("media.remove", { name: entry.name }));
    remove.onclick = () => { attachments.splice(index, 1); renderAttachments(); };
    item.append(remove);
    $("attachments").append(item);
  });
}

// ---- details form ---------------------------------------------------------------------

function setSending(on) {
  const button = $("send-details");
  button.disabled = on;
  button.dataset.i18n = on ? "details.sending" : "details.send";
  button.textContent = t(button.dataset.i18n);
}

function submitDetails(event) {
  event.preventDefault();
  if (store.pending) {
    showWaiting(store.pending, outbox.sending);
    return;
  }
  $("details-error").hidden = true;
  const phone = $("phone").value.trim();
  if (phone && !phoneLooksValid(phone)) {
    markField("phone", "field.phone", t);
    return;
  }
  const chosen = document.querySelector('input[name="category"]:checked');
  const address = $("address").value.trim();
  const description = [$("description").value.trim(), address ? t("details.addressLine", { address }) : ""].filter(Boolean).join("\n\n");
  const name = $("name").value.trim();
  store.identity = $("remember").checked && (name || phone) ? { name, phone } : null;
  store.shareLive = $("share-live").checked;
  const reporter = { language: i18n.lang === "zh" ? "zh-CN" : "en" };
  if (name) reporter.name = name;
  if (phone) reporter.phone = phone;
  const body = { idempotency_key: newIdempotencyKey(), category: chosen ? chosen.value : "other", description, silent: false, channel: "web", reporter };
  const here = position.best();
  if (here) body.location = here;
  position.clearManual();
  setDim(false);
  setSending(true);
  outbox.send(body, attachments);
  attachments = [];
  renderAttachments();
}

// ---- waiting, sent, refused -----------------------------------------------------------

function renderSms() {
  const pending = store.pending;
  const body = pending ? pending.body : { category: "other", description: "" };
  const here = body.location || position.best();
  const vars = { category: t(`cat.${body.category || "other"}`), description: (body.description || "").slice(0, 200) };
  const text = here ? t("waiting.smsBody", { ...vars, lat: here.lat.toFixed(5), lon: here.lon.toFixed(5) }) : t("waiting.smsNoPos", vars);
  // A silent SOS sent by SMS asks for quiet in its first word (the server's keyword), so the
  // police do not text the hidden phone as the case moves on.
  const said = body.silent ? `${t("waiting.smsQuiet")} ${text.trim()}` : text.trim();
  $("sms-link").href = `sms:${config.sms_number}?body=${encodeURIComponent(said)}`;
  $("sms-link").textContent = t("waiting.sms", { number: config.sms_number });
}

// `sending`: an attempt is on its way (a slow network), rather than waiting for a connection.
function showWaiting(pending, sending = false) {
  setSending(false);
  $("waiting-title").dataset.i18n = sending ? "waiting.sendingTitle" : "waiting.title";
  $("waiting-body").dataset.i18n = sending ? "waiting.sendingBody" : "waiting.body";
  i18n.apply($("view-waiting"));
  setDim(Boolean(pending.body.silent));
  renderSms();
  show("waiting");
}

function showSent(current) {
  setSending(false);
  openStatus(current, true);
}

// The server refused the alarm: back to the form with what was sent, the refused field marked
// beside it (or the error above the send button), in view. A silent SOS refused for the
// remembered identity goes again at once without it: no one in danger fills in a form.
function showRefused(err, pending) {
  setSending(false);
  const reporter = pending.body.reporter || {};
  const identity = store.identity;
  if (err.field === "reporter.phone" && identity) store.identity = identity.name ? { name: identity.name, phone: "" } : null;
  if (pending.body.silent && (err.field || "").startsWith("reporter.")) {
    outbox.send({ ...pending.body, reporter: { language: reporter.language } }, pending.attachments);
    return;
  }
  attachments = pending.attachments || [];
  renderAttachments();
  $("name").value = reporter.name || "";
  $("phone").value = reporter.phone || "";
  setDim(false);
  show("details");
  if (markServerField(err.field, t)) return;
  $("details-error").hidden = false;
  $("details-error").textContent = t("error.generic", { message: err.message });
  $("details-error").scrollIntoView({ block: "center" });
}

function openStatus(current, fresh) {
  setDim(Boolean(current.dim));
  $("sent-note").hidden = !fresh;
  $("share-live-status").checked = store.shareLive;
  show("status");
  status.show(current);
  liveShare.follow(current);
  liveShare.enabled = store.shareLive;
  if (fresh && !current.located) {
    if (position.best()) liveShare.sendOnce(current).catch(() => {});
    else {
      const off = position.onChange(() => {
        if (!position.best()) return;
        off();
        liveShare.sendOnce(current).catch(() => {});
      });
    }
  }
  files.resume();
  chat.flush();
}

// A closed case no longer opens on start: the home page does, with a link to that case.
function closed() {
  liveShare.stop();
  const current = store.current;
  if (current && !current.closed) store.current = { ...current, closed: true };
}

function renderLastCase() {
  const current = store.current;
  $("last-case").hidden = !current;
  $("last-case").textContent = current ? t("home.lastCase", { case: current.case_number }) : "";
}

function showHome() {
  renderLastCase();
  setDim(false);
  show("home");
}

function leaveStatus() {
  status.stop();
  liveShare.stop();
  showHome();
}

function forget() {
  store.current = null;
  leaveStatus();
}

// ---- wiring ---------------------------------------------------------------------------

function applyLanguage() {
  i18n.apply();
  $("lang").lang = i18n.lang === "zh" ? "en" : "zh-CN";
  document.title = `${t("app.title")} · netalarm`;
  renderPosition();
  renderLastCase();
  status.render();
  withdraw.render();
  verify.render();
  chat.render();
  files.render();
}

function wire() {
  $("sos").addEventListener("click", silentSos);
  $("categories").addEventListener("click", (event) => {
    const button = event.target.closest("[data-category]");
    if (button) openDetails(button.dataset.category);
  });
  $("open-details").addEventListener("click", () => openDetails());
  $("details-back").addEventListener("click", () => show("home"));
  $("details-form").addEventListener("submit", submitDetails);
  for (const id of ["name", "phone"]) $(id).addEventListener("input", () => clearField(id));
  $("retry").addEventListener("click", () => outbox.flush());
  $("undim").addEventListener("click", () => {
    const current = store.current;
    if (current) store.current = { ...current, dim: false };
    setDim(false);
  });
  $("new-alarm").addEventListener("click", () => {
    if (store.current?.closed) leaveStatus();
    else if (confirm(t("status.newConfirm"))) forget();
  });
  $("last-case").addEventListener("click", () => openStatus(store.current, false));
  $("share-live-status").addEventListener("change", (event) => {
    store.shareLive = event.target.checked;
    liveShare.enabled = event.target.checked;
  });
  $("lang").addEventListener("click", () => {
    i18n.set(i18n.lang === "zh" ? "en" : "zh");
    applyLanguage();
  });
  const net = () => { $("net").hidden = navigator.onLine; };
  window.addEventListener("online", net);
  window.addEventListener("offline", net);
  net();
  mediaButtons(t, document.querySelector('[data-media="details"]'), (entry) => { attachments.push(entry); renderAttachments(); });
  mediaButtons(t, document.querySelector('[data-media="chat"]'), (entry) => files.add(entry, true));
  position.onChange(renderPosition);
}

async function loadConfig() {
  try {
    config = await api.config();
    localStorage.setItem(CONFIG_KEY, JSON.stringify(config));
    renderSms();
  } catch {
    // offline: the copy kept from the last visit (or the defaults) stays in use
  }
}

function boot() {
  renderCategories();
  wire();
  applyLanguage();
  const current = store.current;
  if (store.pending) {
    showWaiting(store.pending);
    outbox.flush();
  } else if (current && !current.closed) {
    openStatus(current, false);
  } else {
    showHome();
  }
  loadConfig();
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  document.body.dataset.ready = "true";
  // SOS tapped while the app was still loading (the page's own script kept the tap).
  if (document.body.dataset.sosEarly) {
    delete document.body.dataset.sosEarly;
    silentSos();
  }
}

boot();
