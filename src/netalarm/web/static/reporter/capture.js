// Photos, videos and voice notes made in the page with the camera and microphone
// (getUserMedia + MediaRecorder): `capture` resolves to {blob, name} or null when cancelled;
// `mediaButtons` offers it beside a file chooser.
import { keep } from "./uploads.js";

const dialog = () => document.getElementById("capture");

function stamp() {
  return new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
}

function recorderType(kind) {
  const wanted = kind === "voice" ? ["audio/webm;codecs=opus", "audio/webm", "audio/ogg", "audio/mp4"]
    : ["video/webm;codecs=vp8,opus", "video/webm", "video/mp4"];
  return wanted.find((type) => window.MediaRecorder && MediaRecorder.isTypeSupported(type)) || "";
}

export function capture(kind, t) {
  const box = dialog();
  const video = box.querySelector("video");
  const state = box.querySelector(".capture-state");
  const go = box.querySelector(".capture-go");
  const cancel = box.querySelector(".capture-cancel");
  box.querySelector("h2").textContent = t(`capture.title.${kind}`);
  video.hidden = kind === "voice";
  state.textContent = "";
  go.disabled = true;
  go.textContent = kind === "photo" ? t("capture.shoot") : t("capture.start");
  box.showModal();

  return new Promise((resolve) => {
    let stream = null;
    let recorder = null;
    let ticker = null;
    const finish = (result) => {
      clearInterval(ticker);
      if (stream) stream.getTracks().forEach((track) => track.stop());
      video.srcObject = null;
      go.onclick = cancel.onclick = box.oncancel = null;
      if (box.open) box.close();
      resolve(result);
    };
    cancel.onclick = () => finish(null);
    box.oncancel = (event) => { event.preventDefault(); finish(null); };

    const constraints = kind === "photo" ? { video: { facingMode: "environment" } }
      : kind === "video" ? { video: { facingMode: "environment" }, audio: true } : { audio: true };
    const ready = () => {
      go.disabled = false;
      go.focus();
    };
    navigator.mediaDevices.getUserMedia(constraints).then((s) => {
      stream = s;
      if (kind === "voice") { ready(); return; }
      video.srcObject = s;
      // Shooting before the camera shows its first frame would keep a black picture.
      if (video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) ready();
      else video.addEventListener("loadeddata", ready, { once: true });
    }, () => { state.textContent = t("capture.denied"); });

    go.onclick = () => {
      if (kind === "photo") {
        const canvas = document.createElement("canvas");
        canvas.width = video.videoWidth || 640;
        canvas.height = video.videoHeight || 480;
        canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
        canvas.toBlob((blob) => finish({ blob, name: `photo-${stamp()}.jpg` }), "image/jpeg", 0.85);
        return;
      }
      if (recorder) { recorder.stop(); return; }
      const type = recorderType(kind);
      recorder = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
      const chunks = [];
      recorder.ondataavailable = (event) => { if (event.data.size) chunks.push(event.data); };
      recorder.onstop = () => {
        const blob = new Blob(chunks, { type: recorder.mimeType || type });
        const ext = blob.type.includes("mp4") ? "mp4" : blob.type.includes("ogg") ? "ogg" : "webm";
        finish({ blob, name: `${kind}-${stamp()}.${ext}` });
      };
      recorder.start(1000);
      const started = Date.now();
      go.textContent = t("capture.stop");
      state.textContent = t("capture.recording", { s: 0 });
      ticker = setInterval(() => {
        state.textContent = t("capture.recording", { s: Math.round((Date.now() - started) / 1000) });
      }, 1000);
    };
  });
}

// The photo, video, voice and file buttons in `container`; each file made or chosen is kept
// on the device and handed to onKept({key, name}).
export function mediaButtons(t, container, onKept) {
  const kinds = ["photo", "video", "voice"];
  const id = `file-${container.dataset.media}`;
  container.innerHTML = kinds.map((k) => `<button type="button" class="secondary" data-kind="${k}" data-i18n="media.${k}"></button>`).join("")
    + `<label class="button secondary" for="${id}" data-i18n="media.file"></label><input id="${id}" class="sr-only" type="file" accept="image/*,video/*,audio/*" multiple>`;
  container.addEventListener("click", async (event) => {
    const kind = event.target.closest("[data-kind]")?.dataset.kind;
    if (!kind) return;
    const made = await capture(kind, t);
    if (made) onKept(await keep(made.blob, made.name));
  });
  document.getElementById(id).addEventListener("change", async (event) => {
    for (const file of event.target.files) onKept(await keep(file, file.name));
    event.target.value = "";
  });
}
