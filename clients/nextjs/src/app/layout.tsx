/**
 * Every page: <html lang> in the request's language, the header, and the
 * catalog of that language for the client components below.
 */
import type { Metadata } from "next";
import type { ReactNode } from "react";

import { I18nProvider } from "@/components/I18nProvider";
import { SiteHeader } from "@/components/SiteHeader";
import { catalog, requestLanguage, siteName } from "@/lib/server/language";

import "./globals.css";

export async function generateMetadata(): Promise<Metadata> {
  return { title: siteName(), robots: { index: false } };
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const language = await requestLanguage();
  return (
    <html lang={language}>
      <body>
        <I18nProvider language={language} messages={catalog(language)} site={siteName()}>
          <SiteHeader />
          <main id="main" tabIndex={-1}>
            {children}
          </main>
        </I18nProvider>
      </body>
    </html>
  );
}
