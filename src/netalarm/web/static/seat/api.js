// The console's HTTP client: the seat's bearer token (kept for this tab only), JSON in and
// out, and the errors of DESIGN.md. Requests the console makes on its own (polling) are
// marked as background so they do not keep an idle session alive.
const TOKEN_KEY = "netalarm.seat";

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code;
    this.field = error.field;
    this.body = error;
  }
}

let onSignedOut = () => {};

export const session = {
  get() {
    const raw = sessionStorage.getItem(TOKEN_KEY);
    return raw ? JSON.parse(raw) : null;
  },
  set(login) { sessionStorage.setItem(TOKEN_KEY, JSON.stringify(login)); },
  clear() { sessionStorage.removeItem(TOKEN_KEY); },
  onSignedOut(callback) { onSignedOut = callback; },
};

export async function api(path, { method = "GET", body, background = false, raw = false } = {}) {
  const login = session.get();
  const headers = {};
  if (login) headers.Authorization = `Bearer ${login.access_token}`;
  if (background) headers["X-Netalarm-Background"] = "1";
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let answer;
  try {
    answer = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    // The request may or may not have reached the server: say so, not that it refused.
    throw new ApiError(0, { error: { code: "network", message: "no connection to the server" } });
  }
  if (raw && answer.ok) return answer;
  const text = await answer.text();
  const data = text ? JSON.parse(text) : null;
  if (!answer.ok) {
    const error = new ApiError(answer.status, data);
    if (answer.status === 401 && login) {
      session.clear();
      onSignedOut(error);
    }
    throw error;
  }
  return data;
}

export async function signIn(username, password) {
  const answer = await fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
  const data = await answer.json();
  if (!answer.ok) throw new ApiError(answer.status, data);
  session.set(data);
  return data;
}

export async function signOut() {
  try { await api("/api/v1/auth/logout", { method: "POST" }); } catch { /* already gone */ }
  session.clear();
}
