"use client";

/** Whatever a page did not expect: a readable message and a way back, never a blank page. */
import { useI18n } from "@/components/I18nProvider";

export default function PageError({ reset }: { error: Error; reset: () => void }) {
  const { t } = useI18n();
  return (
    <>
      <h1>{t("error.unexpected")}</h1>
      <div className="alert" role="alert">
        <p>{t("error.unavailable")}</p>
      </div>
      <button type="button" onClick={reset}>
        {t("error.retry")}
      </button>
    </>
  );
}
