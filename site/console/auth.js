// The signed-in person's tokens, in sessionStorage only: they end with the tab and never reach localStorage.
import { request } from "./api.js";

const KEY = "console.session";

export function session() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY));
  } catch {
    return null;
  }
}

export const idToken = () => session()?.tokens?.id_token || null;

export function clear() {
  sessionStorage.removeItem(KEY);
}

function keep(answer) {
  const before = session();
  const tokens = { ...before?.tokens, ...answer.tokens };
  sessionStorage.setItem(KEY, JSON.stringify({ tokens, user: answer.user || before?.user,
    expires_at: Date.now() + (answer.tokens.expires_in || 3600) * 1000 }));
  if (!before) window.dispatchEvent(new Event("console:signed-in"));
}

/** Password sign-in: {user} when signed in, or {challenge, session} for a TOTP code or a new password. */
export async function signIn(email, password) {
  const answer = await request("/console/session", { method: "POST", body: { email, password } });
  if (answer.tokens) keep(answer);
  return answer;
}

/** The answer to a challenge: `code` for SOFTWARE_TOKEN_MFA, `new_password` for NEW_PASSWORD_REQUIRED. */
export async function answerChallenge(body) {
  const answer = await request("/console/session/challenge", { method: "POST", body });
  if (answer.tokens) keep(answer);
  return answer;
}

let refreshing = null;

/** New tokens from the refresh token (one request however many calls failed at once); false when refused. */
export function refresh() {
  const token = session()?.tokens?.refresh_token;
  if (!token) return Promise.resolve(false);
  refreshing ||= request("/console/session/refresh", { method: "POST", body: { refresh_token: token } })
    .then((answer) => { keep(answer); return true; }, () => false)
    .finally(() => { refreshing = null; });
  return refreshing;
}

/** Global sign-out (the refresh token stops working too); the local session ends whatever the API says. */
export async function signOut() {
  const token = session()?.tokens?.access_token;
  clear();
  if (token) await request("/console/session", { method: "DELETE", token }).catch(() => null);
}

export const forgotPassword = (email) => request("/console/password/forgot", { method: "POST", body: { email } });

export const resetPassword = (email, code, newPassword) => request("/console/password/reset",
  { method: "POST", body: { email, code, new_password: newPassword } });
