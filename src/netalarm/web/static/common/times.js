// Times shown to people, in the page's language (zh-CN or English), always on a 24-hour clock.
const locale = (lang) => (lang === "zh" ? "zh-CN" : "en-GB");

export function time(iso, lang) {
  if (!iso) return "";
  return new Date(iso).toLocaleTimeString(locale(lang), { hour12: false });
}

export function dateTime(iso, lang) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(locale(lang), { hour12: false });
}
