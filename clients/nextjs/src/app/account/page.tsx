import type { Metadata } from "next";

import { pageTitle } from "@/lib/server/language";
import { AccountDetails } from "./AccountDetails";

export async function generateMetadata(): Promise<Metadata> {
  return { title: await pageTitle("account.title") };
}

export default function AccountPage() {
  return <AccountDetails />;
}
