// What the browser remembers: the session (sessionStorage: this tab only, gone when it closes)
// and the chosen refresh interval (localStorage). The only module that touches storage.

const SESSION_KEY = "loyalty.session";
const INTERVAL_KEY = "loyalty.refreshIntervalMs";

/** @returns {{token: string, tenant: string, tenantName: string, expiresAt: string} | null} */
export function loadSession() {
  try {
    return JSON.parse(sessionStorage.getItem(SESSION_KEY));
  } catch {
    return null; // unreadable: as if signed out
  }
}

/** @param {object} session as state.js keeps it */
export function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function forgetSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

/** @returns {number} the interval chosen last (NaN or 0 when none: state.js falls back) */
export function loadIntervalMs() {
  return Number(localStorage.getItem(INTERVAL_KEY));
}

/** @param {number} intervalMs */
export function saveIntervalMs(intervalMs) {
  localStorage.setItem(INTERVAL_KEY, String(intervalMs));
}
