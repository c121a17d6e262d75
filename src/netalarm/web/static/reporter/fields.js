// Field checks of the details form, made in the page before an alarm is sent, and the marks
// beside a field the page or the server refused. A mark names its string key (data-i18n), so
// it follows a switch of language.
const $ = (id) => document.getElementById(id);

// What the server's check (accounts/validation.py, phonenumbers read as Chinese) can accept:
// a mobile or landline number with its area code, a 400/800 number, or any number given with
// its country code (+ or 00). The server still has the last word.
const PHONE = [/^1\d{10}$/, /^0\d{9,11}$/, /^[48]00\d{7}$/, /^(\+|00)[1-9]\d{6,14}$/];

// Full-width digits and signs (typed with a Chinese input method) count as their ASCII twins.
const halfWidth = (text) => text.replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xFEE0));

export function phoneLooksValid(raw) {
  const compact = halfWidth(raw).replace(/[\s\-().]/g, "");
  return PHONE.some((pattern) => pattern.test(compact));
}

// The server's field names and the inputs (and messages) they stand for.
const SERVER_FIELDS = {
  "reporter.phone": { input: "phone", message: "field.phone" },
  "reporter.name": { input: "name", message: "field.invalid" },
};

export function markField(id, key, t) {
  const input = $(id);
  const note = $(`${id}-error`);
  input.setAttribute("aria-invalid", "true");
  note.dataset.i18n = key;
  note.textContent = t(key);
  note.hidden = false;
  input.scrollIntoView({ block: "center" });
  input.focus({ preventScroll: true });
}

export function clearField(id) {
  $(id).removeAttribute("aria-invalid");
  $(`${id}-error`).hidden = true;
}

// Marks the input behind a field the server refused; false when the form has no such input.
export function markServerField(field, t) {
  const known = SERVER_FIELDS[field];
  if (!known) return false;
  markField(known.input, known.message, t);
  return true;
}
