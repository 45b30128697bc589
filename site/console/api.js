// The admin API: the signed-in person's ID token on every call, one refresh on a 401, and back to the
// sign-in screen with a message when the session cannot be renewed.
import { clear, idToken, refresh } from "./auth.js";

let base;

/** The API's origin, from the site's config.json (the same file the pay page reads). */
export function apiUrl() {
  base ||= fetch("/config.json").then((r) => r.json()).then((c) => c.api_url.replace(/\/$/, ""));
  return base;
}

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || (status === 0 ? "network" : status >= 500 ? "server" : "http");
    this.field = error.field || null;
  }
}

function withQuery(path, query) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null && v !== "") params.set(k, v);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** One call without retries: JSON in, JSON out (null for 204), ApiError for anything but 2xx. */
export async function request(path, { method = "GET", body, token, query, raw = false } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let answer;
  try {
    answer = await fetch(`${await apiUrl()}${withQuery(path, query)}`, { method, headers,
      body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit" });
  } catch {
    throw new ApiError(0, null);
  }
  if (!answer.ok) throw new ApiError(answer.status, await answer.json().catch(() => null));
  if (raw) return answer;
  return answer.status === 204 ? null : answer.json().catch(() => null);
}

/** Why the sign-in screen is showing: "expired", "signed_out", … (read once by that screen). */
export const NOTICE = "console.notice";

export function endSession(reason) {
  clear();
  sessionStorage.setItem(NOTICE, reason);
  // After an expiry, signing in again leads back to the screen the person was on.
  if (reason === "expired" && location.hash.startsWith("#/") && location.hash !== "#/sign-in") {
    sessionStorage.setItem("console.next", location.hash);
  }
  if (location.hash !== "#/sign-in") location.hash = "#/sign-in";
  window.dispatchEvent(new Event("console:signed-out"));
}

/** An authenticated call; see request() for the options. */
export async function api(path, options = {}) {
  if (!idToken()) {
    endSession("expired");
    throw new ApiError(401, null);
  }
  try {
    return await request(path, { ...options, token: idToken() });
  } catch (error) {
    if (error.status !== 401) throw error;
    if (!(await refresh())) {
      endSession("expired");
      throw error;
    }
    return request(path, { ...options, token: idToken() });
  }
}

/** A CSV report saved as a file (a link cannot carry the bearer token, so it is fetched and handed over). */
export async function download(path, filename, query) {
  const answer = await api(path, { query, raw: true });
  const url = URL.createObjectURL(await answer.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
