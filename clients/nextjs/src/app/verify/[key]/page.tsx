import type { Metadata } from "next";

import { linkKey } from "@/lib/links";
import { pageTitle } from "@/lib/server/language";
import { VerifyEmail } from "./VerifyEmail";

export async function generateMetadata(): Promise<Metadata> {
  return { title: await pageTitle("verify.title"), referrer: "no-referrer" };
}

/** Where the emailed link lands (the service's HEADLESS_FRONTEND_URLS). */
export default async function VerifyPage({ params }: { params: Promise<{ key: string }> }) {
  const { key } = await params;
  return <VerifyEmail verificationKey={linkKey(key)} />;
}
