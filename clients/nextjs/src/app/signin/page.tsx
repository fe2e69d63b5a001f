import type { Metadata } from "next";

import { pageTitle } from "@/lib/server/language";
import { SignInForm, type SignInReason } from "./SignInForm";

export async function generateMetadata(): Promise<Metadata> {
  return { title: await pageTitle("signin.title") };
}

const REASONS: readonly SignInReason[] = ["ended", "signed-out", "required", "restart", "reset"];

/** `?reason=` says why the person is here: their sign-in ended, they signed out, ... */
export default async function SignInPage({ searchParams }: { searchParams: Promise<{ reason?: string }> }) {
  const { reason } = await searchParams;
  const known = REASONS.find((r) => r === reason);
  return <SignInForm reason={known} />;
}
