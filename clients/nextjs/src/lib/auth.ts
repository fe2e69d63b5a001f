/**
 * The account flows, as the pages run them: each is one or two calls to the
 * service, and an outcome the page turns into words.
 *
 * allauth answers a step that is not the last with 401 and the flow that is
 * pending (`verify_email`, `mfa_authenticate`): that is an answer, not a
 * failure. A refusal is 400 (or 429) with errors, each naming the field it
 * is about in `param`. Throws ServiceUnavailable when the service does not
 * answer.
 */
import { APP, call, errorsOf, metaString, pendingFlow, type Answer, type ApiError } from "./api";
import { holdPendingSignIn, pendingSignInStep, rememberSignupAddress, signedIn } from "./session";

// The refresh token comes as the service's HttpOnly cookie, never in JSON.
const COOKIE_TRANSPORT = { "X-Refresh-Token-Transport": "cookie" };

export type SignInOutcome =
  | { kind: "signed-in" }
  | { kind: "second-factor" }
  | { kind: "verify-email" } // not verified yet: the service mailed a new link
  | { kind: "refused"; errors: ApiError[] };

/** The email address and password; a second factor may follow. */
export async function signIn(email: string, password: string): Promise<SignInOutcome> {
  const answer = await call(`${APP}/auth/login`, {
    json: { email, password },
    headers: COOKIE_TRANSPORT,
  });
  return settle(answer);
}

/** The second step of a sign-in: an authenticator app's or a recovery code. */
export async function secondFactor(code: string): Promise<SignInOutcome | { kind: "expired" }> {
  const pending = pendingSignInStep();
  if (pending === null) return { kind: "expired" };
  const answer = await call(`${APP}/auth/2fa/authenticate`, {
    json: { code },
    headers: { ...COOKIE_TRANSPORT, "X-Session-Token": pending.sessionToken },
  });
  // allauth forgets a pending sign-in after a while (409: no such step now).
  if (answer.status === 409 || (answer.status === 401 && !pendingFlow(answer.body))) {
    holdPendingSignIn(null);
    return { kind: "expired" };
  }
  return settle(answer);
}

function settle(answer: Answer): SignInOutcome {
  const token = metaString(answer.body, "access_token");
  if (answer.status === 200 && token) {
    holdPendingSignIn(null);
    signedIn(token);
    return { kind: "signed-in" };
  }
  const flow = answer.status === 401 ? pendingFlow(answer.body) : undefined;
  const sessionToken = metaString(answer.body, "session_token");
  if (flow?.id === "mfa_authenticate" && sessionToken) {
    holdPendingSignIn({ sessionToken, types: flow.types ?? [] });
    return { kind: "second-factor" };
  }
  if (flow?.id === "verify_email") return { kind: "verify-email" };
  return { kind: "refused", errors: errorsOf(answer) };
}

export type SignUpOutcome = { kind: "check-inbox" } | { kind: "refused"; errors: ApiError[] };

/**
 * Sign up through this app's /session/signup, which keeps the pending
 * session in an HttpOnly cookie for the verification link. A taken address
 * answers exactly as a fresh one: "check your inbox".
 */
export async function signUp(email: string, password: string): Promise<SignUpOutcome> {
  const answer = await call("/session/signup", { json: { email, password } });
  if (answer.status === 401 && pendingFlow(answer.body)?.id === "verify_email") {
    rememberSignupAddress(email);
    return { kind: "check-inbox" };
  }
  return { kind: "refused", errors: errorsOf(answer) };
}

export type LinkCheck = { kind: "valid"; email: string } | { kind: "invalid"; errors: ApiError[] };

/** Whether a verification link's key still works, and for which address. */
export async function checkVerificationKey(key: string): Promise<LinkCheck> {
  const answer = await call(`${APP}/auth/email/verify`, {
    headers: { "X-Email-Verification-Key": key },
  });
  const email = answer.body.data?.email;
  if (answer.status === 200 && typeof email === "string") return { kind: "valid", email };
  return { kind: "invalid", errors: errorsOf(answer) };
}

export type VerifyOutcome =
  | { kind: "verified"; signedUpHere: boolean }
  | { kind: "invalid"; errors: ApiError[] };

/** Verify, through /session/verify (in the signup's session, if it was here). */
export async function verifyEmail(key: string): Promise<VerifyOutcome> {
  const answer = await call("/session/verify", { json: { key } });
  // 401: verified, and now the person signs in (as the service is set up);
  // 200 would mean the service signed them in, which it does not here.
  if (answer.status === 401 || answer.status === 200) {
    return { kind: "verified", signedUpHere: answer.headers.get("X-Signed-Up-Here") === "yes" };
  }
  return { kind: "invalid", errors: errorsOf(answer) };
}

/** Ask for a reset link; the answer is the same for any address. */
export async function requestPasswordReset(email: string): Promise<ApiError[]> {
  const answer = await call(`${APP}/auth/password/request`, { json: { email } });
  return answer.status === 200 ? [] : errorsOf(answer);
}

/** Whether a reset link's key still works. */
export async function checkResetKey(key: string): Promise<boolean> {
  const answer = await call(`${APP}/auth/password/reset`, {
    headers: { "X-Password-Reset-Key": key },
  });
  return answer.status === 200;
}

export type ResetOutcome = { kind: "reset" } | { kind: "refused"; errors: ApiError[] };

/** Choose the new password; the person then signs in with it. */
export async function resetPassword(key: string, password: string): Promise<ResetOutcome> {
  const answer = await call(`${APP}/auth/password/reset`, { json: { key, password } });
  // 401: the password is changed, and nobody is signed in.
  if (answer.status === 401 || answer.status === 200) return { kind: "reset" };
  return { kind: "refused", errors: errorsOf(answer) };
}
