// Small DOM helpers: escaping text put into HTML, and times in the seat's locale.
export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

export function time(iso, lang) {
  if (!iso) return "";
  return new Date(iso).toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB", { hour12: false });
}

export function dateTime(iso, lang) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", { hour12: false });
}
