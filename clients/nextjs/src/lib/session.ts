/**
 * The signed-in state of this tab: the access token, in memory only.
 *
 * - The access token (a 5-minute JWT) lives in this module's memory: never in
 *   localStorage, sessionStorage or a cookie a script could read. A reload
 *   forgets it; the refresh cookie brings a new one.
 * - The refresh token is the service's HttpOnly cookie, scoped to
 *   /api/token/refresh: no script here ever sees it. POST there trades it for
 *   a new access token and a new cookie (the old one is dead: rotation).
 * - A refresh is due a minute before the access token expires, and after
 *   any 401. A refresh that fails means the session is over (expired, signed
 *   out in another tab or device, revoked): the page goes to sign in with a
 *   message, once; nothing retries in a loop.
 * - Tabs share the cookie, and presenting a rotated refresh token again
 *   revokes the whole session (theft detection). So refreshes run one at a
 *   time across every tab of the site (the Web Locks API): each presents the
 *   cookie the last one left.
 * - localStorage holds one flag, "this browser was signed in", never a
 *   token: it picks the message when a session ends, and the header's links.
 */
import { APP, call, ServiceUnavailable, type Answer, type CallOptions } from "./api";

const REFRESH = "/api/token/refresh";
const SIGNED_IN_FLAG = "accounts:signed-in";
const REFRESH_LOCK = "accounts:token-refresh";
// Refresh this long before the access token expires.
const MARGIN_MS = 60_000;

let accessToken: string | null = null;
let refreshDueAt = 0; // Date.now() after which the token is refreshed first
let timer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<string | null> | null = null;
const listeners = new Set<() => void>();

// --- What the header and pages watch ---------------------------------------

export function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener("storage", listener); // another tab signed in or out
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", listener);
  };
}

/** Whether this browser looks signed in: a token here, or the flag. */
export function looksSignedIn(): boolean {
  return accessToken !== null || readFlag();
}

function changed(): void {
  for (const listener of listeners) listener();
}

function readFlag(): boolean {
  try {
    return window.localStorage.getItem(SIGNED_IN_FLAG) === "1";
  } catch {
    return false; // storage refused (private mode): only the message differs
  }
}

function writeFlag(on: boolean): void {
  try {
    if (on) window.localStorage.setItem(SIGNED_IN_FLAG, "1");
    else window.localStorage.removeItem(SIGNED_IN_FLAG);
  } catch {
    // as above
  }
}

// --- The access token --------------------------------------------------------

/** Keep a new access token, and plan its refresh. */
export function signedIn(token: string): void {
  accessToken = token;
  writeFlag(true);
  const lifetime = lifetimeMs(token);
  refreshDueAt = Date.now() + Math.max(lifetime - MARGIN_MS, lifetime / 2);
  clearTimeout(timer);
  timer = setTimeout(() => {
    refresh().catch(() => {
      // Unreachable now: the next call refreshes first (refreshDueAt passed).
    });
  }, refreshDueAt - Date.now());
  changed();
}

/** Forget everything this tab knew about the session. */
export function forget(): void {
  accessToken = null;
  refreshDueAt = 0;
  clearTimeout(timer);
  writeFlag(false);
  changed();
}

/**
 * The token's lifetime, from its own `iat` and `exp` claims (read, not
 * verified: the service verifies). The difference, not `exp` itself, so a
 * wrong clock here does not matter.
 */
function lifetimeMs(token: string): number {
  try {
    const part = token.split(".")[1] ?? "";
    const claims = JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as {
      iat?: number;
      exp?: number;
    };
    if (claims.iat && claims.exp && claims.exp > claims.iat) {
      return (claims.exp - claims.iat) * 1000;
    }
  } catch {
    // not a JWT we can read
  }
  return 2 * MARGIN_MS;
}

/**
 * A new access token for the refresh cookie, or null when the cookie is
 * missing, expired or revoked (then this tab forgets the session). Throws
 * ServiceUnavailable when the service does not answer. One refresh at a time,
 * in this tab and across tabs.
 */
export function refresh(): Promise<string | null> {
  refreshing ??= oneAtATime(async () => {
    const answer = await call(REFRESH, { method: "POST" });
    const token = answer.body.data?.access_token;
    if (answer.status === 200 && typeof token === "string") {
      signedIn(token);
      return token;
    }
    forget();
    return null;
  }).finally(() => {
    refreshing = null;
  });
  return refreshing;
}

function oneAtATime<T>(task: () => Promise<T>): Promise<T> {
  // Web Locks exist in every browser we support, in secure contexts
  // (https, and http://localhost or 127.0.0.1).
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request(REFRESH_LOCK, task);
  }
  return task();
}

/** The result of a call that needs the person signed in. */
export type Authorized =
  | { ended: false; answer: Answer }
  // `hadSession`: this browser was signed in (so: "your sign-in has ended").
  | { ended: true; hadSession: boolean };

/**
 * A call with the access token: refreshed first when there is none or it is
 * due, and once more after a 401. A second 401, or a refresh refused, ends
 * the session. Throws ServiceUnavailable.
 */
export async function authorized(path: string, options: CallOptions = {}): Promise<Authorized> {
  const hadSession = looksSignedIn();
  const ended = (): Authorized => {
    forget();
    return { ended: true, hadSession };
  };
  let token = accessToken !== null && Date.now() < refreshDueAt ? accessToken : await refresh();
  if (token === null) return ended();
  let answer = await call(path, withBearer(options, token));
  if (answer.status !== 401) return { ended: false, answer };
  token = await refresh();
  if (token === null) return ended();
  answer = await call(path, withBearer(options, token));
  if (answer.status === 401) return ended();
  return { ended: false, answer };
}

function withBearer(options: CallOptions, token: string): CallOptions {
  return { ...options, headers: { ...options.headers, Authorization: `Bearer ${token}` } };
}

/**
 * Sign out: end the session on the service (every access token of it stops
 * working at once, in every tab), then clear the refresh cookie. Throws
 * ServiceUnavailable, and then this tab stays signed in: the session would
 * still be alive on the service.
 */
export async function signOut(): Promise<void> {
  const token = accessToken ?? (looksSignedIn() ? await refresh() : null);
  if (token !== null) {
    // allauth answers 401: "no longer signed in".
    await call(`${APP}/auth/session`, { method: "DELETE", headers: { Authorization: `Bearer ${token}` } });
  }
  await call(REFRESH, { method: "DELETE" });
  forget();
}

export { ServiceUnavailable };

// --- A sign-in half done ------------------------------------------------------

/**
 * A sign-in waiting for its second factor: allauth's session token for that
 * pending step, in memory only. A reload loses it, and the person starts the
 * sign-in again.
 */
export type PendingSignIn = { sessionToken: string; types: string[] };

let pendingSignIn: PendingSignIn | null = null;

export function holdPendingSignIn(pending: PendingSignIn | null): void {
  pendingSignIn = pending;
}

export function pendingSignInStep(): PendingSignIn | null {
  return pendingSignIn;
}

/** The address just signed up with, for the "check your inbox" page. */
let signedUpAddress: string | null = null;

export function rememberSignupAddress(email: string | null): void {
  signedUpAddress = email;
}

export function signupAddress(): string | null {
  return signedUpAddress;
}
