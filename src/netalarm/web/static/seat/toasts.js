// The console's pop-up stack, bottom right: alerts (a case to act on: a new P1, a case
// handed to this centre, one overdue) above notes (a case that left this seat's view), the
// newest of each first. It is at most 40 % of the window tall (seat.css; it scrolls beyond)
// and holds at most MAX, so a wave of escalations never grows it over the open incident's
// controls nor pushes an alert out of sight; when full, the oldest note gives way first,
// then the oldest alert.
// Everything taken down is still in the queue (alerts) or in the case's placeholder (notes).
// A toast shown with a `key` replaces the one of the same key still up, so a burst of news
// of one kind ("12 new P1 alarms", one reporter writing on and on) stays one toast.
import { esc } from "./dom.js";
import { icon } from "./words.js";

const MAX = 8;

export class Toasts {
  constructor(stack) {
    this.stack = stack;
    this.gathered = new Map(); // key -> the items told in the toast of that key
  }

  // `items` added to those told under `key` while its toast is still up (else alone): what a
  // toast counting a burst ("12 new P1 alarms") should now tell.
  gather(key, items) {
    const up = [...this.stack.children].some((t) => t.dataset.key === key);
    const all = [...(up ? this.gathered.get(key) || [] : []), ...items];
    this.gathered.set(key, all);
    return all;
  }

  // Shows `text` for `ms`; a click runs `onClick` (if any) and takes it down. `id` ties an
  // alert to its incident (see `keep`); `key` replaces the toast shown with the same key.
  show({ text, glyph, kind, ms, id = null, key = null, onClick = null }) {
    const toast = document.createElement("button");
    toast.type = "button";
    toast.className = kind === "note" ? "toast left" : "toast";
    if (id) toast.dataset.id = id;
    if (key) {
      toast.dataset.key = key;
      [...this.stack.children].filter((t) => t.dataset.key === key).forEach((t) => t.remove());
    }
    toast.innerHTML = `${icon(glyph)} ${esc(text)}`;
    toast.onclick = () => { toast.remove(); if (onClick) onClick(); };
    if (kind === "note") {
      const newestNote = this.stack.querySelector(".toast.left");
      if (newestNote) newestNote.before(toast); else this.stack.append(toast);
    } else {
      this.stack.prepend(toast);
    }
    // Notes follow the alerts, oldest last: the last child is the oldest note, if any.
    while (this.stack.children.length > MAX) this.stack.lastElementChild.remove();
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
