/**
 * The accounts service, called from this app's own server: the two route
 * handlers under app/session/ that keep a pending signup's session token in
 * an HttpOnly cookie (app/session/signup/route.ts says why). Everything else
 * reaches the service straight from the browser, through the rewrites in
 * next.config.ts.
 */
import type { NextRequest } from "next/server";

/** Where the service answers (read at run time; the rewrites read it at build). */
export function serviceOrigin(): string {
  return (process.env.ACCOUNTS_API_ORIGIN ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
}

export const APP = "/_allauth/app/v1";

/** allauth's answer shape, as much of it as the handlers read. */
export type ServiceAnswer = {
  status: number;
  body: {
    status: number;
    data?: Record<string, unknown>;
    meta?: Record<string, unknown>;
    errors?: unknown[];
  };
};

// What the browser sent that the service needs: the language it answers and
// mails in, who is asking (its rate limits and security activity), and the
// scheme the TLS proxy in front saw, as the rewrites pass them on unchanged.
const PASSED_ON = [
  "accept-language",
  "user-agent",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-request-id",
];

/**
 * One JSON request to the service on behalf of `request`. Null when the
 * service does not answer, or answers with something that is not allauth's
 * JSON (a 5xx page): the handler then says so in allauth's shape.
 */
export async function askService(
  request: NextRequest,
  method: "GET" | "POST",
  path: string,
  { json, headers = {} }: { json?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Promise<ServiceAnswer | null> {
  const outgoing: Record<string, string> = { Accept: "application/json", ...headers };
  for (const name of PASSED_ON) {
    const value = request.headers.get(name);
    if (value) outgoing[name] = value;
  }
  if (json) outgoing["Content-Type"] = "application/json";
  try {
    const response = await fetch(`${serviceOrigin()}${path}`, {
      method,
      headers: outgoing,
      body: json ? JSON.stringify(json) : undefined,
      cache: "no-store",
      redirect: "manual",
      signal: AbortSignal.timeout(15_000),
    });
    if (response.status >= 500 || !(response.headers.get("Content-Type") ?? "").includes("json")) {
      return null;
    }
    return { status: response.status, body: (await response.json()) as ServiceAnswer["body"] };
  } catch {
    return null;
  }
}

/** The answer when the service is down: allauth's error shape, status 503. */
export function unavailable(): Response {
  return Response.json(
    {
      status: 503,
      errors: [{ message: "The accounts service is not answering.", code: "service_unavailable" }],
    },
    { status: 503, headers: { "Cache-Control": "no-store" } },
  );
}

/** Read a JSON object body; null for anything else. */
export async function jsonObject(request: NextRequest): Promise<Record<string, unknown> | null> {
  try {
    const body: unknown = await request.json();
    return body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** allauth's 400 for a body that is not a JSON object. */
export function badRequest(): Response {
  return Response.json(
    { status: 400, errors: [{ message: "The request body must be a JSON object.", code: "invalid" }] },
    { status: 400, headers: { "Cache-Control": "no-store" } },
  );
}

// --- The pending signup ------------------------------------------------------

/**
 * The cookie that remembers, in this browser, the signup waiting for its
 * verification link: allauth's session token for it and the address. HttpOnly
 * (no script reads it), Secure, SameSite=Strict, sent only to
 * /session/verify, and kept as long as the link works (24 hours).
 */
export const PENDING_SIGNUP_COOKIE = "pending_signup";
export const PENDING_SIGNUP_PATH = "/session/verify";
const PENDING_SIGNUP_MAX_AGE = 24 * 60 * 60;

export type PendingSignup = { token: string; email: string };

export const pendingSignupCookie = {
  httpOnly: true,
  secure: true,
  sameSite: "strict" as const,
  path: PENDING_SIGNUP_PATH,
  maxAge: PENDING_SIGNUP_MAX_AGE,
};

export function encodePendingSignup(pending: PendingSignup): string {
  return Buffer.from(JSON.stringify(pending)).toString("base64url");
}

export function decodePendingSignup(value: string | undefined): PendingSignup | null {
  if (!value) return null;
  try {
    const parsed = JSON.parse(Buffer.from(value, "base64url").toString()) as Partial<PendingSignup>;
    if (typeof parsed.token === "string" && typeof parsed.email === "string") {
      return { token: parsed.token, email: parsed.email };
    }
  } catch {
    // not ours: ignored
  }
  return null;
}

/**
 * One spelling of an address for comparing (Unicode NFKC, lower case), as
 * the service canonicalises it. The service also writes international domain
 * names in their ASCII form, which this does not: such an address compares as
 * different, and the verification then takes the "opened elsewhere" path,
 * which is always safe.
 */
export function sameAddress(a: string, b: string): boolean {
  const spelling = (address: string) => address.normalize("NFKC").trim().toLowerCase();
  return spelling(a) === spelling(b);
}
