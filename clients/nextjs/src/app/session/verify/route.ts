/**
 * POST /session/verify `{"key": ...}`: allauth's email verification, in the
 * session that signed up when this browser signed up with that address
 * (the `pending_signup` cookie, app/session/signup/route.ts), else in a new
 * one, where the service discards the signup password and mails a link to
 * choose one.
 *
 * The answer is allauth's, with a header saying which it was, for the page's
 * words: `X-Signed-Up-Here: yes` or `no`.
 */
import { NextResponse, type NextRequest } from "next/server";

import {
  APP,
  askService,
  badRequest,
  decodePendingSignup,
  jsonObject,
  PENDING_SIGNUP_COOKIE,
  pendingSignupCookie,
  sameAddress,
  unavailable,
} from "@/lib/server/service";

export async function POST(request: NextRequest): Promise<Response> {
  const body = await jsonObject(request);
  if (body === null || typeof body.key !== "string") return badRequest();
  const key = body.key;
  const pending = decodePendingSignup(request.cookies.get(PENDING_SIGNUP_COOKIE)?.value);
  let signedUpHere = false;
  if (pending) {
    // Whose link is it? This browser's signup, or another address's.
    const about = await askService(request, "GET", `${APP}/auth/email/verify`, {
      headers: { "X-Email-Verification-Key": key },
    });
    if (about === null) return unavailable();
    const email = about.body.data?.email;
    signedUpHere = typeof email === "string" && sameAddress(email, pending.email);
  }
  const answer = await askService(request, "POST", `${APP}/auth/email/verify`, {
    json: { key },
    headers: signedUpHere && pending ? { "X-Session-Token": pending.token } : {},
  });
  if (answer === null) return unavailable();
  const response = NextResponse.json(answer.body, {
    status: answer.status,
    headers: { "Cache-Control": "no-store", "X-Signed-Up-Here": signedUpHere ? "yes" : "no" },
  });
  if (signedUpHere && answer.status !== 400) {
    response.cookies.set(PENDING_SIGNUP_COOKIE, "", { ...pendingSignupCookie, maxAge: 0 });
  }
  return response;
}
