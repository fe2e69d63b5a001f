import Link from "next/link";

import { catalog, requestLanguage } from "@/lib/server/language";

export default async function NotFound() {
  const messages = catalog(await requestLanguage());
  return (
    <>
      <h1>{messages["notFound.title"]}</h1>
      <p>{messages["notFound.body"]}</p>
      <p>
        <Link href="/">{messages["notFound.home"]}</Link>
      </p>
    </>
  );
}
