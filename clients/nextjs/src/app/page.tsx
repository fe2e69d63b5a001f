import type { Metadata } from "next";

import { HomeLinks } from "@/components/HomeLinks";
import { format } from "@/lib/i18n";
import { catalog, requestLanguage, siteName } from "@/lib/server/language";

export async function generateMetadata(): Promise<Metadata> {
  return { title: siteName() };
}

export default async function Home() {
  const messages = catalog(await requestLanguage());
  return (
    <>
      <h1>{format(messages["home.title"], { site: siteName() })}</h1>
      <p>{messages["home.intro"]}</p>
      <HomeLinks />
    </>
  );
}
