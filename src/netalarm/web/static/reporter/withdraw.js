// "Cancel this alarm" on the status page: the reporter says why (sent by mistake, or safe
// now) with a second tap, POST …/withdraw. The case stays open until the police close it,
// and the page says they may still get in touch; a withdrawn alarm says when and why.
import { time } from "/static/common/times.js";
import { api, ApiError } from "./api.js";
import { store } from "./store.js";

const $ = (id) => document.getElementById(id);

export function createWithdraw({ i18n, status }) {
  const t = i18n.t;
  let current = null; // the alarm's status as last read

  function fail(text) {
    $("withdraw-error").textContent = text;
    $("withdraw-error").hidden = false;
  }

  function ask(open) {
    $("withdraw-ask").hidden = !open;
    $("withdraw-open").hidden = open;
    $("withdraw-error").hidden = true;
    if (open) $("withdraw-ask").querySelector("button").focus();
  }

  async function send(reason) {
    const alarm = store.current;
    if (!alarm) return;
    const buttons = $("withdraw-ask").querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      current = await api.withdraw(alarm, reason);
      render();
      // The pressed button is gone: the note saying what happened takes the focus.
      $("withdrawn-note").tabIndex = -1;
      $("withdrawn-note").focus();
      status.refresh();
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        fail(t("withdraw.closed"));
        status.refresh();
      } else {
        fail(t(err instanceof ApiError ? "withdraw.failed" : "withdraw.offline"));
      }
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  }

  function render() {
    const open = Boolean(current && current.status !== "closed");
    const withdrawn = Boolean(current && current.withdrawn_at);
    $("withdraw").hidden = !(open || withdrawn);
    $("withdrawn-note").hidden = !withdrawn;
    if (withdrawn) {
      const reason = t(`withdraw.reason.${current.withdrawn_reason}`);
      $("withdrawn-note").textContent = t(open ? "withdraw.done" : "withdraw.doneClosed", { time: time(current.withdrawn_at, i18n.lang), reason });
    }
    if (withdrawn || !open) {
      $("withdraw-open").hidden = true;
      $("withdraw-ask").hidden = true;
    } else if ($("withdraw-ask").hidden) {
      $("withdraw-open").hidden = false;
    }
  }

  $("withdraw-open").addEventListener("click", () => ask(true));
  $("withdraw-keep").addEventListener("click", () => { ask(false); $("withdraw-open").focus(); });
  $("withdraw-ask").addEventListener("click", (event) => {
    const button = event.target.closest("[data-reason]");
    if (button) send(button.dataset.reason);
  });

  return {
    // Follows every status read from the server (null: no alarm shown).
    update(next) {
      if (!next || (current && next.id !== current.id)) {
        $("withdraw-ask").hidden = true;
        $("withdraw-error").hidden = true;
      }
      current = next;
      render();
    },
    render,
  };
}
