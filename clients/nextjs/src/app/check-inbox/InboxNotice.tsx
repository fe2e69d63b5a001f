"use client";

import { useSyncExternalStore } from "react";

import { Notice } from "@/components/forms";
import { useI18n } from "@/components/I18nProvider";
import { signupAddress } from "@/lib/session";

const nothingToWatch = () => () => {};

export function InboxNotice({ unverified }: { unverified: boolean }) {
  const { t } = useI18n();
  // The address just typed, kept in this tab's memory only; after a reload
  // the page speaks of "the address you entered".
  const email = useSyncExternalStore(nothingToWatch, signupAddress, () => null);
  let text = t("inbox.sentNoAddress");
  if (unverified) text = t("inbox.unverified");
  else if (email) text = t("inbox.sent", { email });
  return (
    <>
      <h1>{t("inbox.title")}</h1>
      <Notice>
        <p>{text}</p>
      </Notice>
      {!unverified && <p>{t("inbox.sameBrowser")}</p>}
      <p>{t("inbox.noMail")}</p>
    </>
  );
}
