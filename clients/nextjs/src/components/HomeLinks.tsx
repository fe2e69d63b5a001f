"use client";

import Link from "next/link";
import { useSyncExternalStore } from "react";

import { looksSignedIn, subscribe } from "@/lib/session";
import { useI18n } from "./I18nProvider";

export function HomeLinks() {
  const { t } = useI18n();
  const signedIn = useSyncExternalStore(subscribe, looksSignedIn, () => false);
  if (signedIn) {
    return (
      <p className="actions">
        <Link className="button" href="/account">
          {t("home.account")}
        </Link>
      </p>
    );
  }
  return (
    <p className="actions">
      <Link className="button" href="/signup">
        {t("nav.signup")}
      </Link>
      <Link className="button secondary" href="/signin">
        {t("nav.signin")}
      </Link>
    </p>
  );
}
