// The console's pop-up stack, bottom right: alerts (a case to act on: a new P1, a case
// handed to this centre, one overdue) and notes (a case that left this seat's view). It holds
// at most MAX at once, so a burst of escalations never grows it over the open incident's
// controls; when full, the oldest note gives way first, then the oldest alert. Everything
// taken down is still in the queue (alerts) or in the incident's own placeholder (notes).
import { esc } from "./dom.js";
import { icon } from "./words.js";

const MAX = 3;

export class Toasts {
  constructor(stack) {
    this.stack = stack;
  }

  // Shows `text` for `ms`; a click runs `onClick` (if any) and takes it down. `id` ties an
  // alert to its incident (see `keep`).
  show({ text, glyph, kind, ms, id = null, onClick = null }) {
    const toast = document.createElement("button");
    toast.type = "button";
    toast.className = kind === "note" ? "toast left" : "toast";
    if (id) toast.dataset.id = id;
    toast.innerHTML = `${icon(glyph)} ${esc(text)}`;
    toast.onclick = () => { toast.remove(); if (onClick) onClick(); };
    this.stack.prepend(toast);
    while (this.stack.children.length > MAX) {
      const notes = this.stack.querySelectorAll(".toast.left");
      (notes.length ? notes[notes.length - 1] : this.stack.lastElementChild).remove();
    }
    setTimeout(() => toast.remove(), ms);
    return toast;
  }

  // Takes down the alerts of incidents not in `ids`.
  keep(ids) {
    this.stack.querySelectorAll(".toast[data-id]").forEach((toast) => {
      if (!ids.has(toast.dataset.id)) toast.remove();
    });
  }
}
