import type { Metadata } from "next";

import { pageTitle } from "@/lib/server/language";
import { InboxNotice } from "./InboxNotice";

export async function generateMetadata(): Promise<Metadata> {
  return { title: await pageTitle("inbox.title") };
}

/** After signing up, or signing in with an address not verified yet. */
export default async function CheckInboxPage({ searchParams }: { searchParams: Promise<{ reason?: string }> }) {
  const { reason } = await searchParams;
  return <InboxNotice unverified={reason === "unverified"} />;
}
