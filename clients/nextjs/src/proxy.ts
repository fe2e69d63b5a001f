/**
 * A strict Content-Security-Policy on every page, with a fresh nonce per
 * request (Next puts it on its own scripts). The access token lives in this
 * page's memory: a script injected into the page is the one thing that could
 * read it, so no script runs here unless it came from this site, named by
 * the nonce. Nothing loads from another origin, fonts and styles included.
 *
 * The API paths (/_allauth/, /api/) are the service's: its answers carry its
 * own headers through the rewrites.
 */
import { NextResponse, type NextRequest } from "next/server";

// `next dev` evaluates code and injects the styles of its overlay: allowed
// there only, never in a build.
const DEV = process.env.NODE_ENV === "development";

export function proxy(request: NextRequest): NextResponse {
  const nonce = btoa(crypto.randomUUID());
  const policy = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${DEV ? " 'unsafe-eval'" : ""}`,
    `style-src 'self'${DEV ? " 'unsafe-inline'" : ""}`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  // On the request, so Next finds the nonce; on the response, for the browser.
  const headers = new Headers(request.headers);
  headers.set("Content-Security-Policy", policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", policy);
  return response;
}

export const config = {
  matcher: [
    {
      source: "/((?!_allauth/|api/|_next/static/|_next/image|icon.svg).*)",
      // Prefetches of pages need no policy of their own.
      missing: [{ type: "header", key: "next-router-prefetch" }],
    },
  ],
};
