"use client";

/**
 * The signed-in page: GET /api/me with the access token (a reload gets a new
 * one from the refresh cookie). A session that has ended (expired, revoked,
 * or signed out in another tab) sends the person to sign in, once, with a
 * message; a service that does not answer is said so.
 */
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";

import { Unavailable } from "@/components/forms";
import { useI18n } from "@/components/I18nProvider";
import { SignOutButton } from "@/components/SiteHeader";
import { ServiceUnavailable } from "@/lib/api";
import { authorized } from "@/lib/session";

type Me = { id: number; email: string; name: string; verified: boolean; date_joined: string };

type State = { step: "loading" } | { step: "shown"; me: Me } | { step: "unavailable" };

type Loaded = State | { step: "ended"; hadSession: boolean };

async function loadMe(): Promise<Loaded> {
  try {
    const result = await authorized("/api/me");
    if (result.ended) return { step: "ended", hadSession: result.hadSession };
    const me = result.answer.body.data as Me | undefined;
    return result.answer.status === 200 && me ? { step: "shown", me } : { step: "unavailable" };
  } catch (error) {
    if (!(error instanceof ServiceUnavailable)) throw error;
    return { step: "unavailable" };
  }
}

export function AccountDetails() {
  const { t, language } = useI18n();
  const router = useRouter();
  const [state, setState] = useState<State>({ step: "loading" });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    void loadMe().then((loaded) => {
      if (!live) return;
      if (loaded.step === "ended") {
        router.replace(`/signin?reason=${loaded.hadSession ? "ended" : "required"}`);
      } else {
        setState(loaded);
      }
    });
    return () => {
      live = false;
    };
  }, [attempt, router]);

  function reload() {
    setState({ step: "loading" });
    setAttempt((n) => n + 1);
  }

  return (
    <>
      <h1>{t("account.title")}</h1>
      {state.step === "loading" && <p role="status">{t("loading")}</p>}
      {state.step === "unavailable" && (
        <Unavailable onRetry={reload} />
      )}
      {state.step === "shown" && (
        <>
          <dl className="details">
            <dt>{t("account.email")}</dt>
            <dd data-testid="me-email">{state.me.email}</dd>
            <dt>{t("account.name")}</dt>
            <dd>{state.me.name || t("account.noName")}</dd>
            <dt>{t("account.verified")}</dt>
            <dd>{state.me.verified ? t("account.yes") : t("account.no")}</dd>
            <dt>{t("account.joined")}</dt>
            <dd>
              <time dateTime={state.me.date_joined}>
                {new Date(state.me.date_joined).toLocaleDateString(language, { dateStyle: "long" })}
              </time>
            </dd>
          </dl>
          <p className="actions">
            <button type="button" className="secondary" onClick={reload}>
              {t("account.refresh")}
            </button>
            <SignOutButton className="secondary" />
          </p>
        </>
      )}
    </>
  );
}
