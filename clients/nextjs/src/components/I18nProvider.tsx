"use client";

/**
 * The page's catalog, handed down by the root layout, and `useT()` to read
 * it. The language switch refreshes the server components, which hand down
 * the other catalog; client state (the access token included) stays.
 */
import { createContext, useCallback, useContext, type ReactNode } from "react";

import { format, type Language, type MessageKey, type Messages } from "@/lib/i18n";

type I18n = { language: Language; messages: Messages; site: string };

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children, ...i18n }: I18n & { children: ReactNode }) {
  return <I18nContext.Provider value={i18n}>{children}</I18nContext.Provider>;
}

export type Translate = (key: MessageKey, values?: Record<string, string>) => string;

export function useI18n(): I18n & { t: Translate } {
  const i18n = useContext(I18nContext);
  if (i18n === null) throw new Error("useI18n() outside <I18nProvider>");
  const { messages, site } = i18n;
  const t = useCallback<Translate>(
    (key, values) => format(messages[key], { site, ...values }),
    [messages, site],
  );
  return { ...i18n, t };
}
