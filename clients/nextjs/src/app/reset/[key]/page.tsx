import type { Metadata } from "next";

import { linkKey } from "@/lib/links";
import { pageTitle } from "@/lib/server/language";
import { ResetPasswordForm } from "./ResetPasswordForm";

export async function generateMetadata(): Promise<Metadata> {
  return { title: await pageTitle("reset.title"), referrer: "no-referrer" };
}

/** Where the emailed reset link lands (the service's HEADLESS_FRONTEND_URLS). */
export default async function ResetPage({ params }: { params: Promise<{ key: string }> }) {
  const { key } = await params;
  return <ResetPasswordForm resetKey={linkKey(key)} />;
}
