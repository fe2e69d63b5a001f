import type { Metadata } from "next";

import { pageTitle } from "@/lib/server/language";
import { ForgotPasswordForm } from "./ForgotPasswordForm";

export async function generateMetadata(): Promise<Metadata> {
  return { title: await pageTitle("forgot.title") };
}

export default function ForgotPasswordPage() {
  return <ForgotPasswordForm />;
}
