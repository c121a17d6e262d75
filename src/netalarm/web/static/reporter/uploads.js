// Resumable uploads (tus 1.0, tus-js-client from npm) of the reporter's photos, videos and
// voice notes, each in a row with a progress bar. One attempt uploads one file kept on the
// device (IndexedDB), resuming from the server's offset at the upload's URL when it has one;
// trying again after a failure is files.js's work.
import { blobs } from "./blobs.js";

const ENDPOINT = "/api/v1/uploads";
const LIBRARY = "/vendor/tus-js-client/dist/tus.min.js";
const CHUNK = 1024 * 1024;
// Why the server refused a file, by its answer's status; any other 4xx is a refusal too.
const REFUSALS = { 413: "uploads.tooBig", 415: "uploads.refused" };
const TRANSIENT = [408, 423, 429];

function refusal(err) {
  const code = err.originalResponse ? err.originalResponse.getStatus() : 0;
  return code >= 400 && code < 500 && !TRANSIENT.includes(code) ? REFUSALS[code] || "uploads.notTaken" : null;
}

let loading = null;

// tus-js-client, loaded the first time it is wanted rather than with the page, so that a first
// visit on a slow connection does not wait for it before SOS works. A failed load is tried
// again at the next call.
export function library() {
  if (window.tus) return Promise.resolve(window.tus);
  loading ??= new Promise((resolve, reject) => {
    const script = Object.assign(document.createElement("script"), { src: LIBRARY });
    script.onload = () => resolve(window.tus);
    script.onerror = () => {
      loading = null;
      script.remove();
      reject(new Error("the upload library did not load"));
    };
    document.head.append(script);
  });
  return loading;
}

// A file's row in `list`: what became of it, a progress bar, and a Retry button (calling
// onRetry) shown while the upload failed. `show(key, pct)` says a state; `render()` says it
// again in the page's language.
export function row(list, name, t, onRetry) {
  const item = document.createElement("li");
  item.className = "upload";
  const label = document.createElement("span");
  label.className = "upload-label";
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  const retry = document.createElement("button");
  retry.type = "button";
  retry.className = "secondary upload-retry";
  retry.hidden = true;
  retry.onclick = onRetry;
  item.append(label, bar, retry);
  list.append(item);
  let state = "uploads.progress";
  const ui = {
    item,
    get pct() { return bar.value; },
    show(key, pct = bar.value) {
      state = key;
      bar.value = pct;
      item.dataset.state = key.split(".")[1];
      retry.hidden = key !== "uploads.failed";
      ui.render();
    },
    render() {
      label.textContent = t(state, { name, pct: bar.value });
      bar.setAttribute("aria-label", name);
      retry.textContent = t("uploads.retry");
      retry.setAttribute("aria-label", t("uploads.retryName", { name }));
    },
  };
  return ui;
}

// Uploads the kept file of `entry` ({key, name, url?}) for `alarm` into `ui`; `meta` may add
// a message_id, `onUrl(url)` hears the upload's URL (to resume it after a reload). Resolves
// when the server has the whole file. A file that can never be uploaded (the server refused
// it, or it is no longer on the device) rejects with `permanent` set, having said why; any
// other failure (no connection, the server unavailable) rejects for another attempt.
export async function upload(alarm, entry, ui, { meta = {}, onUrl = () => {} } = {}) {
  const blob = await blobs.get(entry.key);
  if (!blob) {
    ui.show("uploads.lost", 0);
    throw Object.assign(new Error("blob missing"), { permanent: true });
  }
  ui.show("uploads.progress");
  const tus = await library();
  return new Promise((resolve, reject) => {
    const job = new tus.Upload(blob, {
      endpoint: ENDPOINT,
      uploadUrl: entry.url || null,
      chunkSize: CHUNK,
      // Short blips only: a longer failure is files.js's to try again, with its back-off.
      retryDelays: [0, 1000, 3000],
      storeFingerprintForResuming: false,
      headers: { Authorization: `Bearer ${alarm.reporter_token}` },
      metadata: { alarm_id: alarm.id, filename: entry.name, filetype: blob.type || "application/octet-stream", ...meta },
      onUploadUrlAvailable() {
        if (job.url && job.url !== entry.url) onUrl(job.url);
      },
      onProgress(sent, total) {
        ui.show("uploads.progress", total ? Math.floor((sent / total) * 100) : 0);
      },
      onSuccess() {
        ui.show("uploads.done", 100);
        resolve(job.url);
      },
      onError(err) {
        const refused = navigator.onLine ? refusal(err) : null;
        if (!refused) {
          reject(err);
          return;
        }
        ui.show(refused);
        reject(Object.assign(err, { permanent: true }));
      },
    });
    job.start();
  });
}

// Keeps a captured or chosen file on the device and returns its entry {key, name}.
export async function keep(blob, name) {
  const key = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  await blobs.put(key, blob);
  return { key, name };
}
