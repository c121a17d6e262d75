// The incident's photos, video and voice notes. The list shows what the server says of each
// file (kind, name, size, hash) and its preview image when there is one; the original is
// fetched — a read recorded on the timeline — only when the seat plays or opens it. Each
// file's figure is keyed by its media id and kept across refreshes, so a video or voice
// note that is playing goes on playing while messages and positions arrive.
import { api } from "./api.js";
import { esc } from "./dom.js";
import { refusal } from "./refusals.js";
import { clock } from "./queue.js";
import { icon } from "./words.js";

const KIND_ICONS = { image: "image", video: "video", audio: "audio-lines" };
const REVEAL_MS = 2500;

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export class MediaList {
  constructor({ root, i18n, onRead }) {
    Object.assign(this, { root, i18n, onRead });
    this.incidentId = null;
    this.items = new Map(); // media id -> the file as the media list gives it
    this.previews = new Map(); // media id -> object URL of its preview, read once per console
    root.addEventListener("click", (e) => {
      const button = e.target.closest("button[data-open]");
      if (button) this.openOriginal(button.closest("figure"));
    });
  }

  async show(incidentId) {
    if (incidentId !== this.incidentId) {
      this.incidentId = incidentId;
      this.items.clear();
      this.root.replaceChildren();
    }
    const items = await api(`/api/v1/incidents/${incidentId}/media`, { background: true });
    if (incidentId !== this.incidentId) return;
    const wanted = new Set(items.map((m) => m.id));
    this.root.querySelectorAll("figure").forEach((figure) => { if (!wanted.has(figure.dataset.id)) figure.remove(); });
    this.root.querySelector(".empty")?.remove();
    if (!items.length) {
      this.root.insertAdjacentHTML("beforeend", `<p class="empty">${esc(this.i18n.t("no_media"))}</p>`);
      return;
    }
    for (const m of items) {
      this.items.set(m.id, m);
      let figure = this.root.querySelector(`figure[data-id="${m.id}"]`);
      if (!figure) {
        figure = this.figure(m);
        this.root.append(figure);
        if (m.preview_url) this.loadPreview(figure, m);
      }
      if (figure.dataset.lang !== this.i18n.lang) this.label(figure, m);
    }
  }

  // Brings a file's figure into view and marks it a moment (from a chat message's paperclip).
  reveal(id) {
    const figure = this.root.querySelector(`figure[data-id="${CSS.escape(id)}"]`);
    if (!figure) return;
    figure.scrollIntoView({ block: "center" }); // at once: a refresh would cut an animated scroll short
    figure.classList.add("revealed");
    setTimeout(() => figure.classList.remove("revealed"), REVEAL_MS);
  }

  figure(m) {
    const figure = document.createElement("figure");
    figure.dataset.id = m.id;
    figure.dataset.kind = m.kind;
    figure.innerHTML = `<div class="view"><span class="kind-icon">${icon(KIND_ICONS[m.kind] || "file")}</span></div>
      <figcaption></figcaption>`;
    return figure;
  }

  // The caption and the button in the console's language (the player, if any, is kept).
  label(figure, m) {
    const { t } = this.i18n;
    const playable = m.kind === "video" || m.kind === "audio";
    const facts = [t(`media_${KIND_ICONS[m.kind] ? m.kind : "other"}`), size(m.size)];
    if (m.duration_s) facts.push(clock(m.duration_s));
    figure.dataset.lang = this.i18n.lang;
    figure.querySelector("figcaption").innerHTML = `
      <span class="name">${esc(m.filename || m.id)}</span> · ${esc(facts.join(" · "))}
      · SHA-256 <code>${esc((m.sha256 || "").slice(0, 16))}…</code>
      <button type="button" data-open ${figure.dataset.opened ? "hidden" : ""}>${esc(t(playable ? "media_play" : "media_open"))}</button>
      <span class="media-error" role="alert"></span>`;
  }

  async fetchUrl(path) {
    const answer = await api(path, { raw: true, background: true });
    return URL.createObjectURL(await answer.blob());
  }

  async loadPreview(figure, m) {
    try {
      if (!this.previews.has(m.id)) this.previews.set(m.id, await this.fetchUrl(m.preview_url));
      const url = this.previews.get(m.id);
      figure.querySelector(".view").innerHTML = `<img class="preview" src="${url}" alt="${esc(m.filename || m.kind)}">`;
    } catch { /* the kind's icon stays */ }
  }

  // The seat asked for this file: fetch the original (recorded) and play or show it in place.
  async openOriginal(figure) {
    const m = this.items.get(figure.dataset.id);
    const button = figure.querySelector("button[data-open]");
    button.disabled = true;
    let url;
    try {
      url = await this.fetchUrl(m.url);
    } catch (error) {
      button.disabled = false;
      figure.querySelector(".media-error").textContent = refusal(this.i18n.t, error);
      return;
    }
    figure.dataset.opened = "1";
    button.hidden = true;
    const name = esc(m.filename || m.id);
    const view = figure.querySelector(".view");
    if (m.kind === "image") view.innerHTML = `<img class="original" src="${url}" alt="${name}">`;
    else if (m.kind === "video") view.innerHTML = `<video src="${url}" controls></video>`;
    else if (m.kind === "audio") view.innerHTML = `<audio src="${url}" controls></audio>`;
    else view.innerHTML = `<a href="${url}" download="${name}">${name}</a>`;
    const player = view.querySelector("video, audio");
    if (player) player.play().catch(() => {});
    else view.querySelector("a")?.click();
    await this.onRead();
  }
}
