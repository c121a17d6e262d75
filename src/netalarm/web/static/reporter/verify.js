// "Confirm your phone number" on the status page of an alarm that gave one: a code by SMS,
// typed back here, so the seat knows a call or text reaches the reporter. Optional and
// small: a link under the case, never a step the alarm waits for. Nothing is texted on its
// own: a code goes only when the reporter presses for it. On a silent alarm the link says
// it sends an SMS, and a second press, after a warning that a text may be noticed, sends it
// (the server refuses a silent alarm's code without `even_if_silent`).
import { api, ApiError } from "./api.js";
import { store } from "./store.js";

const $ = (id) => document.getElementById(id);
const CODE = /^[0-9]{6}$/;

export function createVerify({ i18n }) {
  const t = i18n.t;
  let alarm = null; // {id, reporter_token} of the alarm shown
  let state = null; // GET …/phone
  let closed = false;
  let warned = false; // the silent alarm's warning is open
  let entering = false; // the code form is open
  let waitUntil = 0; // when another code may be asked for (ms)
  let ticker = null;
  let busy = false;

  function fail(text) {
    $("verify-error").textContent = text;
    $("verify-error").hidden = !text;
  }

  function waitFor(seconds) {
    waitUntil = seconds > 0 ? Date.now() + seconds * 1000 : 0;
    clearInterval(ticker);
    if (waitUntil) {
      ticker = setInterval(() => {
        renderResend();
        if (Date.now() >= waitUntil) clearInterval(ticker);
      }, 1000);
    }
    renderResend();
  }

  function secondsLeft() {
    return Math.max(0, Math.ceil((waitUntil - Date.now()) / 1000));
  }

  function renderResend() {
    const left = secondsLeft();
    const button = $("verify-resend");
    button.disabled = left > 0 || busy;
    button.textContent = left > 0 ? t("verify.resendIn", { s: left }) : t("verify.resend");
  }

  async function load() {
    const shown = alarm;
    try {
      const next = await api.phone(shown);
      if (shown !== alarm) return;
      state = next;
      entering = entering || Boolean(state.code_expires_at);
      waitFor(state.next_code_in_s);
    } catch {
      // offline, or the alarm is gone: the status page says so; nothing to offer here
    }
    render();
  }

  function refused(err) {
    if (!(err instanceof ApiError)) return fail(t("verify.offline"));
    if (err.retryAfter) waitFor(err.retryAfter);
    switch (err.code) {
      case "wrong_code":
        $("verify-code").select();
        return fail(t("verify.wrong", { n: err.attemptsLeft }));
      case "code_expired":
      case "no_code":
        return fail(t("verify.expired"));
      case "too_many_attempts":
        return fail(t("verify.used"));
      case "code_recently_sent":
      case "too_many_codes":
        return fail(t("verify.wait", { s: secondsLeft() }));
      case "incident_closed":
        closed = true;
        render();
        return fail(t("verify.closed"));
      case "phone_already_verified":
        fail("");
        return load();
      case "silent_alarm":
        warned = true;
        return render();
      default:
        return fail(t("verify.failed", { message: err.message }));
    }
  }

  async function send(evenIfSilent) {
    if (!alarm || busy) return;
    busy = true;
    fail("");
    try {
      state = await api.sendCode(alarm, evenIfSilent);
      warned = false;
      entering = true;
      waitFor(state.next_code_in_s);
      render();
      $("verify-code").focus();
    } catch (err) {
      refused(err);
    } finally {
      busy = false;
      renderResend();
    }
  }

  async function confirm() {
    const code = $("verify-code").value.trim();
    if (!CODE.test(code)) {
      fail(t("verify.format"));
      $("verify-code").focus();
      return;
    }
    if (!alarm || busy) return;
    busy = true;
    fail("");
    try {
      state = await api.confirmCode(alarm, code);
      entering = false;
      $("verify-code").value = "";
      render();
      $("verify-done").tabIndex = -1;
      $("verify-done").focus();
    } catch (err) {
      refused(err);
    } finally {
      busy = false;
      renderResend();
    }
  }

  function render() {
    const shown = Boolean(alarm && state && state.phone && !closed);
    $("verify").hidden = !shown;
    if (!shown) return;
    const done = state.verified;
    $("verify-done").hidden = !done;
    $("verify-done").textContent = done
      ? t(state.verified_via === "carrier" ? "verify.doneCarrier" : "verify.done", { phone: state.phone }) : "";
    $("verify-open").hidden = done || entering || warned;
    $("verify-open").textContent = t(state.silent ? "verify.silentOpen" : "verify.open");
    $("verify-why").hidden = done || entering || warned || state.silent;
    $("verify-warn").hidden = done || !warned;
    $("verify-form").hidden = done || !entering;
    const minutes = state.code_expires_at
      ? Math.round((Date.parse(state.code_expires_at) - Date.parse(state.code_sent_at)) / 60000) : 0;
    $("verify-sent").textContent = state.code_expires_at ? t("verify.sentTo", { phone: state.phone, minutes }) : "";
    if (done) fail("");
    renderResend();
  }

  $("verify-open").addEventListener("click", () => {
    if (!state) return;
    if (!state.silent) return send(false);
    warned = true;
    render();
    $("verify-silent-send").focus();
  });
  $("verify-silent-send").addEventListener("click", () => send(true));
  $("verify-not-now").addEventListener("click", () => {
    warned = false;
    render();
    $("verify-open").focus();
  });
  // A new code on a silent alarm is as explicit a request as the first one was.
  $("verify-resend").addEventListener("click", () => send(Boolean(state && state.silent)));
  $("verify-form").addEventListener("submit", (event) => {
    event.preventDefault();
    confirm();
  });

  return {
    // Follows every status read from the server (null: no alarm shown).
    update(status) {
      if (!status) {
        alarm = state = null;
        render();
        return;
      }
      closed = status.status === "closed";
      if (!alarm || alarm.id !== status.id) {
        const current = store.current;
        alarm = current && current.id === status.id ? current : null;
        state = null;
        warned = entering = false;
        fail("");
        if (alarm) load();
      }
      render();
    },
    render,
  };
}
