// Resumable uploads (tus 1.0, tus-js-client from npm) of the reporter's photos, videos and
// voice notes, each with a progress bar. A dropped connection pauses an upload; it resumes
// from the server's offset when the connection returns, or after a reload (blobs are kept
// in IndexedDB until done).
import { blobs } from "./blobs.js";

const ENDPOINT = "/api/v1/uploads";
const CHUNK = 1024 * 1024;
// Why the server refused a file, by its answer's status; any other 4xx is a refusal too.
const REFUSALS = { 413: "uploads.tooBig", 415: "uploads.refused" };
const TRANSIENT = [408, 423, 429];

function refusal(err) {
  const code = err.originalResponse ? err.originalResponse.getStatus() : 0;
  return code >= 400 && code < 500 && !TRANSIENT.includes(code) ? REFUSALS[code] || "uploads.failed" : null;
}

function row(list, name) {
  const item = document.createElement("li");
  item.className = "upload";
  const label = document.createElement("span");
  label.className = "upload-label";
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.value = 0;
  bar.setAttribute("aria-label", name);
  item.append(label, bar);
  list.append(item);
  return { item, label, bar };
}

// Uploads one stored blob for `alarm`; `meta` may add a message_id. Resolves with the
// upload's URL when finished. A file that can never be uploaded (the server refused it, or it
// is no longer on the device) rejects with `permanent` set, and its blob is deleted.
export function upload(alarm, entry, list, t, meta = {}) {
  return blobs.get(entry.key).then((blob) => new Promise((resolve, reject) => {
    const ui = row(list, entry.name);
    const show = (key, pct) => {
      ui.label.textContent = t(key, { name: entry.name, pct });
      ui.item.dataset.state = key.split(".")[1];
    };
    if (!blob) {
      show("uploads.failed", 0);
      reject(Object.assign(new Error("blob missing"), { permanent: true }));
      return;
    }
    show("uploads.progress", 0);
    const job = new window.tus.Upload(blob, {
      endpoint: ENDPOINT,
      chunkSize: CHUNK,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      removeFingerprintOnSuccess: true,
      headers: { Authorization: `Bearer ${alarm.reporter_token}` },
      metadata: { alarm_id: alarm.id, filename: entry.name, filetype: blob.type || "application/octet-stream", ...meta },
      onProgress(sent, total) {
        const pct = total ? Math.floor((sent / total) * 100) : 0;
        ui.bar.value = pct;
        show("uploads.progress", pct);
      },
      onSuccess() {
        ui.bar.value = 100;
        show("uploads.done", 100);
        window.removeEventListener("online", resume);
        blobs.remove(entry.key).finally(() => resolve(job.url));
      },
      onError(err) {
        if (!navigator.onLine) {
          show("uploads.waiting", ui.bar.value);
          return;
        }
        const refused = refusal(err);
        show(refused || "uploads.failed", ui.bar.value);
        window.removeEventListener("online", resume);
        if (!refused) {
          reject(err);
          return;
        }
        blobs.remove(entry.key).finally(() => reject(Object.assign(err, { permanent: true })));
      },
    });
    const resume = () => job.start();
    window.addEventListener("online", resume);
    job.findPreviousUploads().then((previous) => {
      if (previous.length) job.resumeFromPreviousUpload(previous[0]);
      job.start();
    });
  }));
}

// A row for a file that waits for the connection before its upload can even start.
export function waiting(list, name, t) {
  const ui = row(list, name);
  ui.label.textContent = t("uploads.waiting", { name });
  ui.item.dataset.state = "waiting";
  return ui.item;
}

// Keeps a captured or chosen file on the device and returns its entry {key, name}.
export async function keep(blob, name) {
  const key = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  await blobs.put(key, blob);
  return { key, name };
}
