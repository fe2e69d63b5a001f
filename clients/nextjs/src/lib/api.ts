/**
 * Calls to the accounts service, from the browser, on this site's own origin
 * (next.config.ts passes /_allauth/ and /api/ on to the service; the two
 * handlers under /session/ call it from this app's server).
 *
 * Answers come in allauth's shape: `{status, data?, meta?}` or, for a refused
 * request, `{status, errors: [{message, code, param?}]}`. A 401 is an answer
 * too: allauth says "not signed in yet, here is the pending step" with it.
 * Whatever is not such an answer (no connection, a 5xx, a page that is not
 * JSON) is `ServiceUnavailable`, which every page shows as a readable error.
 */

/** allauth's app client, which speaks in tokens rather than cookies. */
export const APP = "/_allauth/app/v1";

export type ApiError = { message: string; code: string; param?: string };

export type Flow = { id: string; is_pending?: boolean; types?: string[] };

export type Body = {
  status: number;
  data?: Record<string, unknown> & { flows?: Flow[] };
  meta?: Record<string, unknown>;
  errors?: ApiError[];
};

export type Answer = { status: number; body: Body; headers: Headers };

export class ServiceUnavailable extends Error {
  constructor() {
    super("The accounts service is not answering.");
    this.name = "ServiceUnavailable";
  }
}

export type CallOptions = {
  method?: "GET" | "POST" | "DELETE";
  json?: Record<string, unknown>;
  headers?: Record<string, string>;
};

export async function call(path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = {
    Accept: "application/json",
    // The service answers, and mails, in the page's language.
    "Accept-Language": document.documentElement.lang || "en",
    ...options.headers,
  };
  if (options.json) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? (options.json ? "POST" : "GET"),
      headers,
      body: options.json ? JSON.stringify(options.json) : undefined,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ServiceUnavailable(); // no connection at all
  }
  const isJson = (response.headers.get("Content-Type") ?? "").includes("json");
  if (response.status >= 500 || !isJson) throw new ServiceUnavailable();
  try {
    return { status: response.status, body: (await response.json()) as Body, headers: response.headers };
  } catch {
    throw new ServiceUnavailable();
  }
}

/** The step allauth says is pending, if any ("verify_email", "mfa_authenticate"). */
export function pendingFlow(body: Body): Flow | undefined {
  return body.data?.flows?.find((flow) => flow.is_pending);
}

export function errorsOf(answer: Answer): ApiError[] {
  return answer.body.errors ?? [];
}

export function metaString(body: Body, name: string): string | undefined {
  const value = body.meta?.[name];
  return typeof value === "string" ? value : undefined;
}
