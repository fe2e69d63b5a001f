import type { Metadata } from "next";

import { pageTitle } from "@/lib/server/language";
import { SignUpForm } from "./SignUpForm";

export async function generateMetadata(): Promise<Metadata> {
  return { title: await pageTitle("signup.title") };
}

export default function SignUpPage() {
  return <SignUpForm />;
}
