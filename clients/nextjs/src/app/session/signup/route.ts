/**
 * POST /session/signup: allauth's app signup, with its session token kept in
 * an HttpOnly cookie instead of being handed to the page.
 *
 * Why: the service keeps the password typed at signup only when the address
 * is verified in the session that signed up (the service's README, "A
 * password typed at signup never opens an account someone else verified").
 * The emailed link opens a new page, often in a new tab, so the session token
 * must outlive this page, yet no script should hold it: it lives in the
 * `pending_signup` cookie, which only /session/verify receives.
 *
 * The answer is allauth's, less `meta.session_token`: the same for a fresh
 * and a taken address, as the service makes it.
 */
import { NextResponse, type NextRequest } from "next/server";

import {
  APP,
  askService,
  badRequest,
  encodePendingSignup,
  jsonObject,
  PENDING_SIGNUP_COOKIE,
  pendingSignupCookie,
  unavailable,
} from "@/lib/server/service";

export async function POST(request: NextRequest): Promise<Response> {
  const body = await jsonObject(request);
  if (body === null) return badRequest();
  const answer = await askService(request, "POST", `${APP}/auth/signup`, { json: body });
  if (answer === null) return unavailable();
  const { session_token: token, ...meta } = answer.body.meta ?? {};
  const response = NextResponse.json(answer.body.meta ? { ...answer.body, meta } : answer.body, {
    status: answer.status,
    headers: { "Cache-Control": "no-store" },
  });
  if (typeof token === "string" && typeof body.email === "string") {
    response.cookies.set(
      PENDING_SIGNUP_COOKIE,
      encodePendingSignup({ token, email: body.email }),
      pendingSignupCookie,
    );
  }
  return response;
}
