// Language choice shared by every page: zh-CN or English, from the browser's language,
// switchable, remembered on the device. Each page passes its own dictionaries.
const STORE_KEY = "netalarm.lang";

export function pickLanguage() {
  const saved = localStorage.getItem(STORE_KEY);
  if (saved === "zh" || saved === "en") return saved;
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
  return langs.some((l) => l.toLowerCase().startsWith("zh")) ? "zh" : "en";
}

export function makeI18n(dictionaries) {
  let lang = pickLanguage();
  const t = (key, vars = {}) => {
    const text = (dictionaries[lang] && dictionaries[lang][key]) || dictionaries.en[key] || key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
  };
  // Elements carry data-i18n="key" (text), data-i18n-label="key" (aria-label),
  // data-i18n-placeholder="key" (placeholder).
  const apply = (root = document) => {
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    root.querySelectorAll("[data-i18n-label]").forEach((el) => el.setAttribute("aria-label", t(el.dataset.i18nLabel)));
    root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder)));
  };
  const set = (next) => {
    lang = next;
    localStorage.setItem(STORE_KEY, next);
    apply();
  };
  return { t, apply, set, get lang() { return lang; } };
}
