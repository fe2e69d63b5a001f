"use client";

import { SignOutButton } from "@/components/SiteHeader";
import { useI18n } from "@/components/I18nProvider";

export function SignOutPrompt() {
  const { t } = useI18n();
  return (
    <>
      <h1>{t("signout.title")}</h1>
      <p>{t("signout.prompt")}</p>
      <p className="actions">
        <SignOutButton />
      </p>
    </>
  );
}
