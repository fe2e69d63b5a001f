"use client";

/**
 * The header: the site's name, the account links (which follow the session,
 * in this tab and others) and the language switch.
 */
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, useSyncExternalStore } from "react";

import { LANGUAGE_NAMES, LANGUAGES, rememberLanguage, type Language } from "@/lib/i18n";
import { looksSignedIn, ServiceUnavailable, signOut, subscribe } from "@/lib/session";
import { useHydrated } from "./hydrated";
import { useI18n } from "./I18nProvider";

// The server cannot know: it renders the signed-out links, and the browser
// corrects them once it has looked.
const signedOutOnServer = () => false;

export function SiteHeader() {
  const { t, site } = useI18n();
  const signedIn = useSyncExternalStore(subscribe, looksSignedIn, signedOutOnServer);
  return (
    <header className="site-header">
      <a className="skip" href="#main">
        {t("skip")}
      </a>
      <Link href="/" className="site-name">
        {site}
      </Link>
      <nav aria-label={t("nav.label")}>
        <ul>
          {signedIn ? (
            <>
              <li>
                <Link href="/account">{t("nav.account")}</Link>
              </li>
              <li>
                <SignOutButton />
              </li>
            </>
          ) : (
            <>
              <li>
                <Link href="/signin">{t("nav.signin")}</Link>
              </li>
              <li>
                <Link href="/signup">{t("nav.signup")}</Link>
              </li>
            </>
          )}
        </ul>
      </nav>
      <LanguageSwitch />
    </header>
  );
}

/** Sign out, then to the sign-in page with "You have signed out." */
export function SignOutButton({ className = "link-button" }: { className?: string }) {
  const { t } = useI18n();
  const router = useRouter();
  const hydrated = useHydrated();
  const [busy, setBusy] = useState(false);
  const [unavailable, setUnavailable] = useState(false);
  async function onClick() {
    setBusy(true);
    setUnavailable(false);
    try {
      await signOut();
      router.push("/signin?reason=signed-out");
    } catch (error) {
      if (!(error instanceof ServiceUnavailable)) throw error;
      setUnavailable(true);
    } finally {
      setBusy(false);
    }
  }
  return (
    <>
      <button type="button" className={className} onClick={onClick} disabled={busy || !hydrated} aria-busy={busy || undefined}>
        {t("nav.signout")}
      </button>
      {unavailable && (
        <span className="inline-alert" role="alert">
          {t("error.unavailable")}
        </span>
      )}
    </>
  );
}

/** One button per language, each named in its own language. */
function LanguageSwitch() {
  const { t, language } = useI18n();
  const router = useRouter();
  const hydrated = useHydrated();
  function choose(choice: Language) {
    rememberLanguage(choice);
    router.refresh(); // the server renders again in `choice`; this tab's state stays
  }
  return (
    <div className="language-switch" role="group" aria-label={t("language.label")}>
      {LANGUAGES.map((choice) => (
        <button
          key={choice}
          type="button"
          lang={choice}
          aria-pressed={choice === language}
          disabled={choice === language || !hydrated}
          onClick={() => choose(choice)}
        >
          {LANGUAGE_NAMES[choice]}
        </button>
      ))}
    </div>
  );
}
