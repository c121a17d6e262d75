// The reporter side of the HTTP API. A network failure throws `Offline`; an answer with an
// error status throws `ApiError` carrying the server's {code, message, field}.
const TIMEOUT_MS = 15000;

export class Offline extends Error {}

export class ApiError extends Error {
  constructor(status, error) {
    super((error && error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = error && error.code;
    this.field = error && error.field;
    this.retryAfter = (error && error.retry_after_s) || 0;
    this.attemptsLeft = error && error.attempts_left;
  }
}

async function call(method, path, { body, token } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), TIMEOUT_MS);
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: abort.signal,
      cache: "no-store",
    });
  } catch (err) {
    throw new Offline(String(err));
  } finally {
    clearTimeout(timer);
  }
  if (response.status >= 500) throw new Offline(`HTTP ${response.status}`);
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data && data.error);
  return data;
}

export const api = {
  config: () => call("GET", "/api/v1/reporter/config"),
  jurisdictions: () => call("GET", "/api/v1/jurisdictions"),
  submit: (body) => call("POST", "/api/v1/alarms", { body }),
  status: (alarm) => call("GET", `/api/v1/alarms/${alarm.id}`, { token: alarm.reporter_token }),
  messages: (alarm) => call("GET", `/api/v1/alarms/${alarm.id}/messages`, { token: alarm.reporter_token }),
  // With `key`, sending again (after a reload, or an answer lost) finds the message sent first.
  say: (alarm, text, mediaIds = [], key = undefined) =>
    call("POST", `/api/v1/alarms/${alarm.id}/messages`, { body: { text, media_ids: mediaIds, idempotency_key: key }, token: alarm.reporter_token }),
  read: (alarm, messageId) =>
    call("POST", `/api/v1/alarms/${alarm.id}/messages/${messageId}/read`, { body: {}, token: alarm.reporter_token }),
  category: (alarm, category) =>
    call("POST", `/api/v1/alarms/${alarm.id}/category`, { body: { category }, token: alarm.reporter_token }),
  withdraw: (alarm, reason) =>
    call("POST", `/api/v1/alarms/${alarm.id}/withdraw`, { body: { reason }, token: alarm.reporter_token }),
  phone: (alarm) => call("GET", `/api/v1/alarms/${alarm.id}/phone`, { token: alarm.reporter_token }),
  sendCode: (alarm, evenIfSilent = false) =>
    call("POST", `/api/v1/alarms/${alarm.id}/phone/verification`, { body: { even_if_silent: evenIfSilent }, token: alarm.reporter_token }),
  confirmCode: (alarm, code) =>
    call("POST", `/api/v1/alarms/${alarm.id}/phone/verification/confirm`, { body: { code }, token: alarm.reporter_token }),
  locate: (alarm, location) =>
    call("POST", `/api/v1/alarms/${alarm.id}/locations`, { body: location, token: alarm.reporter_token }),
};
