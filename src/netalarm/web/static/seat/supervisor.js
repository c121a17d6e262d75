// The supervisor's view: seats signed in, whether each console is there now, the open
// incidents each holds, and today's SLA compliance of the centre and those below it.
import { api } from "./api.js";
import { time } from "../common/times.js";
import { esc } from "./dom.js";

export async function renderSupervisor(root, i18n, centres, onOpen) {
  const { t, lang } = i18n;
  const o = await api("/api/v1/supervisor/overview", { background: true });
  const centre = (code) => centres.find((c) => c.code === code)?.name || code;
  const d = o.today;
  const share = d.share_within_sla === null ? t("none") : `${Math.round(d.share_within_sla * 100)} %`;
  const median = d.median_time_to_accept_s === null ? t("none") : `${d.median_time_to_accept_s.toFixed(1)} s`;
  root.innerHTML = `
    <h2>${esc(t("sla_today"))} · ${esc(centre(o.centre))}</h2>
    <dl class="figures">
      <div><dt>${esc(t("share_within"))}</dt><dd id="sla-share">${share}</dd><dd class="small">${d.within_sla} / ${d.counted}</dd></div>
      <div><dt>${esc(t("median_accept"))}</dt><dd id="sla-median">${median}</dd></div>
      <div><dt>${esc(t("waiting_now"))}</dt><dd id="sla-waiting">${d.waiting_now}</dd></div>
    </dl>
    <h2>${esc(t("seats_online"))}</h2>
    <table id="seats-online"><thead><tr><th>${esc(t("seat"))}</th><th>${esc(t("role"))}</th><th>${esc(t("centre"))}</th><th>${esc(t("last_active"))}</th><th>${esc(t("presence"))}</th>
      <th>${esc(t("open_incidents"))}</th></tr></thead><tbody>
      ${o.seats.map((s) => `<tr data-seat="${esc(s.username)}"><td>${esc(s.username)}</td><td>${esc(t(`role_${s.role}`))}</td>
        <td title="${esc(s.centre)}">${esc(centre(s.centre))}</td><td>${time(s.last_active_at, lang)}</td>
        <td class="presence" data-present="${s.present}">${esc(s.present ? t("present") : t("away", { at: time(s.last_seen_at, lang) }))}</td>
        <td>${s.open.map((i) => `<button type="button" class="link" data-id="${i.id}">${esc(i.case_number)}</button>
          <small>${esc(t(`status_${i.status}`))}</small>`).join(" ") || "—"}</td></tr>`).join("")}
    </tbody></table>`;
  root.querySelectorAll("[data-id]").forEach((b) => b.addEventListener("click", () => onOpen(b.dataset.id)));
}
