import type { Metadata } from "next";

import { pageTitle } from "@/lib/server/language";
import { SignOutPrompt } from "./SignOutPrompt";

export async function generateMetadata(): Promise<Metadata> {
  return { title: await pageTitle("signout.title") };
}

/** Signing out asks first: a link or a prefetch must never sign anyone out. */
export default function SignOutPage() {
  return <SignOutPrompt />;
}
