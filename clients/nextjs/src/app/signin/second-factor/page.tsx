import type { Metadata } from "next";

import { pageTitle } from "@/lib/server/language";
import { SecondFactorForm } from "./SecondFactorForm";

export async function generateMetadata(): Promise<Metadata> {
  return { title: await pageTitle("mfa.title") };
}

export default function SecondFactorPage() {
  return <SecondFactorForm />;
}
