/**
 * The two languages and the shape of their message files
 * (messages/en.json and messages/ko.json, one per language). Safe to import
 * anywhere: it holds types and small helpers, never a catalog, so a page's
 * JavaScript carries no messages of its own; the server hands each page the
 * catalog of its language (lib/server/language.ts).
 */
import type en from "../../messages/en.json";

export const LANGUAGES = ["en", "ko"] as const;
export type Language = (typeof LANGUAGES)[number];
export type Messages = typeof en;
export type MessageKey = keyof Messages;

/** The cookie that keeps a choice made with the language switch. */
export const LANGUAGE_COOKIE = "lang";

/** Keep a choice made with the switch. Not secret, so a plain cookie; a year, like the service's. */
export function rememberLanguage(choice: Language): void {
  document.cookie = `${LANGUAGE_COOKIE}=${choice}; Path=/; Max-Age=31536000; SameSite=Lax`;
}

/** Names of the languages in themselves, for the switch. */
export const LANGUAGE_NAMES: Record<Language, string> = { en: "English", ko: "한국어" };

export function isLanguage(value: string | undefined | null): value is Language {
  return (LANGUAGES as readonly string[]).includes(value ?? "");
}

/** `{name}` placeholders filled in; values are text, never markup. */
export function format(message: string, values: Record<string, string> = {}): string {
  return message.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/**
 * The first language of an Accept-Language header that we have, by quality.
 * "ko-KR,ko;q=0.9,en;q=0.8" is Korean; anything we lack is English.
 */
export function preferredLanguage(acceptLanguage: string): Language {
  const ranked = acceptLanguage
    .split(",")
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      return { tag: tag.toLowerCase(), quality: q ? Number(q.slice(2)) : 1, index };
    })
    .filter(({ tag, quality }) => tag && quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const { tag } of ranked) {
    const primary = tag.split("-")[0];
    if (isLanguage(primary)) return primary;
  }
  return "en";
}
