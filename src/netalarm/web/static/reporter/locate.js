// The status page of an alarm the police have no position for (an SOS made without the
// browser's position): it says so and lets the reporter give one as on the details form, a
// pin on the map (sent as a manual position, POST …/locations) or an address (sent in the chat).
import { api } from "./api.js";
import { showMap } from "./map.js";
import { store } from "./store.js";

const $ = (id) => document.getElementById(id);

export function createLocate({ t, position, config, chat, status }) {
  let drawn = false;

  function fail(key) {
    $("locate-error").dataset.i18n = key;
    $("locate-error").textContent = t(key);
    $("locate-error").hidden = false;
  }

  async function send() {
    const current = store.current;
    const here = position.best();
    const address = $("locate-address").value.trim();
    $("locate-error").hidden = true;
    if (!current) return;
    if (!here && !address) {
      fail("locate.nothing");
      return;
    }
    if (here) {
      try {
        await api.locate(current, here);
      } catch {
        fail("locate.failed");
        return;
      }
      position.clearManual();
    }
    const addressSent = Boolean(address && (await chat.say(t("details.addressLine", { address }))));
    if (addressSent) {
      $("locate-address").value = "";
      // The operator has an address now, though still no point on the map.
      $("locate-title").dataset.i18n = "locate.titleAddress";
      $("locate-title").textContent = t("locate.titleAddress");
    }
    if (here || addressSent) {
      $("locate-done").dataset.i18n = here ? "locate.sentPosition" : "locate.sentAddress";
      $("locate-done").textContent = t($("locate-done").dataset.i18n);
      $("locate-done").hidden = false;
    }
    status.refresh();
  }

  $("locate-send").addEventListener("click", send);

  return {
    // Shown while the case is open and the server knows no position for it.
    update(current) {
      const needed = Boolean(current && !current.location && current.status !== "closed");
      $("locate").hidden = !needed;
      if (!needed || drawn) return;
      drawn = true;
      showMap($("locate-map"), position, config(), t("details.map")).catch(() => { $("locate-map").hidden = true; });
    },
  };
}
