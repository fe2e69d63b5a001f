/**
 * Which language a request is answered in, and its catalog: the language
 * switch's cookie, else the browser's Accept-Language, else English.
 * Server only: it reads the request and holds both catalogs.
 */
import { cookies, headers } from "next/headers";

import en from "../../../messages/en.json";
import ko from "../../../messages/ko.json";
import {
  format,
  isLanguage,
  LANGUAGE_COOKIE,
  preferredLanguage,
  type Language,
  type MessageKey,
  type Messages,
} from "../i18n";

// Typed against English: a key missing from the Korean file fails `tsc`.
const CATALOGS: Record<Language, Messages> = { en, ko };

export async function requestLanguage(): Promise<Language> {
  const chosen = (await cookies()).get(LANGUAGE_COOKIE)?.value;
  if (isLanguage(chosen)) return chosen;
  return preferredLanguage((await headers()).get("accept-language") ?? "");
}

export function catalog(language: Language): Messages {
  return CATALOGS[language];
}

/** The site's name, as the service names itself (DJANGO_SITE_NAME there). */
export function siteName(): string {
  return process.env.ACCOUNTS_SITE_NAME || "Accounts";
}

/** A page's <title>: its heading, then the site. */
export async function pageTitle(key: MessageKey): Promise<string> {
  const messages = catalog(await requestLanguage());
  const site = siteName();
  return `${format(messages[key], { site })} · ${site}`;
}
